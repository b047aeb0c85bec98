/**
 * bpftrace code generation: compile a type-checked script to BPF programs,
 * maps and an output format table; decode the records and maps they produce;
 * describe the result as an ELF object spec. Pure: no I/O.
 */
export { compile, sectionOf } from './compile';
export { decodeRecord, decodeMap, decodeValue } from './decode';
export { toEmitSpec, verifyProbe, verifierMaps, vmMaps, MAP_TYPE_IDS } from './object';
export type { BtMapDef, OutputFormat, OutputAction, CompiledProbe, CompiledScript, CompileOptions, TypeInfoLike, ProbeCtxInfo } from './model';
export { compileText, type CompileTextOptions, type CompileTextResult } from './pipeline';
export { parseStapsdtNotes, parseUsdtArgs, type UsdtNote, type UsdtArg } from './usdt';

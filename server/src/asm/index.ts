/**
 * The BPF assembler and disassembler: two syntaxes (LLVM/kernel as printed by
 * llvm-objdump and bpftool, and the bpf_conformance suite's mnemonics), both
 * directions, all derived from the opcode table in isa/. Pure: no I/O.
 * Files are self-contained through `.map NAME, TYPE, key=K, value=V[, max_entries=N]`
 * and `.section NAME` (directives.ts; `map[NAME]` / `NAME ll` refer to a map).
 * Non-goals: other symbolic relocations (global data, externs), several programs per file.
 */
export type { Syntax, SourceRange, AsmDiagnostic, AsmResult, AsmOptions, FormatOptions, DisasmOptions, AsmMap, AsmSection } from './types';
export { mapTypeNumber } from './directives';
export type { MapDecl } from './directives';
export { assemble } from './assemble';
export { formatInsn } from './format';
export { disassemble } from './disassemble';
export { describeInsn } from './describe';
export type { InsnDoc } from './describe';
export { detectSyntax } from './detect';

/**
 * Public surface of the bpftrace front end: lexer, parser, AST, printer,
 * version checks, the first semantic pass and `checkScript`, which runs them
 * all. Non-goal: re-exporting internals (cursor, grammar classes).
 */
export * from './ast';
export { parse, type ParseResult } from './parser';
export { tokenize, type Token, type TokKind, type LexResult } from './lexer';
export { printAst } from './print';
export { LineIndex, type Range, type Diagnostic, type Severity } from './source';
export { PROVIDERS, canonicalProvider } from './attach';
export { checkVersion, parseVersion, compareVersions, VERSION_RULES, type Version, type VersionRule } from './versions';
export { analyze, type SemanticResult, type MapInfo, type KernelInfo } from './semantic';
export { BUILTINS, FUNCTIONS, builtinInfo, type BuiltinInfo, type FunctionInfo } from './builtins';
export { checkScript, type CheckResult } from './check';
export { toBisonStyle, bisonTokenName } from './bison';
export { closest } from './suggest';
export { formatArgCount, formatArgsMessage } from './format';
export { typecheck, Checker, type TypeInfo, type ProbeCtx, type FieldRef, type MapType, type TypecheckOptions } from './typecheck';
export { type KernelTypes, type ProbeArg, type MemberInfo, btfToSType, funcArgs, rawTracepointArgs, tpArgs, tpFieldType, tpStructName } from './typecheck-kernel';
export * from './types';

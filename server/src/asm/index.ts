/**
 * The BPF assembler and disassembler: two syntaxes (LLVM/kernel as printed by
 * llvm-objdump and bpftool, and the bpf_conformance suite's mnemonics), both
 * directions, all derived from the opcode table in isa/. Pure: no I/O.
 * Non-goals: symbolic relocations and map declarations (see handleDirective).
 */
export type { Syntax, SourceRange, AsmDiagnostic, AsmResult, AsmOptions, FormatOptions, DisasmOptions } from './types';
export { assemble } from './assemble';
export { formatInsn } from './format';
export { disassemble } from './disassemble';
export { describeInsn } from './describe';
export type { InsnDoc } from './describe';
export { detectSyntax } from './detect';

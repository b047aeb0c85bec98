/** `bpfstudio asm` and `bpfstudio disasm`: text to bytes and back, in either syntax. */
import { writeFileSync } from 'node:fs';
import { disassemble, formatInsn, Syntax } from '../asm';
import { encode, Insn } from '../isa';
import { EXIT, Io, parse, str, UsageError } from './args';
import { readInput } from './input';
import { loadProgram } from './load';

export const ASM_HELP = `usage: bpfstudio asm FILE [--syntax auto|llvm|conformance] [--hex] [-o OUT]

Assembles BPF assembly (kernel/LLVM syntax or the conformance suite's mnemonic
syntax, detected per file unless --syntax says). Prints a listing (slot, bytes,
instruction); --hex prints only the bytes, one instruction per line, in a form
'bpfstudio disasm' and 'bpfstudio run' read back; -o OUT writes the raw
instruction bytes. Exit 1 when the file has errors (printed as FILE:LINE:COL).`;

export const DISASM_HELP = `usage: bpfstudio disasm FILE [--syntax llvm|conformance] [--text]

Disassembles raw instruction bytes or hex text (two-digit bytes, or 16-digit
64-bit little-endian words as in the conformance suite). Prints llvm-objdump's
layout (slot, bytes, instruction); --text prints instructions with labels only,
ready to assemble again. Invalid encodings are reported with their slot.`;

function syntaxOf(v: unknown, allowAuto: boolean): Syntax | 'auto' {
  const s = str(v) ?? (allowAuto ? 'auto' : 'llvm');
  if (s === 'llvm' || s === 'conformance' || (allowAuto && s === 'auto')) return s as Syntax | 'auto';
  throw new UsageError(`--syntax must be ${allowAuto ? 'auto, ' : ''}llvm or conformance, got '${s}'`);
}

export function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** llvm-objdump-like lines: `   3:\tb7 01 00 00 05 00 00 00\tr1 = 0x5`. */
export function listing(insns: readonly Insn[], syntax: Syntax): string[] {
  const out: string[] = [];
  for (const i of insns) {
    const b = encode([i]);
    const text = formatInsn(i, { syntax });
    out.push(`${String(i.pc).padStart(6)}:\t${hexBytes(b.subarray(0, 8))}\t${text}`);
    if (b.length > 8) out.push(`${String(i.pc + 1).padStart(6)}:\t${hexBytes(b.subarray(8))}`);
  }
  return out;
}

export function cmdAsm(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, { syntax: { type: 'string' }, hex: { type: 'boolean' }, out: { type: 'string', short: 'o' } });
  if (values.help) { io.out(ASM_HELP); return EXIT.OK; }
  if (positionals.length !== 1) throw new UsageError('asm takes one FILE (see bpfstudio asm --help)');
  const input = readInput(positionals[0]);
  if (input.kind !== 'asm') throw new UsageError(`${input.path}: not assembly text (looks like ${input.kind}); use 'bpfstudio disasm'`);
  const p = loadProgram(input, io, syntaxOf(values.syntax, true));
  if (p.errors > 0) {
    io.err(`${input.path}: ${p.errors} error${p.errors === 1 ? '' : 's'}`);
    return EXIT.FAILED;
  }
  const bytes = encode(p.insns);
  const out = str(values.out);
  if (out) {
    try { writeFileSync(out, bytes); } catch (e) { throw new UsageError(`${out}: cannot write: ${(e as Error).message}`); }
    io.err(`${out}: ${p.insns.length} instructions, ${bytes.length} bytes`);
    return EXIT.OK;
  }
  if (values.hex) {
    for (let at = 0; at < bytes.length; at += 8) io.out(hexBytes(bytes.subarray(at, at + 8)));
  } else {
    for (const l of listing(p.insns, p.syntax ?? 'llvm')) io.out(l);
  }
  return EXIT.OK;
}

export function cmdDisasm(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, { syntax: { type: 'string' }, text: { type: 'boolean' } });
  if (values.help) { io.out(DISASM_HELP); return EXIT.OK; }
  if (positionals.length !== 1) throw new UsageError('disasm takes one FILE (see bpfstudio disasm --help)');
  const syntax = syntaxOf(values.syntax, false) as Syntax;
  const input = readInput(positionals[0]);
  if (input.kind === 'asm') throw new UsageError(`${input.path}: this is assembly text, not instruction bytes; use 'bpfstudio asm'`);
  const p = loadProgram(input, io);
  if (values.text) io.out(disassemble(p.insns, { syntax, labels: true }));
  else for (const l of listing(p.insns, syntax)) io.out(l);
  return p.errors > 0 ? EXIT.FAILED : EXIT.OK;
}

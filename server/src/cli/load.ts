/**
 * Turns a command-line input into instructions, printing diagnostics in the
 * `FILE:LINE:COL: error: message` form editors and CI logs understand.
 */
import { assemble, AsmResult, Syntax } from '../asm';
import { decode, Insn } from '../isa';
import { Io, UsageError } from './args';
import { ProgramInput } from './input';

export interface Loaded {
  insns: Insn[];
  /** lines[k]: 0-based source line of insns[k], for asm input. */
  lines?: number[];
  errors: number;
  syntax?: Syntax;
  /** The assembler's whole result (declared maps, `.section`), for asm input. */
  asm?: AsmResult;
}

export function loadProgram(input: ProgramInput, io: Io, syntax: Syntax | 'auto' = 'auto'): Loaded {
  if (input.kind === 'elf') {
    throw new UsageError(`${input.path}: this command takes one program (assembly, hex or raw bytes); for ELF objects use 'bpfstudio obj', 'disasm' or 'verify'`);
  }
  if (input.kind === 'asm') {
    const r = assemble(input.text ?? '', { syntax });
    let errors = 0;
    for (const d of r.diagnostics) {
      if (d.severity === 'error') errors++;
      io.err(`${input.path}:${d.range.line + 1}:${d.range.col + 1}: ${d.severity}: ${d.message}`);
    }
    return { insns: r.insns, lines: r.lines, errors, syntax: r.syntax, asm: r };
  }
  const d = decode(input.bytes ?? new Uint8Array());
  for (const x of d.diagnostics) {
    io.err(`${input.path}: instruction ${x.pc} (byte offset ${x.pc * 8}): error: ${x.message}`);
  }
  return { insns: d.insns, errors: d.diagnostics.length };
}

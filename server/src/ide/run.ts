/**
 * Runs a BPF assembly document on the interpreter to completion for the
 * `BPF Studio: Run` command and returns a plain summary (r0, fault, steps,
 * output). Non-goal: stepping and breakpoints, which the debugger provides.
 */
import { assemble, describeInsn, formatInsn, Syntax } from '../asm';
import { width } from '../isa';
import { runInterp } from '../vm';
import { asmErrorLines } from './diagnostics';
import { formatFault, formatOutput, parseHexBytes } from './vm-format';

export interface RunSummary {
  /** Assembler or argument errors; when present nothing ran. */
  errors: string[];
  r0?: bigint;
  fault?: string;
  steps: number;
  output: string[];
}

export interface AssembleSummary {
  errors: string[];
  /** Instruction slots. */
  slots: number;
  /** Each instruction with its bytes, e.g. `0: b7 00 00 00 2a 00 00 00  r0 = 42`. */
  listing: string[];
}

function errorsOf(text: string, syntax: Syntax | 'auto'): { res: ReturnType<typeof assemble>; errors: string[] } {
  const res = assemble(text, { syntax });
  return { res, errors: asmErrorLines(res) };
}

export function assembleDocument(text: string, syntax: Syntax | 'auto'): AssembleSummary {
  const { res, errors } = errorsOf(text, syntax);
  const labels = new Map<number, string>();
  for (const [name, pc] of res.labels) if (!labels.has(pc)) labels.set(pc, name);
  const listing = res.insns.map((insn) => {
    return `${String(insn.pc).padStart(4)}: ${describeInsn(insn).hex.padEnd(47)}  ${formatInsn(insn, { syntax: res.syntax, labels })}`;
  });
  const last = res.insns[res.insns.length - 1];
  return { errors, slots: last ? last.pc + width(last) : 0, listing };
}

export function runDocument(text: string, opts: { syntax: Syntax | 'auto'; mem?: string; budget?: number }): RunSummary {
  const { res, errors } = errorsOf(text, opts.syntax);
  let mem: Uint8Array | undefined;
  if (opts.mem) {
    const m = parseHexBytes(opts.mem);
    if ('error' in m) errors.push(m.error);
    else mem = m.bytes;
  }
  if (errors.length > 0) return { errors, steps: 0, output: [] };
  const r = runInterp(res.insns, mem ? { mem } : {}, opts.budget ? { budget: opts.budget } : {});
  return {
    errors: [],
    ...(r.r0 !== undefined ? { r0: r.r0 } : {}),
    ...(r.fault ? { fault: formatFault(r.fault) } : {}),
    steps: r.steps,
    output: r.output.map(formatOutput),
  };
}

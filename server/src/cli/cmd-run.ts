/** `bpfstudio run`: executes a program on the embedded VM (interpreter or JIT) and prints r0. */
import { Insn } from '../isa';
import { runInterp, RunArgs, RunResult, VmOptions } from '../vm';
import { runJit } from '../vm/jit';
import { EXIT, int, Io, parse, str, UsageError } from './args';
import { parseMemArg, readInput } from './input';
import { loadProgram } from './load';

export const RUN_HELP = `usage: bpfstudio run FILE [--mem HEX] [--interp|--jit] [--budget N] [--syntax S]

Runs a program (assembly, hex or raw bytes) on the embedded BPF VM. As in the
conformance suite, r1 points to the --mem bytes, r2 holds their length and r10
is the top of a 512-byte stack. Prints what the program printed (trace_printk),
then r0 in hex. A fault (bad memory access, runaway loop past --budget
instructions, default 10,000,000) is printed with its instruction and exits 1.`;

export type Engine = 'interp' | 'jit';

export function engineOf(values: Record<string, unknown>): Engine {
  if (values.interp && values.jit) throw new UsageError('choose one of --interp and --jit');
  return values.jit ? 'jit' : 'interp';
}

export function execute(engine: Engine, insns: readonly Insn[], args: RunArgs, opts: VmOptions): RunResult {
  return engine === 'jit' ? runJit(insns, args, opts) : runInterp(insns, args, opts);
}

export function formatOutput(o: unknown): string {
  if (o && typeof o === 'object' && 'text' in o && typeof (o as { text: unknown }).text === 'string') return (o as { text: string }).text;
  return JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? '0x' + v.toString(16) : v instanceof Uint8Array ? Array.from(v) : v));
}

export function cmdRun(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, {
    mem: { type: 'string' }, interp: { type: 'boolean' }, jit: { type: 'boolean' },
    budget: { type: 'string' }, syntax: { type: 'string' },
  });
  if (values.help) { io.out(RUN_HELP); return EXIT.OK; }
  if (positionals.length !== 1) throw new UsageError('run takes one FILE (see bpfstudio run --help)');
  const engine = engineOf(values);
  const mem = values.mem !== undefined ? parseMemArg(String(values.mem)) : undefined;
  const budget = int(values.budget, 'budget');
  const syntax = str(values.syntax) ?? 'auto';
  if (syntax !== 'auto' && syntax !== 'llvm' && syntax !== 'conformance') throw new UsageError(`--syntax must be auto, llvm or conformance`);
  const input = readInput(positionals[0]);
  const p = loadProgram(input, io, syntax);
  if (p.errors > 0) return EXIT.FAILED;
  const r = execute(engine, p.insns, mem ? { mem } : {}, budget !== undefined ? { budget } : {});
  for (const o of r.output) io.out(formatOutput(o));
  if (r.fault) {
    const line = p.lines && insnLine(p.insns, p.lines, r.fault.pc);
    io.err(`${input.path}${line !== undefined ? `:${line + 1}` : ''}: fault at instruction ${r.fault.pc}: ${r.fault.message}`);
    return EXIT.FAILED;
  }
  io.out('0x' + (r.r0 ?? 0n).toString(16));
  return EXIT.OK;
}

function insnLine(insns: readonly Insn[], lines: readonly number[], pc: number): number | undefined {
  const k = insns.findIndex((i) => i.pc === pc);
  return k >= 0 ? lines[k] : undefined;
}

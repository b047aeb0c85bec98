/**
 * Differential runs of the interpreter and the JIT on one program: compares
 * r0, the fault (kind, pc, message, address), the step count, the output and
 * the final bytes of the `mem` region and of every frame's stack. Used by the
 * unit test and `npm run fuzz`. Pure; non-goal: shrinking failing programs.
 */
import type { Insn } from '../isa/insn';
import { Vm } from './interp';
import { compileJit, JitTuning } from './jit';
import { MEM_BASE, Machine } from './machine';
import { randHelpers, randomProgram, RandOptions } from './randprog';
import type { RunArgs, RunResult, VmOptions } from './types';

export interface DiffOutcome {
  same: boolean;
  /** What differs, one line per field. */
  detail: string[];
  interp: RunResult;
  jit: RunResult;
}

function hex(b: Uint8Array | undefined): string {
  if (!b) return '-';
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function summary(r: RunResult): Record<string, string> {
  return {
    r0: r.r0 === undefined ? '-' : '0x' + r.r0.toString(16),
    fault: r.fault ? `${r.fault.kind} pc=${r.fault.pc} ${r.fault.message} addr=${r.fault.addr ?? '-'} size=${r.fault.size ?? '-'} region=${r.fault.region ?? '-'}` : '-',
    steps: String(r.steps),
    output: JSON.stringify(r.output, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? hex(v) : v)),
  };
}

function memOf(m: Machine): Record<string, string> {
  const out: Record<string, string> = { mem: hex(m.mem?.bytes) };
  m.stacks.forEach((s, i) => { out[`stack${i}`] = hex(s.bytes); });
  return out;
}

/** Runs `insns` on both engines with the same input and options. */
export function diffRun(insns: readonly Insn[], args: RunArgs = {}, opts: VmOptions = {}, tuning: JitTuning = {}): DiffOutcome {
  const vm = new Vm(insns, opts);
  vm.reset(args);
  vm.run();
  const interp: RunResult = { steps: vm.steps, output: vm.output };
  if (vm.fault) interp.fault = vm.fault;
  else if (vm.result !== undefined) interp.r0 = vm.result;
  const j = compileJit(insns, opts, tuning);
  if ('error' in j) {
    return { same: false, detail: [j.error], interp, jit: { steps: 0, output: [] } };
  }
  const jit = j.run(args);
  const a: Record<string, string> = { ...summary(interp), ...memOf(vm.m) };
  const b: Record<string, string> = { ...summary(jit), ...memOf(j.machine) };
  const detail: string[] = [];
  for (const k of Object.keys(a)) {
    if (a[k] !== b[k]) detail.push(`${k}: interp ${a[k].slice(0, 200)} | jit ${b[k].slice(0, 200)}`);
  }
  return { same: detail.length === 0, detail, interp, jit };
}

/** Generates random program `seed` and diffs it; the category and outcome kind for tallies. */
export function diffRandom(seed: number, opts: RandOptions = {}, tuning: JitTuning = {}): DiffOutcome & { category: string; outcome: string } {
  const rp = randomProgram(seed, opts);
  const vmOpts: VmOptions = { budget: rp.budget ?? 200_000, helpers: randHelpers(rp.programs.length), programs: rp.programs };
  // One run in 16 starts with r10 pointing at the end of `mem`: stack accesses then hit the input (the JIT's checked variant).
  const args: RunArgs = seed % 16 === 0 ? { mem: rp.mem, regs: { 10: MEM_BASE + BigInt(rp.mem.length) } } : { mem: rp.mem };
  const d = diffRun(rp.insns, args, vmOpts, tuning);
  return { ...d, category: rp.category, outcome: d.interp.fault ? d.interp.fault.kind : 'exit' };
}

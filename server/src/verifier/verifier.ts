/**
 * The verifier's entry point (the kernel's bpf_check): refusals before verification (attach
 * target, capabilities, load flags, timer maps), the prepass, the static analyses and stack
 * liveness set up for the driver (driver.ts), global functions verified one by one, the combined
 * stack size check and the result with the kernel-format log and statistics.
 */
import { Insn, OpSpec } from '../isa';
import { callUses, successors } from './analysis';
import { attachTargetError, ctxLayout } from './ctx-access';
import { Env } from './env';
import { ELIDE_NULL, timerMapRefusal } from './helper-call';
import { BPF_F_SLEEPABLE, canBeSleepable, progFlagsRefusal, SLEEPABLE_MESSAGE } from './load-flags';
import { Slot, mapTypeName, prepass, slotsFromBytes, slotsFromInsns } from './prepass';
import { StackLiveness } from './liveness';
import { SccVisits, computeScc } from './scc';
import type { GlobalFunc, VerifyInput, VerifyResult, VerifierLine } from './types';
import { explain } from './explain';
import { kfuncFixupError } from './kfunc';
import { Driver } from './driver';
import { returnRange } from './calls';
import { arenaBegin, arenaEnd, arenaU8 } from './arena';

/** The most instructions bpf_prog_load takes from a CAP_BPF loader (BPF_COMPLEXITY_LIMIT_INSNS). */
const MAX_INSNS = 1_000_000;
const PERFMON_TYPES = new Set(['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint', 'raw_tracepoint_writable', 'tracing', 'lsm', 'struct_ops', 'ext']);

function insnsFromSlots(slots: Slot[], specs: (OpSpec | undefined)[]): (Insn | undefined)[] {
  return slots.map((s, i) => {
    const spec = specs[i];
    if (!spec) return undefined;
    const insn: Insn = { spec, pc: i, dst: s.dst, src: s.src, off: s.off, imm: s.imm };
    if (spec.kind === 'lddw') insn.imm2 = slots[i + 1]?.imm ?? 0;
    return insn;
  });
}

/** Verifies a program; never throws. */
export function verify(input: VerifyInput & { bytes?: Uint8Array }): VerifyResult {
  const t0 = Date.now();
  arenaBegin();
  try {
    return run(input, t0);
  } catch (e) {
    const msg = `internal verifier error: ${e instanceof Error ? e.message : String(e)}`;
    return {
      verdict: 'reject', errors: [{ pc: 0, logInsn: null, message: msg, detail: [], explanation: 'The embedded verifier hit a bug.', suggestion: 'Report this program.', path: [] }],
      states: [], stats: { processed: 0, totalStates: 0, peakStates: 0, maxStatesPerInsn: 0, maxStackDepth: 0, timeMs: Date.now() - t0 }, log: msg + '\n',
    };
  } finally {
    arenaEnd();
  }
}

/** Refusals before the verifier runs (libbpf's attach-target lookup, bpf_prog_load's capability check): no log. */
function refused(t0: number, message: string, help: { explanation: string; suggestion: string }): VerifyResult {
  return {
    verdict: 'reject', errors: [{ pc: 0, logInsn: null, message, detail: [], path: [], explanation: help.explanation, suggestion: help.suggestion }],
    states: [], stats: { ...NO_STATS, timeMs: Date.now() - t0 }, log: '',
  };
}

const NO_STATS: Omit<VerifyResult['stats'], 'timeMs'> = { processed: 0, totalStates: 0, peakStates: 0, maxStatesPerInsn: 0, maxStackDepth: 0 };
/** Precision sets before the first analysis (never modified). */
const NO_SETS = new Uint16Array(0);
/** No line info (never modified). */
const NO_LINES: Map<number, VerifierLine> = new Map();

function namesR10(slots: readonly Slot[]): boolean {
  for (let i = 0; i < slots.length; i++) if (slots[i].dst === 10 || slots[i].src === 10) return true;
  return false;
}

function statsLine(processed: number, perInsn: number, total: number, peak: number): string {
  return `processed ${processed} insns (limit 1000000) max_states_per_insn ${perInsn} total_states ${total} peak_states ${peak} mark_read 0`;
}

function run(input: VerifyInput & { bytes?: Uint8Array }, t0: number): VerifyResult {
  const slots = input.bytes ? slotsFromBytes(input.bytes) : slotsFromInsns(input.insns);
  const maps = input.maps ?? [];
  const level = input.logLevel ?? 1;
  const root = (input.privileged ?? 'root') === 'root';
  const limit = input.limits?.insns ?? 1_000_000;
  const jmpLimit = input.limits?.jmpSeq ?? 8192;
  const pre = prepass(slots, maps, input.btf, input.funcStarts);
  const targetErr = input.libbpfError ?? attachTargetError(input.progType, input.expectedAttachType, input.attachTo, input.btf);
  if (targetErr) return refused(t0, targetErr, explain(targetErr));
  const flagsErr = progFlagsRefusal(input.progFlags ?? 0);
  if (flagsErr) return refused(t0, flagsErr.message, flagsErr);
  // bpf_prog_load's order: prog_flags (EINVAL), the instruction count (E2BIG), then capabilities (EPERM).
  if (slots.length === 0 || slots.length > MAX_INSNS) {
    return refused(t0, 'BPF program load failed: Argument list too long', {
      explanation: `The kernel loads programs of 1 to ${MAX_INSNS} instructions (BPF_COMPLEXITY_LIMIT_INSNS); this one has ${slots.length}.`,
      suggestion: 'Split the program into subprograms called in a loop, or into several programs joined by tail calls.',
    });
  }
  if (!root && PERFMON_TYPES.has(input.progType)) {
    return refused(t0, 'BPF program load failed: Operation not permitted', {
      explanation: 'Loading tracing program types (kprobe, tracepoint, perf_event, raw_tracepoint, tracing, lsm) needs CAP_PERFMON as well as CAP_BPF.',
      suggestion: 'Grant CAP_PERFMON (or load as root).',
    });
  }
  let lines = NO_LINES;
  if (input.lineInfo?.length) {
    lines = new Map<number, VerifierLine>();
    for (const l of input.lineInfo) lines.set(l.pc, l);
  }
  const env = new Env(level ? insnsFromSlots(slots, pre.specs) : [], pre, maps, input.progType, input.expectedAttachType,
    ctxLayout(input.progType, input.expectedAttachType), root, level, ((input.progFlags ?? 0) & 1) !== 0, input.gpl ?? true,
    input.btf, input.attachTo, lines);
  // add_subprog_and_kfunc lists the subprograms (level 2) once it has them: only its own refusals come first.
  if (level >= 2 && !(pre.error && /^(call to invalid destination|kernel btf_id )/.test(pre.error.message))) {
    pre.subprogs.forEach((s, k) => env.raw(`func#${k} @${s}\n`));
  }
  const states: (string[] | undefined)[] = new Array(slots.length);
  const result = (verdict: 'accept' | 'reject', errs: VerifyResult['errors'], stats = NO_STATS): VerifyResult => ({
    verdict, errors: errs, states,
    stats: { processed: stats.processed, totalStates: stats.totalStates, peakStates: stats.peakStates, maxStatesPerInsn: stats.maxStatesPerInsn,
      maxStackDepth: stats.maxStackDepth, timeMs: Date.now() - t0 },
    log: env.text(),
  });
  if (pre.error) {
    env.verbose(pre.error.message);
    env.verbose(statsLine(0, 0, 0, 0));
    const ex = explain(pre.error.message);
    const m = /\binsn[ #]?(\d+)/.exec(pre.error.message);
    return result('reject', [{ pc: pre.error.pc ?? 0, logInsn: m ? Number(m[1]) : null, message: pre.error.message, detail: [], path: [], ...ex, ...rangeOf(lines, pre.error.pc ?? 0) }]);
  }
  const timerErr = timerMapRefusal(input.progType, maps, slots);
  if (timerErr) {
    env.verbose(timerErr);
    env.verbose(statsLine(0, 0, 0, 0));
    return result('reject', [{ pc: 0, logInsn: null, message: timerErr, detail: [], path: [], ...explain(timerErr) }]);
  }
  const callUse = callUses(slots, input.btf, { type: input.progType, attachType: input.expectedAttachType, root });
  const succ = successors(slots, pre.specs);
  // Comparisons make their registers precise once a path has decided them (the kernel marks precision
  // when is_branch_taken decides): the sets are recomputed as decided comparisons are found (driver.ts).
  const decided = arenaU8(slots.length);
  const exitNeedsR0 = returnRange(input.progType, input.expectedAttachType) !== undefined;
  const constKey = (m: number): boolean => !maps[m] || ELIDE_NULL.has(mapTypeName(maps[m]));
  // Every stack pointer derives from r10: a program that never names it has no stack slots to track.
  if (namesR10(slots)) env.live = new StackLiveness(succ, pre.subprogs, slots.length);
  // The sets start empty and are analysed on the first state comparison (driver.ts isStateVisited).
  const d = new Driver(env, pre, { live: NO_SETS, need: NO_SETS }, limit, jmpLimit, states, new SccVisits(computeScc(succ, slots.length, (i) => pre.prune[i] === 2)), callUse);
  d.precision = { decided, exitNeedsR0, constKey, succ };
  d.setsDirty = true;
  d.collect = input.collectStates ?? true;
  d.logNotes = input.logNotes;
  if (input.staticFuncs?.length) d.staticFuncs = new Map(input.staticFuncs.map((g) => [g.pc, g]));
  env.funcInfo = input.funcInfo;
  env.nrCpus = input.nrCpus;
  env.sleepable = (input.sleepable ?? false) || ((input.progFlags ?? 0) & BPF_F_SLEEPABLE) !== 0;
  if (env.sleepable && !canBeSleepable(input.progType, input.expectedAttachType)) {
    env.verbose(SLEEPABLE_MESSAGE);
    env.verbose(statsLine(0, 0, 0, 0));
    return result('reject', [{ pc: 0, logInsn: null, message: SLEEPABLE_MESSAGE, detail: [], path: [], ...explain(SLEEPABLE_MESSAGE) }]);
  }
  if (input.globalFuncs?.length) env.globals = new Map(input.globalFuncs.map((g) => [g.pc, g]));
  if (input.poisoned) env.poisoned = new Map(input.poisoned.map((x) => [x.pc, x.message]));
  let err = d.run();
  // do_check_common at level 1: a verified program or subprogram leaves nothing of its trace.
  if (!err && env.popLog) env.resetLog(0);
  // do_check_subprogs: each called global function alone, until no new one is called.
  const verified = env.globals ? new Set<number>() : undefined;
  while (!err && env.globals && verified) {
    const next = [...d.calledGlobals].filter((x) => !verified.has(x)).sort((a, b) => a - b)[0];
    if (next === undefined) break;
    verified.add(next);
    const g = env.globals.get(next) as GlobalFunc;
    const idx = pre.subprogs.indexOf(next);
    env.verbose(`Validating ${g.name}() func#${idx}...`);
    err = d.run(g);
    if (!err && env.popLog) env.resetLog(0);
    if (!err) env.verbose(`Func#${idx} ('${g.name}') is safe for any args that match its prototype`);
  }
  const stats = { processed: env.processed, totalStates: d.totalStates, peakStates: d.peakStates, maxStatesPerInsn: d.maxPerInsn, maxStackDepth: env.maxStack };
  if (!err) {
    const stackErr = checkMaxStack(env, d) ?? kfuncFixupError(env);
    if (stackErr) {
      env.verbose(stackErr);
      env.verbose(statsLine(env.processed, d.maxPerInsn, d.totalStates, d.peakStates));
      return result('reject', [{ pc: 0, logInsn: null, message: stackErr, detail: [], path: [], ...explain(stackErr) }], stats);
    }
    if (level >= 2) {
      env.verbose(`stack depth ${d.stackDepths().join('+')}`);
    }
    if (level) env.verbose(statsLine(env.processed, d.maxPerInsn, d.totalStates, d.peakStates));
    return result('accept', [], stats);
  }
  env.verbose(statsLine(env.processed, d.maxPerInsn, d.totalStates, d.peakStates));
  return result('reject', [{ ...err, ...explain(err.message), ...rangeOf(lines, err.pc) }], stats);
}

function rangeOf(lines: Map<number, VerifierLine>, pc: number): { range?: { line: number; col: number; file?: string } } {
  let best: VerifierLine | undefined;
  for (const [p, l] of lines) if (p <= pc && (!best || p > best.pc)) best = l;
  return best ? { range: { line: best.line, col: best.col ?? 0, ...(best.file ? { file: best.file } : {}) } } : {};
}

function checkMaxStack(env: Env, d: Driver): string | undefined {
  // Depth per subprogram, rounded up to 32 (at least 1 byte), summed along call chains.
  // The x86-64 JIT is on: frames round up to 16 bytes (round_up_stack_depth).
  if (!d.anyCalls && d.asyncSubs.size === 0) {
    // No calls: only the main program's own depth counts.
    const main = Math.ceil(d.stackDepths()[0] / 16) * 16;
    return main > 512 ? `combined stack size of 1 calls is ${main}. Too large` : undefined;
  }
  const depth = d.stackDepths().map((x) => Math.ceil(x / 16) * 16);
  let worst: { frames: number; total: number } | undefined;
  let deep: number | undefined;
  const idx = (sp: number): number => Math.max(0, d.pre.subprogs.indexOf(sp));
  const walk = (sp: number, total: number, frames: number): void => {
    if (worst || deep) return;
    if (frames > 8) { deep = 8; return; }
    const t = total + depth[idx(sp)];
    if (t > 512) { worst = { frames, total: t }; return; }
    for (const c of d.calls.get(sp) ?? []) walk(c, t, frames + 1);
  };
  walk(0, 0, 1);
  // Async callbacks start their own call chains (check_max_stack_depth: is_async_cb roots).
  for (const a of d.asyncSubs) walk(a, 0, 1);
  void env;
  if (deep) return `the call stack of ${deep} frames is too deep !`;
  return worst ? `combined stack size of ${worst.frames} calls is ${worst.total}. Too large` : undefined;
}

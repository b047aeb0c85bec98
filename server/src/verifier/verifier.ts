/**
 * The verifier's driver (the kernel's do_check): depth-first path exploration
 * with a stack of pending branches, state pruning at prune points, infinite
 * loop detection, the processed-instruction limit, loads/stores, jumps and
 * null checks, subprogram calls and bpf_loop callbacks, exits with reference
 * and return-value checks, and the kernel-format log. Entry point: verify().
 */
import { Insn, OpSpec, encode } from '../isa';
import { KIND } from '../btf';
import { analyse, callUses, RegSets, successors } from './analysis';
import { checkAlu, readReg, writeReg } from './alu';
import { attachTargetError, ctxLayout } from './ctx-access';
import { Env, Reject } from './env';
import { CallbackCall, ELIDE_NULL, clearPktPointers, checkHelperCall, setCallbackArgs, timerMapRefusal } from './helper-call';
import { printInsn } from './insn-print';
import { BPF_F_SLEEPABLE, canBeSleepable, progFlagsRefusal, SLEEPABLE_MESSAGE } from './load-flags';
import { checkMemAccess, isPointerValue, regTypeStr } from './mem';
import { CALLBACK_HELPERS, Prepass, Slot, mapTypeName, prepass, slotsFromBytes } from './prepass';
import { cleanDeadSlots, maybeLooping, statesEqual } from './prune';
import { StackLiveness } from './liveness';
import { SccVisits, computeScc } from './scc';
import { F, Reg, S32_MIN, T, isPktAny, markConst, markKnownZero, markNotInit, markUnknown } from './reg';
import { AT_PKT_END, BEYOND_PKT_END, FLIP, branchTaken, constImm, setMinMax } from './scalar';
import { Frame, VState, stateStr } from './state';
import { tisConst, tsubreg } from './tnum';
import type { GlobalFunc, PathStep, VerifyInput, VerifyResult, VerifierLine } from './types';
import { explain } from './explain';
import { checkKfuncCall, kfuncFixupError } from './kfunc';
import { checkGlobalCall, checkGlobalExit, globalEntryFrame } from './global-func';
import { IterRef, iterActiveAtR1, iterNextSplit, iterSlot, ITER_ACTIVE, widenImprecise } from './kfunc-iter';

interface Checkpoint { st: VState; pc: number; branches: number; parent: Checkpoint | null; hit: number; miss: number; cleaned?: boolean }

const SIZES = [4, 2, 1, 8];

interface Step { pc: number; taken: boolean; prev: Step | null }

interface Path {
  st: VState;
  insn: number;
  prev: number;
  parent: Checkpoint | null;
  steps: Step | null;
}

function stepsOf(s: Step | null): PathStep[] {
  const out: PathStep[] = [];
  for (let x = s; x && out.length < 10000; x = x.prev) out.push({ pc: x.pc, taken: x.taken });
  return out.reverse();
}

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
  try {
    return run(input, t0);
  } catch (e) {
    const msg = `internal verifier error: ${e instanceof Error ? e.message : String(e)}`;
    return {
      verdict: 'reject', errors: [{ pc: 0, logInsn: null, message: msg, detail: [], explanation: 'The embedded verifier hit a bug.', suggestion: 'Report this program.', path: [] }],
      states: [], stats: { processed: 0, totalStates: 0, peakStates: 0, maxStatesPerInsn: 0, maxStackDepth: 0, timeMs: Date.now() - t0 }, log: msg + '\n',
    };
  }
}

function statsLine(processed: number, perInsn: number, total: number, peak: number): string {
  return `processed ${processed} insns (limit 1000000) max_states_per_insn ${perInsn} total_states ${total} peak_states ${peak} mark_read 0`;
}

function run(input: VerifyInput & { bytes?: Uint8Array }, t0: number): VerifyResult {
  const bytes = input.bytes ?? encode(input.insns);
  const slots = slotsFromBytes(bytes);
  const maps = input.maps ?? [];
  const level = input.logLevel ?? 1;
  const root = (input.privileged ?? 'root') === 'root';
  const limit = input.limits?.insns ?? 1_000_000;
  const jmpLimit = input.limits?.jmpSeq ?? 8192;
  const pre = prepass(slots, maps, input.btf, input.funcStarts);
  // Refusals before the verifier runs (libbpf's attach-target lookup, bpf_prog_load's capability check): no log.
  const refused = (message: string, help: { explanation: string; suggestion: string }): VerifyResult => ({
    verdict: 'reject', errors: [{ pc: 0, logInsn: null, message, detail: [], path: [], ...help }],
    states: [], stats: { processed: 0, totalStates: 0, peakStates: 0, maxStatesPerInsn: 0, maxStackDepth: 0, timeMs: Date.now() - t0 }, log: '',
  });
  const targetErr = input.libbpfError ?? attachTargetError(input.progType, input.expectedAttachType, input.attachTo, input.btf);
  if (targetErr) return refused(targetErr, explain(targetErr));
  if (!root && PERFMON_TYPES.has(input.progType)) {
    return refused('BPF program load failed: Operation not permitted', {
      explanation: 'Loading tracing program types (kprobe, tracepoint, perf_event, raw_tracepoint, tracing, lsm) needs CAP_PERFMON as well as CAP_BPF.',
      suggestion: 'Grant CAP_PERFMON (or load as root).',
    });
  }
  const flagsErr = progFlagsRefusal(input.progFlags ?? 0);
  if (flagsErr) return refused(flagsErr.message, flagsErr);
  const lines = new Map<number, VerifierLine>();
  for (const l of input.lineInfo ?? []) lines.set(l.pc, l);
  const env = new Env(level ? insnsFromSlots(slots, pre.specs) : [], pre, maps, input.progType, input.expectedAttachType,
    ctxLayout(input.progType, input.expectedAttachType), root, level, ((input.progFlags ?? 0) & 1) !== 0, input.gpl ?? true,
    input.btf, input.attachTo, lines);
  const states: (string[] | undefined)[] = new Array(slots.length);
  const result = (verdict: 'accept' | 'reject', errs: VerifyResult['errors'], extra: Partial<VerifyResult['stats']> = {}): VerifyResult => ({
    verdict, errors: errs, states,
    stats: { processed: 0, totalStates: 0, peakStates: 0, maxStatesPerInsn: 0, maxStackDepth: 0, ...extra, timeMs: Date.now() - t0 },
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
    return result('reject', [{ pc: 0, logInsn: null, message: timerErr, detail: [], path: [], ...explain(timerErr) }]);
  }
  const callUse = callUses(slots, input.btf);
  const succ = successors(slots, pre.specs);
  const sets = analyse(slots, pre.specs, returnRange(input.progType, input.expectedAttachType) !== undefined, true,
    (m) => !maps[m] || ELIDE_NULL.has(mapTypeName(maps[m])), callUse, succ);
  env.live = new StackLiveness(succ, pre.subprogs, slots.length);
  const d = new Driver(env, pre, sets, limit, jmpLimit, states, new SccVisits(computeScc(succ, slots.length, (i) => pre.prune[i] === 2)), callUse);
  d.collect = input.collectStates ?? true;
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
  // do_check_subprogs: each called global function alone, until no new one is called.
  const verified = new Set<number>();
  while (!err && env.globals) {
    const next = [...d.calledGlobals].filter((x) => !verified.has(x)).sort((a, b) => a - b)[0];
    if (next === undefined) break;
    verified.add(next);
    const g = env.globals.get(next) as GlobalFunc;
    const idx = pre.subprogs.indexOf(next);
    env.verbose(`Validating ${g.name}() func#${idx}...`);
    err = d.run(g);
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

class Driver {
  totalStates = 0;
  peakStates = 0;
  maxPerInsn = 0;
  private curStates = 0;
  private explored = new Map<number, Checkpoint[]>();
  private stack: Path[] = [];
  private jmps = 0;
  private prevJmps = 0;
  private prevInsns = 0;
  readonly calls = new Map<number, Set<number>>();
  private depthBySub = new Map<number, number>();
  private lastLine: VerifierLine | undefined;

  constructor(readonly env: Env, readonly pre: Prepass, readonly sets: RegSets, readonly limit: number, readonly jmpLimit: number,
    readonly states: (string[] | undefined)[], readonly scc: SccVisits, readonly callUse: (i: number) => number) {
    this.nospec = new Uint8Array(pre.slots.length);
  }

  stackDepths(): number[] {
    return this.pre.subprogs.map((s) => this.depthBySub.get(s) ?? 0);
  }

  noteDepth(f: Frame): void {
    if (f.allocated <= f.notedDepth) return;
    f.notedDepth = f.allocated;
    if (f.allocated > (this.depthBySub.get(f.subprog) ?? 0)) this.depthBySub.set(f.subprog, f.allocated);
  }

  private subOf(pc: number): number {
    let s = 0;
    for (const x of this.pre.subprogs) if (x <= pc) s = x;
    return s;
  }

  /** Global functions called so far (verified after the main program). */
  readonly calledGlobals = new Set<number>();
  /** Verifying a global function alone (its exit returns a scalar, no program return checks). */
  private global: GlobalFunc | undefined;

  run(entry?: GlobalFunc): { pc: number; logInsn: number | null; message: string; detail: string[]; path: PathStep[] } | undefined {
    const env: Env = this.env;
    this.global = entry;
    this.explored.clear();
    this.stack.length = 0;
    this.curStates = 0;
    let f: Frame;
    if (entry) f = globalEntryFrame(env, entry);
    else {
      f = new Frame(0);
      const r1 = f.regs[1];
      markKnownZero(r1);
      r1.type = T.CTX;
    }
    const start = entry?.pc ?? 0;
    let cur: Path | undefined = { st: new VState([f]), insn: start, prev: -1, parent: null, steps: null };
    env.state = cur.st;
    for (let i = 1; i <= 10; i++) if (f.regs[i].type !== T.NOT_INIT) env.scratch.reg(i);
    if (env.logLevel) env.raw(`${start}:${stateStr(cur.st, env.printCtx, true)}\n`);
    env.scratch.clear();
    let doPrint = false;
    const btf = env.btf;
    const kfuncName = (i: Insn): string | undefined => (btf && i.imm > 0 && i.imm < btf.count && btf.kind(i.imm) === KIND.FUNC ? btf.name(i.imm) : undefined);
    while (cur) {
      env.state = cur.st;
      env.insnIdx = cur.insn;
      env.prevInsnIdx = cur.prev;
      const pc = cur.insn;
      let logMark = env.logLength();
      try {
        if (++env.processed > this.limit) env.fail(`BPF program is too large. Processed ${env.processed} insn`);
        if (this.pre.prune[pc]) {
          if (this.isStateVisited(cur)) {
            if (env.logLevel) {
              if (doPrint) env.raw(`\nfrom ${cur.prev} to ${pc}${cur.st.speculative ? ' (speculative execution)' : ''}: safe\n`);
              else env.raw(`${pc}: safe\n`);
            }
            env.live?.update(cur.st);
            cur = this.endPath(cur);
            doPrint = true;
            continue;
          }
        }
        if (cur.st.speculative && this.nospec[pc]) {
          // An instruction that failed on a speculative path ends every later one there (insn_aux->nospec).
          env.live?.update(cur.st);
          cur = this.endPath(cur);
          doPrint = true;
          continue;
        }
        if (env.logLevel >= 2 && doPrint) {
          env.fullState(`\nfrom ${cur.prev} to ${pc}${cur.st.speculative ? ' (speculative execution)' : ''}:`);
        }
        doPrint = false;
        logMark = env.logLength();
        if (env.logLevel) {
          if (env.scratch.any) env.printInsnState();
          this.linfo(pc);
          const insn = env.insns[pc];
          env.insnLine(`${pc}: ${insn ? printInsn(insn, { allowPtrLeaks: env.allowPtrLeaks, mapAddr: (i) => 0xffff888100000000n + BigInt((i.imm & 0xff) * 0x400), kfuncName }) : `(${this.pre.slots[pc].code.toString(16).padStart(2, '0')}) unknown`}`);
        }
        env.live?.begin(cur.st, pc);
        const r = this.step(cur);
        env.live?.commit();
        cur.prev = pc;
        this.noteDepth(cur.st.cur);
        if (this.collect && this.recorded < 100000) this.record(pc, cur.st);
        if (r === 'exit') {
          env.live?.update(cur.st);
          cur = this.endPath(cur);
          doPrint = true;
        }
      } catch (e) {
        if (!(e instanceof Reject)) throw e;
        const p = cur as Path;
        // Only the instruction checks' errors end a speculative path (error_recoverable_with_nospec);
        // loop detection, the jump-sequence, call-depth and instruction limits (-E2BIG) stop the verifier.
        const fatal = /^(infinite loop detected|The sequence of|BPF program is too large|the call stack of)/.test(e.message);
        if (p.st.speculative && !fatal) {
          env.truncateLog(logMark);
          this.nospec[pc] = 1;
          env.aluAux.delete(pc);
          env.live?.commit();
          env.live?.update(p.st);
          cur = this.endPath(p);
          doPrint = true;
          continue;
        }
        const detail: string[] = [];
        // Found before the instruction is printed: the log's last instruction is the previous one.
        const logInsn = /^(BPF program is too large|infinite loop detected)/.test(e.message) ? p.prev : pc;
        return { pc, logInsn, message: e.message, detail, path: stepsOf(p.steps) };
      }
    }
    return undefined;
  }

  collect = true;
  private recorded = 0;
  /** Instructions that failed on a speculative path (the kernel's insn_aux->nospec). */
  private readonly nospec: Uint8Array;

  private record(pc: number, st: VState): void {
    const list = this.states[pc] ?? (this.states[pc] = []);
    if (list.length < 4) { list.push(stateStr(st, this.env.printCtx, true).trim()); this.recorded++; }
  }

  private linfo(pc: number): void {
    const l = this.env.lines.get(pc);
    if (!l || l === this.lastLine) return;
    this.lastLine = l;
    const file = (l.file ?? '').split('/').pop() ?? '';
    this.env.raw(`; ${l.text.replace(/^\s+/, '')} @ ${file}:${l.line}\n`);
  }

  /** update_branch_counts then pop_stack. */
  private endPath(p: Path): Path | undefined {
    let c = p.parent;
    while (c) {
      c.branches--;
      if (c.branches > 0) break;
      this.scc.exit(c.st, c.pc, c);
      c = c.parent;
    }
    const next = this.stack.pop();
    if (next) markAllScratched(this.env);
    return next;
  }

  private push(p: Path, target: number, st: VState, taken: boolean): Path {
    if (this.stack.length + 1 > this.jmpLimit) this.env.fail(`The sequence of ${this.stack.length + 1} jumps is too complex.`);
    const np: Path = { st, insn: target, prev: p.insn, parent: p.parent, steps: { pc: p.insn, taken, prev: p.steps } };
    if (p.parent) p.parent.branches++;
    this.stack.push(np);
    return np;
  }

  private isStateVisited(cur: Path): boolean {
    const env: Env = this.env;
    const pc = cur.insn;
    const list = this.explored.get(pc) ?? [];
    const force = this.pre.prune[pc] >= 2;
    let addNew = force || (this.jmps - this.prevJmps >= 2 && env.processed - this.prevInsns >= 8);
    const live = this.sets.live[pc]; const need = this.sets.need[pc];
    const ns = this.sets.needStack; const nlo = ns ? ns[2 * pc] | 0 : -1; const nhi = ns ? ns[2 * pc + 1] | 0 : -1;
    const liveAt = this.sets.live;
    // clean_live_states: finished explored states here forget the stack slots no path reads again.
    for (const sl of list) {
      if (sl.branches > 0 || sl.cleaned || !sameCallsites(sl.st, cur.st) || this.scc.incomplete(sl.st, pc)) continue;
      sl.cleaned = true;
      if (env.live) cleanDeadSlots(sl.st, env.live.aliveMasks(sl.st, pc));
    }
    for (let k = 0; k < list.length; k++) {
      const sl = list[k];
      if (sl.branches > 0 && this.pre.prune[pc] === 3) {
        // Iterator loops: a state within the ranges of an earlier loop-head state with the iterator active converges.
        if (statesEqual(sl.st, cur.st, live, live, false, env.allowUninitStack, -1, -1, liveAt) && iterActiveAtR1(cur.st)) {
          sl.hit++;
          this.scc.backedge(sl.st, pc);
          return true;
        }
      } else if (sl.branches > 0 && this.pre.prune[pc] === 2) {
        // Callback calls: converge within ranges (RANGE_WITHIN), a backedge of the call's implicit loop.
        if (statesEqual(sl.st, cur.st, live, live, false, env.allowUninitStack, -1, -1, liveAt)) {
          sl.hit++;
          this.scc.backedge(sl.st, pc);
          return true;
        }
      } else if (sl.branches > 0) {
        if (maybeLooping(sl.st, cur.st) && statesEqual(sl.st, cur.st, live, need, true, env.allowUninitStack)) {
          this.linfo(pc);
          env.verbose(`infinite loop detected at insn ${pc}`);
          env.raw(`cur state:${stateStr(cur.st, env.printCtx, true)}\n`);
          env.raw(`old state:${stateStr(sl.st, env.printCtx, true)}\n`);
          throw new Reject(`infinite loop detected at insn ${pc}`);
        }
        if (!force && this.jmps - this.prevJmps < 20 && env.processed - this.prevInsns < 100) addNew = false;
      } else {
        // A state in a loop still being explored has incomplete marks: all scalars compared (RANGE_WITHIN), a backedge.
        const loop = this.scc.incomplete(sl.st, pc);
        if (loop ? statesEqual(sl.st, cur.st, live, live, false, env.allowUninitStack, -1, -1, liveAt)
          : statesEqual(sl.st, cur.st, live, need, false, env.allowUninitStack, nlo, nhi, liveAt)) {
          sl.hit++;
          if (loop) this.scc.backedge(sl.st, pc);
          return true;
        }
      }
      // Misses count only when a new state is going to be added (so loop iterations do not evict earlier ones).
      if (addNew) sl.miss++;
      // Checkpoints on the current path at forced checkpoints (iterator next) get more misses before eviction.
      const n = this.pre.prune[pc] === 3 && sl.branches > 0 ? 64 : 3;
      if (sl.miss > sl.hit * n + n) { list.splice(k, 1); k--; this.curStates--; }
    }
    if (!addNew) return false;
    const cp: Checkpoint = { st: cur.st.clone(), pc, branches: 1, parent: cur.parent, hit: 0, miss: 0 };
    cur.parent = cp;
    list.push(cp);
    this.scc.enter(cp.st, pc, cp);
    this.explored.set(pc, list);
    this.totalStates++;
    this.curStates++;
    if (this.curStates > this.peakStates) this.peakStates = this.curStates;
    if (list.length > this.maxPerInsn) this.maxPerInsn = list.length;
    this.prevJmps = this.jmps;
    this.prevInsns = env.processed;
    return false;
  }

  /** Executes one instruction; updates cur.insn. */
  private step(cur: Path): 'next' | 'exit' {
    const env: Env = this.env;
    const pc = cur.insn;
    const sl = this.pre.slots[pc];
    const s = this.pre.specs[pc];
    const cls = sl.code & 7;
    const mode = sl.code & 0xe0;
    const size = SIZES[(sl.code >> 3) & 3];

    switch (cls) {
      case 4: case 7:
        checkAlu(env, s, sl);
        break;
      case 1: {
        readReg(env, sl.src);
        writeReg(env, sl.dst, false);
        checkMemAccess(env, sl.src, sl.off, size, false, { valueRegno: sl.dst, isLdsx: mode === 0x80 });
        break;
      }
      case 3: {
        if (mode === 0xc0) { this.atomic(sl, s, size); break; }
        if (mode !== 0x60 || sl.imm !== 0) env.fail('BPF_STX uses reserved fields');
        readReg(env, sl.src);
        readReg(env, sl.dst);
        checkMemAccess(env, sl.dst, sl.off, size, true, { valueRegno: sl.src });
        break;
      }
      case 2: {
        if (mode !== 0x60 || sl.src !== 0) env.fail('BPF_ST uses reserved fields');
        readReg(env, sl.dst);
        checkMemAccess(env, sl.dst, sl.off, size, true, { valueRegno: -1, stImm: sl.imm });
        break;
      }
      case 0: {
        if (mode === 0x20 || mode === 0x40) { this.ldAbs(sl, size); break; }
        this.ldImm(sl);
        cur.insn += 2;
        return 'next';
      }
      case 5: case 6:
        return this.jmp(cur, sl, s);
    }
    cur.insn++;
    return 'next';
  }

  private atomic(sl: Slot, s: OpSpec | undefined, size: number): void {
    const env: Env = this.env;
    if (!s) env.fail(`BPF_ATOMIC uses invalid atomic opcode ${(sl.imm >>> 0).toString(16).padStart(2, '0')}`);
    if (size !== 4 && size !== 8) env.fail('invalid atomic operand size');
    readReg(env, sl.src);
    readReg(env, sl.dst);
    if (s.atomic === 'cmpxchg') {
      readReg(env, 0);
      if (isPointerValue(env, env.regs[0])) env.fail('R0 leaks addr into mem');
    }
    if (isPointerValue(env, env.regs[sl.src])) env.fail(`R${sl.src} leaks addr into mem`);
    const dt = env.regs[sl.dst].type;
    if (dt === T.CTX || dt === T.PKT || dt === T.PKT_META || dt === T.PKT_END || dt === T.FLOW_KEYS || dt === T.SOCKET || dt === T.SOCK_COMMON || dt === T.TCP_SOCK) {
      env.fail(`BPF_ATOMIC stores into R${sl.dst} ${regTypeStr(env.regs[sl.dst])} is not allowed`);
    }
    let load = -1;
    if (s.fetch) { load = s.atomic === 'cmpxchg' ? 0 : sl.src; writeReg(env, load, true); }
    checkMemAccess(env, sl.dst, sl.off, size, false, { valueRegno: -1 });
    if (load >= 0) checkMemAccess(env, sl.dst, sl.off, size, false, { valueRegno: load });
    checkMemAccess(env, sl.dst, sl.off, size, true, { valueRegno: -1 });
  }

  private ldAbs(sl: Slot, size: number): void {
    const env: Env = this.env;
    const t = env.progType;
    if (t !== 'socket_filter' && t !== 'sched_cls' && t !== 'sched_act') env.fail('BPF_LD_[ABS|IND] instructions not allowed for this program type');
    if (sl.dst !== 0 || sl.off !== 0 || size === 8 || ((sl.code & 0xe0) === 0x20 && sl.src !== 0)) env.fail('BPF_LD_[ABS|IND] uses reserved fields');
    readReg(env, 6);
    if (env.state.refs.length) env.fail('BPF_LD_[ABS|IND] would lead to reference leak');
    if (env.regs[6].type !== T.CTX) env.fail('at the time of BPF_LD_ABS|IND R6 != pointer to skb');
    if ((sl.code & 0xe0) === 0x40) readReg(env, sl.src);
    for (let i = 0; i <= 5; i++) { markNotInit(env.regs[i]); env.scratch.reg(i); }
    markUnknown(env.regs[0]);
  }

  private ldImm(sl: Slot): void {
    const env: Env = this.env;
    if (((sl.code >> 3) & 3) !== 3) env.fail('invalid BPF_LD_IMM insn');
    if (sl.off !== 0) env.fail('BPF_LD_IMM64 uses reserved fields');
    const d = writeReg(env, sl.dst, true);
    const hi = this.pre.slots[env.insnIdx + 1].imm;
    if (sl.src === 0) {
      markConst(d, (BigInt(hi >>> 0) << 32n) | BigInt(sl.imm >>> 0));
      return;
    }
    markKnownZero(d);
    if (sl.src === 3) { d.type = T.BTF_ID; d.flags = F.TRUSTED; return; }
    if (sl.src === 4) {
      if (env.funcInfo === false) env.fail('missing btf func_info');
      d.type = T.FUNC;
      d.subprog = env.insnIdx + sl.imm + 1;
      if (env.globals?.has(d.subprog)) env.fail('callback function not static');
      return;
    }
    d.map = sl.imm;
    if (sl.src === 2 || sl.src === 6) { d.type = T.MAP_VALUE; d.off = hi; }
    else d.type = T.MAP_PTR;
  }

  private jmp(cur: Path, sl: Slot, s: OpSpec | undefined): 'next' | 'exit' {
    const env: Env = this.env;
    const op = sl.code & 0xf0;
    const cls = sl.code & 7;
    this.jmps++;
    if (op === 0x80) {
      if ((sl.code & 8) || (sl.src !== 2 && sl.off !== 0) || (sl.src !== 0 && sl.src !== 1 && sl.src !== 2) || sl.dst !== 0 || cls === 6) {
        env.fail('BPF_CALL uses reserved fields');
      }
      if (sl.src === 1) return this.localCall(cur, sl);
      if (sl.src === 2) {
        const out = checkKfuncCall(env, sl.imm, cur.insn);
        if (out.iterNext) this.iterNext(cur, out.iterNext);
      } else {
        // The state before the call, kept only for helpers that call back (the callback starts from it).
        const saved = CALLBACK_HELPERS.has(sl.imm) ? cur.st.clone() : undefined;
        const out = checkHelperCall(env, sl.imm, cur.insn);
        if (out.callback) {
          if (!saved) throw new Error(`helper ${sl.imm} calls back but is not in CALLBACK_HELPERS`);
          this.pushCallback(cur, saved, out.callback);
        }
      }
      env.scratch.reg(0);
      cur.insn++;
      return 'next';
    }
    if (op === 0x00) {
      if ((sl.code & 8) || sl.src !== 0 || sl.dst !== 0 || (cls === 5 && sl.imm !== 0) || (cls === 6 && sl.off !== 0)) env.fail('BPF_JA uses reserved fields');
      cur.insn += (cls === 5 ? sl.off : sl.imm) + 1;
      return 'next';
    }
    if (op === 0x90) {
      if ((sl.code & 8) || sl.imm !== 0 || sl.src !== 0 || sl.dst !== 0 || cls === 6) env.fail('BPF_EXIT uses reserved fields');
      return this.exit(cur);
    }
    if (op > 0xd0 || !s) env.fail(`invalid BPF_JMP/JMP32 opcode ${(op >> 4).toString(16)}`);
    this.condJmp(cur, sl, s as OpSpec);
    return 'next';
  }

  private condJmp(cur: Path, sl: Slot, s: OpSpec): void {
    const env: Env = this.env;
    const jop = s.jmp ?? 'jeq';
    const is32 = !s.is64;
    const isX = (sl.code & 8) !== 0;
    const dst = readReg(env, sl.dst);
    let src: Reg;
    if (isX) {
      if (sl.imm !== 0) env.fail('BPF_JMP/JMP32 uses reserved fields');
      src = readReg(env, sl.src);
      if (!(isPktAny(dst) && isPktAny(src)) && isPointerValue(env, src)) env.fail(`R${sl.src} pointer comparison prohibited`);
    } else {
      if (sl.src !== 0) env.fail('BPF_JMP/JMP32 uses reserved fields');
      src = constImm(sl.imm);
    }
    const target = cur.insn + sl.off + 1;
    const pred = branchTaken(dst, src, jop, is32);
    if (pred === 1) {
      if (!env.bypassSpecV1) this.push(cur, cur.insn + 1, specState(cur.st, sl), false);
      env.printInsnState();
      cur.steps = { pc: cur.insn, taken: true, prev: cur.steps };
      cur.insn = target;
      return;
    }
    if (pred === 0) {
      if (!env.bypassSpecV1) this.push(cur, target, specState(cur.st, sl), true);
      env.printInsnState();
      cur.insn++;
      return;
    }
    const otherSt = cur.st.clone();
    const other = this.push(cur, target, otherSt, true);
    const oregs = otherSt.cur.regs;
    const regs = cur.st.cur.regs;
    const od = oregs[sl.dst];
    if (isX) {
      setMinMax(od, oregs[sl.src], dst, src, jop, is32);
    } else {
      const fake0 = src.clone(); const fake1 = src.clone();
      setMinMax(od, fake0, dst, fake1, jop, is32);
    }
    if (isX && src.type === T.SCALAR && src.id) { syncLinked(cur.st, src); syncLinked(otherSt, oregs[sl.src]); }
    if (dst.type === T.SCALAR && dst.id) { syncLinked(cur.st, dst); syncLinked(otherSt, od); }
    if (!is32 && isX && src.type !== T.SCALAR && dst.type !== T.SCALAR && ((src.flags & F.MAYBE_NULL) !== (dst.flags & F.MAYBE_NULL)) &&
      src.type !== T.BTF_ID && dst.type !== T.BTF_ID) {
      const eq = jop === 'jeq' ? oregs : jop === 'jne' ? regs : undefined;
      if (eq) { const r = (src.flags & F.MAYBE_NULL) ? eq[sl.src] : eq[sl.dst]; r.flags &= ~F.MAYBE_NULL; }
    }
    if (!is32 && !isX && sl.imm === 0 && (jop === 'jeq' || jop === 'jne') && (dst.flags & F.MAYBE_NULL)) {
      markPtrOrNull(cur.st, dst.id, dst.refObjId, jop === 'jne');
      markPtrOrNull(otherSt, od.id, od.refObjId, jop === 'jeq');
    } else if (!matchPktPointers(jop, is32, isX, dst, isX ? src : undefined, sl, cur.st, otherSt) && isPointerValue(env, dst)) {
      env.fail(`R${sl.dst} pointer comparison prohibited`);
    }
    void other;
    env.printInsnState();
    cur.insn++;
  }

  private localCall(cur: Path, sl: Slot): 'next' {
    const env: Env = this.env;
    const st = cur.st;
    const target = cur.insn + sl.imm + 1;
    const g = env.globals?.get(target);
    if (g) {
      checkGlobalCall(env, g, this.pre.subprogs.indexOf(target));
      this.calledGlobals.add(target);
      const from = this.subOf(cur.insn);
      this.calls.set(from, (this.calls.get(from) ?? new Set<number>()).add(target));
      cur.insn++;
      return 'next';
    }
    if (st.curframe + 1 >= 8) env.fail(`the call stack of ${st.curframe + 2} frames is too deep`);
    env.live?.resetChain();
    const caller = st.cur;
    const callee = new Frame(st.curframe + 1);
    callee.callsite = cur.insn;
    callee.subprog = target;
    for (let i = 1; i <= 5; i++) callee.regs[i].copyFrom(caller.regs[i]);
    for (let i = 0; i <= 5; i++) markNotInit(caller.regs[i]);
    st.frames.push(callee);
    const from = this.subOf(cur.insn);
    const set = this.calls.get(from) ?? new Set<number>();
    set.add(target);
    this.calls.set(from, set);
    if (env.logLevel) {
      env.raw('caller:\n');
      env.raw(`${frameLine(env, st, st.curframe - 1)}\n`);
      env.raw('callee:\n');
      env.raw(`${frameLine(env, st, st.curframe)}\n`);
    }
    cur.insn = target;
    return 'next';
  }

  /** push_callback_call: the callback as a pending path from the state before the call (timers: push_async_cb, a fresh frame 0). */
  private pushCallback(cur: Path, saved: VState, cb: CallbackCall): void {
    const env: Env = this.env;
    if (cb.kind === 'timer') {
      const f = new Frame(0);
      f.subprog = cb.subprog;
      setCallbackArgs(saved.cur, f, cb);
      this.asyncSubs.add(cb.subprog);
      this.push(cur, cb.subprog, new VState([f]), true);
      return;
    }
    if (saved.curframe + 1 >= 8) env.fail(`the call stack of ${saved.curframe + 2} frames is too deep`);
    const caller = saved.cur;
    const callee = new Frame(saved.curframe + 1);
    callee.callsite = cur.insn;
    callee.subprog = cb.subprog;
    callee.inCallback = true;
    setCallbackArgs(caller, callee, cb);
    caller.callbackDepth++;
    saved.frames.push(callee);
    cur.st.frames[cur.st.curframe].callbackDepth = 0;
    const from = this.subOf(cur.insn);
    const set = this.calls.get(from) ?? new Set<number>();
    set.add(cb.subprog);
    this.calls.set(from, set);
    this.push(cur, cb.subprog, saved, true);
  }

  /** Async callbacks (bpf_timer_set_callback), by subprogram start: verified in frame 0, return 0, own stack root. */
  readonly asyncSubs = new Set<number>();

  private widenSets: RegSets | undefined;
  /** Precision for widen_imprecise_scalars: value uses (pointer arithmetic, sizes, checked returns), not comparisons. */
  private widenNeed(): RegSets {
    this.widenSets ??= analyse(this.pre.slots, this.pre.specs, returnRange(this.env.progType, this.env.attachType) !== undefined, false, undefined, this.callUse);
    return this.widenSets;
  }

  /** process_iter_next_call: an active iterator forks into a queued state (active, one deeper, R0 not NULL) and the current one (drained, R0 = 0). */
  private iterNext(cur: Path, it: IterRef): void {
    const st = cur.st;
    if (it.frameno === st.curframe) this.env.scratch.slot(it.spi);
    if (iterSlot(st, it)?.memSize === ITER_ACTIVE) {
      const queued = st.clone();
      let prev = cur.parent?.parent ?? null;
      while (prev && (prev.pc !== cur.insn || prev.branches <= 0 || !sameCallsites(prev.st, st))) prev = prev.parent;
      iterNextSplit(st, queued, it);
      // Precision is static here (comparisons left out, as the kernel marks only decided ones).
      if (prev) widenImprecise(prev.st, queued, this.widenNeed().need[cur.insn + 1] ?? 0);
      this.push(cur, cur.insn + 1, queued, true);
      return;
    }
    iterNextSplit(st, st.clone(), it);
  }

  private exit(cur: Path): 'next' | 'exit' {
    const env: Env = this.env;
    const st = cur.st;
    if (st.curframe === 0) {
      for (const r of st.refs) env.verbose(`Unreleased reference id=${r.id} alloc_insn=${r.insn}`);
      if (st.refs.length) env.fail('BPF_EXIT instruction in main prog would lead to reference leak');
      if (st.rcuLock) env.fail('BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region');
      if (this.global) checkGlobalExit(env);
      else if (this.asyncSubs.has(st.cur.subprog)) this.checkAsyncReturn();
      else this.checkReturn();
      return 'exit';
    }
    const callee = st.cur;
    env.live?.update(st);
    const r0 = callee.regs[0];
    if (r0.type === T.STACK) env.fail('cannot return stack pointer to the caller');
    st.frames.pop();
    const caller = st.cur;
    if (callee.inCallback) {
      if (r0.type !== T.SCALAR) env.fail('R0 not a scalar value');
      if (r0.smin < 0n || r0.smax > 1n) env.fail(invalidScalar('At callback return', r0, [0, 1]));
      cur.insn = callee.callsite;
    } else {
      caller.regs[0].copyFrom(r0);
      cur.insn = callee.callsite + 1;
    }
    env.scratch.reg(0);
    if (env.logLevel) {
      env.raw('returning from callee:\n');
      env.raw(`${frameLineOf(env, st, callee)}\n`);
      env.raw(`to caller at ${cur.insn}:\n`);
      env.raw(`${frameLine(env, st, st.curframe)}\n`);
    }
    if (callee.inCallback) this.widenAtCallsite(cur);
    return 'next';
  }

  /**
   * prepare_func_exit after a callback: widen_imprecise_scalars against the callsite's state earlier
   * on this path (find_prev_entry), so callbacks that accumulate into the caller's stack converge.
   * The call's argument registers stay precise (the helper checks them; bpf_loop's count bounds the unrolling).
   */
  private widenAtCallsite(cur: Path): void {
    const st = cur.st;
    let prev = cur.parent;
    while (prev && (prev.pc !== cur.insn || prev.branches <= 0 || !sameCallsites(prev.st, st))) prev = prev.parent;
    if (prev) widenImprecise(prev.st, st, (this.widenNeed().need[cur.insn] ?? 0) | 0b111110);
  }

  private checkReturn(): void {
    const env: Env = this.env;
    const r0 = readReg(env, 0);
    if (isPointerValue(env, r0)) env.fail('R0 leaks addr as return value');
    const range = returnRange(env.progType, env.attachType);
    if (!range) return;
    if (r0.type !== T.SCALAR) env.fail(`At program exit the register R0 is not a known value (${regTypeStr(r0)})`);
    if (r0.smin < BigInt(range[0]) || r0.smax > BigInt(range[1])) env.fail(invalidScalar('At program exit', r0, range));
  }


  /** check_return_code for an async callback (in_async_callback_fn): R0 must be 0. */
  private checkAsyncReturn(): void {
    const env: Env = this.env;
    const r0 = readReg(env, 0);
    if (isPointerValue(env, r0)) env.fail('R0 leaks addr as return value');
    if (r0.type !== T.SCALAR) env.fail(`At async callback return the register R0 is not a known value (${regTypeStr(r0)})`);
    if (r0.smin < 0n || r0.smax > 0n) env.fail(invalidScalar('At async callback return', r0, [0, 0]));
  }
}

/** verbose_invalid_scalar: `CTX the register R0 has smin=.. smax=.. should have been in [a, b]`. */
function invalidScalar(ctx: string, r0: Reg, range: [number, number]): string {
  let s = `${ctx} the register R0 has`;
  let unknown = true;
  if (r0.smin > -(1n << 63n)) { s += ` smin=${r0.smin}`; unknown = false; }
  if (r0.smax < (1n << 63n) - 1n) { s += ` smax=${r0.smax}`; unknown = false; }
  if (unknown) s += ' unknown scalar value';
  return `${s} should have been in [${range[0]}, ${range[1]}]`;
}

/** The return values a program type (and attach type) allows, when the kernel checks them (check_return_code). */
function returnRange(progType: string, attachType: string | undefined): [number, number] | undefined {
  const at = attachType ?? '';
  switch (progType) {
    case 'cgroup_sock_addr':
      if (/recvmsg|getpeername|getsockname/.test(at)) return [1, 1];
      if (/bind/.test(at)) return [0, 3];
      return [0, 1];
    case 'cgroup_skb': return at === 'cgroup_inet_egress' ? [0, 3] : [0, 1];
    case 'cgroup_sock': case 'sock_ops': case 'cgroup_device': case 'cgroup_sysctl': case 'cgroup_sockopt':
    case 'sk_lookup': case 'netfilter':
      return [0, 1];
    case 'tracing': return at === 'trace_fentry' || at === 'trace_fexit' ? [0, 0] : at === 'trace_iter' ? [0, 1] : undefined;
    default: return undefined;
  }
}

function sameCallsites(a: VState, b: VState): boolean {
  if (a.frames.length !== b.frames.length) return false;
  for (let i = 0; i < a.frames.length; i++) if (a.frames[i].callsite !== b.frames[i].callsite) return false;
  return true;
}

function frameLine(env: Env, st: VState, fi: number): string {
  const s = new VState([st.frames[fi]]);
  s.refs = st.refs;
  return stateStr(s, env.printCtx, true).trim();
}
function frameLineOf(env: Env, st: VState, f: Frame): string {
  const s = new VState([f]);
  s.refs = st.refs;
  return stateStr(s, env.printCtx, true).trim();
}

function markAllScratched(env: Env): void {
  for (let i = 0; i < 11; i++) env.scratch.reg(i);
  for (let i = 0; i < 64; i++) env.scratch.slot(i);
}

/** sanitize_speculative_path: the branch not taken, explored speculatively with the compared registers unknown. */
function specState(st: VState, sl: Slot): VState {
  const s = st.clone();
  s.speculative = true;
  markUnknown(s.cur.regs[sl.dst]);
  if (sl.code & 8) markUnknown(s.cur.regs[sl.src]);
  return s;
}

/** sync_linked_regs: scalars sharing an id get the refined bounds. */
function syncLinked(st: VState, known: Reg): void {
  for (const f of st.frames) {
    for (const r of f.regs) if (r !== known && r.type === T.SCALAR && r.id === known.id) copyScalar(r, known);
    f.eachSpilled((r) => r !== known && r.type === T.SCALAR && r.id === known.id, (r) => copyScalar(r, known));
  }
}
function copyScalar(r: Reg, k: Reg): void {
  const id = r.id;
  r.copyFrom(k);
  r.id = id;
}

/** mark_ptr_or_null_regs. */
function markPtrOrNull(st: VState, id: number, refObjId: number, isNull: boolean): void {
  const one = (r: Reg): void => {
    if (!(r.flags & F.MAYBE_NULL) || r.id !== id) return;
    if (isNull) {
      markConst(r, 0n);
      return;
    }
    r.flags &= ~F.MAYBE_NULL;
    r.id = 0;
  };
  for (const f of st.frames) {
    f.regs.forEach(one);
    f.eachSpilled((r) => (r.flags & F.MAYBE_NULL) !== 0 && r.id === id, one);
  }
  if (refObjId && refObjId === id && isNull) {
    st.refs = st.refs.filter((r) => r.id !== id);
  }
}

function findGoodPkt(st: VState, d: Reg, type: T, rightOpen: boolean): void {
  if (d.off < 0 || (d.off === 0 && rightOpen)) return;
  if (d.umax > 0xffffn || d.umax + BigInt(d.off) > 0xffffn) return;
  let nr = d.off;
  if (rightOpen) nr++;
  for (const f of st.frames) {
    for (const r of f.regs) if (r.type === type && r.id === d.id && r.range < nr) r.range = Math.max(r.range, nr);
    f.eachSpilled((r) => r.type === type && r.id === d.id && r.range < nr, (r) => { r.range = Math.max(r.range, nr); });
  }
}

function markPktEnd(st: VState, regno: number, open: boolean): void {
  const r = st.cur.regs[regno];
  if (r.type !== T.PKT) return;
  r.range = open ? BEYOND_PKT_END : AT_PKT_END;
}

function isInitPkt(r: Reg, t: T): boolean {
  return r.type === t && r.off === 0 && tisConst(r.var) && r.var.value === 0n;
}

/** try_match_pkt_pointers. */
function matchPktPointers(op: string, is32: boolean, isX: boolean, dst: Reg, src: Reg | undefined, sl: Slot, thisB: VState, other: VState): boolean {
  if (!isX || is32 || !src) return false;
  const dataEnd = (dst.type === T.PKT && src.type === T.PKT_END) || (dst.type === T.PKT_META && isInitPkt(src, T.PKT));
  const endData = (dst.type === T.PKT_END && src.type === T.PKT) || (isInitPkt(dst, T.PKT) && src.type === T.PKT_META);
  const od = other.cur.regs[sl.dst]; const os = other.cur.regs[sl.src];
  switch (op) {
    case 'jgt':
      if (dataEnd) { findGoodPkt(thisB, dst, dst.type, false); markPktEnd(other, sl.dst, true); }
      else if (endData) { findGoodPkt(other, os, src.type, true); markPktEnd(thisB, sl.src, false); }
      else return false;
      return true;
    case 'jlt':
      if (dataEnd) { findGoodPkt(other, od, dst.type, true); markPktEnd(thisB, sl.dst, false); }
      else if (endData) { findGoodPkt(thisB, src, src.type, false); markPktEnd(other, sl.src, true); }
      else return false;
      return true;
    case 'jge':
      if (dataEnd) { findGoodPkt(thisB, dst, dst.type, true); markPktEnd(other, sl.dst, false); }
      else if (endData) { findGoodPkt(other, os, src.type, false); markPktEnd(thisB, sl.src, true); }
      else return false;
      return true;
    case 'jle':
      if (dataEnd) { findGoodPkt(other, od, dst.type, false); markPktEnd(thisB, sl.dst, true); }
      else if (endData) { findGoodPkt(thisB, src, src.type, true); markPktEnd(other, sl.src, false); }
      else return false;
      return true;
    default:
      return false;
  }
}

export { FLIP, S32_MIN, clearPktPointers, tsubreg };

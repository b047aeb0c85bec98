/**
 * The verifier's driver (the kernel's do_check): depth-first path exploration with a stack of
 * pending branches, state pruning at prune points (explored states, dead-slot cleaning, loop
 * visits), infinite loop detection, the processed-instruction and jump-sequence limits,
 * speculative paths, and the checks of loads, stores, atomics, ld_abs/ind and ld_imm64. Jumps are
 * in jumps.ts, calls and exits in calls.ts.
 */
import { Insn, OpSpec } from '../isa';
import { KIND } from '../btf';
import { analyse, type RegSets } from './analysis';
import { checkAlu, readReg, writeReg } from './alu';
import { Env, Reject } from './env';
import { printInsn, printUndecoded } from './insn-print';
import { checkMemAccess, isPointerValue, regTypeStr } from './mem';
import type { Prepass, Slot } from './prepass';
import { cleanDeadSlots, maybeLooping, statesEqual } from './prune';
import type { SccVisits } from './scc';
import { SourceLines, printLiveListing } from './log-lines';
import { F, Reg, T, markConst, markKnownZero, markNotInit, markUnknown } from './reg';
import { Frame, VState, frameStr, sameCallsites, stateStr } from './state';
import type { GlobalFunc, PathStep } from './types';
import { globalEntryFrame } from './global-func';
import { iterActiveAtR1 } from './kfunc-iter';
import { jmp } from './jumps';
import { scratchAll } from './calls';

export interface Checkpoint { st: VState; pc: number; branches: number; parent: Checkpoint | null; hit: number; miss: number; cleaned?: boolean }

const SIZES = [4, 2, 1, 8];

interface Step { pc: number; taken: boolean; prev: Step | null }

export interface Path {
  st: VState;
  insn: number;
  prev: number;
  parent: Checkpoint | null;
  steps: Step | null;
  /** Log position when the path was pushed (push_stack's log_pos): level 1 goes back there when it is popped. */
  logPos: number;
}

function stepsOf(s: Step | null): PathStep[] {
  const out: PathStep[] = [];
  for (let x = s; x && out.length < 10000; x = x.prev) out.push({ pc: x.pc, taken: x.taken });
  return out.reverse();
}

export class Driver {
  totalStates = 0;
  peakStates = 0;
  maxPerInsn = 0;
  private curStates = 0;
  /** Explored states per prune point (created with the first). */
  private explored: Map<number, Checkpoint[]> | undefined;
  private stack: Path[] = [];
  jmps = 0;
  private prevJmps = 0;
  private prevInsns = 0;
  private callGraph: Map<number, Set<number>> | undefined;
  /** Subprogram start -> the subprograms it calls (created with the first call). */
  get calls(): Map<number, Set<number>> { return this.callGraph ??= new Map(); }
  /** Some subprogram call was made. */
  get anyCalls(): boolean { return (this.callGraph?.size ?? 0) > 0; }
  /** Deepest stack per subprogram start (created when a stack is first used). */
  private depthBySub: Map<number, number> | undefined;

  constructor(readonly env: Env, readonly pre: Prepass, public sets: RegSets, readonly limit: number, readonly jmpLimit: number,
    readonly states: (string[] | undefined)[], readonly scc: SccVisits, readonly callUse: (i: number) => number) {
    this.nospec = new Uint8Array(pre.slots.length);
    this.ptrArith = pre.prune.includes(2) ? new Uint8Array(pre.slots.length) : undefined;
    env.speculator = this;
  }

  stackDepths(): number[] {
    return this.pre.subprogs.map((s) => this.depthBySub?.get(s) ?? 0);
  }

  noteDepth(f: Frame): void {
    if (f.allocated <= f.notedDepth) return;
    f.notedDepth = f.allocated;
    const depths = this.depthBySub ??= new Map();
    if (f.allocated > (depths.get(f.subprog) ?? 0)) depths.set(f.subprog, f.allocated);
  }

  subOf(pc: number): number {
    let s = 0;
    for (const x of this.pre.subprogs) if (x <= pc) s = x;
    return s;
  }

  /** Global functions called so far (verified after the main program). */
  get calledGlobals(): Set<number> { return this.globalsCalled ??= new Set(); }
  private globalsCalled: Set<number> | undefined;
  /** Verifying a global function alone (its exit returns a scalar, no program return checks). */
  global: GlobalFunc | undefined;

  run(entry?: GlobalFunc): { pc: number; logInsn: number | null; message: string; detail: string[]; path: PathStep[] } | undefined {
    const env: Env = this.env;
    this.global = entry;
    this.explored?.clear();
    this.bucketCounts?.fill(0);
    this.stack.length = 0;
    // peak_states is not reset between the main program and global functions (free_states leaves the count).
    let f: Frame;
    if (entry) f = globalEntryFrame(env, entry);
    else {
      f = new Frame(0);
      const r1 = f.regs[1];
      markKnownZero(r1);
      r1.type = T.CTX;
    }
    const start = entry?.pc ?? 0;
    let cur: Path | undefined = { st: new VState([f]), insn: start, prev: -1, parent: null, steps: null, logPos: 0 };
    env.state = cur.st;
    for (let i = 1; i <= 10; i++) if (f.regs[i].type !== T.NOT_INIT) env.scratch.reg(i);
    if (env.logLevel >= 2 && !entry && this.precision) printLiveListing(env, { ...this.precision, slots: this.pre.slots, specs: this.pre.specs, callUse: this.callUse });
    // do_check_common: btf_prepare_func_args' notes on the main program's prototype.
    if (env.logLevel && !entry && this.logNotes) for (const n of this.logNotes) env.verbose(n);
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
          // print_verifier_state of the current frame, scratch marks kept (print_all): a popped state shows again before its instruction.
          env.raw(`\nfrom ${cur.prev} to ${pc}${cur.st.speculative ? ' (speculative execution)' : ''}:${frameStr(cur.st, cur.st.curframe, env.printCtx, true)}\n`);
        }
        doPrint = false;
        logMark = env.logLength();
        if (env.logLevel) {
          if (env.scratch.any) env.printInsnState();
          this.linfo(pc);
          const insn = env.insns[pc];
          // libbpf's log fixup shows a poisoned CO-RE instruction this way (bpftool prints the fixed-up log).
          if (env.poisoned?.has(pc)) env.insnLine(`${pc}: <invalid CO-RE relocation>`);
          else env.insnLine(`${pc}: ${insn ? printInsn(insn, { allowPtrLeaks: env.allowPtrLeaks, mapAddr: (i) => 0xffff888100000000n + BigInt((i.imm & 0xff) * 0x400), kfuncName }) : printUndecoded(this.pre.slots[pc]) ?? `(${this.pre.slots[pc].code.toString(16).padStart(2, '0')}) unknown`}`);
        }
        env.live?.begin(cur.st, pc);
        this.current = cur;
        const r = this.step(cur);
        env.live?.commit();
        cur.prev = pc;
        this.noteDepth(cur.st.cur);
        if (this.collect && this.recorded < 100000) this.record(pc, cur.st);
        if (r === 'exit') {
          env.live?.update(cur.st);
          cur = this.endPath(cur);
          doPrint = true;
        } else if (this.returned) {
          this.returned = false;
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
  /** Comparisons decided on some path so far (precision sources) and the analysis that uses them. */
  precision: { decided: Uint8Array; exitNeedsR0: boolean; constKey: (map: number) => boolean; succ: Int32Array } | undefined;
  /** The precision sets are computed on the first state comparison that needs them (many small programs never compare). */
  setsDirty = false;
  private reanalysed = 0;

  /**
   * A comparison at pc was decided (is_branch_taken): its registers need precision from now on.
   * The sets are recomputed before the next state comparison; past a budget every comparison counts
   * (the static over-approximation), so large programs do not re-analyse at each new decision.
   */
  decidedAt(pc: number): void {
    const p = this.precision;
    if (!p || p.decided[pc]) return;
    p.decided[pc] = 1;
    this.setsDirty = true;
    this.cbWidenSets = undefined;
    if (++this.reanalysed * p.decided.length > 2_000_000 || this.reanalysed > 256) p.decided.fill(1);
  }

  /**
   * Registers live before pc (the static liveness; it does not depend on the precision sources, so
   * sets analysed earlier stay valid for it): collect_linked_regs takes only live registers.
   */
  liveBefore(pc: number): number {
    if (this.sets.live.length === 0) this.analyseSets();
    return this.sets.live.length ? this.sets.live[pc] : 0x7ff;
  }

  /** Liveness and precision sets from the precision sources known so far (decided comparisons). */
  private analyseSets(): void {
    const p = this.precision;
    if (!p) return;
    this.sets = analyse(this.pre.slots, this.pre.specs, p.exitNeedsR0, p.decided, p.constKey, this.callUse, p.succ);
    this.setsDirty = false;
  }

  /** The path whose instruction is being checked (for sanitize_speculative_path, speculate()). */
  private current: Path | undefined;

  /** sanitize_speculative_path: a speculative path from the next instruction with register regno set to r. */
  speculate(regno: number, r: Reg): void {
    const p = this.current;
    if (!p) return;
    const st = p.st.clone();
    st.speculative = true;
    st.cur.regs[regno].copyFrom(r);
    this.push(p, p.insn + 1, st, false);
  }
  /** Instructions that failed on a speculative path (the kernel's insn_aux->nospec). */
  private readonly nospec: Uint8Array;

  private record(pc: number, st: VState): void {
    const list = this.states[pc] ?? (this.states[pc] = []);
    if (list.length < 4) { list.push(stateStr(st, this.env.printCtx, true).trim()); this.recorded++; }
  }

  /** The `; text @ file:line` comments (log-lines.ts), made on the first logged instruction. */
  private sourceLines: SourceLines | undefined;

  private linfo(pc: number): void {
    (this.sourceLines ??= new SourceLines(this.env)).print(pc);
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
    if (next) {
      // pop_stack at level 1: the log keeps only the path being explored.
      if (this.env.popLog) this.env.resetLog(next.logPos);
      scratchAll(this.env);
    }
    return next;
  }

  push(p: Path, target: number, st: VState, taken: boolean): Path {
    if (this.stack.length + 1 > this.jmpLimit) this.env.fail(`The sequence of ${this.stack.length + 1} jumps is too complex.`);
    const np: Path = { st, insn: target, prev: p.insn, parent: p.parent, steps: { pc: p.insn, taken, prev: p.steps }, logPos: this.env.popLog ? this.env.logLength() : 0 };
    if (p.parent) p.parent.branches++;
    this.stack.push(np);
    return np;
  }

  // The precision sets at the prune point being compared (isStateVisited), learnt when a comparison
  // first needs them: a state that matches with every register live and precise (the strictest
  // comparison) matches with any sets, so small programs often never analyse.
  private eqKnown = false;
  private eqLive = 0x7ff;
  private eqNeed = 0x7ff;
  private eqLo = -1;
  private eqHi = -1;
  private eqLiveAt: Uint16Array | undefined;

  private learnSets(pc: number): void {
    if (this.setsDirty) this.analyseSets();
    const sets = this.sets;
    this.eqLive = sets.live[pc] | 0; this.eqNeed = sets.need[pc] | 0;
    const ns = sets.needStack; this.eqLo = ns ? ns[2 * pc] | 0 : -1; this.eqHi = ns ? ns[2 * pc + 1] | 0 : -1;
    this.eqLiveAt = sets.live;
    this.eqKnown = true;
  }

  /** states_equal at pc: RANGE_WITHIN for every live scalar (within) or by precision. */
  private equal(old: VState, cur: VState, pc: number, within: boolean): boolean {
    const env = this.env;
    if (!this.eqKnown) {
      if (statesEqual(old, cur, 0x7ff, 0x7ff, false, env.allowUninitStack, -1, -1, undefined, env.exploreAluLimits)) return true;
      this.learnSets(pc);
    }
    const live = this.eqLive;
    return within ? statesEqual(old, cur, live, live, false, env.allowUninitStack, -1, -1, this.eqLiveAt, env.exploreAluLimits)
      : statesEqual(old, cur, live, this.eqNeed, false, env.allowUninitStack, this.eqLo, this.eqHi, this.eqLiveAt, env.exploreAluLimits);
  }

  /** Explored states per kernel hash bucket (for max_states_per_insn). */
  private bucketCounts: Int32Array | undefined;

  private bucketOf(pc: number, st: VState): number {
    return ((pc ^ st.cur.callsite) >>> 0) % this.pre.slots.length;
  }

  private isStateVisited(cur: Path): boolean {
    const env: Env = this.env;
    const pc = cur.insn;
    const list = this.explored?.get(pc) ?? [];
    const force = this.pre.prune[pc] >= 2;
    let addNew = force || (this.jmps - this.prevJmps >= 2 && env.processed - this.prevInsns >= 8);
    // max_states_per_insn: the states the kernel walks here before adding one, all of its hash bucket
    // (explored_state: (insn ^ callsite) % prog len), other instructions' included, evicted ones too.
    // Nothing to count (and no work) until the first state is saved.
    const counts = this.bucketCounts;
    const seen = counts ? counts[this.bucketOf(pc, cur.st)] : 0;
    if (list.length === 0 && !addNew) {
      if (seen > this.maxPerInsn) this.maxPerInsn = seen;
      return false;
    }
    this.eqKnown = false;
    if (!this.setsDirty && this.sets.live.length) this.learnSets(pc);
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
        if (this.equal(sl.st, cur.st, pc, true) && iterActiveAtR1(cur.st)) {
          sl.hit++;
          this.scc.backedge(sl.st, pc);
          return true;
        }
      } else if (sl.branches > 0 && this.pre.prune[pc] === 2) {
        // Callback calls: converge within ranges (RANGE_WITHIN), a backedge of the call's implicit loop.
        if (this.equal(sl.st, cur.st, pc, true)) {
          sl.hit++;
          this.scc.backedge(sl.st, pc);
          return true;
        }
      } else if (sl.branches > 0) {
        // Exact comparison: liveness and precision do not matter.
        if (maybeLooping(sl.st, cur.st) && statesEqual(sl.st, cur.st, 0x7ff, 0x7ff, true, env.allowUninitStack)) {
          this.linfo(pc);
          env.verbose(`infinite loop detected at insn ${pc}`);
          env.raw(`cur state:${frameStr(cur.st, cur.st.curframe, env.printCtx, true)}\n`);
          env.raw(`old state:${frameStr(sl.st, sl.st.curframe, env.printCtx, true)}\n`);
          throw new Reject(`infinite loop detected at insn ${pc}`);
        }
        if (!force && this.jmps - this.prevJmps < 20 && env.processed - this.prevInsns < 100) addNew = false;
      } else {
        // A state in a loop still being explored has incomplete marks: all scalars compared (RANGE_WITHIN), a backedge.
        const loop = this.scc.incomplete(sl.st, pc);
        if (this.equal(sl.st, cur.st, pc, loop)) {
          sl.hit++;
          if (loop) this.scc.backedge(sl.st, pc);
          return true;
        }
      }
      // Misses count only when a new state is going to be added (so loop iterations do not evict earlier ones).
      if (addNew) sl.miss++;
      // Checkpoints on the current path at forced checkpoints (iterator next) get more misses before eviction.
      const n = this.pre.prune[pc] === 3 && sl.branches > 0 ? 64 : 3;
      if (sl.miss > sl.hit * n + n) {
        list.splice(k, 1); k--; (counts as Int32Array)[this.bucketOf(pc, sl.st)]--;
        // peak_states counts an evicted state until it is freed, which waits for its branches (maybe_free_verifier_state).
        if (sl.branches === 0) this.curStates--;
      }
    }
    if (seen > this.maxPerInsn) this.maxPerInsn = seen;
    if (!addNew) return false;
    const cp: Checkpoint = { st: cur.st.clone(), pc, branches: 1, parent: cur.parent, hit: 0, miss: 0 };
    cur.parent = cp;
    list.push(cp);
    (this.bucketCounts ??= new Int32Array(this.pre.slots.length))[this.bucketOf(pc, cur.st)]++;
    this.scc.enter(cp.st, pc, cp);
    (this.explored ??= new Map()).set(pc, list);
    this.totalStates++;
    this.curStates++;
    if (this.curStates > this.peakStates) this.peakStates = this.curStates;
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
        if (this.ptrArith && (sl.code & 0x08) && cls === 7) this.notePtrArith(sl);
        checkAlu(env, s, sl);
        break;
      case 1: {
        // A callback reading its caller's stack (through a pointer argument): the slot's precision follows the value's.
        if (env.state.frames.length > 1) {
          const sr = env.regs[sl.src];
          if (sr.type === T.STACK && sr.frameno < env.state.curframe) this.outerStackLoad(sr, sl, size);
        }
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
        return jmp(this, cur, sl, s);
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

  /** Async callbacks (bpf_timer_set_callback), by subprogram start: verified in frame 0, return 0, own stack root. */
  readonly asyncSubs = new Set<number>();

  /**
   * Loads in callbacks through pointers into an outer frame's stack (the kernel's backtracking
   * follows them through the jump history's stack accesses into that frame): key X * 64 + spi, X the
   * call in the slot's frame below the load (a callsite in that frame's code), value the loads as
   * pc * 16 + dst. The widening's precision sets (calls.ts callbackWidenNeed) take the slots of the loads
   * whose value needs precision as read by the call X.
   */
  readonly outerLoads = new Map<number, number[]>();

  /** A load in a callback through a pointer into an outer frame's stack: notes the slots it reads. */
  private outerStackLoad(ptr: Reg, sl: Slot, size: number): void {
    const load = this.env.insnIdx * 16 + sl.dst;
    const x = this.env.state.frames[ptr.frameno + 1].callsite;
    const base = ptr.off + sl.off;
    const lo = ptr.var.mask === 0n ? base + Number(BigInt.asIntN(64, ptr.var.value)) : base + Number(ptr.smin < -512n ? -512n : ptr.smin);
    const hi = ptr.var.mask === 0n ? lo : base + Number(ptr.smax > 512n ? 512n : ptr.smax);
    const spiHi = Math.min(63, Math.floor((-lo - 1) / 8));
    const spiLo = Math.max(0, Math.floor((-(hi + size - 1) - 1) / 8));
    for (let spi = spiLo; spi <= spiHi; spi++) {
      const key = x * 64 + spi;
      const list = this.outerLoads.get(key);
      if (list?.includes(load)) continue;
      if (!list) this.outerLoads.set(key, [load]); else list.push(load);
      this.cbWidenSets = undefined;
    }
  }

  /**
   * 64-bit register additions and subtractions seen adding a scalar to a pointer (programs with
   * callbacks only): the widening's precision sets take them as precision sources (calls.ts callbackWidenNeed).
   */
  readonly ptrArith: Uint8Array | undefined;
  private ptrArithSeen = 0;

  private notePtrArith(sl: Slot): void {
    const pc = this.env.insnIdx;
    const p = this.ptrArith as Uint8Array;
    const op = sl.code & 0xf0;
    if (p[pc] || (op !== 0x00 && op !== 0x10)) return;
    const regs = this.env.regs;
    if (regs[sl.dst].type === T.SCALAR && regs[sl.src].type === T.SCALAR) return;
    p[pc] = 1;
    this.cbWidenSets = undefined;
    // Past a budget every such instruction counts (the static over-approximation), as decidedAt does.
    if (++this.ptrArithSeen > 64) p.fill(1);
  }

  /** Lines logged before the main program's first state (VerifyInput.logNotes). */
  logNotes: string[] | undefined;
  /** Static subprograms' BTF prototypes by start pc, until a call finds them unreliable (calls.ts localCall). */
  staticFuncs: Map<number, GlobalFunc> | undefined;

  /** A subprogram or callback returned on the last instruction (calls.ts exit): the next one prints `from EXIT to N:`. */
  returned = false;

  /** Precision sets for widening (calls.ts widenNeed), computed on first use. */
  widenSets: RegSets | undefined;
  /** Precision sets for the widening at callback callsites (calls.ts callbackWidenNeed), computed on first use. */
  cbWidenSets: RegSets | undefined;
  /** The slots each callback helper call reads for precision in cbWidenSets. */
  cbWidenReads: Map<number, [number, number]> | undefined;
}

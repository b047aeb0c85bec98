/**
 * Calls and exits: subprogram calls (static frames; global functions checked by prototype),
 * callbacks pushed as pending paths (bpf_loop and friends, timers as async roots), open-coded
 * iterator steps with widening, exits from subprograms and callbacks (widening at the call site),
 * a tail call in a subprogram as an exit, and program exits with reference, RCU and return-value
 * checks; with the caller/callee and returning/to-caller log dumps as 6.18 prints them.
 */
import { analyse, type RegSets, type Widening } from './analysis';
import type { Env } from './env';
import { CallbackCall, setCallbackArgs } from './helper-call';
import { isPointerValue, regTypeStr } from './mem';
import type { Slot } from './prepass';
import { Reg, T, markNotInit, markUnknown } from './reg';
import { helperId } from '../isa';
import { Frame, VState, frameStr, sameCallsites } from './state';
import { checkGlobalCall, checkGlobalExit, noteStaticCall } from './global-func';
import { IterRef, iterNextSplit, iterSlot, ITER_ACTIVE, widenImprecise } from './kfunc-iter';
import { readReg } from './alu';
import type { Driver, Path } from './driver';

export function localCall(d: Driver, cur: Path, sl: Slot): 'next' {
  const env: Env = d.env;
  const st = cur.st;
  const target = cur.insn + sl.imm + 1;
  const g = env.globals?.get(target);
  if (g) {
    checkGlobalCall(env, g, d.pre.subprogs.indexOf(target));
    d.calledGlobals.add(target);
    const from = d.subOf(cur.insn);
    d.calls.set(from, (d.calls.get(from) ?? new Set<number>()).add(target));
    cur.insn++;
    return 'next';
  }
  if (st.curframe + 1 >= 8) env.fail(`the call stack of ${st.curframe + 2} frames is too deep`);
  const proto = d.staticFuncs?.get(target);
  if (proto && noteStaticCall(env, proto)) d.staticFuncs?.delete(target);
  env.live?.resetChain();
  const caller = st.cur;
  const callee = new Frame(st.curframe + 1);
  callee.callsite = cur.insn;
  callee.subprog = target;
  for (let i = 1; i <= 5; i++) callee.regs[i].copyFrom(caller.regs[i]);
  for (let i = 0; i <= 5; i++) markNotInit(caller.regs[i]);
  st.frames.push(callee);
  const from = d.subOf(cur.insn);
  const set = d.calls.get(from) ?? new Set<number>();
  set.add(target);
  d.calls.set(from, set);
  // init_func_state marks the whole state scratched: the callee's first instruction shows it again.
  scratchAll(env);
  if (env.logLevel) {
    env.raw(`caller:\n${frameStr(st, st.curframe - 1, env.printCtx, true)}\n`);
    env.raw(`callee:\n${frameStr(st, st.curframe, env.printCtx, true)}\n`);
  }
  cur.insn = target;
  return 'next';
}

/** push_callback_call: the callback as a pending path from the state before the call (timers: push_async_cb, a fresh frame 0). */
export function pushCallback(d: Driver, cur: Path, saved: VState, cb: CallbackCall): void {
  const env: Env = d.env;
  if (cb.kind === 'timer') {
    const f = new Frame(0);
    f.subprog = cb.subprog;
    f.inAsyncCallback = true;
    setCallbackArgs(saved.cur, f, cb);
    d.asyncSubs.add(cb.subprog);
    scratchAll(env);
    d.push(cur, cb.subprog, new VState([f]), true);
    return;
  }
  if (saved.curframe + 1 >= 8) env.fail(`the call stack of ${saved.curframe + 2} frames is too deep`);
  const caller = saved.cur;
  const callee = new Frame(saved.curframe + 1);
  callee.callsite = cur.insn;
  callee.subprog = cb.subprog;
  callee.inCallback = true;
  setCallbackArgs(caller, callee, cb);
  // mark_dynptr_cb_reg: the drained sample's dynptr gets a fresh id (`dynptr_ptr(id=N,type=local)`).
  if (cb.kind === 'user_ringbuf') callee.regs[1].id = env.newId();
  caller.callbackDepth++;
  saved.frames.push(callee);
  cur.st.frames[cur.st.curframe].callbackDepth = 0;
  const from = d.subOf(cur.insn);
  const set = d.calls.get(from) ?? new Set<number>();
  set.add(cb.subprog);
  d.calls.set(from, set);
  scratchAll(env);
  d.push(cur, cb.subprog, saved, true);
}

/**
 * Precision for widen_imprecise_scalars: value uses (pointer arithmetic, sizes, checked returns), not
 * comparisons. Reuses the successor array the verifier computed for the driver's precision sets.
 */
export function widenNeed(d: Driver): RegSets {
  d.widenSets ??= analyse(d.pre.slots, d.pre.specs, returnRange(d.env.progType, d.env.attachType) !== undefined, false, undefined, d.callUse, d.precision?.succ);
  return d.widenSets;
}

/**
 * Precision for the widening at callback callsites, closer to what the kernel's backtracking has
 * marked by then: comparisons some path decided, pointer arithmetic seen so far, callbacks' R0 at
 * their exits, and the caller's slots callbacks loaded values needing precision from (as reads of
 * their calls, Driver.outerLoads). Recomputed when any of these grows.
 */
export function callbackWidenNeed(d: Driver): RegSets {
  if (d.cbWidenSets) return d.cbWidenSets;
  const p = d.precision;
  const run = (w: Widening): RegSets => analyse(d.pre.slots, d.pre.specs, p?.exitNeedsR0 ?? false, p?.decided ?? true, p?.constKey, d.callUse, p?.succ, w);
  let sets = run({ ptrArith: d.ptrArith });
  // A nested callback's needs may follow from its caller's: repeat until the reads do not change.
  let key = '';
  d.cbWidenReads = undefined;
  for (let round = 0; round < 4 && d.outerLoads.size; round++) {
    const reads = callReads(sets, d.outerLoads);
    const k = [...reads].map(([x, r]) => `${x}:${r[0]}:${r[1]}`).join(',');
    d.cbWidenReads = reads;
    if (k === key) break;
    key = k;
    sets = run({ ptrArith: d.ptrArith, callReads: reads });
  }
  d.cbWidenSets = sets;
  return sets;
}

/** Per call X, the slots (spi 0..31, 32..63) of the loads noted under X (Driver.outerLoads) whose value needs precision after the load. */
function callReads(sets: RegSets, loads: ReadonlyMap<number, number[]>): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (const [key, list] of loads) {
    if (!list.some((l) => ((sets.need[(l >> 4) + 1] ?? 0) >> (l & 15)) & 1)) continue;
    const x = Math.floor(key / 64); const spi = key % 64;
    const r = out.get(x) ?? [0, 0];
    if (spi < 32) r[0] |= 1 << spi; else r[1] |= 1 << (spi - 32);
    out.set(x, r);
  }
  return out;
}

/** process_iter_next_call: an active iterator forks into a queued state (active, one deeper, R0 not NULL) and the current one (drained, R0 = 0). */
export function iterNext(d: Driver, cur: Path, it: IterRef): void {
  const st = cur.st;
  if (it.frameno === st.curframe) d.env.scratch.slot(it.spi);
  if (iterSlot(st, it)?.memSize === ITER_ACTIVE) {
    const queued = st.clone();
    let prev = cur.parent?.parent ?? null;
    while (prev && (prev.pc !== cur.insn || prev.branches <= 0 || !sameCallsites(prev.st, st))) prev = prev.parent;
    iterNextSplit(st, queued, it);
    // Precision is static here (comparisons left out, as the kernel marks only decided ones).
    if (prev) widenImprecise(prev.st, queued, widenNeed(d).need[cur.insn + 1] ?? 0);
    d.push(cur, cur.insn + 1, queued, true);
    return;
  }
  iterNextSplit(st, st.clone(), it);
}

/** bpf_tail_call's helper id. */
export const TAIL_CALL = helperId('tail_call') ?? 12;

/**
 * A tail call in a subprogram (6.18): not taken, it falls through (a pending path); taken, the
 * subprogram never returns, which the verifier checks as an exit with R0 unknown (prepare_func_exit),
 * so the caller continues after its call with R0 set.
 */
export function tailCallExit(d: Driver, cur: Path): 'next' {
  d.push(cur, cur.insn + 1, cur.st.clone(), false);
  markUnknown(cur.st.cur.regs[0]);
  d.env.scratch.reg(0);
  exit(d, cur, true);
  return 'next';
}

export function exit(d: Driver, cur: Path, tailCall = false): 'next' | 'exit' {
  const env: Env = d.env;
  const st = cur.st;
  if (st.curframe === 0) {
    for (const r of st.refs) env.verbose(`Unreleased reference id=${r.id} alloc_insn=${r.insn}`);
    if (st.refs.length) env.fail('BPF_EXIT instruction in main prog would lead to reference leak');
    if (st.rcuLock) env.fail('BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region');
    if (d.global) checkGlobalExit(env);
    else if (d.asyncSubs.has(st.cur.subprog)) checkAsyncReturn(d);
    else checkReturn(d);
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
  if (env.logLevel) {
    // print_verifier_state of each frame (a leading space per item, ` frameN:` first for a callee).
    const s = new VState([callee]);
    s.refs = st.refs;
    env.raw(`returning from callee:\n${frameStr(s, 0, env.printCtx, true)}\n`);
    env.raw(`to caller at ${cur.insn}:\n${frameStr(st, st.curframe, env.printCtx, true)}\n`);
  }
  if (callee.inCallback) widenAtCallsite(d, cur);
  // do_check prints the caller's state (`from EXIT to N:`) before its next instruction (not after a tail call).
  if (!tailCall) d.returned = true;
  return 'next';
}

/**
 * prepare_func_exit after a callback: widen_imprecise_scalars against the callsite's state earlier
 * on this path (find_prev_entry), so callbacks that accumulate into the caller's stack converge.
 * The call's argument registers stay precise (the helper checks them; bpf_loop's count bounds the unrolling),
 * and so do spilled scalars whose precision the kernel's backtracking would have marked.
 */
export function widenAtCallsite(d: Driver, cur: Path): void {
  const st = cur.st;
  let prev = cur.parent;
  while (prev && (prev.pc !== cur.insn || prev.branches <= 0 || !sameCallsites(prev.st, st))) prev = prev.parent;
  if (!prev) return;
  const sets = callbackWidenNeed(d);
  const ns = sets.needStack;
  // Each frame's slots that need precision before its call (the callback's reads, then its own
  // code after the call): for the caller, this call; for outer frames, the calls they are in (for
  // a subprogram call, whose static sets need every slot, only what callbacks read through it).
  const precise = (fi: number, spi: number): boolean => {
    if (fi === st.curframe || st.frames[fi + 1].inCallback) {
      const x = fi === st.curframe ? cur.insn : st.frames[fi + 1].callsite;
      return !ns || ((ns[2 * x + (spi >> 5)] >>> (spi & 31)) & 1) === 1;
    }
    const r = d.cbWidenReads?.get(st.frames[fi + 1].callsite);
    return r !== undefined && ((r[spi >> 5] >>> (spi & 31)) & 1) === 1;
  };
  widenImprecise(prev.st, st, (sets.need[cur.insn] ?? 0) | 0b111110, precise);
}

export function checkReturn(d: Driver): void {
  const env: Env = d.env;
  const r0 = readReg(env, 0);
  if (isPointerValue(env, r0)) env.fail('R0 leaks addr as return value');
  const range = returnRange(env.progType, env.attachType);
  if (!range) return;
  if (r0.type !== T.SCALAR) env.fail(`At program exit the register R0 is not a known value (${regTypeStr(r0)})`);
  if (r0.smin < BigInt(range[0]) || r0.smax > BigInt(range[1])) env.fail(invalidScalar('At program exit', r0, range));
}

/** check_return_code for an async callback (in_async_callback_fn): R0 must be 0. */
export function checkAsyncReturn(d: Driver): void {
  const env: Env = d.env;
  const r0 = readReg(env, 0);
  if (isPointerValue(env, r0)) env.fail('R0 leaks addr as return value');
  if (r0.type !== T.SCALAR) env.fail(`At async callback return the register R0 is not a known value (${regTypeStr(r0)})`);
  if (r0.smin < 0n || r0.smax > 0n) env.fail(invalidScalar('At async callback return', r0, [0, 0]));
}

/** verbose_invalid_scalar: `CTX the register R0 has smin=.. smax=.. should have been in [a, b]`. */
export function invalidScalar(ctx: string, r0: Reg, range: [number, number]): string {
  let s = `${ctx} the register R0 has`;
  let unknown = true;
  if (r0.smin > -(1n << 63n)) { s += ` smin=${r0.smin}`; unknown = false; }
  if (r0.smax < (1n << 63n) - 1n) { s += ` smax=${r0.smax}`; unknown = false; }
  if (unknown) s += ' unknown scalar value';
  return `${s} should have been in [${range[0]}, ${range[1]}]`;
}

/** The return values a program type (and attach type) allows, when the kernel checks them (check_return_code). */
export function returnRange(progType: string, attachType: string | undefined): [number, number] | undefined {
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

/** mark_verifier_state_scratched (init_func_state, pop_stack): every register and stack slot (marks only the log reads). */
export function scratchAll(env: Env): void {
  if (!env.logLevel) return;
  for (let i = 0; i < 11; i++) env.scratch.reg(i);
  for (let i = 0; i < 64; i++) env.scratch.slot(i);
}

/**
 * Open-coded iterators (bpf_iter_<type>_new/next/destroy): iterator state in
 * stack slots (the kernel's STACK_ITER with a reference, a type, a state and a
 * loop depth), the argument checks of process_iter_arg, and the pieces of the
 * loop convergence the driver uses at next() calls (process_iter_next_call,
 * widen_imprecise_scalars, the active-iterator test of is_state_visited).
 * The slot's register keeps the iterator in `btfName` (type without
 * `bpf_iter_`), `refObjId`, `memSize` (1 active, 2 drained) and `range` (depth).
 * Non-goal: RCU-protected iterators' trust states, iterators in callbacks.
 */
import type { Env } from './env';
import { checkMemAccess } from './mem';
import { IdMap } from './prune';
import { F, Reg, T, markKnownZero, markUnknown } from './reg';
import { S, type VState } from './state';
import { tisConst } from './tnum';

export const ITER_ACTIVE = 1;
export const ITER_DRAINED = 2;

export interface IterRef { frameno: number; spi: number }

/** stack_slot_obj_get_spi: the slot index, 'erange' beyond the allocated stack, or the kernel's complaint. */
function iterSpi(env: Env, r: Reg, nrSlots: number): number | 'erange' | string {
  if (!tisConst(r.var)) return 'iter has to be at a constant offset';
  const off = r.off + Number(BigInt.asIntN(64, r.var.value));
  if (off % 8) return `cannot pass in iter at an offset=${off}`;
  const spi = Math.floor((-off - 1) / 8);
  if (spi + 1 < nrSlots) return `cannot pass in iter at an offset=${off}`;
  const f = env.state.frames[r.frameno];
  if (!f || spi >= f.allocated / 8 || spi - nrSlots + 1 < 0) return 'erange';
  return spi;
}

function validUninit(env: Env, r: Reg, nrSlots: number): boolean {
  const spi = iterSpi(env, r, nrSlots);
  if (spi === 'erange') return true;
  if (typeof spi === 'string') { env.verbose(spi); return false; }
  const f = env.state.frames[r.frameno];
  for (let i = 0; i < nrSlots; i++) for (let j = 0; j < 8; j++) if (f.stype[(spi - i) * 8 + j] === S.ITER) return false;
  return true;
}

function validInit(env: Env, r: Reg, type: string, nrSlots: number): number | undefined {
  const spi = iterSpi(env, r, nrSlots);
  if (spi === 'erange') return undefined;
  if (typeof spi === 'string') { env.verbose(spi); return undefined; }
  const f = env.state.frames[r.frameno];
  for (let i = 0; i < nrSlots; i++) {
    const st = f.spilled[spi - i];
    if (!st) return undefined;
    if (i === 0 && !st.refObjId) return undefined;
    if (i !== 0 && st.refObjId) return undefined;
    if (st.btfName !== type) return undefined;
    for (let j = 0; j < 8; j++) if (f.stype[(spi - i) * 8 + j] !== S.ITER) return undefined;
  }
  return spi;
}

export interface IterArgResult { refObjId: number; iter?: IterRef }

/**
 * process_iter_arg for argument `regno` (1-based) of an iterator kfunc: new() wants an
 * uninitialised slot and creates the iterator with a new reference; next()/destroy()
 * (and other iterator kfuncs) want an initialised one; destroy() releases it.
 */
export function processIterArg(env: Env, regno: number, type: string, size: number, kind: 'new' | 'destroy' | 'other', pc: number,
  release: (id: number) => boolean): IterArgResult {
  const r = env.regs[regno];
  if (r.type !== T.STACK) env.fail(`arg#${regno - 1} expected pointer to an iterator on stack`);
  const nrSlots = Math.max(1, Math.floor(size / 8));
  if (kind === 'new') {
    if (!validUninit(env, r, nrSlots)) env.fail(`expected uninitialized iter_${type} as arg #${regno - 1}`);
    for (let i = 0; i < nrSlots * 8; i += 8) checkMemAccess(env, regno, i, 8, true, { valueRegno: -1 });
    const off = r.off + Number(BigInt.asIntN(64, r.var.value));
    const spi = Math.floor((-off - 1) / 8);
    const f = env.state.frames[r.frameno];
    const id = env.newId();
    env.state.refs.push({ id, insn: pc });
    for (let i = 0; i < nrSlots; i++) {
      const st = new Reg();
      markKnownZero(st);
      st.type = T.STACK;
      st.refObjId = i === 0 ? id : 0;
      st.btfName = type;
      st.memSize = ITER_ACTIVE;
      st.range = 0;
      f.spilled[spi - i] = st;
      f.stype.fill(S.ITER, (spi - i) * 8, (spi - i) * 8 + 8);
      env.scratch.slot(spi - i);
    }
    return { refObjId: 0 };
  }
  const spi = validInit(env, r, type, nrSlots);
  if (spi === undefined) env.fail(`expected an initialized iter_${type} as arg #${regno - 1}`);
  const f = env.state.frames[r.frameno];
  const ref = (f.spilled[spi] as Reg).refObjId;
  if (kind === 'destroy') {
    release(ref);
    for (let i = 0; i < nrSlots; i++) {
      f.spilled[spi - i] = undefined;
      f.stype.fill(S.INVALID, (spi - i) * 8, (spi - i) * 8 + 8);
      env.scratch.slot(spi - i);
    }
  }
  return { refObjId: ref, iter: { frameno: r.frameno, spi } };
}

/** The iterator's slot register in a state. */
export function iterSlot(st: VState, it: IterRef): Reg | undefined {
  return st.frames[it.frameno]?.spilled[it.spi];
}

/** is_state_visited at a next() call: the iterator R1 points to is active. */
export function iterActiveAtR1(st: VState): boolean {
  const r = st.cur.regs[1];
  if (r.type !== T.STACK || !tisConst(r.var)) return false;
  const f = st.frames[r.frameno];
  const off = r.off + Number(BigInt.asIntN(64, r.var.value));
  const spi = Math.floor((-off - 1) / 8);
  if (!f || spi < 0 || f.stype[spi * 8 + 7] !== S.ITER) return false;
  return f.spilled[spi]?.memSize === ITER_ACTIVE;
}

/** The id pairs of one widening (env->idmap_scratch, reset once per widen_imprecise_scalars). */
const WIDEN_IDS = new IdMap();

/** regs_exact for two scalars: same offset, tnum and bounds, then ids (and reference ids) that map one to one. */
function sameScalar(a: Reg, b: Reg): boolean {
  return a.off === b.off && a.var.value === b.var.value && a.var.mask === b.var.mask && a.smin === b.smin && a.smax === b.smax &&
    a.umin === b.umin && a.umax === b.umax && a.s32min === b.s32min && a.s32max === b.s32max &&
    a.u32min === b.u32min && a.u32max === b.u32max && WIDEN_IDS.check(a.id, b.id) && WIDEN_IDS.check(a.refObjId, b.refObjId);
}

function widenReg(old: Reg | undefined, cur: Reg | undefined, precise: boolean): void {
  if (!old || !cur || old.type !== T.SCALAR || cur.type !== T.SCALAR || precise || sameScalar(old, cur)) return;
  markUnknown(cur);
}

/**
 * widen_imprecise_scalars: scalars of the queued next() state that differ from the previous
 * loop-head state become unknown (without an id), unless precise (`preciseTop`: the current frame's registers
 * that need precision, from the static analysis; `preciseSlot`: spilled scalars that do). Differ
 * as regs_exact: an unknown scalar with an id differs from one without.
 */
export function widenImprecise(old: VState, cur: VState, preciseTop: number, preciseSlot?: (frame: number, spi: number) => boolean): void {
  WIDEN_IDS.reset();
  const top = cur.frames.length - 1;
  for (let fi = top; fi >= 0; fi--) {
    const of = old.frames[fi]; const cf = cur.frames[fi];
    if (!of || !cf) continue;
    for (let i = 0; i < 10; i++) widenReg(of.regs[i], cf.regs[i], fi === top && (preciseTop & (1 << i)) !== 0);
    const n = Math.min(of.allocated, cf.allocated) / 8;
    for (let spi = 0; spi < n; spi++) {
      if (!of.slotSpilled(spi) || !cf.slotSpilled(spi)) continue;
      widenReg(of.spilled[spi], cf.spilled[spi], preciseSlot?.(fi, spi) ?? false);
    }
  }
}

/** process_iter_next_call's two outcomes: the queued state (active, one deeper, R0 not NULL) and the current one (drained, R0 = 0). */
export function iterNextSplit(cur: VState, queued: VState, it: IterRef): void {
  const q = iterSlot(queued, it);
  if (q) { q.memSize = ITER_ACTIVE; q.range++; }
  const r0q = queued.cur.regs[0];
  r0q.flags &= ~F.MAYBE_NULL;
  const c = iterSlot(cur, it);
  if (c) c.memSize = ITER_DRAINED;
  const r0 = cur.cur.regs[0];
  markKnownZero(r0);
}

/**
 * State equivalence for pruning (the kernel's states_equal / regsafe /
 * stacksafe / refsafe), using static liveness and a static approximation of
 * precision (analysis.ts): dead registers are ignored, imprecise scalars
 * match any scalar, everything else must be contained in the explored state.
 * `exact` compares registers as the infinite-loop check needs.
 */
import { F, Reg, S64_MAX, S64_MIN, T, addConstFlag, baseId } from './reg';

const UNKNOWN_MASK = (1n << 64n) - 1n;
import { Frame, S, VState } from './state';
import { tin } from './tnum';

/** The kernel's bpf_idmap: old id -> current id pairs of one comparison, searched linearly (there are few); reused. */
export class IdMap {
  private old: number[] = [];
  private cur: number[] = [];
  private n = 0;
  /** Temporary ids (negative) the scalar check gives a current id of zero. */
  private tmp = 0;
  reset(): void { this.n = 0; this.tmp = 0; }
  check(old: number, cur: number): boolean {
    if (!old || !cur) return !old && !cur;
    for (let i = 0; i < this.n; i++) {
      if (this.old[i] === old) return this.cur[i] === cur;
      if (this.cur[i] === cur) return false;
    }
    this.old[this.n] = old;
    this.cur[this.n] = cur;
    this.n++;
    return true;
  }
  /**
   * check_scalar_ids: an old id of zero (an independent scalar) matches anything; a current id of
   * zero gets a fresh temporary id, so two linked old registers cannot match two independent
   * current ones; for an ADD_CONST link the base ids must map consistently too.
   */
  checkScalar(old: number, cur: number): boolean {
    if (!old) return true;
    const c = cur || -(++this.tmp);
    if (!this.check(old, c)) return false;
    if (addConstFlag(old) && !this.check(baseId(old), c < 0 ? c : baseId(c))) return false;
    return true;
  }
}
const IDS = new IdMap();

function rangeWithin(o: Reg, c: Reg): boolean {
  return o.umin <= c.umin && o.umax >= c.umax && o.smin <= c.smin && o.smax >= c.smax &&
    o.u32min <= c.u32min && o.u32max >= c.u32max && o.s32min <= c.s32min && o.s32max >= c.s32max;
}

function regsExact(o: Reg, c: Reg): boolean {
  return o.type === c.type && o.flags === c.flags && o.off === c.off && o.var.value === c.var.value && o.var.mask === c.var.mask &&
    o.smin === c.smin && o.smax === c.smax && o.umin === c.umin && o.umax === c.umax && o.s32min === c.s32min &&
    o.s32max === c.s32max && o.u32min === c.u32min && o.u32max === c.u32max && o.id === c.id && o.refObjId === c.refObjId &&
    o.map === c.map && o.range === c.range && o.memSize === c.memSize && o.frameno === c.frameno && o.subprog === c.subprog;
}

/** Scalars compared field by field whatever their precision (the kernel's explore_alu_limits, CAP_BPF). */
let strictScalars = false;

function scalarsSame(o: Reg, c: Reg, ids: IdMap): boolean {
  return o.off === c.off && o.var.value === c.var.value && o.var.mask === c.var.mask && o.smin === c.smin && o.smax === c.smax && o.umin === c.umin &&
    o.umax === c.umax && o.s32min === c.s32min && o.s32max === c.s32max && o.u32min === c.u32min && o.u32max === c.u32max &&
    ids.checkScalar(o.id, c.id);
}

/** The ADD_CONST part of regsafe for scalars: a link with a delta matches only the same kind of link with the same delta. */
function linksCompatible(o: Reg, c: Reg): boolean {
  const of = addConstFlag(o.id); const cf = addConstFlag(c.id);
  if (of) return of === cf && o.off === c.off;
  return !(o.id && cf);
}

function regsafe(o: Reg, c: Reg, precise: boolean, ids: IdMap, exact: boolean): boolean {
  if (exact) return regsExact(o, c);
  if (o.type === T.NOT_INIT) return true;
  if (o.type !== c.type || o.flags !== c.flags) return false;
  switch (o.type) {
    case T.SCALAR:
      if (strictScalars) return scalarsSame(o, c, ids);
      if (!precise) return true;
      return linksCompatible(o, c) && ids.checkScalar(o.id, c.id) && rangeWithin(o, c) && tin(o.var, c.var);
    case T.MAP_VALUE: case T.MAP_KEY: case T.MEM:
      if (o.map !== c.map || o.off !== c.off || o.memSize !== c.memSize) return false;
      return rangeWithin(o, c) && tin(o.var, c.var) && ids.check(o.id, c.id) && ids.check(o.refObjId, c.refObjId);
    case T.PKT: case T.PKT_META:
      if (o.range > c.range || (o.range < 0 && o.range !== c.range) || o.off !== c.off) return false;
      return ids.check(o.id, c.id) && rangeWithin(o, c) && tin(o.var, c.var);
    case T.STACK:
      return o.off === c.off && o.frameno === c.frameno && o.var.value === c.var.value && o.var.mask === c.var.mask;
    default:
      if (o.flags & F.MAYBE_NULL && !ids.check(o.id, c.id)) return false;
      return o.off === c.off && o.map === c.map && o.btfName === c.btfName && o.subprog === c.subprog &&
        o.var.value === c.var.value && o.var.mask === c.var.mask && ids.check(o.refObjId, c.refObjId);
  }
}

/** The 8 bytes of slot spi are all MISC (or never written, when uninitialised reads are allowed): is_stack_all_misc. */
function allMisc(st: Uint8Array, spi: number, allowUninit: boolean): boolean {
  for (let j = 0; j < 8; j++) {
    const t = st[spi * 8 + j];
    if (t !== S.MISC && !(allowUninit && t === S.INVALID)) return false;
  }
  return true;
}

/** A 64-bit spilled scalar in slot spi (is_spilled_scalar_reg64). */
function spilledScalar64(f: Frame, spi: number): Reg | undefined {
  const r = f.spilledView[spi];
  if (!r || r.type !== T.SCALAR) return undefined;
  const st = f.stypeView;
  for (let j = 0; j < 8; j++) if (st[spi * 8 + j] !== S.SPILL) return undefined;
  return r;
}

/**
 * needLo/needHi: the slots (spi 0..31, 32..63) whose spilled scalars may need precision; an
 * imprecise old spilled scalar matches any scalar, and a 64-bit scalar spill and an all-MISC slot
 * match each other as the kernel's scalar_reg_for_stack makes them.
 */
function stacksafe(o: Frame, c: Frame, ids: IdMap, exact: boolean, allowUninit: boolean, needLo: number, needHi: number): boolean {
  const ost = o.stypeView; const cst = c.stypeView;
  const osp = o.spilledView; const csp = c.spilledView;
  for (let i = 0; i < o.allocated; i++) {
    const ot = ost[i];
    const spi = i >> 3;
    const precise = ((spi < 32 ? needLo >>> spi : needHi >>> (spi - 32)) & 1) !== 0;
    if (!exact && (i & 7) === 0 && i + 8 <= c.allocated) {
      // scalar_reg_for_stack: a 64-bit scalar spill against an all-MISC slot (an unbound, imprecise scalar).
      const a = spilledScalar64(o, spi); const b = spilledScalar64(c, spi);
      const am = !a && allMisc(ost, spi, allowUninit); const bm = !b && allMisc(cst, spi, allowUninit);
      if ((a && bm) || (am && b)) {
        if (a && a.type === T.SCALAR && (precise || strictScalars)) return false;
        if (b && strictScalars && !(b.var.mask === UNKNOWN_MASK && b.smin === S64_MIN && b.smax === S64_MAX)) return false;
        i += 7;
        continue;
      }
    }
    if (!exact && ot === S.INVALID) continue;
    if (!exact && allowUninit && ot === S.MISC) continue;
    if (i >= c.allocated) return false;
    const ct = cst[i];
    if (!exact && ot === S.MISC && ct === S.ZERO) continue;
    if (ot !== ct) return false;
    if ((i & 7) !== 7) continue;
    if (ot === S.SPILL) {
      const a = osp[spi]; const b = csp[spi];
      if (!a || !b) { if (a !== b) return false; continue; }
      if (!regsafe(a, b, precise, ids, exact)) return false;
    } else if (ot === S.ITER) {
      // Iterator slots: same iterator type and state, matching reference; the depth only in exact mode.
      const a = osp[spi]; const b = csp[spi];
      if (!a || !b) { if (a !== b) return false; continue; }
      if (a.btfName !== b.btfName || a.memSize !== b.memSize || !ids.check(a.refObjId, b.refObjId)) return false;
      if (exact && a.range !== b.range) return false;
    }
  }
  if (exact && c.allocated !== o.allocated) return false;
  return true;
}

/**
 * needLo/needHi: the current frame's stack slots whose spilled scalars may need precision (analysis.ts
 * needStack). liveAt: registers live before each instruction; an outer frame compares r6-r9 live
 * before its call site (the kernel's clean_func_state), otherwise r0 and r6-r9.
 */
export function statesEqual(old: VState, cur: VState, live: number, need: number, exact: boolean, allowUninit: boolean,
  needLo = -1, needHi = -1, liveAt?: Uint16Array, strict = false): boolean {
  strictScalars = strict;
  if (old.frames.length !== cur.frames.length) return false;
  if (old.speculative && !cur.speculative) return false;
  if (old.refs.length !== cur.refs.length) return false;
  if (old.rcuLock !== cur.rcuLock) return false;
  const ids = IDS;
  ids.reset();
  for (let k = 0; k < old.refs.length; k++) if (!ids.check(old.refs[k].id, cur.refs[k].id)) return false;
  const top = old.frames.length - 1;
  if (!exact) {
    linkedNeed(old.frames[top], live, need, needLo, needHi);
    need = NEED.regs; needLo = NEED.lo; needHi = NEED.hi;
  }
  for (let fi = top; fi >= 0; fi--) {
    const of = old.frames[fi]; const cf = cur.frames[fi];
    if (of.callsite !== cf.callsite || of.inCallback !== cf.inCallback) return false;
    // func_states_equal: an old state deeper in its bpf_loop iterations never covers a shallower one.
    if (exact ? of.callbackDepth !== cf.callbackDepth : of.callbackDepth > cf.callbackDepth) return false;
    for (let r = 0; r < 11; r++) {
      if (fi === top) {
        if (!exact && !(live & (1 << r))) continue;
        if (!regsafe(of.regs[r], cf.regs[r], (need & (1 << r)) !== 0, ids, exact)) return false;
      } else {
        if (!exact && r >= 1 && r <= 5) continue;
        if (!exact && liveAt && !(liveAt[old.frames[fi + 1].callsite] & (1 << r)) && r < 10) continue;
        if (!regsafe(of.regs[r], cf.regs[r], true, ids, exact)) return false;
      }
    }
    if (!stacksafe(of, cf, ids, exact, allowUninit, fi === top ? needLo : -1, fi === top ? needHi : -1)) return false;
  }
  return true;
}

/** linkedNeed's result (module scratch: no allocation per comparison). */
const NEED = { regs: 0, lo: 0, hi: 0 };
/** Base ids of the needed scalars of one comparison (10 registers and 64 slots at most); reused. */
const NEEDED_BASES = new Int32Array(74);

/**
 * Precision spreads over linked scalars: the kernel's backtracking marks every register and spilled
 * slot linked to a precise one at a comparison precise too (its jump history records the linked
 * set). Statically approximated: a live scalar register or spilled slot of the current frame sharing
 * a base id with a needed one is compared as needed, so a state whose `r7 = r6 + 5` differs only in
 * the delta is not pruned against `r7 = r6 + 4`.
 */
function linkedNeed(f: Frame, live: number, need: number, lo: number, hi: number): void {
  NEED.regs = need; NEED.lo = lo; NEED.hi = hi;
  const regs = f.regs;
  const view = f.spilledView;
  const slots = Math.min(f.allocated >> 3, 64);
  const bases = NEEDED_BASES;
  let nb = 0;
  let loose = false;
  for (let r = 0; r < 10; r++) {
    const o = regs[r];
    if (o.type !== T.SCALAR || !o.id || !(live & (1 << r))) continue;
    if (need & (1 << r)) bases[nb++] = baseId(o.id); else loose = true;
  }
  for (let spi = 0; spi < slots; spi++) {
    const o = view[spi];
    if (!o || o.type !== T.SCALAR || !o.id || !f.slotSpilled(spi)) continue;
    if (((spi < 32 ? lo >>> spi : hi >>> (spi - 32)) & 1) !== 0) bases[nb++] = baseId(o.id); else loose = true;
  }
  if (!loose || nb === 0) return;
  for (let r = 0; r < 10; r++) {
    const o = regs[r];
    if (o.type === T.SCALAR && o.id && (live & (1 << r)) && hasBase(bases, nb, baseId(o.id))) NEED.regs |= 1 << r;
  }
  for (let spi = 0; spi < slots; spi++) {
    const o = view[spi];
    if (!o || o.type !== T.SCALAR || !o.id || !f.slotSpilled(spi) || !hasBase(bases, nb, baseId(o.id))) continue;
    if (spi < 32) NEED.lo |= 1 << spi; else NEED.hi |= 1 << (spi - 32);
  }
}

function hasBase(bases: Int32Array, n: number, id: number): boolean {
  for (let i = 0; i < n; i++) if (bases[i] === id) return true;
  return false;
}

/** states_maybe_looping: the current frame's registers are identical. */
export function maybeLooping(old: VState, cur: VState): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  const a = old.cur; const b = cur.cur;
  for (let r = 0; r < 11; r++) if (!regsExact(a.regs[r], b.regs[r])) return false;
  return true;
}

/**
 * clean_func_state for the stack: slots no path reads again (alive: [lo, hi] per frame, from
 * liveness.ts) become invalid in an explored state, so any current content matches them. Iterator
 * slots are kept (their reads are not tracked).
 */
export function cleanDeadSlots(st: VState, alive: Uint32Array): void {
  for (let fi = 0; fi < st.frames.length; fi++) {
    const f = st.frames[fi];
    const view = f.stypeView;
    for (let spi = 0; spi < f.allocated >> 3; spi++) {
      if ((alive[2 * fi + (spi >> 5)] >>> (spi & 31)) & 1) continue;
      let used = false; let iter = false;
      for (let j = 0; j < 8; j++) { const t = view[spi * 8 + j]; if (t !== S.INVALID) used = true; if (t === S.ITER) iter = true; }
      if (!used || iter) continue;
      f.stype.fill(S.INVALID, spi * 8, spi * 8 + 8);
      if (f.spilledView[spi]) f.spilled[spi] = undefined;
    }
  }
}

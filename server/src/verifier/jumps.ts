/**
 * Jumps (the kernel's check_cond_jmp_op and the BPF_JMP dispatch of do_check_insn): calls handed
 * to calls.ts, gotos, exits, and conditional jumps with branch prediction, speculative
 * not-taken paths, bounds refinement of both branches (linked scalars included), NULL checks
 * propagated to every copy, and packet range proofs from comparisons with data_end.
 */
import type { OpSpec } from '../isa';
import type { Env } from './env';
import { CALLBACK_HELPERS, type Slot } from './prepass';
import { checkHelperCall } from './helper-call';
import { checkKfuncCall } from './kfunc';
import { isPointerValue } from './mem';
import { ADD_CONST32, F, Reg, T, addConstFlag, baseId, clearScalarId, isPktAny, markConst, markUnknown } from './reg';
import { AT_PKT_END, BEYOND_PKT_END, addLinkDelta, branchTaken, constImm, setMinMax } from './scalar';
import type { Frame, VState } from './state';
import { tisConst } from './tnum';
import { readReg } from './alu';
import type { Driver, Path } from './driver';
import { TAIL_CALL, exit, iterNext, localCall, pushCallback, tailCallExit } from './calls';

export function jmp(d: Driver, cur: Path, sl: Slot, s: OpSpec | undefined): 'next' | 'exit' {
  const env: Env = d.env;
  const op = sl.code & 0xf0;
  const cls = sl.code & 7;
  d.jmps++;
  if (op === 0x80) {
    if ((sl.code & 8) || (sl.src !== 2 && sl.off !== 0) || (sl.src !== 0 && sl.src !== 1 && sl.src !== 2) || sl.dst !== 0 || cls === 6) {
      env.fail('BPF_CALL uses reserved fields');
    }
    if (sl.src === 1) return localCall(d, cur, sl);
    if (sl.src === 2) {
      const out = checkKfuncCall(env, sl.imm, cur.insn);
      if (out.iterNext) iterNext(d, cur, out.iterNext);
    } else {
      // The state before the call, kept only for helpers that call back (the callback starts from it).
      const saved = CALLBACK_HELPERS.has(sl.imm) ? cur.st.clone() : undefined;
      const out = checkHelperCall(env, sl.imm, cur.insn);
      if (out.callback) {
        if (!saved) throw new Error(`helper ${sl.imm} calls back but is not in CALLBACK_HELPERS`);
        pushCallback(d, cur, saved, out.callback);
      }
      if (sl.imm === TAIL_CALL && cur.st.curframe > 0) return tailCallExit(d, cur);
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
    return exit(d, cur);
  }
  if (op > 0xd0 || !s) env.fail(`invalid BPF_JMP/JMP32 opcode ${(op >> 4).toString(16)}`);
  condJmp(d, cur, sl, s as OpSpec);
  return 'next';
}

export function condJmp(d: Driver, cur: Path, sl: Slot, s: OpSpec): void {
  const env: Env = d.env;
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
  if (pred !== -1) d.decidedAt(cur.insn);
  if (pred === 1) {
    if (!env.bypassSpecV1) d.push(cur, cur.insn + 1, specState(cur.st, sl), false);
    env.printInsnState();
    cur.steps = { pc: cur.insn, taken: true, prev: cur.steps };
    cur.insn = target;
    return;
  }
  if (pred === 0) {
    if (!env.bypassSpecV1) d.push(cur, target, specState(cur.st, sl), true);
    env.printInsnState();
    cur.insn++;
    return;
  }
  // collect_linked_regs, before the other branch is made (an overflow drops ids in both).
  const srcLinked = isX && src.type === T.SCALAR && src.id !== 0;
  const dstLinked = dst.type === T.SCALAR && dst.id !== 0;
  const linked: LinkedPos[] = [];
  if (srcLinked) collectLinked(d, cur.st, cur.insn, src.id, linked);
  if (dstLinked) collectLinked(d, cur.st, cur.insn, dst.id, linked);
  const otherSt = cur.st.clone();
  const other = d.push(cur, target, otherSt, true);
  const oregs = otherSt.cur.regs;
  const regs = cur.st.cur.regs;
  const od = oregs[sl.dst];
  if (isX) {
    setMinMax(od, oregs[sl.src], dst, src, jop, is32);
  } else {
    const fake0 = src.clone(); const fake1 = src.clone();
    setMinMax(od, fake0, dst, fake1, jop, is32);
  }
  if (srcLinked && src.id) { syncLinked(cur.st, src, linked); syncLinked(otherSt, oregs[sl.src], linked); }
  if (dstLinked && dst.id) { syncLinked(cur.st, dst, linked); syncLinked(otherSt, od, linked); }
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

/** sanitize_speculative_path: the branch not taken, explored speculatively with the compared registers unknown. */
function specState(st: VState, sl: Slot): VState {
  const s = st.clone();
  s.speculative = true;
  markUnknown(s.cur.regs[sl.dst]);
  if (sl.code & 8) markUnknown(s.cur.regs[sl.src]);
  return s;
}

/** A register (reg >= 0) or spill slot (spi) of a frame that shares a base id with a compared register. */
interface LinkedPos { frame: number; reg: number; spi: number }
/** LINKED_REGS_MAX: past this many, collected registers lose their id. */
const LINKED_MAX = 6;

/**
 * collect_linked_regs: the live registers (before pc in the current frame, before the call site in
 * outer frames) and spilled slots that are scalars with the base id of `id`, innermost frame first.
 */
function collectLinked(d: Driver, st: VState, pc: number, id: number, out: LinkedPos[]): void {
  const base = baseId(id);
  const top = st.frames.length - 1;
  const add = (r: Reg, pos: LinkedPos, f: Frame): void => {
    if (r.type !== T.SCALAR || !r.id || baseId(r.id) !== base) return;
    if (out.length < LINKED_MAX) out.push(pos);
    else clearScalarId(pos.reg >= 0 ? r : f.spilled[pos.spi] as Reg);
  };
  for (let fi = top; fi >= 0; fi--) {
    const f = st.frames[fi];
    const live = d.liveBefore(fi === top ? pc : st.frames[fi + 1].callsite);
    for (let r = 0; r < 10; r++) if (live & (1 << r)) add(f.regs[r], { frame: fi, reg: r, spi: -1 }, f);
    const view = f.spilledView;
    for (let spi = 0; spi < f.allocated >> 3; spi++) {
      const r = view[spi];
      if (r && f.slotSpilled(spi)) add(r, { frame: fi, reg: -1, spi }, f);
    }
  }
}

/**
 * sync_linked_regs: the collected scalars sharing the base id of `known` get its refined bounds,
 * shifted by the difference of their constant deltas (ADD_CONST links); a 32-bit link and a 64-bit
 * link of the same base are not synced with each other.
 */
function syncLinked(st: VState, known: Reg, linked: LinkedPos[]): void {
  const base = baseId(known.id);
  for (const pos of linked) {
    const f = st.frames[pos.frame];
    const r = pos.reg >= 0 ? f.regs[pos.reg] : f.spilledView[pos.spi];
    if (!r || r === known || r.type !== T.SCALAR || !r.id || baseId(r.id) !== base) continue;
    syncOne(pos.reg >= 0 ? r : f.spilled[pos.spi] as Reg, known);
  }
}

function syncOne(r: Reg, k: Reg): void {
  const rf = addConstFlag(r.id); const kf = addConstFlag(k.id);
  if (rf && kf && rf !== kf) return;
  if ((!rf && !kf) || r.off === k.off) { r.copyFrom(k); return; }
  const id = r.id; const off = r.off;
  r.copyFrom(k);
  r.id = id; r.off = off;
  addLinkDelta(r, BigInt(off) - BigInt(k.off), ((rf | kf) & ADD_CONST32) !== 0);
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

/**
 * Scalar transfer functions (the kernel's adjust_scalar_min_max_vals and the
 * scalar(32)_min_max_* helpers) and branch logic (is_branch_taken,
 * regs_refine_cond_op). Operates on Reg in place. Non-goal: range tracking for
 * div/mod (6.18 marks the result unknown, even for constant operands or 32-bit ops).
 */
import type { AluOp, JmpOp } from '../isa';
import {
  Reg, S32_MAX, S32_MIN, S64_MAX, S64_MIN, T, boundsSync, isPtr, isPktAny, mark32Known, mark32Unbounded, mark64Unbounded,
  markKnown, markUnbounded, markUnknown, s32, u32, u64, updateBounds, zext32,
} from './reg';
import {
  TNUM_UNKNOWN, U32, U64, tadd, tand, tarshift, tconst, tisConst, tlshift, tmul, tneg, tor, trshift, tsub, tsubreg,
  tsubregIsConst, txor, tclearSubreg, tintersect,
} from './tnum';

function max(a: bigint, b: bigint): bigint { return a > b ? a : b; }
function min(a: bigint, b: bigint): bigint { return a < b ? a : b; }
const inS64 = (x: bigint): boolean => x >= S64_MIN && x <= S64_MAX;
const inS32 = (x: bigint): boolean => x >= S32_MIN && x <= S32_MAX;

function add32(d: Reg, s: Reg): void {
  const a = d.s32min + s.s32min; const b = d.s32max + s.s32max;
  if (!inS32(a) || !inS32(b)) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else { d.s32min = a; d.s32max = b; }
  const ua = d.u32min + s.u32min; const ub = d.u32max + s.u32max;
  const minOv = ua > U32; const maxOv = ub > U32;
  d.u32min = ua & U32; d.u32max = ub & U32;
  if (!minOv && maxOv) { d.u32min = 0n; d.u32max = U32; }
}
function add64(d: Reg, s: Reg): void {
  const a = d.smin + s.smin; const b = d.smax + s.smax;
  if (!inS64(a) || !inS64(b)) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = a; d.smax = b; }
  const ua = d.umin + s.umin; const ub = d.umax + s.umax;
  const minOv = ua > U64; const maxOv = ub > U64;
  d.umin = ua & U64; d.umax = ub & U64;
  if (!minOv && maxOv) { d.umin = 0n; d.umax = U64; }
}
function sub32(d: Reg, s: Reg): void {
  const a = d.s32min - s.s32max; const b = d.s32max - s.s32min;
  if (!inS32(a) || !inS32(b)) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else { d.s32min = a; d.s32max = b; }
  const ua = d.u32min - s.u32max; const ub = d.u32max - s.u32min;
  const minUn = ua < 0n; const maxUn = ub < 0n;
  d.u32min = ua & U32; d.u32max = ub & U32;
  if (minUn && !maxUn) { d.u32min = 0n; d.u32max = U32; }
}
function sub64(d: Reg, s: Reg): void {
  const a = d.smin - s.smax; const b = d.smax - s.smin;
  if (!inS64(a) || !inS64(b)) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = a; d.smax = b; }
  const ua = d.umin - s.umax; const ub = d.umax - s.umin;
  const minUn = ua < 0n; const maxUn = ub < 0n;
  d.umin = ua & U64; d.umax = ub & U64;
  if (minUn && !maxUn) { d.umin = 0n; d.umax = U64; }
}
function mul32(d: Reg, s: Reg): void {
  const ua = d.u32max * s.u32max; const ub = d.u32min * s.u32min;
  if (ua > U32 || ub > U32) { d.u32min = 0n; d.u32max = U32; } else { d.u32max = ua; d.u32min = ub; }
  const p = [d.s32min * s.s32min, d.s32min * s.s32max, d.s32max * s.s32min, d.s32max * s.s32max];
  if (p.some((x) => !inS32(x))) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else { d.s32min = p.reduce(min); d.s32max = p.reduce(max); }
}
function mul64(d: Reg, s: Reg): void {
  const ua = d.umax * s.umax; const ub = d.umin * s.umin;
  if (ua > U64 || ub > U64) { d.umin = 0n; d.umax = U64; } else { d.umax = ua; d.umin = ub; }
  const p = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
  if (p.some((x) => !inS64(x))) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = p.reduce(min); d.smax = p.reduce(max); }
}
function cast32Signed(d: Reg): void {
  if (s32(d.u32min) <= s32(d.u32max)) { d.s32min = s32(d.u32min); d.s32max = s32(d.u32max); } else { d.s32min = S32_MIN; d.s32max = S32_MAX; }
}
function cast64Signed(d: Reg): void {
  if (BigInt.asIntN(64, d.umin) <= BigInt.asIntN(64, d.umax)) { d.smin = BigInt.asIntN(64, d.umin); d.smax = BigInt.asIntN(64, d.umax); } else { d.smin = S64_MIN; d.smax = S64_MAX; }
}
function bit32(d: Reg, s: Reg, op: 'and' | 'or' | 'xor'): void {
  const v = tsubreg(d.var);
  if (tsubregIsConst(s.var) && tsubregIsConst(d.var)) { mark32Known(d, v.value); return; }
  if (op === 'and') { d.u32min = v.value; d.u32max = min(d.u32max, s.u32max); }
  else if (op === 'or') { d.u32min = max(d.u32min, s.u32min); d.u32max = v.value | v.mask; }
  else { d.u32min = v.value; d.u32max = v.value | v.mask; }
  cast32Signed(d);
}
function bit64(d: Reg, s: Reg, op: 'and' | 'or' | 'xor'): void {
  if (tisConst(s.var) && tisConst(d.var)) { markKnown(d, d.var.value); return; }
  if (op === 'and') { d.umin = d.var.value; d.umax = min(d.umax, s.umax); }
  else if (op === 'or') { d.umin = max(d.umin, s.umin); d.umax = d.var.value | d.var.mask; }
  else { d.umin = d.var.value; d.umax = d.var.value | d.var.mask; }
  cast64Signed(d);
  updateBounds(d);
}
function lsh32Bounds(d: Reg, umin: bigint, umax: bigint): void {
  d.s32min = S32_MIN; d.s32max = S32_MAX;
  if (umax > 31n || d.u32max > 1n << (31n - umax)) { d.u32min = 0n; d.u32max = U32; }
  else { d.u32min = (d.u32min << umin) & U32; d.u32max = (d.u32max << umax) & U32; }
}
function lsh64Bounds(d: Reg, umin: bigint, umax: bigint): void {
  d.smax = umin === 32n && umax === 32n && d.s32max >= 0n ? d.s32max << 32n : S64_MAX;
  d.smin = umin === 32n && umax === 32n && d.s32min >= 0n ? d.s32min << 32n : S64_MIN;
  if (umax > 63n || d.umax > 1n << (63n - umax)) { d.umin = 0n; d.umax = U64; }
  else { d.umin = (d.umin << umin) & U64; d.umax = (d.umax << umax) & U64; }
}

/** Can the kernel compute a range for this op (is_safe_to_compute_dst_reg_range)? */
function safeRange(op: AluOp, s: Reg, is64: boolean): boolean {
  switch (op) {
    case 'add': case 'sub': case 'neg': case 'and': case 'xor': case 'or': case 'mul': return true;
    case 'lsh': case 'rsh': case 'arsh': {
      const c = is64 ? tisConst(s.var) && s.smin === s.smax && s.umin === s.umax
        : tsubregIsConst(s.var) && s.s32min === s.s32max && s.u32min === s.u32max;
      // The amount's 64-bit umax, even for a 32-bit shift (w1 <<= w7 with r7's upper half unknown: no range).
      return c && s.umax < (is64 ? 64n : 32n);
    }
    default: return false;
  }
}

/** adjust_scalar_min_max_vals: dst op= src for two scalars (src is a copy). */
export function scalarAlu(op: AluOp, d: Reg, s: Reg, is64: boolean): void {
  // No range for the result (div, mod, a shift by a non-constant or too large amount): the whole
  // register is unknown, 32-bit ops included (6.18 returns before the zero extension).
  if (!safeRange(op, s, is64)) { markUnknown(d); return; }
  // Fast path: both 64-bit constants.
  if (is64 && d.var.mask === 0n && s.var.mask === 0n && op !== 'neg') {
    const a = d.var.value; const b = s.var.value; const sh = b & 63n;
    let v: bigint;
    switch (op) {
      case 'add': v = a + b; break;
      case 'sub': v = a - b; break;
      case 'mul': v = a * b; break;
      case 'and': v = a & b; break;
      case 'or': v = a | b; break;
      case 'xor': v = a ^ b; break;
      case 'lsh': v = a << sh; break;
      case 'rsh': v = a >> sh; break;
      default: v = BigInt.asIntN(64, a) >> sh; break;
    }
    markKnown(d, v >= 0n && v <= U64 ? v : v & U64);
    return;
  }
  switch (op) {
    case 'add': add32(d, s); add64(d, s); d.var = tadd(d.var, s.var); break;
    case 'sub': sub32(d, s); sub64(d, s); d.var = tsub(d.var, s.var); break;
    case 'neg': {
      const fake = d.clone();
      markKnown(d, 0n);
      sub32(d, fake); sub64(d, fake); d.var = tneg(fake.var);
      break;
    }
    case 'mul': d.var = tmul(d.var, s.var); mul32(d, s); mul64(d, s); break;
    case 'and': d.var = tand(d.var, s.var); bit32(d, s, 'and'); bit64(d, s, 'and'); break;
    case 'or': d.var = tor(d.var, s.var); bit32(d, s, 'or'); bit64(d, s, 'or'); break;
    case 'xor': d.var = txor(d.var, s.var); bit32(d, s, 'xor'); bit64(d, s, 'xor'); break;
    case 'lsh':
      if (!is64) {
        const sub = tsubreg(d.var);
        lsh32Bounds(d, s.u32min, s.u32max);
        d.var = tsubreg(tlshift(sub, Number(s.u32min)));
        mark64Unbounded(d);
        updateBounds(d);
      } else {
        lsh64Bounds(d, s.umin, s.umax);
        lsh32Bounds(d, s.umin, s.umax);
        d.var = tlshift(d.var, Number(s.umin));
        updateBounds(d);
      }
      break;
    case 'rsh':
      if (!is64) {
        const sub = tsubreg(d.var);
        d.s32min = S32_MIN; d.s32max = S32_MAX;
        d.var = trshift(sub, Number(s.u32min));
        d.u32min >>= s.u32max; d.u32max >>= s.u32min;
        mark64Unbounded(d);
        updateBounds(d);
      } else {
        d.smin = S64_MIN; d.smax = S64_MAX;
        d.var = trshift(d.var, Number(s.umin));
        d.umin >>= s.umax; d.umax >>= s.umin;
        mark32Unbounded(d);
        updateBounds(d);
      }
      break;
    case 'arsh':
      if (!is64) {
        const sh = s.u32min;
        d.s32min = s32(d.s32min >> sh); d.s32max = s32(d.s32max >> sh);
        d.var = tarshift(tsubreg(d.var), Number(sh), 32);
        d.u32min = 0n; d.u32max = U32;
        mark64Unbounded(d);
        updateBounds(d);
      } else {
        const sh = s.umin;
        d.smin >>= sh; d.smax >>= sh;
        d.var = tarshift(d.var, Number(sh), 64);
        d.umin = 0n; d.umax = U64;
        mark32Unbounded(d);
        updateBounds(d);
      }
      break;
    default: markUnknown(d);
  }
  if (!is64) zext32(d);
  boundsSync(d);
}

/**
 * The delta step of sync_linked_regs: reg += delta (64- and 32-bit bounds and tnum, no sync in
 * between), zero-extended when either side of the link came from a 32-bit add, then bounds synced.
 */
export function addLinkDelta(reg: Reg, delta: bigint, zext: boolean): void {
  const fake = immReg(0);
  markKnown(fake, delta);
  add32(reg, fake);
  add64(reg, fake);
  reg.var = tadd(reg.var, fake.var);
  if (zext) zext32(reg);
  boundsSync(reg);
}

/** A fake scalar holding the sign-extended immediate. */
export function immReg(imm: number): Reg {
  const r = new Reg();
  r.type = T.SCALAR;
  markKnown(r, BigInt(imm));
  return r;
}

/** Constant operands of K instructions, cached by value: shared, so never mutate one (clone it first). */
const IMM_CACHE = new Map<number, Reg>();
export function constImm(imm: number): Reg {
  let r = IMM_CACHE.get(imm);
  if (!r) {
    r = immReg(imm);
    if (IMM_CACHE.size > 4096) IMM_CACHE.clear();
    IMM_CACHE.set(imm, r);
  }
  return r;
}

function isRegConst(r: Reg, is32: boolean): boolean {
  return r.type === T.SCALAR && (is32 ? tsubregIsConst(r.var) : tisConst(r.var));
}
function constVal(r: Reg, is32: boolean): bigint { return is32 ? r.var.value & U32 : r.var.value; }

export const FLIP: Record<JmpOp, JmpOp> = {
  jeq: 'jeq', jne: 'jne', jset: 'jset', jgt: 'jlt', jlt: 'jgt', jge: 'jle', jle: 'jge', jsgt: 'jslt', jslt: 'jsgt', jsge: 'jsle', jsle: 'jsge',
};
/** rev_opcode; 'jsetx' is the negated jset. */
export type CondOp = JmpOp | 'jsetx';
const REV: Record<CondOp, CondOp> = {
  jeq: 'jne', jne: 'jeq', jset: 'jsetx', jsetx: 'jset', jgt: 'jle', jle: 'jgt', jge: 'jlt', jlt: 'jge', jsgt: 'jsle', jsle: 'jsgt', jsge: 'jslt', jslt: 'jsge',
};

/** reg_not_null for pointers. */
export function regNotNull(r: Reg): boolean {
  if (r.flags & 1) return false;
  return r.type === T.SOCKET || r.type === T.TCP_SOCK || r.type === T.MAP_VALUE || r.type === T.MAP_KEY ||
    r.type === T.SOCK_COMMON || (r.type === T.BTF_ID && (r.flags & 8) !== 0) || r.type === T.MEM || r.type === T.MAP_PTR;
}

/** is_branch_taken: 1 taken, 0 not taken, -1 unknown. */
export function branchTaken(r1: Reg, r2: Reg, op: JmpOp, is32: boolean): number {
  if (isPktAny(r1) && isPktAny(r2) && !is32) return pktBranchTaken(r1, r2, op);
  if (isPtr(r1) || isPtr(r2)) {
    let a = r1; let b = r2; let o = op;
    if (!isRegConst(b, is32)) { o = FLIP[o]; a = r2; b = r1; }
    if (!isRegConst(b, is32)) return -1;
    if (!regNotNull(a)) return -1;
    if (constVal(b, is32) !== 0n) return -1;
    return o === 'jeq' ? 0 : o === 'jne' ? 1 : -1;
  }
  const t1 = is32 ? tsubreg(r1.var) : r1.var;
  const t2 = is32 ? tsubreg(r2.var) : r2.var;
  const umin1 = is32 ? r1.u32min : r1.umin; const umax1 = is32 ? r1.u32max : r1.umax;
  const smin1 = is32 ? r1.s32min : r1.smin; const smax1 = is32 ? r1.s32max : r1.smax;
  const umin2 = is32 ? r2.u32min : r2.umin; const umax2 = is32 ? r2.u32max : r2.umax;
  const smin2 = is32 ? r2.s32min : r2.smin; const smax2 = is32 ? r2.s32max : r2.smax;
  switch (op) {
    case 'jeq':
    case 'jne': {
      const eq = op === 'jeq';
      if (tisConst(t1) && tisConst(t2)) return (t1.value === t2.value) === eq ? 1 : 0;
      if (umin1 > umax2 || umax1 < umin2 || smin1 > smax2 || smax1 < smin2) return eq ? 0 : 1;
      if (!is32 && (r1.u32min > r2.u32max || r1.u32max < r2.u32min || r1.s32min > r2.s32max || r1.s32max < r2.s32min)) return eq ? 0 : 1;
      return -1;
    }
    case 'jset': {
      let a = t1; let b = t2; let rb = r2;
      if (!isRegConst(rb, is32)) { a = t2; b = t1; rb = r1; }
      if (!isRegConst(rb, is32)) return -1;
      if ((~a.mask & a.value) & b.value) return 1;
      if (!((a.mask | a.value) & b.value)) return 0;
      return -1;
    }
    case 'jgt': return umin1 > umax2 ? 1 : umax1 <= umin2 ? 0 : -1;
    case 'jsgt': return smin1 > smax2 ? 1 : smax1 <= smin2 ? 0 : -1;
    case 'jlt': return umax1 < umin2 ? 1 : umin1 >= umax2 ? 0 : -1;
    case 'jslt': return smax1 < smin2 ? 1 : smin1 >= smax2 ? 0 : -1;
    case 'jge': return umin1 >= umax2 ? 1 : umax1 < umin2 ? 0 : -1;
    case 'jsge': return smin1 >= smax2 ? 1 : smax1 < smin2 ? 0 : -1;
    case 'jle': return umax1 <= umin2 ? 1 : umin1 > umax2 ? 0 : -1;
    case 'jsle': return smax1 <= smin2 ? 1 : smin1 > smax2 ? 0 : -1;
  }
}

const AT_PKT_END = -1;
const BEYOND_PKT_END = -2;
export { AT_PKT_END, BEYOND_PKT_END };

function pktBranchTaken(r1: Reg, r2: Reg, op: JmpOp): number {
  let pkt: Reg; let o = op;
  if (r2.type === T.PKT_END) pkt = r1;
  else if (r1.type === T.PKT_END) { pkt = r2; o = FLIP[o]; }
  else return -1;
  if (pkt.range >= 0) return -1;
  if ((o === 'jle' || o === 'jlt') && pkt.range === BEYOND_PKT_END) return 0;
  if ((o === 'jgt' || o === 'jge') && (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END)) return o === 'jge' ? 1 : 0;
  return -1;
}

function withSubreg(a: Reg, t: ReturnType<typeof tsubreg>): void {
  a.var = tor(tclearSubreg(a.var), tsubreg(t));
}

/** regs_refine_cond_op: narrows r1 and r2 assuming `r1 op r2` holds. */
function refine(ra: Reg, rb: Reg, opIn: CondOp, is32: boolean): void {
  let r1 = ra; let r2 = rb; let op = opIn;
  if (op === 'jge' || op === 'jgt' || op === 'jsge' || op === 'jsgt') { op = FLIP[op]; r1 = rb; r2 = ra; }
  switch (op) {
    case 'jeq':
      if (is32) {
        r1.u32min = max(r1.u32min, r2.u32min); r1.u32max = min(r1.u32max, r2.u32max);
        r1.s32min = max(r1.s32min, r2.s32min); r1.s32max = min(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min; r2.u32max = r1.u32max; r2.s32min = r1.s32min; r2.s32max = r1.s32max;
        const t = tintersect(tsubreg(r1.var), tsubreg(r2.var));
        withSubreg(r1, t); withSubreg(r2, t);
      } else {
        r1.umin = max(r1.umin, r2.umin); r1.umax = min(r1.umax, r2.umax);
        r1.smin = max(r1.smin, r2.smin); r1.smax = min(r1.smax, r2.smax);
        r2.umin = r1.umin; r2.umax = r1.umax; r2.smin = r1.smin; r2.smax = r1.smax;
        r1.var = tintersect(r1.var, r2.var); r2.var = r1.var;
      }
      break;
    case 'jne': {
      if (!isRegConst(r2, is32)) { const t = r1; r1 = r2; r2 = t; }
      if (!isRegConst(r2, is32)) break;
      const v = constVal(r2, is32);
      if (is32) {
        if (r1.u32min === v) r1.u32min++;
        if (r1.u32max === v) r1.u32max--;
        if (r1.s32min === s32(v)) r1.s32min++;
        if (r1.s32max === s32(v)) r1.s32max--;
      } else {
        if (r1.umin === v) r1.umin++;
        if (r1.umax === v) r1.umax--;
        if (r1.smin === BigInt.asIntN(64, v)) r1.smin++;
        if (r1.smax === BigInt.asIntN(64, v)) r1.smax--;
      }
      break;
    }
    case 'jset': {
      if (!isRegConst(r2, is32)) { const t = r1; r1 = r2; r2 = t; }
      if (!isRegConst(r2, is32)) break;
      const v = constVal(r2, is32);
      if (v === 0n || (v & (v - 1n)) !== 0n) break;
      if (is32) withSubreg(r1, tor(tsubreg(r1.var), tconst(v)));
      else r1.var = tor(r1.var, tconst(v));
      break;
    }
    case 'jsetx': {
      if (!isRegConst(r2, is32)) { const t = r1; r1 = r2; r2 = t; }
      if (!isRegConst(r2, is32)) break;
      const v = constVal(r2, is32);
      markUnbounded(r1);
      if (is32) withSubreg(r1, tand(tsubreg(r1.var), tconst(~v & U32)));
      else r1.var = tand(r1.var, tconst(~v & U64));
      break;
    }
    case 'jle':
      if (is32) { r1.u32max = min(r1.u32max, r2.u32max); r2.u32min = max(r1.u32min, r2.u32min); }
      else { r1.umax = min(r1.umax, r2.umax); r2.umin = max(r1.umin, r2.umin); }
      break;
    case 'jlt':
      if (is32) { r1.u32max = min(r1.u32max, u32(r2.u32max - 1n)); r2.u32min = max(u32(r1.u32min + 1n), r2.u32min); }
      else { r1.umax = min(r1.umax, u64(r2.umax - 1n)); r2.umin = max(u64(r1.umin + 1n), r2.umin); }
      break;
    case 'jsle':
      if (is32) { r1.s32max = min(r1.s32max, r2.s32max); r2.s32min = max(r1.s32min, r2.s32min); }
      else { r1.smax = min(r1.smax, r2.smax); r2.smin = max(r1.smin, r2.smin); }
      break;
    case 'jslt':
      if (is32) { r1.s32max = min(r1.s32max, s32(r2.s32max - 1n)); r2.s32min = max(s32(r1.s32min + 1n), r2.s32min); }
      else { r1.smax = min(r1.smax, BigInt.asIntN(64, r2.smax - 1n)); r2.smin = max(BigInt.asIntN(64, r1.smin + 1n), r2.smin); }
      break;
    default: break;
  }
}

/** reg_set_min_max: refine the taken (t1, t2) and fall-through (f1, f2) copies. */
export function setMinMax(t1: Reg, t2: Reg, f1: Reg, f2: Reg, op: JmpOp, is32: boolean): void {
  if (f1.type !== T.SCALAR || f2.type !== T.SCALAR) return;
  refine(f1, f2, REV[op], is32);
  boundsSync(f1); boundsSync(f2);
  refine(t1, t2, op, is32);
  boundsSync(t1); boundsSync(t2);
}

export { TNUM_UNKNOWN };

/**
 * Abstract register state (the kernel's struct bpf_reg_state): type, fixed
 * offset, tnum and signed/unsigned 64/32-bit bounds, ids, and per-type data
 * (map, packet range, memory size, BTF struct, frame). Bounds are bigints;
 * printing follows the kernel's print_reg_state. Non-goal: dynptrs, kptrs, arena.
 */
import { boundsSyncSmall } from './bounds-fast';
import {
  Tnum, TNUM_UNKNOWN, U32, U64, fls64, tclearSubreg, tconst, tintersect, tisConst, tisUnknown, tor, trange, tstr, tsubreg,
} from './tnum';

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;

/** Base register types (enum bpf_reg_type). */
export const enum T {
  NOT_INIT, SCALAR, CTX, MAP_PTR, MAP_VALUE, MAP_KEY, STACK, PKT, PKT_META, PKT_END, MEM, SOCKET, SOCK_COMMON,
  TCP_SOCK, BTF_ID, FUNC, FLOW_KEYS, BUF, XDP_SOCK,
  /** CONST_PTR_TO_DYNPTR: the dynptr a bpf_user_ringbuf_drain callback gets (only dynptr helpers take it). */
  CONST_DYNPTR,
}

/** Type flags (enum bpf_type_flag subset). */
export const F = { MAYBE_NULL: 1, RDONLY: 2, RINGBUF: 4, TRUSTED: 8, UNTRUSTED: 16, RCU: 32 } as const;

const BASE_NAMES: Record<number, string> = {
  [T.NOT_INIT]: '?', [T.SCALAR]: 'scalar', [T.CTX]: 'ctx', [T.MAP_PTR]: 'map_ptr', [T.MAP_VALUE]: 'map_value',
  [T.MAP_KEY]: 'map_key', [T.STACK]: 'fp', [T.PKT]: 'pkt', [T.PKT_META]: 'pkt_meta', [T.PKT_END]: 'pkt_end',
  [T.MEM]: 'mem', [T.SOCKET]: 'sock', [T.SOCK_COMMON]: 'sock_common', [T.TCP_SOCK]: 'tcp_sock', [T.BTF_ID]: 'ptr_',
  [T.FUNC]: 'func', [T.FLOW_KEYS]: 'flow_keys', [T.BUF]: 'buf', [T.XDP_SOCK]: 'xdp_sock', [T.CONST_DYNPTR]: 'dynptr_ptr',
};

/** The kernel's reg_type_str: prefixes for flags, `_or_null` suffix. */
export function typeStr(t: T, flags: number): string {
  let pre = '';
  if (flags & F.RDONLY) pre += 'rdonly_';
  if (flags & F.RINGBUF) pre += 'ringbuf_';
  if (flags & F.RCU) pre += 'rcu_';
  if (flags & F.UNTRUSTED) pre += 'untrusted_';
  if (flags & F.TRUSTED) pre += 'trusted_';
  // BTF pointers print their type name right after: `trusted_ptr_or_null_task_struct`.
  if (t === T.BTF_ID && flags & F.MAYBE_NULL) return `${pre}ptr_or_null_`;
  return pre + BASE_NAMES[t] + (flags & F.MAYBE_NULL ? '_or_null' : '');
}

export class Reg {
  // Fields are declared here and assigned in the constructor, in one order, so every register
  // has one hidden class and is built with plain stores (class field initialisers cost more).
  declare type: T;
  declare flags: number;
  /** Fixed offset of a pointer. */
  declare off: number;
  declare var: Tnum;
  declare smin: bigint; declare smax: bigint; declare umin: bigint; declare umax: bigint;
  declare s32min: bigint; declare s32max: bigint; declare u32min: bigint; declare u32max: bigint;
  declare id: number;
  declare refObjId: number;
  /** Map index (map_ptr, map_value, map_key). */
  declare map: number;
  /** Packet range (pkt), bytes known to be inside the packet. */
  declare range: number;
  declare memSize: number;
  declare btfName: string;
  declare frameno: number;
  declare subprog: number;

  /** A register not initialised (the state markNotInit makes), or a copy of `src`. */
  constructor(src?: Reg) {
    if (src) {
      this.type = src.type; this.flags = src.flags; this.off = src.off; this.var = src.var;
      this.smin = src.smin; this.smax = src.smax; this.umin = src.umin; this.umax = src.umax;
      this.s32min = src.s32min; this.s32max = src.s32max; this.u32min = src.u32min; this.u32max = src.u32max;
      this.id = src.id; this.refObjId = src.refObjId; this.map = src.map; this.range = src.range; this.memSize = src.memSize;
      this.btfName = src.btfName; this.frameno = src.frameno; this.subprog = src.subprog;
    } else {
      this.type = T.NOT_INIT; this.flags = 0; this.off = 0; this.var = TNUM_UNKNOWN;
      this.smin = S64_MIN; this.smax = S64_MAX; this.umin = 0n; this.umax = U64;
      this.s32min = S32_MIN; this.s32max = S32_MAX; this.u32min = 0n; this.u32max = U32;
      this.id = 0; this.refObjId = 0; this.map = -1; this.range = 0; this.memSize = 0;
      this.btfName = ''; this.frameno = 0; this.subprog = -1;
    }
  }

  clone(): Reg {
    return new Reg(this);
  }

  copyFrom(o: Reg): void {
    this.type = o.type; this.flags = o.flags; this.off = o.off; this.var = o.var;
    this.smin = o.smin; this.smax = o.smax; this.umin = o.umin; this.umax = o.umax;
    this.s32min = o.s32min; this.s32max = o.s32max; this.u32min = o.u32min; this.u32max = o.u32max;
    this.id = o.id; this.refObjId = o.refObjId; this.map = o.map; this.range = o.range; this.memSize = o.memSize;
    this.btfName = o.btfName; this.frameno = o.frameno; this.subprog = o.subprog;
  }
}

export function s64(x: bigint): bigint { return BigInt.asIntN(64, x); }
export function u64(x: bigint): bigint { return BigInt.asUintN(64, x); }
export function s32(x: bigint): bigint { return BigInt.asIntN(32, x); }
export function u32(x: bigint): bigint { return BigInt.asUintN(32, x); }
function max(a: bigint, b: bigint): bigint { return a > b ? a : b; }
function min(a: bigint, b: bigint): bigint { return a < b ? a : b; }

/**
 * Linked scalars with a constant delta (the kernel's BPF_ADD_CONST64/BPF_ADD_CONST32, bits 31 and
 * 30 of the id): after `r1 = r0; r1 += 5` r1 keeps r0's id with ADD_CONST64 and off 5 (printed
 * `id=1+5`); `w1 += 5` sets ADD_CONST32 instead. A scalar's `off` is the delta, zero unless flagged.
 */
export const ADD_CONST64 = 0x80000000;
export const ADD_CONST32 = 0x40000000;
const ID_MASK = 0x3fffffff;
/** The id without the ADD_CONST flags. */
export function baseId(id: number): number { return id & ID_MASK; }
/** The ADD_CONST flags of an id (0, ADD_CONST32 or ADD_CONST64). */
export function addConstFlag(id: number): number { return id - (id & ID_MASK); }
/** Drops a scalar's link (id and delta), as the kernel does for any ALU op other than add/sub of a constant. */
export function clearScalarId(r: Reg): void { r.id = 0; r.off = 0; }

export function isPtr(r: Reg): boolean { return r.type !== T.SCALAR && r.type !== T.NOT_INIT; }
export function isPktPtr(r: Reg): boolean { return r.type === T.PKT || r.type === T.PKT_META; }
export function isPktAny(r: Reg): boolean { return r.type === T.PKT || r.type === T.PKT_META || r.type === T.PKT_END; }

/** Constant tnums 0..255, shared (tnums are never modified). */
const SMALL_CONSTS: Tnum[] = Array.from({ length: 256 }, (_, i) => ({ value: BigInt(i), mask: 0n }));

/** __mark_reg_known: every bound set to the value (64-bit). */
export function markKnown(r: Reg, v: bigint): void {
  if (v >= 0n && v < 0x80000000n) {
    r.var = v < 256n ? SMALL_CONSTS[Number(v)] : { value: v, mask: 0n };
    r.smin = r.smax = r.umin = r.umax = r.s32min = r.s32max = r.u32min = r.u32max = v;
    return;
  }
  const u = u64(v);
  r.var = { value: u, mask: 0n };
  r.smin = r.smax = s64(u);
  r.umin = r.umax = u;
  r.s32min = r.s32max = s32(u);
  r.u32min = r.u32max = u & U32;
}

export function mark32Known(r: Reg, v: bigint): void {
  const u = u32(v);
  r.var = tor(tclearSubreg(r.var), tconst(u));
  r.s32min = r.s32max = s32(u);
  r.u32min = r.u32max = u;
}

export function markUnbounded(r: Reg): void {
  r.smin = S64_MIN; r.smax = S64_MAX; r.umin = 0n; r.umax = U64;
  r.s32min = S32_MIN; r.s32max = S32_MAX; r.u32min = 0n; r.u32max = U32;
}
export function mark64Unbounded(r: Reg): void { r.smin = S64_MIN; r.smax = S64_MAX; r.umin = 0n; r.umax = U64; }
export function mark32Unbounded(r: Reg): void { r.s32min = S32_MIN; r.s32max = S32_MAX; r.u32min = 0n; r.u32max = U32; }

/** __mark_reg_unknown: an unknown scalar. */
export function markUnknown(r: Reg): void {
  r.type = T.SCALAR; r.flags = 0; r.off = 0; r.var = TNUM_UNKNOWN; markUnbounded(r);
  r.id = 0; r.refObjId = 0; r.map = -1; r.range = 0; r.memSize = 0; r.btfName = ''; r.frameno = 0; r.subprog = -1;
}

export function markNotInit(r: Reg): void {
  markUnknown(r);
  r.type = T.NOT_INIT;
}

/** A scalar constant. */
export function markConst(r: Reg, v: bigint): void {
  markUnknown(r);
  markKnown(r, v);
}

/** mark_reg_known_zero: a pointer with zero offset (type set by the caller). */
export function markKnownZero(r: Reg): void {
  markUnknown(r);
  markKnown(r, 0n);
}

function updateReg32Bounds(r: Reg): void {
  const v = tsubreg(r.var);
  r.s32min = max(r.s32min, s32(v.value | (v.mask & 0x80000000n)));
  r.s32max = min(r.s32max, s32(v.value | (v.mask & 0x7fffffffn)));
  r.u32min = max(r.u32min, v.value);
  r.u32max = min(r.u32max, v.value | v.mask);
}

function updateReg64Bounds(r: Reg): void {
  const v = r.var;
  r.smin = max(r.smin, s64(v.value | (v.mask & 0x8000000000000000n)));
  r.smax = min(r.smax, s64(v.value | (v.mask & 0x7fffffffffffffffn)));
  r.umin = max(r.umin, v.value);
  r.umax = min(r.umax, v.value | v.mask);
}

export function updateBounds(r: Reg): void {
  updateReg32Bounds(r);
  updateReg64Bounds(r);
}

function deduce32(r: Reg): void {
  if ((r.umin >> 32n) === (r.umax >> 32n)) {
    r.u32min = max(r.u32min, r.umin & U32);
    r.u32max = min(r.u32max, r.umax & U32);
    if (s32(r.umin) <= s32(r.umax)) {
      r.s32min = max(r.s32min, s32(r.umin));
      r.s32max = min(r.s32max, s32(r.umax));
    }
  }
  if ((r.smin >> 32n) === (r.smax >> 32n)) {
    r.u32min = max(r.u32min, u32(r.smin));
    r.u32max = min(r.u32max, u32(r.smax));
    if (s32(r.smin) <= s32(r.smax)) {
      r.s32min = max(r.s32min, s32(r.smin));
      r.s32max = min(r.s32max, s32(r.smax));
    }
  }
  // The upper halves are consecutive (as u32: 0xffffffff then 0 counts) and the low halves cross
  // zero as s32, e.g. smin=-128, smax=127: the low halves form an s32 range.
  if (u32((r.umin >> 32n) + 1n) === u32(r.umax >> 32n) && s32(r.umin) < 0n && s32(r.umax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.umin));
    r.s32max = min(r.s32max, s32(r.umax));
  }
  if (u32((r.smin >> 32n) + 1n) === u32(r.smax >> 32n) && s32(r.smin) < 0n && s32(r.smax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.smin));
    r.s32max = min(r.s32max, s32(r.smax));
  }
  if (s32(r.u32min) <= s32(r.u32max)) {
    r.s32min = max(r.s32min, s32(r.u32min));
    r.s32max = min(r.s32max, s32(r.u32max));
  }
  if (u32(r.s32min) <= u32(r.s32max)) {
    r.u32min = max(u32(r.s32min), r.u32min);
    r.u32max = min(u32(r.s32max), r.u32max);
  } else if (r.u32max < u32(r.s32min)) {
    // The s32 range crosses the sign boundary and the u32 range meets only its non-negative part.
    r.s32min = s32(r.u32min);
    r.u32max = min(r.u32max, u32(r.s32max));
  } else if (u32(r.s32max) < r.u32min) {
    // ... or only its negative part (w6 in s32 [-1, 30] and u32 [41, U32_MAX]: w6 = 0xffffffff).
    r.s32max = s32(r.u32max);
    r.u32min = max(r.u32min, u32(r.s32min));
  }
}

function deduce64(r: Reg): void {
  if (s64(r.umin) <= s64(r.umax)) {
    r.smin = max(r.smin, s64(r.umin));
    r.smax = min(r.smax, s64(r.umax));
  }
  if (u64(r.smin) <= u64(r.smax)) {
    r.umin = max(u64(r.smin), r.umin);
    r.umax = min(u64(r.smax), r.umax);
  } else if (r.umax < u64(r.smin)) {
    r.smin = s64(r.umin);
    r.umax = min(r.umax, u64(r.smax));
  } else if (u64(r.smax) < r.umin) {
    r.smax = s64(r.umax);
    r.umin = max(r.umin, u64(r.smin));
  }
}

function deduceMixed(r: Reg): void {
  const hiMask = U64 ^ U32;
  const nUmin = (r.umin & hiMask) | r.u32min;
  const nUmax = (r.umax & hiMask) | r.u32max;
  r.umin = max(r.umin, nUmin);
  r.umax = min(r.umax, nUmax);
  const nSmin = s64((u64(r.smin) & hiMask) | r.u32min);
  const nSmax = s64((u64(r.smax) & hiMask) | r.u32max);
  r.smin = max(r.smin, nSmin);
  r.smax = min(r.smax, nSmax);
  if (r.s32min >= 0n && r.smin >= S32_MIN && r.smax <= S32_MAX) {
    r.smin = r.s32min; r.smax = r.s32max; r.umin = r.s32min; r.umax = r.s32max;
    r.var = tintersect(r.var, trange(r.smin, r.smax));
  }
}

function deduceBounds(r: Reg): void {
  deduce32(r);
  deduce64(r);
  deduceMixed(r);
}

function boundOffset(r: Reg): void {
  const v64 = tintersect(r.var, trange(r.umin, r.umax));
  const v32 = tintersect(tsubreg(v64), trange(r.u32min, r.u32max));
  r.var = tor(tclearSubreg(v64), v32);
}

/** reg_bounds_sync. */
export function boundsSync(r: Reg): void {
  if (r.var.mask === 0n) { markKnown(r, r.var.value); return; }
  if (boundsSyncSmall(r)) return;
  boundsSyncBig(r);
}

/** reg_bounds_sync on bigints, for any non-constant register (boundsSync's general path; tests compare it with the fast one). */
export function boundsSyncBig(r: Reg): void {
  updateBounds(r);
  deduceBounds(r);
  deduceBounds(r);
  boundOffset(r);
  updateBounds(r);
}

/** zext_32_to_64 (with __reg_assign_32_into_64). */
export function zext32(r: Reg): void {
  r.var = tsubreg(r.var);
  r.umin = r.u32min;
  r.umax = r.u32max;
  if (r.s32min >= 0n && r.s32max >= 0n) {
    r.smin = r.s32min;
    r.smax = r.s32max;
  } else {
    r.smin = 0n;
    r.smax = U32;
  }
}

/** coerce_reg_to_size: keep the low `size` bytes (zero extension). */
export function coerceToSize(r: Reg, size: number): void {
  if (size >= 8) return;
  const mask = (1n << BigInt(size * 8)) - 1n;
  r.var = { value: r.var.value & mask, mask: r.var.mask & mask };
  if ((r.umin & ~mask) === (r.umax & ~mask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  r.smin = r.umin;
  r.smax = r.umax;
  if (size < 4) mark32Unbounded(r);
  boundsSync(r);
}

/** coerce_reg_to_size_sx: sign extension from `size` bytes. */
/** Bits a register's possible values can occupy (highest set bit of value | mask). */
export function regWidth(r: Reg): number {
  return fls64(r.var.value | r.var.mask);
}

/** Gives a non-constant scalar an id before it is copied, so a bounds check on one copy narrows the others (the kernel's assign_scalar_id_before_mov). */
export function assignScalarId(env: { newId(): number }, r: Reg): void {
  if (r.type !== T.SCALAR) return;
  // A register that is already `base + delta` loses that link: a copy cannot carry a second delta.
  if (addConstFlag(r.id)) clearScalarId(r);
  if (!r.id && !tisConst(r.var)) r.id = env.newId();
}

export function coerceToSizeSx(r: Reg, size: number): void {
  const bits = BigInt(size * 8);
  if (tisConst(r.var)) { markKnown(r, BigInt.asIntN(Number(bits), r.var.value)); return; }
  const lo = -(1n << (bits - 1n));
  const hi = (1n << (bits - 1n)) - 1n;
  const a = BigInt.asIntN(Number(bits), r.smin);
  const b = BigInt.asIntN(Number(bits), r.smax);
  const sameTop = (r.smin >> bits) === (r.smax >> bits) && a <= b;
  markUnbounded(r);
  r.var = TNUM_UNKNOWN;
  if (sameTop) { r.smin = a; r.smax = b; } else { r.smin = lo; r.smax = hi; }
  r.s32min = r.smin; r.s32max = r.smax;
  if (r.smin >= 0n) { r.umin = r.smin; r.umax = r.smax; r.u32min = r.smin; r.u32max = r.smax; }
  r.var = trange(u64(r.smin), u64(r.smax));
  if (r.smin < 0n) r.var = TNUM_UNKNOWN;
  boundsSync(r);
}

export function isConst(r: Reg): boolean { return r.type === T.SCALAR && r.var.mask === 0n; }
export function isNull(r: Reg): boolean { return r.type === T.SCALAR && r.var.mask === 0n && r.var.value === 0n; }

/** verbose_snum / verbose_unum: decimal within the s16 range (6.18 prints R1=1000, R1=-32768, R1=0x8000). */
const DEC_MIN = -32768n;
const DEC_MAX = 32767n;
export function snum(v: bigint): string {
  const s = s64(v);
  if (s >= DEC_MIN && s <= DEC_MAX) return s.toString();
  return '0x' + u64(v).toString(16);
}
export function unum(v: bigint): string {
  const u = u64(v);
  return u <= DEC_MAX ? u.toString() : '0x' + u.toString(16);
}
function snumDecimal(v: bigint): boolean { return v >= DEC_MIN && v <= DEC_MAX; }

function scalarRanges(r: Reg): string[] {
  const s32a = snumDecimal(r.s32min) ? r.s32min : u32(r.s32min);
  const s32b = snumDecimal(r.s32max) ? r.s32max : u32(r.s32max);
  const m: { name: string; val: bigint; omit: boolean }[] = [
    { name: 'smin', val: r.smin, omit: r.smin === S64_MIN },
    { name: 'smax', val: r.smax, omit: r.smax === S64_MAX },
    { name: 'umin', val: r.umin, omit: r.umin === 0n },
    { name: 'umax', val: r.umax, omit: r.umax === U64 },
    { name: 'smin32', val: s32a, omit: r.s32min === S32_MIN },
    { name: 'smax32', val: s32b, omit: r.s32max === S32_MAX },
    { name: 'umin32', val: r.u32min, omit: r.u32min === 0n },
    { name: 'umax32', val: r.u32max, omit: r.u32max === U32 },
  ];
  const out: string[] = [];
  for (let i = 0; i < m.length; i++) {
    const m1 = m[i];
    if (m1.omit) continue;
    const neg1 = m1.name[0] === 's' && m1.val < 0n;
    let s = m1.name + '=';
    for (let j = i + 2; j < m.length; j += 2) {
      const m2 = m[j];
      if (m2.omit || u64(m2.val) !== u64(m1.val)) continue;
      const neg2 = m2.name[0] === 's' && m2.val < 0n;
      if (neg1 !== neg2) continue;
      m2.omit = true;
      s += m2.name + '=';
    }
    s += m1.name[0] === 's' ? snum(m1.val) : unum(m1.val);
    out.push(s);
  }
  return out;
}

export interface PrintCtx {
  mapName(idx: number): { name: string; ks: number; vs: number } | undefined;
  frameno: number;
}

/** print_reg_state. */
export function regStr(r: Reg, ctx: PrintCtx): string {
  if (r.type === T.SCALAR && tisConst(r.var)) return snum(r.var.value);
  let s = typeStr(r.type, r.flags);
  if (r.type === T.STACK) {
    if (ctx.frameno !== r.frameno) s += `[${r.frameno}]`;
    if (tisConst(r.var)) return s + snum(r.var.value + BigInt(r.off));
  }
  if (r.type === T.BTF_ID) s += r.btfName;
  const a: string[] = [];
  if (r.id) {
    const flag = addConstFlag(r.id);
    a.push(flag ? `id=${baseId(r.id)}${r.off < 0 ? '' : '+'}${r.off}` : `id=${r.id}`);
  }
  if (r.refObjId) a.push(`ref_obj_id=${r.refObjId}`);
  if (r.type === T.MAP_PTR || r.type === T.MAP_VALUE || r.type === T.MAP_KEY) {
    const m = ctx.mapName(r.map);
    if (m) {
      if (m.name) a.push(`map=${m.name}`);
      a.push(`ks=${m.ks},vs=${m.vs}`);
    }
  }
  if (r.type !== T.SCALAR && r.off) a.push('off=' + snum(BigInt(r.off)));
  // type_is_pkt_pointer: packet end has no range to print.
  // A packet range prints in decimal (r=65535); the end markers (AT_PKT_END -1, BEYOND_PKT_END -2) as u64.
  if (r.type === T.PKT || r.type === T.PKT_META) a.push(`r=${r.range >= 0 ? r.range : `0x${BigInt.asUintN(64, BigInt(r.range)).toString(16)}`}`);
  if (r.type === T.MEM) a.push('sz=' + unum(BigInt(r.memSize)));
  if (r.type === T.CONST_DYNPTR) a.push('type=local');
  if (tisConst(r.var)) {
    if (r.var.value) a.push('imm=' + snum(r.var.value));
  } else {
    a.push(...scalarRanges(r));
    if (!tisUnknown(r.var)) a.push('var_off=' + tstr(r.var));
  }
  return `${s}(${a.join(',')})`;
}

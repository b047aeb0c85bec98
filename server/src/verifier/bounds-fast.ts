/**
 * A fast path for reg_bounds_sync (reg.ts boundsSync) when every bound of a
 * register and its tnum lie in [0, 2^31): there the signed/unsigned 32/64-bit
 * casts are the identity, so the kernel's steps (update, deduce twice, bound
 * offset, update) run on small integers instead of bigints, with the same
 * results. Non-goal: any other range (boundsSync takes the bigint path).
 */
import type { Reg } from './reg';

const LIM = 0x80000000n;

/** Bigints for small results, so the common ones allocate nothing. */
const SMALL: bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));
function big(x: number, old: bigint, oldNum: number): bigint {
  if (x === oldNum) return old;
  return x < 1024 ? SMALL[x] : BigInt(x);
}

/** tnum_range(min, max) for min, max in [0, 2^31): its value, and (deltaOf) its mask. */
function trangeValue(min: number, max: number): number {
  const delta = deltaOf(min, max);
  return min & ~delta;
}
function deltaOf(min: number, max: number): number {
  const bits = 32 - Math.clz32(min ^ max);
  return bits === 0 ? 0 : 0xffffffff >>> (32 - bits);
}

const max = Math.max;
const min = Math.min;

/**
 * boundsSync for a non-constant register in the small domain; returns false
 * (changing nothing) when the register is outside it.
 */
export function boundsSyncSmall(r: Reg): boolean {
  const t = r.var;
  if (t.value >= LIM || t.mask >= LIM || r.umin >= LIM || r.umax >= LIM || r.u32min >= LIM || r.u32max >= LIM ||
    r.smin < 0n || r.smin >= LIM || r.smax < 0n || r.smax >= LIM || r.s32min < 0n || r.s32min >= LIM || r.s32max < 0n || r.s32max >= LIM) return false;
  const v0 = Number(t.value); const m0 = Number(t.mask);
  const umin0 = Number(r.umin); const umax0 = Number(r.umax); const smin0 = Number(r.smin); const smax0 = Number(r.smax);
  const u32min0 = Number(r.u32min); const u32max0 = Number(r.u32max); const s32min0 = Number(r.s32min); const s32max0 = Number(r.s32max);
  let v = v0; let m = m0;
  let umin = umin0; let umax = umax0; let smin = smin0; let smax = smax0;
  let u32min = u32min0; let u32max = u32max0; let s32min = s32min0; let s32max = s32max0;

  // The kernel's order: update, deduce, deduce, bound offset, update (one block each; no closures, nothing allocated).
  for (let step = 0; step < 5; step++) {
    if (step === 0 || step === 4) {
      // __update_reg_bounds (32 then 64): the tnum's range narrows every bound.
      const hi = v | m;
      s32min = max(s32min, v); s32max = min(s32max, hi); u32min = max(u32min, v); u32max = min(u32max, hi);
      smin = max(smin, v); smax = min(smax, hi); umin = max(umin, v); umax = min(umax, hi);
    } else if (step < 3) {
      // __reg_deduce_bounds. 32 from 64: the upper halves are equal (zero) on both sides.
      u32min = max(u32min, umin); u32max = min(u32max, umax);
      if (umin <= umax) { s32min = max(s32min, umin); s32max = min(s32max, umax); }
      u32min = max(u32min, smin); u32max = min(u32max, smax);
      if (smin <= smax) { s32min = max(s32min, smin); s32max = min(s32max, smax); }
      if (u32min <= u32max) { s32min = max(s32min, u32min); s32max = min(s32max, u32max); }
      if (s32min <= s32max) { u32min = max(s32min, u32min); u32max = min(s32max, u32max); }
      else if (u32max < s32min) { s32min = u32min; u32max = min(u32max, s32max); }
      else if (s32max < u32min) { s32max = u32max; u32min = max(u32min, s32min); }
      // 64 between signed and unsigned.
      if (umin <= umax) { smin = max(smin, umin); smax = min(smax, umax); }
      if (smin <= smax) { umin = max(smin, umin); umax = min(smax, umax); }
      else if (umax < smin) { smin = umin; umax = min(umax, smax); }
      else if (smax < umin) { smax = umax; umin = max(umin, smin); }
      // Mixed: the 64-bit bounds take the 32-bit ones (upper halves zero), then the s32 range wins (s32min >= 0).
      umin = max(umin, u32min); umax = min(umax, u32max);
      smin = max(smin, u32min); smax = min(smax, u32max);
      smin = s32min; smax = s32max; umin = s32min; umax = s32max;
      const d = deltaOf(smin, smax);
      const mu = m & d;
      v = (v | (smin & ~d)) & ~mu;
      m = mu;
    } else {
      // __reg_bound_offset: intersect with the unsigned ranges, 64 then 32 (the upper half is zero).
      const d64 = deltaOf(umin, umax);
      const mu64 = m & d64;
      const v64 = (v | trangeValue(umin, umax)) & ~mu64;
      const mu32 = mu64 & deltaOf(u32min, u32max);
      v = (v64 | trangeValue(u32min, u32max)) & ~mu32;
      m = mu32 & ~v;
    }
  }
  r.umin = big(umin, r.umin, umin0); r.umax = big(umax, r.umax, umax0);
  r.smin = big(smin, r.smin, smin0); r.smax = big(smax, r.smax, smax0);
  r.u32min = big(u32min, r.u32min, u32min0); r.u32max = big(u32max, r.u32max, u32max0);
  r.s32min = big(s32min, r.s32min, s32min0); r.s32max = big(s32max, r.s32max, s32max0);
  if (v !== v0 || m !== m0) r.var = { value: big(v, t.value, v0), mask: big(m, t.mask, m0) };
  return true;
}

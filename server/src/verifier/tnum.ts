/**
 * Tristate numbers (the kernel's `struct tnum`, kernel/bpf/tnum.c): a 64-bit
 * value whose bits are known 0, known 1 or unknown (`mask` bit set). Values are
 * unsigned bigints below 2^64. Non-goal: anything but the operations the
 * verifier's transfer functions use.
 */

export const U64 = 0xffffffffffffffffn;
export const U32 = 0xffffffffn;

export interface Tnum { readonly value: bigint; readonly mask: bigint }

export const TNUM_UNKNOWN: Tnum = { value: 0n, mask: U64 };
export const TNUM_ZERO: Tnum = { value: 0n, mask: 0n };

export function tconst(v: bigint): Tnum {
  return { value: v & U64, mask: 0n };
}

/** Position of the highest set bit, 1-based (fls64); 0 for 0. */
export function fls64(x: bigint): number {
  if (x === 0n) return 0;
  if (x > 0n && x <= U32) return 32 - Math.clz32(Number(x));
  if (x > U32 && x <= U64) return 64 - Math.clz32(Number(x >> 32n));
  return x.toString(2).length;
}

export function trange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  const bits = fls64(chi);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return { value: min & ~delta & U64, mask: delta };
}

export function tlshift(a: Tnum, s: number): Tnum {
  const b = BigInt(s);
  return { value: (a.value << b) & U64, mask: (a.mask << b) & U64 };
}

export function trshift(a: Tnum, s: number): Tnum {
  const b = BigInt(s);
  return { value: a.value >> b, mask: a.mask >> b };
}

export function tarshift(a: Tnum, s: number, bits: 32 | 64): Tnum {
  const b = BigInt(s);
  if (bits === 32) {
    return {
      value: BigInt.asUintN(32, BigInt.asIntN(32, a.value) >> b),
      mask: BigInt.asUintN(32, BigInt.asIntN(32, a.mask) >> b),
    };
  }
  return { value: BigInt.asUintN(64, BigInt.asIntN(64, a.value) >> b), mask: BigInt.asUintN(64, BigInt.asIntN(64, a.mask) >> b) };
}

export function tadd(a: Tnum, b: Tnum): Tnum {
  if (a.mask === 0n && b.mask === 0n) return { value: (a.value + b.value) & U64, mask: 0n };
  const sm = (a.mask + b.mask) & U64;
  const sv = (a.value + b.value) & U64;
  const sigma = (sm + sv) & U64;
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & ~mu & U64, mask: mu };
}

export function tsub(a: Tnum, b: Tnum): Tnum {
  if (a.mask === 0n && b.mask === 0n) return { value: (a.value - b.value) & U64, mask: 0n };
  const dv = (a.value - b.value) & U64;
  const alpha = (dv + a.mask) & U64;
  const beta = (dv - b.mask) & U64;
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return { value: dv & ~mu & U64, mask: mu };
}

export function tneg(a: Tnum): Tnum {
  return tsub(TNUM_ZERO, a);
}

export function tand(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v & U64 };
}

export function tor(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & ~v & U64 };
}

export function txor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

export function tmul(a0: Tnum, b0: Tnum): Tnum {
  let a = a0;
  let b = b0;
  const accV = (a.value * b.value) & U64;
  let accM: Tnum = TNUM_ZERO;
  while (a.value || a.mask) {
    if (a.value & 1n) accM = tadd(accM, { value: 0n, mask: b.mask });
    else if (a.mask & 1n) accM = tadd(accM, { value: 0n, mask: b.value | b.mask });
    a = trshift(a, 1);
    b = tlshift(b, 1);
  }
  return tadd({ value: accV, mask: 0n }, accM);
}

export function tintersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

/** Keeps the low `size` bytes. */
export function tcast(a: Tnum, size: number): Tnum {
  const m = size >= 8 ? U64 : (1n << BigInt(size * 8)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
}

export function tsubreg(a: Tnum): Tnum {
  return { value: a.value & U32, mask: a.mask & U32 };
}

export function tclearSubreg(a: Tnum): Tnum {
  return { value: a.value & ~U32 & U64, mask: a.mask & ~U32 & U64 };
}

export function tconstSubreg(a: Tnum, v: bigint): Tnum {
  return tor(tclearSubreg(a), tconst(v & U32));
}

export function tisConst(a: Tnum): boolean {
  return a.mask === 0n;
}

export function tsubregIsConst(a: Tnum): boolean {
  return (a.mask & U32) === 0n;
}

export function tisUnknown(a: Tnum): boolean {
  return a.mask === U64;
}

export function tisAligned(a: Tnum, size: number): boolean {
  if (!size) return true;
  return ((a.value | a.mask) & BigInt(size - 1)) === 0n;
}

/** Is every value of b also a value of a? */
export function tin(a: Tnum, b: Tnum): boolean {
  if (b.mask & ~a.mask & U64) return false;
  return a.value === (b.value & ~a.mask & U64);
}

export function tequals(a: Tnum, b: Tnum): boolean {
  return a.value === b.value && a.mask === b.mask;
}

/** The kernel's tnum_strn: `(0x0; 0xff)`. */
export function tstr(a: Tnum): string {
  return `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
}

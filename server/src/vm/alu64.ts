/**
 * 64-bit arithmetic on (hi, lo) int32 halves stored in two Int32Arrays, for
 * the operations too long to write inline in the interpreter loop: multiply,
 * unsigned and signed divide/modulo (RFC 9669 semantics for a zero divisor and
 * INT_MIN / -1) and byte swaps. Shifts and compares are inline in the loop.
 */

const TWO32 = 4294967296;

export function toBig(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function setBig(L: Int32Array, H: Int32Array, d: number, v: bigint): void {
  L[d] = Number(v & 0xffffffffn);
  H[d] = Number((v >> 32n) & 0xffffffffn);
}

/** dst = dst * b (low 64 bits). */
export function mul64(L: Int32Array, H: Int32Array, d: number, bl: number, bh: number): void {
  const al = L[d], ah = H[d];
  const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const hi = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  L[d] = Math.imul(al, bl);
  H[d] = (hi + Math.imul(al, bh) + Math.imul(ah, bl)) | 0;
}

/** Unsigned divide (mod = false) or modulo; RFC 9669: x / 0 = 0, x % 0 = x. */
export function divmod64(L: Int32Array, H: Int32Array, d: number, bl: number, bh: number, mod: boolean): void {
  if (bl === 0 && bh === 0) {
    if (!mod) { L[d] = 0; H[d] = 0; }
    return;
  }
  const al = L[d], ah = H[d];
  if (ah === 0 && bh === 0) {
    const a = al >>> 0, b = bl >>> 0;
    L[d] = mod ? a % b : Math.floor(a / b);
    return;
  }
  const a = toBig(ah, al), b = toBig(bh, bl);
  setBig(L, H, d, mod ? a % b : a / b);
}

/** Signed divide or modulo (sdiv/smod): x s/ 0 = 0, x s% 0 = x, INT_MIN s/ -1 = INT_MIN, INT_MIN s% -1 = 0. */
export function sdivmod64(L: Int32Array, H: Int32Array, d: number, bl: number, bh: number, mod: boolean): void {
  if (bl === 0 && bh === 0) {
    if (!mod) { L[d] = 0; H[d] = 0; }
    return;
  }
  const a = BigInt.asIntN(64, toBig(H[d], L[d])), b = BigInt.asIntN(64, toBig(bh, bl));
  // BigInt division truncates toward zero and the remainder takes the dividend's sign, as C.
  setBig(L, H, d, BigInt.asUintN(64, mod ? a % b : a / b));
}

/** 32-bit unsigned / signed divide and modulo on the low halves; the result is zero-extended. */
export function divmod32(L: Int32Array, H: Int32Array, d: number, b: number, mod: boolean, signed: boolean): void {
  const a = L[d];
  H[d] = 0;
  if (b === 0) {
    if (!mod) L[d] = 0;
    return;
  }
  if (signed) L[d] = mod ? a % b : a / b; // Int32Array stores truncate; INT_MIN / -1 wraps to INT_MIN
  else L[d] = mod ? (a >>> 0) % (b >>> 0) : Math.floor((a >>> 0) / (b >>> 0));
}

export function bswap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}

export function bswap32(v: number): number {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

export { TWO32 };

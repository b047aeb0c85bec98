/**
 * Representation study for the JIT: how fast is one 64-bit BPF register
 * operation in JavaScript for each way of holding a 64-bit value? Every variant
 * runs the same six-operation loop body (add, xor, shift left, add, logical
 * shift right, xor — the `alu` benchmark's mix) and must produce the same
 * checksum. Not a benchmark of the JIT itself (see vm.ts).
 */

type Variant = { name: string; run: (n: number) => bigint };

const MASK = 0xffffffffffffffffn;

/** BigInt locals, wrapped with `& MASK` after each op. */
function bigintLocals(n: number): bigint {
  let r0 = 0x0123456789abcdefn, r1 = 0xfedcba9876543210n, r2 = 7n, r3 = 0n, r4 = 0n;
  for (let i = 0; i < n; i++) {
    r0 = (r0 + r1) & MASK;
    r2 = r2 ^ r0;
    r3 = (r2 << 5n) & MASK;
    r0 = (r0 + r3) & MASK;
    r4 = r0 >> 3n;
    r1 = r1 ^ r4;
  }
  return r0 ^ r1 ^ r2;
}

/** BigInt.asUintN on each op (the "obvious" way). */
function bigintAsUintN(n: number): bigint {
  let r0 = 0x0123456789abcdefn, r1 = 0xfedcba9876543210n, r2 = 7n, r3 = 0n, r4 = 0n;
  for (let i = 0; i < n; i++) {
    r0 = BigInt.asUintN(64, r0 + r1);
    r2 = r2 ^ r0;
    r3 = BigInt.asUintN(64, r2 << 5n);
    r0 = BigInt.asUintN(64, r0 + r3);
    r4 = r0 >> 3n;
    r1 = r1 ^ r4;
  }
  return r0 ^ r1 ^ r2;
}

/** A BigUint64Array register file (wraps on store). */
function bigUint64Array(n: number): bigint {
  const r = new BigUint64Array(11);
  r[0] = 0x0123456789abcdefn; r[1] = 0xfedcba9876543210n; r[2] = 7n;
  for (let i = 0; i < n; i++) {
    r[0] = r[0] + r[1];
    r[2] = r[2] ^ r[0];
    r[3] = r[2] << 5n;
    r[0] = r[0] + r[3];
    r[4] = r[0] >> 3n;
    r[1] = r[1] ^ r[4];
  }
  return r[0] ^ r[1] ^ r[2];
}

/** hi/lo int32 pairs in local variables; carry from `>>> 0` comparisons. The chosen representation. */
function hiloLocals(n: number): bigint {
  let r0l = 0x89abcdef | 0, r0h = 0x01234567 | 0, r1l = 0x76543210 | 0, r1h = 0xfedcba98 | 0;
  let r2l = 7, r2h = 0, r3l = 0, r3h = 0, r4l = 0, r4h = 0;
  let t = 0;
  for (let i = 0; i < n; i++) {
    t = (r0l >>> 0) + (r1l >>> 0); r0h = (r0h + r1h + (t > 0xffffffff ? 1 : 0)) | 0; r0l = t | 0;
    r2l ^= r0l; r2h ^= r0h;
    r3h = (r2h << 5) | (r2l >>> 27); r3l = r2l << 5;
    t = (r0l >>> 0) + (r3l >>> 0); r0h = (r0h + r3h + (t > 0xffffffff ? 1 : 0)) | 0; r0l = t | 0;
    r4l = (r0l >>> 3) | (r0h << 29); r4h = r0h >>> 3;
    r1l ^= r4l; r1h ^= r4h;
  }
  const j = (h: number, l: number) => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
  return j(r0h, r0l) ^ j(r1h, r1l) ^ j(r2h, r2l);
}

/** hi/lo int32 locals with the carry computed bitwise (majority of the sign bits): no double arithmetic. */
function hiloBitwiseCarry(n: number): bigint {
  let r0l = 0x89abcdef | 0, r0h = 0x01234567 | 0, r1l = 0x76543210 | 0, r1h = 0xfedcba98 | 0;
  let r2l = 7, r2h = 0, r3l = 0, r3h = 0, r4l = 0, r4h = 0;
  let t = 0;
  for (let i = 0; i < n; i++) {
    t = (r0l + r1l) | 0; r0h = (r0h + r1h + (((r0l & r1l) | ((r0l | r1l) & ~t)) >>> 31)) | 0; r0l = t;
    r2l ^= r0l; r2h ^= r0h;
    r3h = (r2h << 5) | (r2l >>> 27); r3l = r2l << 5;
    t = (r0l + r3l) | 0; r0h = (r0h + r3h + (((r0l & r3l) | ((r0l | r3l) & ~t)) >>> 31)) | 0; r0l = t;
    r4l = (r0l >>> 3) | (r0h << 29); r4h = (r0h >>> 3) | 0;
    r1l ^= r4l; r1h ^= r4h;
  }
  const j = (h: number, l: number) => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
  return j(r0h, r0l) ^ j(r1h, r1l) ^ j(r2h, r2l);
}

/** hi/lo halves in an Int32Array register file (what an interpreter does). */
function hiloInt32Array(n: number): bigint {
  const r = new Int32Array(22); // r[2k] = lo, r[2k+1] = hi
  r[0] = 0x89abcdef | 0; r[1] = 0x01234567; r[2] = 0x76543210; r[3] = 0xfedcba98 | 0; r[4] = 7;
  let t = 0;
  for (let i = 0; i < n; i++) {
    t = (r[0] >>> 0) + (r[2] >>> 0); r[1] = r[1] + r[3] + (t > 0xffffffff ? 1 : 0); r[0] = t;
    r[4] ^= r[0]; r[5] ^= r[1];
    r[7] = (r[5] << 5) | (r[4] >>> 27); r[6] = r[4] << 5;
    t = (r[0] >>> 0) + (r[6] >>> 0); r[1] = r[1] + r[7] + (t > 0xffffffff ? 1 : 0); r[0] = t;
    r[8] = (r[0] >>> 3) | (r[1] << 29); r[9] = r[1] >>> 3;
    r[2] ^= r[8]; r[3] ^= r[9];
  }
  const j = (h: number, l: number) => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
  return j(r[1], r[0]) ^ j(r[3], r[2]) ^ j(r[5], r[4]);
}

/**
 * Float64 trick: the low half as an exact double in [0, 2^32) and the high half
 * as an int32, carry by comparison with 2^32 (no `| 0` on the low half).
 */
function float64Lo(n: number): bigint {
  const T = 4294967296;
  let r0l = 0x89abcdef, r0h = 0x01234567, r1l = 0x76543210, r1h = 0xfedcba98 | 0;
  let r2l = 7, r2h = 0, r3l = 0, r3h = 0, r4l = 0, r4h = 0;
  let t = 0;
  for (let i = 0; i < n; i++) {
    t = r0l + r1l; if (t >= T) { t -= T; r0h = (r0h + r1h + 1) | 0; } else r0h = (r0h + r1h) | 0; r0l = t;
    r2l = (r2l ^ r0l) >>> 0; r2h ^= r0h;
    r3h = (r2h << 5) | (r2l >>> 27); r3l = (r2l << 5) >>> 0;
    t = r0l + r3l; if (t >= T) { t -= T; r0h = (r0h + r3h + 1) | 0; } else r0h = (r0h + r3h) | 0; r0l = t;
    r4l = ((r0l >>> 3) | (r0h << 29)) >>> 0; r4h = r0h >>> 3;
    r1l = (r1l ^ r4l) >>> 0; r1h ^= r4h;
  }
  const j = (h: number, l: number) => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
  return j(r0h, r0l) ^ j(r1h, r1l) ^ j(r2h, r2l);
}

export const VARIANTS: Variant[] = [
  { name: 'BigInt locals (& mask)', run: bigintLocals },
  { name: 'BigInt.asUintN locals', run: bigintAsUintN },
  { name: 'BigUint64Array regs', run: bigUint64Array },
  { name: 'hi/lo int32 locals', run: hiloLocals },
  { name: 'hi/lo locals, bitwise carry', run: hiloBitwiseCarry },
  { name: 'hi/lo Int32Array regs', run: hiloInt32Array },
  { name: 'Float64 lo + int32 hi', run: float64Lo },
];

/**
 * The ALU loop flatters BigUint64Array (V8 lowers BigInt add/xor/shift to int64
 * when the result is stored to a 64-bit typed array). Branches and memory
 * accesses are where it loses: an unsigned compare and a Number() address
 * conversion leave the int64 world. These two loops measure that.
 */
function bigBranchy(n: number): bigint {
  const r = new BigUint64Array(11);
  r[1] = 0x123456789n; r[7] = BigInt(n);
  for (;;) {
    r[1] = r[1] ^ (r[1] << 13n); r[1] = r[1] ^ (r[1] >> 7n); r[1] = r[1] ^ (r[1] << 17n);
    if ((r[1] & 1n) !== 0n) r[0] = r[0] + 1n;
    r[6] = r[6] + 1n;
    if (r[6] < r[7]) continue;
    return r[0];
  }
}

function hiloBranchy(n: number): bigint {
  let r0l = 0, r0h = 0, r1l = 0x23456789, r1h = 1, r6l = 0, r6h = 0, tl = 0, th = 0, t = 0;
  const r7l = n, r7h = 0;
  for (;;) {
    th = (r1h << 13) | (r1l >>> 19); tl = r1l << 13; r1l ^= tl; r1h ^= th;
    tl = (r1l >>> 7) | (r1h << 25); th = r1h >>> 7; r1l ^= tl; r1h ^= th;
    th = (r1h << 17) | (r1l >>> 15); tl = r1l << 17; r1l ^= tl; r1h ^= th;
    if ((r1l & 1) !== 0) { t = (r0l + 1) | 0; r0h = (r0h + (((r0l & 1) | ((r0l | 1) & ~t)) >>> 31)) | 0; r0l = t; }
    t = (r6l + 1) | 0; r6h = (r6h + (((r6l & 1) | ((r6l | 1) & ~t)) >>> 31)) | 0; r6l = t;
    if ((r6h >>> 0) < (r7h >>> 0) || (r6h === r7h && (r6l >>> 0) < (r7l >>> 0))) continue;
    return (BigInt(r0h >>> 0) << 32n) | BigInt(r0l >>> 0);
  }
}

function bigMem(n: number): bigint {
  const r = new BigUint64Array(11);
  const dv = new DataView(new ArrayBuffer(512));
  const base = 0xff0000000000n;
  r[10] = base + 512n; r[7] = BigInt(n);
  for (;;) {
    r[1] = dv.getBigUint64(Number(r[10] - base) - 8, true);
    r[1] = r[1] + 3n;
    dv.setBigUint64(Number(r[10] - base) - 8, r[1], true);
    r[6] = r[6] + 1n;
    if (r[6] < r[7]) continue;
    return r[1];
  }
}

function hiloMem(n: number): bigint {
  let r1l = 0, r1h = 0, r6l = 0, r6h = 0, t = 0, off = 0;
  const r7l = n, r7h = 0, r10l = 512, r10h = 0xff00, baseHi = 0xff00;
  const dv = new DataView(new ArrayBuffer(512));
  for (;;) {
    off = (r10l - 8) >>> 0;
    if (r10h !== baseHi || off + 8 > 512) return -1n;
    r1l = dv.getInt32(off, true); r1h = dv.getInt32(off + 4, true);
    t = (r1l + 3) | 0; r1h = (r1h + (((r1l & 3) | ((r1l | 3) & ~t)) >>> 31)) | 0; r1l = t;
    off = (r10l - 8) >>> 0;
    if (r10h !== baseHi || off + 8 > 512) return -1n;
    dv.setInt32(off, r1l, true); dv.setInt32(off + 4, r1h, true);
    t = (r6l + 1) | 0; r6h = (r6h + (((r6l & 1) | ((r6l | 1) & ~t)) >>> 31)) | 0; r6l = t;
    if ((r6h >>> 0) < (r7h >>> 0) || (r6h === r7h && (r6l >>> 0) < (r7l >>> 0))) continue;
    return (BigInt(r1h >>> 0) << 32n) | BigInt(r1l >>> 0);
  }
}

const LOOPS: { name: string; ops: number; big: (n: number) => bigint; hilo: (n: number) => bigint }[] = [
  { name: 'branchy (xorshift, jset, jlt)', ops: 8, big: bigBranchy, hilo: hiloBranchy },
  { name: 'mem (ldxdw, add, stxdw, jlt)', ops: 5, big: bigMem, hilo: hiloMem },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs every variant `runs` times on `n` iterations; prints ns per 64-bit operation (6 per iteration). */
export function benchRepr(args: string[]): void {
  const n = Number(args[0] ?? 5_000_000);
  const runs = Number(args[1] ?? 5);
  const ref = hiloLocals(1000);
  console.log(`representation study: ${n} iterations x 6 ops, median of ${runs} runs`);
  console.log('variant                      ns/op   checksum-ok');
  for (const v of VARIANTS) {
    const ok = v.run(1000) === ref;
    // BigInt variants are ~100x slower: scale their iteration count down.
    const iters = v.name.startsWith('Big') ? Math.max(1, Math.floor(n / 20)) : n;
    v.run(Math.min(iters, 100_000)); // warm up
    const times: number[] = [];
    for (let k = 0; k < runs; k++) {
      const t0 = process.hrtime.bigint();
      v.run(iters);
      times.push(Number(process.hrtime.bigint() - t0) / (iters * 6));
    }
    console.log(`${v.name.padEnd(28)} ${median(times).toFixed(3).padStart(7)}   ${ok ? 'yes' : 'NO'}`);
  }
  console.log('\nloop                           BigUint64Array  hi/lo locals  (ns per BPF-like op)');
  for (const l of LOOPS) {
    const ok = l.big(1000) === l.hilo(1000);
    const m = (f: (n: number) => bigint, iters: number): number => {
      f(Math.min(iters, 100_000));
      const times: number[] = [];
      for (let k = 0; k < runs; k++) {
        const t0 = process.hrtime.bigint();
        f(iters);
        times.push(Number(process.hrtime.bigint() - t0) / (iters * l.ops));
      }
      return median(times);
    };
    console.log(`${l.name.padEnd(30)} ${m(l.big, Math.floor(n / 5)).toFixed(3).padStart(14)}  ${m(l.hilo, n).toFixed(3).padStart(12)}  ${ok ? '' : 'MISMATCH'}`);
  }
}

// Correctness of the verifier's fast paths against their bigint references on
// random inputs: reg_bounds_sync for small registers (bounds-fast.ts) against
// the bigint steps (reg.ts boundsSyncBig), fls64, and copy-on-write stacks
// (a clone never sees its original's later writes, nor the other way round), and
// the per-verification arena (arena.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundsSyncSmall } from '../../server/src/verifier/bounds-fast';
import { Reg, T, boundsSyncBig, markNotInit, markUnknown } from '../../server/src/verifier/reg';
import { fls64 } from '../../server/src/verifier/tnum';
import { Frame, S } from '../../server/src/verifier/state';
import { arenaBegin, arenaEnd, arenaI32, arenaStack, arenaU8 } from '../../server/src/verifier/arena';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s; };
}

function dump(r: Reg): string {
  return [r.var.value, r.var.mask, r.umin, r.umax, r.smin, r.smax, r.u32min, r.u32max, r.s32min, r.s32max].join(',');
}

/** A random register whose bounds are small (often inconsistent, as after impossible branches). */
function smallReg(next: () => number): Reg {
  const pick = (): bigint => {
    const k = next() % 4;
    if (k === 0) return BigInt(next() % 64);
    if (k === 1) return BigInt(next() % 0x10000);
    return BigInt(next() % 0x80000000);
  };
  const r = new Reg();
  markUnknown(r);
  r.type = T.SCALAR;
  const a = pick(); const b = pick();
  const lo = a < b ? a : b; const hi = a < b ? b : a;
  const set = (x: bigint, y: bigint): [bigint, bigint] => (next() % 8 === 0 ? [y, x] : [x, y]);
  const jitter = (x: bigint): bigint => (next() % 3 === 0 ? x : pick());
  [r.umin, r.umax] = set(lo, hi);
  [r.smin, r.smax] = set(jitter(lo), jitter(hi));
  [r.u32min, r.u32max] = set(jitter(lo), jitter(hi));
  [r.s32min, r.s32max] = set(jitter(lo), jitter(hi));
  let mask = pick() | (next() % 2 ? 0n : 1n);
  if (mask === 0n) mask = 1n;
  const value = pick() & ~mask;
  r.var = { value, mask };
  return r;
}

test('bounds fast path: same result as the bigint reg_bounds_sync on 200k small registers', () => {
  const next = rng(4242);
  let changed = 0;
  for (let i = 0; i < 200_000; i++) {
    const a = smallReg(next);
    const b = a.clone();
    const before = dump(a);
    assert.equal(boundsSyncSmall(a), true, before);
    boundsSyncBig(b);
    assert.equal(dump(a), dump(b), `input ${before}`);
    if (dump(a) !== before) changed++;
  }
  assert.ok(changed > 100_000, `most inputs are narrowed (${changed})`);
});

test('bounds fast path: refuses registers outside [0, 2^31) and leaves them unchanged', () => {
  const next = rng(7);
  const edges = [0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 40n, -1n, -(1n << 31n)];
  for (let i = 0; i < 20_000; i++) {
    const r = smallReg(next);
    const field = ['umin', 'umax', 'smin', 'smax', 'u32min', 'u32max', 's32min', 's32max', 'value', 'mask'][next() % 10];
    const e = edges[next() % edges.length];
    if (field === 'value' || field === 'mask') {
      if (e < 0n) continue;
      r.var = field === 'value' ? { value: e & ~r.var.mask, mask: r.var.mask } : { value: r.var.value & ~e, mask: e };
    } else {
      if ((field[0] === 'u') && e < 0n) continue;
      (r as unknown as Record<string, bigint>)[field] = e;
    }
    const inDomain = [r.umin, r.umax, r.smin, r.smax, r.u32min, r.u32max, r.s32min, r.s32max, r.var.value, r.var.mask]
      .every((x) => x >= 0n && x < 0x80000000n);
    const before = dump(r);
    const ref = r.clone();
    const took = boundsSyncSmall(r);
    assert.equal(took, inDomain, before);
    if (!took) assert.equal(dump(r), before);
    else { boundsSyncBig(ref); assert.equal(dump(r), dump(ref)); }
  }
});

test('fls64 matches the bit length of the binary text', () => {
  const next = rng(99);
  const cases = [0n, 1n, 2n, 3n, 0xffffffffn, 0x100000000n, 0xffffffffffffffffn, 1n << 63n, (1n << 64n) + 5n, -1n, -12345n];
  for (let i = 0; i < 5000; i++) cases.push((BigInt(next()) << BigInt(next() % 33)) | BigInt(next() % 7));
  for (const x of cases) assert.equal(fls64(x), x === 0n ? 0 : x.toString(2).length, String(x));
});

test('stack copy-on-write: clones and originals never see each other\'s writes', () => {
  const a = new Frame(0);
  a.stype[7] = S.SPILL;
  const r = new Reg(); markUnknown(r); r.id = 5;
  a.spilled[0] = r;
  a.allocated = 8;
  const b = a.clone();
  assert.equal(b.stypeView[7], S.SPILL);
  assert.equal(b.stypeView, a.stypeView, 'shared until written');
  b.stype[6] = S.MISC;
  (b.spilled[0] as Reg).id = 9;
  assert.equal(a.stypeView[6], S.INVALID);
  assert.equal(a.spilledView[0]?.id, 5);
  const c = a.clone();
  a.stype[5] = S.ZERO;
  (a.spilled[0] as Reg).id = 7;
  assert.equal(c.stypeView[5], S.INVALID);
  assert.equal(c.spilledView[0]?.id, 5);
  assert.equal(b.spilledView[0]?.id, 9);
  let seen = 0;
  c.eachSpilled((x) => x.id === 5, (x) => { x.id = 6; seen++; });
  assert.equal(seen, 1);
  assert.equal(c.spilledView[0]?.id, 6);
  assert.equal(a.spilledView[0]?.id, 7);
  const fresh = new Frame(1);
  fresh.stype[0] = S.MISC;
  assert.equal(new Frame(2).stypeView[0], S.INVALID, 'the blank stack is never written');
});

test('a new register is exactly a not-initialised one (Frame relies on it)', () => {
  const a = new Reg();
  const b = new Reg();
  b.type = T.SCALAR; b.id = 3; b.map = 2; b.subprog = 7; b.btfName = 'x'; b.var = { value: 1n, mask: 0n }; b.umax = 5n;
  markNotInit(b);
  assert.deepEqual({ ...a }, { ...b });
  assert.deepEqual(new Frame(0).regs.slice(0, 10).map((r) => ({ ...r })), Array.from({ length: 10 }, () => ({ ...a })));
});

test('arena: views are cleared when handed out, stacks copied or zeroed, nothing is shared outside a verification or across nesting', () => {
  arenaBegin();
  try {
    const a = arenaI32(40, -1);
    assert.ok(a.every((x) => x === -1));
    a.fill(7);
    const b = arenaU8(100);
    assert.ok(b.every((x) => x === 0));
    b.fill(9);
    const s = arenaStack();
    assert.ok(s.every((x) => x === 0));
    s.fill(3);
    const t = arenaStack(s);
    assert.notEqual(t, s);
    assert.ok(t.every((x) => x === 3));
    assert.ok(a.every((x) => x === 7), 'a later view does not overlap an earlier one');
    // A nested verification gets arrays of its own and leaves the outer ones alone.
    arenaBegin();
    const inner = arenaU8(100);
    inner.fill(1);
    arenaEnd();
    assert.ok(b.every((x) => x === 9));
  } finally {
    arenaEnd();
  }
  // Outside a verification: fresh arrays.
  const x = arenaU8(16); const y = arenaU8(16);
  x.fill(5);
  assert.ok(y.every((v) => v === 0));
  assert.notEqual(x.buffer, y.buffer);
  // The next verification starts over, with cleared memory.
  arenaBegin();
  try {
    assert.ok(arenaI32(40).every((v) => v === 0));
    assert.ok(arenaStack().every((v) => v === 0));
  } finally {
    arenaEnd();
  }
});

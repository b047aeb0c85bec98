/**
 * Interpreter semantics against an independent BigInt model of RFC 9669: every
 * ALU, jump, byte-swap and load form, with edge values (0, -1, INT_MIN of
 * both widths, shift counts past the width) and seeded random values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Insn, OPCODES, OpSpec, layout, mkInsn, specFor, splitImm64 } from '../../server/src/isa';
import { runInterp } from '../../server/src/vm';

const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;
const u64 = (v: bigint) => BigInt.asUintN(64, v);
const i64 = (v: bigint) => BigInt.asIntN(64, v);
const i32 = (v: bigint) => BigInt.asIntN(32, v);

function spec(name: string, reg?: boolean): OpSpec {
  const s = specFor(name, reg);
  assert.ok(s, `no spec ${name}`);
  return s;
}

function lddw(dst: number, v: bigint): Insn {
  return mkInsn(spec('lddw'), { dst, ...splitImm64(v) });
}

function prog(...insns: Insn[]): Insn[] {
  layout(insns);
  return insns;
}

/** Reference ALU result (unsigned 64). `b` is the operand as the instruction sees it (imm already sign-extended). */
function refAlu(op: string, is64: boolean, a: bigint, b: bigint): bigint {
  if (is64) {
    const n = b & 63n;
    switch (op) {
      case 'add': return u64(a + b);
      case 'sub': return u64(a - b);
      case 'mul': return u64(a * b);
      case 'div': return b === 0n ? 0n : a / b;
      case 'sdiv': return b === 0n ? 0n : u64(i64(a) / i64(b));
      case 'mod': return b === 0n ? a : a % b;
      case 'smod': return b === 0n ? a : u64(i64(a) % i64(b));
      case 'or': return a | b;
      case 'and': return a & b;
      case 'xor': return a ^ b;
      case 'lsh': return u64(a << n);
      case 'rsh': return a >> n;
      case 'arsh': return u64(i64(a) >> n);
      case 'neg': return u64(-a);
      case 'mov': return b;
    }
  } else {
    const x = a & M32, y = b & M32, n = y & 31n;
    const z = (v: bigint) => BigInt.asUintN(32, v);
    switch (op) {
      case 'add': return z(x + y);
      case 'sub': return z(x - y);
      case 'mul': return z(x * y);
      case 'div': return y === 0n ? 0n : x / y;
      case 'sdiv': return y === 0n ? 0n : z(i32(x) / i32(y));
      case 'mod': return y === 0n ? x : x % y;
      case 'smod': return y === 0n ? x : z(i32(x) % i32(y));
      case 'or': return x | y;
      case 'and': return x & y;
      case 'xor': return x ^ y;
      case 'lsh': return z(x << n);
      case 'rsh': return x >> n;
      case 'arsh': return z(i32(x) >> n);
      case 'neg': return z(-x);
      case 'mov': return y;
    }
  }
  throw new Error(`no model for ${op}`);
}

const EDGE64 = [0n, 1n, 2n, 3n, 7n, 31n, 32n, 33n, 63n, 64n, 65n, M64, M64 - 1n, 1n << 63n, (1n << 63n) - 1n,
  0x80000000n, 0x7fffffffn, 0xffffffffn, 0x100000000n, 0xffffffff80000000n, 0xffffffff00000000n, 0x123456789abcdef0n];

function* rng(seed: number): Generator<bigint> {
  let x = seed >>> 0 || 1;
  const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return BigInt(x); };
  for (;;) {
    const k = next() % 4n;
    if (k === 0n) yield EDGE64[Number(next() % BigInt(EDGE64.length))];
    else if (k === 1n) yield next();
    else if (k === 2n) yield u64(-next());
    else yield (next() << 32n) | next();
  }
}

function r0(insns: Insn[]): bigint {
  const r = runInterp(insns);
  assert.equal(r.fault, undefined, r.fault?.message);
  assert.ok(r.r0 !== undefined);
  return r.r0;
}

test('ALU: every form agrees with the BigInt model (edge and random values)', () => {
  const gen = rng(12345);
  const alus = OPCODES.filter((s) => s.kind === 'alu' && s.alu !== 'movsx');
  let checked = 0;
  for (const s of alus) {
    const pairs: [bigint, bigint][] = [];
    for (const a of EDGE64) for (const b of [0n, 1n, M64, 1n << 63n, 0x80000000n, 31n, 32n, 63n, 64n, 0xffffffff80000000n]) pairs.push([a, b]);
    for (let i = 0; i < 60; i++) pairs.push([gen.next().value, gen.next().value]);
    for (const [a, bRaw] of pairs) {
      let b = bRaw;
      let opInsn: Insn;
      if (s.srcReg) {
        opInsn = mkInsn(s, { dst: 1, src: 2 });
      } else {
        const imm = Number(BigInt.asIntN(32, bRaw));
        b = u64(BigInt(imm)); // the immediate is sign-extended to 64 bits
        opInsn = mkInsn(s, { dst: 1, imm: s.alu === 'neg' ? 0 : imm });
      }
      const got = r0(prog(lddw(1, a), lddw(2, b), opInsn, mkInsn(spec('mov', true), { dst: 0, src: 1 }), mkInsn(spec('exit'))));
      const want = refAlu(s.alu!, s.is64, a, b);
      assert.equal(got, want, `${s.name}${s.srcReg ? ' reg' : ' imm'} a=0x${a.toString(16)} b=0x${b.toString(16)}: got 0x${got.toString(16)} want 0x${want.toString(16)}`);
      checked++;
    }
  }
  assert.ok(checked > 5000);
});

test('ALU: RFC corner cases spelled out', () => {
  const run1 = (name: string, reg: boolean, a: bigint, b: bigint) => {
    const s = spec(name, reg);
    const opInsn = reg ? mkInsn(s, { dst: 1, src: 2 }) : mkInsn(s, { dst: 1, imm: Number(BigInt.asIntN(32, b)) });
    return r0(prog(lddw(1, a), lddw(2, b), opInsn, mkInsn(spec('mov', true), { dst: 0, src: 1 }), mkInsn(spec('exit'))));
  };
  assert.equal(run1('div', true, 7n, 0n), 0n, 'x / 0 = 0');
  assert.equal(run1('mod', true, 7n, 0n), 7n, 'x % 0 = x');
  assert.equal(run1('div32', true, 0xffffffff00000007n, 0n), 0n);
  assert.equal(run1('mod32', true, 0xffffffff00000007n, 0n), 7n, '32-bit x % 0 keeps the low half, zero-extended');
  assert.equal(run1('sdiv', true, 1n << 63n, M64), 1n << 63n, 'INT_MIN s/ -1 = INT_MIN');
  assert.equal(run1('smod', true, 1n << 63n, M64), 0n, 'INT_MIN s% -1 = 0');
  assert.equal(run1('sdiv32', false, 0x80000000n, M64), 0x80000000n);
  assert.equal(run1('smod32', false, 0xffffffff80000000n, M64), 0n);
  assert.equal(run1('smod32', true, 0xfffffffffffffff9n, 0n), 0xfffffff9n, 'smod32 by zero truncates dst to 32 bits');
  assert.equal(run1('smod', true, u64(-7n), 2n), u64(-1n), 'smod takes the dividend\'s sign');
  assert.equal(run1('lsh', true, 1n, 65n), 2n, 'shift amounts are masked to 6 bits');
  assert.equal(run1('lsh32', true, 1n, 33n), 2n, '32-bit shift amounts are masked to 5 bits');
  assert.equal(run1('arsh32', false, 0x80000000n, 31n), 0xffffffffn);
  assert.equal(run1('add32', false, M64, 1n), 0n, '32-bit results are zero-extended');
  assert.equal(run1('mov', false, 0n, u64(-1n)), M64, 'mov imm sign-extends');
  assert.equal(run1('mov32', false, 0n, u64(-1n)), M32);
});

test('movsx, sign-extending loads and byte swaps', () => {
  const mv = (name: string, v: bigint) =>
    r0(prog(lddw(1, v), mkInsn(spec(name), { dst: 0, src: 1 }), mkInsn(spec('exit'))));
  assert.equal(mv('movsx864', 0x80n), u64(-128n));
  assert.equal(mv('movsx1664', 0x18001n), u64(-32767n));
  assert.equal(mv('movsx3264', 0x180000000n), 0xffffffff80000000n);
  assert.equal(mv('movsx832', 0xffn), 0xffffffffn);
  assert.equal(mv('movsx1632', 0x7fffn), 0x7fffn);
  const sw = (name: string, v: bigint) => r0(prog(lddw(0, v), mkInsn(spec(name), { dst: 0 }), mkInsn(spec('exit'))));
  const v = 0x0123456789abcdefn;
  assert.equal(sw('le16', v), 0xcdefn);
  assert.equal(sw('le32', v), 0x89abcdefn);
  assert.equal(sw('le64', v), v);
  assert.equal(sw('be16', v), 0xefcdn);
  assert.equal(sw('be32', v), 0xefcdab89n);
  assert.equal(sw('be64', v), 0xefcdab8967452301n);
  assert.equal(sw('bswap16', v), 0xefcdn);
  assert.equal(sw('bswap32', v), 0xefcdab89n);
  assert.equal(sw('bswap64', v), 0xefcdab8967452301n);
  const mem = Uint8Array.from([0xff, 0x80, 0x00, 0x80, 0x01, 0x02, 0x03, 0x84]);
  const ld = (name: string, off: number) => {
    const r = runInterp(prog(mkInsn(spec(name), { dst: 0, src: 1, off }), mkInsn(spec('exit'))), { mem });
    assert.equal(r.fault, undefined);
    return r.r0;
  };
  assert.equal(ld('ldxsb', 0), M64);
  assert.equal(ld('ldxb', 0), 0xffn);
  assert.equal(ld('ldxsh', 0), u64(BigInt.asIntN(16, 0x80ffn)));
  assert.equal(ld('ldxh', 0), 0x80ffn);
  assert.equal(ld('ldxsw', 0), u64(BigInt.asIntN(32, 0x800080ffn)));
  assert.equal(ld('ldxw', 4), 0x84030201n);
  assert.equal(ld('ldxdw', 0), 0x84030201800080ffn);
});

test('jumps: every conditional form agrees with the model', () => {
  const gen = rng(777);
  const cmp = (j: string, is64: boolean, a: bigint, b: bigint): boolean => {
    if (!is64) { a &= M32; b &= M32; }
    const sa = is64 ? i64(a) : i32(a), sb = is64 ? i64(b) : i32(b);
    switch (j) {
      case 'jeq': return a === b;
      case 'jne': return a !== b;
      case 'jgt': return a > b;
      case 'jge': return a >= b;
      case 'jlt': return a < b;
      case 'jle': return a <= b;
      case 'jset': return (a & b) !== 0n;
      case 'jsgt': return sa > sb;
      case 'jsge': return sa >= sb;
      case 'jslt': return sa < sb;
      case 'jsle': return sa <= sb;
    }
    throw new Error(j);
  };
  for (const s of OPCODES.filter((x) => x.kind === 'jcond')) {
    const vals: [bigint, bigint][] = [[0n, 0n], [1n, M64], [M64, 1n], [1n << 63n, 1n], [0x100000000n, 0n], [0xffffffffn, M64], [5n, 5n]];
    for (let i = 0; i < 40; i++) vals.push([gen.next().value, gen.next().value]);
    for (const [a, bRaw] of vals) {
      let b = bRaw;
      let jmp: Insn;
      if (s.srcReg) jmp = mkInsn(s, { dst: 1, src: 2, off: 2 });
      else { const imm = Number(BigInt.asIntN(32, bRaw)); b = u64(BigInt(imm)); jmp = mkInsn(s, { dst: 1, imm, off: 2 }); }
      const got = r0(prog(lddw(1, a), lddw(2, b), jmp, mkInsn(spec('mov', false), { dst: 0, imm: 0 }), mkInsn(spec('exit')),
        mkInsn(spec('mov', false), { dst: 0, imm: 1 }), mkInsn(spec('exit'))));
      assert.equal(got === 1n, cmp(s.jmp!, s.is64, a, b), `${s.name} a=0x${a.toString(16)} b=0x${b.toString(16)}`);
    }
  }
});

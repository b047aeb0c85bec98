// Scalar bounds the 6.18 verifier prints where ours used to differ (scalar.ts, reg.ts): a div or mod
// (signed or not, 32- or 64-bit, by a constant or a register, even of two constants) and a shift whose
// amount is not a constant below the width (judged on the amount's 64-bit umax, also for 32-bit
// shifts) leave the whole register unknown, with no 32-bit zero extension; __reg32_deduce_bounds gives
// an s32 range when the 64-bit bounds' upper halves are consecutive (0xffffffff then 0 included) and
// the low halves cross zero, and narrows an s32 range across the sign boundary by a u32 range that
// meets only one of its ends; a byte swap of a pointer is an unknown scalar. Every expected state
// below was printed by the running 6.18 kernel (bpftool -d prog load) for the same instructions.
// The corpus group scalar/divmod.c checks the verdicts these bounds decide.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../server/src/asm';
import { verify, type VerifyResult } from '../../server/src/verifier';
import { Reg, T, boundsSync, boundsSyncBig, markUnknown } from '../../server/src/verifier/reg';

function run(lines: string[]): VerifyResult {
  const a = assemble(lines.join('\n'));
  assert.deepEqual(a.diagnostics.map((d) => d.message), [], 'assembles');
  return verify({ insns: a.insns, progType: 'socket_filter', maps: [], logLevel: 2 });
}

/** The state part of instruction pc's log line (`pc: (op) insn ; STATE`). */
function stateAt(r: VerifyResult, pc: number): string {
  const line = r.log.split('\n').find((l) => l.startsWith(`${pc}: (`)) ?? '';
  return line.slice(line.indexOf('; ') + 2);
}

function expectStates(r: VerifyResult, kernel: Record<number, string>): void {
  for (const [pc, state] of Object.entries(kernel)) assert.equal(stateAt(r, Number(pc)), state, `insn ${pc}`);
}

test('div and mod: the result is an unknown 64-bit scalar, 32-bit ops and constant operands included', () => {
  const r = run([
    'call bpf_get_prandom_u32', 'r6 = r0',
    'w1 = w6', 'w1 /= 10', // 3
    'r2 = 100', 'r2 /= 10', // 5
    'w3 = 100', 'w3 %= 7', // 7
    'r4 = r6', 'r4 &= 255', 'w4 /= 1', // 10
    'r5 = r6', 'r5 s/= -3', // 12
    'w7 = w6', 'w7 s%= 10', // 14
    'r8 = r6', 'r8 &= 7', 'r8 |= 1', 'r9 = r6', 'r9 %= r8', // 19
    'r0 = 0', 'exit',
  ]);
  assert.equal(r.verdict, 'accept');
  expectStates(r, {
    3: 'R1=scalar()',
    5: 'R2=scalar()',
    7: 'R3=scalar()',
    9: 'R4=scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))',
    10: 'R4=scalar()',
    12: 'R5=scalar()',
    14: 'R7=scalar()',
    19: 'R8=scalar(smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=7,var_off=(0x1; 0x6)) R9=scalar()',
  });
});

test('shifts: a 32-bit shift by a register judges the amount by its 64-bit umax', () => {
  const wide = 'scalar(smin=0x8000000000000003,smax=0x7fffffff00000003,umin=smin32=umin32=3,umax=0xffffffff00000003,smax32=umax32=3,var_off=(0x3; 0xffffffff00000000))';
  const r = run([
    'call bpf_get_prandom_u32', 'r7 = r0', 'r7 <<= 32', 'r7 |= 3', // 3
    'w1 = w0', 'w1 &= 255', 'w1 <<= w7', // 6
    'w2 = w0', 'w2 >>= w7', // 8
    'w3 = 3', 'w4 = w0', 'w4 &= 255', 'w4 <<= w3', // 12
    'r0 = 0', 'exit',
  ]);
  expectStates(r, {
    3: `R7=${wide}`,
    6: `R1=scalar() R7=${wide}`,
    8: `R2=scalar() R7=${wide}`,
    12: 'R3=3 R4=scalar(smin=smin32=0,smax=umax=smax32=umax32=2040,var_off=(0x0; 0x7f8))',
  });
});

test('__reg32_deduce_bounds: consecutive upper halves with low halves crossing zero give an s32 range', () => {
  const r = run([
    'call bpf_get_prandom_u32', 'r6 = r0', 'r6 <<= 56', 'r6 s>>= 56', // 3
    'r1 = r0', 'if r1 s> 100 goto +1', 'if r1 s< -100 goto +0', // 6
    'r0 = 0', 'exit',
  ]);
  expectStates(r, {
    3: 'R6=scalar(smin=smin32=-128,smax=smax32=127)',
    6: 'R1=scalar(id=1,smin=smin32=-100,smax=smax32=100)',
  });
  // Unsigned: upper halves 0x7fffffff then 0x80000000 (no signed 64-bit range there).
  const u = run([
    'call bpf_get_prandom_u32', 'r1 = r0', 'r8 = 0x7fffffffffffff80 ll', 'if r1 < r8 goto +4', 'r8 = 0x800000000000007f ll', 'if r1 > r8 goto +1', // 7
    'r3 = r1', 'r0 = 0', 'exit',
  ]);
  expectStates(u, {
    7: 'R1=scalar(id=1,umin=0x7fffffffffffff80,umax=0x800000000000007f,smin32=-128,smax32=127) R8=0x800000000000007f',
  });
});

test('__reg32_deduce_bounds: an s32 range across the sign boundary meeting one end of the u32 range', () => {
  const r = run(['call bpf_get_prandom_u32', 'w6 = w0', 'w6 &= 31', 'w6 += -1', 'if w6 > 40 goto +2', 'r0 = 0', 'exit', 'r0 = 1', 'exit']);
  expectStates(r, {
    3: 'R6=scalar(smin=0,smax=umax=0xffffffff,smin32=-1,smax32=30,var_off=(0x0; 0xffffffff))',
    4: 'R6=scalar(smin=smin32=0,smax=umax=smax32=umax32=30,var_off=(0x0; 0x1f))',
  });
  assert.ok(r.log.split('\n').includes('from 4 to 7: R0=scalar() R6=0xffffffff R10=fp0'), r.log);
});

test('a byte swap of a pointer gives an unknown scalar', () => {
  const r = run(['r1 = r10', 'r1 = be16 r1', 'r2 = r10', 'r2 = le32 r2', 'r0 = 0', 'exit']);
  expectStates(r, { 1: 'R1=scalar()', 3: 'R2=scalar()' });
});

test('bounds sync: the fast path and the bigint path agree on ranges near the special case', () => {
  // Registers whose bounds all lie in [0, 2^31) take the fast path: there the upper halves are
  // equal (zero), so the special case cannot apply; compare both paths on such ranges anyway.
  for (const [lo, hi] of [[0n, 127n], [5n, 0x7fffffffn], [0x7fffff80n, 0x7fffffffn]]) {
    const a = new Reg(); markUnknown(a); a.type = T.SCALAR; a.smin = a.umin = lo; a.smax = a.umax = hi;
    const b = a.clone();
    boundsSync(a); boundsSyncBig(b);
    assert.deepEqual({ ...a }, { ...b }, `[${lo}, ${hi}]`);
  }
  const c = new Reg(); markUnknown(c); c.smin = -128n; c.smax = 127n;
  boundsSync(c);
  assert.deepEqual([c.s32min, c.s32max], [-128n, 127n]);
  const d = new Reg(); markUnknown(d); d.smin = -(1n << 32n) - 256n; d.smax = 16n;
  boundsSync(d);
  assert.deepEqual([d.s32min, d.s32max], [-(1n << 31n), (1n << 31n) - 1n], 'upper halves two apart: no s32 range');
});

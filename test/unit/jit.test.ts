// Targeted JIT tests: exact RFC 9669 results for the arithmetic corner cases,
// the budget edge at every step, call frames (depth limit, callee-saved
// registers, per-frame stacks), callbacks, tail calls, packet loads, r10
// overrides and repeated runs — each checked against fixed values and the interpreter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../server/src/asm';
import { Insn, layout, mkInsn } from '../../server/src/isa/insn';
import { specFor } from '../../server/src/isa/opcodes';
import { compileJit, JitProgram, runJit } from '../../server/src/vm/jit';
import { diffRun } from '../../server/src/vm/jit-diff';
import { runInterp } from '../../server/src/vm/interp';
import { MEM_BASE } from '../../server/src/vm/machine';
import { RAND_HELPER, randHelpers } from '../../server/src/vm/randprog';
import { MAX_FRAMES, STACK_SIZE, VmOptions } from '../../server/src/vm/types';

function asm(text: string): Insn[] {
  const a = assemble(text, { syntax: 'conformance' });
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), [], text);
  return a.insns;
}

function I(name: string, srcReg: boolean | undefined, f: Partial<Insn>): Insn {
  const s = specFor(name, srcReg);
  assert.ok(s, name);
  return mkInsn(s, f);
}

function compiled(insns: readonly Insn[]): JitProgram {
  const j = compileJit(insns);
  if ('error' in j) assert.fail(j.error);
  return j;
}

/** Runs on the JIT, checks it agrees with the interpreter in every field, returns the JIT's result. */
function both(insns: readonly Insn[], mem?: Uint8Array, opts: VmOptions = {}) {
  const d = diffRun(insns, mem ? { mem } : {}, opts);
  assert.deepEqual(d.detail, [], 'interpreter and JIT differ');
  return d.jit;
}

test('division and modulo corner cases (x/0, x%0, INT_MIN/-1) in both widths', () => {
  const cases: [string, bigint][] = [
    ['lddw %r0, 0x8000000000000000\nmov %r1, -1\nsdiv %r0, %r1\nexit', 0x8000000000000000n],
    ['lddw %r0, 0x8000000000000000\nmov %r1, -1\nsmod %r0, %r1\nexit', 0n],
    ['mov32 %r0, 0x80000000\nmov32 %r1, -1\nsdiv32 %r0, %r1\nexit', 0x80000000n],
    ['mov %r0, 7\nmov %r1, 0\ndiv %r0, %r1\nexit', 0n],
    ['mov %r0, 7\nmov %r1, 0\nmod %r0, %r1\nexit', 7n],
    ['lddw %r0, 0x1234567800000007\nmov %r1, 0\nmod32 %r0, %r1\nexit', 7n],
    ['mov %r0, -7\nmov %r1, 2\nsmod %r0, %r1\nexit', 0xffffffffffffffffn],
    ['lddw %r0, 0xfffffffffffffff0\ndiv %r0, -1\nexit', 0n],
    ['lddw %r0, 0xffffffffffffffff\nlddw %r1, 0x100000001\ndiv %r0, %r1\nexit', 0xffffffffn],
    ['lddw %r0, 0xffffffffffffffff\nlddw %r1, 0xffffffffffffffff\nmul %r0, %r1\nexit', 1n],
    ['mov %r0, 1\nmov %r1, 65\nlsh %r0, %r1\nexit', 2n],
    ['mov32 %r0, 0x80000000\narsh32 %r0, 33\nexit', 0xc0000000n],
    ['mov %r0, -1\nmov32 %r0, %r0\nexit', 0xffffffffn],
    ['mov %r1, 0x80\nmovsx864 %r0, %r1\nexit', 0xffffffffffffff80n],
    ['lddw %r0, 0x0102030405060708\nbe16 %r0\nexit', 0x0807n],
    ['lddw %r0, 0x0102030405060708\nbswap64 %r0\nexit', 0x0807060504030201n],
  ];
  for (const [src, want] of cases) assert.equal(both(asm(src)).r0, want, src);
});

test('budget faults land on the same pc with the same step count at every budget', () => {
  const p = asm(`mov %r0, 0
mov %r1, 5
loop:
add %r0, %r1
stxdw [%r10-8], %r0
ldxdw %r2, [%r10-8]
sub %r1, 1
jne %r1, 0, loop
exit`);
  const total = runInterp(p).steps;
  assert.equal(total, 2 + 5 * 5 + 1);
  for (let budget = 1; budget <= total + 2; budget++) {
    const r = both(p, undefined, { budget });
    if (budget < total) {
      assert.equal(r.fault?.kind, 'budget', `budget ${budget}`);
      assert.equal(r.steps, budget);
    } else {
      assert.equal(r.r0, 15n);
    }
  }
});

test('bpf-to-bpf calls: r6-r9 restored, per-frame stacks, 8 frames and no more', () => {
  // The callee clobbers r6 and returns its own r10: frame 1's stack top.
  const p = asm(`mov %r6, 42
call local f
add %r0, %r6
exit
f:
mov %r6, 1
mov %r0, %r10
exit`);
  const j = compiled(p);
  const r = j.run();
  assert.equal(r.r0, j.machine.frameTop(1) + 42n);
  both(p);
  // A chain of calls: depth n - 1 nested calls succeed when n <= MAX_FRAMES.
  const chain = (n: number) => asm([...Array.from({ length: n - 1 }, (_, i) => `call local f${i + 1}\nexit\nf${i + 1}:`), 'mov %r0, %r10', 'exit'].join('\n'));
  assert.equal(both(chain(MAX_FRAMES)).r0, j.machine.frameTop(MAX_FRAMES - 1));
  const deep = both(chain(MAX_FRAMES + 1));
  assert.equal(deep.fault?.kind, 'call-depth');
  assert.equal(deep.fault?.pc, 2 * (MAX_FRAMES - 1));
});

test('memory faults carry the interpreter\'s kind, pc, message and address', () => {
  const r = both(asm('mov %r0, 0\nldxdw %r0, [%r10+8]\nexit'));
  assert.equal(r.fault?.kind, 'memory');
  assert.equal(r.fault?.pc, 1);
  assert.match(r.fault?.message ?? '', /invalid read of 8 bytes/);
  const w = both(asm('stw [%r1+2], 7\nmov %r0, 0\nexit'), new Uint8Array(4));
  assert.equal(w.fault?.kind, 'memory');
  assert.match(w.fault?.message ?? '', /invalid write of 4 bytes/);
});

test('helper callbacks (bpf_loop style) re-enter compiled code; tail calls switch programs', () => {
  const loop = [
    I('mov', false, { dst: 6, imm: 0 }),
    I('mov', false, { dst: 1, imm: 5 }),
    I('lddw', undefined, { dst: 2, src: 4, imm: 5 }),
    I('mov', false, { dst: 3, imm: 0 }),
    I('call', undefined, { imm: RAND_HELPER.loop }),
    I('add', true, { dst: 0, src: 6 }),
    I('exit', undefined, {}),
    // callback(i, ctx): stack write in its own frame, r0 = 0 (continue)
    I('stxdw', true, { dst: 10, src: 1, off: -8 }),
    I('mov', false, { dst: 0, imm: 0 }),
    I('exit', undefined, {}),
  ];
  layout(loop);
  const r = both(loop, undefined, { helpers: randHelpers(0) });
  assert.equal(r.r0, 5n, 'five iterations, r6 restored to 0');
  const main = asm('mov %r6, 3\nmov %r2, 0\ncall 0x7f04\nmov %r0, 99\nexit');
  const second = asm('mov %r0, %r6\nadd %r0, 100\nexit');
  const t = both(main, undefined, { helpers: randHelpers(1), programs: [second] });
  assert.equal(t.r0, 103n, 'the tail-called program runs with the caller\'s registers');
});

test('LD_ABS / LD_IND read big-endian from the packet; out of bounds ends the program with r0 = 0', () => {
  const pkt = Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a]);
  assert.equal(both(asm('ldabsw 1\nexit'), pkt).r0, 0x3456789an);
  assert.equal(both(asm('mov %r3, 2\nldindh %r3, 1\nexit'), pkt).r0, 0x789an);
  const oob = both(asm('mov %r0, 5\nldabsw 4\nmov %r0, 7\nexit'), pkt);
  assert.equal(oob.r0, 0n);
  assert.equal(oob.fault, undefined);
});

test('a run that overrides r10 uses checked stack accesses and agrees with the interpreter', () => {
  const p = asm('stdw [%r10-8], 5\nldxdw %r0, [%r10-8]\nexit');
  const mem = new Uint8Array(16);
  const d = diffRun(p, { mem, regs: { 10: MEM_BASE + 16n } }, {});
  assert.deepEqual(d.detail, []);
  assert.equal(d.jit.r0, 5n);
  const j = compiled(p);
  assert.equal(j.run({ mem, regs: { 10: MEM_BASE + 16n } }).r0, 5n);
  assert.equal(j.machine.mem?.bytes[8], 5, 'the store went to mem');
  assert.equal(j.run({ mem }).r0, 5n, 'the fixed-r10 variant is used again');
});

test('repeated runs of one compiled program start from a clean state', () => {
  const p = asm('ldxdw %r0, [%r10-8]\nadd %r0, 1\nstxdw [%r10-8], %r0\nexit');
  const j = compiled(p);
  assert.ok(j.compileMs >= 0 && j.source.includes('prog0'));
  for (let k = 0; k < 3; k++) {
    const r = j.run();
    assert.equal(r.r0, 1n);
    assert.equal(r.steps, 4);
  }
});

test('degenerate programs fault like the interpreter and never throw', () => {
  const empty = both([]);
  assert.equal(empty.fault?.kind, 'invalid');
  const noExit = both(asm('mov %r0, 1'));
  assert.match(noExit.fault?.message ?? '', /past the end/);
  const kfunc = [I('call kfunc', undefined, { imm: 7 }), I('exit', undefined, {})];
  layout(kfunc);
  assert.equal(both(kfunc).fault?.kind, 'invalid');
  const unknown = both(asm('call 0x7fff\nexit'));
  assert.equal(unknown.fault?.kind, 'helper');
  assert.equal(runJit(asm('exit')).r0, 0n);
  assert.equal(STACK_SIZE, 512);
});

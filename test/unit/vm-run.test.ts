/**
 * Interpreter behaviour beyond arithmetic: faults (memory, invalid, budget,
 * call depth) and what they name, stepping and breakpoints, frames and stacks,
 * bpf-to-bpf calls, atomics, bpf_loop and bpf_for_each_map_elem callbacks, tail
 * calls, determinism.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../server/src/asm';
import { Insn, OPCODES, decode, encode, layout, mkInsn, specFor } from '../../server/src/isa';
import { MapDef, Vm, runInterp, STACK_SIZE } from '../../server/src/vm';
import { runJit } from '../../server/src/vm/jit';

function asm(text: string): Insn[] {
  const a = assemble(text, { syntax: 'conformance' });
  assert.deepEqual(a.diagnostics.map((d) => d.message), []);
  return a.insns;
}

test('memory fault names the region, address and size', () => {
  const r = runInterp(asm('ldxdw %r0, [%r10+0]\nexit'));
  assert.equal(r.fault?.kind, 'memory');
  assert.equal(r.fault?.pc, 0);
  assert.equal(r.fault?.size, 8);
  assert.equal(r.fault?.region, 'stack of frame 0');
  const vm = new Vm(asm('exit'));
  assert.equal(r.fault?.addr, vm.frames()[0].stackBase);
  assert.match(r.fault!.message, /invalid read of 8 bytes at 0x[0-9a-f]+ at offset 512 of stack of frame 0 .*out of bounds/);
  assert.equal(r.steps, 1, 'the faulting instruction counts as executed');
});

test('writes to a read-only ctx fault; mem is writable; NULL is named', () => {
  const ro = runInterp(asm('stw [%r1+0], 1\nexit'), { ctx: new Uint8Array(8) });
  assert.equal(ro.fault?.kind, 'memory');
  assert.equal(ro.fault?.region, 'ctx');
  assert.match(ro.fault!.message, /invalid write of 4 bytes .* ctx .*read-only/);
  const rw = runInterp(asm('stw [%r1+0], 1\nldxw %r0, [%r1+0]\nexit'), { mem: new Uint8Array(8) });
  assert.equal(rw.r0, 1n);
  const nul = runInterp(asm('mov %r1, 0\nldxb %r0, [%r1+16]\nexit'));
  assert.match(nul.fault!.message, /NULL pointer dereference/);
  assert.equal(nul.fault?.addr, 16n);
  assert.equal(nul.fault?.pc, 1);
});

test('budget: a runaway loop stops with a budget fault after exactly N instructions', () => {
  const r = runInterp(asm('mov %r0, 0\nl:\nadd %r0, 1\nja l\nexit'), {}, { budget: 1001 });
  assert.equal(r.fault?.kind, 'budget');
  assert.equal(r.steps, 1001);
  assert.equal(r.fault?.pc, 1);
  assert.equal(r.fault?.message, 'instruction budget of 1001 exhausted at pc 1 (runaway loop?)');
  const ok = runInterp(asm('mov %r0, 0\nexit'), {}, { budget: 2 });
  assert.equal(ok.fault, undefined, 'a program of exactly `budget` instructions completes');
  assert.equal(ok.r0, 0n);
  const vm = new Vm(asm('l:\nja l\nexit'), { budget: 50 });
  assert.equal(vm.run(), 'budget');
  assert.equal(vm.steps, 50);
});

test('invalid: jumping into the middle of lddw, running off the end, bad registers', () => {
  const into = runInterp(asm('ja +1\nlddw %r0, 0x1122334455667788\nexit'));
  assert.equal(into.fault?.kind, 'invalid');
  assert.equal(into.fault?.pc, 2);
  assert.match(into.fault!.message, /second half of the lddw at pc 1/);
  const off = runInterp(asm('mov %r0, 1'));
  assert.equal(off.fault?.kind, 'invalid');
  assert.match(off.fault!.message, /past the end/);
  const bad = [mkInsn(specFor('mov', true)!, { dst: 11, src: 1 }), mkInsn(specFor('exit')!)];
  layout(bad);
  const br = runInterp(bad);
  assert.equal(br.fault?.kind, 'invalid');
  assert.match(br.fault!.message, /r11/);
  const unknown = runInterp(asm('call 99\nexit'));
  assert.equal(unknown.fault?.kind, 'helper');
  assert.match(unknown.fault!.message, /helper #99 \(bpf_skc_lookup_tcp\)/);
});

test('step and breakpoints: stops before a breakpoint pc, not on the pc it resumes from', () => {
  const p = asm('mov %r0, 0\nl:\nadd %r0, 1\njlt %r0, 3, l\nexit');
  const vm = new Vm(p);
  assert.equal(vm.step(), 'step');
  assert.equal(vm.pc, 1);
  assert.equal(vm.steps, 1);
  const bps = new Set([1]);
  assert.equal(vm.run({ breakpoints: bps }), 'breakpoint', 'leaves pc 1 and comes back to it');
  assert.equal(vm.pc, 1);
  assert.equal(vm.reg(0), 1n);
  assert.equal(vm.run({ breakpoints: bps }), 'breakpoint');
  assert.equal(vm.reg(0), 2n);
  assert.equal(vm.run({ maxSteps: 1 }), 'pause');
  assert.equal(vm.pc, 2);
  assert.equal(vm.run(), 'exit');
  assert.equal(vm.done, true);
  assert.equal(vm.result, 3n);
  assert.equal(vm.step(), 'exit', 'stepping a finished run reports its end');
  vm.reset();
  assert.equal(vm.pc, 0);
  assert.equal(vm.result, undefined);
  vm.step();
  assert.equal(vm.setReg(0, 97n), true);
  assert.equal(vm.setReg(11, 0n), false);
  assert.equal(vm.run({ breakpoints: new Set([2]) }), 'breakpoint');
  assert.equal(vm.reg(0), 98n, 'setReg changed what the program computes');
  vm.reset();
  vm.pause();
  assert.equal(vm.run(), 'pause');
  assert.equal(vm.run(), 'exit');
});

test('running in maxSteps chunks never skips a breakpoint at a chunk boundary', () => {
  const p = asm('mov %r0, 0\nl:\nadd %r0, 1\njlt %r0, 100, l\nexit');
  for (const chunk of [1, 2, 3, 7]) {
    const vm = new Vm(p);
    const bps = new Set([1]);
    let hits = 0;
    for (let guard = 0; guard < 10000; guard++) {
      const r = vm.run({ breakpoints: bps, maxSteps: chunk });
      if (r === 'breakpoint') hits++;
      else if (r !== 'pause') break;
    }
    assert.equal(vm.result, 100n);
    assert.equal(hits, 100, `chunk ${chunk}: every arrival at pc 1 stops`);
  }
});

test('bpf-to-bpf calls: frames, separate stacks, r6-r9 preserved, returnPc', () => {
  const p = asm(`
mov %r6, 66
stdw [%r10-8], 11
call local f
ldxdw %r1, [%r10-8]
add %r0, %r1
exit
f:
mov %r6, 7
stdw [%r10-8], 22
ldxdw %r0, [%r10-8]
exit`);
  const vm = new Vm(p);
  assert.equal(vm.run({ breakpoints: new Set([9]) }), 'breakpoint');
  const fs = vm.frames();
  assert.equal(fs.length, 2);
  assert.equal(fs[0].pc, 2, 'outer frame is at its call');
  assert.equal(fs[1].entryPc, 6);
  assert.equal(fs[1].returnPc, 3);
  assert.equal(fs[1].stackBase - fs[0].stackBase, 1n << 32n, 'each frame has its own stack region');
  assert.equal(vm.reg(10), fs[1].stackBase);
  assert.equal(vm.reg(6), 7n);
  assert.equal(vm.reg(6, 0), 66n, 'outer frame sees its saved r6');
  assert.equal(vm.reg(10, 0), fs[0].stackBase);
  const dv = (f: number) => new DataView(vm.stackBytes(f).buffer, vm.stackBytes(f).byteOffset, STACK_SIZE);
  assert.equal(dv(0).getBigUint64(STACK_SIZE - 8, true), 11n);
  assert.equal(dv(1).getBigUint64(STACK_SIZE - 8, true), 22n);
  assert.equal(vm.run(), 'exit');
  assert.equal(vm.result, 33n);
  assert.equal(vm.reg(6), 66n, 'r6 restored after the call');
});

test('call depth: the 9th frame faults with call-depth', () => {
  const r = runInterp(asm('call local f\nexit\nf:\ncall local f\nexit'));
  assert.equal(r.fault?.kind, 'call-depth');
  assert.equal(r.fault?.pc, 2);
  assert.match(r.fault!.message, /call depth exceeds 8 frames/);
  const vm = new Vm(asm('call local f\nexit\nf:\ncall local f\nexit'));
  vm.run();
  assert.equal(vm.frames().length, 8);
  // Seven nested calls (eight frames) are fine.
  const ok = asm('mov %r1, 6\ncall local f\nexit\nf:\njeq %r1, 0, done\nsub %r1, 1\ncall local f\nadd %r0, 1\nexit\ndone:\nmov %r0, 100\nexit');
  assert.equal(runInterp(ok).r0, 106n);
});

test('atomics: fetch forms load the old value, 32-bit ones zero-extend', () => {
  const r = runInterp(asm(`
lddw %r1, 0xffffffff00000005
stxdw [%r10-8], %r1
mov %r2, -1
lock fetch add32 [%r10-8], %r2
ldxdw %r0, [%r10-8]
jne %r2, 5, bad
lddw %r3, 0xffffffff00000004
jne %r0, %r3, bad
mov %r0, 1
exit
bad:
mov %r0, 0
exit`));
  assert.equal(r.r0, 1n, r.fault?.message);
  const x = runInterp(asm('stdw [%r10-8], 3\nmov %r1, 9\nlock xchg [%r10-8], %r1\nldxdw %r0, [%r10-8]\nlsh %r0, 8\nor %r0, %r1\nexit'));
  assert.equal(x.r0, 0x903n);
  const cx = runInterp(asm('stw [%r10-4], 7\nlddw %r0, 0x100000007\nmov %r1, 9\nlock cmpxchg32 [%r10-4], %r1\nldxw %r2, [%r10-4]\nlsh %r0, 8\nor %r0, %r2\nexit'));
  assert.equal(cx.r0, 0x709n, 'cmpxchg32 compares the low half of r0 and zero-extends the old value into r0');
});

test('LD_ABS / LD_IND read big-endian from the packet; a miss ends with r0 = 0', () => {
  const mem = Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a]);
  const p = [mkInsn(specFor('ldabsh')!, { imm: 1 }), mkInsn(specFor('exit')!)];
  layout(p);
  assert.equal(runInterp(p, { mem }).r0, 0x3456n);
  const q = [mkInsn(specFor('mov', false)!, { dst: 3, imm: 1 }), mkInsn(specFor('ldindw')!, { src: 3, imm: 0 }), mkInsn(specFor('exit')!)];
  layout(q);
  assert.equal(runInterp(q, { mem }).r0, 0x3456789an);
  const miss = [mkInsn(specFor('mov', false)!, { dst: 0, imm: 5 }), mkInsn(specFor('ldabsw')!, { imm: 4 }), mkInsn(specFor('mov', false)!, { dst: 0, imm: 9 }), mkInsn(specFor('exit')!)];
  layout(miss);
  const r = runInterp(miss, { mem });
  assert.equal(r.fault, undefined);
  assert.equal(r.r0, 0n);
  assert.equal(r.steps, 2);
});

test('bpf_loop calls a BPF callback per iteration in a frame of its own', () => {
  const p = asm(`
stdw [%r10-8], 0
mov %r1, 10
lddw %r2, func[cb]
mov %r3, %r10
add %r3, -8
mov %r4, 0
call 181
ldxdw %r1, [%r10-8]
lsh %r0, 32
or %r0, %r1
exit
cb:
ldxdw %r3, [%r2+0]
add %r3, %r1
stxdw [%r2+0], %r3
mov %r0, 0
jne %r1, 6, +1
mov %r0, 1
exit`);
  const vm = new Vm(p);
  assert.equal(vm.run({ breakpoints: new Set([16]) }), 'breakpoint');
  const fs = vm.frames();
  assert.equal(fs.length, 2);
  assert.equal(fs[1].callback, true);
  assert.equal(vm.run(), 'exit', vm.fault?.message);
  // Iterations 0..6 (the callback stops at i = 6): 7 iterations, sum 21.
  assert.equal(vm.result, (7n << 32n) | 21n);
});

test('tail calls jump to programs from a prog_array; at most 33', () => {
  const maps: MapDef[] = [{ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4, name: 'jmp',
    initial: [{ key: Uint8Array.of(1, 0, 0, 0), value: Uint8Array.of(0, 0, 0, 0) }] }];
  const main = asm('lddw %r2, map[idx:0]\nmov %r3, 1\ncall 12\nmov %r0, 99\nexit');
  const target = asm('mov %r0, 42\nexit');
  const r = runInterp(main, {}, { maps, programs: [target] });
  assert.equal(r.r0, 42n, r.fault?.message);
  const miss = runInterp(asm('lddw %r2, map[idx:0]\nmov %r3, 2\ncall 12\nexit'), {}, { maps, programs: [target] });
  assert.equal(miss.r0, BigInt.asUintN(64, -2n), 'an empty slot returns -ENOENT and falls through');
  // A program that tail-calls itself: 33 tail calls succeed, the 34th falls through.
  const self = asm('ldxdw %r0, [%r1+0]\nadd %r0, 1\nstxdw [%r1+0], %r0\nlddw %r2, map[idx:0]\nmov %r3, 1\ncall 12\nldxdw %r0, [%r1+0]\nexit');
  const loop = runInterp(self, { mem: new Uint8Array(8) }, { maps, programs: [self] });
  assert.equal(loop.r0, 34n, loop.fault?.message);
});

/** A u32 key / u64 value of a map's initial entries. */
function kv(k: number, v: number): { key: Uint8Array; value: Uint8Array } {
  const key = new Uint8Array(4); new DataView(key.buffer).setUint32(0, k, true);
  const value = new Uint8Array(8); new DataView(value.buffer).setBigUint64(0, BigInt(v), true);
  return { key, value };
}

test('bpf_for_each_map_elem: (map, &key, &value, ctx) per element, stops on 1, returns the count; both engines', () => {
  // Sums the values into the caller's stack through ctx and stops after key 2; r0 = count << 32 | sum.
  const p = asm(`
stdw [%r10-8], 0
lddw %r1, map[idx:0]
lddw %r2, func[cb]
mov %r3, %r10
add %r3, -8
mov %r4, 0
call 164
ldxdw %r1, [%r10-8]
lsh %r0, 32
or %r0, %r1
exit
cb:
ldxw %r5, [%r2+0]
ldxdw %r1, [%r3+0]
ldxdw %r0, [%r4+0]
add %r0, %r1
stxdw [%r4+0], %r0
mov %r0, 0
jne %r5, 2, +1
mov %r0, 1
exit`);
  const def = (type: MapDef['type'], initial: { key: Uint8Array; value: Uint8Array }[], maxEntries = 4): MapDef =>
    ({ type, keySize: 4, valueSize: 8, maxEntries, name: 'm', initial });
  const cases: { name: string; map: MapDef; cpu?: number; want: [number, number] }[] = [
    // Arrays visit every index (zeros included) until the callback returns 1 at key 2.
    { name: 'array', map: def('array', [kv(0, 10), kv(1, 20), kv(2, 30), kv(3, 40)]), want: [3, 60] },
    { name: 'array, stop never reached', map: def('array', [kv(0, 5), kv(1, 6)], 2), want: [2, 11] },
    // Hashes visit the elements present (key 2 is absent: no stop).
    { name: 'hash', map: def('hash', [kv(5, 1), kv(7, 2), kv(9, 3)], 8), want: [3, 6] },
    { name: 'hash, stop at key 2', map: def('hash', [kv(2, 100), kv(4, 1)], 8), want: [1, 100] },
    { name: 'empty hash', map: def('hash', [], 8), want: [0, 0] },
    // Per-CPU: the initial values are this CPU's (cpu 1); the walk reads this CPU's copy.
    { name: 'percpu_array', map: def('percpu_array', [kv(0, 7), kv(1, 8)], 3), cpu: 1, want: [3, 15] },
    { name: 'percpu_hash', map: def('percpu_hash', [kv(3, 9)], 4), cpu: 1, want: [1, 9] },
  ];
  for (const c of cases) {
    const opts = { maps: [c.map], env: { cpu: c.cpu ?? 0, nrCpus: 2 } };
    const want = (BigInt(c.want[0]) << 32n) | BigInt(c.want[1]);
    const i = runInterp(p, {}, opts);
    assert.equal(i.fault, undefined, `${c.name}: ${i.fault?.message}`);
    assert.equal(i.r0, want, `${c.name} (interpreter)`);
    const j = runJit(p, {}, opts);
    assert.equal(j.fault, undefined, `${c.name}: ${j.fault?.message}`);
    assert.equal(j.r0, want, `${c.name} (JIT)`);
  }
  // flags != 0: -EINVAL without calling back; a ringbuf cannot be walked (-EOPNOTSUPP).
  const flags = runInterp(asm('lddw %r1, map[idx:0]\nlddw %r2, func[cb]\nmov %r3, 0\nmov %r4, 1\ncall 164\nexit\ncb:\nmov %r0, 0\nexit'),
    {}, { maps: [def('array', [])] });
  assert.equal(flags.r0, BigInt.asUintN(64, -22n));
  const ring = runInterp(asm('lddw %r1, map[idx:0]\nlddw %r2, func[cb]\nmov %r3, 0\nmov %r4, 0\ncall 164\nexit\ncb:\nmov %r0, 0\nexit'),
    {}, { maps: [{ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096, name: 'rb' }] });
  assert.equal(ring.r0, BigInt.asUintN(64, -95n));
});

test('bpf_for_each_map_elem: a callback deleting the element it visits empties a hash; nested walks of one map keep their keys', () => {
  const del = asm(`
lddw %r1, map[idx:0]
lddw %r2, func[cb]
mov %r3, 0
mov %r4, 0
call 164
exit
cb:
call 3
mov %r0, 0
exit`);
  const map: MapDef = { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8, name: 'h', initial: [kv(1, 1), kv(2, 2), kv(3, 3)] };
  const vm = new Vm(del, { maps: [map] });
  assert.equal(vm.run(), 'exit', vm.fault?.message);
  assert.equal(vm.result, 3n, 'every element visited once');
  assert.equal(vm.maps[0].entries().length, 0, 'all deleted');
  // The outer callback starts an inner walk of the same map, then reads its own key: still its own.
  const nested = asm(`
stdw [%r10-8], 0
lddw %r1, map[idx:0]
lddw %r2, func[outer]
mov %r3, %r10
add %r3, -8
mov %r4, 0
call 164
ldxdw %r0, [%r10-8]
exit
outer:
stxdw [%r10-8], %r2
stxdw [%r10-16], %r4
lddw %r2, func[inner]
mov %r3, 0
mov %r4, 0
call 164
ldxdw %r2, [%r10-8]
ldxw %r2, [%r2+0]
ldxdw %r4, [%r10-16]
ldxdw %r1, [%r4+0]
add %r1, %r2
stxdw [%r4+0], %r1
mov %r0, 0
exit
inner:
mov %r0, 0
exit`);
  for (const run of [runInterp, runJit]) {
    const r = run(nested, {}, { maps: [{ ...map, initial: [kv(10, 0), kv(20, 0)] }] });
    assert.equal(r.fault, undefined, r.fault?.message);
    assert.equal(r.r0, 30n, 'outer keys 10 + 20 survive the inner walks');
  }
});

test('bpf_find_vma: no address-space model, so -ENOENT without calling back; flags must be 0', () => {
  const p = (flags: number): Insn[] => asm(`call 35\nmov %r1, %r0\nmov %r2, 0x1000\nlddw %r3, func[cb]\nmov %r4, 0\nmov %r5, ${flags}\ncall 180\nexit\ncb:\nmov %r0, 1\nexit`);
  for (const run of [runInterp, runJit]) {
    assert.equal(run(p(0)).r0, BigInt.asUintN(64, -2n));
    assert.equal(run(p(1)).r0, BigInt.asUintN(64, -22n));
  }
});

test('bpf_for_each_map_elem: the key is read-only, the value writable, the callback runs in a frame of its own', () => {
  const body = (cbBody: string): Insn[] => asm(`
lddw %r1, map[idx:0]
lddw %r2, func[cb]
mov %r3, 0
mov %r4, 0
call 164
exit
cb:
${cbBody}
mov %r0, 0
exit`);
  const map: MapDef = { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, name: 'h', initial: [kv(1, 1)] };
  const w = runInterp(body('stw [%r2+0], 9'), {}, { maps: [map] });
  assert.equal(w.fault?.kind, 'memory');
  assert.match(w.fault!.message, /for_each_map_elem key .*read-only/);
  // Writing the value sticks: a second walk sees it.
  const vm = new Vm(body('stdw [%r3+0], 42'), { maps: [map] });
  assert.equal(vm.run({ breakpoints: new Set([8]) }), 'breakpoint');
  assert.equal(vm.frames().length, 2);
  assert.equal(vm.frames()[1].callback, true);
  assert.equal(vm.run(), 'exit', vm.fault?.message);
  assert.equal(vm.result, 1n);
});

test('determinism: the same run twice gives the same steps, result and output', () => {
  const p = asm('call 7\nmov %r6, %r0\ncall 5\nadd %r0, %r6\nexit');
  const a = runInterp(p, {}, { env: { seed: 99 } });
  const b = runInterp(p, {}, { env: { seed: 99 } });
  assert.deepEqual(a, b);
  const c = runInterp(p, {}, { env: { seed: 100 } });
  assert.notEqual(a.r0, c.r0);
});

test('random decoded programs never throw and always end with a result or a fault', () => {
  let x = 0x9e3779b9;
  const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
  const specs = OPCODES;
  for (let n = 0; n < 400; n++) {
    // Mostly valid encodings with random fields, some raw garbage slots.
    const words: Insn[] = [];
    const len = 1 + (next() % 24);
    for (let i = 0; i < len; i++) {
      const s = specs[next() % specs.length];
      words.push(mkInsn(s, {
        dst: next() % 11, src: s.kind === 'lddw' ? next() % 7 : next() % 11, off: ((next() % 9) - 4),
        imm: next() % 3 === 0 ? (next() | 0) : (next() % 64) - 8, imm2: next() | 0,
      }));
    }
    words.push(mkInsn(specFor('exit')!));
    const bytes = encode(words);
    for (let i = 0; i < bytes.length; i += 8) if (next() % 20 === 0) bytes[i] = next() & 0xff;
    const d = decode(bytes);
    const r = runInterp(d.insns, { mem: new Uint8Array(64), ctx: new Uint8Array(32) }, {
      budget: 5000, maps: [{ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4, name: 'a' }],
    });
    assert.ok((r.r0 !== undefined) !== (r.fault !== undefined), `program ${n}: exactly one of r0 and fault`);
    assert.ok(r.steps <= 5000);
  }
});

test('stepBack and reverseContinue replay deterministically from the last reset', () => {
  const maps: MapDef[] = [{ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096, name: 'rb' }];
  const p = asm(`
mov %r6, 0
l:
add %r6, 1
stxdw [%r10-8], %r6
lddw %r1, map[idx:0]
mov %r2, %r10
add %r2, -8
mov %r3, 8
mov %r4, 0
call 130
jlt %r6, 4, l
mov %r0, %r6
exit`);
  const vm = new Vm(p, { maps });
  vm.reset({ mem: Uint8Array.of(1, 2, 3) });
  assert.equal(vm.run(), 'exit');
  const total = vm.steps;
  assert.equal(vm.output.length, 4);
  assert.equal(vm.stepBack(), true);
  assert.equal(vm.steps, total - 1);
  assert.equal(vm.done, false);
  assert.equal(vm.pc, 12, 'just before the exit');
  assert.equal(vm.output.length, 4, 'output is regenerated by the replay');
  assert.equal(vm.stepBack(5), true);
  assert.equal(vm.steps, total - 6);
  const bp = new Set([1]);
  assert.equal(vm.reverseContinue(bp), true);
  assert.equal(vm.pc, 1);
  assert.equal(vm.reg(6), 3n, 'the latest earlier arrival at pc 1 (before the 4th add)');
  assert.equal(vm.output.length, 3);
  assert.equal(vm.reverseContinue(bp), true);
  assert.equal(vm.reg(6), 2n);
  assert.equal(vm.run(), 'exit');
  assert.equal(vm.result, 4n);
  vm.reset({}, true);
  vm.step();
  assert.equal(vm.stepBack(), false, 'kept maps make a replay differ');
});

test('after a fault, pc and the innermost frame point at the faulting instruction', () => {
  const a = assemble('r1 = 0\nr2 = 1\nr0 = *(u64 *)(r1 +16)\nexit\n');
  const vm = new Vm(a.insns);
  vm.reset({});
  assert.equal(vm.run(), 'fault');
  assert.equal(vm.fault?.pc, 2);
  assert.equal(vm.pc, 2);
  assert.equal(vm.frames().at(-1)?.pc, 2);
});

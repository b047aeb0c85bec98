/**
 * Map types at run time: through programs (lookup pointers, stale pointers
 * after delete) and through the BpfMap API the debugger uses (entries()).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../server/src/asm';
import { Insn } from '../../server/src/isa';
import {
  ArrayMap, BPF_ANY, BPF_EXIST, BPF_F_RDONLY_PROG, BPF_NOEXIST, ERRNO, HashMap, Machine, MapDef, PushPopMap, QueueMap, RingBufMap, StackTraceMap, Vm, runInterp,
} from '../../server/src/vm';

function asm(text: string): Insn[] {
  const a = assemble(text, { syntax: 'conformance' });
  assert.deepEqual(a.diagnostics.map((d) => d.message), []);
  return a.insns;
}

const k32 = (n: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, true); return b; };
const v64 = (n: bigint) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, n, true); return b; };
const num = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true);

function machine(defs: MapDef[], env = {}): Machine {
  const m = new Machine([], { maps: defs, env });
  m.reset();
  return m;
}

test('hash: update flags, E2BIG when full, lookup pointers into value regions', () => {
  const m = machine([{ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 2, name: 'h' }]);
  const h = m.maps[0] as HashMap;
  assert.equal(h.update(k32(1), v64(10n), BPF_EXIST), -ERRNO.ENOENT);
  assert.equal(h.update(k32(1), v64(10n), BPF_NOEXIST), 0);
  assert.equal(h.update(k32(1), v64(11n), BPF_NOEXIST), -ERRNO.EEXIST);
  assert.equal(h.update(k32(1), v64(12n), BPF_EXIST), 0);
  assert.equal(h.update(k32(2), v64(20n), BPF_ANY), 0);
  assert.equal(h.update(k32(3), v64(30n), BPF_ANY), -ERRNO.E2BIG);
  assert.equal(h.update(k32(3), v64(30n), 7), -ERRNO.EINVAL);
  const p = h.lookup(k32(1));
  assert.notEqual(p, 0n);
  assert.equal(num(m.memory.read(p, 8)!), 12n);
  assert.equal(h.lookup(k32(9)), 0n);
  assert.deepEqual(h.entries().map((e) => [e.key[0], num(e.value)]), [[1, 12n], [2, 20n]]);
  assert.equal(h.delete(k32(1)), 0);
  assert.equal(h.delete(k32(1)), -ERRNO.ENOENT);
  assert.equal(m.memory.read(p, 8), undefined, 'the deleted value region is freed');
});

test('hash through a program: lookup, store through the pointer, stale pointer faults as freed', () => {
  const maps: MapDef[] = [{ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8, name: 'counts' }];
  const src = `
stw [%r10-4], 5
stdw [%r10-16], 100
lddw %r1, map[idx:0]
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 2
lddw %r1, map[idx:0]
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
mov %r6, %r0
ldxdw %r1, [%r6+0]
add %r1, 1
stxdw [%r6+0], %r1
del:
lddw %r1, map[idx:0]
mov %r2, %r10
add %r2, -4
call 3
ldxdw %r0, [%r6+0]
out:
exit`;
  const a = assemble(src, { syntax: 'conformance' });
  const vm = new Vm(a.insns, { maps });
  assert.equal(vm.run({ breakpoints: new Set([a.labels.get('del')!]) }), 'breakpoint', vm.fault?.message);
  const e = vm.maps[0].entries();
  assert.equal(e.length, 1);
  assert.equal(num(e[0].value), 101n, 'the store through the lookup pointer reached the map');
  assert.equal(vm.run(), 'fault');
  assert.equal(vm.fault?.kind, 'memory');
  assert.match(vm.fault!.message, /map counts\[05000000\], which was freed/);
});

test('array and global data: preallocated values, E2BIG past the end, no delete; lddw map_value', () => {
  const m = machine([{ type: 'array', keySize: 4, valueSize: 4, maxEntries: 3, name: 'a' }]);
  const a = m.maps[0] as ArrayMap;
  assert.notEqual(a.lookup(k32(2)), 0n);
  assert.equal(a.lookup(k32(3)), 0n);
  assert.equal(a.update(k32(3), k32(1), BPF_ANY), -ERRNO.E2BIG);
  assert.equal(a.update(k32(0), k32(1), BPF_NOEXIST), -ERRNO.EEXIST);
  assert.equal(a.update(k32(1), k32(77), BPF_ANY), 0);
  assert.equal(a.delete(k32(1)), -ERRNO.EINVAL);
  assert.deepEqual(a.entries().map((e) => e.value[0]), [0, 77, 0]);
  const maps: MapDef[] = [{ type: 'array', keySize: 4, valueSize: 16, maxEntries: 1, name: '.data',
    initial: [{ key: k32(0), value: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]) }] }];
  const r = runInterp(asm('lddw %r1, map[idx:0][0]+8\nldxb %r0, [%r1+1]\nexit'), {}, { maps });
  assert.equal(r.r0, 10n, r.fault?.message);
  const ro: MapDef[] = [{ ...maps[0], name: '.rodata', flags: BPF_F_RDONLY_PROG }];
  assert.equal(runInterp(asm('lddw %r1, map[idx:0][0]+8\nldxb %r0, [%r1+1]\nexit'), {}, { maps: ro }).r0, 10n);
  const w = runInterp(asm('lddw %r1, map[idx:0][0]+0\nstb [%r1+0], 1\nexit'), {}, { maps: ro });
  assert.equal(w.fault?.kind, 'memory');
  assert.match(w.fault!.message, /map \.rodata .*read-only/);
});

test('per-CPU maps: the program sees its CPU\'s copy; entries() lists every CPU', () => {
  const m = machine([
    { type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 2, name: 'pa' },
    { type: 'percpu_hash', keySize: 4, valueSize: 8, maxEntries: 2, name: 'ph' },
  ], { cpu: 2, nrCpus: 3 });
  const pa = m.maps[0], ph = m.maps[1];
  assert.equal(pa.update(k32(1), v64(5n), BPF_ANY), 0);
  assert.equal(pa.entries().length, 6);
  assert.deepEqual(pa.entries().filter((e) => num(e.value) === 5n).map((e) => [e.cpu, e.key[0]]), [[2, 1]]);
  assert.equal(ph.update(k32(4), v64(9n), BPF_ANY), 0);
  assert.deepEqual(ph.entries().map((e) => [e.cpu, num(e.value)]), [[0, 0n], [1, 0n], [2, 9n]]);
  assert.equal(num(m.memory.read(ph.lookup(k32(4)), 8)!), 9n);
});

test('LRU hash evicts the least recently used element instead of failing', () => {
  const m = machine([{ type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: 2, name: 'lru' }]);
  const h = m.maps[0];
  h.update(k32(1), v64(1n), BPF_ANY);
  h.update(k32(2), v64(2n), BPF_ANY);
  h.lookup(k32(1)); // 2 is now the least recently used
  assert.equal(h.update(k32(3), v64(3n), BPF_ANY), 0);
  assert.deepEqual(h.entries().map((e) => e.key[0]).sort(), [1, 3]);
});

test('queue and stack: order, E2BIG when full, BPF_EXIST drops the oldest', () => {
  const m = machine([
    { type: 'queue', keySize: 0, valueSize: 8, maxEntries: 2, name: 'q' },
    { type: 'stack', keySize: 0, valueSize: 8, maxEntries: 2, name: 's' },
  ]);
  const q = m.maps[0] as QueueMap as PushPopMap, s = m.maps[1] as PushPopMap;
  for (const x of [q, s]) { assert.equal(x.push(v64(1n), 0), 0); assert.equal(x.push(v64(2n), 0), 0); }
  assert.equal(q.push(v64(3n), 0), -ERRNO.E2BIG);
  assert.equal(q.push(v64(3n), BPF_EXIST), 0);
  assert.equal(num(q.pop(false) as Uint8Array), 2n, 'peek of a queue: oldest');
  assert.equal(num(s.pop(true) as Uint8Array), 2n, 'pop of a stack: newest');
  assert.equal(num(s.pop(true) as Uint8Array), 1n);
  assert.equal(s.pop(true), -ERRNO.ENOENT);
  // Through helpers: push 7, pop into the stack.
  const r = runInterp(asm(`
stdw [%r10-8], 7
lddw %r1, map[idx:0]
mov %r2, %r10
add %r2, -8
mov %r3, 0
call 87
lddw %r1, map[idx:0]
mov %r2, %r10
add %r2, -16
call 88
ldxdw %r0, [%r10-16]
exit`), {}, { maps: [{ type: 'queue', keySize: 0, valueSize: 8, maxEntries: 4, name: 'q' }] });
  assert.equal(r.r0, 7n, r.fault?.message);
});

test('ring buffer: reserve/submit produce output, discard does not, a full ring returns NULL', () => {
  const maps: MapDef[] = [{ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 64, name: 'rb' }];
  const p = asm(`
lddw %r1, map[idx:0]
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, full
stdw [%r0+0], 0x41
mov %r1, %r0
mov %r2, 0
call 132
lddw %r1, map[idx:0]
mov %r2, 8
mov %r3, 0
call 131
mov %r1, %r0
mov %r2, 0
call 133
lddw %r1, map[idx:0]
mov %r2, 40
mov %r3, 0
call 131
exit
full:
mov %r0, -1
exit`);
  const r = runInterp(p, {}, { maps });
  assert.equal(r.fault, undefined, r.fault?.message);
  assert.equal(r.r0, 0n, 'the third reservation does not fit: 16 + 16 + 48 > 64');
  assert.equal(r.output.length, 1);
  assert.deepEqual(r.output[0], { kind: 'ringbuf', pc: 9, map: 'rb', data: Uint8Array.of(0x41, 0, 0, 0, 0, 0, 0, 0) });
  const stale = runInterp(asm(`
lddw %r1, map[idx:0]
mov %r2, 8
mov %r3, 0
call 131
mov %r6, %r0
mov %r1, %r0
mov %r2, 0
call 132
stdw [%r6+0], 1
exit`), {}, { maps });
  assert.equal(stale.fault?.kind, 'memory');
  assert.match(stale.fault!.message, /ringbuf rb record 0, which was freed/);
  const twice = runInterp(asm('lddw %r1, map[idx:0]\nmov %r2, 8\nmov %r3, 0\ncall 131\nmov %r6, %r0\nmov %r1, %r0\nmov %r2, 0\ncall 133\nmov %r1, %r6\ncall 133\nexit'), {}, { maps });
  assert.equal(twice.fault?.kind, 'helper');
  const rb = machine(maps).maps[0] as RingBufMap;
  assert.equal(rb.query(1), 64n);
});

test('perf event array and stack traces', () => {
  const maps: MapDef[] = [
    { type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 4, name: 'events' },
    { type: 'stack_trace', keySize: 4, valueSize: 8 * 4, maxEntries: 16, name: 'stacks' },
  ];
  const p = asm(`
stdw [%r10-8], 0x1234
mov %r6, %r1
lddw %r2, map[idx:0]
lddw %r3, 0xffffffff
mov %r4, %r10
add %r4, -8
mov %r5, 8
call 25
mov %r1, %r6
lddw %r2, map[idx:1]
mov %r3, 0
call 27
mov %r7, %r0
mov %r1, %r6
lddw %r2, map[idx:1]
mov %r3, 0
call 27
jne %r0, %r7, bad
exit
bad:
mov %r0, -1
exit`);
  const vm = new Vm(p, { maps, env: { cpu: 3, kstack: [0xffffffff81000010n, 0xffffffff81000020n] } });
  vm.run();
  assert.equal(vm.fault, undefined, vm.fault?.message);
  assert.equal(vm.output.length, 1);
  assert.deepEqual(vm.output[0], { kind: 'perf', pc: 9, map: 'events', cpu: 3, data: v64(0x1234n) });
  const st = vm.maps[1] as StackTraceMap;
  const e = st.entries();
  assert.equal(e.length, 1);
  assert.equal(BigInt(e[0].key[0] | (e[0].key[1] << 8)), vm.result);
  assert.equal(num(e[0].value.subarray(8, 16)), 0xffffffff81000020n);
  assert.equal(st.stackId([], 0n), -ERRNO.EFAULT);
});

test('reset empties maps and reloads their initial entries unless keepMaps', () => {
  const maps: MapDef[] = [{ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, name: 'h', initial: [{ key: k32(1), value: v64(1n) }] }];
  const vm = new Vm(asm('exit'), { maps });
  vm.maps[0].update(k32(2), v64(2n), BPF_ANY);
  vm.reset({}, true);
  assert.equal(vm.maps[0].entries().length, 2);
  vm.reset();
  assert.deepEqual(vm.maps[0].entries().map((e) => e.key[0]), [1]);
});

test('absurd map definitions do not throw: sizes are clamped and reported', () => {
  const vm = new Vm(asm('mov %r0, 0\nexit'), { maps: [
    { type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 << 30, name: 'huge' },
    { type: 'hash', keySize: -4, valueSize: 1e12, maxEntries: -1, name: 'bad' },
  ] });
  assert.equal(vm.run(), 'exit');
  assert.equal(vm.m.problems.length, 2);
  assert.match(vm.m.problems.join('\n'), /map huge: 1073741824 entries of 8 bytes are too many/);
  assert.equal(vm.maps[1].def.maxEntries, 0);
  assert.equal(vm.maps[1].update(new Uint8Array(0), new Uint8Array(8), BPF_ANY), -ERRNO.E2BIG);
});

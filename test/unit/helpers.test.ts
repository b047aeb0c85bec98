/**
 * Helpers: probe_read* against recorded memory (and -EFAULT with a zeroed
 * destination on a miss), task facts from the environment, clocks, the seeded
 * generator, trace_printk / snprintf formatting, strncmp, unknown helpers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../server/src/asm';
import { Insn } from '../../server/src/isa';
import { DEFAULT_ENV, DEFAULT_HELPERS, RunResult, Vm, formatPrintf, helperTable, runInterp } from '../../server/src/vm';

function asm(text: string): Insn[] {
  const a = assemble(text, { syntax: 'conformance' });
  assert.deepEqual(a.diagnostics.map((d) => d.message), []);
  return a.insns;
}

const STR = 0x7ffc1a2b3c40n;
const recorded = { memory: [{ addr: STR, bytes: new TextEncoder().encode('/etc/ld.so.cache\0') }] };

function ok(r: RunResult): bigint {
  assert.equal(r.fault, undefined, r.fault?.message);
  return r.r0!;
}

test('every default helper has a name, a signature and the id of its name', () => {
  assert.ok(DEFAULT_HELPERS.size >= 35);
  for (const [id, h] of DEFAULT_HELPERS) {
    assert.equal(h.id, id);
    assert.match(h.signature, new RegExp(`bpf_${h.name}\\(`));
  }
});

test('probe_read reads recorded memory; a miss zeroes the destination and returns -EFAULT', () => {
  const vm = new Vm(asm(`
stdw [%r10-8], -1
mov %r1, %r10
add %r1, -8
mov %r2, 8
lddw %r3, ${STR}
call 4
ldxdw %r0, [%r10-8]
exit`), { env: recorded });
  vm.run();
  assert.equal(vm.result, new DataView(new TextEncoder().encode('/etc/ld.').buffer).getBigUint64(0, true));
  const miss = new Vm(asm(`
stdw [%r10-8], -1
mov %r1, %r10
add %r1, -8
mov %r2, 8
lddw %r3, 0x1234000
call 113
ldxdw %r1, [%r10-8]
lsh %r0, 32
or %r0, %r1
exit`), { env: recorded });
  miss.run();
  assert.equal(miss.fault, undefined);
  assert.equal(miss.result, BigInt.asUintN(64, -14n << 32n), 'r0 = -EFAULT and the 8 destination bytes are zero');
  const badDst = runInterp(asm(`mov %r1, 0\nmov %r2, 8\nlddw %r3, ${STR}\ncall 4\nexit`), {}, { env: recorded });
  assert.equal(badDst.fault?.kind, 'memory', 'a bad destination is the program\'s bug: a fault at the call');
  assert.equal(badDst.fault?.pc, 4);
});

test('probe_read_str copies up to size-1 bytes and a NUL and returns the length', () => {
  const p = (size: number) => asm(`
mov %r1, %r10
add %r1, -32
mov %r2, ${size}
lddw %r3, ${STR}
call 45
exit`);
  const vm = new Vm(p(32), { env: recorded });
  vm.run();
  assert.equal(vm.result, 17n);
  assert.equal(new TextDecoder().decode(vm.stackBytes(0).subarray(480, 496)), '/etc/ld.so.cache');
  const short = new Vm(p(5), { env: recorded });
  short.run();
  assert.equal(short.result, 5n);
  assert.deepEqual([...short.stackBytes(0).subarray(480, 485)], [...new TextEncoder().encode('/etc'), 0]);
});

test('task facts, clocks and the random generator come from the environment', () => {
  const env = { pid: 7, tgid: 8, uid: 1001, gid: 1002, cpu: 1, comm: 'bash', timeNs: 5000n, clockStepNs: 10n, seed: 1 };
  assert.equal(ok(runInterp(asm('call 14\nexit'), {}, { env })), (8n << 32n) | 7n);
  assert.equal(ok(runInterp(asm('call 15\nexit'), {}, { env })), (1002n << 32n) | 1001n);
  assert.equal(ok(runInterp(asm('call 8\nexit'), {}, { env })), 1n);
  assert.equal(ok(runInterp(asm('call 35\nexit'), {}, { env })), DEFAULT_ENV.task);
  assert.equal(ok(runInterp(asm('call 5\nmov %r6, %r0\ncall 5\nsub %r0, %r6\nexit'), {}, { env })), 10n, 'the clock advances by clockStepNs per call');
  assert.equal(ok(runInterp(asm('call 5\nexit'), {}, { env })), 5000n);
  const rnd = ok(runInterp(asm('call 7\nexit'), {}, { env }));
  assert.equal(rnd, 270369n, 'xorshift32 of seed 1');
  const comm = new Vm(asm('mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall 16\nexit'), { env });
  comm.run();
  assert.equal(comm.result, 0n);
  assert.deepEqual([...comm.stackBytes(0).subarray(496, 501)], [...new TextEncoder().encode('bash'), 0]);
});

test('trace_printk formats and records its output', () => {
  const vm = new Vm(asm(`
stdw [%r10-8], 0
stw [%r10-16], 0x3d782520
stw [%r10-12], 0x25206425
stb [%r10-8], 0x73
mov %r1, %r10
add %r1, -16
mov %r2, 10
mov %r3, 255
mov %r4, -3
lddw %r5, ${STR}
call 6
exit`), { env: recorded });
  vm.run();
  assert.equal(vm.fault, undefined, vm.fault?.message);
  assert.deepEqual(vm.output, [{ kind: 'printk', pc: 11, text: ' ff=-3 /etc/ld.so.cache' }]);
  assert.equal(vm.result, 23n, 'returns the length written');
});

test('formatPrintf: lengths, flags, widths, %s, %p, %c, %%', () => {
  const str = (a: bigint) => (a === 1n ? 'hi' : undefined);
  const f = (fmt: string, ...args: bigint[]) => formatPrintf(fmt, args, str).text;
  assert.equal(f('%d %i %u', 0xffffffffn, 0x80000000n, 0xffffffffffffffffn), '-1 -2147483648 4294967295');
  assert.equal(f('%ld %lu %lld %llu', 0xffffffffffffffffn, 0xffffffffffffffffn, 1n << 63n, 5n), '-1 18446744073709551615 -9223372036854775808 5');
  assert.equal(f('%x %lx %llx %X', 0x1abcdef12n, 0x1abcdef12n, 255n, 255n), 'abcdef12 1abcdef12 ff FF');
  assert.equal(f('[%5d] [%-5d] [%05d] [%+d]', 42n, 42n, 42n, 42n), '[   42] [42   ] [00042] [+42]');
  assert.equal(f('%s|%s|%c|%%|%p', 1n, 2n, 65n, 0xffff8880n), 'hi||A|%|0xffff8880');
  assert.equal(f('%hhd %hd', 0xffn, 0x8000n), '-1 -32768');
  assert.ok(formatPrintf('%d %d', [1n], str).error);
});

test('snprintf writes a NUL-terminated, truncated string and returns the full length + 1', () => {
  const vm = new Vm(asm(`
stw [%r10-8], 0x253d7820
stw [%r10-4], 0x00000064
stdw [%r10-16], 1234
mov %r1, %r10
add %r1, -48
mov %r2, 6
mov %r3, %r10
add %r3, -8
mov %r4, %r10
add %r4, -16
mov %r5, 8
call 165
exit`));
  vm.run();
  assert.equal(vm.fault, undefined, vm.fault?.message);
  assert.equal(vm.result, 8n, "' x=1234' is 7 bytes, + NUL");
  assert.deepEqual([...vm.stackBytes(0).subarray(464, 470)], [...new TextEncoder().encode(' x=12'), 0]);
});

test('strncmp and unknown helpers; helperTable overrides', () => {
  const p = asm(`
stw [%r10-8], 0x00636261
stw [%r10-16], 0x00646261
mov %r1, %r10
add %r1, -8
mov %r2, 4
mov %r3, %r10
add %r3, -16
call 182
exit`);
  assert.equal(ok(runInterp(p)), BigInt.asUintN(64, -1n), "'abc' < 'abd'");
  const t = helperTable([{ id: 182, name: 'strncmp', signature: 'long bpf_strncmp(void)', impl: () => 5n }]);
  assert.equal(ok(runInterp(p, {}, { helpers: t })), 5n);
  const r = runInterp(asm('call 9\nexit'));
  assert.equal(r.fault?.kind, 'helper');
  assert.match(r.fault!.message, /bpf_skb_store_bytes/);
  const bad = runInterp(asm('mov %r1, 12\ncall 1\nexit'));
  assert.equal(bad.fault?.kind, 'helper');
  assert.match(bad.fault!.message, /bpf_map_lookup_elem: 0xc is not a map pointer/);
});

test('get_stack copies the recorded stack and zero-fills; cgroup id, jiffies, per-CPU lookup by cpu', () => {
  const env = { kstack: [0xffffffff81000010n, 0xffffffff81000020n, 0xffffffff81000030n], ustack: [0x401000n], cgroupId: 77n, timeNs: 8_000_000n, nrCpus: 2 };
  const vm = new Vm(asm(`
stdw [%r10-32], -1
stdw [%r10-24], -1
stdw [%r10-16], -1
stdw [%r10-8], -1
mov %r2, %r10
add %r2, -32
mov %r3, 32
mov %r4, 1
call 67
exit`), { env });
  vm.run();
  assert.equal(vm.result, 16n, 'skip 1 frame: two addresses copied');
  const dv = new DataView(vm.stackBytes(0).buffer, vm.stackBytes(0).byteOffset + 480, 32);
  assert.deepEqual([0, 8, 16, 24].map((o) => dv.getBigUint64(o, true)), [0xffffffff81000020n, 0xffffffff81000030n, 0n, 0n]);
  assert.equal(ok(runInterp(asm('mov %r2, %r10\nadd %r2, -8\nmov %r3, 8\nmov %r4, 256\ncall 67\nldxdw %r0, [%r10-8]\nexit'), {}, { env })), 0x401000n);
  assert.equal(ok(runInterp(asm('mov %r3, 7\ncall 67\nexit'), {}, { env })), BigInt.asUintN(64, -22n), 'size not a multiple of 8');
  assert.equal(ok(runInterp(asm('call 80\nexit'), {}, { env })), 77n);
  assert.equal(ok(runInterp(asm('call 118\nexit'), {}, { env })), 2n);
  const maps = [{ type: 'percpu_array' as const, keySize: 4, valueSize: 8, maxEntries: 1, name: 'pc' }];
  const p = (cpu: number) => asm(`stw [%r10-4], 0\nlddw %r1, map[idx:0]\nmov %r2, %r10\nadd %r2, -4\nmov %r3, ${cpu}\ncall 195\nexit`);
  const a = ok(runInterp(p(0), {}, { env, maps })), b = ok(runInterp(p(1), {}, { env, maps }));
  assert.ok(a !== 0n && b !== 0n && a !== b, 'each CPU has its own copy');
  assert.equal(ok(runInterp(p(2), {}, { env, maps })), 0n, 'past the last CPU');
});

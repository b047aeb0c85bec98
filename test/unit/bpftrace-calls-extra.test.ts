// Builtins and functions that the type checker accepted but code generation
// refused until codegen/calls-extra.ts: strcontains/strstr/strlen (bounded
// loops, run on the VM and checked by our verifier), pton, signals by name,
// ppid()/pcomm()/leader_tid()/leader_comm(), ncpus/cpid/usermode, and the
// 0.26 type predicates (is_*) evaluated at compile time, also in comptime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileText } from '../../server/src/bpftrace/codegen';
import { kernel618, runBegin, verified } from './bpftrace-codegen-support';

const run = runBegin;

test('strcontains / strstr / strlen on literals and run-time strings', () => {
  assert.equal(run('BEGIN { printf("%d %d %d\\n", strcontains("hello world", "o w"), strcontains("hello", "xyz"), strcontains("abc", "")); exit(); }', '0.17'), '1 0 1');
  assert.equal(run('BEGIN { $h = "abcdef"; $n = "de"; printf("%d %d %d %d %d\\n", strstr($h, $n), strstr($h, "zz"), strstr($h, "a"), strlen($h), strlen("")); exit(); }'), '3 -1 0 6 0');
  // A needle longer than what is left of the haystack does not match past its end.
  assert.equal(run('BEGIN { $h = "abc"; printf("%d\\n", strcontains($h, "bcd")); exit(); }'), '0');
});

test('memcmp (0.26: zero when the first n bytes are equal), strlen through an int8 pointer', () => {
  assert.equal(run('BEGIN { $a = "abc"; $b = "abd"; $c = "ab\\xff"; printf("%d %d %d %d %d\\n", memcmp($a, $b, 3) != 0, memcmp($a, $b, 2) != 0, memcmp($b, $a, 3) != 0, memcmp($a, $c, 3) != 0, memcmp($a, $a, 4) != 0); exit(); }'), '1 0 1 1 0');
  if (!kernel618()) return;
  const r = compileText('kprobe:vfs_read { @n = strlen((int8 *)arg1); }', kernel618(), { target: '0.26' });
  assert.ok(r.script, r.diagnostics.map((d) => d.message).join('; '));
  verified(r.script);
  assert.ok(r.script.probes[0].insns.some((x) => x.spec.kind === 'call' && x.imm === 115), 'bpf_probe_read_kernel_str');
});

test('len(@m) (0.26): bpf_for_each_map_elem with an empty callback counts the elements', () => {
  assert.equal(run('BEGIN { @m[1] = 1; @m[2] = 2; @m[7] = 3; $n = len(@m); delete(@m, 2); printf("%d %d\\n", $n, len(@m)); clear(@m); exit(); }'), '3 2');
});

test('pton: IPv4 and IPv6 literals as address bytes', () => {
  assert.equal(run('BEGIN { $a = pton("127.0.0.1"); $b = pton("fe80::1:2"); printf("%d %d %d %d %d\\n", $a[0], $a[3], $b[0], $b[13], $b[15]); exit(); }'), '127 1 254 1 2');
});

test('macaddr: six bytes from an array value or through a pointer, printed as bpftrace does', () => {
  assert.equal(run('BEGIN { $a = pton("10.171.205.239"); printf("%s\\n", macaddr($a)); exit(); }', '0.17'), '0A:AB:CD:EF:00:00');
  if (!kernel618()) return;
  const r = compileText('kprobe:vfs_read { printf("%s\\n", macaddr(arg1)); }', kernel618(), { target: '0.17' });
  assert.ok(r.script, r.diagnostics.map((d) => d.message).join('; '));
  verified(r.script);
  assert.ok(r.script.probes[0].insns.some((x) => x.spec.kind === 'call' && x.imm === 113), 'bpf_probe_read_kernel');
});

test('type predicates (0.26) are compile-time constants, in code and in comptime', () => {
  assert.equal(run('BEGIN { $x = (uint8)1; $s = "a"; printf("%d %d %d %d %d %d\\n", is_integer($x), is_unsigned_integer($x), is_str($s), is_ptr(curtask), is_array($s), is_literal(5)); exit(); }'), '1 1 1 1 0 1');
  assert.equal(run('BEGIN { $x = "str"; if comptime (is_str($x)) { printf("string\\n"); } else { $x = 1; } exit(); }'), 'string');
});

test('signals by name, signal_thread, override: the helper with the signal number', () => {
  if (!kernel618()) return;
  const r = compileText('kprobe:vfs_read { signal("SIGUSR1"); signal_thread("KILL"); }', kernel618(), { target: '0.26' });
  assert.ok(r.script, r.diagnostics.map((d) => d.message).join('; '));
  const insns = r.script.probes[0].insns;
  const calls = insns.filter((x) => x.spec.kind === 'call').map((x) => x.imm);
  assert.deepEqual(calls, [109, 117]); // bpf_send_signal, bpf_send_signal_thread
  const movs = insns.filter((x) => x.spec.name === 'mov' && x.dst === 1 && !x.spec.srcReg).map((x) => x.imm);
  assert.deepEqual(movs, [10, 9]);
  verified(r.script);
  const bad = compileText('kprobe:vfs_read { signal("SIGNOPE"); }', kernel618(), { target: '0.26' });
  assert.ok(bad.diagnostics.some((d) => /invalid signal name: SIGNOPE/.test(d.message)));
});

test('ppid()/pcomm()/leader_tid()/leader_comm(), ncpus/cpid (host values) and usermode pass our verifier', () => {
  if (!kernel618()) return;
  const text = 'kprobe:vfs_read { printf("%d %s %d %s %d %d %d\\n", ppid(), pcomm(), leader_tid(), leader_comm(), ncpus, cpid, usermode); }';
  const r = compileText(text, kernel618(), { target: '0.26', resolve: (fn) => (fn === 'ncpus' ? 12345n : undefined) });
  assert.ok(r.script, r.diagnostics.map((d) => d.message).join('; '));
  verified(r.script);
  // ncpus came from the host (12345), cpid was not given: a warning and 0.
  assert.ok(r.script.probes[0].insns.some((x) => x.spec.name === 'mov' && x.imm === 12345));
  assert.ok(!r.diagnostics.some((d) => /^ncpus:/.test(d.message)));
  assert.ok(r.diagnostics.some((d) => d.severity === 'warning' && /^cpid:/.test(d.message)));
  // usermode reads the saved CS selector (pt_regs offset 136 on x86-64).
  assert.ok(r.script.probes[0].insns.some((x) => x.spec.name === 'ldxdw' && x.src === 6 && x.off === 136));
});

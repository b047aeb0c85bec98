// bpftrace constructs added to code generation after its first version, run on
// the VM and checked by our verifier: sizeof/offsetof values from the type
// checker, array/string indexes known only at run time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileOk, kernel618, runProbe, runs } from './bpftrace-codegen-support';
import { verifyProbe, type CompiledScript } from '../../server/src/bpftrace/codegen';
import type { BtValue, MapSnapshot } from '../../server/src/bpftrace/output/values';

function need(t: { skip(m: string): void }): boolean {
  if (kernel618()) return true;
  console.log('SKIP: /work/shared/kernel/6.18 data not present');
  t.skip('kernel 6.18 data not present');
  return false;
}

function val(maps: Map<string, MapSnapshot>, name: string, key?: bigint): bigint {
  const m = maps.get(name);
  assert.ok(m, `no map ${name}`);
  const e = key === undefined ? m.entries[0] : m.entries.find((x) => x.key[0] && 'v' in x.key[0] && x.key[0].v === key);
  const v = e?.value as BtValue | undefined;
  assert.ok(v && 't' in v && v.t === 'int', `${name}: not an int`);
  return v.v;
}

function verified(s: CompiledScript): void {
  const btf = kernel618()?.btf;
  for (const p of s.probes) {
    const v = verifyProbe(s, p, btf ? { btf } : {});
    assert.equal(v.verdict, 'accept', `${p.attachPoints[0]}: ${v.errors[0]?.message}`);
  }
}

test('sizeof/offsetof take the type checker\'s values (BTF structs, expressions)', (t) => {
  if (!need(t)) return;
  const btf = kernel618()?.btf;
  const id = btf?.find('task_struct');
  assert.ok(btf && id !== undefined);
  const s = compileOk('// target: 0.26\nBEGIN { @sz = sizeof(struct task_struct); @off = offsetof(struct task_struct, pid); $s = "hello"; @st = sizeof($s); }');
  const r = runProbe(s, 0, runs(1));
  assert.deepEqual(r.faults, []);
  assert.equal(val(r.maps, '@sz'), BigInt(btf.sizeof(id) ?? -1));
  assert.ok(val(r.maps, '@off') > 0n && val(r.maps, '@off') < val(r.maps, '@sz'));
  assert.equal(val(r.maps, '@st'), 6n);
  verified(s);
});

test('run-time indexes: in bounds read the element, out of bounds (or negative) read 0', (t) => {
  if (!need(t)) return;
  const s = compileOk(`// target: 0.26
BEGIN { $s = "hello"; $i = 1; @c = $s[$i]; $j = 9; @oob = $s[$j]; $n = -1; @neg = $s[$n]; @lit = $s[4]; }`);
  const r = runProbe(s, 0, runs(1));
  assert.deepEqual(r.faults, []);
  assert.equal(val(r.maps, '@c'), BigInt('e'.charCodeAt(0)));
  assert.equal(val(r.maps, '@lit'), BigInt('o'.charCodeAt(0)));
  assert.equal(val(r.maps, '@oob'), 0n);
  assert.equal(val(r.maps, '@neg'), 0n);
  verified(s);
});

test('run-time index into a BTF array read through pointers passes our verifier', (t) => {
  if (!need(t)) return;
  const s = compileOk('// target: 0.26\nkprobe:vfs_read { $k = arg2 & 15; @auxv[$k] = curtask->mm->saved_auxv[$k]; }');
  verified(s);
  assert.deepEqual(runProbe(s, 0, runs(2)).faults, []);
});

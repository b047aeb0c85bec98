/**
 * Precision through callbacks into the caller's stack (issue 4): the widening at a callback's
 * callsite keeps the caller's slots whose value needs precision — read by the callback through its
 * ctx pointer (for its return value, an index, a decided comparison) or by the caller's code after
 * the call — and widens the rest. Small assembled programs, then the processed-instruction counts
 * of the kernel's recordings for c/cb-precision.c (the diff test compares verdicts and messages);
 * its `slow` programs (1M limit, 8193 jumps) run only with VERIFIER_SLOW=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../../server/src/asm';
import { fromObject, verify } from '../../server/src/verifier';
import type { VerifyResult } from '../../server/src/verifier';
import { compileGroupObjects, loadGroups, readExpected } from '../fixtures/verifier/corpus';

/** bpf_loop(10, cb, &ctx) with ctx = {u64 n, u64 sum} at fp-16, the callback body given. */
function loop10(cb: string): VerifyResult {
  const a = assemble(`r1 = 0
*(u64 *)(r10 - 8) = r1
*(u64 *)(r10 - 16) = r1
r1 = 10
r2 = func[cb]
r3 = r10
r3 += -16
r4 = 0
call bpf_loop
r0 = *(u64 *)(r10 - 16)
r0 &= 1
exit
cb:
${cb}`);
  assert.deepEqual(a.diagnostics.map((d) => d.message), [], 'assembles');
  return verify({ insns: a.insns, progType: 'socket_filter', maps: [], logLevel: 2 });
}

/** Callback visits: the callback's first instruction printed in the log. */
const visits = (r: VerifyResult, pc: number): number => r.log.split('\n').filter((l) => l.startsWith(`${pc}: (`)).length;
const CB = 13;

test('callback precision: a counter whose value decides the callback\'s R0 is unrolled to bpf_loop\'s count; a sum is widened', () => {
  // R0 = (n == 3): a decided comparison of the counter read through ctx.
  const eq = loop10('r1 = *(u64 *)(r2 + 0)\nr1 += 1\n*(u64 *)(r2 + 0) = r1\nr0 = 1\nif r1 == 3 goto +1\nr0 = 0\nexit');
  assert.equal(eq.verdict, 'accept', eq.errors[0]?.message);
  assert.match(eq.log, /frame0 bpf_loop iteration limit reached/);
  assert.equal(visits(eq, CB), 10);
  // R0 computed from the counter (no comparison): precise at the callback's exit.
  const ret = loop10('r1 = *(u64 *)(r2 + 0)\nr1 += 1\n*(u64 *)(r2 + 0) = r1\nr0 = r1\nr0 &= 1\nexit');
  assert.equal(ret.verdict, 'accept', ret.errors[0]?.message);
  assert.equal(visits(ret, CB), 10);
  // The counter only summed, R0 constant: widened at the callsite on the second return, converges.
  const sum = loop10('r1 = *(u64 *)(r2 + 8)\nr1 += 1\n*(u64 *)(r2 + 8) = r1\nr0 = 0\nexit');
  assert.equal(sum.verdict, 'accept', sum.errors[0]?.message);
  assert.doesNotMatch(sum.log, /iteration limit reached/);
  assert.equal(visits(sum, CB), 2);
});

test('callback precision: the caller\'s code after the call using the counter as an index keeps it precise', () => {
  // After bpf_loop: map value + n * 8 (a 4-element array of u64): the counter reaches 4, out of range.
  const a = assemble(`r1 = 0
*(u64 *)(r10 - 8) = r1
*(u64 *)(r10 - 16) = r1
*(u32 *)(r10 - 20) = r1
r2 = r10
r2 += -20
r1 = map[fd:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = r0
r1 = 4
r2 = func[cb]
r3 = r10
r3 += -16
r4 = 0
call bpf_loop
r1 = *(u64 *)(r10 - 16)
r1 <<= 3
r6 += r1
r0 = *(u64 *)(r6 + 0)
out:
r0 = 0
exit
cb:
r3 = *(u64 *)(r2 + 0)
r3 += 1
*(u64 *)(r2 + 0) = r3
r0 = 0
exit`);
  assert.deepEqual(a.diagnostics.map((d) => d.message), [], 'assembles');
  const r = verify({ insns: a.insns, progType: 'socket_filter', maps: [{ type: 'array', keySize: 4, valueSize: 32, maxEntries: 4, name: 'a4' }], logLevel: 1 });
  assert.equal(r.verdict, 'reject');
  assert.equal(r.errors[0]?.message, 'R6 min value is outside of the allowed memory range');
});

test('callback precision: c/cb-precision.c processes as many instructions as the kernel', async (t) => {
  if (spawnSync('clang', ['--version']).error) { console.log('SKIP: clang not found'); t.skip('clang not found'); return; }
  const groups = loadGroups('c/cb-precision.c');
  const exp = readExpected('c/cb-precision.c');
  assert.ok(groups.length === 1 && exp, 'the group and its recording');
  const slow = process.env.VERIFIER_SLOW === '1';
  if (!slow) console.log('  slow programs of c/cb-precision.c left out (VERIFIER_SLOW=1 includes them)');
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-cbp-'));
  try {
    const [obj] = await compileGroupObjects(groups, tmp);
    assert.ok(obj, 'compiles');
    const diffs: string[] = [];
    let n = 0;
    for (const p of groups[0].programs) {
      if (p.slow && !slow) continue;
      const rec = exp.programs[p.name]?.root;
      const prog = obj.programs.find((x) => x.name === p.name && !x.subprog);
      if (!rec || !prog) { diffs.push(`${p.name}: ${rec ? 'not compiled' : 'no recording'}`); continue; }
      const t0 = Date.now();
      const r = verify(fromObject(obj, prog, { privileged: 'root', logLevel: 0, collectStates: false }));
      if (p.slow) console.log(`  ${p.name}: ${Date.now() - t0} ms`);
      n++;
      const msg = r.verdict === 'accept' ? null : r.errors[0]?.message ?? null;
      if (r.verdict !== rec.verdict || msg !== rec.message || r.stats.processed !== rec.processed) {
        diffs.push(`${p.name}: ${r.verdict} ${msg ?? ''} processed ${r.stats.processed}, kernel ${rec.verdict} ${rec.message ?? ''} processed ${rec.processed}`);
      }
    }
    assert.deepEqual(diffs, []);
    assert.ok(n >= 8, `${n} programs compared`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

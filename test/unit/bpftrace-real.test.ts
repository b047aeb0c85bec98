/**
 * bpftrace scripts replayed against what real bpftrace 0.17 printed: each
 * fixture in test/fixtures/bpftrace-real (recorded by
 * scripts/record-bpftrace-real.ts) is compiled, its recorded trace replayed
 * on the VM and the text compared with bpftrace's stdout of the same run:
 * exactly, or up to the order of tied map entries (a random per-map hash seed
 * in the kernel decides that order). Prints how many match exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CASES } from '../fixtures/bpftrace-real/cases';
import { FIXTURE_DIR, SHARED_EVENTS, replayFixture, verdict, type Verdict } from '../fixtures/bpftrace-real/replay-fixture';

test('bpftrace-real fixtures: replay prints what bpftrace 0.17 printed', (t) => {
  if (!existsSync(SHARED_EVENTS)) {
    console.log(`SKIP: ${SHARED_EVENTS} (tracepoint formats of the recording kernel) not present`);
    t.skip('tracepoint formats not present');
    return;
  }
  const counts: Record<Verdict, string[]> = { exact: [], 'tie-order': [], mismatch: [] };
  const failures: string[] = [];
  const present = CASES.filter((c) => existsSync(join(FIXTURE_DIR, `${c.name}.stdout`)));
  assert.ok(present.length >= 12, `expected at least 12 recorded cases, found ${present.length}`);
  for (const c of present) {
    const r = replayFixture(c.name);
    const v = verdict(r.text, r.want);
    counts[v].push(c.name);
    if (r.problems.length) failures.push(`${c.name}: ${r.problems.slice(0, 3).join('; ')}`);
    if (v === 'mismatch') failures.push(`${c.name}: output differs${c.note ? ` (${c.note})` : ''}\n--- replay\n${r.text}--- bpftrace\n${r.want}`);
  }
  console.log(`bpftrace-real: ${counts.exact.length}/${present.length} exact, ${counts['tie-order'].length} equal up to the order of tied map entries (${counts['tie-order'].join(', ') || 'none'}), ${counts.mismatch.length} mismatches (${counts.mismatch.join(', ') || 'none'})`);
  assert.deepEqual(failures, []);
});

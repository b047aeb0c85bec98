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
  const known: string[] = [];
  const present = CASES.filter((c) => existsSync(join(FIXTURE_DIR, `${c.name}.stdout`)));
  assert.ok(present.length >= 12, `expected at least 12 recorded cases, found ${present.length}`);
  for (const c of present) {
    // Every args->FIELD the script reads must be recorded by some probe of the case.
    const recorded = new Set(Object.values(c.record).flat().map((f) => f.field));
    for (const m of c.script.matchAll(/args->([A-Za-z_]\w*)/g)) {
      if (!recorded.has(`args.${m[1]}`)) failures.push(`${c.name}: the script reads args->${m[1]}, which the case does not record`);
    }
    const r = replayFixture(c.name, c.format);
    const v = verdict(r.text, r.want);
    counts[v].push(c.name);
    if (r.problems.length) failures.push(`${c.name}: ${r.problems.slice(0, 3).join('; ')}`);
    if (v === 'mismatch' && c.knownIssue) known.push(`${c.name}: ${c.knownIssue}`);
    else if (v === 'mismatch') failures.push(`${c.name}: output differs${c.note ? ` (${c.note})` : ''}\n--- replay\n${r.text}--- bpftrace\n${r.want}`);
    else if (c.knownIssue) console.log(`note: ${c.name} now matches; drop its knownIssue`);
  }
  for (const k of known) console.log(`known issue: ${k}`);
  console.log(`bpftrace-real: ${counts.exact.length}/${present.length} exact, ${counts['tie-order'].length} equal up to the order of tied map entries (${counts['tie-order'].join(', ') || 'none'}), ${counts.mismatch.length} mismatches (${counts.mismatch.join(', ') || 'none'}; ${known.length} known issues)`);
  assert.deepEqual(failures, []);
});

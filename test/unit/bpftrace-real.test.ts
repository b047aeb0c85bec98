/**
 * bpftrace scripts replayed against what real bpftrace 0.17 printed: each
 * fixture in test/fixtures/bpftrace-real (recorded by
 * scripts/record-bpftrace-real.ts) is compiled, its recorded trace replayed
 * on the VM and the text compared with bpftrace's stdout of the same run:
 * exactly, or up to the order of tied map entries (a random per-map hash seed
 * in the kernel decides that order). Prints how many match exactly. Also
 * checks the generated recorder against the fields each case lists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CASES } from '../fixtures/bpftrace-real/cases';
import { caseRecorder } from '../../scripts/record-bpftrace-real';
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
  const inexact: string[] = [];
  const present = CASES.filter((c) => existsSync(join(FIXTURE_DIR, `${c.name}.stdout`)));
  assert.ok(present.length >= 12, `expected at least 12 recorded cases, found ${present.length}`);
  for (const c of present) {
    // The generated recorder (what the fixture was recorded with) captures every args->FIELD the script
    // reads, and at least the fields the case lists, with the same expressions.
    const rec = caseRecorder(c);
    const recorded = new Set(rec.clauses.flatMap((x) => x.fields.map((f) => f.field)));
    for (const m of c.script.matchAll(/args->([A-Za-z_]\w*)/g)) {
      if (!recorded.has(`args.${m[1]}`)) failures.push(`${c.name}: the script reads args->${m[1]}, which the recorder does not record`);
    }
    for (const [probe, fields] of Object.entries(c.record)) {
      const got = rec.clauses.find((x) => x.probe === probe);
      for (const f of fields) {
        if (!got?.fields.some((g) => g.field === f.field && g.expr === f.expr)) failures.push(`${c.name}: the recorder does not print ${f.expr} as ${f.field} for ${probe}`);
      }
    }
    const r = replayFixture(c.name, c.format);
    const v = verdict(r.text, r.want);
    counts[v].push(c.name);
    if (r.problems.length) failures.push(`${c.name}: ${r.problems.slice(0, 3).join('; ')}`);
    if (v === 'mismatch' && c.inexact) {
      // Same lines apart from the numbers: clock-derived values may move a sample between buckets.
      const shape = (x: string): string => x.replace(/\d+/g, '#').replace(/\|@*\s*\|/g, '|bar|');
      if (shape(r.text) !== shape(r.want)) failures.push(`${c.name}: output differs beyond clock readings\n--- replay\n${r.text}--- bpftrace\n${r.want}`);
      else inexact.push(`${c.name}: ${c.inexact}`);
    } else if (v === 'mismatch' && c.knownIssue) known.push(`${c.name}: ${c.knownIssue}`);
    else if (v === 'mismatch') failures.push(`${c.name}: output differs${c.note ? ` (${c.note})` : ''}\n--- replay\n${r.text}--- bpftrace\n${r.want}`);
    else if (c.knownIssue) console.log(`note: ${c.name} now matches; drop its knownIssue`);
  }
  for (const k of known) console.log(`known issue: ${k}`);
  for (const k of inexact) console.log(`inexact by design: ${k}`);
  console.log(`bpftrace-real: ${counts.exact.length}/${present.length} exact, ${counts['tie-order'].length} equal up to the order of tied map entries (${counts['tie-order'].join(', ') || 'none'}), ${counts.mismatch.length} differ (${counts.mismatch.join(', ') || 'none'}: ${inexact.length} inexact by design, ${known.length} known issues)`);
  assert.deepEqual(failures, []);
});

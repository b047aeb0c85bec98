/**
 * End to end against the bpftrace installed here: records one case of
 * test/fixtures/bpftrace-real/cases.ts afresh (real script and recorder side by
 * side over the workload) and replays the new trace through compile + VM +
 * formatter, which must print what bpftrace just printed (up to the order of
 * tied map entries). Prints a SKIP line where bpftrace cannot run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordCase, unavailable } from '../../scripts/record-bpftrace-real';
import { CASES } from '../fixtures/bpftrace-real/cases';
import { replayText, verdict } from '../fixtures/bpftrace-real/replay-fixture';

test('live: a fresh bpftrace 0.17 run and its replay print the same', async (t) => {
  const why = unavailable();
  if (why) {
    console.log(`SKIP: live bpftrace comparison: ${why}`);
    t.skip(why);
    return;
  }
  const c = CASES.find((x) => x.name === 'aggregations');
  assert.ok(c);
  const work = mkdtempSync(join(tmpdir(), 'bt-live-'));
  try {
    let rec;
    try {
      rec = await recordCase(c, work);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (!/did not attach/.test(msg)) throw e;
      console.log(`SKIP: live bpftrace comparison: ${msg.split('\n')[0]}`);
      t.skip('bpftrace could not attach');
      return;
    }
    assert.deepEqual(rec.diagnostics, []);
    assert.match(rec.stdout, /^Attaching 1 probe\.\.\.\n/);
    const r = replayText(c.script, rec.trace, undefined, c.format);
    assert.deepEqual(r.problems, []);
    assert.notEqual(verdict(r.text, rec.stdout), 'mismatch', `replay:\n${r.text}\nbpftrace:\n${rec.stdout}`);
    console.log(`live: ${c.name}: ${rec.trace.split('\n').length - 2} events recorded, replay ${verdict(r.text, rec.stdout)} match with bpftrace's ${rec.stdout.split('\n').length - 1} lines`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

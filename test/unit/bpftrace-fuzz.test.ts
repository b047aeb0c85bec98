// A sample of the bpftrace pipeline fuzz (the full run: `npm run fuzz -- bpftrace 20000`): mutated
// test scripts through parse, check, code generation, our verifier and replay; none may throw,
// report a range outside its text, or hang. Prints the stages reached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printBtFuzz, runBtFuzz } from '../../scripts/fuzz-bpftrace';
import { SHARED } from '../shared';
import { existsSync } from 'node:fs';

test('bpftrace pipeline fuzz sample: 600 mutated scripts, no throws, no bad ranges, no hangs', async () => {
  if (!existsSync(`${SHARED}/kernel/6.18`)) console.log('SKIP: (part) no shared kernel 6.18 data: scripts are checked without kernel types');
  const s = await runBtFuzz(600, 1);
  printBtFuzz(s);
  assert.equal(s.cases, 600 - s.hangs.length);
  assert.deepEqual(s.failures.map((f) => `seed ${f.seed}: ${f.desc}: ${f.problems.join(' || ')}`), []);
  assert.deepEqual(s.hangs, []);
  // The sample must reach every stage, or it tests less than it claims.
  for (const st of ['parse-error', 'check-error', 'replayed']) assert.ok((s.stages[st] ?? 0) > 0, `no case reached ${st}`);
});

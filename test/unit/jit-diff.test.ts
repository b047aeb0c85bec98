// Differential tests: the JIT against the interpreter on every conformance
// program and on random programs (r0, fault, steps, output, mem and stacks),
// and the JIT alone against the conformance suite's expected results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildConformance, parseConformance, runConformance } from '../../server/src/vm/conformance';
import { diffRandom, diffRun } from '../../server/src/vm/jit-diff';
import { runJit } from '../../server/src/vm/jit';
import { randHelpers } from '../../server/src/vm/randprog';

const DIR = join(__dirname, '../../../shared/conformance/tests');
const RANDOM_N = Number(process.env.JIT_DIFF_N ?? 2000);

function conformanceFiles(): string[] | undefined {
  return existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.data')).sort() : undefined;
}

test('the JIT passes the conformance suite (>= 312 of 313)', (t) => {
  const files = conformanceFiles();
  if (!files) { console.log(`SKIP: no conformance suite at ${DIR}`); t.skip('no conformance suite'); return; }
  let pass = 0;
  const failed: string[] = [];
  for (const f of files) {
    const r = runConformance(parseConformance(f, readFileSync(join(DIR, f), 'utf8')), runJit);
    if (r.status === 'pass') pass++;
    else failed.push(`${f}: ${r.status} ${r.message ?? ''}`);
  }
  console.log(`jit conformance: ${pass} of ${files.length} pass`);
  assert.ok(pass >= 312 && files.length >= 313, `only ${pass} of ${files.length} pass:\n${failed.join('\n')}`);
});

test('interpreter and JIT agree on every conformance program', (t) => {
  const files = conformanceFiles();
  if (!files) { console.log(`SKIP: no conformance suite at ${DIR}`); t.skip('no conformance suite'); return; }
  const mismatches: string[] = [];
  let compared = 0;
  for (const f of files) {
    const c = parseConformance(f, readFileSync(join(DIR, f), 'utf8'));
    const { insns, errors } = buildConformance(c);
    if (errors.length) continue;
    compared++;
    // Also with small budgets, so budget faults land mid-program.
    for (const budget of [undefined, 1, 3, 7]) {
      const d = diffRun(insns, { mem: c.mem }, { helpers: randHelpers(0), ...(budget ? { budget } : {}) });
      if (!d.same) mismatches.push(`${f} (budget ${budget ?? 'default'}): ${d.detail.join('; ')}`);
    }
  }
  console.log(`conformance differential: ${compared} programs x 4 budgets, ${mismatches.length} mismatches`);
  assert.ok(compared >= 300, `only ${compared} programs built`);
  assert.deepEqual(mismatches, []);
});

test(`interpreter and JIT agree on ${RANDOM_N} random programs`, () => {
  const tally = new Map<string, { n: number; bad: number }>();
  const failures: string[] = [];
  for (let seed = 1; seed <= RANDOM_N; seed++) {
    const d = diffRandom(seed);
    const key = `${d.category}/${d.outcome}`;
    const e = tally.get(key) ?? { n: 0, bad: 0 };
    e.n++;
    if (!d.same) { e.bad++; if (failures.length < 5) failures.push(`seed ${seed} (${key}): ${d.detail.join('; ')}`); }
    tally.set(key, e);
  }
  const bad = [...tally.values()].reduce((a, e) => a + e.bad, 0);
  console.log(`random differential: ${RANDOM_N} programs, ${bad} mismatches; ${[...tally].sort().map(([k, e]) => `${k} ${e.n}`).join(', ')}`);
  // The generator must reach every outcome kind, or the comparison proves little.
  for (const kind of ['exit', 'memory', 'budget', 'call-depth', 'helper']) {
    assert.ok([...tally.keys()].some((k) => k.endsWith('/' + kind)), `no random program ended with ${kind}`);
  }
  assert.deepEqual(failures, []);
});

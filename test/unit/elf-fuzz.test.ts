import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzElf } from '../../server/src/elf/fuzz';
import { buildFixtures } from '../fixtures/elf/build';

test('elf fuzz: 2,000 mutated clang objects each give a result or diagnostics, never a throw, within 1 s', (t) => {
  const built = buildFixtures();
  if (built.skip) {
    console.log(`SKIP: ${built.skip}`);
    t.skip(built.skip);
    return;
  }
  const rep = fuzzElf(built.fixtures.map((f) => f.bytes), { count: 2000, seed: 20261126, maxMsPerCase: 1000 });
  assert.deepEqual(rep.failures.slice(0, 5), []);
  assert.equal(rep.cases, 2000);
  // the mutations reach deep: most cases still give an object, many with diagnostics
  assert.ok(rep.objects > 1000, `${rep.objects} objects`);
  assert.ok(rep.withDiagnostics > 500, `${rep.withDiagnostics} with diagnostics`);
  for (const k of ['bitflip', 'truncate', 'smash-header', 'smash-sections', 'smash-symbols', 'smash-relocs', 'smash-btf']) {
    assert.ok((rep.byMutation[k] ?? 0) > 50, `mutation ${k} ran`);
  }
  console.log(`elf fuzz: ${rep.cases} cases, ${rep.objects} objects, ${rep.withDiagnostics} with diagnostics, max ${rep.maxMs.toFixed(1)} ms`);
});

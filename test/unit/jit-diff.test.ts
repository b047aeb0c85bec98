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
import type { MapDef } from '../../server/src/vm/maps/types';
import type { VmOptions } from '../../server/src/vm/types';

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
  // The generator must reach every outcome kind, or the comparison proves little (checked on full-size runs).
  for (const kind of RANDOM_N >= 500 ? ['exit', 'memory', 'budget', 'call-depth', 'helper'] : []) {
    assert.ok([...tally.keys()].some((k) => k.endsWith('/' + kind)), `no random program ended with ${kind}`);
  }
  assert.deepEqual(failures, []);
});

test('returning to the driver every few dispatches (yieldEvery 1..3) changes nothing', () => {
  const failures: string[] = [];
  for (let seed = 1; seed <= 300; seed++) {
    const d = diffRandom(seed, {}, { yieldEvery: 1 + (seed % 3) });
    if (!d.same && failures.length < 5) failures.push(`seed ${seed}: ${d.detail.join('; ')}`);
  }
  assert.deepEqual(failures, []);
});

test('interpreter and JIT agree on programs using the default helpers and maps', () => {
  const hash: MapDef[] = [{ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8, name: 'counts' }];
  const ring: MapDef[] = [{ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096, name: 'events' }];
  const cases: { name: string; src: string; opts?: VmOptions; mem?: Uint8Array }[] = [
    {
      name: 'hash: fill keys 0..3 in a loop, bump key 1 through its value pointer, delete it, read the stale pointer',
      opts: { maps: hash },
      src: `mov %r7, 0
fill:
stxw [%r10-4], %r7
mov %r8, %r7
mul %r8, 10
stxdw [%r10-16], %r8
lddw %r1, map[idx:0]
mov %r2, %r10
sub %r2, 4
mov %r3, %r10
sub %r3, 16
mov %r4, 0
call 2
add %r7, 1
jlt %r7, 4, fill
stw [%r10-4], 1
mov %r2, %r10
sub %r2, 4
lddw %r1, map[idx:0]
call 1
jeq %r0, 0, done
mov %r9, %r0
lock add [%r9+0], %r7
mov %r2, %r10
sub %r2, 4
lddw %r1, map[idx:0]
call 3
ldxdw %r0, [%r9+0]
done:
exit`,
    },
    {
      name: 'bpf_loop with a callback summing into the stack, printk, clocks and random',
      src: `stdw [%r10-8], 0
mov %r1, 6
lddw %r2, func[cb]
mov %r3, %r10
add %r3, -8
mov %r4, 0
call 181
mov %r6, %r0
call 5
mov %r7, %r0
call 7
stw [%r10-16], 0x6425
stw [%r10-12], 0
mov %r1, %r10
add %r1, -16
mov %r2, 4
mov %r3, %r6
call 6
ldxdw %r0, [%r10-8]
add %r0, %r6
exit
cb:
lock add [%r2+0], %r1
mov %r0, 0
jne %r1, 4, keep
mov %r0, 1
keep:
exit`,
    },
    {
      name: 'ringbuf reserve, write, submit; pid and comm',
      opts: { maps: ring },
      src: `lddw %r1, map[idx:0]
mov %r2, 16
mov %r3, 0
call 131
jeq %r0, 0, out
mov %r6, %r0
call 14
stxdw [%r6+0], %r0
mov %r1, %r6
add %r1, 8
mov %r2, 8
call 16
mov %r1, %r6
mov %r2, 0
call 132
mov %r0, 1
out:
exit`,
    },
  ];
  for (const c of cases) {
    const { insns, errors } = buildConformance({ name: c.name, asm: c.src, mem: new Uint8Array(0), sections: ['asm'], problems: [] });
    assert.deepEqual(errors, [], c.name);
    for (const budget of [undefined, 5, 17, 40]) {
      const d = diffRun(insns, c.mem ? { mem: c.mem } : {}, { ...c.opts, ...(budget ? { budget } : {}) });
      assert.deepEqual(d.detail, [], `${c.name} (budget ${budget ?? 'default'})`);
      if (budget === undefined) { if (process.env.JIT_DIFF_VERBOSE) console.log(c.name, d.jit.r0, d.jit.fault?.message, d.jit.steps, JSON.stringify(d.jit.output, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))); assert.ok(d.jit.r0 !== undefined || d.jit.fault?.kind === 'memory', `${c.name}: ${d.jit.fault?.message}`); }
    }
  }
});

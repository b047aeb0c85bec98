/**
 * `npm run fuzz -- [jit|verifier|bpftrace] [count] [firstSeed]`: 'jit' is differential
 * fuzzing of the JIT against the interpreter on random programs
 * (server/src/vm/randprog.ts): prints `N passed, N failed`, per-category
 * figures and the first failing seeds with what differed. 'verifier' feeds
 * random and mutated programs to the verifier (scripts/fuzz-verifier.ts);
 * 'bpftrace' runs mutated scripts through the whole bpftrace pipeline
 * (scripts/fuzz-bpftrace.ts).
 * Exits 1 on any failure.
 */
import { isMainThread } from 'node:worker_threads';
import { diffRandom } from '../server/src/vm/jit-diff';
import { fuzzVerifier } from './fuzz-verifier';
import { printBtFuzz, runBtFuzz } from './fuzz-bpftrace';

function main(): number | Promise<number> {
  const args = process.argv.slice(2);
  const target = args[0] !== undefined && !/^\d+$/.test(args[0]) ? args.shift() : 'jit';
  if (target === 'verifier') return fuzzVerifier(Number(args[0] ?? 10_000), Number(args[1] ?? 1));
  if (target === 'bpftrace') {
    return runBtFuzz(Number(args[0] ?? 10_000), Number(args[1] ?? 1)).then((s) => { printBtFuzz(s); return s.failures.length || s.hangs.length ? 1 : 0; });
  }
  if (target !== 'jit') {
    console.log(`unknown fuzz target '${target}' (known: jit, verifier, bpftrace)`);
    return 2;
  }
  const count = Number(args[0] ?? 10_000);
  const first = Number(args[1] ?? 1);
  const t0 = Date.now();
  const cats = new Map<string, { n: number; failed: number; outcomes: Map<string, number> }>();
  const failures: string[] = [];
  let failed = 0;
  for (let seed = first; seed < first + count; seed++) {
    const d = diffRandom(seed);
    const c = cats.get(d.category) ?? { n: 0, failed: 0, outcomes: new Map() };
    c.n++;
    c.outcomes.set(d.outcome, (c.outcomes.get(d.outcome) ?? 0) + 1);
    if (!d.same) {
      c.failed++;
      failed++;
      if (failures.length < 10) failures.push(`seed ${seed} (${d.category}): ${d.detail.join('; ')}`);
    }
    cats.set(d.category, c);
  }
  const secs = (Date.now() - t0) / 1000;
  console.log(`${count - failed} passed, ${failed} failed (${count} random programs, seeds ${first}..${first + count - 1}, ${secs.toFixed(1)} s)`);
  console.log('category   programs  failed  outcomes');
  for (const [name, c] of [...cats].sort()) {
    const oc = [...c.outcomes].sort().map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`${name.padEnd(10)} ${String(c.n).padStart(8)}  ${String(c.failed).padStart(6)}  ${oc}`);
  }
  for (const f of failures) console.log(f);
  return failed === 0 ? 0 : 1;
}

if (isMainThread) void Promise.resolve(main()).then((code) => { process.exitCode = code; });

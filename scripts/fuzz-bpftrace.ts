/**
 * `npm run fuzz -- bpftrace [count] [firstSeed]`: mutated bpftrace scripts
 * (scripts/fuzz-bpftrace-case.ts; seeds are the committed test scripts and,
 * when BPFTRACE_TOOLS_DIR names a checkout's tools/ directory, upstream's
 * tools) through parse, check, code generation, our verifier and replay, in a
 * worker thread. A case that throws or reports a range outside its text is a
 * failure; one still running after HANG_MS of CPU time is a hang (the worker
 * is restarted past it). Prints the stages reached, verdict counts, the
 * slowest cases and the failures with their seeds; exits 1 on any.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { runFuzzWorker } from './fuzz-worker';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadKernelInfo } from '../server/src/host/kernel-info';
import { btFuzzCase, type BtFuzzKernel, type BtCaseResult } from './fuzz-bpftrace-case';

const ROOT = join(__dirname, '..');
const SHARED_EVENTS = join(ROOT, '..', 'shared', 'kernel', '6.18', 'tracefs', 'events');
/** A case is a hang after this much CPU time (the process's: the main thread only waits), or HANG_WALL_MS of wall time. */
const HANG_MS = 60_000;
const HANG_WALL_MS = 300_000;
const SLOW_MS = 2_000;

interface Seed { name: string; text: string; target: string }

function scriptsUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? scriptsUnder(p) : n.endsWith('.bt') ? [p] : [];
  });
}

/** The committed test scripts, and upstream tools when BPFTRACE_TOOLS_DIR is set. */
export function btFuzzSeeds(): Seed[] {
  const files = [...scriptsUnder(join(ROOT, 'test', 'fixtures')), ...scriptsUnder(process.env.BPFTRACE_TOOLS_DIR ?? '')];
  return files.map((f) => {
    const text = readFileSync(f, 'utf8');
    const target = /^\/\/ target: (\S+)/m.exec(text)?.[1] ?? (f.includes('head') ? '0.26' : '0.17');
    return { name: f.startsWith(ROOT) ? relative(ROOT, f) : f, text, target };
  });
}

function fuzzKernel(): BtFuzzKernel | undefined {
  return existsSync(SHARED_EVENTS) ? loadKernelInfo({ tracefs: [], bundles: [], shared: [SHARED_EVENTS] }) as BtFuzzKernel | undefined : undefined;
}

interface Report { seed: number; ms: number; r: Omit<BtCaseResult, 'text'> & { text?: string } }

function workerMain(): void {
  const { from, to, progress, skip } = workerData as { from: number; to: number; progress: SharedArrayBuffer; skip: number[] };
  const cur = new Int32Array(progress);
  const seeds = btFuzzSeeds();
  const kernel = fuzzKernel() ?? {};
  for (let seed = from; seed < to; seed++) {
    Atomics.store(cur, 0, seed);
    if (skip.includes(seed)) continue;
    const t0 = performance.now();
    const r = btFuzzCase(seed, seeds, kernel);
    const ms = performance.now() - t0;
    const { text, ...rest } = r;
    parentPort!.postMessage({ seed, ms, r: r.problems.length ? r : rest } satisfies Report);
    void text;
  }
}

export interface BtFuzzSummary {
  cases: number;
  stages: Record<string, number>;
  accepted: number;
  rejected: number;
  failures: { seed: number; desc: string; problems: string[]; text?: string }[];
  hangs: number[];
  slow: { seed: number; ms: number; desc: string }[];
  seconds: number;
  seeds: number;
}

/** Runs cases [first, first + count) in a worker, restarting it after a hang. */
export async function runBtFuzz(count: number, first = 1): Promise<BtFuzzSummary> {
  const t0 = Date.now();
  const s: BtFuzzSummary = { cases: 0, stages: {}, accepted: 0, rejected: 0, failures: [], hangs: [], slow: [], seconds: 0, seeds: btFuzzSeeds().length };
  let next = first;
  const end = first + count;
  const skip: number[] = [];
  while (next < end) {
    const r = await runFuzzWorker<Report>(__filename, { to: end, skip }, next, (m) => {
      next = m.seed + 1;
      s.cases++;
      s.stages[m.r.stage] = (s.stages[m.r.stage] ?? 0) + 1;
      s.accepted += m.r.accepted;
      s.rejected += m.r.rejected;
      if (m.r.problems.length) s.failures.push({ seed: m.seed, desc: m.r.desc, problems: m.r.problems, ...(m.r.text !== undefined ? { text: m.r.text } : {}) });
      if (m.ms > SLOW_MS) s.slow.push({ seed: m.seed, ms: m.ms, desc: m.r.desc });
    }, { cpuMs: HANG_MS, wallMs: HANG_WALL_MS, pollMs: 250 });
    if (r.kind === 'died') s.failures.push({ seed: r.at, desc: 'worker died', problems: [String(r.error.stack ?? r.error).slice(-600)] });
    if (r.kind !== 'hung') break;
    s.hangs.push(r.at);
    skip.push(r.at);
    next = Math.min(next, r.at);
  }
  s.seconds = (Date.now() - t0) / 1000;
  return s;
}

export function printBtFuzz(s: BtFuzzSummary, log: (l: string) => void = console.log): void {
  const st = Object.entries(s.stages).sort().map(([k, v]) => `${k} ${v}`).join(', ');
  log(`bpftrace fuzz: ${s.cases} cases from ${s.seeds} seed scripts in ${s.seconds.toFixed(1)} s: ${st}; programs verified: ${s.accepted} accepted, ${s.rejected} rejected`);
  log(`  ${s.failures.length} failing cases, ${s.hangs.length} hangs${s.hangs.length ? ` (seeds ${s.hangs.join(', ')})` : ''}, ${s.slow.length} over ${SLOW_MS} ms`);
  for (const x of [...s.slow].sort((a, b) => b.ms - a.ms).slice(0, 5)) log(`  slow: seed ${x.seed} ${x.ms.toFixed(0)} ms ${x.desc}`);
  for (const f of s.failures.slice(0, 10)) log(`  FAIL seed ${f.seed} ${f.desc}: ${f.problems.join(' || ')}`);
}

if (!isMainThread && (workerData as { progress?: unknown } | undefined)?.progress !== undefined) workerMain();

/**
 * `npm run fuzz -- verifier [count] [firstSeed]`: feeds random and mutated
 * programs (server/src/verifier/fuzzgen.ts; seeds are the verifier corpus,
 * compiled with clang, and the conformance programs) to the verifier in a
 * worker thread. Every case must return a verdict, never an internal error,
 * within its instruction budget; a case running longer than 1 s is reported as
 * slow, one using more than 30 s of CPU time kills the worker and counts as
 * a hang. Prints cases, verdict counts, the slowest case and peak RSS; exits 1
 * on any throw, budget overrun or hang.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '../server/src/isa/codec';
import { Btf, parseBtf } from '../server/src/btf';
import { fromObject, verify } from '../server/src/verifier';
import { fuzzCase, type FuzzSeed } from '../server/src/verifier/fuzzgen';
import { runFuzzWorker } from './fuzz-worker';
import { buildConformance, parseConformance } from '../server/src/vm/conformance';
import { compileGroupObjects, loadGroups } from '../test/fixtures/verifier/corpus';

const CONFORMANCE_DIR = join(__dirname, '..', '..', 'shared', 'conformance', 'tests');
const BTF_PATH = join(__dirname, '..', '..', 'shared', 'kernel', '6.18', 'vmlinux.btf');
/** A case slower than this is listed (it still counts as passed). */
const SLOW_MS = 1000;
/**
 * A case that has used this much CPU time (the process's, which is the
 * worker's while the main thread waits) is a hang: the worker is killed and
 * restarted after it. CPU time, not wall time, so a loaded machine does not
 * turn slow cases into hangs; HANG_WALL_MS bounds the wall time as well.
 */
const HANG_MS = 30_000;
const HANG_WALL_MS = 300_000;
/** Cases per progress report from the worker. */
const BATCH = 250;

interface Problem { seed: number; kind: 'throw' | 'internal' | 'budget' | 'hang' | 'slow'; ms: number; what: string }

interface Batch {
  from: number;
  to: number;
  verdicts: Record<string, number>;
  origins: Record<string, number>;
  problems: Problem[];
  slowest: { seed: number; ms: number; desc: string };
  /** The case after which the RSS had grown most (a runaway-memory suspect). */
  fattest: { seed: number; mb: number; desc: string };
  totalMs: number;
}

/** Seeds: each corpus program (via fromObject) and each conformance program, as bytes. */
async function loadSeeds(log: (s: string) => void): Promise<FuzzSeed[]> {
  const seeds: FuzzSeed[] = [];
  if (existsSync(CONFORMANCE_DIR)) {
    for (const f of readdirSync(CONFORMANCE_DIR).filter((x) => x.endsWith('.data')).sort()) {
      const b = buildConformance(parseConformance(f, readFileSync(join(CONFORMANCE_DIR, f), 'utf8')));
      if (b.errors.length === 0 && b.insns.length > 0) seeds.push({ name: `conformance/${f}`, bytes: encode(b.insns) });
    }
  } else log(`SKIP: (part) ${CONFORMANCE_DIR} not found: no conformance seeds`);
  const nConf = seeds.length;
  if (spawnSync('clang', ['--version']).error) {
    log('SKIP: (part) clang not found: no verifier corpus seeds');
    return seeds;
  }
  const groups = loadGroups();
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-fuzzv-'));
  try {
    const objs = await compileGroupObjects(groups, tmp);
    groups.forEach((g, gi) => {
      const obj = objs[gi];
      if (!obj) return;
      for (const prog of obj.programs.filter((p) => !p.subprog)) {
        const inp = fromObject(obj, prog, { logLevel: 0 });
        const maps = inp.maps?.map((m) => ({ ...m, initial: m.initial ? new Uint8Array(m.initial) : undefined }));
        seeds.push({ name: `${g.file}/${prog.name}`, bytes: encode(inp.insns), progType: inp.progType, maps, funcStarts: inp.funcStarts });
      }
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  log(`seeds: ${nConf} conformance programs, ${seeds.length - nConf} verifier corpus programs`);
  return seeds;
}

/** Worker side: runs cases [from, to) and posts a Batch every BATCH cases. */
function workerMain(): void {
  const { from, to, seeds, progress, skip } = workerData as { from: number; to: number; seeds: FuzzSeed[]; progress: SharedArrayBuffer; skip: number[] };
  const cur = new Int32Array(progress);
  const raw = existsSync(BTF_PATH) ? parseBtf(new Uint8Array(readFileSync(BTF_PATH))).btf : undefined;
  const btf = raw ? new Btf(raw) : undefined;
  let b = newBatch(from);
  for (let seed = from; seed < to; seed++) {
    Atomics.store(cur, 0, seed);
    if (skip.includes(seed)) continue;
    const c = fuzzCase(seed, seeds);
    const rss0 = process.memoryUsage.rss();
    if (btf && (c.input.progType === 'tracing' || c.input.progType === 'lsm')) c.input.btf = btf;
    b.origins[c.origin] = (b.origins[c.origin] ?? 0) + 1;
    const t0 = performance.now();
    let verdict = 'throw';
    try {
      const r = verify(c.input);
      verdict = r.verdict;
      const ms = performance.now() - t0;
      const internal = r.errors.find((e) => e.message.startsWith('internal verifier error'));
      if (internal) b.problems.push({ seed, kind: 'internal', ms, what: `${c.desc}: ${internal.message}` });
      if (r.verdict !== 'accept' && r.verdict !== 'reject') b.problems.push({ seed, kind: 'throw', ms, what: `${c.desc}: verdict ${String(r.verdict)}` });
      const budget = c.input.limits?.insns ?? 1_000_000;
      // The kernel stops one instruction past the limit ("Processed 1000001 insn").
      if (r.stats.processed > budget + 1) b.problems.push({ seed, kind: 'budget', ms, what: `${c.desc}: processed ${r.stats.processed}` });
    } catch (e) {
      b.problems.push({ seed, kind: 'throw', ms: performance.now() - t0, what: `${c.desc}: ${(e as Error).stack ?? e}` });
    }
    const ms = performance.now() - t0;
    b.verdicts[verdict] = (b.verdicts[verdict] ?? 0) + 1;
    b.totalMs += ms;
    if (ms > b.slowest.ms) b.slowest = { seed, ms, desc: c.desc };
    const grew = (process.memoryUsage.rss() - rss0) / 1e6;
    if (grew > b.fattest.mb) b.fattest = { seed, mb: grew, desc: c.desc };
    if (ms > SLOW_MS) b.problems.push({ seed, kind: 'slow', ms, what: c.desc });
    if (seed + 1 - b.from >= BATCH || seed + 1 === to || skip.includes(seed + 1)) {
      b.to = seed + 1;
      parentPort!.postMessage(b);
      b = newBatch(seed + 1);
    }
  }
}

function newBatch(from: number): Batch {
  return { from, to: from, verdicts: {}, origins: {}, problems: [], slowest: { seed: -1, ms: 0, desc: '' }, fattest: { seed: -1, mb: 0, desc: '' }, totalMs: 0 };
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** Main side: spawns the worker, watches for hangs, restarts after one, prints the summary. */
export async function fuzzVerifier(count: number, first: number): Promise<number> {
  const t0 = Date.now();
  const seeds = await loadSeeds((s) => console.log(s));
  const total = newBatch(first);
  let done = first;
  const end = first + count;
  let lastReport = Date.now();
  const skip: number[] = [];
  while (done < end) {
    const r = await runFuzzWorker<Batch>(__filename, { to: end, seeds, skip }, done, (b) => {
      done = b.to;
      total.totalMs += b.totalMs;
      add(total.verdicts, b.verdicts);
      add(total.origins, b.origins);
      total.problems.push(...b.problems);
      if (b.slowest.ms > total.slowest.ms) total.slowest = b.slowest;
      if (b.fattest.mb > total.fattest.mb) total.fattest = b.fattest;
      if (Date.now() - lastReport > 60_000) {
        lastReport = Date.now();
        console.log(`  ... ${done - first} cases, ${((Date.now() - t0) / 1000).toFixed(0)} s, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
      }
    }, { cpuMs: HANG_MS, wallMs: HANG_WALL_MS, pollMs: 500 });
    // A worker that dies (out of memory, or it could not start) is not restarted: that is a bug to fix first.
    if (r.kind === 'died') total.problems.push({ seed: r.at, kind: 'throw', ms: 0, what: `worker died: ${r.error.stack ?? r.error}` });
    if (r.kind !== 'hung') break;
    total.problems.push({ seed: r.at, kind: 'hang', ms: HANG_MS, what: fuzzCase(r.at, seeds).desc });
    // The new worker runs the unreported cases before the hung one again and skips the hung one.
    skip.push(r.at);
    total.verdicts.hang = (total.verdicts.hang ?? 0) + 1;
  }
  const n = Object.values(total.verdicts).reduce((s, v) => s + v, 0);
  const secs = (Date.now() - t0) / 1000;
  const bad = total.problems.filter((p) => p.kind !== 'slow');
  const slow = total.problems.filter((p) => p.kind === 'slow');
  const kinds = (o: Record<string, number>): string => Object.entries(o).sort().map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`verifier fuzz: ${n} cases (seeds ${first}..${end - 1}) in ${secs.toFixed(1)} s, ${seeds.length} seed programs`);
  console.log(`  origins: ${kinds(total.origins)}`);
  console.log(`  verdicts: ${kinds(total.verdicts)}`);
  console.log(`  mean ${(total.totalMs / Math.max(n, 1)).toFixed(2)} ms per case; slowest: seed ${total.slowest.seed}, ${total.slowest.ms.toFixed(0)} ms (${total.slowest.desc})`);
  console.log(`  over ${SLOW_MS} ms: ${slow.length}; throws/internal errors/budget overruns/hangs: ${bad.length}`);
  console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (whole process: worker, seeds, kernel BTF); largest growth over one case ${total.fattest.seed < 0 ? 'none' : `${total.fattest.mb.toFixed(0)} MB: seed ${total.fattest.seed} (${total.fattest.desc})`}`);
  for (const p of [...bad, ...slow].slice(0, 20)) console.log(`  ${p.kind.toUpperCase()} seed ${p.seed} (${p.ms.toFixed(0)} ms): ${p.what.split('\n').slice(0, 4).join(' | ')}`);
  return bad.length === 0 ? 0 : 1;
}

if (!isMainThread && (workerData as { progress?: unknown } | undefined)?.progress !== undefined) workerMain();

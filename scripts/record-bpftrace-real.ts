// Re-records test/fixtures/bpftrace-real/: for each case of cases.ts, runs the real bpftrace script and a
// recording bpftrace script (-f json print() tuples of the event fields the script uses, written by
// server/src/bpftrace/replay-recorder.ts) at the same time,
// runs the deterministic workload (btwork.c, pinned to one CPU) once, stops both with SIGINT, and stores
// NAME.bt, NAME.stdout (what bpftrace printed) and NAME.trace.jsonl (the tuples converted to trace v1 with
// the tracepoint formats). Needs root, bpftrace, clang and tracefs (mounted in a private mount namespace
// when /sys/kernel/tracing is empty). Also used by test/unit/bpftrace-real-live.test.ts (recordCase).
//
//   node --import tsx scripts/record-bpftrace-real.ts [--out DIR] [NAME...]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { arch, release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { convertBpftraceJson } from '../server/src/trace/bpftrace-json';
import { dirname } from 'node:path';
import { sharedFormats } from '../test/fixtures/bpftrace-real/replay-fixture';
import { parse } from '../server/src/bpftrace/parser';
import { recorderFor, type Recorder } from '../server/src/bpftrace/replay-recorder';
import { CASES, WORKLOAD_BIN, WORKLOAD_COMM, type RealCase } from '../test/fixtures/bpftrace-real/cases';

const ROOT = resolve(__dirname, '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'bpftrace-real');

/** Why real bpftrace cannot run here, or undefined when it can. */
export function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (bpftrace needs root)';
  const v = spawnSync('bpftrace', ['--version'], { encoding: 'utf8' });
  if (v.status !== 0) return 'bpftrace is not installed';
  if (spawnSync('unshare', ['--help']).status !== 0) return 'unshare (util-linux) is missing';
  if (spawnSync('clang', ['--version']).status !== 0) return 'clang is missing (builds the workload)';
  return undefined;
}

export function bpftraceVersion(): string {
  return spawnSync('bpftrace', ['--version'], { encoding: 'utf8' }).stdout.trim();
}

/** The command line running `cmd` with tracefs mounted (in a private mount namespace when not already). */
function withTracefs(cmd: string[]): string[] {
  if (existsSync('/sys/kernel/tracing/events')) return cmd;
  return ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'mount -t tracefs nodev /sys/kernel/tracing && exec "$@"', 'sh', ...cmd];
}

/** The recording script, written by bpfstudio's recorder generator from the case's script (filtered on the workload's comm). */
export function caseRecorder(c: RealCase): Recorder {
  return recorderFor(parse(c.script).program, { tracepoint: sharedFormats() }, { filter: `comm == "${WORKLOAD_COMM}"` });
}

/** Builds the workload at WORKLOAD_BIN (a fixed path: uprobe scripts name it). */
function buildWorkload(): string {
  const bin = WORKLOAD_BIN;
  mkdirSync(dirname(bin), { recursive: true });
  const r = spawnSync('clang', ['-O1', '-pthread', '-o', bin, join(FIXTURES, 'btwork.c')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the workload failed: ${r.stderr}`);
  return bin;
}

interface Running { proc: ChildProcess; out: string[]; err: string[]; done: Promise<string> }

function start(cmd: string[]): Running {
  const proc = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BPFTRACE_STRLEN: '64' } });
  const out: string[] = [];
  const err: string[] = [];
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => out.push(d));
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => err.push(d));
  const done = new Promise<string>((res) => proc.on('close', (code, signal) => res(signal ? `killed by ${signal}` : `exit ${code}`)));
  return { proc, out, err, done };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(r: Running, re: RegExp, ms: number): Promise<boolean> {
  for (let t = 0; t < ms; t += 50) {
    if (re.test(r.out.join(''))) return true;
    if (r.proc.exitCode !== null) return false;
    await sleep(50);
  }
  return false;
}

/** SIGINT (bpftrace then runs END and prints its maps), SIGKILL after `ms`; how it ended. */
async function stop(r: Running, ms: number): Promise<string> {
  if (r.proc.exitCode === null) r.proc.kill('SIGINT');
  const t = setTimeout(() => r.proc.kill('SIGKILL'), ms);
  const how = await r.done;
  clearTimeout(t);
  return how;
}

export interface Recorded { stdout: string; trace: string; diagnostics: string[] }

/** Runs one case: real script and recorder side by side over one workload run. */
export async function recordCase(c: RealCase, work: string): Promise<Recorded> {
  const bin = buildWorkload();
  writeFileSync(join(work, `${c.name}.bt`), c.script);
  const recorder = caseRecorder(c);
  writeFileSync(join(work, `${c.name}.rec.bt`), recorder.script);
  const real = start(withTracefs(['bpftrace', ...(c.format === 'json' ? ['-f', 'json'] : []), join(work, `${c.name}.bt`)]));
  const recording = recorder.clauses.length > 0;
  const rec = recording ? start(withTracefs(['bpftrace', '-f', 'json', join(work, `${c.name}.rec.bt`)])) : undefined;
  const diagnostics: string[] = [];
  try {
    const ok = (await waitFor(real, /Attaching \d+ probes?|attached_probes/, 30000)) && (!rec || (await waitFor(rec, /attached_probes/, 30000)));
    if (!ok) throw new Error(`bpftrace did not attach: ${real.err.join('')}${rec?.err.join('') ?? ''}`);
    await sleep(300);
    const w = c.threads ? spawnSync(bin, ['/tmp/btwork.out', 'threads'], { encoding: 'utf8' }) : spawnSync('taskset', ['-c', '0', bin, '/tmp/btwork.out'], { encoding: 'utf8' });
    if (w.status !== 0) diagnostics.push(`workload exited ${w.status}: ${w.stderr}`);
    await sleep(700);
  } finally {
    const how = await stop(real, 20000);
    if (how !== 'exit 0') diagnostics.push(`bpftrace ${how}: ${real.err.join('').replace(/^ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK.*\n/m, '').trim()}`);
    if (rec) {
      const h = await stop(rec, 20000);
      if (h !== 'exit 0') diagnostics.push(`recorder ${h}`);
    }
  }
  const perProbe = new Map(recorder.fieldSpecs.map((spec) => {
    const k = spec.lastIndexOf('=');
    return [spec.slice(0, k), spec.slice(k + 1).split(',')];
  }));
  const json = rec ? rec.out.join('').split('\n') : [];
  const conv = convertBpftraceJson(json, {
    perProbe, kernel: release(), arch: arch() === 'x64' ? 'x86_64' : arch(),
    recordedWith: `${bpftraceVersion()} (print tuples, scripts/record-bpftrace-real.ts)`, tracepoint: sharedFormats(),
  });
  for (const d of conv.diagnostics) diagnostics.push(`recorder output line ${d.line}: ${d.message}`);
  // Per-CPU perf buffers may hand events over out of order: sort by time (stable).
  const [header, ...events] = conv.lines;
  const ts = (l: string): bigint => BigInt(JSON.parse(l).ts as number | string);
  events.sort((a, b) => { const d = ts(a) - ts(b); return d < 0n ? -1 : d > 0n ? 1 : 0; });
  return { stdout: real.out.join(''), trace: [header, ...events].join('\n') + '\n', diagnostics };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let out = FIXTURES;
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out') out = resolve(args[++i]);
    else names.push(args[i]);
  }
  const why = unavailable();
  if (why) { console.error(`cannot record: ${why}`); process.exit(2); }
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'bt-real-'));
  const cases = names.length ? CASES.filter((c) => names.includes(c.name)) : CASES;
  try {
    for (const c of cases) {
      let r: Recorded;
      try {
        r = await recordCase(c, work);
      } catch (e) {
        console.log(`${c.name}: FAILED: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = 1;
        continue;
      }
      // Rarely bpftrace's output stops short at SIGINT (its END and map dump missing): record again.
      for (let k = 0; k < 2 && (r.diagnostics.length > 0 || r.stdout.split('\n').length <= 2); k++) {
        console.log(`${c.name}: again (${r.diagnostics.join('; ') || 'no output past the banner'})`);
        r = await recordCase(c, work);
      }
      writeFileSync(join(out, `${c.name}.bt`), c.script);
      writeFileSync(join(out, `${c.name}.stdout`), r.stdout);
      writeFileSync(join(out, `${c.name}.trace.jsonl`), r.trace);
      const n = r.trace.split('\n').length - 2;
      console.log(`${c.name}: ${n} events, ${r.stdout.split('\n').length - 1} stdout lines${r.diagnostics.length ? `; ${r.diagnostics.join('; ')}` : ''}`);
    }
    const known = new Set(CASES.map((c) => c.name));
    for (const f of readdirSync(out)) {
      const m = /^(.*)\.(bt|stdout|trace\.jsonl)$/.exec(f);
      if (m && !known.has(m[1])) console.log(`note: ${f} belongs to no case`);
    }
    writeFileSync(join(out, 'RECORDED.md'), `Recorded by scripts/record-bpftrace-real.ts with ${bpftraceVersion()} on Linux ${release()} (${arch()}).\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(__filename)) {
  main().catch((e: unknown) => { console.error(e instanceof Error ? e.message : String(e)); process.exit(1); });
}

/**
 * BTF benchmark (`npm run bench -- btf [path/to/vmlinux.btf] [--bundle]`):
 * parse + index time (median of 7) and the heap it adds, the C dump
 * (vmlinux.h) time against `bpftool btf dump file X format c` when bpftool is
 * installed (in-process and warm, then the CLI as a fresh process each run,
 * node startup included; wall and CPU time, ratios to bpftool), and with
 * --bundle the size of the compressed default-kernel bundle (BTF +
 * tracepoint layouts). Prints plain lines; writes no files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseBtf, Btf } from '../server/src/btf';
import { dumpC } from '../server/src/btf/cprint';
import { buildBundle, gzip, loadBundle } from '../server/src/host/btf-bundle';

const DEFAULT_BTF = '../shared/kernel/6.18/vmlinux.btf';
const DEFAULT_EVENTS = '../shared/kernel/6.18/tracefs/events';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function gc(): boolean {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) return false;
  g();
  g();
  return true;
}

export function benchBtf(args: string[]): void {
  const withBundle = args.includes('--bundle');
  const path = args.filter((a) => !a.startsWith('--'))[0] ?? DEFAULT_BTF;
  benchParseAndDump(path);
  if (withBundle) benchBundle(path);
  else console.log('bundle: pass --bundle for the compressed default-kernel bundle figures (brotli-11 takes a while)');
}

function benchBundle(path: string): void {
  const t0 = performance.now();
  const b = buildBundle(path, DEFAULT_EVENTS, { kernel: '6.18' });
  const built = performance.now() - t0;
  const btfLen = readFileSync(path).length;
  console.log(`bundle: container ${(b.raw.length / 1e6).toFixed(2)} MB (BTF ${(btfLen / 1e6).toFixed(2)} MB + tracepoint layouts ${((b.raw.length - btfLen) / 1e6).toFixed(2)} MB), ${b.problems.length} problems`);
  console.log(`bundle: brotli-11 ${(b.compressed.length / 1e6).toFixed(2)} MB (built in ${(built / 1000).toFixed(1)} s), gzip-9 ${(gzip(b.raw).length / 1e6).toFixed(2)} MB: the package grows by the brotli figure`);
  const l0 = performance.now();
  const l = loadBundle(b.compressed);
  console.log(`bundle: load (decompress + decode) ${(performance.now() - l0).toFixed(0)} ms, ${l.bundle?.tracepoints.length ?? 0} tracepoints${l.error ? `, error: ${l.error}` : ''}`);
}

function benchParseAndDump(path: string): void {
  const bytes = readFileSync(path);
  console.log(`btf: ${path} (${(bytes.length / 1e6).toFixed(1)} MB)`);

  // Parse + index, median of 7 (after one warm-up run); CPU time too, as the machine may be shared.
  const times: number[] = [];
  const cpu: number[] = [];
  let keep: Btf | undefined;
  for (let i = 0; i < 8; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = parseBtf(bytes);
    if (r.btf === undefined) {
      console.log(`parse failed: ${JSON.stringify(r.diagnostics.slice(0, 3))}`);
      return;
    }
    keep = new Btf(r.btf);
    const dt = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (i > 0) {
      times.push(dt);
      cpu.push((c.user + c.system) / 1000);
    }
  }
  console.log(`parse+index: median ${median(times).toFixed(1)} ms wall (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}), ${median(cpu).toFixed(1)} ms CPU, of 7; ${keep?.count} types; target <= 40 ms`);

  // Heap added by one parse+index, kept alive.
  const exact = gc();
  const before = process.memoryUsage();
  const held = parseBtf(bytes);
  const hb = held.btf === undefined ? undefined : new Btf(held.btf);
  gc();
  const after = process.memoryUsage();
  const dHeap = (after.heapUsed - before.heapUsed) / 1e6;
  const dExt = (after.arrayBuffers - before.arrayBuffers) / 1e6;
  console.log(`heap added: ${dHeap.toFixed(1)} MB heapUsed + ${dExt.toFixed(1)} MB array buffers (${exact ? 'after global.gc()' : 'no --expose-gc: figures include garbage, run with node --expose-gc for exact numbers'}); target <= 60 MB`);

  // Lazy name index (first lookup) cost, for information, and the heap it adds.
  if (hb !== undefined) {
    const t0 = performance.now();
    hb.find('task_struct');
    const dt = performance.now() - t0;
    gc();
    const withIndex = process.memoryUsage().heapUsed;
    console.log(`first name lookup (builds the name index): ${dt.toFixed(1)} ms, heap now +${((withIndex - before.heapUsed) / 1e6).toFixed(1)} MB over the parsed blob`);
  }

  // C dump vs bpftool: wall time, and CPU time (this machine may be shared; CPU time is the steadier figure).
  const dumps: number[] = [];
  const cpus: number[] = [];
  let first = 0;
  let out = '';
  for (let i = 0; i < 8; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = parseBtf(bytes);
    out = dumpC(new Btf(r.btf!));
    const dt = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (i > 0) {
      dumps.push(dt);
      cpus.push((c.user + c.system) / 1000);
    } else {
      first = dt;
    }
  }
  const ours = median(dumps);
  const oursCpu = median(cpus);
  console.log(`C dump (parse + dumpC): median ${ours.toFixed(1)} ms wall, ${oursCpu.toFixed(1)} ms CPU (all threads) of 7 after one warm-up (first run ${first.toFixed(1)} ms); ${out.length} chars`);
  const probe = spawnSync('bpftool', ['version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log('bpftool not installed: no ratio');
    return;
  }
  const bt: number[] = [];
  const btCpu: number[] = [];
  for (let i = 0; i < 7; i++) {
    const r = timedProcess(['bpftool', 'btf', 'dump', 'file', path, 'format', 'c']);
    if (r === undefined) {
      console.log('bpftool failed: no ratio');
      return;
    }
    bt.push(r.wall);
    btCpu.push(r.cpu);
  }
  const theirs = median(bt);
  const theirsCpu = median(btCpu);
  console.log(`bpftool btf dump format c: median ${theirs.toFixed(1)} ms wall (process, via bash, output to /dev/null), ${theirsCpu.toFixed(1)} ms CPU of 7`);
  console.log(`ratio ours/bpftool (in-process dump, warm): ${(ours / theirs).toFixed(2)} wall, ${(oursCpu / theirsCpu).toFixed(2)} CPU; target <= 0.8 on both`);
  benchColdCli(path, bt[0], btCpu[0], theirs, theirsCpu);
}

/**
 * The CLI as a user types it (`node dist/cli.js btf dump FILE --format c`):
 * each run is a fresh process, so node's startup, loading the bundle and the
 * JIT's warm-up are all included. Its first run and the median of 5 are
 * printed beside bpftool's.
 */
function benchColdCli(path: string, btFirst: number, btFirstCpu: number, bt: number, btCpu: number): void {
  const cli = join(__dirname, '..', 'dist', 'cli.js');
  if (!existsSync(cli)) {
    console.log(`cold CLI: ${cli} missing (npm run build): not measured`);
    return;
  }
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < 6; i++) {
    const r = timedProcess([process.execPath, cli, 'btf', 'dump', path, '--format', 'c']);
    if (r === undefined) {
      console.log('cold CLI: bpfstudio btf dump failed: not measured');
      return;
    }
    walls.push(r.wall);
    cpus.push(r.cpu);
  }
  const w = median(walls.slice(1));
  const c = median(cpus.slice(1));
  console.log(`cold CLI (node dist/cli.js btf dump FILE --format c, a fresh process each run): first run ${walls[0].toFixed(0)} ms wall, ${cpus[0].toFixed(0)} ms CPU; median of 5 more ${w.toFixed(0)} ms wall, ${c.toFixed(0)} ms CPU`);
  console.log(`cold bpftool (same, first of its 7 runs above): ${btFirst.toFixed(0)} ms wall, ${btFirstCpu.toFixed(0)} ms CPU; ratio of medians ${(w / bt).toFixed(2)} wall, ${(c / btCpu).toFixed(2)} CPU`);
}

/** Runs a command with output to /dev/null; wall time, and user+system CPU time from bash's `times`. */
function timedProcess(argv: string[]): { wall: number; cpu: number } | undefined {
  const t0 = performance.now();
  // bash's `times` reports the children's user and system time on its second line.
  const r = spawnSync('bash', ['-c', '"$@" >/dev/null || exit 1; times', '_', ...argv], { encoding: 'utf8' });
  const wall = performance.now() - t0;
  if (r.status !== 0) return undefined;
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(r.stdout.trim());
  return { wall, cpu: m ? (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000 : NaN };
}

/**
 * bpftrace front-end benchmark: parse time of a generated 1,000-line script
 * (median of 51 runs after 30 warm-up runs, wall clock and process CPU), and
 * parse + version check + first semantic pass, and the full check the
 * editor and `bpfstudio check` run (checkScript: those plus the type
 * checker, without kernel data), on the front end bundled as it ships
 * (`--tsx`: the source modules); then the full check with the shipped 6.18
 * kernel data (BTF and tracepoint formats, read once before timing) on the
 * same script naming probe targets that kernel has. No I/O while timing; the
 * script mixes probes, predicates, maps, casts, loops and literals.
 */
import { join } from 'node:path';
import * as front from '../server/src/bpftrace';
import * as host from '../server/src/host/kernel-info';
import { bundledModule } from './bundled';

/**
 * A deterministic script of exactly `lines` lines. `kernelNames`: every chunk
 * attaches to the same kprobe and tracepoint, which the 6.18 kernel data has
 * (else each chunk names its own, unknown to any kernel).
 */
export function benchScript(lines = 1000, kernelNames = false): string {
  const kprobe = (i: number): string => (kernelNames ? 'vfs_read' : `vfs_read_${i}`);
  const event = (i: number): string => (kernelNames ? 'sys_enter_openat' : `sys_enter_openat_${i}`);
  const chunk = (i: number): string[] => [
    `kprobe:${kprobe(i)}, uprobe:/bin/sh:f${i} /pid == ${i} && comm != "bash"/`,
    '{',
    `  $t${i} = (struct task_struct *)curtask;`,
    `  @bytes[comm, pid] = sum(arg2 * ${i} + 0x10 << 2);`,
    `  if ($t${i}->pid > ${i}) { @big = count(); } else { @small[tid] = hist(arg1); }`,
    `  for ($i : 0..${i % 10 + 1}) { $x = $i * 2 ?: 1; }`,
    `  printf("%d %s %d\\n", pid, str(arg1), nsecs / 1000);`,
    `  $r = (a = 1, b = "x"); $u = (uint8[4])$r.a; @m[$u[0]] += 5ms;`,
    '}',
    `tracepoint:syscalls:${event(i)} { @opens[str(args.filename)] = count(); }`,
  ];
  const out: string[] = ['#include <linux/sched.h>', 'config = { stack_mode = perf }'];
  let i = 0;
  for (; out.length + 10 <= lines; i++) out.push(...chunk(i));
  for (; out.length < lines; i++) out.push(`interval:s:${i} { @n = ${i}; }`);
  return out.join('\n') + '\n';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Median parse time of the 1,000-line script (ms), its CPU time, and parse + checkVersion + analyze (checkMs). */
export function benchBpftraceParse(useTsx = false): {
  ms: number;
  cpuMs: number;
  checkMs: number;
  checkCpuMs: number;
  fullMs: number;
  fullCpuMs: number;
  lines: number;
  diagnostics: number;
  how: string;
} {
  const src = join(__dirname, '..', 'server', 'src', 'bpftrace', 'index.ts');
  const { mod, how } = bundledModule<typeof front>(src, front, useTsx, (m) => typeof m.checkScript === 'function');
  const { parse, checkVersion, analyze, checkScript } = mod;
  const text = benchScript(1000);
  let diagnostics = 0;
  for (let i = 0; i < 30; i++) {
    const r = parse(text);
    diagnostics = r.diagnostics.length + checkVersion(r.program, '0.26').length + analyze(r.program, '0.26').diagnostics.length;
  }
  const times: number[] = [];
  const cpu: number[] = [];
  const both: number[] = [];
  const bothCpu: number[] = [];
  const full: number[] = [];
  const fullCpu: number[] = [];
  for (let i = 0; i < 30; i++) checkScript(text, '0.26');
  for (let i = 0; i < 51; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = parse(text);
    const t1 = performance.now();
    const c1 = process.cpuUsage(c0);
    checkVersion(r.program, '0.26');
    analyze(r.program, '0.26');
    const t2 = performance.now();
    const c2 = process.cpuUsage(c0);
    times.push(t1 - t0);
    cpu.push((c1.user + c1.system) / 1000);
    both.push(t2 - t0);
    bothCpu.push((c2.user + c2.system) / 1000);
    const c3 = process.cpuUsage();
    const t3 = performance.now();
    checkScript(text, '0.26');
    const c4 = process.cpuUsage(c3);
    full.push(performance.now() - t3);
    fullCpu.push((c4.user + c4.system) / 1000);
  }
  return {
    ms: median(times),
    cpuMs: median(cpu),
    checkMs: median(both),
    checkCpuMs: median(bothCpu),
    fullMs: median(full),
    fullCpuMs: median(fullCpu),
    lines: text.split('\n').length - 1,
    diagnostics,
    how,
  };
}

/** The shipped 6.18 kernel data beside the checkout (../shared/kernel/6.18), as `bpfstudio check` builds it from there. */
function kernel618(mod: typeof host): front.KernelInfo | undefined {
  const events = join(__dirname, '..', '..', 'shared', 'kernel', '6.18', 'tracefs', 'events');
  return mod.loadKernelInfo({ tracefs: [], bundles: [], shared: [events] });
}

/**
 * Median full check (checkScript) of the 1,000-line script with the 6.18
 * kernel's BTF and tracepoint formats (loaded once, untimed): kernel struct
 * casts and field chains (`$t->pid`) resolve through BTF, `args.filename`
 * through the tracepoint's format. Undefined when the data is missing.
 */
export function benchBpftraceKernel(useTsx = false): { ms: number; cpuMs: number; diagnostics: number; how: string } | undefined {
  const root = join(__dirname, '..', 'server', 'src');
  const { mod, how } = bundledModule<typeof front>(join(root, 'bpftrace', 'index.ts'), front, useTsx, (m) => typeof m.checkScript === 'function');
  // The kernel data's own code (catalog, BTF lookups) bundled too, as the CLI ships it.
  const k = bundledModule<typeof host>(join(root, 'host', 'kernel-info.ts'), host, useTsx, (m) => typeof m.loadKernelInfo === 'function');
  const kernel = kernel618(k.mod);
  if (!kernel?.btf) return undefined;
  const text = benchScript(1000, true);
  let diagnostics = 0;
  for (let i = 0; i < 30; i++) diagnostics = mod.checkScript(text, '0.26', kernel).diagnostics.length;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < 51; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    mod.checkScript(text, '0.26', kernel);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { ms: median(wall), cpuMs: median(cpu), diagnostics, how: how === k.how ? how : `${how}; kernel data: ${k.how}` };
}

// `node --import tsx bench/bpftrace.ts` prints the figures.
if (process.argv[1]?.endsWith('bpftrace.ts')) {
  const r = benchBpftraceParse();
  console.log(
    `bpftrace parse: ${r.lines} lines in ${r.ms.toFixed(2)} ms wall, ${r.cpuMs.toFixed(2)} ms CPU (medians of 51); ` +
      `parse + checkVersion + analyze ${r.checkMs.toFixed(2)} ms wall, ${r.checkCpuMs.toFixed(2)} ms CPU; ${r.diagnostics} diagnostics`,
  );
}

/**
 * bpftrace front-end benchmark: parse time of a generated 1,000-line script
 * (median of 51 runs after 30 warm-up runs, wall clock and process CPU), and
 * parse + version check. No I/O; the
 * script mixes probes, predicates, maps, casts, loops and literals.
 */
import { parse } from '../server/src/bpftrace/parser';
import { checkVersion } from '../server/src/bpftrace/versions';

/** A deterministic script of exactly `lines` lines. */
export function benchScript(lines = 1000): string {
  const chunk = (i: number): string[] => [
    `kprobe:vfs_read_${i}, kretprobe:vfs_write_${i} /pid == ${i} && comm != "bash"/`,
    '{',
    `  $t${i} = (struct task_struct *)curtask;`,
    `  @bytes[comm, pid] = sum(arg2 * ${i} + 0x10 << 2);`,
    `  if ($t${i}->pid > ${i}) { @big = count(); } else { @small[tid] = hist(arg1); }`,
    `  for ($i : 0..${i % 10 + 1}) { $x = $i * 2 ?: 1; }`,
    `  printf("%d %s %d\\n", pid, str(arg1), nsecs / 1000);`,
    `  $r = (a = 1, b = "x"); $u = (uint8[4])$r.a; @m[$u[0]] += 5ms;`,
    '}',
    `tracepoint:syscalls:sys_enter_openat_${i} { @opens[str(args.filename)] = count(); }`,
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

/** Median parse time of the 1,000-line script, in milliseconds. */
export function benchBpftraceParse(): { ms: number; cpuMs: number; checkMs: number; lines: number; diagnostics: number } {
  const text = benchScript(1000);
  let diagnostics = 0;
  for (let i = 0; i < 30; i++) diagnostics = parse(text).diagnostics.length;
  const times: number[] = [];
  const cpu: number[] = [];
  const both: number[] = [];
  for (let i = 0; i < 51; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = parse(text);
    const t1 = performance.now();
    const c1 = process.cpuUsage(c0);
    checkVersion(r.program, '0.17');
    const t2 = performance.now();
    times.push(t1 - t0);
    cpu.push((c1.user + c1.system) / 1000);
    both.push(t2 - t0);
  }
  return { ms: median(times), cpuMs: median(cpu), checkMs: median(both), lines: text.split('\n').length - 1, diagnostics };
}

// `node --import tsx bench/bpftrace.ts` prints the figures.
if (process.argv[1]?.endsWith('bpftrace.ts')) {
  const r = benchBpftraceParse();
  console.log(
    `bpftrace parse: ${r.lines} lines in ${r.ms.toFixed(2)} ms wall, ${r.cpuMs.toFixed(2)} ms CPU (medians of 51); ` +
      `parse + checkVersion ${r.checkMs.toFixed(2)} ms; ${r.diagnostics} diagnostics`,
  );
}

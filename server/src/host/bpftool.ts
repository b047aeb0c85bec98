// Host I/O for the kernel oracle: loads a BPF object into the running kernel with bpftool and
// captures the verifier's log, then reads the verdict, final error message, error instruction
// and processed-instruction count out of it. The log parser (parseVerifierLog, parseBpftoolOutput)
// is pure and lives here for now, beside its only callers; it does not interpret register states.
import { spawn, spawnSync } from 'node:child_process';
import { unlinkSync } from 'node:fs';

export type Verdict = 'accept' | 'reject';
/** root = CAP_BPF + CAP_PERFMON + CAP_SYS_ADMIN; cap_bpf = root without CAP_PERFMON and CAP_SYS_ADMIN (via capsh). */
export type Privilege = 'root' | 'cap_bpf';

/** What the kernel said about one program. */
export interface KernelAnswer {
  verdict: Verdict;
  /** The final error line in the kernel's words; for a load refused without a log, libbpf's line. null when accepted. */
  message: string | null;
  /** The error's lines (see ParsedLog.errorLines); [] when accepted. */
  errorLines: string[];
  /** Instruction index of the error: the last instruction printed before it, else the first `insn N` in the message. */
  insn: number | null;
  /** From `processed N insns`; null when the log does not say (accepted at log level 1). */
  processed: number | null;
  /** The negative errno libbpf reports for a failed load (`failed to load: -13`), else null. */
  errno: number | null;
  /** True when the kernel wrote a verifier log for the program. */
  kernelLog: boolean;
}

export interface KernelLoad extends KernelAnswer {
  /** The verifier log alone (between libbpf's BEGIN/END PROG LOAD LOG markers), '' when none. */
  log: string;
  /** Everything bpftool printed (stdout + stderr). */
  output: string;
  exitCode: number;
  ms: number;
}

export interface LoadOptions {
  /** bpftool's `type` argument (socket, xdp, kprobe...); omitted = libbpf infers it from the section name. */
  type?: string;
  /** 1: bpftool without -d (the log only on failure); 2: bpftool -d (level 1|2|4 log, also on success). */
  logLevel?: 1 | 2;
  privilege?: Privilege;
  bpftool?: string;
  timeoutMs?: number;
}

export interface ParsedLog {
  message: string | null;
  /** Every line between the error instruction's line and the statistics (e.g. `Unreleased reference id=2 alloc_insn=4` before the final line). */
  errorLines: string[];
  insn: number | null;
  processed: number | null;
}

const STATS = [/^verification time \d+ usec$/, /^stack depth [\d+]+$/, /^processed \d+ insns /];
/** State dumps the kernel prints after some errors (infinite loop: `cur state:` / `old state:`). */
const AFTER_ERROR = [/^(cur|old) state: /];
const INSN_LINE = /^(\d+): \([0-9a-f]{2}\)/;

/**
 * Reads a verifier log (either level): the last line before the trailing statistics is the final
 * error message (meaningful only when the load failed), the last printed instruction before it is
 * the error instruction.
 */
export function parseVerifierLog(text: string): ParsedLog {
  // Some kernel messages lack their newline ("expected prog array map for tail call"), gluing the statistics to them.
  // A conditional jump's line has no newline of its own: the state or the error that follows is glued to it.
  const lines = text.replace(/(\S)(processed \d+ insns \(limit)/g, '$1\n$2')
    .replace(/^(\d+: \([0-9a-f]{2}\) .*?goto pc[+-]\d+) (?=\S)/gm, '$1\n').split('\n').map((l) => l.replace(/\s+$/, ''));
  let processed: number | null = null;
  let end = lines.length;
  while (end > 0) {
    const l = lines[end - 1];
    const p = /^processed (\d+) insns /.exec(l);
    if (p) processed = Number(p[1]);
    if (l === '' || STATS.some((re) => re.test(l)) || AFTER_ERROR.some((re) => re.test(l))) end--;
    else break;
  }
  if (processed === null) {
    for (const l of lines) { const p = /^processed (\d+) insns /.exec(l); if (p) processed = Number(p[1]); }
  }
  const message = end > 0 ? lines[end - 1] : null;
  let insn: number | null = null;
  let first = 0;
  for (let i = end - 2; i >= 0; i--) {
    const m = INSN_LINE.exec(lines[i]);
    if (m) { insn = Number(m[1]); first = i + 1; break; }
  }
  const errorLines = message === null ? [] : insn === null ? [message] : lines.slice(first, end).filter((l) => l !== '');
  if (insn === null && message !== null) {
    const m = /\binsn[ #]?(\d+)/.exec(message) ?? /\bat (\d+)\b/.exec(message);
    if (m) insn = Number(m[1]);
  }
  return { message, errorLines, insn, processed };
}

/** The last verifier log libbpf printed between its BEGIN/END PROG LOAD LOG markers, or undefined. */
export function extractLog(output: string): string | undefined {
  const begin = output.lastIndexOf('-- BEGIN PROG LOAD LOG --\n');
  if (begin < 0) return undefined;
  const from = begin + '-- BEGIN PROG LOAD LOG --\n'.length;
  const end = output.indexOf('-- END PROG LOAD LOG --', from);
  return output.slice(from, end < 0 ? output.length : end);
}

/** Turns bpftool's printout and exit code into the kernel's answer. */
export function parseBpftoolOutput(output: string, exitCode: number): KernelAnswer & { log: string } {
  const log = extractLog(output);
  const verdict: Verdict = exitCode === 0 ? 'accept' : 'reject';
  const errnoM = /failed to load: (-\d+)/.exec(output);
  const errno = errnoM ? Number(errnoM[1]) : null;
  if (log !== undefined) {
    const p = parseVerifierLog(log);
    return {
      verdict, errno, kernelLog: true, log, processed: p.processed,
      message: verdict === 'accept' ? null : p.message,
      errorLines: verdict === 'accept' ? [] : p.errorLines,
      insn: verdict === 'accept' ? null : p.insn,
    };
  }
  let message: string | null = null;
  if (verdict === 'reject') {
    const lines = output.split('\n');
    const failed = lines.find((l) => /BPF program load failed: /.test(l));
    const other = lines.find((l) => /^libbpf: /.test(l) && /fail|error|invalid|unknown|not /i.test(l)) ?? lines.find((l) => l.startsWith('Error: '));
    const line = failed ?? other ?? null;
    message = line === null ? null : line.replace(/^libbpf: (prog '[^']*': )?/, '');
  }
  return { verdict, message, errorLines: message === null ? [] : [message], insn: null, processed: null, errno, kernelLog: false, log: '' };
}

let pinSeq = 0;

function commandFor(objPath: string, pin: string, opts: LoadOptions): { cmd: string; args: string[] } {
  const bpftool = opts.bpftool ?? 'bpftool';
  const args = [...(opts.logLevel === 2 ? ['-d'] : []), 'prog', 'load', objPath, pin, ...(opts.type ? ['type', opts.type] : [])];
  if (opts.privilege === 'cap_bpf') {
    return { cmd: 'capsh', args: ['--drop=cap_perfmon,cap_sys_admin', '--', '-c', 'exec "$0" "$@"', bpftool, ...args] };
  }
  return { cmd: bpftool, args };
}

function newPin(): string {
  return `/sys/fs/bpf/bpfstudio_${process.pid}_${pinSeq++}`;
}

function unpin(pin: string): void {
  try { unlinkSync(pin); } catch { /* not pinned: the load failed */ }
}

/** Loads objPath's first program with bpftool, unpins it, and returns the parsed answer (synchronous). */
export function loadWithKernel(objPath: string, opts: LoadOptions = {}): KernelLoad {
  const pin = newPin();
  const { cmd, args } = commandFor(objPath, pin, opts);
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, timeout: opts.timeoutMs ?? 120_000 });
  const ms = performance.now() - t0;
  unpin(pin);
  const output = (r.stdout ?? '') + (r.stderr ?? '') + (r.error ? `\nError: ${r.error.message}` : '');
  const exitCode = r.status ?? -1;
  return { ...parseBpftoolOutput(output, exitCode), output, exitCode, ms };
}

/** Asynchronous loadWithKernel, so several loads and compiles can overlap. */
export function loadWithKernelAsync(objPath: string, opts: LoadOptions = {}): Promise<KernelLoad> {
  const pin = newPin();
  const { cmd, args } = commandFor(objPath, pin, opts);
  const t0 = performance.now();
  return new Promise((resolve) => {
    // Level-2 logs of huge programs run to hundreds of MB: keep the first 1 MB and the last 8 MB.
    const head: Buffer[] = [];
    let headSize = 0;
    const tail: Buffer[] = [];
    let tailSize = 0;
    let dropped = 0;
    const keep = (b: Buffer): void => {
      if (headSize < 1 << 20) { head.push(b); headSize += b.length; return; }
      tail.push(b); tailSize += b.length;
      while (tailSize > 8 << 20 && tail.length > 1) { const x = tail.shift(); if (x) { tailSize -= x.length; dropped += x.length; } }
    };
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', keep);
    p.stderr.on('data', keep);
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    const finish = (code: number | null, err?: Error): void => {
      clearTimeout(timer);
      unpin(pin);
      const gap = dropped ? Buffer.from(`\n[bpfstudio: ${dropped} bytes of output dropped]\n`) : Buffer.alloc(0);
      const output = Buffer.concat([...head, gap, ...tail]).toString('utf8') + (err ? `\nError: ${err.message}` : '');
      const exitCode = code ?? -1;
      resolve({ ...parseBpftoolOutput(output, exitCode), output, exitCode, ms: performance.now() - t0 });
    };
    p.on('error', (e) => finish(-1, e));
    p.on('close', (code) => finish(code));
  });
}

/** Why loading into the kernel is not possible here, or undefined when it is. */
export function kernelLoadUnavailable(privilege: Privilege = 'root'): string | undefined {
  const v = spawnSync('bpftool', ['version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) return 'bpftool not found';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root: loading BPF programs needs CAP_BPF (run as root)';
  if (privilege === 'cap_bpf') {
    const c = spawnSync('capsh', ['--drop=cap_perfmon,cap_sys_admin', '--', '-c', 'true'], { encoding: 'utf8' });
    if (c.error || c.status !== 0) return 'capsh (libcap2-bin) missing or cannot drop capabilities';
  }
  return undefined;
}

/** Versions recorded beside each answer: `uname -r` and bpftool's first line. */
export function toolVersions(): { kernel: string; bpftool: string } {
  const k = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const b = spawnSync('bpftool', ['version'], { encoding: 'utf8' }).stdout ?? '';
  const m = /v(\d+\.\d+\.\d+)/.exec(b);
  return { kernel: k, bpftool: m ? m[1] : b.split('\n')[0] ?? '' };
}

// Host I/O for the kernel oracle: loads a BPF object into the running kernel with bpftool (raw
// instructions with a small BPF_PROG_LOAD helper built on first use), captures the verifier's log
// and reads the verdict, final error message, error instruction and processed count out of it.
// The log parser (parseVerifierLog, parseBpftoolOutput) is pure and lives here for now, beside its
// only callers; it does not interpret register states (no level-2 state parsing).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

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
  /** The log's statistics lines, when it has them (timing varies from run to run: informational). */
  stats: LogStats | null;
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

/** From `processed N insns (limit L) max_states_per_insn A total_states B peak_states C ...`, `stack depth D[+E...]`, `verification time T usec`. */
export interface LogStats {
  maxStatesPerInsn: number | null;
  totalStates: number | null;
  peakStates: number | null;
  /** Per-subprogram stack depths as printed (`8+32`). */
  stackDepth: string | null;
  verificationUs: number | null;
}

export interface ParsedLog {
  stats: LogStats | null;
  message: string | null;
  /** Every line between the error instruction's line and the statistics (e.g. `Unreleased reference id=2 alloc_insn=4` before the final line). */
  errorLines: string[];
  insn: number | null;
  processed: number | null;
}

const STATS = [/^verification time \d+ usec$/, /^stack depth [\d+]+$/, /^processed \d+ insns /];
/** State dumps the kernel prints after some errors (infinite loop: `cur state:` / `old state:`). */
const AFTER_ERROR = [/^(cur|old) state: /];
const INSN_LINE = /^(\d+): (?:\([0-9a-f]{2}\)|<invalid CO-RE relocation>)/;

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
  return { message, errorLines, insn, processed, stats: logStats(lines) };
}

function logStats(lines: string[]): LogStats | null {
  const num = (re: RegExp, l: string): number | null => { const m = re.exec(l); return m ? Number(m[1]) : null; };
  const line = (re: RegExp): string | undefined => { for (let i = lines.length - 1; i >= 0; i--) if (re.test(lines[i])) return lines[i]; return undefined; };
  const p = line(/^processed \d+ insns /);
  const sd = line(/^stack depth /);
  const vt = line(/^verification time \d+ usec$/);
  if (!p && !sd && !vt) return null;
  return {
    maxStatesPerInsn: p ? num(/max_states_per_insn (\d+)/, p) : null,
    totalStates: p ? num(/total_states (\d+)/, p) : null,
    peakStates: p ? num(/peak_states (\d+)/, p) : null,
    stackDepth: sd ? sd.slice('stack depth '.length) : null,
    verificationUs: vt ? num(/(\d+) usec/, vt) : null,
  };
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
  const raw = extractLog(output);
  const log = raw !== undefined && raw.trim() !== '' ? raw : undefined;
  const verdict: Verdict = exitCode === 0 ? 'accept' : 'reject';
  const errnoM = /failed to load: (-\d+)/.exec(output);
  const errno = errnoM ? Number(errnoM[1]) : null;
  if (log !== undefined) {
    const p = parseVerifierLog(log);
    return {
      verdict, errno, kernelLog: true, log, processed: p.processed, stats: p.stats,
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
    message = line === null ? null : line.replace(/^(libbpf|rawload): (prog '[^']*': )?/, '');
  }
  return { verdict, message, errorLines: message === null ? [] : [message], insn: null, processed: null, errno, kernelLog: false, stats: null, log: '' };
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

/**
 * Loads objPath's first program with bpftool, unpins it, and returns the parsed answer (synchronous,
 * the whole output in memory: for programs near the 1M-instruction limit use loadWithKernelAsync).
 */
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

/** Runs cmd, keeping the first 1 MB and the last 8 MB of its output (level-2 logs of huge programs run to hundreds of MB). */
function capture(cmd: string, args: string[], timeoutMs: number): Promise<{ output: string; exitCode: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
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
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    let done = false;
    const finish = (code: number | null, err?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const gap = dropped ? Buffer.from(`\n[bpfstudio: ${dropped} bytes of output dropped]\n`) : Buffer.alloc(0);
      const output = Buffer.concat([...head, gap, ...tail]).toString('utf8') + (err ? `\nError: ${err.message}` : '');
      resolve({ output, exitCode: code ?? -1, ms: performance.now() - t0 });
    };
    p.on('error', (e) => finish(-1, e));
    p.on('close', (code) => finish(code));
  });
}

/** Asynchronous loadWithKernel, so several loads and compiles can overlap. */
export async function loadWithKernelAsync(objPath: string, opts: LoadOptions = {}): Promise<KernelLoad> {
  const pin = newPin();
  const { cmd, args } = commandFor(objPath, pin, opts);
  const r = await capture(cmd, args, opts.timeoutMs ?? 300_000);
  unpin(pin);
  return { ...parseBpftoolOutput(r.output, r.exitCode), ...r };
}

/*
 * Raw programs (instructions without an ELF object: asm and hex files, or encodings libbpf would
 * refuse or rewrite, such as calls to invalid destinations) are loaded by a small C program that
 * calls BPF_PROG_LOAD itself. It is compiled with the host's C compiler on first use into the
 * temporary directory and prints the log between the same markers libbpf uses, so
 * parseBpftoolOutput reads it. Optional arguments give what bpftool cannot: prog_flags (strict
 * alignment and the rest), the expected attach type, and maps it creates itself — an LD_IMM64 with
 * src 1 or 2 (map fd, map value) and imm = i gets the i-th map's fd; src 5 and 6 (map index forms)
 * index the same maps through fd_array.
 */
const RAWLOAD_C = `#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
static long sys_bpf(int cmd, union bpf_attr *a) { return syscall(__NR_bpf, cmd, a, sizeof(*a)); }
int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: rawload PROG_TYPE LOG_LEVEL FILE [PROG_FLAGS [ATTACH_TYPE|-1 [TYPE:KEY:VALUE:MAX:FLAGS ...]]]\\n"); return 2; }
  FILE *f = fopen(argv[3], "rb");
  if (!f) { perror(argv[3]); return 2; }
  static unsigned char insns[1 << 24];
  size_t n = fread(insns, 1, sizeof(insns), f);
  fclose(f);
  int nmaps = argc > 6 ? argc - 6 : 0;
  int *fds = calloc(nmaps + 1, sizeof(int));
  union bpf_attr a;
  for (int i = 0; i < nmaps; i++) {
    unsigned t, k, v, m, fl;
    if (sscanf(argv[6 + i], "%u:%u:%u:%u:%u", &t, &k, &v, &m, &fl) != 5) { fprintf(stderr, "rawload: bad map %s\\n", argv[6 + i]); return 2; }
    memset(&a, 0, sizeof(a));
    a.map_type = t; a.key_size = k; a.value_size = v; a.max_entries = m; a.map_flags = fl;
    fds[i] = sys_bpf(BPF_MAP_CREATE, &a);
    if (fds[i] < 0) { printf("rawload: map %d (%s) create failed: %s\\n", i, argv[6 + i], strerror(errno)); return 1; }
  }
  for (size_t p = 0; p + 16 <= n; p += 8) {
    struct bpf_insn *in = (struct bpf_insn *)(insns + p);
    if (in->code != (BPF_LD | BPF_DW | BPF_IMM)) continue;
    if ((in->src_reg == 1 || in->src_reg == 2) && in->imm >= 0 && in->imm < nmaps) in->imm = fds[in->imm];
    p += 8;
  }
  unsigned log_size = 1u << 28;
  char *log = calloc(1, log_size);
  memset(&a, 0, sizeof(a));
  a.prog_type = atoi(argv[1]);
  a.insns = (unsigned long)insns;
  a.insn_cnt = n / 8;
  a.license = (unsigned long)"GPL";
  a.log_level = atoi(argv[2]);
  a.log_buf = (unsigned long)log;
  a.log_size = log_size;
  if (argc > 4) a.prog_flags = strtoul(argv[4], 0, 0);
  if (argc > 5 && atoi(argv[5]) >= 0) a.expected_attach_type = atoi(argv[5]);
  if (nmaps) a.fd_array = (unsigned long)fds;
  int fd = sys_bpf(BPF_PROG_LOAD, &a);
  int err = errno;
  if (fd < 0) printf("rawload: BPF program load failed: %s\\n", strerror(err));
  printf("-- BEGIN PROG LOAD LOG --\\n%s", log);
  if (log[0] && log[strlen(log) - 1] != '\\n') printf("\\n");
  printf("-- END PROG LOAD LOG --\\n");
  if (fd < 0) { printf("rawload: failed to load: -%d\\n", err); return 1; }
  close(fd);
  return 0;
}
`;

/** bpf_prog_type numbers for the types raw programs may name (uapi enum bpf_prog_type). */
export const PROG_TYPES: Record<string, number> = {
  socket_filter: 1, kprobe: 2, sched_cls: 3, sched_act: 4, tracepoint: 5, xdp: 6, perf_event: 7, cgroup_skb: 8,
  cgroup_sock: 9, lwt_in: 10, sock_ops: 13, sk_skb: 14, cgroup_device: 15, sk_msg: 16, raw_tracepoint: 17, cgroup_sock_addr: 18,
  flow_dissector: 22, cgroup_sysctl: 23, syscall: 31,
};

let rawloadPath: string | undefined;

/** The compiled raw loader, or why it cannot be built. */
export function rawLoader(): { path?: string; error?: string } {
  if (rawloadPath && existsSync(rawloadPath)) return { path: rawloadPath };
  const dir = join(tmpdir(), `bpfstudio-rawload-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true });
  const src = join(dir, 'rawload.c');
  const bin = join(dir, 'rawload');
  if (!existsSync(bin) || !existsSync(src) || readFileSync(src, 'utf8') !== RAWLOAD_C) {
    writeFileSync(src, RAWLOAD_C);
    // clang (installed for BPF C anyway), else the system C compiler.
    let r = spawnSync('clang', ['-O2', src, '-o', bin], { encoding: 'utf8' });
    if (r.error) r = spawnSync('cc', ['-O2', src, '-o', bin], { encoding: 'utf8' });
    if (r.error || r.status !== 0) return { error: `cannot build the raw loader (needs clang or cc): ${r.error?.message ?? r.stderr}` };
  }
  rawloadPath = bin;
  return { path: bin };
}

export interface RawLoadOptions {
  /** A PROG_TYPES name or the uapi number. */
  progType: string | number;
  /** The kernel's log_level: 1, 2 (1|2) or with 4 for statistics; the log is kept on success too. */
  logLevel?: number;
  privilege?: Privilege;
  timeoutMs?: number;
  /** BPF_PROG_LOAD's prog_flags (BPF_F_STRICT_ALIGNMENT = 1, BPF_F_ANY_ALIGNMENT = 2, ...). */
  progFlags?: number;
  /** enum bpf_attach_type number for expected_attach_type. */
  expectedAttachType?: number;
  /** Maps created before the load; LD_IMM64 map references index this list. */
  maps?: readonly { type: number; keySize: number; valueSize: number; maxEntries: number; flags?: number }[];
}

/** Loads raw instructions (8 bytes each, host byte order) with BPF_PROG_LOAD, no libbpf in between. */
export async function loadRawWithKernel(insns: Uint8Array, opts: RawLoadOptions): Promise<KernelLoad> {
  const type = typeof opts.progType === 'number' ? opts.progType : PROG_TYPES[opts.progType];
  const loader = rawLoader();
  if (type === undefined || !loader.path) {
    const message = loader.error ?? `unknown program type ${String(opts.progType)}`;
    return { verdict: 'reject', message, errorLines: [message], insn: null, processed: null, errno: null, kernelLog: false, stats: null, log: '', output: message, exitCode: -1, ms: 0 };
  }
  const file = join(dirname(loader.path), `prog-${process.pid}-${pinSeq++}.bin`);
  writeFileSync(file, insns);
  const args = [String(type), String(opts.logLevel ?? 1), file];
  const maps = opts.maps ?? [];
  if (opts.progFlags || opts.expectedAttachType !== undefined || maps.length) {
    args.push(String(opts.progFlags ?? 0), String(opts.expectedAttachType ?? -1),
      ...maps.map((m) => `${m.type}:${m.keySize}:${m.valueSize}:${m.maxEntries}:${m.flags ?? 0}`));
  }
  const cmd = opts.privilege === 'cap_bpf'
    ? { cmd: 'capsh', args: ['--drop=cap_perfmon,cap_sys_admin', '--', '-c', 'exec "$0" "$@"', loader.path, ...args] }
    : { cmd: loader.path, args };
  const r = await capture(cmd.cmd, cmd.args, opts.timeoutMs ?? 300_000);
  try { unlinkSync(file); } catch { /* already gone */ }
  return { ...parseBpftoolOutput(r.output, r.exitCode), ...r };
}

/** Versions recorded beside each answer: `uname -r` and bpftool's first line. */
export function toolVersions(): { kernel: string; bpftool: string } {
  const k = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const b = spawnSync('bpftool', ['version'], { encoding: 'utf8' }).stdout ?? '';
  const m = /v(\d+\.\d+\.\d+)/.exec(b);
  return { kernel: k, bpftool: m ? m[1] : b.split('\n')[0] ?? '' };
}

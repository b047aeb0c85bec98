/**
 * Whether this process may load BPF programs into the running kernel, and what loading would need:
 * bpftool, Linux, CAP_BPF or CAP_SYS_ADMIN (CAP_PERFMON for tracing types), the BPF file system that
 * bpftool pins into, capsh for the CAP_BPF-only mode. The one check for `verify --kernel`, the
 * recording scripts and the tests that ask the kernel. Non-goals: loading (bpftool.ts), attaching.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Privilege } from './bpftool';

/** Overrides the bpftool binary (tests point it at a missing path or a stand-in). */
export const BPFTOOL_ENV = 'BPFSTUDIO_BPFTOOL';

export function bpftoolPath(env: NodeJS.ProcessEnv = process.env): string {
  return env[BPFTOOL_ENV] || 'bpftool';
}

export interface KernelUnavailable {
  /** Why the kernel cannot be asked here. */
  reason: string;
  /** What loading would need. */
  needs: string;
}

export interface KernelAccessOptions {
  /** `cap_bpf`: loads run with CAP_BPF alone (capsh drops the others). */
  privilege?: Privilege;
  /** A tracing program type (kprobe, tracepoint, fentry...): needs CAP_PERFMON too. */
  tracing?: boolean;
  /** The bpftool binary (default: bpftoolPath()). */
  bpftool?: string;
  /** The raw loader route (BPF_PROG_LOAD directly): neither bpftool nor the BPF file system needed. */
  raw?: boolean;
}

const CAP_SYS_ADMIN = 21;
const CAP_PERFMON = 38;
const CAP_BPF = 39;

/** The effective capability set of this process, from /proc/self/status (undefined when unreadable). */
function effectiveCaps(): bigint | undefined {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : undefined;
  } catch { return undefined; }
}

export function readTrim(path: string): string | undefined {
  try { return readFileSync(path, 'utf8').trim(); } catch { return undefined; }
}

/** Why loading into the running kernel is not possible here (and what it would need), or undefined when it is. */
export function kernelUnavailable(opts: KernelAccessOptions = {}): KernelUnavailable | undefined {
  const tool = opts.bpftool ?? bpftoolPath();
  const v = opts.raw ? undefined : spawnSync(tool, ['version'], { encoding: 'utf8', timeout: 10_000 });
  if (v && (v.error || v.status !== 0)) {
    return {
      reason: `bpftool cannot run (${tool}: ${v.error ? (v.error as NodeJS.ErrnoException).code ?? v.error.message : `exit ${v.status}`})`,
      needs: `bpftool on PATH (package linux-tools or bpftool), or ${BPFTOOL_ENV}=/path/to/bpftool`,
    };
  }
  if (process.platform !== 'linux') return { reason: 'not Linux', needs: 'a Linux kernel with BPF' };
  const caps = effectiveCaps();
  const has = (bit: number): boolean => caps !== undefined && ((caps >> BigInt(bit)) & 1n) === 1n;
  const unprivDisabled = readTrim('/proc/sys/kernel/unprivileged_bpf_disabled') ?? '1';
  if (!has(CAP_SYS_ADMIN) && !has(CAP_BPF) && unprivDisabled !== '0') {
    return {
      reason: `this process has neither CAP_BPF nor CAP_SYS_ADMIN (uid ${process.getuid?.() ?? '?'}, kernel.unprivileged_bpf_disabled=${unprivDisabled})`,
      needs: 'root, or CAP_BPF (plus CAP_PERFMON for tracing programs and CAP_NET_ADMIN for networking ones), e.g. sudo bpfstudio verify --kernel ...',
    };
  }
  if (opts.tracing && !has(CAP_SYS_ADMIN) && !has(CAP_PERFMON)) {
    return { reason: 'tracing programs need CAP_PERFMON, which this process lacks', needs: 'CAP_PERFMON (or root)' };
  }
  if (!opts.raw && !readTrim('/proc/mounts')?.split('\n').some((l) => l.split(' ')[1] === '/sys/fs/bpf' && l.split(' ')[2] === 'bpf')) {
    return { reason: 'no BPF file system at /sys/fs/bpf (bpftool pins the loaded program there)', needs: 'mount -t bpf bpf /sys/fs/bpf' };
  }
  if (opts.privilege === 'cap_bpf') {
    const c = spawnSync('capsh', ['--drop=cap_perfmon,cap_sys_admin', '--', '-c', 'true'], { encoding: 'utf8' });
    if (c.error || c.status !== 0) return { reason: 'capsh cannot drop capabilities for --cap-bpf-only', needs: 'capsh (package libcap2-bin) and root' };
  }
  return undefined;
}

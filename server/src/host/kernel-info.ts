/**
 * The host's answers about the bpftrace target: the kernel's tracepoints and
 * BTF, from one source (the running kernel's tracefs and /sys/kernel/btf when
 * readable, else the default-kernel bundle next to the bundled server/CLI,
 * else the shared 6.18 data beside a checkout), cached per process, and the
 * installed bpftrace's version. Never throws: no data gives undefined.
 * Non-goal: the BTF of `bpfstudio btf` commands (cli/target-btf.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTracepointFormat, type TpFormat } from '../btf/tracepoint';
import { parseBtf } from '../btf/format';
import { Btf } from '../btf/types';
import { tracepointCatalog, type TracepointCatalog } from '../ide/bpftrace-kernel';
import { loadBundle } from './btf-bundle';
import { uprobeArgs } from './kernel-info-dwarf';
import { findTracefsEvents, readBytes, readTracepointFormats, SYS_BTF_DIR, TRACEFS_EVENT_DIRS } from './btf-files';

export interface KernelInfoSources {
  /** tracefs events directories of the running kernel, tried first. */
  tracefs: string[];
  /** Default-kernel bundle files. */
  bundles: string[];
  /** Events directories of recorded kernel data (the shared 6.18 tree); its BTF is `../../vmlinux.btf` from there. */
  shared: string[];
  /** BTF of the running kernel (paired with `tracefs`). */
  liveBtf?: string;
}

/** Where kernel data is looked for, nearest first. */
export function defaultSources(): KernelInfoSources {
  const roots = [join(__dirname, '..'), join(__dirname, '..', '..', '..'), process.cwd()];
  return {
    tracefs: TRACEFS_EVENT_DIRS,
    bundles: [join(__dirname, 'kernel-6.18.bundle'), ...roots.map((r) => join(r, 'dist', 'kernel-6.18.bundle'))],
    shared: roots.map((r) => join(r, '..', 'shared', 'kernel', '6.18', 'tracefs', 'events')),
    liveBtf: join(SYS_BTF_DIR, 'vmlinux'),
  };
}

/** BTF from bytes, or undefined when they are not valid BTF. */
function btfOf(bytes: Uint8Array | undefined): Btf | undefined {
  if (bytes === undefined) return undefined;
  const r = parseBtf(bytes);
  return r.btf ? new Btf(r.btf) : undefined;
}

function btfFile(path: string | undefined): Btf | undefined {
  if (path === undefined || !existsSync(path)) return undefined;
  const r = readBytes(path);
  return r.ok ? btfOf(r.value) : undefined;
}

function fromEventsDir(dir: string, source: string, btfPath: string | undefined): TracepointCatalog | undefined {
  const { files } = readTracepointFormats(dir);
  const tps: { system: string; format: TpFormat }[] = [];
  for (const f of files) {
    const r = parseTracepointFormat(f.text);
    if (r.format) tps.push({ system: f.system, format: r.format });
  }
  return tps.length > 0 ? tracepointCatalog(source, tps, btfFile(btfPath)) : undefined;
}

function fromBundle(path: string): TracepointCatalog | undefined {
  if (!existsSync(path)) return undefined;
  const r = loadBundle(readFileSync(path));
  if (!r.bundle || r.bundle.tracepoints.length === 0) return undefined;
  const kernel = r.bundle.meta.kernel ?? '6.18';
  return tracepointCatalog(`default kernel ${kernel} (${path})`, r.bundle.tracepoints, btfOf(r.bundle.btf));
}

/** Builds the catalog from the first source that yields tracepoints; undefined when none does. */
export function loadKernelInfo(sources: KernelInfoSources = defaultSources()): TracepointCatalog | undefined {
  try {
    const live = findTracefsEvents(sources.tracefs);
    const fromLive = live !== undefined ? fromEventsDir(live, live, sources.liveBtf) : undefined;
    if (fromLive) return fromLive;
    for (const b of sources.bundles) {
      const c = fromBundle(b);
      if (c) return c;
    }
    for (const d of sources.shared) {
      const c = existsSync(d) ? fromEventsDir(d, d, join(d, '..', '..', 'vmlinux.btf')) : undefined;
      if (c) return c;
    }
  } catch {
    // unreadable or corrupt data: no kernel knowledge rather than a crash
  }
  return undefined;
}

let cached: { value: TracepointCatalog | undefined } | undefined;

/** loadKernelInfo() with the default sources, computed once per process. */
export function kernelInfo(): TracepointCatalog | undefined {
  if (!cached) {
    const value = loadKernelInfo();
    // uprobe args: the target binary's DWARF, read on demand.
    if (value) value.uprobeArgs = uprobeArgs;
    cached = { value };
  }
  return cached.value;
}

let bpftraceVersion: { value: string | undefined } | undefined;

/** `major.minor` of the installed bpftrace (`bpftrace --version`), or undefined; computed once. */
export function installedBpftraceVersion(): string | undefined {
  if (!bpftraceVersion) {
    let value: string | undefined;
    try {
      const r = spawnSync('bpftrace', ['--version'], { encoding: 'utf8', timeout: 5000 });
      const m = /v?(\d+)\.(\d+)/.exec(`${r.stdout ?? ''}`);
      if (r.status === 0 && m) value = `${m[1]}.${m[2]}`;
    } catch {
      value = undefined;
    }
    bpftraceVersion = { value };
  }
  return bpftraceVersion.value;
}

/** The target for a setting or flag: an explicit version as given, 'auto' (or none) the installed bpftrace's, else 0.26. */
export function resolveTargetVersion(setting: string | undefined): string {
  if (setting !== undefined && setting !== 'auto' && setting !== '') return setting;
  return installedBpftraceVersion() ?? '0.26';
}

/**
 * Which kernel BTF a command checks against: the file given with --btf, else
 * the running kernel's (/sys/kernel/btf/vmlinux), else the default kernel
 * BPF Studio ships (the compressed bundle beside the bundled CLI, built by
 * `npm run build`; in a checkout without it, the shared data beside the
 * repository). Parse problems are printed with their byte offset.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Btf, parseBtf } from '../btf';
import { loadBundle } from '../host/btf-bundle';
import { readBytes, SYS_BTF_DIR } from '../host/btf-files';
import { Io, UsageError } from './args';

export interface TargetBtf {
  btf: Btf;
  /** Where it came from, for messages. */
  source: string;
  /** Short name for messages ("6.18", "running kernel"). */
  name: string;
}

/** Candidate locations of the shipped kernel's BTF, nearest first. */
function shippedBtfPaths(): string[] {
  const roots = [join(__dirname, '..'), process.cwd()];
  return roots.map((r) => join(r, '..', 'shared', 'kernel', '6.18', 'vmlinux.btf'));
}

/** The default-kernel bundle's path (next to dist/cli.js). */
export const DEFAULT_BUNDLE = join(__dirname, 'kernel-6.18.bundle');

function bundledBtf(): { bytes?: Uint8Array; error?: string } {
  if (!existsSync(DEFAULT_BUNDLE)) return { error: `${DEFAULT_BUNDLE}: not found` };
  const b = loadBundle(readFileSync(DEFAULT_BUNDLE));
  return b.bundle ? { bytes: b.bundle.btf } : { error: `${DEFAULT_BUNDLE}: ${b.error}` };
}

export function loadTargetBtf(path: string | undefined, io: Io): TargetBtf {
  const tries: { path: string; name: string }[] = [];
  if (path !== undefined) tries.push({ path, name: path });
  else {
    tries.push({ path: join(SYS_BTF_DIR, 'vmlinux'), name: 'running kernel' });
    for (const p of shippedBtfPaths()) tries.push({ path: p, name: '6.18' });
  }
  const errors: string[] = [];
  if (path === undefined) {
    const sys = tries.shift()!;
    const r = existsSync(sys.path) ? readBytes(sys.path) : { ok: false as const, error: `${sys.path}: not found` };
    const got = r.ok ? parseBtf(r.value) : undefined;
    if (got?.btf) return { btf: new Btf(got.btf), source: sys.path, name: sys.name };
    errors.push(r.ok ? `${sys.path}: not valid BTF` : r.error);
    const b = bundledBtf();
    const pb = b.bytes ? parseBtf(b.bytes) : undefined;
    if (pb?.btf) return { btf: new Btf(pb.btf), source: `${DEFAULT_BUNDLE} (default kernel 6.18)`, name: '6.18' };
    errors.push(b.error ?? `${DEFAULT_BUNDLE}: not valid BTF`);
  }
  for (const t of tries) {
    if (path === undefined && !existsSync(t.path)) { errors.push(`${t.path}: not found`); continue; }
    const bytes = readBytes(t.path);
    if (!bytes.ok) { errors.push(bytes.error); continue; }
    const r = parseBtf(bytes.value);
    for (const d of r.diagnostics.slice(0, 20)) io.err(`${t.path}: offset ${d.offset}: ${d.message}`);
    if (!r.btf) { errors.push(`${t.path}: not valid BTF`); continue; }
    return { btf: new Btf(r.btf), source: t.path, name: t.name };
  }
  throw new UsageError(`no kernel BTF available: ${errors.join('; ')}`);
}

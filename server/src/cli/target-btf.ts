/**
 * Which kernel BTF a command checks against: the file given with --btf, else
 * the running kernel's (/sys/kernel/btf/vmlinux), else the BTF of the kernel
 * BPF Studio ships with (the shared data beside a checkout). Parse problems
 * are printed with their byte offset.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Btf, parseBtf } from '../btf';
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

export function loadTargetBtf(path: string | undefined, io: Io): TargetBtf {
  const tries: { path: string; name: string }[] = [];
  if (path !== undefined) tries.push({ path, name: path });
  else {
    tries.push({ path: join(SYS_BTF_DIR, 'vmlinux'), name: 'running kernel' });
    for (const p of shippedBtfPaths()) tries.push({ path: p, name: '6.18' });
  }
  const errors: string[] = [];
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

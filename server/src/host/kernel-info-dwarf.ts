/**
 * The host side of uprobe arguments: finds a uprobe target binary (absolute,
 * relative or on PATH), reads its DWARF — or that of its separate debug file
 * (/usr/lib/debug/.build-id/…, .gnu_debuglink) — decompressing zlib sections
 * with node:zlib, and caches the result per file and mtime. Never throws: an
 * unreadable file is "not found", a file without DWARF has `dwarf` undefined.
 * Non-goals: ld.so.cache library names (`uprobe:libc:…`), debuginfod.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import * as zlib from 'node:zlib';
import { readElf } from '../elf/elf64';
import { readDwarf } from '../elf/dwarf';
import { debugSections, type Inflate } from '../elf/dwarf-sections';
import type { DwarfDiagnostic, DwarfInfo } from '../elf/dwarf-types';
import type { Elf } from '../elf/types';
import type { UprobeDebugInfo } from '../bpftrace/uprobe-args';
import type { KernelInfo } from '../bpftrace/semantic';

/** zlib through node:zlib; zstd only where the runtime has it (Node 22.15+). */
export const hostInflate: Inflate = (data, algo, size) => {
  if (algo === 'zlib') return new Uint8Array(zlib.inflateSync(data, { maxOutputLength: Math.max(size, 1) }));
  const z = (zlib as unknown as { zstdDecompressSync?: (b: Uint8Array) => Uint8Array }).zstdDecompressSync;
  return z ? new Uint8Array(z(data)) : undefined;
};

/** The file a uprobe target names: a path as given (relative to cwd), else the first executable of that name on PATH. */
export function resolveUprobeTarget(target: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (target.includes('/')) {
    const p = isAbsolute(target) ? target : resolve(target);
    return existsSync(p) ? p : undefined;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, target);
    if (existsSync(p)) return p;
  }
  return librarySearch(target);
}

/** Directories searched for library names (`uprobe:libc:…`), as the dynamic linker's defaults on Debian x86-64. */
const LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/usr/local/lib'];

/** A library by name ('libc' -> /lib/x86_64-linux-gnu/libc.so.6): the shortest NAME.so.VERSION (the soname, as ld.so.cache lists), else NAME.so (often a linker script). */
function librarySearch(name: string): string | undefined {
  for (const dir of LIB_DIRS) {
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      continue;
    }
    const hits = files.filter((f) => f.startsWith(`${name}.so.`)).sort((a, b) => a.length - b.length || a.localeCompare(b));
    if (hits.length > 0) return join(dir, hits[0]);
    if (files.includes(`${name}.so`)) return join(dir, `${name}.so`);
  }
  return undefined;
}

function section(elf: Elf, name: string): Uint8Array | undefined {
  return elf.sections.find((s) => s.name === name)?.data;
}

/** Candidate separate debug files of `path` (build-id, then .gnu_debuglink). */
export function separateDebugFiles(elf: Elf, path: string, debugRoot = '/usr/lib/debug'): string[] {
  const out: string[] = [];
  const note = section(elf, '.note.gnu.build-id');
  if (note && note.length >= 16) {
    const dv = new DataView(note.buffer, note.byteOffset, note.byteLength);
    const le = elf.header.littleEndian;
    const namesz = dv.getUint32(0, le);
    const descsz = dv.getUint32(4, le);
    const descAt = 12 + ((namesz + 3) & ~3);
    if (descsz >= 2 && descAt + descsz <= note.length) {
      const hex = [...note.subarray(descAt, descAt + descsz)].map((b) => b.toString(16).padStart(2, '0')).join('');
      out.push(join(debugRoot, '.build-id', hex.slice(0, 2), `${hex.slice(2)}.debug`));
    }
  }
  const link = section(elf, '.gnu_debuglink');
  if (link) {
    const end = link.indexOf(0);
    const name = new TextDecoder().decode(link.subarray(0, end < 0 ? link.length : end));
    if (name && !name.includes('/')) {
      const dir = dirname(path);
      out.push(join(dir, name), join(dir, '.debug', name), join(debugRoot, dir, name));
    }
  }
  return out;
}

export interface BinaryDwarf {
  dwarf?: DwarfInfo;
  /** Where the DWARF came from (the binary or its separate debug file). */
  from?: string;
  diagnostics: DwarfDiagnostic[];
  compressed: string[];
}

/** Binaries (or debug files) above this size are not read (editors check scripts on every keystroke). */
export const MAX_FILE_BYTES = 1 << 30;

function dwarfOfElf(elf: Elf): { dwarf?: DwarfInfo; diagnostics: DwarfDiagnostic[]; compressed: string[] } {
  const ds = debugSections(elf, hostInflate);
  if (!ds.hasDebugInfo || !ds.sections.info) return { diagnostics: ds.diagnostics, compressed: ds.compressed };
  const dwarf = readDwarf(ds.sections);
  return { dwarf, diagnostics: [...ds.diagnostics, ...dwarf.diagnostics], compressed: ds.compressed };
}

/** The DWARF of an ELF file or of its separate debug file; undefined when the file cannot be read as ELF. */
export function readBinaryDwarf(path: string, maxBytes = MAX_FILE_BYTES): BinaryDwarf | undefined {
  let bytes: Uint8Array;
  try {
    const size = statSync(path).size;
    if (size > maxBytes) {
      return { diagnostics: [{ section: '(file)', offset: 0, message: `${path} has ${size} bytes, more than the ${maxBytes} read for uprobe args` }], compressed: [] };
    }
    bytes = new Uint8Array(readFileSync(path));
  } catch {
    return undefined;
  }
  const r = readElf(bytes);
  if (!r.elf) return undefined;
  const own = dwarfOfElf(r.elf);
  if (own.dwarf && own.dwarf.functions.length > 0) return { ...own, from: path };
  for (const cand of separateDebugFiles(r.elf, path)) {
    if (!existsSync(cand)) continue;
    try {
      if (statSync(cand).size > MAX_FILE_BYTES) continue;
      const d = readElf(new Uint8Array(readFileSync(cand)));
      const x = d.elf ? dwarfOfElf(d.elf) : undefined;
      if (x?.dwarf) return { ...x, from: cand };
    } catch {
      // unreadable debug file: try the next one
    }
  }
  return own;
}

const cache = new Map<string, { mtimeMs: number; value: BinaryDwarf | undefined }>();

/** KernelTypes.uprobeArgs for this host: the target's DWARF, cached per file and modification time. */
export function uprobeArgs(binaryPath: string, _func: string): UprobeDebugInfo | undefined {
  const path = resolveUprobeTarget(binaryPath);
  let mtimeMs = 0;
  try {
    mtimeMs = path === undefined ? -1 : statSync(path).mtimeMs;
  } catch {
    mtimeMs = -1;
  }
  if (path === undefined || mtimeMs < 0) return { binary: binaryPath, missing: true };
  let hit = cache.get(path);
  if (!hit || hit.mtimeMs !== mtimeMs) {
    hit = { mtimeMs, value: readBinaryDwarf(path) };
    cache.set(path, hit);
  }
  const v = hit.value;
  const problem = !v?.dwarf && v?.diagnostics.length ? `${v.diagnostics[0].section}: ${v.diagnostics[0].message}` : undefined;
  return { binary: path, ...(v?.dwarf ? { dwarf: v.dwarf } : {}), ...(problem ? { problem } : {}) };
}

/** Kernel knowledge for a host without tracepoint/BTF data: uprobe args still come from the binaries. */
export function uprobeOnlyKernel(): KernelInfo {
  return { tracepointFields: () => undefined, uprobeArgs };
}

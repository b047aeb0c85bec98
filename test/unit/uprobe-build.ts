/**
 * Test helper: builds test/fixtures/uprobe/uprobe-args.c with the compilers on
 * this machine (gcc 12, clang 14) and DWARF flavours (-g, -gdwarf-4/5, -gz),
 * into a temp directory, and reads the result's DWARF through the host reader.
 * Variants whose compiler is missing or refuses the flags are reported as skips.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readBinaryDwarf, type BinaryDwarf } from '../../server/src/host/kernel-info-dwarf';

export const SOURCE = join(__dirname, '..', 'fixtures', 'uprobe', 'uprobe-args.c');

export interface Variant { name: string; cc: string; flags: string[] }

export const VARIANTS: Variant[] = [
  { name: 'gcc -g', cc: 'gcc', flags: ['-g'] },
  { name: 'gcc -gdwarf-4', cc: 'gcc', flags: ['-gdwarf-4'] },
  { name: 'gcc -gdwarf-5', cc: 'gcc', flags: ['-gdwarf-5'] },
  { name: 'gcc -g -O2', cc: 'gcc', flags: ['-g', '-O2'] },
  { name: 'gcc -g -gz=zlib', cc: 'gcc', flags: ['-g', '-gz=zlib'] },
  { name: 'gcc -g -gz=zlib-gnu', cc: 'gcc', flags: ['-g', '-gz=zlib-gnu'] },
  { name: 'clang-14 -g', cc: 'clang-14', flags: ['-g'] },
  { name: 'clang-14 -gdwarf-4', cc: 'clang-14', flags: ['-gdwarf-4'] },
  { name: 'clang-14 -gdwarf-5', cc: 'clang-14', flags: ['-gdwarf-5'] },
  { name: 'clang-14 -g -O2', cc: 'clang-14', flags: ['-g', '-O2'] },
  { name: 'clang-14 -g -gz=zlib', cc: 'clang-14', flags: ['-g', '-gz=zlib'] },
];

export function hasTool(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

const built = new Map<string, { path: string } | { skip: string }>();

/** Builds one variant into `dir` (once per process); the binary's path, or why it could not be built. */
export function build(dir: string, v: Variant, out = v.name.replace(/[^a-z0-9]+/gi, '_')): { path: string } | { skip: string } {
  const path = join(dir, out);
  let r = built.get(path);
  if (!r) {
    if (!hasTool(v.cc)) r = { skip: `${v.cc} is not installed` };
    else {
      const c = spawnSync(v.cc, ['-O1', ...v.flags, '-o', path, SOURCE], { encoding: 'utf8' });
      r = c.status !== 0 ? { skip: `${v.name} failed: ${(c.stderr || '').split('\n')[0]}` } : { path };
    }
    built.set(path, r);
  }
  return r;
}

export function dwarfOf(path: string): BinaryDwarf {
  const d = readBinaryDwarf(path);
  if (!d) throw new Error(`${path}: not readable as ELF`);
  return d;
}

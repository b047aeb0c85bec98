/**
 * DWARF reader (elf/dwarf.ts) on binaries built here from
 * test/fixtures/uprobe/uprobe-args.c by gcc 12 and clang 14 in DWARF 4 and 5,
 * optimised and not, with zlib-compressed sections (ELF and GNU styles):
 * parameters typed as bpftrace 0.17 types them, struct members, the
 * `bpftrace -lv` listing compared with the installed bpftrace, and corrupted
 * sections (never a throw, always a diagnostic).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as zlib from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readElf } from '../../server/src/elf/elf64';
import { readDwarf, findFunction } from '../../server/src/elf/dwarf';
import { debugSections } from '../../server/src/elf/dwarf-sections';
import type { DwarfSections } from '../../server/src/elf/dwarf-types';
import { dwarfStructFields, listFunction, uprobeParams } from '../../server/src/bpftrace/uprobe-args';
import { typeName } from '../../server/src/bpftrace/types';
import { Rng } from '../../server/src/vm/randprog';
import { readBinaryDwarf, uprobeArgs } from '../../server/src/host/kernel-info-dwarf';
import { build, dwarfOf, hasTool, VARIANTS } from './uprobe-build';

const dir = mkdtempSync(join(tmpdir(), 'bt-dwarf-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Parameters of each test function as bpftrace types them: the same whatever the compiler. */
const EXPECTED: Record<string, string> = {
  add: 'a:int32 b:int64 c:uint8 d:int16 e:uint32 s:int8 *',
  usept: 'p:struct pt * col:uint32 u:union un * arr:int32 * v:uint64 flag:uint8',
  nested: 'o:struct outer * pr:struct pair_t * bt:struct bits * cp:int8 * fn:none * grid:int32[3] *',
  byval: 'p:struct pt z:int32',
  many: 'a1:int32 a2:int32 a3:int32 a4:int32 a5:int32 a6:int32 a7:int32 a8:int32',
  fl: 'f:none d:none i:int32',
  small: 'a:int8 b:uint16 c:int64 d:uint64 e:int8 f:uint64',
  main: 'argc:int32 argv:int8 * *',
};

function paramsText(info: Parameters<typeof uprobeParams>[0], fn: string): string | undefined {
  return uprobeParams(info, fn)?.map((p) => `${p.name}:${typeName(p.type)}`).join(' ');
}

for (const v of VARIANTS) {
  test(`dwarf: ${v.name}: functions and parameter types`, (t) => {
    const b = build(dir, v);
    if ('skip' in b) {
      console.log(`SKIP: ${b.skip}`);
      t.skip(b.skip);
      return;
    }
    const d = dwarfOf(b.path);
    assert.deepEqual(d.diagnostics, []);
    assert.ok(d.dwarf, 'has DWARF');
    const info = d.dwarf;
    const want = v.flags.includes('-gdwarf-4') ? 4 : 5;
    assert.ok(info.units.length > 0 && info.units.every((u) => u.version === want), `units: ${info.units.map((u) => u.version).join(',')}`);
    if (v.flags.some((f) => f.startsWith('-gz'))) assert.ok(d.compressed.length > 0, 'sections were compressed');
    for (const [fn, want2] of Object.entries(EXPECTED)) assert.equal(paramsText(info, fn), want2, fn);
    const add = findFunction(info, 'add');
    assert.ok(add?.lowPc !== undefined && add.lowPc > 0n, 'add has an address');
    // Struct members as bpftrace resolves them.
    assert.deepEqual(dwarfStructFields(info, 'struct pt')?.map((f) => `${f.name}@${f.offset}:${typeName(f.type)}`), ['x@0:int32', 'y@8:int64', 'name@16:string[8]']);
    assert.deepEqual(dwarfStructFields(info, 'struct outer')?.map((f) => `${f.name}@${f.offset}:${typeName(f.type)}`), ['in@0:struct pt', 'tag@24:uint16', 'next@32:struct outer *']);
    assert.equal(dwarfStructFields(info, 'struct bits'), undefined, 'bitfields: bpftrace 0.17 leaves the struct without fields');
    assert.equal(dwarfStructFields(info, 'union un'), undefined, 'unions: not looked up');
    assert.equal(dwarfStructFields(info, 'struct pair_t'), undefined, 'a typedef name is no struct name');
  });
}

test('dwarf: the bpftrace -lv parameter listing, against the installed bpftrace', (t) => {
  if (!hasTool('bpftrace')) {
    console.log('SKIP: bpftrace is not installed');
    t.skip('bpftrace is not installed');
    return;
  }
  let same = 0;
  let total = 0;
  const diffs: string[] = [];
  for (const v of VARIANTS) {
    const b = build(dir, v);
    if ('skip' in b) continue;
    const info = dwarfOf(b.path).dwarf;
    assert.ok(info);
    const r = spawnSync('bpftrace', ['-lv', `uprobe:${b.path}:*`], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.log(`SKIP: bpftrace -lv failed: ${r.stderr.split('\n')[0]}`);
      t.skip('bpftrace -lv failed');
      return;
    }
    // Blocks: a probe line then its indented parameters.
    const blocks = r.stdout.split(/\n(?=uprobe:)/).map((x) => x.trimEnd() + '\n');
    for (const blk of blocks) {
      const fn = /^uprobe:.*:([^:\n]+)\n/.exec(blk)?.[1];
      if (!fn || !info.functions.some((f) => f.name === fn)) continue;
      total++;
      const ours = listFunction(b.path, info, fn);
      if (ours === blk) same++;
      else diffs.push(`${v.name} ${fn}:\n  bpftrace: ${JSON.stringify(blk)}\n  ours:     ${JSON.stringify(ours)}`);
    }
  }
  console.log(`dwarf: bpftrace -lv listing: ${same}/${total} functions identical across ${VARIANTS.length} build variants`);
  assert.ok(total > 0);
  assert.deepEqual(diffs, []);
});

function sectionsOf(path: string): DwarfSections {
  const elf = readElf(new Uint8Array(readFileSync(path))).elf;
  assert.ok(elf);
  return debugSections(elf).sections;
}

test('dwarf: compressed sections without a decompressor are reported, not read', (t) => {
  const b = build(dir, VARIANTS.find((x) => x.name === 'gcc -g -gz=zlib') ?? VARIANTS[0], 'gz-nodecomp');
  if ('skip' in b) {
    console.log(`SKIP: ${b.skip}`);
    t.skip(b.skip);
    return;
  }
  const elf = readElf(new Uint8Array(readFileSync(b.path))).elf;
  assert.ok(elf);
  const r = debugSections(elf);
  assert.equal(r.hasDebugInfo, true);
  assert.equal(r.sections.info, undefined);
  assert.ok(r.diagnostics.some((d) => d.section === '.debug_info' && /zlib-compressed section, and no decompressor/.test(d.message)), JSON.stringify(r.diagnostics));
  assert.equal(readDwarf(r.sections).functions.length, 0);
});

test('dwarf: files above the size limit are not read', (t) => {
  const b = build(dir, VARIANTS[0]);
  if ('skip' in b) {
    console.log(`SKIP: ${b.skip}`);
    t.skip(b.skip);
    return;
  }
  const d = readBinaryDwarf(b.path, 1000);
  assert.equal(d?.dwarf, undefined);
  assert.match(d?.diagnostics[0]?.message ?? '', /has \d+ bytes, more than the 1000 read for uprobe args/);
});

test('dwarf: a binary without -g has no debug info', (t) => {
  const b = build(dir, { name: 'gcc', cc: 'gcc', flags: [] }, 'nodebug');
  if ('skip' in b) {
    console.log(`SKIP: ${b.skip}`);
    t.skip(b.skip);
    return;
  }
  assert.equal(dwarfOf(b.path).dwarf, undefined);
});

test('dwarf: truncated and corrupted sections give diagnostics, never a throw', (t) => {
  const good: DwarfSections[] = [];
  for (const name of ['gcc -gdwarf-4', 'gcc -gdwarf-5', 'clang-14 -gdwarf-5']) {
    const v = VARIANTS.find((x) => x.name === name);
    const b = v && build(dir, v);
    if (b && 'path' in b) good.push(sectionsOf(b.path));
  }
  if (good.length === 0) {
    console.log('SKIP: no compiler to build the fuzz inputs');
    t.skip('no compiler');
    return;
  }
  const rand = new Rng(1234);
  const r = (): number => rand.next();
  let diagnosed = 0;
  let runs = 0;
  for (const s of good) {
    const info = s.info ?? new Uint8Array();
    // Truncations at every 97th byte.
    for (let cut = 1; cut < info.length; cut += 97) {
      runs++;
      const d = readDwarf({ ...s, info: info.subarray(0, cut) });
      if (d.diagnostics.length > 0) diagnosed++;
    }
    // Random byte flips in info, abbrev and the string index.
    for (let k = 0; k < 150; k++) {
      runs++;
      const key = (['info', 'abbrev', 'strOffsets'] as const)[k % 3];
      const src = s[key];
      if (!src || src.length === 0) continue;
      const copy = new Uint8Array(src);
      for (let n = 0; n < 1 + Math.floor(r() * 4); n++) copy[Math.floor(r() * copy.length)] = Math.floor(r() * 256);
      const d = readDwarf({ ...s, [key]: copy });
      assert.ok(Array.isArray(d.functions));
      if (d.diagnostics.length > 0) diagnosed++;
    }
  }
  const empty = readDwarf({ littleEndian: true, info: new Uint8Array([0xff, 0xff, 0xff, 0xff]) });
  assert.ok(empty.diagnostics.length > 0);
  console.log(`dwarf fuzz: ${runs} corrupted inputs, no throw, ${diagnosed} with diagnostics`);
  assert.ok(diagnosed > runs / 4, `${diagnosed}/${runs} diagnosed`);
});

test('dwarf: libc through its separate debug file (build-id), listed as bpftrace -lv lists it', (t) => {
  const libc = '/lib/x86_64-linux-gnu/libc.so.6';
  // A library name resolves as bpftrace resolves it (uprobe:libc:qsort); libc itself has no .debug_info.
  const d = uprobeArgs('libc', 'qsort');
  if (!d?.dwarf) {
    const why = 'no separate debug info for libc here (libc6-dbg not installed)';
    console.log(`SKIP: ${why}`);
    t.skip(why);
    return;
  }
  assert.equal(d.binary, libc);
  assert.equal(d.problem, undefined);
  const info = d.dwarf;
  assert.ok(info.functions.length > 1000);
  assert.equal(listFunction(libc, info, 'qsort'), `uprobe:${libc}:qsort\n    void* b\n    size_t n\n    size_t s\n    __compar_fn_t cmp\n`);
  assert.equal(listFunction(libc, info, 'malloc'), `uprobe:${libc}:malloc\n`, 'only declared in the DWARF: no parameters');
  if (!hasTool('bpftrace')) {
    console.log('SKIP: bpftrace is not installed (libc listing not compared)');
    return;
  }
  // One bpftrace run over a wildcard (bpftrace looks each match up through every unit: slow on libc).
  const r = spawnSync('bpftrace', ['-lv', `uprobe:${libc}:*search*`], { encoding: 'utf8' });
  const blocks = r.stdout.split(/\n(?=uprobe:)/).map((x) => x.trimEnd() + '\n');
  let same = 0;
  for (const blk of blocks) {
    const fn = /^uprobe:.*:([^:\n]+)\n/.exec(blk)?.[1];
    if (!fn) continue;
    assert.equal(listFunction(libc, info, fn), blk, fn);
    same++;
  }
  assert.ok(same >= 10, `${same} functions compared`);
  console.log(`dwarf: libc (${info.functions.length} functions, build-id debug file): ${same}/${same} listings of uprobe:libc:*search* identical to bpftrace -lv`);
});

test('dwarf: zstd-compressed sections (objcopy --compress-debug-sections=zstd): read where the runtime has zstd, else reported', (t) => {
  const b = build(dir, VARIANTS[0]);
  const out = join(dir, 'zstd');
  const oc = 'path' in b ? spawnSync('objcopy', ['--compress-debug-sections=zstd', b.path, out], { encoding: 'utf8' }) : undefined;
  if (!oc || oc.status !== 0) {
    const why = `cannot make a zstd-compressed binary (${'skip' in b ? b.skip : oc?.stderr.split('\n')[0] || 'objcopy missing'})`;
    console.log(`SKIP: ${why}`);
    t.skip(why);
    return;
  }
  const d = dwarfOf(out);
  assert.ok(d.compressed.includes('.debug_info: zstd'), d.compressed.join());
  const hasZstd = typeof (zlib as unknown as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function';
  if (hasZstd) {
    assert.deepEqual(d.diagnostics, []);
    assert.equal(paramsText(d.dwarf as NonNullable<typeof d.dwarf>, 'add'), EXPECTED.add);
  } else {
    assert.equal(d.dwarf, undefined);
    assert.ok(d.diagnostics.some((x) => x.section === '.debug_info' && /zstd decompression failed \(zstd may be unsupported by this runtime\)/.test(x.message)), JSON.stringify(d.diagnostics));
    console.log(`dwarf: zstd sections are not readable on Node ${process.versions.node} (no zlib.zstdDecompressSync): reported`);
  }
});

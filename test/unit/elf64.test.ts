import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readElf, symbolName } from '../../server/src/elf/elf64';
import { writeElf, imageOf } from '../../server/src/elf/write';
import { type Elf, R_BPF_NAMES, SHT, EM_BPF, STB, STT } from '../../server/src/elf/types';
import { buildFixtures, objdumpCmd, tool, scratchDir } from '../fixtures/elf/build';

const built = buildFixtures();
const objdump = objdumpCmd();

function skipIf(t: { skip: (m: string) => void }, why: string | undefined): boolean {
  if (why === undefined) return false;
  console.log(`SKIP: ${why}`);
  t.skip(why);
  return true;
}

function parse(bytes: Uint8Array): Elf {
  const r = readElf(bytes);
  assert.deepEqual(r.diagnostics, []);
  assert.ok(r.elf);
  return r.elf;
}

/** Sections (name, size) and relocations (section, offset, type, symbol) as llvm-objdump prints them. */
function objdumpFacts(file: string): { sections: [string, number][]; relocs: string[] } | undefined {
  if (!objdump) return undefined;
  const h = tool(objdump, ['-h', file]);
  const r = tool(objdump, ['-r', file]);
  if (h === undefined || r === undefined) return undefined;
  const sections: [string, number][] = [];
  for (const line of h.split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)\s+([0-9a-f]{8,})\s+[0-9a-f]{16}/.exec(line);
    if (m && m[1] !== '0') sections.push([m[2], parseInt(m[3], 16)]);
  }
  const relocs: string[] = [];
  let cur = '';
  for (const line of r.split('\n')) {
    const s = /^RELOCATION RECORDS FOR \[(.*)\]:/.exec(line);
    if (s) { cur = s[1]; continue; }
    const m = /^([0-9a-f]{16})\s+(\S+)\s+(\S+)/.exec(line);
    if (m) relocs.push(`${cur} ${parseInt(m[1], 16)} ${m[2]} ${m[3]}`);
  }
  return { sections, relocs };
}

function ourRelocs(elf: Elf): string[] {
  const out: string[] = [];
  for (const rs of elf.relocSections) {
    for (const r of rs.relocs) {
      out.push(`${elf.sections[rs.target].name} ${r.offset} ${R_BPF_NAMES[r.type] ?? r.type} ${symbolName(elf, elf.symbols[r.sym])}`);
    }
  }
  return out;
}

test('elf64: clang objects parse without diagnostics and match llvm-objdump', (t) => {
  if (skipIf(t, built.skip) || skipIf(t, objdump ? undefined : 'llvm-objdump is not installed')) return;
  for (const f of built.fixtures) {
    const elf = parse(f.bytes);
    assert.equal(elf.header.machine, EM_BPF, f.name);
    assert.equal(elf.header.littleEndian, true);
    const facts = objdumpFacts(f.object);
    assert.ok(facts, 'llvm-objdump ran');
    assert.deepEqual(elf.sections.slice(1).map((s) => [s.name, s.size]), facts.sections, f.name);
    assert.deepEqual(ourRelocs(elf).sort(), facts.relocs.sort(), f.name);
    assert.ok(facts.relocs.length > 0);
  }
});

test('elf64: symbols match llvm-objdump -t', (t) => {
  if (skipIf(t, built.skip) || skipIf(t, objdump ? undefined : 'llvm-objdump is not installed')) return;
  for (const f of built.fixtures) {
    const elf = parse(f.bytes);
    const text = tool(objdump!, ['-t', f.object]) ?? '';
    const theirs = text.split('\n').filter((l) => /^[0-9a-f]{16} /.test(l)).map((l) => {
      const name = l.split(/\s+/).pop()!;
      const value = parseInt(l.slice(0, 16), 16);
      return `${name}@${value}`;
    }).sort();
    const ours = elf.symbols.slice(1).map((s) => `${symbolName(elf, s)}@${s.value}`).sort();
    assert.deepEqual(ours, theirs, f.name);
    const funcs = elf.symbols.filter((s) => s.type === STT.FUNC && s.bind === STB.GLOBAL);
    assert.ok(funcs.length > 0);
  }
});

test('elf64: big-endian objects (clang -target bpfeb) read the same as little-endian', (t) => {
  if (skipIf(t, built.skip)) return;
  const dir = scratchDir();
  for (const f of built.fixtures.slice(0, 2)) {
    const out = join(dir, `${f.name}.eb.o`);
    execFileSync('clang', ['-O2', '-g', '-target', 'bpfeb', '-mcpu=v3', '-c', f.source, '-o', out], { stdio: 'pipe' });
    const be = parse(new Uint8Array(readFileSync(out)));
    const le = parse(f.bytes);
    assert.equal(be.header.littleEndian, false);
    assert.deepEqual(be.sections.map((s) => [s.name, s.type]), le.sections.map((s) => [s.name, s.type]));
    assert.deepEqual(be.symbols.map((s) => [s.name, s.value, s.size, s.bind, s.type, s.shndx]),
      le.symbols.map((s) => [s.name, s.value, s.size, s.bind, s.type, s.shndx]));
    assert.deepEqual(ourRelocs(be), ourRelocs(le));
  }
});

function summary(elf: Elf): unknown {
  return {
    header: [elf.header.type, elf.header.machine, elf.header.flags, elf.header.littleEndian],
    // string tables are rebuilt (offsets differ), so their bytes and the symtab's name offsets are not compared
    sections: elf.sections.map((s) => [s.name, s.type, s.flags, s.type === SHT.STRTAB ? 0 : s.size, s.addralign, s.entsize,
      s.type === SHT.STRTAB || s.type === SHT.SYMTAB ? '' : Buffer.from(s.data).toString('hex'),
      s.type === SHT.REL || s.type === SHT.RELA || s.type === SHT.SYMTAB ? s.link : s.type === SHT.STRTAB ? 0 : s.link, s.info]),
    symbols: elf.symbols.map((s) => [s.name, s.value, s.size, s.bind, s.type, s.other, s.shndx]),
    relocs: elf.relocSections.map((r) => [r.index, r.target, r.rela, r.relocs.map((x) => [x.offset, x.sym, x.type, x.addend])]),
  };
}

test('elf64: write(read(x)) reads back with the same sections, symbols and relocations', (t) => {
  if (skipIf(t, built.skip)) return;
  for (const f of built.fixtures) {
    const a = parse(f.bytes);
    const bytes = writeElf(imageOf(a));
    const b = parse(bytes);
    assert.deepEqual(summary(b), summary(a), f.name);
    // and the written object is a valid ELF for llvm-objdump too
    if (objdump) {
      const dir = scratchDir();
      const p = join(dir, `${f.name}.o`);
      writeFileSync(p, bytes);
      const noStr = (x: ReturnType<typeof objdumpFacts>) => x && { ...x, sections: x.sections.filter(([n]) => n !== '.strtab') };
      assert.deepEqual(noStr(objdumpFacts(p)), noStr(objdumpFacts(f.object)));
    }
  }
});

test('elf64: big-endian write round trip', (t) => {
  if (skipIf(t, built.skip)) return;
  const a = parse(built.fixtures[0].bytes);
  const img = imageOf(a);
  img.littleEndian = false;
  const b = parse(writeElf(img));
  assert.equal(b.header.littleEndian, false);
  const sa = summary(a) as { symbols: unknown; relocs: unknown };
  const sb = summary(b) as { symbols: unknown; relocs: unknown };
  assert.deepEqual(sb.symbols, sa.symbols);
  assert.deepEqual(sb.relocs, sa.relocs);
});

test('elf64: writer sorts local symbols first and remaps relocations', () => {
  const code = new Uint8Array(16);
  const bytes = writeElf({
    sections: [{ name: 'xdp', flags: 6n, content: { kind: 'bytes', data: code } },
      { name: '.relxdp', content: { kind: 'relocs', rela: false, target: 1, relocs: [{ offset: 0, sym: 1, type: 1 }, { offset: 8, sym: 2, type: 1 }] } }],
    symbols: [{ name: 'glob', value: 0, size: 16, bind: STB.GLOBAL, type: STT.FUNC, shndx: 1 },
      { name: 'loc', value: 8, size: 0, bind: STB.LOCAL, type: STT.NOTYPE, shndx: 1 }],
  });
  const elf = parse(bytes);
  assert.deepEqual(elf.symbols.map((s) => s.name), ['', 'loc', 'glob']);
  const symtab = elf.sections[elf.symtabIndex];
  assert.equal(symtab.info, 2, 'sh_info is the first global');
  assert.deepEqual(elf.relocSections[0].relocs.map((r) => elf.symbols[r.sym].name), ['glob', 'loc']);
});

// --- malformed input: a diagnostic naming the offset, never a throw ---

function smallElf(): Uint8Array {
  return writeElf({
    sections: [{ name: 'prog', flags: 6n, content: { kind: 'bytes', data: new Uint8Array(16) } },
      { name: '.relprog', content: { kind: 'relocs', rela: false, target: 1, relocs: [{ offset: 0, sym: 1, type: 1 }] } }],
    symbols: [{ name: 'f', value: 0, size: 16, bind: STB.GLOBAL, type: STT.FUNC, shndx: 1 }],
  });
}

function diag(bytes: Uint8Array, re: RegExp): { offset: number; message: string } {
  const r = readElf(bytes);
  const d = r.diagnostics.find((x) => re.test(x.message));
  assert.ok(d, `expected a diagnostic matching ${re}, got ${JSON.stringify(r.diagnostics)}`);
  return d;
}

test('elf64 diagnostics: bad magic, class, byte order, truncation', () => {
  const good = smallElf();
  assert.deepEqual(readElf(good).diagnostics, []);
  const m = good.slice(); m[1] = 0x46;
  assert.equal(diag(m, /bad magic/).offset, 0);
  const c = good.slice(); c[4] = 1;
  assert.equal(diag(c, /32-bit/).offset, 4);
  const d = good.slice(); d[5] = 3;
  assert.equal(diag(d, /byte order/).offset, 5);
  assert.equal(readElf(good.subarray(0, 40)).elf, undefined);
  diag(good.subarray(0, 40), /truncated header/);
  assert.equal(readElf(new Uint8Array(0)).elf, undefined);
});

test('elf64 diagnostics: section table and section data past the end of the file', () => {
  const good = smallElf();
  const dv = new DataView(good.buffer);
  const shoff = Number(dv.getBigUint64(40, true));
  // section table cut off
  const cut = good.subarray(0, shoff + 100);
  assert.equal(diag(cut, /runs past the end/).offset, 60);
  // section 1 data pointing outside the file
  const far = good.slice();
  new DataView(far.buffer).setBigUint64(shoff + 64 + 24, 1n << 20n, true);
  const d = diag(far, /past the end of the file/);
  assert.equal(d.offset, shoff + 64 + 24);
  assert.match(d.message, /section \[1\]/);
});

test('elf64 diagnostics: string offset, symbol index, section index out of range', () => {
  const good = smallElf();
  const elf = parse(good);
  const sym = elf.symbols[1];
  const a = good.slice();
  new DataView(a.buffer).setUint32(sym.fileOffset, 99999, true);
  const d1 = diag(a, /name offset 99999 is out of range/);
  assert.equal(d1.offset, sym.fileOffset);
  const b = good.slice();
  const rel = elf.relocSections[0].relocs[0];
  new DataView(b.buffer).setUint32(rel.fileOffset + 12, 77, true); // high half of r_info (LE)
  const d2 = diag(b, /symbol index 77 is out of range/);
  assert.equal(d2.offset, rel.fileOffset + 8);
  const c = good.slice();
  new DataView(c.buffer).setUint16(sym.fileOffset + 6, 500, true);
  diag(c, /section index 500 is out of range/);
  const e = good.slice();
  new DataView(e.buffer).setUint32(elf.sections[1].headerOffset, 1 << 30, true);
  assert.equal(diag(e, /section \[1\]: name offset/).offset, elf.sections[1].headerOffset);
  const f = good.slice();
  new DataView(f.buffer).setUint16(62, 200, true);
  assert.equal(diag(f, /e_shstrndx 200/).offset, 62);
});

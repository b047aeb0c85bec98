/**
 * ELF64 writer for relocatable objects, both byte orders: sections in the
 * order given, a symbol table and string tables built from names, REL/RELA
 * sections built from relocation lists. `imageOf` turns a parsed file back
 * into the writer's input (round trips). No program headers, no linking.
 */
import {
  type Elf, ELF64_EHDR_SIZE, ELF64_REL_SIZE, ELF64_RELA_SIZE, ELF64_SHDR_SIZE, ELF64_SYM_SIZE,
  EM_BPF, ET, SHN, SHT, STB, symInfo,
} from './types';

export interface RelocSpec {
  offset: number;
  /** Index into `ElfImage.symbols` plus one (0 is the null symbol). */
  sym: number;
  type: number;
  addend?: number;
}

export type SectionContent =
  | { kind: 'bytes'; data: Uint8Array }
  | { kind: 'nobits'; size: number }
  /** The symbol table, built from `ElfImage.symbols`. */
  | { kind: 'symtab' }
  /** A string table holding symbol names, section names, or both. */
  | { kind: 'strtab'; symbolNames: boolean; sectionNames: boolean }
  | { kind: 'relocs'; rela: boolean; target: number; relocs: RelocSpec[] };

export interface SectionSpec {
  name: string;
  /** Defaults from the content (PROGBITS, NOBITS, SYMTAB, STRTAB, REL, RELA). */
  type?: number;
  flags?: bigint;
  addr?: bigint;
  addralign?: number;
  entsize?: number;
  /** Defaults: symtab -> its string table, relocs -> the symbol table. */
  link?: number;
  /** Defaults: symtab -> first global symbol, relocs -> target. */
  info?: number;
  content: SectionContent;
}

export interface SymbolSpec {
  name: string;
  value: number;
  size: number;
  bind: number;
  type: number;
  other?: number;
  /** Section index (1-based position in `ElfImage.sections`) or a reserved SHN_* value. */
  shndx: number;
}

export interface ElfImage {
  littleEndian?: boolean;
  machine?: number;
  type?: number;
  flags?: number;
  osabi?: number;
  /** Sections 1..n (the null section 0 is implicit). A symbol table, its string table and a section-name table are appended when missing. */
  sections: SectionSpec[];
  /** Symbols 1..n (the null symbol 0 is implicit). Local symbols are moved first, references remapped. */
  symbols: SymbolSpec[];
}

const enc = new TextEncoder();

class StrTab {
  private index = new Map<string, number>();
  private chunks: Uint8Array[] = [new Uint8Array(1)];
  size = 1;
  add(s: string): number {
    if (s === '') return 0;
    const have = this.index.get(s);
    if (have !== undefined) return have;
    const b = enc.encode(s);
    const at = this.size;
    this.chunks.push(b, new Uint8Array(1));
    this.size += b.length + 1;
    this.index.set(s, at);
    return at;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) { out.set(c, at); at += c.length; }
    return out;
  }
}

function align(n: number, a: number): number {
  return a > 1 ? Math.ceil(n / a) * a : n;
}

function setU64(dv: DataView, at: number, v: number, le: boolean): void {
  dv.setBigUint64(at, BigInt.asUintN(64, BigInt(Math.trunc(v))), le);
}

/** Encodes an image as an ELF64 file. */
export function writeElf(image: ElfImage): Uint8Array {
  const le = image.littleEndian ?? true;
  const sections = image.sections.slice();
  const hasKind = (k: SectionContent['kind']): boolean => sections.some((s) => s.content.kind === k);
  if (image.symbols.length > 0 && !hasKind('symtab')) {
    sections.push({ name: '.strtab', content: { kind: 'strtab', symbolNames: true, sectionNames: false } });
    sections.push({ name: '.symtab', content: { kind: 'symtab' } });
  }
  if (!sections.some((s) => s.content.kind === 'strtab' && s.content.sectionNames)) {
    sections.push({ name: '.shstrtab', content: { kind: 'strtab', symbolNames: false, sectionNames: true } });
  }
  const symtabIdx = sections.findIndex((s) => s.content.kind === 'symtab') + 1;
  const symStrIdx = sections.findIndex((s) => s.content.kind === 'strtab' && s.content.symbolNames) + 1;
  const shStrIdx = sections.findIndex((s) => s.content.kind === 'strtab' && s.content.sectionNames) + 1;

  // Locals first (stable), then remap relocation symbol indices.
  const order = image.symbols.map((s, i) => ({ s, i }));
  const locals = order.filter((x) => x.s.bind === STB.LOCAL);
  const others = order.filter((x) => x.s.bind !== STB.LOCAL);
  const sorted = [...locals, ...others];
  const remap = new Int32Array(image.symbols.length + 1);
  sorted.forEach((x, k) => { remap[x.i + 1] = k + 1; });
  const firstGlobal = locals.length + 1;

  // String tables.
  const tabs = new Map<number, StrTab>();
  const tabFor = (idx: number): StrTab => {
    let t = tabs.get(idx);
    if (t === undefined) { t = new StrTab(); tabs.set(idx, t); }
    return t;
  };
  const shstr = tabFor(shStrIdx);
  const nameOffs = sections.map((s) => shstr.add(s.name));
  const symNameOffs = sorted.map((x) => (symStrIdx > 0 ? tabFor(symStrIdx).add(x.s.name) : 0));

  // Section payloads.
  const payload: (Uint8Array | null)[] = sections.map((s) => {
    const c = s.content;
    switch (c.kind) {
      case 'bytes': return c.data;
      case 'nobits': return null;
      case 'strtab': return null; // filled once all names are in
      case 'symtab': {
        const out = new Uint8Array((sorted.length + 1) * ELF64_SYM_SIZE);
        const dv = new DataView(out.buffer);
        sorted.forEach((x, j) => {
          const at = (j + 1) * ELF64_SYM_SIZE;
          dv.setUint32(at, symNameOffs[j], le);
          out[at + 4] = symInfo(x.s.bind, x.s.type);
          out[at + 5] = x.s.other ?? 0;
          dv.setUint16(at + 6, x.s.shndx & 0xffff, le);
          setU64(dv, at + 8, x.s.value, le);
          setU64(dv, at + 16, x.s.size, le);
        });
        return out;
      }
      case 'relocs': {
        const ent = c.rela ? ELF64_RELA_SIZE : ELF64_REL_SIZE;
        const out = new Uint8Array(c.relocs.length * ent);
        const dv = new DataView(out.buffer);
        c.relocs.forEach((r, j) => {
          const at = j * ent;
          setU64(dv, at, r.offset, le);
          const sym = r.sym > 0 && r.sym < remap.length ? remap[r.sym] : r.sym;
          dv.setBigUint64(at + 8, (BigInt(sym >>> 0) << 32n) | BigInt(r.type >>> 0), le);
          if (c.rela) setU64(dv, at + 16, r.addend ?? 0, le);
        });
        return out;
      }
    }
  });
  sections.forEach((s, k) => {
    if (s.content.kind === 'strtab') payload[k] = tabs.get(k + 1)?.bytes() ?? new Uint8Array(1);
  });

  // Layout: header, section data, section header table.
  const offsets: number[] = [];
  let at = ELF64_EHDR_SIZE;
  sections.forEach((s, k) => {
    const p = payload[k];
    if (p === null) { offsets.push(at); return; }
    at = align(at, Math.max(1, s.addralign ?? defaultAlign(s.content)));
    offsets.push(at);
    at += p.length;
  });
  const shoff = align(at, 8);
  const shnum = sections.length + 1;
  const total = shoff + shnum * ELF64_SHDR_SIZE;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, le ? 1 : 2, 1, image.osabi ?? 0]);
  dv.setUint16(16, image.type ?? ET.REL, le);
  dv.setUint16(18, image.machine ?? EM_BPF, le);
  dv.setUint32(20, 1, le);
  setU64(dv, 40, shoff, le);
  dv.setUint32(48, image.flags ?? 0, le);
  dv.setUint16(52, ELF64_EHDR_SIZE, le);
  dv.setUint16(58, ELF64_SHDR_SIZE, le);
  dv.setUint16(60, shnum < SHN.LORESERVE ? shnum : 0, le);
  dv.setUint16(62, shStrIdx < SHN.LORESERVE ? shStrIdx : SHN.XINDEX, le);
  if (shnum >= SHN.LORESERVE) setU64(dv, shoff + 32, shnum, le);
  if (shStrIdx >= SHN.LORESERVE) dv.setUint32(shoff + 40, shStrIdx, le);

  sections.forEach((s, k) => {
    const p = payload[k];
    if (p !== null) out.set(p, offsets[k]);
    const h = shoff + (k + 1) * ELF64_SHDR_SIZE;
    const c = s.content;
    dv.setUint32(h, nameOffs[k], le);
    dv.setUint32(h + 4, s.type ?? defaultType(c), le);
    dv.setBigUint64(h + 8, s.flags ?? 0n, le);
    dv.setBigUint64(h + 16, s.addr ?? 0n, le);
    setU64(dv, h + 24, offsets[k], le);
    setU64(dv, h + 32, p === null ? (c.kind === 'nobits' ? c.size : 0) : p.length, le);
    let link = s.link ?? 0;
    let info = s.info ?? 0;
    let entsize = s.entsize ?? 0;
    if (c.kind === 'symtab') {
      link = s.link ?? symStrIdx;
      info = firstGlobal;
      entsize = ELF64_SYM_SIZE;
    } else if (c.kind === 'relocs') {
      link = s.link ?? symtabIdx;
      info = s.info ?? c.target;
      entsize = c.rela ? ELF64_RELA_SIZE : ELF64_REL_SIZE;
    }
    dv.setUint32(h + 40, link, le);
    dv.setUint32(h + 44, info, le);
    setU64(dv, h + 48, s.addralign ?? defaultAlign(c), le);
    setU64(dv, h + 56, entsize, le);
  });
  return out;
}

function defaultType(c: SectionContent): number {
  switch (c.kind) {
    case 'bytes': return SHT.PROGBITS;
    case 'nobits': return SHT.NOBITS;
    case 'symtab': return SHT.SYMTAB;
    case 'strtab': return SHT.STRTAB;
    case 'relocs': return c.rela ? SHT.RELA : SHT.REL;
  }
}

function defaultAlign(c: SectionContent): number {
  return c.kind === 'symtab' || c.kind === 'relocs' ? 8 : c.kind === 'strtab' ? 1 : 8;
}

/**
 * The writer's input that reproduces a parsed file: same sections in the same
 * order, same symbols and relocations (string tables are rebuilt, so their
 * bytes and offsets may differ).
 */
export function imageOf(elf: Elf): ElfImage {
  const symStr = elf.symtabIndex >= 0 ? elf.sections[elf.symtabIndex].link : -1;
  const relocByIndex = new Map(elf.relocSections.map((r) => [r.index, r]));
  const sections: SectionSpec[] = [];
  for (const s of elf.sections.slice(1)) {
    let content: SectionContent;
    const rs = relocByIndex.get(s.index);
    if (s.index === elf.symtabIndex) content = { kind: 'symtab' };
    else if (s.type === SHT.STRTAB && (s.index === symStr || s.index === elf.header.shstrndx)) {
      content = { kind: 'strtab', symbolNames: s.index === symStr, sectionNames: s.index === elf.header.shstrndx };
    } else if (rs !== undefined) {
      content = { kind: 'relocs', rela: rs.rela, target: rs.target, relocs: rs.relocs.map((r) => ({ offset: r.offset, sym: r.sym, type: r.type, addend: r.addend })) };
    } else if (s.type === SHT.NOBITS) content = { kind: 'nobits', size: s.size };
    else content = { kind: 'bytes', data: s.data };
    sections.push({
      name: s.name, type: s.type, flags: s.flags, addr: s.addr, addralign: s.addralign, entsize: s.entsize,
      link: content.kind === 'symtab' || content.kind === 'relocs' ? undefined : s.link,
      info: content.kind === 'symtab' || content.kind === 'relocs' ? undefined : s.info,
      content,
    });
  }
  return {
    littleEndian: elf.header.littleEndian,
    machine: elf.header.machine,
    type: elf.header.type,
    flags: elf.header.flags,
    osabi: elf.header.osabi,
    sections,
    symbols: elf.symbols.slice(1).map((s) => ({ name: s.name, value: s.value, size: s.size, bind: s.bind, type: s.type, other: s.other, shndx: s.shndx })),
  };
}

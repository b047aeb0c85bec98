/**
 * ELF64 reader, both byte orders: file header, section headers and names,
 * the symbol table, string tables and REL/RELA relocation sections. It never
 * throws: every fault becomes a diagnostic naming the byte offset, and whatever
 * can still be read is returned. No program headers, dynamic sections or BPF
 * meaning (see object.ts).
 */
import {
  type Elf, type ElfDiagnostic, type ElfHeader, type ElfReloc, type ElfRelocSection, type ElfSection, type ElfSymbol,
  ELF64_EHDR_SIZE, ELF64_REL_SIZE, ELF64_RELA_SIZE, ELF64_SHDR_SIZE, ELF64_SYM_SIZE, SHN, SHT, symBind, symType,
} from './types';

export interface ReadElfOptions {
  /** Stop collecting diagnostics after this many (default 200). */
  maxDiagnostics?: number;
}

export interface ReadElfResult {
  elf?: Elf;
  diagnostics: ElfDiagnostic[];
}

const EMPTY = new Uint8Array(0);
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Reads a u64 as a number (exact below 2^53). */
function u64(dv: DataView, at: number, le: boolean): number {
  return le
    ? dv.getUint32(at + 4, true) * 0x100000000 + dv.getUint32(at, true)
    : dv.getUint32(at, false) * 0x100000000 + dv.getUint32(at + 4, false);
}

/** Reads an s64 as a number. */
function s64(dv: DataView, at: number, le: boolean): number {
  const hi = le ? dv.getInt32(at + 4, true) : dv.getInt32(at, false);
  const lo = le ? dv.getUint32(at, true) : dv.getUint32(at + 4, false);
  return hi * 0x100000000 + lo;
}

/**
 * The NUL-terminated string at `off` in string table `tab`, or undefined when
 * `off` is outside it. A string running to the end without a NUL is cut there.
 */
export function stringAt(tab: Uint8Array, off: number): string | undefined {
  if (off < 0 || off >= tab.length) return undefined;
  let end = off;
  let ascii = true;
  while (end < tab.length && tab[end] !== 0) {
    if (tab[end] > 127) ascii = false;
    end++;
  }
  const bytes = tab.subarray(off, end);
  return ascii ? latin1.decode(bytes) : utf8.decode(bytes);
}

/** Parses an ELF64 file. `elf` is undefined only when the header or section table cannot be read at all. */
export function readElf(bytes: Uint8Array, opts: ReadElfOptions = {}): ReadElfResult {
  const diagnostics: ElfDiagnostic[] = [];
  const max = opts.maxDiagnostics ?? 200;
  const report = (offset: number, message: string): void => {
    if (diagnostics.length < max) diagnostics.push({ offset, message });
  };
  const len = bytes.length;
  if (len < 16 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    if (len < 4) report(0, `truncated file: ${len} bytes, not an ELF file`);
    else report(0, `bad magic ${Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')}, expected 7f 45 4c 46 ("\\x7fELF")`);
    return { diagnostics };
  }
  const cls = bytes[4];
  if (cls !== 2) {
    report(4, cls === 1 ? 'wrong class: 32-bit ELF (EI_CLASS 1), only ELF64 (EI_CLASS 2) is supported' : `bad class ${cls} in EI_CLASS, expected 2 (ELF64)`);
    return { diagnostics };
  }
  const data = bytes[5];
  if (data !== 1 && data !== 2) {
    report(5, `bad byte order ${data} in EI_DATA, expected 1 (little-endian) or 2 (big-endian)`);
    return { diagnostics };
  }
  const le = data === 1;
  if (bytes[6] !== 1) report(6, `unexpected ELF version ${bytes[6]} in EI_VERSION, expected 1`);
  if (len < ELF64_EHDR_SIZE) {
    report(0, `truncated header: ${len} bytes, an ELF64 header needs ${ELF64_EHDR_SIZE}`);
    return { diagnostics };
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header: ElfHeader = {
    littleEndian: le,
    osabi: bytes[7],
    abiVersion: bytes[8],
    type: dv.getUint16(16, le),
    machine: dv.getUint16(18, le),
    version: dv.getUint32(20, le),
    entry: dv.getBigUint64(24, le),
    phoff: u64(dv, 32, le),
    shoff: u64(dv, 40, le),
    flags: dv.getUint32(48, le),
    ehsize: dv.getUint16(52, le),
    phentsize: dv.getUint16(54, le),
    phnum: dv.getUint16(56, le),
    shentsize: dv.getUint16(58, le),
    shnum: dv.getUint16(60, le),
    shstrndx: dv.getUint16(62, le),
  };
  if (header.ehsize !== ELF64_EHDR_SIZE) report(52, `e_ehsize is ${header.ehsize}, expected ${ELF64_EHDR_SIZE}`);
  const elf: Elf = { bytes, header, sections: [], symtabIndex: -1, symbols: [], relocSections: [] };
  if (header.shoff === 0) {
    if (header.shnum !== 0) report(40, `e_shoff is 0 but e_shnum is ${header.shnum}`);
    return { elf, diagnostics };
  }
  if (header.shentsize !== ELF64_SHDR_SIZE) {
    report(58, `e_shentsize is ${header.shentsize}, expected ${ELF64_SHDR_SIZE}`);
    return { diagnostics };
  }
  if (header.shoff + ELF64_SHDR_SIZE > len) {
    report(40, `section header table at offset ${header.shoff} is past the end of the file (${len} bytes)`);
    return { diagnostics };
  }
  // Extended numbering: section 0 holds the real count and string-table index.
  let shnum = header.shnum;
  if (shnum === 0) shnum = u64(dv, header.shoff + 32, le);
  let shstrndx = header.shstrndx;
  if (shstrndx === SHN.XINDEX) shstrndx = dv.getUint32(header.shoff + 40, le);
  if (header.shoff + shnum * ELF64_SHDR_SIZE > len) {
    report(60, `section header table (${shnum} entries at offset ${header.shoff}) runs past the end of the file (${len} bytes)`);
    return { diagnostics };
  }
  header.shnum = shnum;
  header.shstrndx = shstrndx;

  for (let i = 0; i < shnum; i++) {
    const h = header.shoff + i * ELF64_SHDR_SIZE;
    const s: ElfSection = {
      index: i,
      name: '',
      nameOff: dv.getUint32(h, le),
      type: dv.getUint32(h + 4, le),
      flags: dv.getBigUint64(h + 8, le),
      addr: dv.getBigUint64(h + 16, le),
      offset: u64(dv, h + 24, le),
      size: u64(dv, h + 32, le),
      link: dv.getUint32(h + 40, le),
      info: dv.getUint32(h + 44, le),
      addralign: u64(dv, h + 48, le),
      entsize: u64(dv, h + 56, le),
      data: EMPTY,
      headerOffset: h,
    };
    if (i > 0 && s.type !== SHT.NOBITS && s.type !== SHT.NULL) {
      if (s.offset + s.size > len) report(h + 24, `section [${i}]: data at offset ${s.offset} with size ${s.size} is past the end of the file (${len} bytes)`);
      else s.data = bytes.subarray(s.offset, s.offset + s.size);
    }
    elf.sections.push(s);
  }

  // Section names.
  let shstr: Uint8Array = EMPTY;
  if (shstrndx === SHN.UNDEF) {
    report(62, 'no section name string table (e_shstrndx is 0)');
  } else if (shstrndx >= shnum) {
    report(62, `e_shstrndx ${shstrndx} is out of range (${shnum} sections)`);
  } else {
    const st = elf.sections[shstrndx];
    if (st.type !== SHT.STRTAB) report(st.headerOffset + 4, `section name table [${shstrndx}] has type ${st.type}, expected SHT_STRTAB (3)`);
    shstr = st.data;
  }
  for (const s of elf.sections) {
    if (s.index === 0) continue;
    const n = stringAt(shstr, s.nameOff);
    if (n === undefined) report(s.headerOffset, `section [${s.index}]: name offset ${s.nameOff} is out of range (section name table holds ${shstr.length} bytes)`);
    else s.name = n;
  }

  // Symbol table (the first SHT_SYMTAB; ELF allows only one).
  for (const s of elf.sections) {
    if (s.type !== SHT.SYMTAB) continue;
    if (elf.symtabIndex >= 0) {
      report(s.headerOffset + 4, `section [${s.index}] ${s.name}: a second symbol table (the first is [${elf.symtabIndex}]); ignored`);
      continue;
    }
    elf.symtabIndex = s.index;
    readSymbols(elf, s, report);
  }

  // Relocation sections.
  for (const s of elf.sections) {
    if (s.type === SHT.REL || s.type === SHT.RELA) readRelocs(elf, s, report);
  }
  return { elf, diagnostics };
}

type Report = (offset: number, message: string) => void;

function readSymbols(elf: Elf, s: ElfSection, report: Report): void {
  const le = elf.header.littleEndian;
  const where = `symbol table [${s.index}] ${s.name}`;
  if (s.entsize !== ELF64_SYM_SIZE) report(s.headerOffset + 56, `${where}: entry size ${s.entsize}, expected ${ELF64_SYM_SIZE}`);
  if (s.data.length % ELF64_SYM_SIZE !== 0) report(s.headerOffset + 32, `${where}: size ${s.data.length} is not a multiple of ${ELF64_SYM_SIZE}`);
  let strtab: Uint8Array = EMPTY;
  if (s.link === 0 || s.link >= elf.sections.length) {
    report(s.headerOffset + 40, `${where}: string table index ${s.link} (sh_link) is out of range (${elf.sections.length} sections)`);
  } else {
    const st = elf.sections[s.link];
    if (st.type !== SHT.STRTAB) report(s.headerOffset + 40, `${where}: linked section [${s.link}] ${st.name} is not a string table (type ${st.type})`);
    strtab = st.data;
  }
  const dv = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
  const n = Math.floor(s.data.length / ELF64_SYM_SIZE);
  const shnum = elf.sections.length;
  for (let i = 0; i < n; i++) {
    const at = i * ELF64_SYM_SIZE;
    const info = s.data[at + 4];
    const other = s.data[at + 5];
    const sym: ElfSymbol = {
      index: i,
      name: '',
      nameOff: dv.getUint32(at, le),
      value: u64(dv, at + 8, le),
      size: u64(dv, at + 16, le),
      bind: symBind(info),
      type: symType(info),
      visibility: other & 3,
      other,
      shndx: dv.getUint16(at + 6, le),
      fileOffset: s.offset + at,
    };
    const name = stringAt(strtab, sym.nameOff);
    if (name === undefined) report(sym.fileOffset, `symbol [${i}]: name offset ${sym.nameOff} is out of range (string table holds ${strtab.length} bytes)`);
    else sym.name = name;
    if (sym.shndx !== SHN.UNDEF && sym.shndx < SHN.LORESERVE && sym.shndx >= shnum) {
      report(sym.fileOffset + 6, `symbol [${i}] ${sym.name}: section index ${sym.shndx} is out of range (${shnum} sections)`);
    }
    elf.symbols.push(sym);
  }
}

function readRelocs(elf: Elf, s: ElfSection, report: Report): void {
  const le = elf.header.littleEndian;
  const rela = s.type === SHT.RELA;
  const ent = rela ? ELF64_RELA_SIZE : ELF64_REL_SIZE;
  const where = `relocation section [${s.index}] ${s.name}`;
  if (s.entsize !== ent) report(s.headerOffset + 56, `${where}: entry size ${s.entsize}, expected ${ent}`);
  if (s.data.length % ent !== 0) report(s.headerOffset + 32, `${where}: size ${s.data.length} is not a multiple of ${ent}`);
  const shnum = elf.sections.length;
  if (s.info === 0 || s.info >= shnum) report(s.headerOffset + 44, `${where}: target section index ${s.info} (sh_info) is out of range (${shnum} sections)`);
  if (s.link !== elf.symtabIndex) report(s.headerOffset + 40, `${where}: symbol table index ${s.link} (sh_link) is not the symbol table [${elf.symtabIndex}]`);
  const target = s.info > 0 && s.info < shnum ? elf.sections[s.info] : undefined;
  const nsyms = elf.symbols.length;
  const dv = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
  const n = Math.floor(s.data.length / ent);
  const out: ElfRelocSection = { index: s.index, rela, target: s.info, symtab: s.link, relocs: [] };
  for (let i = 0; i < n; i++) {
    const at = i * ent;
    const info = dv.getBigUint64(at + 8, le);
    const r: ElfReloc = {
      offset: u64(dv, at, le),
      sym: Number(info >> 32n),
      type: Number(info & 0xffffffffn),
      fileOffset: s.offset + at,
    };
    if (rela) r.addend = s64(dv, at + 16, le);
    if (r.sym >= nsyms) report(r.fileOffset + 8, `${where}: relocation ${i}: symbol index ${r.sym} is out of range (${nsyms} symbols)`);
    if (target !== undefined && r.offset >= target.size) {
      report(r.fileOffset, `${where}: relocation ${i}: offset ${r.offset} is outside the target section ${target.name} (${target.size} bytes)`);
    }
    out.relocs.push(r);
  }
  elf.relocSections.push(out);
}

/** Name of a symbol for display: its own name, or its section's name for section symbols. */
export function symbolName(elf: Elf, sym: ElfSymbol): string {
  if (sym.name !== '') return sym.name;
  if (sym.shndx > 0 && sym.shndx < elf.sections.length) return elf.sections[sym.shndx].name;
  return '';
}

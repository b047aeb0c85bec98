/**
 * ELF64 data model shared by the reader (elf64.ts) and the writer (write.ts):
 * header, section, symbol and relocation records as plain objects, the
 * constants BPF objects use, and the diagnostic shape. No parsing here, and no
 * BPF meaning (that is object.ts).
 */

/** A problem in the input, located by byte offset in the file. */
export interface ElfDiagnostic {
  offset: number;
  message: string;
}

export const SHT = {
  NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, HASH: 5, DYNAMIC: 6, NOTE: 7,
  NOBITS: 8, REL: 9, DYNSYM: 11, LLVM_ADDRSIG: 0x6fff4c03,
} as const;

export const SHF = { WRITE: 1, ALLOC: 2, EXECINSTR: 4, MERGE: 0x10, STRINGS: 0x20, INFO_LINK: 0x40, EXCLUDE: 0x80000000 } as const;

export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
export const STV = { DEFAULT: 0, INTERNAL: 1, HIDDEN: 2, PROTECTED: 3 } as const;
export const SHN = { UNDEF: 0, LORESERVE: 0xff00, ABS: 0xfff1, COMMON: 0xfff2, XINDEX: 0xffff } as const;

export const ET = { NONE: 0, REL: 1, EXEC: 2, DYN: 3 } as const;
export const EM_BPF = 247;

/** BPF relocation types (LLVM's R_BPF_*). */
export const R_BPF = { NONE: 0, R64_64: 1, R64_ABS64: 2, R64_ABS32: 3, R64_NODYLD32: 4, R64_32: 10 } as const;

export const R_BPF_NAMES: Readonly<Record<number, string>> = {
  0: 'R_BPF_NONE', 1: 'R_BPF_64_64', 2: 'R_BPF_64_ABS64', 3: 'R_BPF_64_ABS32', 4: 'R_BPF_64_NODYLD32', 10: 'R_BPF_64_32',
};

export const ELF64_EHDR_SIZE = 64;
export const ELF64_SHDR_SIZE = 64;
export const ELF64_SYM_SIZE = 24;
export const ELF64_REL_SIZE = 16;
export const ELF64_RELA_SIZE = 24;

export interface ElfHeader {
  littleEndian: boolean;
  osabi: number;
  abiVersion: number;
  type: number;
  machine: number;
  version: number;
  entry: bigint;
  phoff: number;
  shoff: number;
  flags: number;
  ehsize: number;
  phentsize: number;
  phnum: number;
  shentsize: number;
  /** Number of section headers (after the SHN_XINDEX escape is applied). */
  shnum: number;
  /** Index of the section-name string table (after the escape). */
  shstrndx: number;
}

export interface ElfSection {
  index: number;
  name: string;
  nameOff: number;
  type: number;
  flags: bigint;
  addr: bigint;
  /** File offset of the data. */
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** The section's bytes (empty for NOBITS and for sections that lie past the end of the file). */
  data: Uint8Array;
  /** File offset of this section's header. */
  headerOffset: number;
}

export interface ElfSymbol {
  index: number;
  name: string;
  nameOff: number;
  /** st_value and st_size (u64 read as a number; exact below 2^53). */
  value: number;
  size: number;
  bind: number;
  type: number;
  visibility: number;
  /** st_other as stored (visibility in the low 2 bits). */
  other: number;
  shndx: number;
  /** File offset of the symbol record. */
  fileOffset: number;
}

export interface ElfReloc {
  /** Offset in the target section (u64 read as a number). */
  offset: number;
  /** Symbol index in the linked symbol table. */
  sym: number;
  type: number;
  /** RELA only (signed 64-bit read as a number). */
  addend?: number;
  /** File offset of the record. */
  fileOffset: number;
}

export interface ElfRelocSection {
  /** Index of the REL/RELA section itself. */
  index: number;
  rela: boolean;
  /** Section the relocations apply to (sh_info). */
  target: number;
  /** Symbol table they refer to (sh_link). */
  symtab: number;
  relocs: ElfReloc[];
}

export interface Elf {
  bytes: Uint8Array;
  header: ElfHeader;
  /** All sections in index order, including the null section at index 0. */
  sections: ElfSection[];
  /** Index of .symtab, or -1 when there is none. */
  symtabIndex: number;
  /** Symbols of .symtab in index order, including the null symbol at index 0. */
  symbols: ElfSymbol[];
  relocSections: ElfRelocSection[];
}

export function symBind(info: number): number { return info >> 4; }
export function symType(info: number): number { return info & 0xf; }
export function symInfo(bind: number, type: number): number { return ((bind & 0xf) << 4) | (type & 0xf); }

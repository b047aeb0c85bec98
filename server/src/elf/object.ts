/**
 * The BPF object model as libbpf sees a clang-built ELF file: programs found by
 * section name and split by FUNC symbols (subprograms in .text), decoded
 * instructions with program-relative pcs, maps, license and version, classified
 * relocations, BTF and BTF.ext records per program. Reading is deterministic;
 * nothing here consults a running kernel, and CO-RE relocations stay unresolved.
 */
import { decode } from '../isa/codec';
import { type Insn, slotIndex } from '../isa/insn';
import { parseBtf } from '../btf/format';
import { Btf } from '../btf/types';
import { readElf } from './elf64';
import { type BtfExt, type CoreRelo, type LineInfo, parseBtfExt } from './btfext';
import { type BpfMap, btfMaps, dataMaps, externSections, isDataSection, legacyMaps } from './maps';
import { ATTACH_TYPES, PROG_TYPES, type SectionDef, matchSection } from './sections';
import { type Elf, type ElfDiagnostic, type ElfSection, type ElfSymbol, SHF, SHN, SHT, STB, STT } from './types';

export type RelocKind =
  /** lddw of a map (libbpf sets src=1, BPF_PSEUDO_MAP_FD). */
  | 'map'
  /** lddw of global data: a data map plus an offset (src=2, BPF_PSEUDO_MAP_VALUE). */
  | 'data'
  /** call of a subprogram (src=1, BPF_PSEUDO_CALL). */
  | 'subprog_call'
  /** lddw of a subprogram's address, e.g. a bpf_loop callback (src=4, BPF_PSEUDO_FUNC). */
  | 'func_ptr'
  /** call of a kernel function declared `extern ... __ksym` (src=2, BPF_PSEUDO_KFUNC_CALL). */
  | 'kfunc'
  /** lddw of a kernel variable declared `extern ... __ksym` (src=3 or 5, BPF_PSEUDO_BTF_ID). */
  | 'ksym'
  /** lddw of a `__kconfig` extern: an offset in the .kconfig map. */
  | 'kconfig'
  | 'unknown';

export interface BpfRelocation {
  kind: RelocKind;
  /** Section the instruction is in, and the byte offset there. */
  section: string;
  offset: number;
  /** Program holding the instruction and its pc in that program; undefined when no program covers the offset. */
  program?: string;
  pc?: number;
  symbol: string;
  /** ELF relocation type (R_BPF_*). */
  type: number;
  /** The src register value libbpf writes into the instruction. */
  pseudoSrc?: number;
  /** map / data / kconfig: the map's name. */
  map?: string;
  /** data: byte offset in the data map's value. */
  dataOffset?: number;
  /** subprog_call / func_ptr: the called subprogram and its byte offset in its section. */
  target?: string;
  targetOffset?: number;
  /** Why kind is 'unknown'. */
  message?: string;
}

export interface ProgLine extends Omit<LineInfo, 'insnOff'> { pc: number }
export interface ProgCoreRelo extends Omit<CoreRelo, 'insnOff'> { pc: number }

export interface BpfProgram {
  /** The FUNC symbol's name (the section name when there is none). */
  name: string;
  section: string;
  sectionIndex: number;
  /** Byte offset and size in the section. */
  offset: number;
  size: number;
  insns: Insn[];
  /** A subprogram in .text (not loadable by itself). */
  subprog: boolean;
  global: boolean;
  /** The libbpf section definition matched, if any. */
  def?: SectionDef;
  progType?: number;
  progTypeName?: string;
  attachType?: number;
  attachTypeName?: string;
  /** Attach target from the section name (kprobe function, tracepoint, BTF name...). */
  attachTarget: string;
  sleepable: boolean;
  /** BTF id of the FUNC in func_info. */
  funcTypeId?: number;
  lines: ProgLine[];
  coreRelos: ProgCoreRelo[];
  relocations: BpfRelocation[];
}

export interface BpfExtern {
  name: string;
  kind: 'kconfig' | 'ksym' | 'kfunc';
  weak: boolean;
}

export interface BpfObject {
  elf: Elf;
  littleEndian: boolean;
  license?: string;
  /** The `version` section (kernel version for old kprobe loading). */
  kernelVersion?: number;
  programs: BpfProgram[];
  maps: BpfMap[];
  relocations: BpfRelocation[];
  externs: BpfExtern[];
  btf?: Btf;
  btfExt?: BtfExt;
}

export interface ObjectResult {
  object?: BpfObject;
  diagnostics: ElfDiagnostic[];
}

const BPF_PSEUDO = { MAP_FD: 1, MAP_VALUE: 2, BTF_ID: 3, FUNC: 4, CALL: 1, KFUNC_CALL: 2 } as const;

/** Reads a BPF object file. `object` is undefined only when the ELF itself cannot be read. */
export function parseObject(bytes: Uint8Array): ObjectResult {
  const r = readElf(bytes);
  const diagnostics = r.diagnostics.slice();
  const report = (offset: number, message: string): void => {
    if (diagnostics.length < 500) diagnostics.push({ offset, message });
  };
  const elf = r.elf;
  if (elf === undefined) return { diagnostics };
  const le = elf.header.littleEndian;
  const obj: BpfObject = { elf, littleEndian: le, programs: [], maps: [], relocations: [], externs: [] };

  // BTF and BTF.ext.
  const btfSec = elf.sections.find((s) => s.name === '.BTF');
  if (btfSec !== undefined && btfSec.data.length > 0) {
    const b = parseBtf(btfSec.data);
    for (const d of b.diagnostics) report(btfSec.offset + d.offset, `.BTF: ${d.message}`);
    if (b.btf !== undefined) obj.btf = new Btf(b.btf);
  }
  const extSec = elf.sections.find((s) => s.name === '.BTF.ext');
  if (extSec !== undefined && extSec.data.length > 0) {
    const e = parseBtfExt(extSec.data, obj.btf?.raw, le, extSec.offset);
    diagnostics.push(...e.diagnostics);
    obj.btfExt = e.ext;
  }

  // License and version.
  const lic = elf.sections.find((s) => s.name === 'license');
  if (lic !== undefined) {
    const z = lic.data.indexOf(0);
    obj.license = new TextDecoder().decode(lic.data.subarray(0, z < 0 ? lic.data.length : z));
    if (z < 0) report(lic.offset, 'license section is not NUL-terminated');
  }
  const ver = elf.sections.find((s) => s.name === 'version');
  if (ver !== undefined) {
    if (ver.data.length === 4) obj.kernelVersion = new DataView(ver.data.buffer, ver.data.byteOffset, 4).getUint32(0, le);
    else report(ver.headerOffset + 32, `version section is ${ver.data.length} bytes, expected 4`);
  }

  // Maps.
  const mapsRel = new Map<number, string>();
  const dotMaps = elf.sections.find((s) => s.name === '.maps');
  for (const rs of elf.relocSections) {
    if (dotMaps === undefined || rs.target !== dotMaps.index) continue;
    for (const rel of rs.relocs) {
      const sym = elf.symbols[rel.sym];
      if (sym !== undefined) mapsRel.set(rel.offset, sym.name);
    }
  }
  obj.maps = [...btfMaps(elf, obj.btf, mapsRel, report), ...legacyMaps(elf, report), ...dataMaps(elf, obj.btf)];

  // Programs.
  for (const s of elf.sections) {
    if (s.type !== SHT.PROGBITS || (s.flags & BigInt(SHF.EXECINSTR)) === 0n || s.size === 0) continue;
    obj.programs.push(...sectionPrograms(elf, s, report));
  }

  // Externs.
  const externSec = externSections(obj.btf);
  const callees = new Set<string>();
  for (const rs of elf.relocSections) {
    const t = elf.sections[rs.target];
    if (t === undefined || (t.flags & BigInt(SHF.EXECINSTR)) === 0n) continue;
    for (const rel of rs.relocs) {
      const sym = elf.symbols[rel.sym];
      if (sym === undefined) continue;
      const prog = obj.programs.find((p) => p.sectionIndex === t.index && rel.offset >= p.offset && rel.offset < p.offset + p.size);
      const rr = classify(elf, obj, t, rel.offset, rel.type, sym, prog, externSec);
      if (rr.kind === 'kfunc') callees.add(sym.name);
      if (rr.kind === 'unknown') report(rel.fileOffset, `relocation at ${t.name}+${rel.offset} (symbol ${rr.symbol}): ${rr.message}`);
      obj.relocations.push(rr);
      prog?.relocations.push(rr);
    }
  }
  for (const y of elf.symbols) {
    if (y.index === 0 || y.shndx !== SHN.UNDEF || y.name === '') continue;
    const sec = externSec.get(y.name);
    const kind = callees.has(y.name) ? 'kfunc' : sec === '.kconfig' ? 'kconfig' : sec === '.ksyms' ? 'ksym' : guessExtern(y.name);
    obj.externs.push({ name: y.name, kind, weak: y.bind === STB.WEAK });
  }

  if (obj.btfExt !== undefined) attachBtfExt(obj, extSec?.offset ?? 0, report);
  return { object: obj, diagnostics };
}

function guessExtern(name: string): 'kconfig' | 'ksym' {
  return name.startsWith('CONFIG_') || name.startsWith('LINUX_') ? 'kconfig' : 'ksym';
}

function sectionPrograms(elf: Elf, s: ElfSection, report: (o: number, m: string) => void): BpfProgram[] {
  const isText = s.name === '.text';
  const match = isText ? undefined : matchSection(s.name);
  if (!isText && match === undefined) {
    report(s.headerOffset, `section '${s.name}': libbpf recognizes no program type for this name`);
  }
  const funcs = elf.symbols
    .filter((y) => y.shndx === s.index && y.type === STT.FUNC)
    .sort((a, b) => a.value - b.value);
  const spans: { name: string; offset: number; size: number; sym?: ElfSymbol }[] = [];
  if (funcs.length === 0) spans.push({ name: s.name, offset: 0, size: s.size });
  funcs.forEach((y, k) => {
    const next = k + 1 < funcs.length ? funcs[k + 1].value : s.size;
    let size = y.size > 0 ? y.size : next - y.value;
    if (y.value >= s.size) {
      report(y.fileOffset + 8, `function ${y.name} starts at ${y.value}, past the end of section ${s.name} (${s.size} bytes)`);
      return;
    }
    if (y.value + size > s.size) {
      report(y.fileOffset + 16, `function ${y.name} (${size} bytes at ${y.value}) runs past the end of section ${s.name}`);
      size = s.size - y.value;
    }
    if (y.value % 8 !== 0) report(y.fileOffset + 8, `function ${y.name} starts at ${y.value}, not a multiple of 8`);
    spans.push({ name: y.name, offset: y.value, size, sym: y });
  });
  return spans.map((sp) => {
    const d = decode(s.data.subarray(sp.offset, sp.offset + sp.size), { bigEndian: !elf.header.littleEndian });
    for (const e of d.diagnostics) report(s.offset + sp.offset + e.pc * 8, `${s.name}: ${sp.name}+${e.pc}: ${e.message}`);
    const def = match?.def;
    const p: BpfProgram = {
      name: sp.name, section: s.name, sectionIndex: s.index, offset: sp.offset, size: sp.size, insns: d.insns,
      subprog: isText,
      global: sp.sym?.bind === STB.GLOBAL,
      def, attachTarget: match?.target ?? '', sleepable: def?.sleepable ?? false,
      lines: [], coreRelos: [], relocations: [],
    };
    if (def !== undefined) {
      p.progType = PROG_TYPES.indexOf(def.progType);
      p.progTypeName = def.progType;
      if (def.attachType !== undefined) {
        p.attachType = ATTACH_TYPES.indexOf(def.attachType);
        p.attachTypeName = def.attachType;
      }
    }
    return p;
  });
}

const slotCache = new WeakMap<readonly Insn[], Int32Array>();

/** The instruction starting at slot `pc` of a program, or undefined (an lddw's second slot, out of range). */
export function insnAt(prog: BpfProgram, pc: number): Insn | undefined {
  let slots = slotCache.get(prog.insns);
  if (slots === undefined) {
    slots = slotIndex(prog.insns);
    slotCache.set(prog.insns, slots);
  }
  const k = pc >= 0 && pc < slots.length ? slots[pc] : -1;
  return k >= 0 ? prog.insns[k] : undefined;
}

function programAt(obj: BpfObject, sectionIndex: number, offset: number): BpfProgram | undefined {
  return obj.programs.find((p) => p.sectionIndex === sectionIndex && offset >= p.offset && offset < p.offset + p.size);
}

function classify(elf: Elf, obj: BpfObject, sec: ElfSection, offset: number, type: number, sym: ElfSymbol,
  prog: BpfProgram | undefined, externSec: Map<string, string>): BpfRelocation {
  const symbol = sym.name !== '' ? sym.name : (elf.sections[sym.shndx]?.name ?? '');
  const r: BpfRelocation = { kind: 'unknown', section: sec.name, offset, symbol, type };
  if (prog === undefined) {
    r.message = 'no program covers this offset';
    return r;
  }
  r.program = prog.name;
  const rel = offset - prog.offset;
  if (rel % 8 !== 0) {
    r.message = `offset is not at an instruction boundary (${rel} bytes into ${prog.name})`;
    return r;
  }
  r.pc = rel / 8;
  const insn = insnAt(prog, r.pc);
  if (insn === undefined) {
    r.message = `no instruction starts at pc ${r.pc} of ${prog.name}`;
    return r;
  }
  const kind = insn.spec.kind;
  const undef = sym.shndx === SHN.UNDEF;
  const symSec = !undef && sym.shndx < elf.sections.length ? elf.sections[sym.shndx] : undefined;
  const isExec = symSec !== undefined && (symSec.flags & BigInt(SHF.EXECINSTR)) !== 0n;
  if (kind === 'call') {
    if (insn.src !== BPF_PSEUDO.CALL) {
      r.message = `relocation on a call with src=${insn.src} (expected a pseudo call, src=1)`;
      return r;
    }
    if (undef) {
      r.kind = 'kfunc';
      r.pseudoSrc = BPF_PSEUDO.KFUNC_CALL;
      return r;
    }
    if (!isExec || symSec === undefined) {
      r.message = `call target ${symbol} is not in a code section`;
      return r;
    }
    r.kind = 'subprog_call';
    r.pseudoSrc = BPF_PSEUDO.CALL;
    r.targetOffset = sym.value + (insn.imm + 1) * 8;
    r.target = programAt(obj, symSec.index, r.targetOffset)?.name;
    if (r.target === undefined) {
      r.kind = 'unknown';
      r.message = `call target ${symSec.name}+${r.targetOffset} is not the start of a function`;
    }
    return r;
  }
  if (kind !== 'lddw') {
    r.message = `relocation on a ${insn.spec.name} instruction (only lddw and call are relocated)`;
    return r;
  }
  if (undef) {
    const sec = externSec.get(sym.name) ?? (guessExtern(sym.name) === 'kconfig' ? '.kconfig' : '.ksyms');
    if (sec === '.kconfig') {
      r.kind = 'kconfig';
      r.map = '.kconfig';
      r.pseudoSrc = BPF_PSEUDO.MAP_VALUE;
    } else {
      r.kind = 'ksym';
      r.pseudoSrc = BPF_PSEUDO.BTF_ID;
    }
    return r;
  }
  if (symSec === undefined) {
    r.message = `symbol ${symbol} has section index ${sym.shndx}, which holds nothing to relocate against`;
    return r;
  }
  if (isExec) {
    r.kind = 'func_ptr';
    r.pseudoSrc = BPF_PSEUDO.FUNC;
    r.targetOffset = sym.value + insn.imm;
    r.target = programAt(obj, symSec.index, r.targetOffset)?.name;
    if (r.target === undefined) {
      r.kind = 'unknown';
      r.message = `function pointer target ${symSec.name}+${r.targetOffset} is not in a function`;
    }
    return r;
  }
  if (symSec.name === '.maps' || symSec.name === 'maps') {
    const m = obj.maps.find((x) => x.sectionIndex === symSec.index && x.offset === sym.value + (sym.type === STT.SECTION ? insn.imm : 0));
    if (m === undefined) {
      r.message = `no map is defined at ${symSec.name}+${sym.value}`;
      return r;
    }
    r.kind = 'map';
    r.map = m.name;
    r.pseudoSrc = BPF_PSEUDO.MAP_FD;
    return r;
  }
  if (isDataSection(symSec)) {
    const m = obj.maps.find((x) => x.origin === 'data' && x.sectionIndex === symSec.index);
    r.kind = 'data';
    r.map = m?.name ?? symSec.name;
    r.dataOffset = sym.value + insn.imm;
    r.pseudoSrc = BPF_PSEUDO.MAP_VALUE;
    if (r.dataOffset < 0 || r.dataOffset >= Math.max(1, symSec.size)) {
      r.kind = 'unknown';
      r.message = `data offset ${r.dataOffset} is outside ${symSec.name} (${symSec.size} bytes)`;
    }
    return r;
  }
  r.message = `lddw refers to section ${symSec.name}, which is neither a map, global data nor code`;
  return r;
}

/** Distributes func_info, line_info and CO-RE records to programs (program-relative pcs). */
function attachBtfExt(obj: BpfObject, fileOffset: number, report: (o: number, m: string) => void): void {
  const ext = obj.btfExt!;
  const secIndex = new Map<string, number>();
  for (const s of obj.elf.sections) if (!secIndex.has(s.name)) secIndex.set(s.name, s.index);
  const place = (section: string, insnOff: number, what: string): { prog: BpfProgram; pc: number } | undefined => {
    const idx = secIndex.get(section);
    const prog = idx === undefined ? undefined : programAt(obj, idx, insnOff);
    if (prog === undefined || (insnOff - prog.offset) % 8 !== 0) {
      report(fileOffset, `.BTF.ext ${what}: ${section}+${insnOff} is not an instruction of any program`);
      return undefined;
    }
    return { prog, pc: (insnOff - prog.offset) / 8 };
  };
  for (const sec of ext.funcInfo) {
    for (const f of sec.records) {
      const at = place(sec.section, f.insnOff, 'func_info');
      if (at !== undefined && at.pc === 0) at.prog.funcTypeId = f.typeId;
    }
  }
  for (const sec of ext.lineInfo) {
    for (const l of sec.records) {
      const at = place(sec.section, l.insnOff, 'line_info');
      if (at !== undefined) at.prog.lines.push({ pc: at.pc, fileName: l.fileName, line: l.line, lineNum: l.lineNum, col: l.col });
    }
  }
  for (const sec of ext.coreRelos) {
    for (const c of sec.records) {
      const at = place(sec.section, c.insnOff, 'core_relo');
      if (at !== undefined) at.prog.coreRelos.push({ pc: at.pc, typeId: c.typeId, access: c.access, kind: c.kind, kindName: c.kindName });
    }
  }
}

/**
 * Writes a BPF object file that libbpf loads: program sections from
 * instructions, BTF-defined maps in `.maps` (the `__uint` encoding, BTF built
 * here), global data sections (.rodata, .data, .bss and their `.name`
 * variants), map, data, subprogram call and function address relocations, license and version, and
 * .BTF.ext func_info/line_info. CO-RE records and kfunc externs are not emitted.
 */
import { encode } from '../isa/codec';
import { type Insn, layout, slotIndex } from '../isa/insn';
import { BtfBuilder, LINKAGE } from '../btf/write';
import { type SectionSpec, type SymbolSpec, type RelocSpec, writeElf } from './write';
import { type ElfDiagnostic, R_BPF, SHF, STB, STT } from './types';

export interface EmitMap {
  name: string;
  /** BPF_MAP_TYPE_* number. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
}

export interface EmitReloc {
  /** Slot pc of the instruction in its program. */
  pc: number;
  /**
   * `map`: an lddw loading the map `target`; `call`: a call of the subprogram
   * `target` (in .text); `func`: an lddw of the address of the subprogram
   * `target` (in .text), e.g. a bpf_loop or bpf_for_each_map_elem callback
   * (libbpf turns it into src=4, BPF_PSEUDO_FUNC); `data`: an lddw of the
   * address `offset` bytes into the global data section `target` (e.g. `.rodata`).
   */
  kind: 'map' | 'call' | 'func' | 'data';
  target: string;
  offset?: number;
}

export interface EmitData {
  /** `.rodata`, `.data`, `.bss`, or `.rodata.NAME` / `.data.NAME` / `.bss.NAME`. */
  section: string;
  /** Initial contents (not for .bss). */
  bytes?: Uint8Array;
  /** Size of a .bss section. */
  size?: number;
  /** Named variables (symbols and BTF VARs, typed as byte arrays). */
  variables?: { name: string; offset: number; size: number }[];
}

export interface EmitLine {
  pc: number;
  lineNum: number;
  col?: number;
  /** The source line's text. */
  text: string;
}

export interface EmitProgram {
  name: string;
  /** SEC() name; `.text` makes it a subprogram. */
  section: string;
  insns: Insn[];
  relocs?: EmitReloc[];
  lines?: EmitLine[];
  /** Parameter names of its BTF prototype (all `void *`); default `['ctx']`. Callbacks take several. */
  params?: string[];
}

export interface EmitSpec {
  programs: EmitProgram[];
  maps?: EmitMap[];
  data?: EmitData[];
  /** Default "GPL". */
  license?: string;
  version?: number;
  bigEndian?: boolean;
  /** Source file name recorded in line_info. */
  fileName?: string;
}

export interface EmitResult {
  bytes: Uint8Array;
  diagnostics: ElfDiagnostic[];
}

const enc = new TextEncoder();

/** Builds the object; problems in the spec (unknown relocation targets...) become diagnostics with offset -1. */
export function emitObject(spec: EmitSpec): EmitResult {
  const diagnostics: ElfDiagnostic[] = [];
  const bad = (message: string): void => { diagnostics.push({ offset: -1, message }); };
  const le = !spec.bigEndian;
  const maps = spec.maps ?? [];

  // --- BTF: map definitions, program prototypes, line strings ---
  const b = new BtfBuilder({ bigEndian: spec.bigEndian });
  const tInt = b.addInt('int', 4, { signed: true });
  const tIdx = b.addInt('__ARRAY_SIZE_TYPE__', 4);
  const uintMember = (name: string, value: number, off: number): { name: string; type: number; bitOffset: number } => {
    const arr = b.addArray(tInt, tIdx, value);
    return { name, type: b.addPtr(arr), bitOffset: off * 64 };
  };
  const mapVars: { type: number; offset: number; size: number }[] = [];
  let mapsSize = 0;
  const mapOffset = new Map<string, { offset: number; size: number }>();
  for (const m of maps) {
    const fields: [string, number][] = [['type', m.type], ['max_entries', m.maxEntries]];
    if (m.keySize) fields.push(['key_size', m.keySize]);
    if (m.valueSize) fields.push(['value_size', m.valueSize]);
    if (m.flags) fields.push(['map_flags', m.flags]);
    const members = fields.map(([n, v], i) => uintMember(n, v, i));
    const size = 8 * members.length;
    const st = b.addStruct('', size, members);
    const v = b.addVar(m.name, st, LINKAGE.GLOBAL);
    if (mapOffset.has(m.name)) bad(`map ${m.name} is defined twice`);
    mapOffset.set(m.name, { offset: mapsSize, size });
    mapVars.push({ type: v, offset: mapsSize, size });
    mapsSize += size;
  }
  if (maps.length > 0) b.addDatasec('.maps', mapsSize, mapVars);
  const voidPtr = b.addPtr(0);
  const funcIds = new Map<EmitProgram, number>();
  for (const p of spec.programs) {
    const proto = b.addFuncProto(tInt, (p.params ?? ['ctx']).map((name) => ({ name, type: voidPtr })));
    funcIds.set(p, b.addFunc(p.name, proto, p.section === '.text' ? LINKAGE.STATIC : LINKAGE.GLOBAL));
  }
  const licenseText = spec.license ?? 'GPL';
  const licVar = b.addVar('LICENSE', b.addArray(b.addInt('char', 1, { signed: true }), tIdx, enc.encode(licenseText).length + 1), LINKAGE.GLOBAL);
  b.addDatasec('license', enc.encode(licenseText).length + 1, [{ type: licVar, offset: 0, size: enc.encode(licenseText).length + 1 }]);
  const fileOff = b.addString(spec.fileName ?? 'input');
  const tByte = b.addInt('unsigned char', 1);
  const dataSize = (d: EmitData): number => d.bytes?.length ?? d.size ?? 0;
  for (const d of spec.data ?? []) {
    const isBss = d.section === '.bss' || d.section.startsWith('.bss.');
    const okName = isBss || ['.data', '.rodata'].some((p) => d.section === p || d.section.startsWith(p + '.'));
    if (!okName) bad(`data section ${d.section}: libbpf only maps .data, .rodata and .bss (and their .NAME variants)`);
    if (isBss && d.bytes !== undefined) bad(`data section ${d.section}: .bss holds no initial bytes (give size)`);
    const size = dataSize(d);
    const vars = (d.variables ?? []).map((v) => {
      if (v.offset < 0 || v.offset + v.size > size) bad(`data section ${d.section}: variable ${v.name} (${v.size} bytes at ${v.offset}) is outside the section (${size} bytes)`);
      return { type: b.addVar(v.name, b.addArray(tByte, tIdx, v.size), LINKAGE.GLOBAL), offset: v.offset, size: v.size };
    });
    b.addDatasec(d.section, size, vars);
  }

  // --- sections: group programs by section, lay out code ---
  const sections: SectionSpec[] = [];
  const symbols: SymbolSpec[] = [];
  const secOrder: string[] = [];
  const bySection = new Map<string, EmitProgram[]>();
  for (const p of spec.programs) {
    if (!bySection.has(p.section)) { bySection.set(p.section, []); secOrder.push(p.section); }
    bySection.get(p.section)!.push(p);
  }
  // .text first so that subprogram symbols exist before relocations name them.
  secOrder.sort((a, c) => (a === '.text' ? -1 : c === '.text' ? 1 : 0));
  const progPlace = new Map<EmitProgram, { sec: number; offset: number; size: number }>();
  const secIndex = new Map<string, number>();
  const codes = new Map<string, Uint8Array>();
  const laidOut = new Map<EmitProgram, Insn[]>();
  for (const name of secOrder) {
    const progs = bySection.get(name)!;
    const chunks: Uint8Array[] = [];
    let off = 0;
    const idx = sections.length + 1;
    for (const p of progs) {
      // Copies laid out from slot 0, so the caller's instructions are left as they were.
      const insns = p.insns.map((i) => ({ ...i }));
      layout(insns);
      laidOut.set(p, insns);
      const code = encode(insns, { bigEndian: spec.bigEndian });
      progPlace.set(p, { sec: idx, offset: off, size: code.length });
      chunks.push(code);
      off += code.length;
    }
    const data = new Uint8Array(off);
    let at = 0;
    for (const c of chunks) { data.set(c, at); at += c.length; }
    codes.set(name, data);
    secIndex.set(name, idx);
    sections.push({ name, flags: BigInt(SHF.ALLOC | SHF.EXECINSTR), addralign: 8, content: { kind: 'bytes', data } });
  }
  let mapsSec = -1;
  if (maps.length > 0) {
    sections.push({ name: '.maps', flags: BigInt(SHF.WRITE | SHF.ALLOC), addralign: 8, content: { kind: 'bytes', data: new Uint8Array(mapsSize) } });
    mapsSec = sections.length;
  }
  const licData = enc.encode(licenseText + '\0');
  sections.push({ name: 'license', flags: BigInt(SHF.WRITE | SHF.ALLOC), addralign: 1, content: { kind: 'bytes', data: licData } });
  const licSec = sections.length;
  const dataSec = new Map<string, number>();
  for (const d of spec.data ?? []) {
    const isBss = d.section === '.bss' || d.section.startsWith('.bss.');
    const ro = d.section === '.rodata' || d.section.startsWith('.rodata.');
    sections.push({
      name: d.section, flags: BigInt(SHF.ALLOC | (ro ? 0 : SHF.WRITE)), addralign: 8,
      content: isBss ? { kind: 'nobits', size: dataSize(d) } : { kind: 'bytes', data: d.bytes ?? new Uint8Array(d.size ?? 0) },
    });
    dataSec.set(d.section, sections.length);
  }
  if (spec.version !== undefined) {
    const v = new Uint8Array(4);
    new DataView(v.buffer).setUint32(0, spec.version >>> 0, le);
    sections.push({ name: 'version', flags: BigInt(SHF.WRITE | SHF.ALLOC), addralign: 4, content: { kind: 'bytes', data: v } });
  }

  // --- symbols ---
  const symIndex = new Map<string, number>();
  const addSym = (s: SymbolSpec): number => { symbols.push(s); return symbols.length; };
  for (const [p, pl] of progPlace) {
    symIndex.set(`func:${p.name}`, addSym({ name: p.name, value: pl.offset, size: pl.size, bind: p.section === '.text' ? STB.LOCAL : STB.GLOBAL, type: STT.FUNC, shndx: pl.sec }));
  }
  for (const m of maps) {
    const o = mapOffset.get(m.name)!;
    symIndex.set(`map:${m.name}`, addSym({ name: m.name, value: o.offset, size: o.size, bind: STB.GLOBAL, type: STT.OBJECT, shndx: mapsSec }));
  }
  addSym({ name: 'LICENSE', value: 0, size: licData.length, bind: STB.GLOBAL, type: STT.OBJECT, shndx: licSec });
  const dataSym = new Map<string, number>();
  for (const d of spec.data ?? []) {
    const idx = dataSec.get(d.section)!;
    // Data references go through the section symbol with the offset in the instruction, as clang emits static variables.
    dataSym.set(d.section, addSym({ name: '', value: 0, size: 0, bind: STB.LOCAL, type: STT.SECTION, shndx: idx }));
    for (const v of d.variables ?? []) addSym({ name: v.name, value: v.offset, size: v.size, bind: STB.GLOBAL, type: STT.OBJECT, shndx: idx });
  }
  // Calls of static subprograms go through the .text section symbol (libbpf's rule for local functions).
  const textSym = secIndex.has('.text') ? addSym({ name: '', value: 0, size: 0, bind: STB.LOCAL, type: STT.SECTION, shndx: secIndex.get('.text')! }) : undefined;

  // --- relocations (and the instruction fields clang would leave) ---
  for (const name of secOrder) {
    const relocs: RelocSpec[] = [];
    for (const p of bySection.get(name)!) {
      const pl = progPlace.get(p)!;
      const insns = laidOut.get(p)!;
      const slots = slotIndex(insns);
      for (const r of p.relocs ?? []) {
        const k = r.pc >= 0 && r.pc < slots.length ? slots[r.pc] : -1;
        const insn = k >= 0 ? insns[k] : undefined;
        if (insn === undefined) { bad(`${p.name}: relocation at pc ${r.pc}: no instruction starts there`); continue; }
        const at = pl.offset + r.pc * 8;
        const code = codes.get(name)!;
        const dv = new DataView(code.buffer, code.byteOffset, code.byteLength);
        if (r.kind === 'map') {
          const sym = symIndex.get(`map:${r.target}`);
          if (insn.spec.kind !== 'lddw') { bad(`${p.name}: relocation at pc ${r.pc}: a map reference needs an lddw, found ${insn.spec.name}`); continue; }
          if (sym === undefined) { bad(`${p.name}: relocation at pc ${r.pc}: no map named ${r.target}`); continue; }
          // src=0, imm=0 in both halves: libbpf fills in the map fd.
          code[at + 1] &= le ? 0x0f : 0xf0;
          dv.setInt32(at + 4, 0, le);
          dv.setInt32(at + 12, 0, le);
          relocs.push({ offset: at, sym, type: R_BPF.R64_64 });
        } else if (r.kind === 'data') {
          const sym = dataSym.get(r.target);
          const d = (spec.data ?? []).find((x) => x.section === r.target);
          const off = r.offset ?? 0;
          if (insn.spec.kind !== 'lddw') { bad(`${p.name}: relocation at pc ${r.pc}: a data reference needs an lddw, found ${insn.spec.name}`); continue; }
          if (sym === undefined || d === undefined) { bad(`${p.name}: relocation at pc ${r.pc}: no data section named ${r.target}`); continue; }
          if (off < 0 || off >= Math.max(1, dataSize(d))) { bad(`${p.name}: relocation at pc ${r.pc}: offset ${off} is outside ${r.target} (${dataSize(d)} bytes)`); continue; }
          code[at + 1] &= le ? 0x0f : 0xf0;
          dv.setInt32(at + 4, off, le);
          dv.setInt32(at + 12, 0, le);
          relocs.push({ offset: at, sym, type: R_BPF.R64_64 });
        } else if (r.kind === 'func') {
          // As clang emits a function address: src=0, imm = the function's byte offset in .text,
          // R_BPF_64_64 against the .text section symbol (libbpf sets src=4 and the relative offset).
          const target = spec.programs.find((x) => x.name === r.target && x.section === '.text');
          if (insn.spec.kind !== 'lddw') { bad(`${p.name}: relocation at pc ${r.pc}: a function address needs an lddw, found ${insn.spec.name}`); continue; }
          if (target === undefined || textSym === undefined) { bad(`${p.name}: relocation at pc ${r.pc}: no subprogram named ${r.target} in .text`); continue; }
          code[at + 1] &= le ? 0x0f : 0xf0;
          dv.setInt32(at + 4, progPlace.get(target)!.offset, le);
          dv.setInt32(at + 12, 0, le);
          relocs.push({ offset: at, sym: textSym, type: R_BPF.R64_64 });
        } else {
          const target = spec.programs.find((x) => x.name === r.target && x.section === '.text');
          if (insn.spec.kind !== 'call' || insn.src !== 1) { bad(`${p.name}: relocation at pc ${r.pc}: a subprogram call needs a local call (src=1), found ${insn.spec.name}`); continue; }
          if (target === undefined || textSym === undefined) { bad(`${p.name}: relocation at pc ${r.pc}: no subprogram named ${r.target} in .text`); continue; }
          dv.setInt32(at + 4, progPlace.get(target)!.offset / 8 - 1, le);
          relocs.push({ offset: at, sym: textSym, type: R_BPF.R64_32 });
        }
      }
    }
    if (relocs.length > 0) {
      sections.push({ name: `.rel${name}`, content: { kind: 'relocs', rela: false, target: secIndex.get(name)!, relocs } });
    }
  }

  // --- BTF.ext: func_info for every program, line_info when given ---
  const funcRecs = new Map<string, [number, number][]>();
  const lineRecs = new Map<string, [number, number, number, number][]>();
  // libbpf and the kernel want line info for every function, starting at its first instruction.
  const anyLines = spec.programs.some((p) => (p.lines ?? []).length > 0);
  for (const [p, pl] of progPlace) {
    (funcRecs.get(p.section) ?? funcRecs.set(p.section, []).get(p.section)!).push([pl.offset, funcIds.get(p)!]);
    const lines = (p.lines ?? []).slice().sort((a, c) => a.pc - c.pc);
    if (anyLines && (lines.length === 0 || lines[0].pc !== 0)) lines.unshift({ pc: 0, lineNum: lines[0]?.lineNum ?? 0, text: lines[0]?.text ?? '' });
    for (const l of lines) {
      const lr = lineRecs.get(p.section) ?? lineRecs.set(p.section, []).get(p.section)!;
      lr.push([pl.offset + l.pc * 8, fileOff, b.addString(l.text), (l.lineNum << 10) | ((l.col ?? 0) & 0x3ff)]);
    }
  }
  const secNameOff = new Map<string, number>();
  for (const name of secOrder) secNameOff.set(name, b.addString(name));
  const btf = b.encode();
  const ext = encodeBtfExt(secOrder, secNameOff, funcRecs, lineRecs, le);
  sections.push({ name: '.BTF', addralign: 4, content: { kind: 'bytes', data: btf } });
  sections.push({ name: '.BTF.ext', addralign: 4, content: { kind: 'bytes', data: ext } });

  const bytes = writeElf({ littleEndian: le, sections, symbols });
  return { bytes, diagnostics };
}

function encodeBtfExt(order: string[], names: Map<string, number>, funcs: Map<string, [number, number][]>,
  lines: Map<string, [number, number, number, number][]>, le: boolean): Uint8Array {
  const block = (recSize: number, recs: Map<string, number[][]>): number[] => {
    const words: number[] = [recSize];
    for (const s of order) {
      const list = (recs.get(s) ?? []).slice().sort((a, c) => a[0] - c[0]);
      if (list.length === 0) continue;
      words.push(names.get(s)!, list.length);
      for (const r of list) words.push(...r);
    }
    return words.length > 1 ? words : [];
  };
  const f = block(8, funcs);
  const l = block(16, lines);
  const hdr = 32;
  const out = new Uint8Array(hdr + 4 * (f.length + l.length));
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, le);
  out[2] = 1;
  dv.setUint32(4, hdr, le);
  dv.setUint32(8, 0, le);
  dv.setUint32(12, 4 * f.length, le);
  dv.setUint32(16, 4 * f.length, le);
  dv.setUint32(20, 4 * l.length, le);
  dv.setUint32(24, 4 * (f.length + l.length), le);
  dv.setUint32(28, 0, le);
  [...f, ...l].forEach((w, i) => dv.setUint32(hdr + 4 * i, w >>> 0, le));
  return out;
}

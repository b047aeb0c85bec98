/**
 * Maps of a BPF object as libbpf sees them: BTF-defined maps in `.maps`
 * (`__uint`, `__type`, `__array` encodings, inner maps, initial slots), legacy
 * `struct bpf_map_def` entries in `maps`, and global data sections as
 * single-entry array maps. No map creation; sizes come from BTF and ELF only.
 */
import type { Btf } from '../btf/types';
import { KIND } from '../btf/format';
import { type Elf, type ElfSection, SHT, STT } from './types';

/** enum bpf_map_type (uapi/linux/bpf.h). */
export const MAP_TYPES: readonly string[] = [
  'UNSPEC', 'HASH', 'ARRAY', 'PROG_ARRAY', 'PERF_EVENT_ARRAY', 'PERCPU_HASH', 'PERCPU_ARRAY', 'STACK_TRACE',
  'CGROUP_ARRAY', 'LRU_HASH', 'LRU_PERCPU_HASH', 'LPM_TRIE', 'ARRAY_OF_MAPS', 'HASH_OF_MAPS', 'DEVMAP', 'SOCKMAP',
  'CPUMAP', 'XSKMAP', 'SOCKHASH', 'CGROUP_STORAGE', 'REUSEPORT_SOCKARRAY', 'PERCPU_CGROUP_STORAGE', 'QUEUE',
  'STACK', 'SK_STORAGE', 'DEVMAP_HASH', 'STRUCT_OPS', 'RINGBUF', 'INODE_STORAGE', 'TASK_STORAGE', 'BLOOM_FILTER',
  'USER_RINGBUF', 'CGRP_STORAGE', 'ARENA',
];

export function mapTypeName(t: number): string {
  return MAP_TYPES[t] ?? `unknown(${t})`;
}

/** Map flags libbpf sets on global data maps. */
export const BPF_F_RDONLY_PROG = 0x80;
export const BPF_F_MMAPABLE = 0x400;

export type MapOrigin = 'btf' | 'legacy' | 'data';

export interface MapVariable {
  name: string;
  offset: number;
  size: number;
}

export interface BpfMap {
  name: string;
  origin: MapOrigin;
  section: string;
  sectionIndex: number;
  /** Offset of the definition (btf, legacy) in its section; 0 for data maps. */
  offset: number;
  type: number;
  typeName: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  numaNode?: number;
  pinning?: number;
  mapExtra?: bigint;
  /** BTF ids of the key and value types (`__type`). */
  keyType?: number;
  valueType?: number;
  /** Inner map definition for maps of maps (`__array(values, struct ...)`). */
  inner?: BpfMap;
  /** Initial slots of map-in-map and prog arrays: slot index and the map or program it holds. */
  init?: { slot: number; target: string }[];
  /** Data maps: variables by offset (from BTF DATASEC or symbols). */
  variables?: MapVariable[];
  /** Data maps: initial contents (undefined for .bss). */
  initial?: Uint8Array;
}

type Report = (offset: number, message: string) => void;

/** Is this section a global-data section (libbpf: .data, .data.*, .rodata, .rodata.*, .bss, .bss.*)? */
export function isDataSection(s: ElfSection): boolean {
  const n = s.name;
  const pfx = (p: string): boolean => n === p || n.startsWith(p + '.');
  if (s.type === SHT.NOBITS) return pfx('.bss');
  return s.type === SHT.PROGBITS && (pfx('.data') || pfx('.rodata'));
}

/** Global data sections as array maps. */
export function dataMaps(elf: Elf, btf: Btf | undefined): BpfMap[] {
  const out: BpfMap[] = [];
  for (const s of elf.sections) {
    if (!isDataSection(s) || s.size === 0) continue;
    const rodata = s.name === '.rodata' || s.name.startsWith('.rodata.');
    const m: BpfMap = {
      name: s.name, origin: 'data', section: s.name, sectionIndex: s.index, offset: 0,
      type: 2, typeName: 'ARRAY', keySize: 4, valueSize: s.size, maxEntries: 1,
      flags: BPF_F_MMAPABLE | (rodata ? BPF_F_RDONLY_PROG : 0),
      variables: dataVariables(elf, s, btf),
      initial: s.type === SHT.NOBITS ? undefined : s.data,
    };
    const ds = btf?.find(s.name, KIND.DATASEC);
    if (ds !== undefined) m.valueType = ds;
    out.push(m);
  }
  return out;
}

function dataVariables(elf: Elf, s: ElfSection, btf: Btf | undefined): MapVariable[] {
  const ds = btf?.find(s.name, KIND.DATASEC);
  const fromSyms = elf.symbols
    .filter((y) => y.shndx === s.index && (y.type === STT.OBJECT || (y.type === STT.NOTYPE && y.name !== '')))
    .map((y) => ({ name: y.name, offset: y.value, size: y.size }));
  // Static variables have no symbol in some objects; BTF's DATASEC names them (offsets may be unset in .o files).
  if (btf !== undefined && ds !== undefined) {
    const t = btf.typeAs(ds, KIND.DATASEC);
    const have = new Set(fromSyms.map((v) => v.name));
    for (const v of t?.vars ?? []) {
      const name = btf.name(v.type);
      if (!have.has(name)) fromSyms.push({ name, offset: v.offset, size: v.size });
    }
  }
  return fromSyms.sort((a, b) => a.offset - b.offset);
}

/** Legacy `maps` section: one struct bpf_map_def per symbol. */
export function legacyMaps(elf: Elf, report: Report): BpfMap[] {
  const out: BpfMap[] = [];
  const le = elf.header.littleEndian;
  for (const s of elf.sections) {
    if (s.name !== 'maps' || s.type !== SHT.PROGBITS) continue;
    const syms = elf.symbols.filter((y) => y.shndx === s.index && y.name !== '' && y.type !== STT.SECTION).sort((a, b) => a.value - b.value);
    if (syms.length === 0) {
      if (s.size > 0) report(s.headerOffset, `legacy maps section [${s.index}] has no map symbols`);
      continue;
    }
    const defSize = Math.floor(s.size / syms.length);
    if (defSize < 16 || s.size % syms.length !== 0) {
      report(s.headerOffset + 32, `legacy maps section [${s.index}]: size ${s.size} is not ${syms.length} map definitions of at least 16 bytes`);
      continue;
    }
    const dv = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
    for (const y of syms) {
      if (y.value + 16 > s.data.length) {
        report(y.fileOffset + 8, `legacy map ${y.name}: definition at offset ${y.value} is outside the section`);
        continue;
      }
      const u32 = (k: number): number => (y.value + 4 * k + 4 <= s.data.length && 4 * k < defSize ? dv.getUint32(y.value + 4 * k, le) : 0);
      const type = u32(0);
      out.push({
        name: y.name, origin: 'legacy', section: s.name, sectionIndex: s.index, offset: y.value,
        type, typeName: mapTypeName(type), keySize: u32(1), valueSize: u32(2), maxEntries: u32(3), flags: u32(4),
      });
    }
  }
  return out;
}

/**
 * BTF-defined maps: the variables of the `.maps` DATASEC. `rel` gives, for a
 * byte offset in `.maps`, the name of the symbol a relocation puts there
 * (initial slots of maps of maps and prog arrays).
 */
export function btfMaps(elf: Elf, btf: Btf | undefined, rel: Map<number, string>, report: Report): BpfMap[] {
  const sec = elf.sections.find((s) => s.name === '.maps');
  if (sec === undefined) return [];
  if (btf === undefined) {
    report(sec.headerOffset, 'section .maps needs BTF to describe its maps, and the object has no usable .BTF');
    return [];
  }
  const ds = btf.find('.maps', KIND.DATASEC);
  const t = ds === undefined ? undefined : btf.typeAs(ds, KIND.DATASEC);
  if (t === undefined) {
    report(sec.headerOffset, 'BTF has no DATASEC .maps describing the .maps section');
    return [];
  }
  const out: BpfMap[] = [];
  for (const v0 of t.vars) {
    const name = btf.name(v0.type);
    // In clang's objects DATASEC offsets are not filled in yet: the symbol has them.
    const sym = elf.symbols.find((y) => y.shndx === sec.index && y.name === name && y.type !== STT.SECTION);
    const v = sym === undefined ? v0 : { type: v0.type, offset: sym.value, size: sym.size };
    const varT = btf.typeAs(v.type, KIND.VAR);
    if (varT === undefined) {
      report(sec.offset + v.offset, `.maps entry at offset ${v.offset} is not a BTF VAR (type [${v.type}])`);
      continue;
    }
    const m = mapDef(btf, btf.resolve(varT.type), name, sec, v.offset, report, 0);
    if (m === undefined) continue;
    const valuesOff = valuesMemberOffset(btf, btf.resolve(varT.type));
    if (valuesOff !== undefined) {
      const init: { slot: number; target: string }[] = [];
      for (const [off, target] of rel) {
        const k = off - v.offset - valuesOff;
        if (k >= 0 && off < v.offset + v.size && k % 8 === 0) init.push({ slot: k / 8, target });
      }
      if (init.length > 0) m.init = init.sort((a, b) => a.slot - b.slot);
    }
    out.push(m);
  }
  return out;
}

function valuesMemberOffset(btf: Btf, structId: number): number | undefined {
  const s = btf.typeAs(structId, KIND.STRUCT);
  const mem = s?.members.find((x) => x.name === 'values');
  return mem === undefined ? undefined : mem.bitOffset / 8;
}

/** The value of a `__uint(name, N)` member: a pointer to an array of N elements. */
function uintValue(btf: Btf, type: number): number | undefined {
  const p = btf.typeAs(btf.skipModifiers(type), KIND.PTR);
  if (p === undefined) return undefined;
  const a = btf.typeAs(btf.skipModifiers(p.type), KIND.ARRAY);
  return a?.nelems;
}

function mapDef(btf: Btf, structId: number, name: string, sec: ElfSection, off: number, report: Report, depth: number): BpfMap | undefined {
  const at = sec.offset + off;
  const s = btf.typeAs(structId, KIND.STRUCT);
  if (s === undefined) {
    report(at, `map ${name}: its BTF type [${structId}] is a ${btf.kindName(structId)}, expected a struct`);
    return undefined;
  }
  const m: BpfMap = {
    name, origin: 'btf', section: sec.name, sectionIndex: sec.index, offset: off,
    type: 0, typeName: 'UNSPEC', keySize: 0, valueSize: 0, maxEntries: 0, flags: 0,
  };
  for (const mem of s.members) {
    const num = (): number | undefined => {
      const n = uintValue(btf, mem.type);
      if (n === undefined) report(at, `map ${name}: member '${mem.name}' must be __uint(${mem.name}, N) (a pointer to an array)`);
      return n;
    };
    const pointee = (): number | undefined => {
      const p = btf.typeAs(btf.skipModifiers(mem.type), KIND.PTR);
      if (p === undefined) report(at, `map ${name}: member '${mem.name}' must be __type(${mem.name}, T) (a pointer)`);
      return p?.type;
    };
    switch (mem.name) {
      case 'type': m.type = num() ?? 0; m.typeName = mapTypeName(m.type); break;
      case 'max_entries': m.maxEntries = num() ?? 0; break;
      case 'map_flags': m.flags = num() ?? 0; break;
      case 'numa_node': m.numaNode = num(); break;
      case 'pinning': m.pinning = num(); break;
      case 'key_size': checkSize(m, 'key', num(), at, report); break;
      case 'value_size': checkSize(m, 'value', num(), at, report); break;
      case 'map_extra': {
        const n = uintValue(btf, mem.type);
        const e = btf.typeAs(btf.skipModifiers(mem.type), KIND.ENUM64) ?? btf.typeAs(btf.skipModifiers(mem.type), KIND.ENUM);
        if (n !== undefined) m.mapExtra = BigInt(n);
        else if (e !== undefined && e.values.length === 1) m.mapExtra = BigInt(e.values[0].value);
        else report(at, `map ${name}: member 'map_extra' has an unsupported encoding`);
        break;
      }
      case 'key': case 'value': {
        const t = pointee();
        if (t === undefined) break;
        const size = btf.sizeof(t);
        if (size === undefined) {
          report(at, `map ${name}: cannot size the ${mem.name} type [${t}]`);
          break;
        }
        if (mem.name === 'key') m.keyType = t;
        else m.valueType = t;
        checkSize(m, mem.name, size, at, report);
        break;
      }
      case 'values': {
        const arr = btf.typeAs(btf.skipModifiers(mem.type), KIND.ARRAY);
        const elem = arr === undefined ? undefined : btf.typeAs(btf.skipModifiers(arr.type), KIND.PTR);
        if (elem === undefined) {
          report(at, `map ${name}: member 'values' must be __array(values, T) (an array of pointers)`);
          break;
        }
        const target = btf.resolve(elem.type);
        if (btf.kind(target) === KIND.STRUCT && depth === 0) {
          const inner = mapDef(btf, target, `${name}.inner`, sec, off, report, depth + 1);
          if (inner !== undefined) m.inner = inner;
        } else if (btf.kind(target) !== KIND.FUNC_PROTO) {
          report(at, `map ${name}: 'values' must point to a map definition or a function prototype`);
        }
        if (m.keySize === 0) m.keySize = 4;
        m.valueSize = 4;
        break;
      }
      default:
        report(at, `map ${name}: unknown map definition member '${mem.name}'`);
    }
  }
  if (depth === 0 && m.type === 0) report(at, `map ${name}: no map type (missing __uint(type, ...))`);
  return m;
}

function checkSize(m: BpfMap, which: 'key' | 'value', size: number | undefined, at: number, report: Report): void {
  if (size === undefined) return;
  const cur = which === 'key' ? m.keySize : m.valueSize;
  if (cur !== 0 && cur !== size) report(at, `map ${m.name}: ${which} size ${size} conflicts with ${cur}`);
  if (which === 'key') m.keySize = size;
  else m.valueSize = size;
}

/** The .kconfig / .ksyms extern variables named in BTF DATASECs (libbpf's way of telling them apart). */
export function externSections(btf: Btf | undefined): Map<string, '.kconfig' | '.ksyms'> {
  const out = new Map<string, '.kconfig' | '.ksyms'>();
  if (btf === undefined) return out;
  for (const sec of ['.kconfig', '.ksyms'] as const) {
    const id = btf.find(sec, KIND.DATASEC);
    const t = id === undefined ? undefined : btf.typeAs(id, KIND.DATASEC);
    for (const v of t?.vars ?? []) out.set(btf.name(v.type), sec);
  }
  return out;
}

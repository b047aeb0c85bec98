/**
 * DWARF 4 and 5 reader for function prototypes and types: walks the units of
 * .debug_info with their .debug_abbrev tables (strings from .debug_str,
 * .debug_line_str and .debug_str_offsets, addresses from .debug_addr) and
 * returns every named subprogram with its formal parameters, plus the type
 * graph (base types, pointers, typedefs, qualifiers, structs/unions with
 * members, enums, arrays). Never throws: a malformed unit becomes a
 * diagnostic and the walk goes on with the next one. Non-goals: line tables,
 * location expressions, type units, split DWARF (.dwo) and dwz alternate files.
 */
import {
  DW_AT, DW_FORM, DW_TAG,
  type DwarfDiagnostic, type DwarfFunction, type DwarfInfo, type DwarfMember, type DwarfParam, type DwarfSections,
  type DwarfType, type DwarfUnit,
} from './dwarf-types';
import { stringAt } from './elf64';
import { Cur, intOf, isRef, memberLocation, num, small, Stop, type Val } from './dwarf-cursor';

interface AbbrevSpec { at: number; form: number; implicit?: bigint; keep: boolean }
/** `keep`: a tag the model records (other DIEs are skipped without decoding their attributes). */
interface Abbrev { tag: number; children: boolean; specs: AbbrevSpec[]; keep: boolean }

/** Tags the model records. */
const KEPT_TAGS = new Set<number>([
  DW_TAG.compile_unit, DW_TAG.partial_unit, DW_TAG.skeleton_unit, DW_TAG.type_unit, DW_TAG.base_type, DW_TAG.pointer_type,
  DW_TAG.reference_type, DW_TAG.rvalue_reference_type, DW_TAG.typedef, DW_TAG.const_type, DW_TAG.volatile_type,
  DW_TAG.restrict_type, DW_TAG.atomic_type, DW_TAG.structure_type, DW_TAG.union_type, DW_TAG.class_type, DW_TAG.member,
  DW_TAG.enumeration_type, DW_TAG.enumerator, DW_TAG.array_type, DW_TAG.subrange_type, DW_TAG.subroutine_type,
  DW_TAG.unspecified_type, DW_TAG.subprogram, DW_TAG.formal_parameter, DW_TAG.unspecified_parameters,
]);
/** Attributes the model reads (the others are skipped). */
const KEPT_ATS = new Set<number>([
  DW_AT.name, DW_AT.type, DW_AT.byte_size, DW_AT.bit_size, DW_AT.bit_offset, DW_AT.data_bit_offset, DW_AT.encoding,
  DW_AT.upper_bound, DW_AT.count, DW_AT.data_member_location, DW_AT.declaration, DW_AT.external, DW_AT.abstract_origin,
  DW_AT.specification, DW_AT.low_pc, DW_AT.const_value, DW_AT.str_offsets_base, DW_AT.addr_base, DW_AT.GNU_addr_base,
  DW_AT.producer,
]);


interface UnitCtx {
  unit: DwarfUnit;
  start: number;
  end: number;
  strBase?: number;
  addrBase?: number;
}

interface NamedDie { name?: string; type?: number; origin?: number }

interface PendingFn {
  offset: number;
  unit: number;
  die: NamedDie;
  lowPc?: bigint;
  declaration: boolean;
  external: boolean;
  params: { offset: number; die: NamedDie }[];
  variadic: boolean;
}

/** What a DIE on the parent stack collects from its children. */
type Frame =
  | { kind: 'unit' }
  | { kind: 'struct'; t: Extract<DwarfType, { kind: 'struct' | 'union' | 'class' }> }
  | { kind: 'enum'; t: Extract<DwarfType, { kind: 'enum' }> }
  | { kind: 'array'; t: Extract<DwarfType, { kind: 'array' }> }
  | { kind: 'fn'; f: PendingFn }
  | { kind: 'other' };

const OTHER: Frame = { kind: 'other' };
const MAX_DIAGNOSTICS = 100;
const MAX_DEPTH = 256;

class Reader {
  readonly diagnostics: DwarfDiagnostic[] = [];
  readonly units: DwarfUnit[] = [];
  readonly types = new Map<number, DwarfType>();
  readonly topStructs = new Map<string, number>();
  private readonly abbrevs = new Map<number, Map<number, Abbrev> | undefined>();
  private readonly named = new Map<number, NamedDie>();
  private readonly fns: PendingFn[] = [];
  private readonly warned = new Set<string>();
  private readonly attrs = new Map<number, Val>();
  private readonly strCache = new Map<number, string>();

  constructor(private readonly s: DwarfSections) {}

  diag(section: string, offset: number, message: string): void {
    if (this.diagnostics.length < MAX_DIAGNOSTICS) this.diagnostics.push({ section, offset, message });
  }

  /** One diagnostic per kind of unsupported input. */
  once(key: string, section: string, offset: number, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.diag(section, offset, message);
  }

  abbrevTable(off: number): Map<number, Abbrev> | undefined {
    if (this.abbrevs.has(off)) return this.abbrevs.get(off);
    const sec = this.s.abbrev;
    let table: Map<number, Abbrev> | undefined;
    if (!sec || off >= sec.length) {
      this.diag('.debug_abbrev', off, sec ? `abbreviation table offset ${off} is past the end (size ${sec.length})` : 'no .debug_abbrev section');
    } else {
      const c = new Cur(sec, off, this.s.littleEndian, '.debug_abbrev');
      table = new Map();
      try {
        for (;;) {
          const code = c.ulebN();
          if (code === 0) break;
          const tag = c.ulebN();
          const children = c.u8() !== 0;
          const specs: AbbrevSpec[] = [];
          for (;;) {
            const at = c.ulebN();
            const form = c.ulebN();
            if (at === 0 && form === 0) break;
            const keep = KEPT_ATS.has(at);
            specs.push(form === DW_FORM.implicit_const ? { at, form, implicit: c.sleb(), keep } : { at, form, keep });
          }
          table.set(code, { tag, children, specs, keep: KEPT_TAGS.has(tag) });
        }
      } catch (e) {
        if (!(e instanceof Stop)) throw e;
        this.diag('.debug_abbrev', e.offset, e.message);
      }
    }
    this.abbrevs.set(off, table);
    return table;
  }

  str(sec: Uint8Array | undefined, name: string, off: number): string | undefined {
    if (!sec) {
      this.once(`nosec${name}`, name, off, `a string refers to ${name}, which the file does not have`);
      return undefined;
    }
    const cached = sec === this.s.str ? this.strCache.get(off) : undefined;
    if (cached !== undefined) return cached;
    const s = stringAt(sec, off);
    if (s === undefined) this.diag(name, off, `string offset ${off} is past the end of ${name} (size ${sec.length})`);
    else if (sec === this.s.str) this.strCache.set(off, s);
    return s;
  }

  /** A reader at entry `idx` of an index table (.debug_str_offsets, .debug_addr), or undefined with a diagnostic. */
  entry(sec: Uint8Array | undefined, name: string, base: number, idx: number, size: number, what: string): Cur | undefined {
    const at = base + idx * size;
    if (!sec || at + size > sec.length) {
      this.diag(name, at, `${what} index ${idx} is outside ${name}`);
      return undefined;
    }
    return new Cur(sec, at, this.s.littleEndian, name);
  }

  strx(u: UnitCtx, idx: number): string | undefined {
    const size = u.unit.offsetSize;
    const c = this.entry(this.s.strOffsets, '.debug_str_offsets', u.strBase ?? 8, idx, size, 'string');
    return c && this.str(this.s.str, '.debug_str', c.off(size));
  }

  addrx(u: UnitCtx, idx: number): bigint | undefined {
    const size = u.unit.addressSize;
    const c = this.entry(this.s.addr, '.debug_addr', u.addrBase ?? 8, idx, size, 'address');
    return c && (size === 8 ? c.u64() : BigInt(c.u32()));
  }

  /** Reads one attribute value of `form`; strx/addrx stay pending until the unit's bases are known. */
  value(c: Cur, u: UnitCtx, form: number, implicit: bigint | undefined, depth = 0): Val {
    const os = u.unit.offsetSize;
    switch (form) {
      case DW_FORM.addr: return u.unit.addressSize === 8 ? c.u64() : BigInt(c.u32());
      case DW_FORM.data1: return c.u8();
      case DW_FORM.data2: return c.u16();
      case DW_FORM.data4: return c.u32();
      case DW_FORM.data8: return small(c.u64());
      case DW_FORM.data16: return c.bytes(16);
      case DW_FORM.sdata: return small(c.sleb());
      case DW_FORM.udata: return small(c.uleb());
      case DW_FORM.implicit_const: return small(implicit ?? 0n);
      case DW_FORM.flag: return c.u8() !== 0;
      case DW_FORM.flag_present: return true;
      case DW_FORM.string: return c.cstr();
      case DW_FORM.strp: return this.str(this.s.str, '.debug_str', c.off(os));
      case DW_FORM.line_strp: return this.str(this.s.lineStr, '.debug_line_str', c.off(os));
      case DW_FORM.strx: case DW_FORM.GNU_str_index: return this.pendingStr(u, c.ulebN());
      case DW_FORM.strx1: return this.pendingStr(u, c.u8());
      case DW_FORM.strx2: return this.pendingStr(u, c.u16());
      case DW_FORM.strx3: return this.pendingStr(u, c.u24());
      case DW_FORM.strx4: return this.pendingStr(u, c.u32());
      case DW_FORM.addrx: case DW_FORM.GNU_addr_index: return this.pendingAddr(u, c.ulebN());
      case DW_FORM.addrx1: return this.pendingAddr(u, c.u8());
      case DW_FORM.addrx2: return this.pendingAddr(u, c.u16());
      case DW_FORM.addrx3: return this.pendingAddr(u, c.u24());
      case DW_FORM.addrx4: return this.pendingAddr(u, c.u32());
      case DW_FORM.ref1: return { ref: u.start + c.u8() };
      case DW_FORM.ref2: return { ref: u.start + c.u16() };
      case DW_FORM.ref4: return { ref: u.start + c.u32() };
      case DW_FORM.ref8: return { ref: u.start + num(c.u64()) };
      case DW_FORM.ref_udata: return { ref: u.start + c.ulebN() };
      case DW_FORM.ref_addr: return { ref: c.off(u.unit.version <= 2 ? u.unit.addressSize : os) };
      case DW_FORM.ref_sig8:
        c.u64();
        this.once('sig8', '.debug_info', c.pos - 8, 'type units (DW_FORM_ref_sig8, -fdebug-types-section) are not supported: those types are unknown');
        return undefined;
      case DW_FORM.ref_sup4: case DW_FORM.ref_sup8: case DW_FORM.strp_sup: case DW_FORM.GNU_ref_alt: case DW_FORM.GNU_strp_alt:
        c.off(form === DW_FORM.ref_sup4 ? 4 : form === DW_FORM.ref_sup8 ? 8 : os);
        this.once('sup', '.debug_info', c.pos, 'references into a supplementary/alternate debug file (dwz) are not supported: those names and types are unknown');
        return undefined;
      case DW_FORM.sec_offset: return BigInt(c.off(os));
      case DW_FORM.loclistx: case DW_FORM.rnglistx: return c.uleb();
      case DW_FORM.exprloc: case DW_FORM.block: return c.bytes(c.ulebN());
      case DW_FORM.block1: return c.bytes(c.u8());
      case DW_FORM.block2: return c.bytes(c.u16());
      case DW_FORM.block4: return c.bytes(c.u32());
      case DW_FORM.indirect:
        if (depth > 4) throw new Stop(c.pos, 'DW_FORM_indirect nested too deeply');
        return this.value(c, u, c.ulebN(), implicit, depth + 1);
      default:
        throw new Stop(c.pos, `unknown attribute form 0x${form.toString(16)}: the rest of this unit cannot be read`);
    }
  }

  /** Steps over one attribute value without decoding it. */
  skipValue(c: Cur, u: UnitCtx, form: number, depth = 0): void {
    const os = u.unit.offsetSize;
    switch (form) {
      case DW_FORM.flag_present: case DW_FORM.implicit_const: return;
      case DW_FORM.data1: case DW_FORM.ref1: case DW_FORM.flag: case DW_FORM.strx1: case DW_FORM.addrx1: c.skip(1); return;
      case DW_FORM.data2: case DW_FORM.ref2: case DW_FORM.strx2: case DW_FORM.addrx2: c.skip(2); return;
      case DW_FORM.strx3: case DW_FORM.addrx3: c.skip(3); return;
      case DW_FORM.data4: case DW_FORM.ref4: case DW_FORM.strx4: case DW_FORM.addrx4: case DW_FORM.ref_sup4: c.skip(4); return;
      case DW_FORM.data8: case DW_FORM.ref8: case DW_FORM.ref_sig8: case DW_FORM.ref_sup8: c.skip(8); return;
      case DW_FORM.data16: c.skip(16); return;
      case DW_FORM.addr: c.skip(u.unit.addressSize); return;
      case DW_FORM.strp: case DW_FORM.line_strp: case DW_FORM.sec_offset: case DW_FORM.strp_sup: case DW_FORM.GNU_ref_alt: case DW_FORM.GNU_strp_alt: c.skip(os); return;
      case DW_FORM.ref_addr: c.skip(u.unit.version <= 2 ? u.unit.addressSize : os); return;
      case DW_FORM.sdata: case DW_FORM.udata: case DW_FORM.ref_udata: case DW_FORM.strx: case DW_FORM.addrx: case DW_FORM.GNU_str_index:
      case DW_FORM.GNU_addr_index: case DW_FORM.loclistx: case DW_FORM.rnglistx:
        c.skipLeb(); return;
      case DW_FORM.string: c.skipCstr(); return;
      case DW_FORM.exprloc: case DW_FORM.block: c.skip(c.ulebN()); return;
      case DW_FORM.block1: c.skip(c.u8()); return;
      case DW_FORM.block2: c.skip(c.u16()); return;
      case DW_FORM.block4: c.skip(c.u32()); return;
      case DW_FORM.indirect:
        if (depth > 4) throw new Stop(c.pos, 'DW_FORM_indirect nested too deeply');
        this.skipValue(c, u, c.ulebN(), depth + 1);
        return;
      default:
        throw new Stop(c.pos, `unknown attribute form 0x${form.toString(16)}: the rest of this unit cannot be read`);
    }
  }

  pendingStr(u: UnitCtx, idx: number): Val {
    return u.strBase === undefined ? { strx: idx } : this.strx(u, idx);
  }

  pendingAddr(u: UnitCtx, idx: number): Val {
    return u.addrBase === undefined ? { addrx: idx } : this.addrx(u, idx);
  }

  /** Resolves pending string/address indexes of the unit DIE once its bases are known. */
  settle(u: UnitCtx, v: Val): Val {
    if (typeof v === 'object' && v !== null && 'strx' in v) return this.strx(u, v.strx);
    if (typeof v === 'object' && v !== null && 'addrx' in v) return this.addrx(u, v.addrx);
    return v;
  }

  run(): DwarfInfo {
    const info = this.s.info;
    if (!info || info.length === 0) return this.result();
    let pos = 0;
    while (pos < info.length && this.diagnostics.length < MAX_DIAGNOSTICS) {
      const next = this.unit(info, pos);
      if (next <= pos) break;
      pos = next;
    }
    return this.result();
  }

  /** Reads the unit at `start`; returns where the next one begins (or `start` to stop). */
  unit(info: Uint8Array, start: number): number {
    const c = new Cur(info, start, this.s.littleEndian, '.debug_info');
    let end = start;
    try {
      let len = c.u32();
      let offsetSize = 4;
      if (len === 0xffffffff) {
        len = num(c.u64());
        offsetSize = 8;
      } else if (len >= 0xfffffff0) {
        this.diag('.debug_info', start, `reserved unit length 0x${len.toString(16)}`);
        return start;
      }
      end = c.pos + len;
      if (end > info.length) {
        this.diag('.debug_info', start, `unit length ${len} runs past the end of .debug_info (size ${info.length})`);
        end = info.length;
      }
      const version = c.u16();
      if (version < 2 || version > 5) {
        this.diag('.debug_info', start, `unsupported DWARF version ${version}`);
        return end;
      }
      let unitType = 1;
      let addressSize: number;
      let abbrevOff: number;
      if (version >= 5) {
        unitType = c.u8();
        addressSize = c.u8();
        abbrevOff = c.off(offsetSize);
        if (unitType === 4 || unitType === 5) c.u64(); // dwo_id
        else if (unitType === 2 || unitType === 6) { c.u64(); c.off(offsetSize); } // type signature, type offset
        else if (unitType !== 1 && unitType !== 3) {
          this.diag('.debug_info', start, `unknown unit type ${unitType}`);
          return end;
        }
      } else {
        abbrevOff = c.off(offsetSize);
        addressSize = c.u8();
      }
      if (addressSize !== 4 && addressSize !== 8) {
        this.diag('.debug_info', start, `unsupported address size ${addressSize}`);
        return end;
      }
      const unit: DwarfUnit = { offset: start, version, unitType, addressSize, offsetSize };
      this.units.push(unit);
      const abbrevs = this.abbrevTable(abbrevOff);
      if (!abbrevs) return end;
      this.dies(new Cur(info.subarray(0, end), c.pos, this.s.littleEndian, '.debug_info'), { unit, start, end }, abbrevs, this.units.length - 1);
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      this.diag('.debug_info', e.offset, e.message);
    }
    return Math.max(end, start + 1);
  }

  /** Walks the DIE tree of one unit. */
  dies(c: Cur, u: UnitCtx, abbrevs: Map<number, Abbrev>, unitIndex: number): void {
    const stack: Frame[] = [];
    let first = true;
    while (c.pos < u.end) {
      const off = c.pos;
      const code = c.ulebN();
      if (code === 0) {
        if (stack.length === 0) continue; // padding after the unit DIE's children
        stack.pop();
        if (stack.length === 0) break;
        continue;
      }
      const ab = abbrevs.get(code);
      if (!ab) throw new Stop(off, `abbreviation code ${code} is not in the unit's table: the rest of this unit cannot be read`);
      if (!ab.keep && !first) {
        for (const s of ab.specs) this.skipValue(c, u, s.form);
        if (ab.children) {
          if (stack.length >= MAX_DEPTH) throw new Stop(off, `DIEs nested deeper than ${MAX_DEPTH}`);
          stack.push(OTHER);
        }
        continue;
      }
      const attrs = this.attrs;
      attrs.clear();
      for (const s of ab.specs) {
        if (s.keep || first) attrs.set(s.at, this.value(c, u, s.form, s.implicit));
        else this.skipValue(c, u, s.form);
      }
      if (first) {
        first = false;
        const sb = intOf(attrs.get(DW_AT.str_offsets_base));
        const ab2 = intOf(attrs.get(DW_AT.addr_base) ?? attrs.get(DW_AT.GNU_addr_base));
        u.strBase = sb ?? 8;
        u.addrBase = ab2 ?? 8;
        for (const [k, v] of attrs) attrs.set(k, this.settle(u, v));
        const name = attrs.get(DW_AT.name);
        const producer = attrs.get(DW_AT.producer);
        if (typeof name === 'string') u.unit.name = name;
        if (typeof producer === 'string') u.unit.producer = producer;
      }
      const frame = this.die(off, ab.tag, attrs, stack, unitIndex);
      if (ab.children) {
        if (stack.length >= MAX_DEPTH) throw new Stop(off, `DIEs nested deeper than ${MAX_DEPTH}`);
        stack.push(frame);
      } else if (stack.length === 0) break; // a unit DIE without children
    }
  }

  /** Records one DIE in the model; returns the frame its children see. */
  die(off: number, tag: number, a: Map<number, Val>, stack: Frame[], unit: number): Frame {
    const parent = stack[stack.length - 1];
    const nameV = a.get(DW_AT.name);
    const name = typeof nameV === 'string' ? nameV : undefined;
    const typeV = a.get(DW_AT.type);
    const to = isRef(typeV) ? typeV.ref : undefined;
    const size = intOf(a.get(DW_AT.byte_size));
    switch (tag) {
      case DW_TAG.compile_unit: case DW_TAG.partial_unit: case DW_TAG.skeleton_unit: case DW_TAG.type_unit:
        return { kind: 'unit' };
      case DW_TAG.base_type: {
        const bitSize = intOf(a.get(DW_AT.bit_size));
        const t: Extract<DwarfType, { kind: 'base' }> = { kind: 'base', name: name ?? '', size: size ?? 0, encoding: intOf(a.get(DW_AT.encoding)) ?? 0 };
        if (bitSize !== undefined) t.bitSize = bitSize;
        this.types.set(off, t);
        break;
      }
      case DW_TAG.pointer_type: case DW_TAG.reference_type: case DW_TAG.rvalue_reference_type: {
        const kind = tag === DW_TAG.pointer_type ? 'pointer' : tag === DW_TAG.reference_type ? 'reference' : 'rvalue_reference';
        this.types.set(off, { kind, to, size });
        break;
      }
      case DW_TAG.typedef:
        this.types.set(off, { kind: 'typedef', name: name ?? '', to });
        break;
      case DW_TAG.const_type: case DW_TAG.volatile_type: case DW_TAG.restrict_type: case DW_TAG.atomic_type: {
        const kind = tag === DW_TAG.const_type ? 'const' : tag === DW_TAG.volatile_type ? 'volatile' : tag === DW_TAG.restrict_type ? 'restrict' : 'atomic';
        this.types.set(off, { kind, to });
        break;
      }
      case DW_TAG.structure_type: case DW_TAG.union_type: case DW_TAG.class_type: {
        const kind = tag === DW_TAG.structure_type ? 'struct' : tag === DW_TAG.union_type ? 'union' : 'class';
        const t: Extract<DwarfType, { kind: 'struct' | 'union' | 'class' }> = {
          kind, declaration: a.get(DW_AT.declaration) === true, members: [], name, size,
        };
        this.types.set(off, t);
        if (kind === 'struct' && name !== undefined && parent?.kind === 'unit' && !this.topStructs.has(name)) this.topStructs.set(name, off);
        return { kind: 'struct', t };
      }
      case DW_TAG.member:
        if (parent?.kind === 'struct') {
          const m: DwarfMember = {};
          if (name !== undefined) m.name = name;
          if (to !== undefined) m.type = to;
          const loc = memberLocation(a.get(DW_AT.data_member_location));
          if (loc !== undefined) m.offset = loc;
          const bs = intOf(a.get(DW_AT.bit_size));
          if (bs !== undefined) m.bitSize = bs;
          const dbo = intOf(a.get(DW_AT.data_bit_offset));
          if (dbo !== undefined) m.dataBitOffset = dbo;
          const bo = intOf(a.get(DW_AT.bit_offset));
          if (bo !== undefined) m.bitOffset = bo;
          parent.t.members.push(m);
        }
        break;
      case DW_TAG.enumeration_type: {
        const t: Extract<DwarfType, { kind: 'enum' }> = { kind: 'enum', enumerators: [], name, size, to };
        this.types.set(off, t);
        return { kind: 'enum', t };
      }
      case DW_TAG.enumerator: {
        const v = a.get(DW_AT.const_value);
        if (parent?.kind === 'enum' && name !== undefined && (typeof v === 'bigint' || typeof v === 'number')) parent.t.enumerators.push({ name, value: BigInt(v) });
        break;
      }
      case DW_TAG.array_type: {
        const t: Extract<DwarfType, { kind: 'array' }> = { kind: 'array', dims: [], to };
        this.types.set(off, t);
        return { kind: 'array', t };
      }
      case DW_TAG.subrange_type:
        if (parent?.kind === 'array') {
          const ub = a.get(DW_AT.upper_bound);
          const count = intOf(a.get(DW_AT.count));
          const upper = typeof ub === 'number' || typeof ub === 'bigint' ? intOf(ub) : undefined;
          parent.t.dims.push(upper !== undefined ? upper + 1 : count);
        }
        break;
      case DW_TAG.subroutine_type:
        this.types.set(off, { kind: 'subroutine', to });
        break;
      case DW_TAG.unspecified_type:
        this.types.set(off, { kind: 'unspecified', name });
        break;
      case DW_TAG.subprogram: {
        const origin = a.get(DW_AT.abstract_origin) ?? a.get(DW_AT.specification);
        const die: NamedDie = { name, type: to, origin: isRef(origin) ? origin.ref : undefined };
        this.named.set(off, die);
        const low = a.get(DW_AT.low_pc);
        const f: PendingFn = {
          offset: off, unit, die, declaration: a.get(DW_AT.declaration) === true, external: a.get(DW_AT.external) === true, params: [], variadic: false,
          lowPc: typeof low === 'bigint' ? low : undefined,
        };
        this.fns.push(f);
        return { kind: 'fn', f };
      }
      case DW_TAG.formal_parameter: {
        if (parent?.kind !== 'fn') break;
        const origin = a.get(DW_AT.abstract_origin);
        const die: NamedDie = { name, type: to, origin: isRef(origin) ? origin.ref : undefined };
        this.named.set(off, die);
        parent.f.params.push({ offset: off, die });
        break;
      }
      case DW_TAG.unspecified_parameters:
        if (parent?.kind === 'fn') parent.f.variadic = true;
        break;
    }
    return OTHER;
  }

  /** Name and type of a DIE, following abstract_origin/specification links. */
  integrate(d: NamedDie): NamedDie {
    let name = d.name;
    let type = d.type;
    let cur: NamedDie | undefined = d;
    for (let i = 0; i < 8 && cur?.origin !== undefined && (name === undefined || type === undefined); i++) {
      cur = this.named.get(cur.origin);
      if (!cur) break;
      name ??= cur.name;
      type ??= cur.type;
    }
    return { ...(name !== undefined ? { name } : {}), ...(type !== undefined ? { type } : {}) };
  }

  result(): DwarfInfo {
    const functions: DwarfFunction[] = [];
    for (const f of this.fns) {
      const d = this.integrate(f.die);
      if (d.name === undefined) continue;
      // A concrete copy without its own parameter list takes the abstract instance's.
      let params: { die: NamedDie }[] = f.params;
      if (params.length === 0 && f.die.origin !== undefined) params = this.fns.find((x) => x.offset === f.die.origin)?.params ?? [];
      functions.push({
        name: d.name, offset: f.offset, unit: f.unit, declaration: f.declaration, external: f.external, variadic: f.variadic,
        params: params.map((p): DwarfParam => this.integrate(p.die)),
        ...(f.lowPc !== undefined ? { lowPc: f.lowPc } : {}),
        ...(d.type !== undefined ? { returnType: d.type } : {}),
      });
    }
    return { units: this.units, functions, types: this.types, topStructs: this.topStructs, diagnostics: this.diagnostics };
  }
}

/** Reads functions and types from decompressed debug sections. */
export function readDwarf(sections: DwarfSections): DwarfInfo {
  return new Reader(sections).run();
}

/**
 * The function named `name` as bpftrace finds it: the first definition (a DIE
 * with code or an abstract inline instance). Declarations do not count: libc's
 * `malloc` is only declared in its DWARF (the code is `__libc_malloc`), and
 * bpftrace -lv lists no parameters for it.
 */
export function findFunction(info: DwarfInfo, name: string): DwarfFunction | undefined {
  return info.functions.find((f) => f.name === name && !f.declaration);
}

/**
 * The BTF type graph over an indexed blob (format.ts): types are decoded on
 * demand and cached, names are indexed on the first lookup, and the semantic
 * questions live here (resolution of typedef/modifier chains, size, alignment,
 * member offsets, members found through anonymous structs and unions). It does
 * not relate types across two BTFs (CO-RE matching is elsewhere).
 *
 * Identity: within one `Btf` (a blob plus its base chain), a type *is* its id;
 * two ids are the same type only if they are equal, even when their records
 * are byte-identical (deduplication is the producer's job, pahole's here).
 * Across two BTFs, ids mean nothing: types are compared by name and shape.
 *
 * Compatibility (what a C compiler would accept as the same type when one value
 * is used as the other): two ids are compatible when, after `resolve` (typedefs
 * and qualifiers dropped), they have the same kind and (a) ints/floats/enums: same
 * size and signedness; (b) pointers: compatible targets (void is compatible with
 * every pointee); (c) arrays: same element count and compatible elements;
 * (d) named structs/unions: same name (a FWD of the same name and flavour is
 * compatible with the full definition); anonymous ones are only compatible with
 * themselves; (e) func protos: same arity and pairwise-compatible params and
 * return types. `compatible()` implements exactly this.
 */
import { KIND as KINDS, type Kind, type RawBtf, KIND_NAMES, readString as readStringImp } from './format';
import { type BtfType, type BtfMember, type BtfTypeOf, decodeType as decodeTypeImp, nameOf as nameOfImp, word as wordImp } from './records';

// Local copies: under tsx every use of an imported binding is a getter call.
const KIND = KINDS;
const decodeType = decodeTypeImp;
const nameOf = nameOfImp;
const word = wordImp;
const readString = readStringImp;

export interface MemberPathStep {
  /** The containing struct/union id for this step. */
  parent: number;
  index: number;
  member: BtfMember;
}

export interface FoundMember {
  /** From the outer struct down to the named member; anonymous members in between. */
  path: MemberPathStep[];
  /** Total offset from the start of the outer struct, in bits. */
  bitOffset: number;
  bitSize: number;
  type: number;
}

export interface BtfOptions {
  /** Pointer size in bytes (8 for BPF and 64-bit kernels). */
  pointerSize?: number;
}

const MAX_CHAIN = 64;

export class Btf {
  readonly raw: RawBtf;
  readonly pointerSize: number;
  private cache: IdCache<BtfType> | undefined;
  private names: IdCache<string> | undefined;
  private nameIndex: Map<string, number | number[]> | undefined;
  private sortedNames: string[] | undefined;
  private alignCache: Int8Array | undefined;
  private readonly dv: DataView;
  private readonly le: boolean;
  private readonly offsets: Int32Array;
  private readonly firstId: number;
  /** This blob's string section as one string (null: not ASCII, decode per string). */
  private strText: string | null | undefined;
  /** The base's graph, for split BTF. */
  readonly base: Btf | undefined;

  constructor(raw: RawBtf, opts: BtfOptions = {}) {
    this.raw = raw;
    this.pointerSize = opts.pointerSize ?? 8;
    this.dv = raw.dv;
    this.le = raw.littleEndian;
    this.offsets = raw.offsets;
    this.firstId = raw.firstId;
    this.base = raw.base === undefined ? undefined : new Btf(raw.base, opts);
  }

  /** Word `w` of the record of `id` (fast path for this blob's own ids); 0 for void and bad ids. */
  private w(id: number, w: number): number {
    const i = id - this.firstId;
    if (i >= 0 && i < this.offsets.length) return this.dv.getUint32(this.offsets[i] + 4 * w, this.le);
    return id > 0 ? word(this.raw, id, w) : 0;
  }

  // Allocation-free access to the vlen items of a record (members, params,
  // enumerators, DATASEC entries). `i` must be below vlen(id).

  /** Word `w` of item `i` of `id` (items are 8 bytes for ENUM and FUNC_PROTO, else 12). */
  item(id: number, i: number, w: number): number {
    // Items are read in runs over one record: remember where the last one's start.
    if (id !== this.itemId) this.seekItems(id);
    if (this.itemBase < 0) return this.base !== undefined ? this.base.item(id, i, w) : 0;
    return this.dv.getUint32(this.itemBase + this.itemSize * i + 4 * w, this.le);
  }

  private itemId = -1;
  private itemBase = -1;
  private itemSize = 12;
  private itemKflag = false;

  private seekItems(id: number): void {
    this.itemId = id;
    const j = id - this.firstId;
    if (j >= 0 && j < this.offsets.length) {
      const o = this.offsets[j];
      const info = this.dv.getUint32(o + 4, this.le);
      const k = (info >>> 24) & 0x1f;
      this.itemSize = k === KIND.ENUM || k === KIND.FUNC_PROTO ? 8 : 12;
      this.itemBase = o + 12;
      this.itemKflag = info >>> 31 === 1;
    } else {
      this.itemBase = -1;
      this.itemKflag = this.base !== undefined && this.base.kflag(id);
    }
  }

  /**
   * A string by offset. When this blob's string section is pure ASCII (the
   * usual case) it is decoded once into one JS string and names are slices of
   * it; otherwise each string is decoded from the bytes as UTF-8.
   */
  str(off: number): string {
    const rel = off - this.raw.strBase;
    if (rel < 0) return this.base !== undefined ? this.base.str(off) : '';
    if (rel >= this.raw.strLen) return '';
    if (this.strText === undefined) this.strText = asciiSection(this.raw);
    const t = this.strText;
    if (t === null) return readString(this.raw, off) ?? '';
    const end = t.indexOf('\0', rel);
    return t.substring(rel, end < 0 ? t.length : end);
  }

  memberName(id: number, i: number): string {
    return this.str(this.item(id, i, 0));
  }

  memberType(id: number, i: number): number {
    return this.item(id, i, 1);
  }

  memberBitOffset(id: number, i: number): number {
    const v = this.item(id, i, 2);
    return this.itemKflag ? v & 0xffffff : v;
  }

  memberBitSize(id: number, i: number): number {
    const v = this.item(id, i, 2);
    return this.itemKflag ? v >>> 24 : 0;
  }

  /** Element type and element count of an ARRAY. */
  arrayType(id: number): number {
    return this.w(id, 3);
  }

  arrayLen(id: number): number {
    return this.w(id, 5);
  }

  /** Number of ids including void (ids are 0 .. count-1). */
  get count(): number {
    return this.raw.count;
  }

  kind(id: number): Kind {
    return ((this.w(id, 1) >>> 24) & 0x1f) as Kind;
  }

  kindName(id: number): string {
    return KIND_NAMES[this.kind(id)];
  }

  name(id: number): string {
    const names = (this.names ??= new IdCache<string>(this.raw.count));
    let s = names.get(id);
    if (s === undefined) {
      s = id > 0 && id < this.raw.count ? this.str(this.w(id, 0)) : nameOf(this.raw, id);
      names.set(id, s);
    }
    return s;
  }

  /** The type's name_off (a string offset; 0 for none). */
  nameOff(id: number): number {
    return this.w(id, 0);
  }

  /** True when the type has a name (name_off is not 0); no string is decoded. */
  named(id: number): boolean {
    return this.w(id, 0) !== 0;
  }

  /** The `size`/`type` word of the record (a size for sized kinds, else a type id). */
  sizeOrType(id: number): number {
    return this.w(id, 2);
  }

  vlen(id: number): number {
    return this.w(id, 1) & 0xffff;
  }

  kflag(id: number): boolean {
    return this.w(id, 1) >>> 31 === 1;
  }

  /** The decoded type (cached). Void and ids out of range give kind UNKN. */
  type(id: number): BtfType {
    const cache = (this.cache ??= new IdCache<BtfType>(this.raw.count));
    let t = cache.get(id);
    if (t === undefined) {
      t = decodeType(this.raw, id);
      cache.set(id, t);
    }
    return t;
  }

  /** The decoded type if it has kind `k`. */
  typeAs<K extends Kind>(id: number, k: K): BtfTypeOf<K> | undefined {
    const t = this.type(id);
    return t.kind === k ? (t as BtfTypeOf<K>) : undefined;
  }

  /** All ids with this name, optionally of one kind (the name index is built on first use). */
  lookup(name: string, kind?: Kind): number[] {
    const idx = (this.nameIndex ??= this.buildNameIndex());
    const e = idx.get(name);
    const all = e === undefined ? [] : typeof e === 'number' ? [e] : e;
    return kind === undefined ? all : all.filter((id) => this.kind(id) === kind);
  }

  /** The first id with this name and kind (STRUCT also finds a UNION only if asked). */
  find(name: string, kind?: Kind): number | undefined {
    return this.lookup(name, kind)[0];
  }

  /**
   * Names starting with `prefix` (of one kind if given), sorted, at most
   * `limit`: for completion. The sorted name list is built on first use.
   */
  search(prefix: string, kind?: Kind, limit = 100): { name: string; id: number }[] {
    const sorted = (this.sortedNames ??= [...(this.nameIndex ??= this.buildNameIndex()).keys()].sort());
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: { name: string; id: number }[] = [];
    for (let i = lo; i < sorted.length && out.length < limit && sorted[i].startsWith(prefix); i++) {
      for (const id of this.lookup(sorted[i], kind)) {
        if (out.length < limit) out.push({ name: sorted[i], id });
      }
    }
    return out;
  }

  private buildNameIndex(): Map<string, number | number[]> {
    const m = new Map<string, number | number[]>();
    for (let id = 1; id < this.raw.count; id++) {
      const n = this.name(id);
      if (n === '') continue;
      const e = m.get(n);
      if (e === undefined) m.set(n, id);
      else if (typeof e === 'number') m.set(n, [e, id]);
      else e.push(id);
    }
    return m;
  }

  /** Skip const/volatile/restrict/type_tag (not typedefs). */
  skipModifiers(id: number): number {
    for (let i = 0; i < MAX_CHAIN; i++) {
      const k = this.kind(id);
      if (k !== KIND.CONST && k !== KIND.VOLATILE && k !== KIND.RESTRICT && k !== KIND.TYPE_TAG) return id;
      id = this.sizeOrType(id);
    }
    return 0;
  }

  /** Skip typedefs and modifiers; a loop or a chain longer than 64 gives void. */
  resolve(id: number): number {
    for (let i = 0; i < MAX_CHAIN; i++) {
      const k = this.kind(id);
      if (k !== KIND.TYPEDEF && k !== KIND.CONST && k !== KIND.VOLATILE && k !== KIND.RESTRICT && k !== KIND.TYPE_TAG) return id;
      id = this.sizeOrType(id);
    }
    return 0;
  }

  /** Size in bytes, or undefined for void, functions, forward declarations and broken chains. */
  sizeof(id: number, depth = 0): number | undefined {
    if (depth > MAX_CHAIN) return undefined;
    id = this.resolve(id);
    switch (this.kind(id)) {
      case KIND.INT: case KIND.ENUM: case KIND.ENUM64: case KIND.STRUCT: case KIND.UNION:
      case KIND.FLOAT: case KIND.DATASEC:
        return this.sizeOrType(id);
      case KIND.PTR:
        return this.pointerSize;
      case KIND.ARRAY: {
        const elem = this.sizeof(this.w(id, 3), depth + 1);
        return elem === undefined ? undefined : elem * this.w(id, 5);
      }
      case KIND.VAR:
        return this.sizeof(this.sizeOrType(id), depth + 1);
      default:
        return undefined;
    }
  }

  /**
   * Natural alignment in bytes as a C compiler would derive it from the member
   * types; 1 for a struct that must be packed (a member off its alignment, or a
   * size not a multiple of it). Explicit `aligned(N)` attributes are not in BTF.
   */
  alignof(id: number, depth = 0): number | undefined {
    if (depth > MAX_CHAIN) return undefined;
    id = this.resolve(id);
    const cache = (this.alignCache ??= new Int8Array(this.raw.count));
    const c = id > 0 && id < cache.length ? cache[id] : 0;
    if (c !== 0) return c > 0 ? c : undefined;
    const a = this.computeAlign(id, depth);
    if (id > 0 && id < cache.length) cache[id] = a === undefined ? -1 : a;
    return a;
  }

  private computeAlign(id: number, depth: number): number | undefined {
    const k = this.kind(id);
    switch (k) {
      case KIND.INT: case KIND.ENUM: case KIND.ENUM64: case KIND.FLOAT:
        return Math.max(1, Math.min(this.pointerSize, this.sizeOrType(id)));
      case KIND.PTR:
        return this.pointerSize;
      case KIND.ARRAY:
        return this.alignof(this.w(id, 3), depth + 1);
      case KIND.STRUCT: case KIND.UNION: {
        let max = 1;
        for (let i = 0, n = this.vlen(id); i < n; i++) {
          const a = this.alignof(this.memberType(id, i), depth + 1);
          if (a === undefined) return undefined;
          if (a > max) max = a;
          if (this.memberBitSize(id, i) === 0 && this.memberBitOffset(id, i) % (8 * a) !== 0) return 1;
        }
        return this.sizeOrType(id) % max === 0 ? max : 1;
      }
      default:
        return undefined;
    }
  }

  /** Members of a struct/union (after resolving typedefs), else []. */
  members(id: number): BtfMember[] {
    const t = this.type(this.resolve(id));
    return t.kind === KIND.STRUCT || t.kind === KIND.UNION ? t.members : [];
  }

  /**
   * Find a member by name, looking through anonymous struct/union members the
   * way C does. Returns the path and the total bit offset, or undefined.
   */
  findMember(id: number, name: string, depth = 0): FoundMember | undefined {
    if (depth > MAX_CHAIN) return undefined;
    const sid = this.resolve(id);
    const ms = this.members(sid);
    for (let i = 0; i < ms.length; i++) {
      const m = ms[i];
      if (m.name === name) {
        return { path: [{ parent: sid, index: i, member: m }], bitOffset: m.bitOffset, bitSize: m.bitSize, type: m.type };
      }
    }
    for (let i = 0; i < ms.length; i++) {
      const m = ms[i];
      if (m.name !== '') continue;
      const k = this.kind(this.resolve(m.type));
      if (k !== KIND.STRUCT && k !== KIND.UNION) continue;
      const inner = this.findMember(m.type, name, depth + 1);
      if (inner !== undefined) {
        return {
          path: [{ parent: sid, index: i, member: m }, ...inner.path],
          bitOffset: m.bitOffset + inner.bitOffset, bitSize: inner.bitSize, type: inner.type,
        };
      }
    }
    return undefined;
  }

  /** Compatibility as defined in the module comment. */
  compatible(a: number, b: number, depth = 0): boolean {
    if (depth > MAX_CHAIN) return false;
    a = this.resolve(a);
    b = this.resolve(b);
    if (a === b) return true;
    const ka = this.kind(a);
    const kb = this.kind(b);
    const composite = (k: Kind): boolean => k === KIND.STRUCT || k === KIND.UNION || k === KIND.FWD;
    if (composite(ka) && composite(kb)) {
      const na = this.name(a);
      if (na === '' || na !== this.name(b)) return false;
      const unionA = ka === KIND.UNION || (ka === KIND.FWD && this.kflag(a));
      const unionB = kb === KIND.UNION || (kb === KIND.FWD && this.kflag(b));
      return unionA === unionB && (ka === KIND.FWD || kb === KIND.FWD || ka === kb);
    }
    if (ka !== kb) return false;
    const ta = this.type(a);
    const tb = this.type(b);
    switch (ta.kind) {
      case KIND.INT: {
        const ib = tb as typeof ta;
        return ta.size === ib.size && ta.signed === ib.signed && ta.bits === ib.bits;
      }
      case KIND.FLOAT:
        return ta.size === (tb as typeof ta).size;
      case KIND.ENUM: case KIND.ENUM64:
        return ta.size === (tb as typeof ta).size && ta.signed === (tb as typeof ta).signed;
      case KIND.PTR: {
        const pa = ta.type;
        const pb = (tb as typeof ta).type;
        return this.resolve(pa) === 0 || this.resolve(pb) === 0 || this.compatible(pa, pb, depth + 1);
      }
      case KIND.ARRAY: {
        const ab = tb as typeof ta;
        return ta.nelems === ab.nelems && this.compatible(ta.type, ab.type, depth + 1);
      }
      case KIND.FUNC_PROTO: {
        const fb = tb as typeof ta;
        return ta.params.length === fb.params.length && this.compatible(ta.type, fb.type, depth + 1) &&
          ta.params.every((p, i) => this.compatible(p.type, fb.params[i].type, depth + 1));
      }
      default:
        return false;
    }
  }
}

const latin1 = new TextDecoder('latin1');

function asciiSection(raw: RawBtf): string | null {
  const text = latin1.decode(raw.bytes.subarray(raw.strStart, raw.strStart + raw.strLen));
  return /[\u0080-\uffff]/.test(text) ? null : text;
}

/**
 * A per-type-id cache: an Int32Array maps the id to a slot in a list that
 * grows as values are stored, so only cached values cost memory (a plain
 * `new Array(count)` of this size would fall back to a slow dictionary).
 */
export class IdCache<T> {
  private readonly index: Int32Array;
  private readonly values: T[] = [];

  constructor(count: number) {
    this.index = new Int32Array(Math.max(0, count));
  }

  get(id: number): T | undefined {
    const i = id >= 0 && id < this.index.length ? this.index[id] : 0;
    return i === 0 ? undefined : this.values[i - 1];
  }

  set(id: number, v: T): void {
    if (id < 0 || id >= this.index.length) return;
    const i = this.index[id];
    if (i !== 0) {
      this.values[i - 1] = v;
      return;
    }
    this.values.push(v);
    this.index[id] = this.values.length;
  }
}

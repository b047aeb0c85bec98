/**
 * Building BTF blobs: a builder that appends types (ids in order of addition)
 * and deduplicated strings, and encodes a blob in either byte order, optionally
 * as split BTF on top of a base. It does not deduplicate types (callers add each
 * type once) and does not check that referenced ids exist; parse the result to
 * validate it.
 */
import { BTF_MAGIC, BTF_HEADER_LEN, KIND, type RawBtf, totalStrLen, INT_SIGNED, INT_CHAR, INT_BOOL } from './format';
import type { BtfType, BtfMember, BtfEnumValue, BtfParam, BtfVarSecinfo } from './records';

export interface BuilderOptions {
  /** Encode big-endian (default little-endian). */
  bigEndian?: boolean;
  /** Build split BTF: ids continue after the base's, string offsets after its strings. */
  base?: RawBtf;
  /**
   * Start the string section with these bytes (a whole string section: NUL
   * separated, starting with the empty string); its strings are reused. Used
   * to re-encode a parsed blob byte for byte.
   */
  strings?: Uint8Array;
}

export type MemberSpec = Omit<BtfMember, 'bitSize'> & { bitSize?: number };

/** A type without its id, as `add()` accepts it (the shape `decodeType` returns). */
export type TypeSpec = BtfType extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;

export const LINKAGE = { STATIC: 0, GLOBAL: 1, EXTERN: 2 } as const;

const enc = new TextEncoder();

export class BtfBuilder {
  private words = new Uint32Array(1024);
  private nWords = 0;
  private strChunks: Uint8Array[] = [];
  private strLen = 0;
  private strIndex = new Map<string, number>();
  private readonly strBase: number;
  private nextId: number;
  private readonly bigEndian: boolean;

  constructor(opts: BuilderOptions = {}) {
    this.bigEndian = opts.bigEndian ?? false;
    this.strBase = opts.base === undefined ? 0 : totalStrLen(opts.base);
    this.nextId = opts.base === undefined ? 1 : opts.base.count;
    if (opts.strings !== undefined && opts.strings.length > 0) {
      const seed = opts.strings;
      this.strChunks.push(seed);
      this.strLen = seed.length;
      const dec = new TextDecoder();
      for (let start = 0; start < seed.length;) {
        let end = start;
        while (end < seed.length && seed[end] !== 0) end++;
        const str = dec.decode(seed.subarray(start, end));
        if (!this.strIndex.has(str)) this.strIndex.set(str, this.strBase + start);
        start = end + 1;
      }
      if (seed[seed.length - 1] !== 0) {
        this.strChunks.push(ZERO);
        this.strLen++;
      }
    }
    if (!this.strIndex.has('')) {
      if (opts.base === undefined) this.addString('');
      else this.strIndex.set('', 0);
    }
  }

  /** Id the next added type will get. */
  get next(): number {
    return this.nextId;
  }

  /** Offset of `s` in the string section (added once; '' is always 0). */
  addString(s: string): number {
    const known = this.strIndex.get(s);
    if (known !== undefined) return known;
    const bytes = enc.encode(s);
    const off = this.strBase + this.strLen;
    this.strChunks.push(bytes, ZERO);
    this.strLen += bytes.length + 1;
    this.strIndex.set(s, off);
    return off;
  }

  private push(...ws: number[]): void {
    if (this.nWords + ws.length > this.words.length) {
      const grown = new Uint32Array(Math.max(this.words.length * 2, this.nWords + ws.length));
      grown.set(this.words.subarray(0, this.nWords));
      this.words = grown;
    }
    for (const w of ws) this.words[this.nWords++] = w >>> 0;
  }

  private head(name: string, kind: number, vlen: number, kflag: boolean, sizeOrType: number): number {
    this.push(this.addString(name), ((kflag ? 1 : 0) << 31) | (kind << 24) | (vlen & 0xffff), sizeOrType);
    return this.nextId++;
  }

  addInt(name: string, size: number, o: { signed?: boolean; char?: boolean; bool?: boolean; bits?: number; bitOffset?: number } = {}): number {
    const encoding = (o.signed ? INT_SIGNED : 0) | (o.char ? INT_CHAR : 0) | (o.bool ? INT_BOOL : 0);
    const id = this.head(name, KIND.INT, 0, false, size);
    this.push((encoding << 24) | ((o.bitOffset ?? 0) << 16) | (o.bits ?? size * 8));
    return id;
  }

  addPtr(type: number): number { return this.head('', KIND.PTR, 0, false, type); }
  addTypedef(name: string, type: number): number { return this.head(name, KIND.TYPEDEF, 0, false, type); }
  addConst(type: number): number { return this.head('', KIND.CONST, 0, false, type); }
  addVolatile(type: number): number { return this.head('', KIND.VOLATILE, 0, false, type); }
  addRestrict(type: number): number { return this.head('', KIND.RESTRICT, 0, false, type); }
  /** `attribute`: the tag is `__attribute__((name))` (kind_flag set), else `btf_type_tag("name")`. */
  addTypeTag(name: string, type: number, attribute = false): number { return this.head(name, KIND.TYPE_TAG, 0, attribute, type); }
  addFloat(name: string, size: number): number { return this.head(name, KIND.FLOAT, 0, false, size); }
  addFwd(name: string, union = false): number { return this.head(name, KIND.FWD, 0, union, 0); }

  addArray(type: number, indexType: number, nelems: number): number {
    const id = this.head('', KIND.ARRAY, 0, false, 0);
    this.push(type, indexType, nelems);
    return id;
  }

  /** A struct; the kind_flag (bitfield encoding) is set when a member has a bitSize or `bitfields` is true. */
  addStruct(name: string, size: number, members: MemberSpec[], bitfields?: boolean): number {
    return this.composite(KIND.STRUCT, name, size, members, bitfields);
  }

  addUnion(name: string, size: number, members: MemberSpec[], bitfields?: boolean): number {
    return this.composite(KIND.UNION, name, size, members, bitfields);
  }

  private composite(kind: number, name: string, size: number, members: MemberSpec[], bitfields?: boolean): number {
    const kflag = bitfields ?? members.some((m) => (m.bitSize ?? 0) !== 0);
    const id = this.head(name, kind, members.length, kflag, size);
    for (const m of members) {
      const bs = m.bitSize ?? 0;
      this.push(this.addString(m.name), m.type, kflag ? ((bs << 24) | (m.bitOffset & 0xffffff)) : m.bitOffset);
    }
    return id;
  }

  /** An ENUM (values fit in 32 bits) or, if any value needs more, an ENUM64. */
  addEnum(name: string, size: number, values: BtfEnumValue[], signed = false, force64 = false): number {
    const wide = force64 || values.some((v) => typeof v.value === 'bigint' && (v.value > 0xffffffffn || v.value < -0x80000000n));
    if (!wide) {
      const id = this.head(name, KIND.ENUM, values.length, signed, size);
      for (const v of values) this.push(this.addString(v.name), Number(v.value) | 0);
      return id;
    }
    const id = this.head(name, KIND.ENUM64, values.length, signed, size);
    for (const v of values) {
      const u = BigInt.asUintN(64, BigInt(v.value));
      this.push(this.addString(v.name), Number(u & 0xffffffffn), Number(u >> 32n));
    }
    return id;
  }

  addFuncProto(ret: number, params: BtfParam[]): number {
    const id = this.head('', KIND.FUNC_PROTO, params.length, false, ret);
    for (const p of params) this.push(this.addString(p.name), p.type);
    return id;
  }

  addFunc(name: string, proto: number, linkage: number = LINKAGE.GLOBAL): number {
    return this.head(name, KIND.FUNC, linkage, false, proto);
  }

  addVar(name: string, type: number, linkage: number = LINKAGE.GLOBAL): number {
    const id = this.head(name, KIND.VAR, 0, false, type);
    this.push(linkage);
    return id;
  }

  addDatasec(name: string, size: number, vars: BtfVarSecinfo[]): number {
    const id = this.head(name, KIND.DATASEC, vars.length, false, size);
    for (const v of vars) this.push(v.type, v.offset, v.size);
    return id;
  }

  addDeclTag(name: string, type: number, componentIdx = -1, attribute = false): number {
    const id = this.head(name, KIND.DECL_TAG, 0, attribute, type);
    this.push(componentIdx);
    return id;
  }

  /** Add any decoded type (as `decodeType` returns it), keeping its exact encoding. */
  add(t: TypeSpec): number {
    switch (t.kind) {
      case KIND.INT: return this.addInt(t.name, t.size, { signed: t.signed, char: t.char, bool: t.bool, bits: t.bits, bitOffset: t.bitOffset });
      case KIND.PTR: case KIND.TYPEDEF: case KIND.VOLATILE: case KIND.CONST: case KIND.RESTRICT:
        return this.head(t.name, t.kind, 0, false, t.type);
      case KIND.TYPE_TAG: return this.addTypeTag(t.name, t.type, t.attribute);
      case KIND.ARRAY: return this.addArray(t.type, t.indexType, t.nelems);
      case KIND.STRUCT: case KIND.UNION: return this.composite(t.kind, t.name, t.size, t.members, t.bitfields);
      case KIND.ENUM: case KIND.ENUM64: return this.addEnum(t.name, t.size, t.values, t.signed, t.kind === KIND.ENUM64);
      case KIND.FWD: return this.addFwd(t.name, t.union);
      case KIND.FUNC: return this.addFunc(t.name, t.type, t.linkage);
      case KIND.FUNC_PROTO: return this.addFuncProto(t.type, t.params);
      case KIND.VAR: return this.addVar(t.name, t.type, t.linkage);
      case KIND.DATASEC: return this.addDatasec(t.name, t.size, t.vars);
      case KIND.FLOAT: return this.addFloat(t.name, t.size);
      case KIND.DECL_TAG: return this.addDeclTag(t.name, t.type, t.componentIdx, t.attribute);
      default: return this.head(t.name, KIND.UNKN, 0, false, 0);
    }
  }

  /** The encoded blob: header, type section, string section. */
  encode(): Uint8Array {
    const typeLen = this.nWords * 4;
    const out = new Uint8Array(BTF_HEADER_LEN + typeLen + this.strLen);
    const dv = new DataView(out.buffer);
    const le = !this.bigEndian;
    dv.setUint16(0, BTF_MAGIC, le);
    out[2] = 1;
    out[3] = 0;
    dv.setUint32(4, BTF_HEADER_LEN, le);
    dv.setUint32(8, 0, le);
    dv.setUint32(12, typeLen, le);
    dv.setUint32(16, typeLen, le);
    dv.setUint32(20, this.strLen, le);
    if (le && isLittleEndianHost) {
      out.set(new Uint8Array(this.words.buffer, 0, typeLen), BTF_HEADER_LEN);
    } else {
      for (let i = 0; i < this.nWords; i++) dv.setUint32(BTF_HEADER_LEN + 4 * i, this.words[i], le);
    }
    let p = BTF_HEADER_LEN + typeLen;
    for (const c of this.strChunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }
}

const ZERO = new Uint8Array(1);
const isLittleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

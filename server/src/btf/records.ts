/**
 * Decoding of single BTF type records (see format.ts for the bit layouts) into
 * plain objects, and cheap accessors for the common words of a record. Nothing
 * here caches or interprets types (that is types.ts); ids outside the blob
 * decode as void.
 */
import { KIND as KINDS, type Kind, type RawBtf, blobOf as blobOfImp, readString as readStringImp, INT_SIGNED, INT_CHAR, INT_BOOL } from './format';

// Local copies: under tsx every use of an imported binding is a getter call.
const KIND = KINDS;
const blobOf = blobOfImp;
const readString = readStringImp;

export interface BtfMember {
  name: string;
  type: number;
  /** Offset from the start of the struct, in bits. */
  bitOffset: number;
  /** Bitfield width in bits; 0 for a plain member. */
  bitSize: number;
}

export interface BtfEnumValue {
  name: string;
  /** ENUM: a number (signed or unsigned per the type); ENUM64: a bigint. */
  value: number | bigint;
}

export interface BtfParam {
  name: string;
  type: number;
}

export interface BtfVarSecinfo {
  type: number;
  offset: number;
  size: number;
}

interface Common {
  id: number;
  name: string;
}

export type BtfType =
  | (Common & { kind: typeof KIND.UNKN })
  | (Common & { kind: typeof KIND.INT; size: number; encoding: number; signed: boolean; char: boolean; bool: boolean; bitOffset: number; bits: number })
  | (Common & { kind: typeof KIND.PTR | typeof KIND.TYPEDEF | typeof KIND.VOLATILE | typeof KIND.CONST | typeof KIND.RESTRICT; type: number })
  /** attribute (kind_flag): the tag is a C `__attribute__((name))` rather than `btf_type_tag("name")`. */
  | (Common & { kind: typeof KIND.TYPE_TAG; type: number; attribute: boolean })
  | (Common & { kind: typeof KIND.ARRAY; type: number; indexType: number; nelems: number })
  | (Common & { kind: typeof KIND.STRUCT | typeof KIND.UNION; size: number; bitfields: boolean; members: BtfMember[] })
  | (Common & { kind: typeof KIND.ENUM | typeof KIND.ENUM64; size: number; signed: boolean; values: BtfEnumValue[] })
  | (Common & { kind: typeof KIND.FWD; union: boolean })
  | (Common & { kind: typeof KIND.FUNC; type: number; linkage: number })
  | (Common & { kind: typeof KIND.FUNC_PROTO; type: number; params: BtfParam[] })
  | (Common & { kind: typeof KIND.VAR; type: number; linkage: number })
  | (Common & { kind: typeof KIND.DATASEC; size: number; vars: BtfVarSecinfo[] })
  | (Common & { kind: typeof KIND.FLOAT; size: number })
  | (Common & { kind: typeof KIND.DECL_TAG; type: number; componentIdx: number; attribute: boolean });

/** The variant of BtfType for kind K (works for variants shared by several kinds). */
export type BtfTypeOf<K extends Kind> = BtfType extends infer T ? (T extends { kind: infer TK } ? (K extends TK ? T : never) : never) : never;

/** Word `w` (0 name_off, 1 info, 2 size/type, 3.. extra) of the record of `id`; 0 for void/out of range. */
export function word(raw: RawBtf, id: number, w: number): number {
  const r = id >= raw.firstId && id < raw.count ? raw : blobOf(raw, id);
  if (r === undefined) return 0;
  return r.dv.getUint32(r.offsets[id - r.firstId] + 4 * w, r.littleEndian);
}

export function kindOf(raw: RawBtf, id: number): Kind {
  return ((word(raw, id, 1) >>> 24) & 0x1f) as Kind;
}

export function vlenOf(raw: RawBtf, id: number): number {
  return word(raw, id, 1) & 0xffff;
}

export function kflagOf(raw: RawBtf, id: number): boolean {
  return (word(raw, id, 1) >>> 31) === 1;
}

/** Name of type `id` ('' for anonymous, void or out of range). */
export function nameOf(raw: RawBtf, id: number): string {
  return readString(raw, word(raw, id, 0)) ?? '';
}

/** Decode the record of `id` into a fresh object. */
export function decodeType(raw: RawBtf, id: number): BtfType {
  const r = blobOf(raw, id);
  if (r === undefined) return { id, name: '', kind: KIND.UNKN };
  const dv = r.dv;
  const le = r.littleEndian;
  const o = r.offsets[id - r.firstId];
  const name = readString(raw, dv.getUint32(o, le)) ?? '';
  const info = dv.getUint32(o + 4, le);
  const kind = ((info >>> 24) & 0x1f) as Kind;
  const vlen = info & 0xffff;
  const kflag = info >>> 31 === 1;
  const st = dv.getUint32(o + 8, le);
  const str = (q: number): string => readString(raw, dv.getUint32(q, le)) ?? '';
  switch (kind) {
    case KIND.INT: {
      const enc = dv.getUint32(o + 12, le);
      const encoding = (enc >>> 24) & 0xf;
      return {
        id, name, kind, size: st, encoding,
        signed: (encoding & INT_SIGNED) !== 0, char: (encoding & INT_CHAR) !== 0, bool: (encoding & INT_BOOL) !== 0,
        bitOffset: (enc >>> 16) & 0xff, bits: enc & 0xff,
      };
    }
    case KIND.PTR: case KIND.TYPEDEF: case KIND.VOLATILE: case KIND.CONST: case KIND.RESTRICT:
      return { id, name, kind, type: st };
    case KIND.TYPE_TAG:
      return { id, name, kind, type: st, attribute: kflag };
    case KIND.ARRAY:
      return { id, name, kind, type: dv.getUint32(o + 12, le), indexType: dv.getUint32(o + 16, le), nelems: dv.getUint32(o + 20, le) };
    case KIND.STRUCT: case KIND.UNION: {
      const members: BtfMember[] = new Array(vlen);
      for (let j = 0, q = o + 12; j < vlen; j++, q += 12) {
        const off = dv.getUint32(q + 8, le);
        members[j] = {
          name: str(q), type: dv.getUint32(q + 4, le),
          bitOffset: kflag ? off & 0xffffff : off, bitSize: kflag ? off >>> 24 : 0,
        };
      }
      return { id, name, kind, size: st, bitfields: kflag, members };
    }
    case KIND.ENUM: {
      const values: BtfEnumValue[] = new Array(vlen);
      for (let j = 0, q = o + 12; j < vlen; j++, q += 8) {
        values[j] = { name: str(q), value: kflag ? dv.getInt32(q + 4, le) : dv.getUint32(q + 4, le) };
      }
      return { id, name, kind, size: st, signed: kflag, values };
    }
    case KIND.ENUM64: {
      const values: BtfEnumValue[] = new Array(vlen);
      for (let j = 0, q = o + 12; j < vlen; j++, q += 12) {
        const v = (BigInt(dv.getUint32(q + 8, le)) << 32n) | BigInt(dv.getUint32(q + 4, le));
        values[j] = { name: str(q), value: kflag ? BigInt.asIntN(64, v) : v };
      }
      return { id, name, kind, size: st, signed: kflag, values };
    }
    case KIND.FWD:
      return { id, name, kind, union: kflag };
    case KIND.FUNC:
      return { id, name, kind, type: st, linkage: vlen };
    case KIND.FUNC_PROTO: {
      const params: BtfParam[] = new Array(vlen);
      for (let j = 0, q = o + 12; j < vlen; j++, q += 8) params[j] = { name: str(q), type: dv.getUint32(q + 4, le) };
      return { id, name, kind, type: st, params };
    }
    case KIND.VAR:
      return { id, name, kind, type: st, linkage: dv.getUint32(o + 12, le) };
    case KIND.DATASEC: {
      const vars: BtfVarSecinfo[] = new Array(vlen);
      for (let j = 0, q = o + 12; j < vlen; j++, q += 12) {
        vars[j] = { type: dv.getUint32(q, le), offset: dv.getUint32(q + 4, le), size: dv.getUint32(q + 8, le) };
      }
      return { id, name, kind, size: st, vars };
    }
    case KIND.FLOAT:
      return { id, name, kind, size: st };
    case KIND.DECL_TAG:
      return { id, name, kind, type: st, componentIdx: dv.getInt32(o + 12, le), attribute: kflag };
    default:
      return { id, name, kind: KIND.UNKN };
  }
}

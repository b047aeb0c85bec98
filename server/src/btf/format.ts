/**
 * The BTF on-disk format: header, type section and string section, every kind's
 * record layout, both byte orders, and split BTF (a module blob continuing the
 * type ids and string offsets of a base). `parseBtf` validates and indexes a blob
 * in one pass over the records and never throws; decoding of individual records
 * lives in records.ts, type semantics (sizes, resolution, lookup) in types.ts.
 */

// ---------------------------------------------------------------------------
// Header (24 bytes, all fields in the blob's byte order):
//
//    0      2      3      4             8             12            16            20            24
//    +------+------+------+-------------+-------------+-------------+-------------+-------------+
//    |magic |vers. |flags |  hdr_len    |  type_off   |  type_len   |  str_off    |  str_len    |
//    |0xeb9f|  1   |  0   |             |             |             |             |             |
//    +------+------+------+-------------+-------------+-------------+-------------+-------------+
//
// type_off and str_off count from the end of the header (hdr_len), not from byte 0.
// The magic read in the wrong byte order gives 0x9feb: that is how the order is detected.
//
// Type record (12 bytes common part, then kind-specific data):
//
//    +----------------+   name_off: offset into the string section (0 = anonymous)
//    |   name_off     |
//    +-+---+-----+----+   info:  bit  31     kind_flag
//    |k| 0 |kind |vlen|          bits 24-28 kind (BTF_KIND_*)
//    +-+---+-----+----+          bits  0-15 vlen (members, params, values, vars)
//    |  size / type   |   size in bytes (INT, ENUM, STRUCT, UNION, DATASEC, FLOAT, ENUM64)
//    +----------------+   or a type id (PTR, TYPEDEF, modifiers, FUNC, VAR, DECL_TAG, FUNC_PROTO)
//
// Kind-specific data following the common part:
//    INT         u32: bits 24-27 encoding (1 SIGNED, 2 CHAR, 4 BOOL), bits 16-23 bit offset, bits 0-7 bits
//    ARRAY       { u32 type; u32 index_type; u32 nelems }
//    STRUCT/UNION vlen x { u32 name_off; u32 type; u32 offset }
//                offset: kind_flag=0 -> bit offset; kind_flag=1 -> bits 24-31 bitfield size, 0-23 bit offset
//    ENUM        vlen x { u32 name_off; i32 val }        kind_flag=1: values are signed
//    ENUM64      vlen x { u32 name_off; u32 lo32; u32 hi32 }  kind_flag=1: values are signed
//    FWD         (none) kind_flag=1: forward declaration of a union, else of a struct
//    FUNC        (none) vlen = linkage (0 static, 1 global, 2 extern); type = FUNC_PROTO id
//    FUNC_PROTO  vlen x { u32 name_off; u32 type }  type = return type; a last param of type 0 is `...`
//    VAR         u32 linkage
//    DATASEC     vlen x { u32 type (a VAR or FUNC); u32 offset; u32 size }
//    DECL_TAG    i32 component_idx (-1: the type itself, else member/param index)
//                DECL_TAG and TYPE_TAG: kind_flag=1 -> the tag is `__attribute__((name))`, else btf_*_tag("name")
//    PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG, FLOAT: (none)
// ---------------------------------------------------------------------------

export const BTF_MAGIC = 0xeb9f;
export const BTF_HEADER_LEN = 24;

export const KIND = {
  UNKN: 0, INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8,
  VOLATILE: 9, CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15,
  FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;
export type Kind = (typeof KIND)[keyof typeof KIND];
export const MAX_KIND = 19;

/** Names of the kinds as bpftool prints them (index = kind number). */
export const KIND_NAMES: readonly string[] = [
  'UNKNOWN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST',
  'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64',
];

export const INT_SIGNED = 1;
export const INT_CHAR = 2;
export const INT_BOOL = 4;

/** Size of the kind-specific data that follows the 12-byte common part. */
export function extraSize(kind: number, vlen: number): number {
  switch (kind) {
    case KIND.INT: case KIND.VAR: case KIND.DECL_TAG: return 4;
    case KIND.ARRAY: return 12;
    case KIND.STRUCT: case KIND.UNION: case KIND.ENUM64: case KIND.DATASEC: return 12 * vlen;
    case KIND.ENUM: case KIND.FUNC_PROTO: return 8 * vlen;
    default: return 0;
  }
}

/** Kinds whose third word is a size rather than a type id. */
export function hasSize(kind: number): boolean {
  return kind === KIND.INT || kind === KIND.STRUCT || kind === KIND.UNION || kind === KIND.ENUM ||
    kind === KIND.ENUM64 || kind === KIND.DATASEC || kind === KIND.FLOAT;
}

export interface BtfDiagnostic {
  /** Byte offset in the blob where the problem is. */
  offset: number;
  message: string;
}

export interface BtfHeader {
  magic: number;
  version: number;
  flags: number;
  hdrLen: number;
  typeOff: number;
  typeLen: number;
  strOff: number;
  strLen: number;
}

/**
 * An indexed BTF blob. Type ids of this blob are [firstId, count); ids below
 * firstId belong to `base` (id 0 is void). String offsets below `strBase` belong
 * to the base's string section. `offsets[id - firstId]` is the byte offset of
 * the record of `id` within `bytes`.
 */
export interface RawBtf {
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  readonly littleEndian: boolean;
  readonly header: BtfHeader;
  readonly base: RawBtf | undefined;
  readonly firstId: number;
  /** Total number of type ids including void and the base's types. */
  readonly count: number;
  readonly offsets: Int32Array;
  /** Absolute byte range of the type section. */
  readonly typesStart: number;
  readonly typesEnd: number;
  /** Absolute start of the string section and its length. */
  readonly strStart: number;
  readonly strLen: number;
  /** First string offset of this blob (the base's total string length, 0 without base). */
  readonly strBase: number;
}

export interface ParseOptions {
  /** Base BTF for split (module) BTF. */
  base?: RawBtf;
  /** Stop collecting diagnostics after this many (default 100). */
  maxDiagnostics?: number;
}

export interface ParseResult {
  btf?: RawBtf;
  diagnostics: BtfDiagnostic[];
}

/** Total length of all string sections up to and including `raw`. */
export function totalStrLen(raw: RawBtf): number {
  return raw.strBase + raw.strLen;
}

/**
 * Parse and index a BTF blob. Structural faults (bad magic, header or section
 * out of bounds, a record past the end, an unknown kind) leave `btf` undefined;
 * faults inside valid records (string offsets out of range, dangling type ids)
 * are reported and `btf` is still returned: accessors treat bad ids as void.
 */
export function parseBtf(bytes: Uint8Array, opts: ParseOptions = {}): ParseResult {
  const diagnostics: BtfDiagnostic[] = [];
  const max = opts.maxDiagnostics ?? 100;
  const report = (offset: number, message: string): void => {
    if (diagnostics.length < max) diagnostics.push({ offset, message });
  };
  const base = opts.base;
  if (bytes.length < BTF_HEADER_LEN) {
    report(0, `truncated header: ${bytes.length} bytes, need at least ${BTF_HEADER_LEN}`);
    return { diagnostics };
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  const m = dv.getUint16(0, true);
  if (m === BTF_MAGIC) le = true;
  else if (m === 0x9feb) le = false;
  else {
    report(0, `bad magic 0x${m.toString(16).padStart(4, '0')}, expected 0xeb9f`);
    return { diagnostics };
  }
  const header: BtfHeader = {
    magic: BTF_MAGIC,
    version: bytes[2],
    flags: bytes[3],
    hdrLen: dv.getUint32(4, le),
    typeOff: dv.getUint32(8, le),
    typeLen: dv.getUint32(12, le),
    strOff: dv.getUint32(16, le),
    strLen: dv.getUint32(20, le),
  };
  if (header.version !== 1) report(2, `unsupported version ${header.version}, expected 1`);
  if (header.hdrLen < BTF_HEADER_LEN || header.hdrLen > bytes.length) {
    report(4, `bad header length ${header.hdrLen} (blob is ${bytes.length} bytes)`);
    return { diagnostics };
  }
  const h = header.hdrLen;
  const typesStart = h + header.typeOff;
  const typesEnd = typesStart + header.typeLen;
  const strStart = h + header.strOff;
  const strEnd = strStart + header.strLen;
  if (typesEnd > bytes.length) {
    report(8, `truncated type section: it ends at ${typesEnd}, the blob has ${bytes.length} bytes`);
    return { diagnostics };
  }
  if (strEnd > bytes.length) {
    report(16, `truncated string section: it ends at ${strEnd}, the blob has ${bytes.length} bytes`);
    return { diagnostics };
  }
  if (header.typeOff % 4 !== 0) report(8, `type section offset ${header.typeOff} is not 4-byte aligned`);
  if (typesStart < strEnd && strStart < typesEnd) {
    report(8, 'type and string sections overlap');
    return { diagnostics };
  }
  if (header.strLen === 0 && base === undefined) {
    report(16, 'empty string section (must hold at least the empty string)');
    return { diagnostics };
  }
  if (header.strLen > 0 && bytes[strEnd - 1] !== 0) {
    report(strEnd - 1, 'string section does not end with a NUL byte');
    return { diagnostics };
  }
  if (header.strLen > 0 && base === undefined && bytes[strStart] !== 0) {
    report(strStart, 'string section does not start with the empty string');
  }

  // Pass 1: find every record and check it lies within the type section.
  const firstId = base === undefined ? 1 : base.count;
  const strBase = base === undefined ? 0 : totalStrLen(base);
  const strTotal = strBase + header.strLen;
  let cap = Math.max(16, Math.ceil(header.typeLen / 16));
  let offsets = new Int32Array(cap);
  let n = 0;
  let p = typesStart;
  while (p < typesEnd) {
    if (p + 12 > typesEnd) {
      report(p, `type record [${firstId + n}] truncated: ${typesEnd - p} bytes left, need 12`);
      return { diagnostics };
    }
    const info = dv.getUint32(p + 4, le);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    if (kind === 0 || kind > MAX_KIND) {
      report(p + 4, `type [${firstId + n}] has unknown kind ${kind}`);
      return { diagnostics };
    }
    const next = p + 12 + extraSize(kind, vlen);
    if (next > typesEnd) {
      report(p + 4, `type [${firstId + n}] ${KIND_NAMES[kind]}: vlen ${vlen} overruns the type section (record ends at ${next}, section at ${typesEnd})`);
      return { diagnostics };
    }
    if (n === cap) {
      cap *= 2;
      const grown = new Int32Array(cap);
      grown.set(offsets);
      offsets = grown;
    }
    offsets[n++] = p;
    p = next;
  }
  offsets = offsets.slice(0, n);
  const count = firstId + n;
  const raw: RawBtf = {
    bytes, dv, littleEndian: le, header, base, firstId, count, offsets,
    typesStart, typesEnd, strStart, strLen: header.strLen, strBase,
  };

  // Pass 2: references inside records (string offsets, type ids).
  const badStr = (at: number, what: string, off: number): void => {
    report(at, `${what}: string offset ${off} out of range (string sections hold ${strTotal} bytes)`);
  };
  const checkRef = (at: number, id: number, what: string, ref: number): void => {
    if (ref >= count) report(at, `type [${id}] ${what}: dangling type id ${ref} (last id is ${count - 1})`);
  };
  for (let i = 0; i < n && diagnostics.length < max; i++) {
    const o = offsets[i];
    const id = firstId + i;
    const nameOff = dv.getUint32(o, le);
    const info = dv.getUint32(o + 4, le);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const st = dv.getUint32(o + 8, le);
    if (nameOff >= strTotal) badStr(o, `type [${id}] name`, nameOff);
    const kname = KIND_NAMES[kind];
    switch (kind) {
      case KIND.INT: {
        const enc = dv.getUint32(o + 12, le);
        const bits = enc & 0xff;
        if (bits > 128 || ((enc >>> 16) & 0xff) + bits > st * 8) report(o + 12, `type [${id}] INT: ${bits} bits at bit offset ${(enc >>> 16) & 0xff} do not fit in ${st} bytes`);
        break;
      }
      case KIND.PTR: case KIND.TYPEDEF: case KIND.VOLATILE: case KIND.CONST: case KIND.RESTRICT:
      case KIND.TYPE_TAG: case KIND.FUNC: case KIND.VAR: case KIND.DECL_TAG:
        checkRef(o + 8, id, kname, st);
        break;
      case KIND.ARRAY:
        checkRef(o + 12, id, 'ARRAY element', dv.getUint32(o + 12, le));
        checkRef(o + 16, id, 'ARRAY index', dv.getUint32(o + 16, le));
        break;
      case KIND.STRUCT: case KIND.UNION:
        for (let j = 0, q = o + 12; j < vlen; j++, q += 12) {
          const mn = dv.getUint32(q, le);
          if (mn >= strTotal) badStr(q, `type [${id}] member ${j} name`, mn);
          checkRef(q + 4, id, `member ${j}`, dv.getUint32(q + 4, le));
        }
        break;
      case KIND.ENUM: case KIND.ENUM64: {
        const step = kind === KIND.ENUM ? 8 : 12;
        for (let j = 0, q = o + 12; j < vlen; j++, q += step) {
          const mn = dv.getUint32(q, le);
          if (mn >= strTotal) badStr(q, `type [${id}] enumerator ${j} name`, mn);
        }
        break;
      }
      case KIND.FUNC_PROTO:
        checkRef(o + 8, id, 'return type', st);
        for (let j = 0, q = o + 12; j < vlen; j++, q += 8) {
          const mn = dv.getUint32(q, le);
          if (mn >= strTotal) badStr(q, `type [${id}] param ${j} name`, mn);
          checkRef(q + 4, id, `param ${j}`, dv.getUint32(q + 4, le));
        }
        break;
      case KIND.DATASEC:
        for (let j = 0, q = o + 12; j < vlen; j++, q += 12) checkRef(q, id, `DATASEC var ${j}`, dv.getUint32(q, le));
        break;
      default:
        break;
    }
  }
  return { btf: raw, diagnostics };
}

/** Byte offset of the record of `id`, or -1 for void and ids out of range. */
export function recordOffset(raw: RawBtf, id: number): number {
  let r: RawBtf | undefined = raw;
  while (r !== undefined) {
    if (id >= r.firstId && id < r.count) return r.offsets[id - r.firstId];
    r = r.base;
  }
  return -1;
}

/** The blob (this one or a base) that holds type `id`. */
export function blobOf(raw: RawBtf, id: number): RawBtf | undefined {
  let r: RawBtf | undefined = raw;
  while (r !== undefined) {
    if (id >= r.firstId && id < r.count) return r;
    r = r.base;
  }
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * The string at `off` (counted over the base's and this blob's string
 * sections), or undefined if out of range. ASCII strings (almost all BTF names)
 * are decoded with String.fromCharCode straight from the bytes.
 */
export function readString(raw: RawBtf, off: number): string | undefined {
  let r: RawBtf | undefined = raw;
  while (r !== undefined && off < r.strBase) r = r.base;
  if (r === undefined || off - r.strBase >= r.strLen) return undefined;
  const b = r.bytes;
  const start = r.strStart + off - r.strBase;
  let end = start;
  let ascii = true;
  for (;;) {
    const c = b[end];
    if (c === 0) break;
    if (c > 127) ascii = false;
    end++;
  }
  if (end === start) return '';
  if (ascii && end - start <= 256) {
    return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
  }
  return utf8.decode(b.subarray(start, end));
}

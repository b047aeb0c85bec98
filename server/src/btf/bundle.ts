/**
 * The default-kernel bundle: one container holding a kernel's raw BTF and its
 * tracepoint record layouts, so the editor and CLI work where the running
 * kernel's /sys/kernel/btf or tracefs cannot be read. This file only encodes
 * and decodes the (uncompressed) container; compression and files are host/'s.
 *
 * Layout (little-endian):
 *
 *    0        8        12
 *    +--------+--------+------------------------------------------+
 *    |BPFSKB01| count  | count x section                          |
 *    +--------+--------+------------------------------------------+
 *    section: u32 tag (4 ASCII bytes: "BTF ", "TPJS", "META"), u32 length,
 *             `length` bytes, zero padding to a multiple of 4.
 *    "TPJS": UTF-8 JSON array of [system, name, id, fields] where each field
 *            is [name, type, offset, size, signed(0|1), arrayLen|null, dynamic|null].
 */
import type { TpFormat, TpField } from './tracepoint';

export const BUNDLE_MAGIC = 'BPFSKB01';

export interface BundleTracepoint {
  system: string;
  format: TpFormat;
}

export interface Bundle {
  btf: Uint8Array;
  tracepoints: BundleTracepoint[];
  meta: Record<string, string>;
}

export interface BundleDiagnostic {
  offset: number;
  message: string;
}

type PackedField = [string, string, number, number, number, number | null, string | null];
type PackedTp = [string, string, number, PackedField[]];

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeBundle(b: Bundle): Uint8Array {
  const tps: PackedTp[] = b.tracepoints.map((t) => [
    t.system, t.format.name, t.format.id,
    t.format.fields.map((f): PackedField => [f.name, f.type, f.offset, f.size, f.signed ? 1 : 0, f.arrayLen ?? null, f.dynamic ?? null]),
  ]);
  const sections: [string, Uint8Array][] = [
    ['BTF ', b.btf],
    ['TPJS', enc.encode(JSON.stringify(tps))],
    ['META', enc.encode(JSON.stringify(b.meta))],
  ];
  const total = 12 + sections.reduce((n, [, d]) => n + 8 + ((d.length + 3) & ~3), 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set(enc.encode(BUNDLE_MAGIC), 0);
  dv.setUint32(8, sections.length, true);
  let p = 12;
  for (const [tag, data] of sections) {
    out.set(enc.encode(tag), p);
    dv.setUint32(p + 4, data.length, true);
    out.set(data, p + 8);
    p += 8 + ((data.length + 3) & ~3);
  }
  return out;
}

/** Decode a container; a malformed one gives diagnostics and no bundle, never a throw. */
export function decodeBundle(bytes: Uint8Array): { bundle?: Bundle; diagnostics: BundleDiagnostic[] } {
  const diagnostics: BundleDiagnostic[] = [];
  if (bytes.length < 12 || dec.decode(bytes.subarray(0, 8)) !== BUNDLE_MAGIC) {
    return { diagnostics: [{ offset: 0, message: `not a BPF Studio kernel bundle (magic ${BUNDLE_MAGIC} missing)` }] };
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = dv.getUint32(8, true);
  const found = new Map<string, Uint8Array>();
  let p = 12;
  for (let i = 0; i < count; i++) {
    if (p + 8 > bytes.length) {
      diagnostics.push({ offset: p, message: `section ${i} header truncated` });
      return { diagnostics };
    }
    const tag = dec.decode(bytes.subarray(p, p + 4));
    const len = dv.getUint32(p + 4, true);
    if (p + 8 + len > bytes.length) {
      diagnostics.push({ offset: p + 4, message: `section '${tag}' of ${len} bytes runs past the end (${bytes.length})` });
      return { diagnostics };
    }
    found.set(tag, bytes.subarray(p + 8, p + 8 + len));
    p += 8 + ((len + 3) & ~3);
  }
  const btf = found.get('BTF ');
  if (btf === undefined) {
    diagnostics.push({ offset: 12, message: "no 'BTF ' section" });
    return { diagnostics };
  }
  let tracepoints: BundleTracepoint[] = [];
  let meta: Record<string, string> = {};
  try {
    const tps = JSON.parse(dec.decode(found.get('TPJS') ?? enc.encode('[]'))) as PackedTp[];
    tracepoints = tps.map(([system, name, id, fs]) => {
      const fields = fs.map(([fname, type, offset, size, signed, arrayLen, dynamic], line): TpField => {
        const f: TpField = { name: fname, type, decl: '', offset, size, signed: signed === 1, common: fname.startsWith('common_'), line };
        if (arrayLen !== null) f.arrayLen = arrayLen;
        if (dynamic === 'data_loc' || dynamic === 'rel_loc') f.dynamic = dynamic;
        f.decl = dynamic !== null ? `__${dynamic} ${type} ${fname}` : declOf(type, fname);
        return f;
      });
      return { system, format: { name, id, fields, printFmt: '', size: fields.reduce((m, f) => Math.max(m, f.offset + f.size), 0) } };
    });
    meta = JSON.parse(dec.decode(found.get('META') ?? enc.encode('{}'))) as Record<string, string>;
  } catch (e) {
    diagnostics.push({ offset: 12, message: `bad tracepoint or meta section: ${(e as Error).message}` });
    return { diagnostics };
  }
  return { bundle: { btf, tracepoints, meta }, diagnostics };
}

/** `char[16]` + `comm` -> `char comm[16]`; other types: `type name`. */
function declOf(type: string, name: string): string {
  const m = /^(.*?)(\[[^\]]*\])$/.exec(type);
  return m === null ? `${type} ${name}` : `${m[1]} ${name}${m[2]}`;
}

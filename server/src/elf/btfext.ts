/**
 * The .BTF.ext section: per-section func_info, line_info and CO-RE relocation
 * records, with names and source lines looked up in the object's BTF strings.
 * Records are kept raw (byte offsets in their ELF section, type ids, access
 * strings); resolving CO-RE relocations against a target kernel is elsewhere.
 */
import { type RawBtf, readString } from '../btf/format';
import type { ElfDiagnostic } from './types';

export interface FuncInfo {
  /** Byte offset of the function's first instruction in its ELF section. */
  insnOff: number;
  typeId: number;
}

export interface LineInfo {
  insnOff: number;
  fileName: string;
  /** The source line's text as clang recorded it. */
  line: string;
  lineNum: number;
  col: number;
}

/** bpf_core_relo_kind (libbpf / LLVM numbering). */
export const CORE_KINDS: readonly string[] = [
  'field_byte_offset', 'field_byte_size', 'field_exists', 'field_signed', 'field_lshift_u64', 'field_rshift_u64',
  'type_id_local', 'type_id_target', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches',
];

export interface CoreRelo {
  insnOff: number;
  typeId: number;
  /** The access string, e.g. "0:3" (member indices) or an enumerator index. */
  access: string;
  kind: number;
  kindName: string;
}

export interface BtfExtSection<T> {
  section: string;
  records: T[];
}

export interface BtfExt {
  version: number;
  flags: number;
  funcInfo: BtfExtSection<FuncInfo>[];
  lineInfo: BtfExtSection<LineInfo>[];
  coreRelos: BtfExtSection<CoreRelo>[];
}

export interface BtfExtResult {
  ext?: BtfExt;
  diagnostics: ElfDiagnostic[];
}

/**
 * Parses .BTF.ext. `base` is the section's file offset (diagnostic offsets are
 * file offsets); `btf` supplies the strings (missing: names read as "").
 */
export function parseBtfExt(data: Uint8Array, btf: RawBtf | undefined, littleEndian: boolean, base = 0, maxRecords = 1 << 20): BtfExtResult {
  const diagnostics: ElfDiagnostic[] = [];
  const report = (off: number, message: string): void => {
    if (diagnostics.length < 100) diagnostics.push({ offset: base + off, message: `.BTF.ext: ${message}` });
  };
  if (data.length < 24) {
    report(0, `truncated header: ${data.length} bytes, need 24`);
    return { diagnostics };
  }
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let le = littleEndian;
  const magic = dv.getUint16(0, le);
  if (magic !== 0xeb9f) {
    if (dv.getUint16(0, !le) === 0xeb9f) le = !le;
    else {
      report(0, `bad magic 0x${magic.toString(16)}, expected 0xeb9f`);
      return { diagnostics };
    }
  }
  const hdrLen = dv.getUint32(4, le);
  if (hdrLen < 24 || hdrLen > data.length) {
    report(4, `bad header length ${hdrLen} (section is ${data.length} bytes)`);
    return { diagnostics };
  }
  const str = (off: number, at: number): string => {
    if (btf === undefined) return '';
    const s = readString(btf, off);
    if (s === undefined) {
      report(at, `string offset ${off} out of range`);
      return '';
    }
    return s;
  };
  const ext: BtfExt = { version: data[2], flags: data[3], funcInfo: [], lineInfo: [], coreRelos: [] };
  let budget = maxRecords;
  /** Walks one info block: rec_size, then {sec_name_off, num_info, records}. */
  const block = <T>(hdrAt: number, minRec: number, what: string, read: (at: number) => T): BtfExtSection<T>[] => {
    const out: BtfExtSection<T>[] = [];
    const off = dv.getUint32(hdrAt, le);
    const len = dv.getUint32(hdrAt + 4, le);
    if (len === 0) return out;
    const start = hdrLen + off;
    const end = start + len;
    if (end > data.length || start < hdrLen) {
      report(hdrAt, `${what} block at ${off} with length ${len} is past the end of the section (${data.length} bytes)`);
      return out;
    }
    if (len < 4) {
      report(start, `${what} block too short for its record size`);
      return out;
    }
    const recSize = dv.getUint32(start, le);
    if (recSize < minRec || recSize % 4 !== 0) {
      report(start, `${what} record size ${recSize} is invalid (at least ${minRec}, a multiple of 4)`);
      return out;
    }
    let p = start + 4;
    while (p < end) {
      if (p + 8 > end) {
        report(p, `${what}: truncated section header`);
        break;
      }
      const secName = str(dv.getUint32(p, le), p);
      const n = dv.getUint32(p + 4, le);
      p += 8;
      if (n > (end - p) / recSize) {
        report(p - 4, `${what} for ${secName}: ${n} records of ${recSize} bytes overrun the block`);
        break;
      }
      const records: T[] = [];
      for (let i = 0; i < n && budget > 0; i++, budget--) records.push(read(p + i * recSize));
      p += n * recSize;
      out.push({ section: secName, records });
    }
    return out;
  };
  ext.funcInfo = block(8, 8, 'func_info', (at) => ({ insnOff: dv.getUint32(at, le), typeId: dv.getUint32(at + 4, le) }));
  ext.lineInfo = block(16, 16, 'line_info', (at) => {
    const lc = dv.getUint32(at + 12, le);
    return {
      insnOff: dv.getUint32(at, le),
      fileName: str(dv.getUint32(at + 4, le), at + 4),
      line: str(dv.getUint32(at + 8, le), at + 8),
      lineNum: lc >>> 10,
      col: lc & 0x3ff,
    };
  });
  if (hdrLen >= 32) {
    ext.coreRelos = block(24, 16, 'core_relo', (at) => {
      const kind = dv.getUint32(at + 12, le);
      return {
        insnOff: dv.getUint32(at, le),
        typeId: dv.getUint32(at + 4, le),
        access: str(dv.getUint32(at + 8, le), at + 8),
        kind,
        kindName: CORE_KINDS[kind] ?? `kind ${kind}`,
      };
    });
  }
  return { ext, diagnostics };
}

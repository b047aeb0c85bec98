/**
 * Finds the DWARF sections of an ELF file for the reader (dwarf.ts): plain
 * .debug_* sections, SHF_COMPRESSED ones (Elf64_Chdr, zlib or zstd) and the
 * older GNU .zdebug_* ones ("ZLIB" + size), decompressed through a callback
 * the host provides (the core has no zlib). Never throws; what cannot be
 * decompressed is left out with a diagnostic. Non-goals: separate debug files
 * (.gnu_debuglink, build-id paths: the host looks those up).
 */
import type { Elf } from './types';
import type { DwarfDiagnostic, DwarfSections } from './dwarf-types';

/** SHF_COMPRESSED section flag. */
export const SHF_COMPRESSED = 0x800;
/** Elf64_Chdr ch_type values. */
export const ELFCOMPRESS = { ZLIB: 1, ZSTD: 2 } as const;

/** Decompresses `data` (a zlib or zstd stream) to `size` bytes; undefined when it cannot. */
export type Inflate = (data: Uint8Array, algo: 'zlib' | 'zstd', size: number) => Uint8Array | undefined;

const WANTED: Record<string, Exclude<keyof DwarfSections, 'littleEndian'>> = {
  info: 'info', abbrev: 'abbrev', str: 'str', line_str: 'lineStr', str_offsets: 'strOffsets', addr: 'addr',
};

export interface DebugSectionsResult {
  sections: DwarfSections;
  diagnostics: DwarfDiagnostic[];
  /** Names of the sections that were compressed, with their algorithm ('.debug_info: zlib'). */
  compressed: string[];
  /** True when the file has a .debug_info section at all (compressed or not). */
  hasDebugInfo: boolean;
}

function inflateOne(name: string, data: Uint8Array, algo: 'zlib' | 'zstd' | undefined, size: number, inflate: Inflate | undefined, diags: DwarfDiagnostic[]): Uint8Array | undefined {
  if (algo === undefined) {
    diags.push({ section: name, offset: 0, message: 'unknown compression type: section skipped' });
    return undefined;
  }
  if (!inflate) {
    diags.push({ section: name, offset: 0, message: `${algo}-compressed section, and no decompressor is available here: section skipped` });
    return undefined;
  }
  let out: Uint8Array | undefined;
  try {
    out = inflate(data, algo, size);
  } catch {
    out = undefined;
  }
  if (!out) diags.push({ section: name, offset: 0, message: `${algo} decompression failed${algo === 'zstd' ? ' (zstd may be unsupported by this runtime)' : ''}: section skipped` });
  else if (out.length !== size) diags.push({ section: name, offset: 0, message: `decompressed to ${out.length} bytes, the header says ${size}` });
  return out;
}

/** The debug sections of `elf`, decompressed with `inflate` where needed. */
export function debugSections(elf: Elf, inflate?: Inflate): DebugSectionsResult {
  const le = elf.header.littleEndian;
  const sections: DwarfSections = { littleEndian: le };
  const diagnostics: DwarfDiagnostic[] = [];
  const compressed: string[] = [];
  let hasDebugInfo = false;
  for (const s of elf.sections) {
    const m = /^\.(z?)debug_(.+)$/.exec(s.name);
    if (!m) continue;
    const key = WANTED[m[2]];
    if (m[2] === 'info') hasDebugInfo = true;
    if (!key || sections[key]) continue;
    let data: Uint8Array | undefined = s.data;
    if ((Number(s.flags & 0xffffffffn) & SHF_COMPRESSED) !== 0) {
      if (data.length < 24) {
        diagnostics.push({ section: s.name, offset: 0, message: 'compressed section shorter than its header' });
        continue;
      }
      const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const type = dv.getUint32(0, le);
      const size = Number(dv.getBigUint64(8, le));
      const algo = type === ELFCOMPRESS.ZLIB ? 'zlib' : type === ELFCOMPRESS.ZSTD ? 'zstd' : undefined;
      compressed.push(`${s.name}: ${algo ?? `type ${type}`}`);
      data = inflateOne(s.name, data.subarray(24), algo, size, inflate, diagnostics);
    } else if (m[1] === 'z') {
      const magic = String.fromCharCode(...data.subarray(0, 4));
      if (data.length < 12 || magic !== 'ZLIB') {
        diagnostics.push({ section: s.name, offset: 0, message: 'a .zdebug section without its "ZLIB" header' });
        continue;
      }
      const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
      compressed.push(`${s.name}: zlib (GNU .zdebug)`);
      data = inflateOne(s.name, data.subarray(12), 'zlib', Number(dv.getBigUint64(4, false)), inflate, diagnostics);
    }
    if (data) sections[key] = data;
  }
  return { sections, diagnostics, compressed, hasDebugInfo };
}

/**
 * Building and loading the compressed default-kernel bundle (btf/bundle.ts):
 * reads a BTF file and a tracefs events directory, parses the formats, packs
 * and compresses them with brotli (node:zlib); loading reverses it. Where the
 * bundle file lives and when it is built is the build script's business.
 */
import { brotliCompressSync, brotliDecompressSync, gzipSync, constants } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { parseTracepointFormat } from '../btf/tracepoint';
import { encodeBundle, decodeBundle, type Bundle, type BundleTracepoint } from '../btf/bundle';
import { readTracepointFormats } from './btf-files';

export interface BuiltBundle {
  /** The uncompressed container. */
  raw: Uint8Array;
  /** Brotli (quality 11) of `raw`: what would be shipped. */
  compressed: Uint8Array;
  problems: string[];
}

export function buildBundle(btfPath: string, eventsDir: string, meta: Record<string, string> = {}): BuiltBundle {
  const problems: string[] = [];
  const btf = readFileSync(btfPath);
  const { files, errors } = readTracepointFormats(eventsDir);
  problems.push(...errors);
  const tracepoints: BundleTracepoint[] = [];
  for (const f of files) {
    const r = parseTracepointFormat(f.text);
    for (const d of r.diagnostics) problems.push(`${f.path}:${d.line + 1}:${d.col + 1}: ${d.message}`);
    if (r.format !== undefined) tracepoints.push({ system: f.system, format: r.format });
  }
  const raw = encodeBundle({ btf, tracepoints, meta });
  return { raw, compressed: brotli(raw), problems };
}

export function brotli(data: Uint8Array): Uint8Array {
  return brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_LGWIN]: 24,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
}

export function gzip(data: Uint8Array): Uint8Array {
  return gzipSync(data, { level: 9 });
}

/** Decompress and decode a bundle; a bad file gives an error string, never a throw. */
export function loadBundle(compressed: Uint8Array): { bundle?: Bundle; error?: string } {
  let raw: Uint8Array;
  try {
    raw = brotliDecompressSync(compressed);
  } catch (e) {
    return { error: `bundle does not decompress: ${(e as Error).message}` };
  }
  const r = decodeBundle(raw);
  if (r.bundle === undefined) return { error: r.diagnostics.map((d) => `${d.offset}: ${d.message}`).join('; ') };
  return { bundle: r.bundle };
}

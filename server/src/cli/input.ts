/**
 * Reading a program given on the command line: BPF assembly text (either
 * syntax), hex text (bytes like `b7 00 …`, or 64-bit little-endian words like
 * the conformance suite's `0x00000001000000b7`), a raw binary, or an ELF object
 * (recognised here; its reader arrives with the ELF issue). Errors name the
 * file and the position.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './args';

export type InputKind = 'asm' | 'hex' | 'raw' | 'elf';

export interface ProgramInput {
  path: string;
  kind: InputKind;
  text?: string;
  bytes?: Uint8Array;
}

export function readInput(path: string): ProgramInput {
  let data: Buffer;
  try {
    data = readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    throw new UsageError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) {
    return { path, kind: 'elf', bytes };
  }
  if (!isText(bytes)) return { path, kind: 'raw', bytes };
  const text = data.toString('utf8');
  const hex = parseHexText(text);
  if (hex.ok) return { path, kind: 'hex', text, bytes: hex.bytes };
  return { path, kind: 'asm', text };
}

function isText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 4096);
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c === 0 || (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d)) return false;
  }
  return true;
}

/**
 * Hex text: `#` comments; tokens are either two hex digits (one byte) or
 * 16 hex digits with an optional 0x (one instruction as a 64-bit
 * little-endian word, the conformance suite's `-- raw` form).
 */
export function parseHexText(text: string): { ok: true; bytes: Uint8Array } | { ok: false; line: number; col: number; token: string } {
  const out: number[] = [];
  const lines = text.split(/\r?\n/);
  let sawToken = false;
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln].replace(/(#|\/\/|;).*$/, '');
    const re = /[^\s,]+/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(line))) {
      const tok = m[0];
      sawToken = true;
      if (/^[0-9a-f]{2}$/i.test(tok)) out.push(parseInt(tok, 16));
      else if (/^(0x)?[0-9a-f]{16}$/i.test(tok)) {
        let v = BigInt(tok.startsWith('0x') || tok.startsWith('0X') ? tok : '0x' + tok);
        for (let k = 0; k < 8; k++) { out.push(Number(v & 0xffn)); v >>= 8n; }
      } else return { ok: false, line: ln + 1, col: m.index + 1, token: tok };
    }
  }
  if (!sawToken) return { ok: false, line: 1, col: 1, token: '' };
  return { ok: true, bytes: Uint8Array.from(out) };
}

/** Parses `--mem` hex bytes (`"01 02 ff"` or `"0102ff"`). */
export function parseMemArg(s: string): Uint8Array {
  const clean = s.replace(/0x/gi, '').replace(/[\s,:]/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(clean)) throw new UsageError(`--mem expects hex bytes, got '${s}'`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

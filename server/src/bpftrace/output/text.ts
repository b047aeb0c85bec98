/**
 * Text of one decoded value, map key or string the way bpftrace's text and
 * JSON outputs print them (tuples, records, arrays, buffers' hex escapes,
 * JSON string escaping with 0.17's sign-extended `\uffffffXX` for bytes
 * >= 0x80). Non-goals: maps, histograms and printf (sibling modules).
 */
import type { BtValue } from './values';
import { specialText, SpecialCtx } from './special';

export interface ValueCtx extends SpecialCtx {
  json: boolean;
  /** bpftrace release; affects JSON escaping of non-ASCII bytes. */
  old: boolean;
}

const dec = new TextDecoder('utf-8');
const enc = new TextEncoder();

export function bytesText(b: Uint8Array): string {
  return dec.decode(b);
}

/** bpftrace's hex_format_buffer: printable ASCII kept (keepAscii), others `\xNN` (escapeHex) or `NN ` separated hex. */
export function hexFormatBuffer(b: Uint8Array, keepAscii = true, escapeHex = true): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (keepAscii && c >= 32 && c <= 126) s += String.fromCharCode(c);
    else if (escapeHex) s += '\\x' + c.toString(16).padStart(2, '0');
    else s += c.toString(16).padStart(2, '0') + (i === b.length - 1 ? '' : ' ');
  }
  return s;
}

/** bpftrace's json_escape over the UTF-8 bytes of `s`. */
export function jsonEscape(s: string): string {
  const b = enc.encode(s);
  let out = '';
  let run = -1;
  const flush = (i: number): void => {
    if (run >= 0) out += dec.decode(b.subarray(run, i));
    run = -1;
  };
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    let e: string | undefined;
    if (c === 0x22) e = '\\"';
    else if (c === 0x5c) e = '\\\\';
    else if (c === 0x0a) e = '\\n';
    else if (c === 0x0d) e = '\\r';
    else if (c === 0x09) e = '\\t';
    else if (c <= 0x1f) e = '\\u' + c.toString(16).padStart(4, '0');
    // bpftrace tests `char c <= '\x1f'` with a signed char: bytes >= 0x80 print as sign-extended hex (0.17 and 0.26).
    else if (c >= 0x80) e = '\\u' + ((0xffffff00 | c) >>> 0).toString(16);
    if (e === undefined) {
      if (run < 0) run = i;
    } else {
      flush(i);
      out += e;
    }
  }
  flush(b.length);
  return out;
}

export function quote(s: string): string {
  return '"' + jsonEscape(s) + '"';
}

/** The number an integer value denotes after bpftrace reinterprets it at its width and sign. */
export function intOf(v: Extract<BtValue, { t: 'int' }>): bigint {
  const bits = v.bits ?? 64;
  return v.signed ? BigInt.asIntN(bits, v.v) : BigInt.asUintN(bits, v.v);
}

/** C-style truncating division. */
export function cdiv(a: bigint, d: bigint): bigint {
  return d === 0n ? a : a / d;
}

const QUOTED_SPECIAL = new Set(['kstack', 'ustack', 'ksym', 'usym', 'inet', 'username', 'probe']);

/** Output::value_to_str: a value in a map or print(). */
export function valueText(v: BtValue, ctx: ValueCtx, div = 1n): string {
  switch (v.t) {
    case 'int':
      return cdiv(intOf(v), div).toString();
    case 'str': {
      const s = bytesText(v.v);
      return ctx.json ? quote(s) : s;
    }
    case 'buf': {
      const s = hexFormatBuffer(v.v);
      return ctx.json ? quote(s) : s;
    }
    case 'tuple': {
      const els = v.elems.map((e) => valueText(e, ctx, div));
      return ctx.json ? '[' + els.join(',') + ']' : '(' + els.join(', ') + ')';
    }
    case 'array':
      return '[' + v.elems.map((e) => valueText(e, ctx, div)).join(',') + ']';
    case 'record': {
      const els = v.fields.map((f) => (ctx.json ? `"${f.name}": ` : `.${f.name} = `) + valueText(f.v, ctx, div));
      return '{ ' + els.join(', ') + ' }';
    }
    case 'special': {
      const s = specialText(v, { ...ctx, indent: 8 });
      return ctx.json && QUOTED_SPECIAL.has(v.kind) ? quote(s) : s;
    }
    case 'bool':
      return v.v ? 'true' : 'false';
    case 'none':
      return '';
  }
}

/** MapKey::argument_value: one map key element (ints always signed at their width; stacks indented by 4). */
export function keyElemText(v: BtValue, ctx: SpecialCtx): string {
  switch (v.t) {
    case 'int':
      return BigInt.asIntN(v.bits ?? 64, v.v).toString();
    case 'str':
      return bytesText(v.v);
    case 'buf':
      return hexFormatBuffer(v.v);
    case 'tuple':
      return '(' + v.elems.map((e) => keyElemText(e, ctx)).join(', ') + ')';
    case 'array':
      return '[' + v.elems.map((e) => keyElemText(e, ctx)).join(',') + ']';
    case 'record':
      return '{' + v.fields.map((f) => `.${f.name}=` + keyElemText(f.v, ctx)).join(',') + '}';
    case 'special':
      return specialText(v, { ...ctx, indent: 4 });
    case 'bool':
      return v.v ? 'true' : 'false';
    case 'none':
      return '';
  }
}

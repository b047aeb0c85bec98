/**
 * printf()/system()/cat() formatting of decoded arguments as bpftrace does it:
 * 0.17 splits the format after each specifier and hands every fragment to
 * glibc's snprintf with one 64-bit argument (so `%d` shows the low 32 bits,
 * `%%` only works before the last specifier); 0.26 parses a C-like grammar
 * and formats with iostreams. Non-goal: checking argument counts and types
 * (semantic analysis does).
 */
import type { BtValue } from './values';
import { CArg, formatConversion, formatFragment } from './cprintf';
import { bytesText, hexFormatBuffer, intOf, valueText, ValueCtx } from './text';
import { isOld } from './version';
import { strText26, valueText26 } from './modern';

const TYPES_017 = ['s', 'rx', 'rh', 'r', 'c', 'd', 'u', 'o', 'x', 'X', 'p'];
for (const l of ['hh', 'h', 'll', 'l', 'j', 'z', 't']) for (const s of ['d', 'u', 'o', 'x', 'X', 'p']) TYPES_017.push(l + s);
/** 0.17's specifier pattern (longest specifier first: `%rx` is one token). */
const SPEC_017 = new RegExp(`%-?[0-9]*(?:\\.[0-9]+)?(?:${TYPES_017.sort((a, b) => b.length - a.length).join('|')})`, 'g');
const SPEC_026 = /%(-?)(\+?)( ?)(#?)(0?)(\*|\d+)?(?:\.(\*|\d+))?([hlLjzt]*)([diouxXeEfFGaAcspn%]|gr|g|rh|rx|r)/g;

const DEFAULT_CTX: ValueCtx = { json: false, old: true, indent: 8, tzOffsetMinutes: 0, bootNs: 0n };

function toCArg(v: BtValue, ctx: ValueCtx): CArg {
  switch (v.t) {
    case 'int':
      return { kind: 'int', v: intOf(v) };
    case 'bool':
      return { kind: 'int', v: v.v ? 1n : 0n };
    case 'str':
      return { kind: 'str', v: bytesText(v.v) };
    default:
      return { kind: 'str', v: valueText(v, { ...ctx, json: false }) };
  }
}

function bufArg(v: BtValue, token: string, ctx: ValueCtx): CArg {
  if (v.t !== 'buf') return toCArg(v, ctx);
  const keepAscii = token === 'r';
  const escapeHex = token !== 'rh';
  return { kind: 'str', v: hexFormatBuffer(v.v, keepAscii, escapeHex) };
}

function format017(fmt: string, args: BtValue[], ctx: ValueCtx): string {
  const parts: string[] = [];
  let last = 0;
  for (const m of fmt.matchAll(SPEC_017)) {
    const end = (m.index ?? 0) + m[0].length;
    parts.push(fmt.slice(last, end));
    last = end;
  }
  if (last !== fmt.length) parts.push(fmt.slice(last));
  let out = '';
  let i = 0;
  for (; i < args.length && i < parts.length; i++) {
    let part = parts[i];
    const tok = part.slice(part.lastIndexOf('%'));
    let arg: CArg;
    const r = /^%(rx|rh|r)$/.exec(tok);
    if (r) {
      arg = bufArg(args[i], r[1], ctx);
      part = part.replace(/%r[x|h]?/g, '%s');
    } else arg = toCArg(args[i], ctx);
    // bpftrace streams the snprintf buffer as a C string: a NUL (from %c of 0) ends the fragment.
    const text = formatFragment(part, arg);
    const nul = text.indexOf('\0');
    out += nul < 0 ? text : text.slice(0, nul);
  }
  if (i < parts.length) out += parts[i];
  return out;
}

/** iostream formatting of one 0.26 specifier (no precision for integers and strings; fill before the sign). */
function spec026(m: RegExpMatchArray, v: BtValue, ctx: ValueCtx): string {
  const [, left, plus, , alt, zero, width, , length, conv] = m;
  let body: string;
  if (conv === 'r' || conv === 'rx' || conv === 'rh') {
    const a = bufArg(v, conv, ctx);
    body = a.kind === 'str' ? a.v : a.v.toString();
  } else if (conv === 's' || !['d', 'i', 'u', 'o', 'x', 'X', 'c', 'p'].includes(conv)) {
    body = v.t === 'str' ? strText26(v) : valueText26(v, { ...ctx, json: false });
  } else {
    const a = toCArg(v, ctx);
    const n = a.kind === 'int' ? a.v : 0n;
    if (conv === 'c') body = String.fromCharCode(Number(BigInt.asUintN(8, n)));
    else if (conv === 'p') body = formatConversion({ flags: '', length: 'l', conv: 'p' }, { kind: 'int', v: n }).replace('(nil)', '0');
    else {
      const bits = length === 'hh' ? 8 : length === 'h' ? 16 : length === '' ? 32 : 64;
      const signed = conv === 'd' || conv === 'i';
      const x = signed ? BigInt.asIntN(bits, n) : BigInt.asUintN(bits, n);
      const radix = conv === 'o' ? 8 : conv === 'x' || conv === 'X' ? 16 : 10;
      body = x.toString(radix);
      if (conv === 'X') body = body.toUpperCase();
      if (alt && x !== 0n) body = (radix === 16 ? (conv === 'X' ? '0X' : '0x') : radix === 8 ? '0' : '') + body;
      if (plus && signed && x >= 0n) body = '+' + body;
    }
  }
  const w = width && width !== '*' ? Number(width) : 0;
  if (body.length >= w) return body;
  const fill = (zero ? '0' : ' ').repeat(w - body.length);
  return left ? body + fill : fill + body;
}

function format026(fmt: string, args: BtValue[], ctx: ValueCtx): string {
  let out = '';
  let last = 0;
  let i = 0;
  for (const m of fmt.matchAll(SPEC_026)) {
    out += fmt.slice(last, m.index);
    last = (m.index ?? 0) + m[0].length;
    if (m[9] === '%') {
      out += '%';
      continue;
    }
    if (i < args.length) out += spec026(m, args[i], ctx);
    i++;
  }
  return out + fmt.slice(last);
}

/** printf's text for a format string and its decoded arguments. */
export function formatPrintf(fmt: string, args: BtValue[], opts?: { version?: string; ctx?: Partial<ValueCtx> }): string {
  const ctx = { ...DEFAULT_CTX, ...opts?.ctx };
  return isOld(opts?.version) ? format017(fmt, args, ctx) : format026(fmt, args, ctx);
}


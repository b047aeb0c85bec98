/**
 * One C printf conversion as glibc prints it on x86-64 (flags, width,
 * precision, length modifiers narrowing a 64-bit argument, `%p`'s `(nil)`),
 * and a glibc-style pass over a format fragment that holds one conversion.
 * Non-goals: floating point conversions and `*` widths (bpftrace never passes
 * them an argument).
 */

export interface CSpec {
  flags: string;
  width?: number;
  precision?: number;
  /** '', 'hh', 'h', 'l', 'll', 'j', 'z', 't'. */
  length: string;
  conv: string;
}

export type CArg = { kind: 'int'; v: bigint } | { kind: 'str'; v: string };

/** `%[flags][width][.precision][length]conv` at the start of `s` (which begins with `%`). */
const SPEC_RE = /^%([-+ #0]*)(\d+)?(?:\.(\d*))?(hh|h|ll|l|j|z|t|L|q)?([diouxXcsp%])/;

export function parseSpec(s: string): { spec: CSpec; len: number } | undefined {
  const m = SPEC_RE.exec(s);
  if (!m) return undefined;
  return {
    spec: {
      flags: m[1],
      width: m[2] !== undefined ? Number(m[2]) : undefined,
      precision: m[3] !== undefined ? Number(m[3] || '0') : undefined,
      length: m[4] ?? '',
      conv: m[5],
    },
    len: m[0].length,
  };
}

/** Bits glibc reads for an integer conversion with this length modifier. */
function lengthBits(length: string): number {
  switch (length) {
    case 'hh':
      return 8;
    case 'h':
      return 16;
    case '':
      return 32;
    default:
      return 64;
  }
}

function pad(body: string, spec: CSpec, zeroOk: boolean, prefixLen = 0): string {
  const w = spec.width ?? 0;
  if (body.length >= w) return body;
  if (spec.flags.includes('-')) return body + ' '.repeat(w - body.length);
  if (zeroOk && spec.flags.includes('0')) return body.slice(0, prefixLen) + '0'.repeat(w - body.length) + body.slice(prefixLen);
  return ' '.repeat(w - body.length) + body;
}

function formatInt(spec: CSpec, raw: bigint): string {
  const bits = lengthBits(spec.length);
  const signed = spec.conv === 'd' || spec.conv === 'i';
  const v = signed ? BigInt.asIntN(bits, raw) : BigInt.asUintN(bits, raw);
  const neg = v < 0n;
  const mag = neg ? -v : v;
  const radix = spec.conv === 'o' ? 8 : spec.conv === 'x' || spec.conv === 'X' ? 16 : 10;
  let digits = mag.toString(radix);
  if (spec.conv === 'X') digits = digits.toUpperCase();
  if (spec.precision !== undefined) {
    if (spec.precision === 0 && mag === 0n) digits = '';
    else if (digits.length < spec.precision) digits = '0'.repeat(spec.precision - digits.length) + digits;
  }
  let prefix = '';
  if (signed) prefix = neg ? '-' : spec.flags.includes('+') ? '+' : spec.flags.includes(' ') ? ' ' : '';
  if (spec.flags.includes('#')) {
    if (spec.conv === 'o' && !digits.startsWith('0')) digits = '0' + digits;
    if ((spec.conv === 'x' || spec.conv === 'X') && mag !== 0n) prefix = spec.conv === 'x' ? '0x' : '0X';
  }
  return pad(prefix + digits, spec, spec.precision === undefined, prefix.length);
}

/** UTF-8 length aware truncation (C's precision counts bytes). */
function truncBytes(s: string, n: number): string {
  const b = new TextEncoder().encode(s);
  if (b.length <= n) return s;
  return new TextDecoder().decode(b.subarray(0, n));
}

/** One conversion with its argument, as glibc's snprintf would print it. */
export function formatConversion(spec: CSpec, arg: CArg): string {
  switch (spec.conv) {
    case '%':
      return '%';
    case 's': {
      const s = arg.kind === 'str' ? arg.v : arg.v.toString();
      return pad(spec.precision !== undefined ? truncBytes(s, spec.precision) : s, spec, false);
    }
    case 'c': {
      const code = arg.kind === 'int' ? Number(BigInt.asUintN(8, arg.v)) : (arg.v.charCodeAt(0) || 0);
      return pad(String.fromCharCode(code), spec, false);
    }
    case 'p': {
      const v = arg.kind === 'int' ? BigInt.asUintN(64, arg.v) : 0n;
      if (v === 0n) return pad('(nil)', spec, false);
      return formatInt({ ...spec, conv: 'x', length: 'l', flags: spec.flags.replace('#', '') + '#' }, v);
    }
    default:
      return formatInt(spec, arg.kind === 'int' ? arg.v : 0n);
  }
}

/**
 * A format fragment given to snprintf with one argument: literal text is
 * copied, `%%` prints `%`, the first conversion consumes `arg`; anything glibc
 * would read garbage for is copied as written.
 */
export function formatFragment(part: string, arg: CArg | undefined): string {
  let out = '';
  let used = arg === undefined;
  let i = 0;
  while (i < part.length) {
    const pc = part.indexOf('%', i);
    if (pc < 0) {
      out += part.slice(i);
      break;
    }
    out += part.slice(i, pc);
    const p = parseSpec(part.slice(pc));
    if (!p || (p.spec.conv !== '%' && used)) {
      out += '%';
      i = pc + 1;
      continue;
    }
    if (p.spec.conv === '%') out += '%';
    else {
      out += formatConversion(p.spec, arg as CArg);
      used = true;
    }
    i = pc + p.len;
  }
  return out;
}

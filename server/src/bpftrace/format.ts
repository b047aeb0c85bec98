/**
 * printf-style format strings: counting the conversions bpftrace expects
 * arguments for, with each release's specifier syntax (0.17's specifier table,
 * 0.26's C-like grammar with `%%` and the `r`/`rh`/`rx`/`gr` extensions), and
 * the argument-count messages. Non-goal: checking argument types.
 */

const TYPES_017 = [
  's', 'r', 'rx', 'rh', 'c', 'd', 'u', 'o', 'x', 'X', 'p', 'hhd', 'hhu', 'hho', 'hhx', 'hhX', 'hhp', 'hd', 'hu', 'ho',
  'hx', 'hX', 'hp', 'ld', 'lu', 'lo', 'lx', 'lX', 'lp', 'lld', 'llu', 'llo', 'llx', 'llX', 'llp', 'jd', 'ju', 'jo', 'jx',
  'jX', 'jp', 'zd', 'zu', 'zo', 'zx', 'zX', 'zp', 'td', 'tu', 'to', 'tx', 'tX', 'tp',
];
/** bpftrace 0.17: `%-?[0-9]*(\.[0-9]+)?(one of its specifiers)`, first alternative wins; no `%%` escape. */
const SPEC_017 = new RegExp(`%-?[0-9]*(\\.[0-9]+)?(${TYPES_017.join('|')})`, 'g');
/** bpftrace 0.26: flags, width, precision, length, then a C conversion, `%`, or gr/g/rh/rx/r. */
const SPEC_026 = /%(-?)(\+?)( ?)(#?)(0?)(\*|\d+)?(?:\.(\*|\d+))?([hlLjzt]*)([diouxXeEfFGaAcspn%]|gr|g|rh|rx|r)/g;

/** Number of arguments a format string consumes. */
export function formatArgCount(fmt: string, old: boolean): number {
  if (old) return [...fmt.matchAll(SPEC_017)].length;
  let n = 0;
  for (const m of fmt.matchAll(SPEC_026)) if (m[9] !== '%') n++;
  return n;
}

/** bpftrace's message when `supplied` arguments do not fit the format, else undefined. */
export function formatArgsMessage(func: string, fmt: string, supplied: number, old: boolean): string | undefined {
  const expected = formatArgCount(fmt, old);
  if (supplied === expected) return undefined;
  const few = supplied < expected;
  if (old) return `${func}: ${few ? 'Not enough' : 'Too many'} arguments for format string (${supplied} supplied, ${expected} expected)`;
  return `${few ? 'not enough' : 'too many'} arguments for format string (${supplied} supplied, ${expected} expected)`;
}

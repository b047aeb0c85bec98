/**
 * Text of bpftrace's special values: symbols (resolved text from the trace,
 * or the raw address the way bpftrace prints an unresolved one), stacks as
 * indented frame lines, inet addresses (inet_ntop), MAC addresses, strftime
 * timestamps, uids, errno messages. Non-goal: resolving symbols (the trace
 * recorded them).
 */
import type { BtValue } from './values';
import { strftime } from './strftime';

export interface SpecialCtx {
  /** Frame indent: 8 in values and printf, 4 in map keys. */
  indent: number;
  tzOffsetMinutes: number;
  timeZone?: string;
  bootNs: bigint;
}

type Special = Extract<BtValue, { t: 'special' }>;

/** How `std::ostream << (void*)addr` prints: "0" for null, else 0x-hex. */
export function voidPtr(addr: bigint): string {
  const a = BigInt.asUintN(64, addr);
  return a === 0n ? '0' : '0x' + a.toString(16);
}

function inet4(b: Uint8Array): string {
  return [...b.subarray(0, 4)].join('.');
}

/** glibc inet_ntop(AF_INET6): longest run (>= 2) of zero groups becomes `::`; embedded IPv4 for ::a.b.c.d and ::ffff:a.b.c.d. */
export function inet6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) best = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best >= 0 && i >= best && i < best + bestLen) {
      if (i === best) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += inet4(b.subarray(12, 16));
      break;
    }
    out += words[i].toString(16);
  }
  if (best >= 0 && best + bestLen === 8) out += ':';
  return out;
}

/** glibc's strerror() text for the common errno values. */
const ERRNO: Record<number, string> = {
  0: 'Success', 1: 'Operation not permitted', 2: 'No such file or directory', 3: 'No such process',
  4: 'Interrupted system call', 5: 'Input/output error', 6: 'No such device or address', 7: 'Argument list too long',
  8: 'Exec format error', 9: 'Bad file descriptor', 10: 'No child processes', 11: 'Resource temporarily unavailable',
  12: 'Cannot allocate memory', 13: 'Permission denied', 14: 'Bad address', 15: 'Block device required',
  16: 'Device or resource busy', 17: 'File exists', 18: 'Invalid cross-device link', 19: 'No such device',
  20: 'Not a directory', 21: 'Is a directory', 22: 'Invalid argument', 23: 'Too many open files in system',
  24: 'Too many open files', 25: 'Inappropriate ioctl for device', 26: 'Text file busy', 27: 'File too large',
  28: 'No space left on device', 29: 'Illegal seek', 30: 'Read-only file system', 31: 'Too many links',
  32: 'Broken pipe', 33: 'Numerical argument out of domain', 34: 'Numerical result out of range',
  35: 'Resource deadlock avoided', 36: 'File name too long', 37: 'No locks available', 38: 'Function not implemented',
  39: 'Directory not empty', 40: 'Too many levels of symbolic links', 61: 'No data available', 62: 'Timer expired',
  71: 'Protocol error', 75: 'Value too large for defined data type', 84: 'Invalid or incomplete multibyte or wide character',
  88: 'Socket operation on non-socket', 95: 'Operation not supported', 97: 'Address family not supported by protocol',
  98: 'Address already in use', 99: 'Cannot assign requested address', 100: 'Network is down', 101: 'Network is unreachable',
  103: 'Software caused connection abort', 104: 'Connection reset by peer', 105: 'No buffer space available',
  106: 'Transport endpoint is already connected', 107: 'Transport endpoint is not connected', 110: 'Connection timed out',
  111: 'Connection refused', 113: 'No route to host', 114: 'Operation already in progress', 115: 'Operation now in progress',
  116: 'Stale file handle', 122: 'Disk quota exceeded', 125: 'Operation canceled',
};

export function strerror(n: bigint): string {
  const k = Number(BigInt.asIntN(32, n));
  return ERRNO[k] ?? `Unknown error ${k}`;
}

/**
 * A stack: "\n" then one line per frame, `indent` spaces before each; in perf
 * mode a tab, the address in hex and the frame (unresolved user frames add
 * " ([unknown])", as bpftrace does without a module).
 */
export function stackText(s: Special, indent: number): string {
  if (s.text !== undefined) return s.text;
  const addrs = Array.isArray(s.v) ? s.v.filter((a) => a !== 0n) : [];
  if (s.stackMode === 'perf') {
    const n = Math.max(addrs.length, s.frames?.length ?? 0);
    let out = '\n';
    for (let i = 0; i < n; i++) {
      const a = addrs[i] ?? 0n;
      const f = s.frames?.[i] ?? voidPtr(a) + (s.kind === 'ustack' ? ' ([unknown])' : '');
      out += `\t${BigInt.asUintN(64, a).toString(16)} ${f}\n`;
    }
    return out;
  }
  const pad = ' '.repeat(indent);
  const frames = s.frames ?? addrs.map(voidPtr);
  return '\n' + frames.map((f) => pad + f + '\n').join('');
}

function bytesOf(v: Special['v']): Uint8Array {
  return v instanceof Uint8Array ? v : new Uint8Array();
}

function numOf(v: Special['v']): bigint {
  return typeof v === 'bigint' ? v : 0n;
}

/** The text bpftrace prints for a special value. */
export function specialText(s: Special, ctx: SpecialCtx): string {
  switch (s.kind) {
    case 'kstack':
    case 'ustack':
      return stackText(s, ctx.indent);
    default:
      if (s.text !== undefined) return s.text;
  }
  switch (s.kind) {
    case 'ksym':
    case 'usym':
      return voidPtr(numOf(s.v));
    case 'inet': {
      const b = bytesOf(s.v);
      return b.length === 16 ? inet6(b) : b.length === 4 ? inet4(b) : '';
    }
    case 'mac':
      return [...bytesOf(s.v).subarray(0, 6)].map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join(':');
    case 'timestamp':
      return strftime(s.fmt ?? '', ctx.bootNs + numOf(s.v), ctx.tzOffsetMinutes, ctx.timeZone);
    case 'username':
      return numOf(s.v).toString();
    case 'strerror':
      return strerror(numOf(s.v));
    case 'probe':
    case 'cgroup_path':
      return typeof s.v === 'bigint' ? s.v.toString() : '';
  }
}

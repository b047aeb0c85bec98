/**
 * bpf_trace_printk and bpf_snprintf: the kernel's format subset (%d %i %u %x
 * %X %c %s %p %%, with l/ll/h/hh lengths, flags `-` `0` `+` ` `, width and
 * precision). %s reads a NUL-terminated string from program memory (an
 * unreadable pointer prints as an empty string, as the kernel); %p prints the
 * raw address in hex rather than a hashed one.
 */
import type { HelperContext, HelperSpec } from './helpers-types';
import { err, u32, writeArg } from './helpers-util';
import { ERRNO } from './maps/types';

const dec = new TextDecoder('utf-8', { fatal: false });
const enc = new TextEncoder();
const SPEC = /%([-+ 0#]*)(\d+)?(?:\.(\d+))?(hh|h|ll|l|z)?([diuxXcsp%])/g;

export interface Formatted {
  text: string;
  /** Conversions that consumed an argument. */
  used: number;
  error?: string;
}

/** Formats `fmt` with 64-bit arguments; `readStr` reads a C string for %s (undefined when unreadable). */
export function formatPrintf(fmt: string, args: readonly bigint[], readStr: (addr: bigint) => string | undefined): Formatted {
  let used = 0;
  let error: string | undefined;
  const text = fmt.replace(SPEC, (_m, flags: string, width: string | undefined, prec: string | undefined, len: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    if (used >= args.length) { error = `format has more conversions than the ${args.length} argument(s) given`; return ''; }
    const raw = args[used++];
    const bits = len === 'l' || len === 'll' || len === 'z' || conv === 'p' ? 64 : len === 'h' ? 16 : len === 'hh' ? 8 : 32;
    let body: string;
    let sign = '';
    switch (conv) {
      case 'd': case 'i': {
        const v = BigInt.asIntN(bits, raw);
        if (v < 0n) sign = '-';
        else if (flags.includes('+')) sign = '+';
        else if (flags.includes(' ')) sign = ' ';
        body = (v < 0n ? -v : v).toString();
        break;
      }
      case 'u': body = BigInt.asUintN(bits, raw).toString(); break;
      case 'x': case 'X': {
        body = BigInt.asUintN(bits, raw).toString(16);
        if (conv === 'X') body = body.toUpperCase();
        if (flags.includes('#') && raw !== 0n) sign = conv === 'X' ? '0X' : '0x';
        break;
      }
      case 'p': body = BigInt.asUintN(64, raw).toString(16); sign = '0x'; break;
      case 'c': body = String.fromCharCode(Number(raw & 0xffn)); break;
      default: { // 's'
        body = readStr(raw) ?? '';
        if (prec !== undefined) body = body.slice(0, Number(prec));
        break;
      }
    }
    if (prec !== undefined && 'diuxX'.includes(conv)) body = body.padStart(Number(prec), '0');
    const w = width === undefined ? 0 : Number(width);
    const total = sign.length + body.length;
    if (total >= w) return sign + body;
    if (flags.includes('-')) return (sign + body).padEnd(w, ' ');
    if (flags.includes('0') && conv !== 's' && conv !== 'c' && prec === undefined) return sign + body.padStart(w - sign.length, '0');
    return (sign + body).padStart(w, ' ');
  });
  const out: Formatted = { text, used };
  if (error !== undefined) out.error = error;
  return out;
}

function cstr(c: HelperContext, addr: bigint, max: number): string | undefined {
  const b = c.memory.readCString(addr, max);
  return b ? dec.decode(b) : undefined;
}

export const PRINTF_HELPERS: Omit<HelperSpec, 'id'>[] = [
  {
    name: 'trace_printk', signature: 'long bpf_trace_printk(const char *fmt, u32 fmt_size, ...)',
    impl: (c, r1, r2, r3, r4, r5) => {
      const size = u32(r2);
      const fb = c.memory.read(r1, size);
      if (!fb) return c.memFaultHere(r1, size, false);
      const nul = fb.indexOf(0);
      if (nul < 0) return err(ERRNO.EINVAL);
      const f = formatPrintf(dec.decode(fb.subarray(0, nul)), [r3, r4, r5], (a) => cstr(c, a, 256));
      if (f.error) return err(ERRNO.EINVAL);
      c.output.push({ kind: 'printk', pc: c.pc, text: f.text });
      return BigInt(enc.encode(f.text).byteLength);
    },
  },
  {
    name: 'snprintf', signature: 'long bpf_snprintf(char *str, u32 str_size, const char *fmt, u64 *data, u32 data_len)',
    impl: (c, r1, r2, r3, r4, r5) => {
      const size = u32(r2), dlen = u32(r5);
      if (dlen % 8 !== 0 || dlen > 8 * 12) return err(ERRNO.EINVAL);
      const fmt = c.memory.readCString(r3, 1024);
      if (!fmt) return c.memFaultHere(r3, 1, false);
      const args: bigint[] = [];
      for (let i = 0; i < dlen / 8; i++) {
        const b = c.memory.read(r4 + BigInt(8 * i), 8);
        if (!b) return c.memFaultHere(r4 + BigInt(8 * i), 8, false);
        args.push(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));
      }
      const f = formatPrintf(dec.decode(fmt), args, (a) => cstr(c, a, 256));
      if (f.error) return err(ERRNO.EINVAL);
      const bytes = enc.encode(f.text);
      if (size > 0) {
        const out = new Uint8Array(Math.min(size, bytes.byteLength + 1));
        out.set(bytes.subarray(0, out.byteLength - 1));
        const e = writeArg(c, r1, out);
        if (e) return e;
      }
      return BigInt(bytes.byteLength + 1);
    },
  },
];

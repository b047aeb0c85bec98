/**
 * The C printer's output buffer: text is appended as UTF-8 bytes to one
 * growing byte array (no string concatenation, so no ropes to flatten and
 * little garbage) and turned into strings only in ~64 KB chunks, or for one
 * declaration when a caller wants it as a string (`mark`/`take`). It knows
 * nothing about C.
 */

import type { StrSpan } from './cnames';

const utf8Out = new TextEncoder();
const utf8In = new TextDecoder();

/** Chunk size at which `flushIfFull` cuts a string. */
const CHUNK = 65536;

export class COut {
  private buf = new Uint8Array(CHUNK * 2);
  private n = 0;
  private readonly chunks: string[] = [];

  /** With a sink, each chunk is handed over instead of kept. */
  constructor(private readonly sink?: (chunk: string) => void) {}

  private reserve(bytes: number): void {
    if (this.n + bytes <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.n + bytes));
    grown.set(this.buf.subarray(0, this.n));
    this.buf = grown;
  }

  /** Append a string (ASCII byte by byte; anything else through TextEncoder). */
  s(x: string): void {
    const len = x.length;
    this.reserve(len * 3);
    const b = this.buf;
    let n = this.n;
    for (let i = 0; i < len; i++) {
      const c = x.charCodeAt(i);
      if (c >= 0x80) {
        n += utf8Out.encodeInto(x.substring(i), b.subarray(n)).written;
        break;
      }
      b[n++] = c;
    }
    this.n = n;
  }

  /** Append the NUL-terminated bytes at `span` (a BTF string, copied as is: BTF strings are UTF-8). */
  raw(span: StrSpan): void {
    const src = span.bytes;
    const end = span.end;
    let p = span.start;
    for (;;) {
      this.reserve(64);
      const b = this.buf;
      let n = this.n;
      const stop = n + 64;
      while (n < stop && p < end) {
        const c = src[p++];
        if (c === 0) {
          this.n = n;
          return;
        }
        b[n++] = c;
      }
      this.n = n;
      if (p >= end) return;
    }
  }

  /** Append one ASCII character by code. */
  c(code: number): void {
    this.reserve(1);
    this.buf[this.n++] = code;
  }

  /** Append a newline and `lvl` tabs. */
  nl(lvl: number): void {
    this.reserve(lvl + 1);
    const b = this.buf;
    let n = this.n;
    b[n++] = 10;
    for (let i = 0; i < lvl; i++) b[n++] = 9;
    this.n = n;
  }

  /** Append a safe integer in decimal. */
  num(v: number): void {
    if (v < 0 || v > 0xffffffff || !Number.isInteger(v)) {
      this.s(String(v));
      return;
    }
    this.reserve(10);
    const b = this.buf;
    let digits = 1;
    for (let x = v; x >= 10; x = (x / 10) >>> 0) digits++;
    let n = this.n + digits;
    this.n = n;
    let x = v;
    do {
      const q = (x / 10) >>> 0;
      b[--n] = 48 + x - q * 10;
      x = q;
    } while (x > 0);
  }

  /** The current position, for `take`. */
  mark(): number {
    return this.n;
  }

  /** The text appended since `mark`, removed from the buffer. */
  take(mark: number): string {
    const s = utf8In.decode(this.buf.subarray(mark, this.n));
    this.n = mark;
    return s;
  }

  /** Cut a chunk when the buffer holds enough (call only between top-level declarations). */
  flushIfFull(): void {
    if (this.n >= CHUNK) this.flush();
  }

  flush(): void {
    if (this.n === 0) return;
    const s = utf8In.decode(this.buf.subarray(0, this.n));
    this.n = 0;
    if (this.sink !== undefined) this.sink(s);
    else this.chunks.push(s);
  }

  /** Everything appended (without a sink). */
  text(): string {
    this.flush();
    return this.chunks.join('');
  }
}

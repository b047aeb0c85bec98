/**
 * Name counting for the C printer's `___N` deduplication, keyed by BTF
 * string offset and compared by the string's bytes, so a whole dump counts
 * names without decoding them into JS strings. One counter is one C
 * namespace (tags; ordinary identifiers). It does not decide what is printed.
 */
import type { RawBtf } from './format';

/** Where string `off` lives: the blob holding it (base or split) and its byte range. */
export interface StrSpan {
  bytes: Uint8Array;
  start: number;
  /** End of the blob's string section (a string ends at its NUL or here). */
  end: number;
}

/** Points `span` at string `off` (in the blob holding it); false when out of range. */
export function strSpan(raw: RawBtf, off: number, span: StrSpan): boolean {
  let r: RawBtf | undefined = raw;
  while (r !== undefined && off < r.strBase) r = r.base;
  if (r === undefined || off < 0 || off - r.strBase >= r.strLen) return false;
  span.bytes = r.bytes;
  span.start = r.strStart + off - r.strBase;
  span.end = r.strStart + r.strLen;
  return true;
}

export class NameCounter {
  private keys = new Int32Array(1 << 14);
  private hashes = new Int32Array(1 << 14);
  private counts = new Int32Array(1 << 14);
  private used = 0;
  private readonly a: StrSpan = { bytes: new Uint8Array(0), start: 0, end: 0 };
  private readonly b: StrSpan = { bytes: new Uint8Array(0), start: 0, end: 0 };

  constructor(private readonly raw: RawBtf) {}

  /** Count one more use of the name at string offset `off`; returns the count (1 for the first). A bad offset is the empty name. */
  next(off: number): number {
    if (!strSpan(this.raw, off, this.a)) {
      off = 0;
      if (!strSpan(this.raw, 0, this.a)) return 1;
    }
    const h = hash(this.a);
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === 0) {
        keys[i] = off + 1;
        this.hashes[i] = h;
        this.counts[i] = 1;
        if (++this.used * 2 > keys.length) this.grow();
        return 1;
      }
      if (k - 1 === off || (this.hashes[i] === h && this.same(k - 1))) return ++this.counts[i];
    }
  }

  private same(other: number): boolean {
    const a = this.a;
    const b = this.b;
    if (!strSpan(this.raw, other, b)) return false;
    const x = a.bytes;
    const y = b.bytes;
    let i = a.start;
    let j = b.start;
    for (;;) {
      const c = i < a.end ? x[i] : 0;
      const d = j < b.end ? y[j] : 0;
      if (c !== d) return false;
      if (c === 0) return true;
      i++;
      j++;
    }
  }

  private grow(): void {
    const keys = this.keys;
    const hashes = this.hashes;
    const counts = this.counts;
    this.keys = new Int32Array(keys.length * 2);
    this.hashes = new Int32Array(keys.length * 2);
    this.counts = new Int32Array(keys.length * 2);
    const mask = this.keys.length - 1;
    for (let s = 0; s < keys.length; s++) {
      if (keys[s] === 0) continue;
      let i = hashes[s] & mask;
      while (this.keys[i] !== 0) i = (i + 1) & mask;
      this.keys[i] = keys[s];
      this.hashes[i] = hashes[s];
      this.counts[i] = counts[s];
    }
  }
}

/** FNV-1a over the string's bytes. */
function hash(s: StrSpan): number {
  const b = s.bytes;
  let h = 0x811c9dc5;
  for (let i = s.start; i < s.end; i++) {
    const c = b[i];
    if (c === 0) break;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h | 0;
}

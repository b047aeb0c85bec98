/**
 * Byte-level reading for the DWARF reader (dwarf.ts): a bounds-checked cursor
 * (fixed-size ints, LEB128, C strings, skips) that raises Stop when a section
 * ends early, and the attribute value shape with its small conversions. No
 * DWARF structure here.
 */
import { stringAt } from './elf64';

/** Raised inside the reader when a section ends early; caught per unit. */
export class Stop {
  constructor(readonly offset: number, readonly message: string) {}
}

/** A forward-only reader over one section. */
export class Cur {
  private readonly dv: DataView;
  constructor(readonly b: Uint8Array, public pos: number, readonly le: boolean, readonly what: string) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  need(n: number): void {
    if (this.pos + n > this.b.length) throw new Stop(this.pos, `${this.what} ends early (${n} byte${n === 1 ? '' : 's'} wanted at ${this.pos}, size ${this.b.length})`);
  }
  u8(): number { this.need(1); return this.b[this.pos++]; }
  u16(): number { this.need(2); const v = this.dv.getUint16(this.pos, this.le); this.pos += 2; return v; }
  u24(): number { this.need(3); const [a, b, c] = this.b.subarray(this.pos, this.pos + 3); this.pos += 3; return this.le ? a | (b << 8) | (c << 16) : (a << 16) | (b << 8) | c; }
  u32(): number { this.need(4); const v = this.dv.getUint32(this.pos, this.le); this.pos += 4; return v; }
  u64(): bigint { this.need(8); const v = this.dv.getBigUint64(this.pos, this.le); this.pos += 8; return v; }
  /** u32 or u64 (as a number: offsets beyond 2^53 are not real). */
  off(size: number): number { return size === 8 ? Number(this.u64()) : this.u32(); }
  /** LEB128, unsigned or signed (bits past 128 are dropped). */
  leb(signed = false): bigint {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const x = this.u8();
      if (shift < 128n) v |= BigInt(x & 0x7f) << shift;
      shift += 7n;
      if ((x & 0x80) === 0) return signed && x & 0x40 ? v - (1n << shift) : v;
    }
  }
  uleb(): bigint { return this.leb(); }
  sleb(): bigint { return this.leb(true); }
  /** ULEB128 as a number (saturating past 2^53). */
  ulebN(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      const x = this.u8();
      v += (x & 0x7f) * mul;
      mul *= 128;
      if ((x & 0x80) === 0) return v > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : v;
    }
  }
  /** Skips a LEB128 number. */
  skipLeb(): void {
    while (this.u8() & 0x80) { /* continuation bytes */ }
  }
  skip(n: number): void { this.need(n); this.pos += n; }
  skipCstr(): void {
    const end = this.b.indexOf(0, this.pos);
    if (end < 0) throw new Stop(this.pos, `${this.what}: string without a terminating NUL`);
    this.pos = end + 1;
  }
  bytes(n: number): Uint8Array { this.need(n); const v = this.b.subarray(this.pos, this.pos + n); this.pos += n; return v; }
  cstr(): string {
    const end = this.b.indexOf(0, this.pos);
    if (end < 0) throw new Stop(this.pos, `${this.what}: string without a terminating NUL`);
    const s = stringAt(this.b, this.pos) ?? '';
    this.pos = end + 1;
    return s;
  }
}

/** A bigint as a number, saturating far outside the safe range (sizes and offsets that big are garbage anyway). */
export function num(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : v < -BigInt(Number.MAX_SAFE_INTEGER) ? -Number.MAX_SAFE_INTEGER : Number(v);
}

/** An attribute value: constants as number (bigint when too big), strings, references (global .debug_info offsets), blocks, or a pending index. */
export type Val = number | bigint | string | boolean | Uint8Array | { ref: number } | { strx: number } | { addrx: number } | undefined;

export const isRef = (v: Val): v is { ref: number } => typeof v === 'object' && v !== null && 'ref' in v;

export function intOf(v: Val): number | undefined {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? num(v) : typeof v === 'boolean' ? Number(v) : undefined;
}

/** A constant as a number when exact, else a bigint. */
export function small(v: bigint): number | bigint {
  return v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** A data_member_location: a constant, or an expression DW_OP_plus_uconst N (DWARF 2 style). */
export function memberLocation(v: Val): number | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') return intOf(v);
  if (v instanceof Uint8Array && v.length >= 2 && v[0] === 0x23) {
    try {
      return num(new Cur(v, 1, true, 'location expression').uleb());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

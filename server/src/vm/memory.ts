/**
 * The VM's address space: separate regions (stack frames, context, map values,
 * packet, memory recorded in traces, helper scratch) at distinct 64-bit
 * addresses. Every access is bounds-checked against exactly one region; an
 * access that misses returns a `MemFault` that names the address, the size and
 * the nearest region. Nothing here throws on a program's behaviour and nothing
 * reaches outside the regions' own byte arrays.
 *
 * Addresses are handled as two unsigned 32-bit halves (hi, lo) on the hot path,
 * so the interpreter and the JIT never allocate BigInts for loads and stores.
 * Synthetic regions get a 4 GiB window of their own (a distinct `hi`); regions
 * at recorded addresses (trace memory) are found through their `hi` bucket.
 */

export type RegionKind = 'stack' | 'ctx' | 'map_value' | 'packet' | 'trace' | 'mem' | 'scratch' | 'ringbuf';

export interface Region {
  readonly id: number;
  readonly kind: RegionKind;
  readonly name: string;
  readonly base: bigint;
  readonly baseHi: number;
  readonly baseLo: number;
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  writable: boolean;
  /** False once freed (a discarded ringbuf record, a deleted map element): accesses then fault. */
  live: boolean;
}

export interface MemFault {
  addr: bigint;
  size: number;
  write: boolean;
  /** Why it failed, in a sentence naming the nearest region where there is one. */
  message: string;
  region?: string;
}

/** First `hi` used for synthetic regions: above user space, below the kernel's direct map, easy to spot. */
const SYNTH_HI_BASE = 0x0000_ff00;

export function toHex(v: bigint): string {
  return '0x' + BigInt.asUintN(64, v).toString(16);
}

export class Memory {
  private readonly regions: Region[] = [];
  private readonly byHi = new Map<number, Region[]>();
  private nextSynthHi = SYNTH_HI_BASE;
  /** One-entry cache of the last region hit; most programs touch the stack in runs. */
  private last: Region | undefined;

  /** Maps `bytes` at a fresh synthetic address (or at `base` when given, e.g. a recorded pointer). */
  add(kind: RegionKind, name: string, bytes: Uint8Array, opts: { base?: bigint; writable?: boolean } = {}): Region {
    let base: bigint;
    if (opts.base !== undefined) {
      base = BigInt.asUintN(64, opts.base);
    } else {
      base = BigInt(this.nextSynthHi++) << 32n;
    }
    const baseHi = Number(base >> 32n);
    const baseLo = Number(base & 0xffffffffn);
    const r: Region = {
      id: this.regions.length, kind, name, base, baseHi, baseLo, bytes,
      dv: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      writable: opts.writable ?? true, live: true,
    };
    this.regions.push(r);
    // A region at a recorded address may straddle a 4 GiB boundary: file it under every hi it touches.
    const endHi = Number((base + BigInt(Math.max(bytes.byteLength, 1) - 1)) >> 32n);
    for (let h = baseHi; h <= endHi; h++) {
      const l = this.byHi.get(h);
      if (l) l.push(r);
      else this.byHi.set(h, [r]);
    }
    return r;
  }

  all(): readonly Region[] {
    return this.regions;
  }

  /** Marks a region dead; later accesses fault with "freed". */
  free(r: Region): void {
    r.live = false;
    if (this.last === r) this.last = undefined;
  }

  /**
   * The region holding [addr, addr+size) as (hi, lo) halves, and the byte offset
   * in it; undefined when no live region holds the whole access.
   * Returns the offset, with the region left in `this.hit`.
   */
  hit: Region | undefined;
  resolve(hi: number, lo: number, size: number): number {
    const c = this.last;
    if (c !== undefined && c.baseHi === hi) {
      const off = (lo - c.baseLo) >>> 0;
      if (off + size <= c.bytes.byteLength && lo >= c.baseLo) {
        this.hit = c;
        return off;
      }
    }
    const l = this.byHi.get(hi);
    if (l !== undefined) {
      for (let i = 0; i < l.length; i++) {
        const r = l[i];
        if (!r.live) continue;
        // Offset computed in 64-bit space through the bucket's hi.
        const off = (hi - r.baseHi) * 4294967296 + lo - r.baseLo;
        if (off >= 0 && off + size <= r.bytes.byteLength) {
          this.last = r;
          this.hit = r;
          return off;
        }
      }
    }
    this.hit = undefined;
    return -1;
  }

  /** Describes why an access at addr missed: the nearest region and by how much. */
  fault(addr: bigint, size: number, write: boolean): MemFault {
    const a = BigInt.asUintN(64, addr);
    const verb = write ? 'write' : 'read';
    if (a < 4096n) {
      return { addr: a, size, write, message: `invalid ${verb} of ${size} bytes at ${toHex(a)}: NULL pointer dereference` };
    }
    let best: Region | undefined;
    let bestDist = -1n;
    for (const r of this.regions) {
      const end = r.base + BigInt(r.bytes.byteLength);
      const d = a < r.base ? r.base - a : a + BigInt(size) > end ? a + BigInt(size) - end : 0n;
      if (best === undefined || d < bestDist) { best = r; bestDist = d; }
    }
    if (best && bestDist <= 4096n) {
      const off = a - best.base;
      const where = !best.live ? `in ${best.name}, which was freed`
        : `at offset ${off} of ${best.name} (${best.bytes.byteLength} bytes at ${toHex(best.base)})`;
      const why = best.live && !best.writable && write && off >= 0n && off + BigInt(size) <= BigInt(best.bytes.byteLength) ? ', which is read-only' : best.live ? ', out of bounds' : '';
      return { addr: a, size, write, region: best.name, message: `invalid ${verb} of ${size} bytes at ${toHex(a)} ${where}${why}` };
    }
    return { addr: a, size, write, message: `invalid ${verb} of ${size} bytes at ${toHex(a)}: no memory is mapped there` };
  }

  /** Slow-path helpers for helpers and the debugger (BigInt addresses). Undefined on a fault. */
  view(addr: bigint, size: number, write = false): { region: Region; offset: number } | undefined {
    const a = BigInt.asUintN(64, addr);
    const off = this.resolve(Number(a >> 32n), Number(a & 0xffffffffn), size);
    const r = this.hit;
    if (off < 0 || r === undefined) return undefined;
    if (write && !r.writable) return undefined;
    return { region: r, offset: off };
  }

  read(addr: bigint, size: number): Uint8Array | undefined {
    const v = this.view(addr, size);
    return v ? v.region.bytes.subarray(v.offset, v.offset + size) : undefined;
  }

  write(addr: bigint, data: Uint8Array): boolean {
    const v = this.view(addr, data.byteLength, true);
    if (!v) return false;
    v.region.bytes.set(data, v.offset);
    return true;
  }

  /** Reads a NUL-terminated string of at most `max` bytes (the terminator included); undefined on a fault before the NUL. */
  readCString(addr: bigint, max: number): Uint8Array | undefined {
    const out: number[] = [];
    for (let i = 0; i < max; i++) {
      const b = this.read(addr + BigInt(i), 1);
      if (!b) return undefined;
      if (b[0] === 0) return Uint8Array.from(out);
      out.push(b[0]);
    }
    return Uint8Array.from(out);
  }
}

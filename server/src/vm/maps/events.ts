/**
 * Maps that carry data out of a program: ring buffers, perf event arrays and
 * stack trace maps. Records handed to user space become `VmOutput` entries.
 * The simulated consumer reads nothing during a run, so a ring buffer fills up
 * (reserve returns NULL) once the run's records exceed its size.
 */
import type { Region } from '../memory';
import { MapBase } from './base';
import { ERRNO, MapEntry } from './types';

const RINGBUF_HDR = 8;
export const BPF_RB_AVAIL_DATA = 0;
export const BPF_RB_RING_SIZE = 1;
export const BPF_RB_CONS_POS = 2;
export const BPF_RB_PROD_POS = 3;

export class RingBufMap extends MapBase {
  private readonly live = new Map<bigint, Region>();
  private used = 0;
  private produced = 0;
  private count = 0;

  lookup(): bigint {
    return 0n;
  }

  private take(size: number): boolean {
    const need = (size + RINGBUF_HDR + 7) & ~7;
    if (size <= 0 || this.used + need > this.def.maxEntries) return false;
    this.used += need;
    return true;
  }

  /** bpf_ringbuf_reserve: address of a fresh record, or 0n when the ring is full. */
  reserve(size: number): bigint {
    if (!this.take(size)) return 0n;
    const r = this.host.memory.add('ringbuf', `ringbuf ${this.def.name} record ${this.count++}`, new Uint8Array(size));
    this.live.set(r.base, r);
    return r.base;
  }

  /** Submits (or discards) a reserved record; false when `addr` is not one. */
  finish(addr: bigint, submit: boolean, pc: number): boolean {
    const r = this.live.get(addr);
    if (!r) return false;
    this.live.delete(addr);
    if (submit) {
      this.host.output.push({ kind: 'ringbuf', pc, map: this.def.name, data: Uint8Array.from(r.bytes) });
      this.produced += r.bytes.byteLength;
    }
    this.host.memory.free(r);
    return true;
  }

  /** bpf_ringbuf_output: 0 or -errno. */
  emit(data: Uint8Array, pc: number): number {
    if (!this.take(data.byteLength)) return -ERRNO.EAGAIN;
    this.host.output.push({ kind: 'ringbuf', pc, map: this.def.name, data: Uint8Array.from(data) });
    this.produced += data.byteLength;
    return 0;
  }

  query(flags: number): bigint {
    switch (flags) {
      case BPF_RB_AVAIL_DATA: return BigInt(this.used);
      case BPF_RB_RING_SIZE: return BigInt(this.def.maxEntries);
      case BPF_RB_CONS_POS: return 0n;
      case BPF_RB_PROD_POS: return BigInt(this.used);
      default: return 0n;
    }
  }

  entries(): MapEntry[] {
    return [];
  }

  clear(): void {
    for (const r of this.live.values()) this.host.memory.free(r);
    this.live.clear();
    this.used = 0;
    this.produced = 0;
  }
}

export const BPF_F_CURRENT_CPU = 0xffffffffn;
export const BPF_F_INDEX_MASK = 0xffffffffn;

export class PerfEventArrayMap extends MapBase {
  lookup(): bigint {
    return 0n;
  }

  /** bpf_perf_event_output: 0 or -errno. */
  emit(flags: bigint, data: Uint8Array, pc: number): number {
    const idx = flags & BPF_F_INDEX_MASK;
    if ((flags & ~BPF_F_INDEX_MASK) !== 0n) return -ERRNO.EINVAL;
    const cpu = idx === BPF_F_CURRENT_CPU ? this.host.env.cpu : Number(idx);
    if (cpu >= this.def.maxEntries && this.def.maxEntries > 0) return -ERRNO.E2BIG;
    this.host.output.push({ kind: 'perf', pc, map: this.def.name, cpu, data: Uint8Array.from(data) });
    return 0;
  }

  entries(): MapEntry[] {
    return [];
  }

  clear(): void {
    /* nothing is kept */
  }
}

export const BPF_F_USER_STACK = 1n << 8n;
export const BPF_F_FAST_STACK_CMP = 1n << 9n;
export const BPF_F_REUSE_STACKID = 1n << 10n;

export class StackTraceMap extends MapBase {
  private readonly stacks = new Map<number, { region: Region; ips: readonly bigint[] }>();

  lookup(key: Uint8Array): bigint {
    if (key.length < 4) return 0n;
    const id = (key[0] | (key[1] << 8) | (key[2] << 16) | (key[3] << 24)) >>> 0;
    return this.stacks.get(id)?.region.base ?? 0n;
  }

  /** bpf_get_stackid: the stack's id or -errno. */
  stackId(ips: readonly bigint[], flags: bigint): number {
    if (ips.length === 0) return -ERRNO.EFAULT;
    if (this.def.maxEntries <= 0) return -ERRNO.E2BIG;
    const skip = Number(flags & 0xffn);
    const kept = ips.slice(skip, skip + Math.floor(this.def.valueSize / 8));
    // FNV-1a over the addresses: deterministic ids.
    let h = 0x811c9dc5;
    for (const ip of kept) {
      for (let b = 0n; b < 64n; b += 8n) h = Math.imul(h ^ Number((ip >> b) & 0xffn), 0x01000193) >>> 0;
    }
    const id = h % this.def.maxEntries;
    const old = this.stacks.get(id);
    if (old) {
      const same = old.ips.length === kept.length && old.ips.every((v, i) => v === kept[i]);
      if (same) return id;
      if (!(flags & BPF_F_REUSE_STACKID)) return -ERRNO.EEXIST;
      this.host.memory.free(old.region);
    }
    const region = this.newValueRegion(`[${id}]`);
    kept.forEach((ip, i) => region.dv.setBigUint64(i * 8, ip, true));
    region.writable = false;
    this.stacks.set(id, { region, ips: kept });
    return id;
  }

  override delete(key: Uint8Array): number {
    if (key.length < 4) return -ERRNO.EINVAL;
    const id = (key[0] | (key[1] << 8) | (key[2] << 16) | (key[3] << 24)) >>> 0;
    const s = this.stacks.get(id);
    if (!s) return -ERRNO.ENOENT;
    this.host.memory.free(s.region);
    this.stacks.delete(id);
    return 0;
  }

  entries(): MapEntry[] {
    return [...this.stacks.entries()].map(([id, s]) => {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, id, true);
      return { key, value: s.region.bytes.slice(0, this.def.valueSize) };
    });
  }

  clear(): void {
    for (const s of this.stacks.values()) this.host.memory.free(s.region);
    this.stacks.clear();
  }
}

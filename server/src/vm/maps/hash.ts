/**
 * Hash maps: plain, per-CPU and LRU. Each element's value is a region of its
 * own, so a pointer kept after bpf_map_delete_elem faults as "freed". An
 * update of an existing key writes in place. LRU maps evict the least recently
 * used element (lookups and updates count as use) instead of failing with E2BIG.
 */
import type { Region } from '../memory';
import { MapBase, hexKey } from './base';
import { BPF_EXIST, BPF_NOEXIST, ERRNO, MapEntry, keyString } from './types';

interface Elem { key: Uint8Array; values: Region[] }

export class HashMap extends MapBase {
  private readonly elems = new Map<string, Elem>();

  private get percpu(): boolean {
    return this.def.type === 'percpu_hash';
  }

  private get lru(): boolean {
    return this.def.type === 'lru_hash';
  }

  private cpuSlot(cpu = this.host.env.cpu): number {
    return this.percpu ? Math.max(0, Math.min(cpu, this.host.env.nrCpus - 1)) : 0;
  }

  /** bpf_map_lookup_percpu_elem: CPU `cpu`'s copy (0n past the last CPU or for a non-per-CPU map). */
  lookupCpu(key: Uint8Array, cpu: number): bigint {
    if (!this.percpu || cpu >= this.host.env.nrCpus) return 0n;
    const e = this.elems.get(keyString(key));
    return e ? e.values[this.cpuSlot(cpu)].base : 0n;
  }

  private touch(k: string, e: Elem): void {
    if (!this.lru) return;
    this.elems.delete(k);
    this.elems.set(k, e);
  }

  lookup(key: Uint8Array): bigint {
    const k = keyString(key);
    const e = this.elems.get(k);
    if (!e) return 0n;
    this.touch(k, e);
    return e.values[this.cpuSlot()].base;
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -ERRNO.EINVAL;
    const k = keyString(key);
    const e = this.elems.get(k);
    if (e) {
      if (flags === BPF_NOEXIST) return -ERRNO.EEXIST;
      e.values[this.cpuSlot()].bytes.set(value.subarray(0, this.def.valueSize));
      this.touch(k, e);
      return 0;
    }
    if (flags === BPF_EXIST) return -ERRNO.ENOENT;
    if (this.elems.size >= this.def.maxEntries) {
      if (!this.lru || this.def.maxEntries <= 0) return -ERRNO.E2BIG;
      const oldest = this.elems.keys().next().value as string;
      this.remove(oldest);
    }
    const n = this.percpu ? this.host.env.nrCpus : 1;
    const values: Region[] = [];
    for (let c = 0; c < n; c++) values.push(this.newValueRegion(`[${hexKey(key)}]${this.percpu ? ` cpu ${c}` : ''}`));
    values[this.cpuSlot()].bytes.set(value.subarray(0, this.def.valueSize));
    this.elems.set(k, { key: Uint8Array.from(key), values });
    return 0;
  }

  private remove(k: string): boolean {
    const e = this.elems.get(k);
    if (!e) return false;
    for (const r of e.values) this.host.memory.free(r);
    this.elems.delete(k);
    return true;
  }

  override delete(key: Uint8Array): number {
    return this.remove(keyString(key)) ? 0 : -ERRNO.ENOENT;
  }

  entries(): MapEntry[] {
    const out: MapEntry[] = [];
    for (const e of this.elems.values()) {
      e.values.forEach((r, cpu) => {
        const entry: MapEntry = { key: Uint8Array.from(e.key), value: r.bytes.slice(0, this.def.valueSize) };
        if (this.percpu) entry.cpu = cpu;
        out.push(entry);
      });
    }
    return out;
  }

  clear(): void {
    for (const k of [...this.elems.keys()]) this.remove(k);
  }

  /** This CPU's value of `key` without counting as a use (for_each_map_elem does not touch the LRU order), or 0n. */
  peek(key: Uint8Array): bigint {
    const e = this.elems.get(keyString(key));
    return e ? e.values[this.cpuSlot()].base : 0n;
  }

  /** Key of the element after `key` (bpf_map_get_next_key order: insertion order here). */
  keys(): Uint8Array[] {
    return [...this.elems.values()].map((e) => Uint8Array.from(e.key));
  }
}

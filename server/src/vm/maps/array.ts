/**
 * Array maps (plain, per-CPU, and the prog_array of tail calls). Values are
 * preallocated and contiguous in one region per CPU, as in the kernel, so
 * elements can't be deleted. `lddw rX, map_value[i]+off` (global data) points
 * into element 0 of a plain array.
 */
import type { Region } from '../memory';
import { MAX_MAP_BYTES, MapBase } from './base';
import { BPF_EXIST, BPF_NOEXIST, ERRNO, MapEntry } from './types';

export class ArrayMap extends MapBase {
  private readonly regions: Region[] = [];
  /** prog_array only: which slots hold a program. */
  private readonly present: boolean[] = [];

  /** Slots actually allocated (maxEntries unless that would exceed MAX_MAP_BYTES). */
  private readonly capacity: number;

  constructor(...a: ConstructorParameters<typeof MapBase>) {
    super(...a);
    const n = this.def.type === 'percpu_array' ? Math.max(1, this.host.env.nrCpus) : 1;
    const want = Math.max(0, Math.floor(this.def.maxEntries) || 0);
    this.capacity = Math.min(want, Math.floor(MAX_MAP_BYTES / (this.stride * n)));
    if (this.capacity < want) {
      this.host.problems?.push(`map ${this.def.name}: ${want} entries of ${this.stride} bytes are too many for the VM; only ${this.capacity} are allocated`);
    }
    const bytes = this.capacity * this.stride;
    for (let c = 0; c < n; c++) {
      this.regions.push(this.host.memory.add('map_value', `map ${this.def.name}${n > 1 ? ` cpu ${c}` : ''}`, new Uint8Array(bytes), { writable: !this.readOnly }));
    }
  }

  private get progs(): boolean {
    return this.def.type === 'prog_array';
  }

  private slot(key: Uint8Array): number {
    if (key.length < 4) return -1;
    const i = (key[0] | (key[1] << 8) | (key[2] << 16) | (key[3] << 24)) >>> 0;
    return i < this.capacity ? i : -1;
  }

  private cpuRegion(): Region {
    return this.regions[Math.min(this.host.env.cpu, this.regions.length - 1)];
  }

  lookup(key: Uint8Array): bigint {
    const i = this.slot(key);
    if (i < 0 || this.progs) return 0n;
    return this.cpuRegion().base + BigInt(i * this.stride);
  }

  /** bpf_map_lookup_percpu_elem: CPU `cpu`'s copy (0n past the last CPU or for a non-per-CPU map). */
  lookupCpu(key: Uint8Array, cpu: number): bigint {
    const i = this.slot(key);
    if (i < 0 || this.def.type !== 'percpu_array' || cpu >= this.regions.length) return 0n;
    return this.regions[cpu].base + BigInt(i * this.stride);
  }

  /** Address of element 0 of CPU 0's copy (global data sections). */
  get valueBase(): bigint {
    return this.regions[0].base;
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -ERRNO.EINVAL;
    const i = this.slot(key);
    if (i < 0) return -ERRNO.E2BIG;
    if (flags === BPF_NOEXIST && (!this.progs || this.present[i])) return -ERRNO.EEXIST;
    this.cpuRegion().bytes.set(value.subarray(0, this.def.valueSize), i * this.stride);
    if (this.progs) this.present[i] = true;
    return 0;
  }

  override delete(key: Uint8Array): number {
    if (!this.progs) return -ERRNO.EINVAL;
    const i = this.slot(key);
    if (i < 0 || !this.present[i]) return -ERRNO.ENOENT;
    this.present[i] = false;
    return 0;
  }

  /** prog_array: the program number stored at `i`, or undefined. */
  program(i: number): number | undefined {
    if (i < 0 || i >= this.capacity || !this.present[i]) return undefined;
    const r = this.regions[0];
    return r.dv.getUint32(i * this.stride, true);
  }

  entries(): MapEntry[] {
    const out: MapEntry[] = [];
    this.regions.forEach((r, cpu) => {
      for (let i = 0; i < this.capacity; i++) {
        if (this.progs && !this.present[i]) continue;
        const key = new Uint8Array(4);
        new DataView(key.buffer).setUint32(0, i, true);
        const e: MapEntry = { key, value: r.bytes.slice(i * this.stride, i * this.stride + this.def.valueSize) };
        if (this.regions.length > 1) e.cpu = cpu;
        out.push(e);
      }
    });
    return out;
  }

  clear(): void {
    for (const r of this.regions) r.bytes.fill(0);
    this.present.length = 0;
  }
}

/**
 * Queue (FIFO) and stack (LIFO) maps: keyless, values copied in and out by
 * bpf_map_push_elem / pop / peek. A push into a full map fails with -E2BIG
 * unless the flags are BPF_EXIST, which drops the oldest element, as the kernel.
 */
import { MapBase } from './base';
import { BPF_EXIST, ERRNO, MapEntry, PushPopMap } from './types';

export class QueueMap extends MapBase implements PushPopMap {
  private readonly items: Uint8Array[] = [];

  lookup(): bigint {
    return 0n;
  }

  push(value: Uint8Array, flags: number): number {
    if (flags !== 0 && flags !== BPF_EXIST) return -ERRNO.EINVAL;
    if (this.items.length >= this.def.maxEntries) {
      if (flags !== BPF_EXIST || this.def.maxEntries <= 0) return -ERRNO.E2BIG;
      this.items.shift();
    }
    const v = new Uint8Array(this.def.valueSize);
    v.set(value.subarray(0, this.def.valueSize));
    this.items.push(v);
    return 0;
  }

  override update(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.push(value, flags);
  }

  pop(remove: boolean): Uint8Array | number {
    if (this.items.length === 0) return -ERRNO.ENOENT;
    const fifo = this.def.type === 'queue';
    if (!remove) return this.items[fifo ? 0 : this.items.length - 1];
    return (fifo ? this.items.shift() : this.items.pop()) as Uint8Array;
  }

  entries(): MapEntry[] {
    return this.items.map((v) => ({ key: new Uint8Array(0), value: Uint8Array.from(v) }));
  }

  clear(): void {
    this.items.length = 0;
  }
}

/**
 * What every map implementation shares: its definition, its own small region
 * (the address `lddw map[i]` loads) and the environment (CPU number, output).
 * Non-goal: kernel memory accounting.
 */
import type { Memory, Region } from '../memory';
import type { VmEnv, VmOutput } from '../types';
import { BPF_F_RDONLY_PROG, BpfMap, ERRNO, MapDef, MapEntry } from './types';

/** What a map needs from the machine it lives in. */
export interface MapHost {
  readonly memory: Memory;
  readonly env: Readonly<VmEnv>;
  readonly output: VmOutput[];
  /** Where maps report what they could not honour (e.g. an array too large to allocate). */
  readonly problems?: string[];
}

/** Largest single allocation a map makes (an array's values); larger arrays are truncated with a problem reported. */
export const MAX_MAP_BYTES = 64 << 20;
/** Values larger than this are truncated (the kernel's limit is smaller for most map types). */
export const MAX_VALUE_SIZE = 1 << 20;

export abstract class MapBase implements BpfMap {
  readonly addr: bigint;
  readonly self: Region;

  constructor(readonly def: MapDef, readonly index: number, protected readonly host: MapHost) {
    // The map's own object (struct bpf_map): read-only, so a program writing through a map pointer faults.
    this.self = host.memory.add('scratch', `map ${def.name} (struct bpf_map)`, new Uint8Array(64), { writable: false });
    this.addr = this.self.base;
  }

  abstract lookup(key: Uint8Array): bigint;
  abstract entries(): MapEntry[];
  abstract clear(): void;

  update(_key: Uint8Array, _value: Uint8Array, _flags: number): number {
    return -ERRNO.EINVAL;
  }

  delete(_key: Uint8Array): number {
    return -ERRNO.EINVAL;
  }

  /** Values are stored 8-byte aligned, like the kernel's round_up(value_size, 8). */
  protected get stride(): number {
    const v = Math.min(Math.max(0, Math.floor(this.def.valueSize) || 0), MAX_VALUE_SIZE);
    return Math.max(8, (v + 7) & ~7);
  }

  /** Values the program may not write (BPF_F_RDONLY_PROG). */
  protected get readOnly(): boolean {
    return ((this.def.flags ?? 0) & BPF_F_RDONLY_PROG) !== 0;
  }

  protected newValueRegion(label: string): Region {
    return this.host.memory.add('map_value', `map ${this.def.name}${label}`, new Uint8Array(this.stride), { writable: !this.readOnly });
  }
}

export function hexKey(key: Uint8Array): string {
  return Array.from(key, (b) => b.toString(16).padStart(2, '0')).join('');
}

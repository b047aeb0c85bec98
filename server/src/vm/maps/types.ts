/**
 * The map model shared by the engines, the helpers and the debugger: a map
 * definition (`MapDef`) and the runtime interface every map type implements
 * (`BpfMap`). Values live in memory regions, so programs load and store through
 * the pointers lookups return. Non-goal: the kernel's locking and RCU timing.
 */

export type MapType =
  | 'hash' | 'array' | 'percpu_hash' | 'percpu_array' | 'lru_hash' | 'ringbuf'
  | 'perf_event_array' | 'stack_trace' | 'prog_array' | 'queue' | 'stack';

export interface MapDef {
  type: MapType;
  keySize: number;
  valueSize: number;
  /** For ringbuf: the buffer size in bytes. */
  maxEntries: number;
  flags?: number;
  name: string;
  /** Entries present before the run (e.g. a prog_array's programs, an array's global data). */
  initial?: readonly { key: Uint8Array; value: Uint8Array }[];
}

/** Map flag: the program may read but not write the values (.rodata, `const volatile` globals). */
export const BPF_F_RDONLY_PROG = 1 << 7;

/** Update flags of bpf_map_update_elem / bpf_map_push_elem. */
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;

/** Kernel errno values returned (negated) by helpers. */
export const ERRNO = {
  EPERM: 1, ENOENT: 2, E2BIG: 7, EBADF: 9, EFAULT: 14, EBUSY: 16, EEXIST: 17, EINVAL: 22, ENOSPC: 28, EAGAIN: 11, EOPNOTSUPP: 95,
} as const;

export interface MapEntry {
  key: Uint8Array;
  value: Uint8Array;
  /** Per-CPU maps: which CPU's copy this is. */
  cpu?: number;
}

/** A map at run time. Methods never throw; errors are negative errno values. */
export interface BpfMap {
  readonly def: MapDef;
  /** Index in VmOptions.maps. */
  readonly index: number;
  /** The pointer `lddw rX, map[index]` loads (the address of the map's own small region). */
  readonly addr: bigint;
  /** Address of the value for `key` (this CPU's copy for per-CPU maps), or 0n. */
  lookup(key: Uint8Array): bigint;
  /** 0 or -errno. */
  update(key: Uint8Array, value: Uint8Array, flags: number): number;
  delete(key: Uint8Array): number;
  /** Inspection for the debugger and tests: copies of keys and values. */
  entries(): MapEntry[];
  /** Empties the map and frees its values (a new run with fresh maps). */
  clear(): void;
}

/** Queue and stack maps (keyless). */
export interface PushPopMap extends BpfMap {
  push(value: Uint8Array, flags: number): number;
  /** The value or -errno; `remove` false peeks. */
  pop(remove: boolean): Uint8Array | number;
}

export function isPushPop(m: BpfMap): m is PushPopMap {
  return m.def.type === 'queue' || m.def.type === 'stack';
}

/** Hex of a key, used as the JS Map key of hash maps. */
export function keyString(key: Uint8Array): string {
  let s = '';
  for (let i = 0; i < key.length; i++) s += (key[i] < 16 ? '0' : '') + key[i].toString(16);
  return s;
}

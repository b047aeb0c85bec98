/**
 * The decoded values the bpftrace output formatter prints: script values
 * (BtValue), aggregation states (AggValue), map snapshots and output events,
 * plus the formatting options. Non-goals: decoding bytes into these (codegen's
 * decoder) and the formatting itself (the sibling modules).
 */
import type { AggFn, SpecialKind } from '../types';

export type { SpecialKind };

export type BtValue =
  /** `bits` (8/16/32/64, default 64) matters where bpftrace reinterprets the stored width (map keys print as signed of that width). */
  | { t: 'int'; v: bigint; signed: boolean; bits?: number }
  /**
   * Raw bytes up to (not including) the first NUL; `truncated` when the
   * storage held no NUL (0.18+ print a ".." trailer then).
   */
  | { t: 'str'; v: Uint8Array; truncated?: boolean }
  | { t: 'buf'; v: Uint8Array }
  | { t: 'tuple'; elems: BtValue[] }
  /** A fixed-size C array (prints `[1,2,3]`). */
  | { t: 'array'; elems: BtValue[] }
  | { t: 'record'; fields: { name: string; v: BtValue }[] }
  /**
   * A special value. `v` is the raw value (address, stack addresses, inet
   * bytes, timestamp ns, ...); `text` is its already resolved text (symbol
   * names from the trace) and wins over `v` when present. Stacks may instead
   * carry their resolved frames (`sym+off`) in `frames`; 'timestamp'
   * (strftime) carries its format in `fmt` and nsecs since boot in `v`;
   * 'inet' carries the 4 or 16 address bytes in `v`. kstack(perf)/ustack(perf)
   * set `stackMode: 'perf'` (lines are a tab, the hex address, the frame).
   */
  | { t: 'special'; kind: SpecialKind; v: bigint | Uint8Array | bigint[]; text?: string; frames?: string[]; fmt?: string; stackMode?: 'bpftrace' | 'perf' }
  | { t: 'bool'; v: boolean }
  | { t: 'none' };

export type AggValue =
  | { fn: 'count' | 'sum' | 'min' | 'max'; v: bigint; signed: boolean }
  | { fn: 'avg' | 'stats'; count: bigint; total: bigint; signed: boolean }
  /** Bucket index as bpftrace numbers them: 0 is "< 0", 1 is [0], 2 is [1], k >= 3 is [2^(k-2), 2^(k-1)). */
  | { fn: 'hist'; buckets: Map<number, bigint> }
  /** Bucket 0 is "< min", bucket i (1..n) is [min+(i-1)*step, min+i*step), bucket n+1 is ">= max"; n = (max-min)/step. */
  | { fn: 'lhist'; min: bigint; max: bigint; step: bigint; buckets: Map<number, bigint> };

export interface MapEntry {
  key: BtValue[];
  value: AggValue | BtValue;
}

export interface MapSnapshot {
  /** '@x' (or '@' for the anonymous map). */
  name: string;
  /** Whether the map has keys (`@x[k]`); scalar maps have one entry with key []. */
  keyed: boolean;
  entries: MapEntry[];
  /**
   * The map's aggregation, or 'value' for plain assignments. Optional: taken
   * from the entries when absent; needed to print an EMPTY map as bpftrace
   * does (stats/avg maps end with two newlines).
   */
  agg?: AggFn | 'value';
}

export type OutputEvent =
  /** errorf/warnf (0.26) carry `severity` and the call's source range (bpftrace prints them to stderr as diagnostics). */
  | { kind: 'printf'; fmt: string; args: BtValue[]; severity?: 'error' | 'warning'; at?: { start: number; end: number } }
  | { kind: 'print'; map: MapSnapshot; top?: number; div?: number }
  | { kind: 'printValue'; value: BtValue }
  /** time(fmt): `ns` is the wall-clock time (ns since the epoch) when bpftrace handled the event. */
  | { kind: 'time'; fmt: string; ns: bigint }
  /** cat()/system(): `text` is the file's content / the command's stdout (the host reads or runs them). */
  | { kind: 'cat' | 'system'; text: string }
  | { kind: 'exit' }
  | { kind: 'clear' | 'zero'; map: string }
  | { kind: 'join'; parts: Uint8Array[]; sep: string }
  | { kind: 'lost'; count: number }
  /** `Attaching N probes...` (text) / {"type": "attached_probes"} (json). */
  | { kind: 'attached'; probes: number };

export interface OutputOptions {
  format: 'text' | 'json';
  /** bpftrace release to imitate ('0.17' by default; '0.26' changes a few shapes). */
  version?: string;
  /**
   * Timezone offset in minutes east of UTC used by time()/strftime()
   * (the formatter does no I/O, so the host passes it); 0 by default.
   */
  tzOffsetMinutes?: number;
  /** IANA time zone for time()/strftime() (bpftrace uses localtime: the host's TZ); wins over tzOffsetMinutes, DST per instant. */
  timeZone?: string;
  /** Boot time (ns since the epoch) that strftime() adds to its nsecs argument; 0 by default. */
  bootNs?: bigint;
  /** bpftrace -q: no `Attaching N probes...` banner. */
  quiet?: boolean;
}

export function isAgg(v: AggValue | BtValue): v is AggValue {
  return 'fn' in v;
}

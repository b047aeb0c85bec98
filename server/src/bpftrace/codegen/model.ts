/**
 * Data model of compiled bpftrace scripts (the lead's contract): map
 * definitions, output record formats, compiled probes with their line table,
 * and the type-checker results code generation consumes. Plain data only;
 * building them is in compile.ts, reading them back in decode.ts.
 */
import type { Insn } from '../../isa/insn';
import type * as A from '../ast';
import type { Diagnostic, Range } from '../source';
import type { SType } from '../types';

/** What code generation needs from the type checker (structurally the contract's TypeInfo). */
export interface ProbeCtxInfo {
  provider: string;
  args?: { name: string; type: SType; offset: number; size: number; dynamic?: 'data_loc' | 'rel_loc' }[];
  retval?: SType;
}

/** How a field access reads its value (typecheck's FieldRef). */
export interface FieldRefLike {
  type: SType;
  offset: number;
  bitOffset?: number;
  bitSize?: number;
  via: 'args' | 'struct' | 'record';
  arg?: { name: string; type: SType; offset: number; size: number; dynamic?: 'data_loc' | 'rel_loc' };
}

export interface TypeInfoLike {
  exprs: Map<A.Expr, SType>;
  /** Field accesses -> offsets (optional: without it codegen looks members up in BTF). */
  fields?: Map<A.Field, FieldRefLike>;
  vars: Map<A.Var, SType>;
  maps: Map<string, { key: SType[]; value: SType }>;
  probes: Map<A.Probe, ProbeCtxInfo>;
  /** Compile-time values (sizeof/offsetof) from the type checker. */
  consts?: Map<A.Expr, bigint>;
  /** typeinfo()/comptime expressions -> the literal nodes they fold to; `if comptime` -> the branch kept. */
  folded?: Map<A.Expr, A.Expr>;
  comptimeBranches?: Map<A.If, A.Block | A.If | null>;
  diagnostics: Diagnostic[];
}

export interface BtMapDef {
  /** '@x', or internal names: 'scratch', 'stack_k', 'stack_u', '__perf_out', '__ringbuf'. */
  name: string;
  /** libbpf-style map type name. */
  mapType: 'hash' | 'percpu_hash' | 'lru_hash' | 'percpu_array' | 'array' | 'perf_event_array' | 'ringbuf' | 'stack_trace';
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** Script-level key types as stored (ints widened to 64 bits); aggregations with buckets/slots add a trailing u64. */
  key: SType[];
  /** Script-level value type; `{k:'agg'}` for aggregations. */
  value: SType;
  /** Whether the script uses the map with keys (`@x[k]`). */
  keyed?: boolean;
  /** Key and value types as the script sees them when they hold bools (stored as u64): what decoding shows. */
  shown?: { key: SType[]; value: SType };
  /** Global data (the '.rodata' array of constant strings, e.g. seq_printf formats): its contents; read-only to programs. */
  initial?: Uint8Array;
}

export type OutputAction = 'printf' | 'print' | 'printValue' | 'cat' | 'system' | 'exit' | 'time' | 'clear' | 'zero' | 'join' | 'strftime';

export interface OutputFormat {
  /** The record's leading u64: bpftrace's numbering (printf 0.., system 10000.., cat 20000.., others 30000+). */
  id: number;
  action: OutputAction;
  fmt?: string;
  /** Argument types as stored in the record (after the u64 id). */
  args: SType[];
  /** Offsets of the args inside the record (the id occupies bytes 0..7) and the record size. */
  layout: { offsets: number[]; size: number };
  /** print/clear/zero: the map's name; print: top/div arguments when constant. */
  map?: string;
  top?: number;
  div?: number;
  /** join: the separator. */
  sep?: string;
  /** errorf/warnf (0.26): a printf bpftrace prints to stderr as an error/warning at the call's source range. */
  severity?: 'error' | 'warning';
  at?: Range;
}

export interface CompiledProbe {
  /** ELF section name, libbpf style. */
  name: string;
  attachPoints: string[];
  /** Verifier/ELF program type name. */
  progType: string;
  /** Map references are `lddw rX, map_fd` (src=1) with imm = index into CompiledScript.maps. */
  insns: Insn[];
  /** Per instruction (index in insns): the script range it comes from. */
  lines: (Range | undefined)[];
  /**
   * Slot pcs where callback subprograms (for-over-map bodies) start; the code before the first is
   * the probe's own. Their `lddw rX, callback` instructions (src=4) hold the relative offset, as the kernel sees them.
   */
  subprogs?: number[];
  /** The probe's AST node index in Program.items. */
  item: number;
}

export interface CompiledScript {
  probes: CompiledProbe[];
  maps: BtMapDef[];
  formats: OutputFormat[];
  diagnostics: Diagnostic[];
  types: TypeInfoLike;
  /** Output channel map index and kind. */
  output: { kind: 'perf' | 'ringbuf'; map: number };
}

export interface CompileOptions {
  output?: 'perf' | 'ringbuf';
  /** Kernel BTF for struct member offsets (field chains through pointers). */
  btf?: import('../../btf').Btf;
  /** Default max_entries of script maps (bpftrace 0.17: 4096). */
  mapKeysMax?: number;
  /** bpftrace version imitated where code differs ('0.17' by default). */
  target?: string;
  /** The kernel's tracepoints, to expand wildcard tracepoint attach points (one program per event). */
  tracepoints?: { systems(): string[]; events(system: string): string[]; format(system: string, event: string): import('../../btf/tracepoint').TpFormat | undefined };
  /** Values userspace resolves at compile time: kaddr/uaddr symbols, cgroupid paths. */
  resolve?: (fn: 'kaddr' | 'uaddr' | 'cgroupid' | 'ncpus' | 'cpid', arg: string) => bigint | undefined;
  /** The script text (string literals with escapes are encoded from it). */
  source?: string;
  /** Positional parameters ($1...). */
  params?: string[];
  /**
   * USDT argument specs (`-4@%edi 8@-8(%rbp)`) of probe provider:name in the binary at
   * `path` (the host reads its .note.stapsdt; see usdt.ts parseStapsdtNotes).
   */
  usdt?: (path: string, provider: string | undefined, name: string) => string | undefined;
  /** Named options for getopt() (`--name=value` as { name: 'value' }, `--flag` as { flag: '' }). */
  options?: Record<string, string>;
}

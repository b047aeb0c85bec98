/**
 * The type checker's public data: what typecheck() returns (TypeInfo) and
 * what it records per probe (ProbeCtx), field access (FieldRef) and map
 * (MapType), shared by code generation and replay. Non-goal: any logic
 * (typecheck.ts and its typecheck-*.ts parts).
 */
import type * as A from './ast';
import type { Diagnostic } from './source';
import type { SType } from './types';
import type { MemberInfo, ProbeArg } from './typecheck-kernel';

/** What a probe's context holds (for codegen and replay). */
export interface ProbeCtx {
  /** Canonical provider ('tracepoint', 'kprobe', ...) of the first attach point. */
  provider: string;
  /** Tracepoint record fields (common_* included) or fentry/rawtracepoint arguments (8-byte slots). */
  args?: ProbeArg[];
  /** fexit: the function's return type; kretprobe/uretprobe: uint64. */
  retval?: SType;
  /** The name bpftrace gives the args struct ('struct _tracepoint_syscalls_sys_enter_openat'). */
  argsStruct?: string;
  /** The tracepoint (`category:event`) this context describes. */
  target?: string;
  /** With several attach points (or a wildcard's matches): each one's context, in order (fields may sit at other offsets in each). */
  attach?: ProbeCtx[];
}

/** How a field access reads its value (for codegen). */
export interface FieldRef extends MemberInfo {
  /** 'args': a probe argument (tracepoint record field or function argument slot); 'struct': memory of a C struct; 'tuple'/'record': a script value. */
  via: 'args' | 'struct' | 'record';
  /** For 'args': the argument. */
  arg?: ProbeArg;
}

export interface MapType {
  /** Key types ([] for a scalar map). */
  key: SType[];
  /** Value type; { k: 'agg' } for aggregations. */
  value: SType;
}

export interface TypeInfo {
  /** Every expression node -> its type (NONE when erroneous or void). */
  exprs: Map<A.Expr, SType>;
  /** Every variable node (declarations and uses) -> the variable's final type. */
  vars: Map<A.Var, SType>;
  maps: Map<string, MapType>;
  probes: Map<A.Probe, ProbeCtx>;
  /** Field accesses (`a.b`, `a->b`, `args.x`) -> offset, bitfield and source. */
  fields: Map<A.Field, FieldRef>;
  /** Compile-time values: sizeof() and offsetof() expressions. */
  consts: Map<A.Expr, bigint>;
  /** typeinfo()/comptime expressions (0.25+) -> the literal node (typed in `exprs`) they fold to. */
  folded?: Map<A.Expr, A.Expr>;
  /** `if comptime (...)` -> the branch kept (null: none); the other one is not checked. */
  comptimeBranches?: Map<A.If, A.Block | A.If | null>;
  diagnostics: Diagnostic[];
}

export interface TypecheckOptions {
  /** bpftrace version ('0.17', '0.26', ...). */
  target: string;
  /** str() size (BPFTRACE_STRLEN / config strlen); 64 by default. */
  strlen?: number;
  /** The script text: operator ranges are then exact (without it they include surrounding blanks). */
  source?: string;
}

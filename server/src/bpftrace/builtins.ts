/**
 * Tables of bpftrace builtins (variables) and functions: value types, where
 * each is allowed (probe providers), arities, and which functions are map
 * aggregations. Facts from bpftrace 0.17's semantic analyser and 0.26's
 * stdlib documentation. Non-goal: full signatures with argument types (the
 * type checker will refine these entries).
 */

import type { AttachPoint } from './ast';

export interface BuiltinInfo {
  /** Value type as bpftrace names it. */
  type: string;
  /** Canonical providers where it may be used (all when absent). */
  providers?: string[];
}

const ARG_PROVIDERS = ['kprobe', 'uprobe', 'usdt', 'rawtracepoint'];
const ARG_PROVIDERS_017 = ['kprobe', 'uprobe', 'usdt'];

/** Builtin variables by name (`argN`/`sargN` are matched by pattern, see builtinInfo). */
export const BUILTINS: Record<string, BuiltinInfo> = {
  pid: { type: 'uint32' },
  tid: { type: 'uint32' },
  uid: { type: 'uint64' },
  gid: { type: 'uint64' },
  nsecs: { type: 'uint64' },
  elapsed: { type: 'uint64' },
  numaid: { type: 'uint32' },
  cpu: { type: 'uint32' },
  ncpus: { type: 'uint64' },
  comm: { type: 'string[16]' },
  kstack: { type: 'kstack' },
  ustack: { type: 'ustack' },
  func: { type: 'string' },
  probe: { type: 'string' },
  curtask: { type: 'struct task_struct *' },
  rand: { type: 'uint32' },
  cgroup: { type: 'uint64' },
  cpid: { type: 'uint32' },
  jiffies: { type: 'uint64' },
  username: { type: 'username' },
  usermode: { type: 'uint8' },
  ctx: { type: 'ctx' },
  retval: { type: 'int64', providers: ['kretprobe', 'uretprobe', 'fentry', 'fexit'] },
  args: { type: 'args', providers: ['tracepoint', 'rawtracepoint', 'fentry', 'fexit', 'uprobe'] },
};

/** Info for a builtin name, including `argN` and `sargN`; undefined when not a builtin. */
export function builtinInfo(name: string): BuiltinInfo | undefined {
  if (Object.prototype.hasOwnProperty.call(BUILTINS, name)) return BUILTINS[name];
  if (/^arg\d+$/.test(name)) return { type: 'uint64', providers: ARG_PROVIDERS };
  if (/^sarg\d+$/.test(name)) return { type: 'uint64', providers: ['kprobe', 'uprobe'] };
  if (name.startsWith('__builtin_')) return builtinInfo(name.slice('__builtin_'.length));
  return undefined;
}

export interface FunctionInfo {
  min: number;
  /** Infinity for variadic functions. */
  max: number;
  /** Aggregations are assigned to maps and fix the map's value type. */
  aggregation?: boolean;
  /** Functions whose first argument must be a map. */
  mapArg?: boolean;
}

const f = (min: number, max: number, extra: Partial<FunctionInfo> = {}): FunctionInfo => ({ min, max, ...extra });
const agg = (n: number, max = n): FunctionInfo => ({ min: n, max, aggregation: true });

/** Functions with bpftrace 0.17's arities (checked for every target where they did not change). */
export const FUNCTIONS: Record<string, FunctionInfo> = {
  count: agg(0), sum: agg(1), avg: agg(1), min: agg(1), max: agg(1), stats: agg(1), hist: agg(1, 4), lhist: agg(4),
  tseries: agg(3, 4),
  delete: f(1, 2, { mapArg: true }), clear: f(1, 1, { mapArg: true }), zero: f(1, 1, { mapArg: true }),
  print: f(1, 3), printf: f(1, Infinity), cat: f(1, 128), system: f(1, Infinity), debugf: f(1, Infinity),
  errorf: f(1, Infinity), warnf: f(1, Infinity),
  str: f(1, 2), buf: f(1, 2), ksym: f(1, 1), usym: f(1, 1), kaddr: f(1, 2), uaddr: f(1, 1), ntop: f(1, 2), pton: f(1, 1),
  join: f(1, 2), reg: f(1, 1), cgroupid: f(1, 1), exit: f(0, 1), cgroup_path: f(1, 2), time: f(0, 1),
  strftime: f(2, 2), signal: f(1, 1), path: f(1, 2), strerror: f(1, 1), strncmp: f(3, 3), strcontains: f(2, 2),
  override: f(1, 1), kptr: f(1, 1), uptr: f(1, 1), macaddr: f(1, 1), unwatch: f(1, 1), bswap: f(1, 1),
  skboutput: f(4, 4), len: f(1, 1), has_key: f(2, 2, { mapArg: true }), percpu_kaddr: f(1, 2), kstack: f(0, 2),
  ustack: f(0, 2), socket_cookie: f(1, 1), getopt: f(1, 3), find: f(3, 3, { mapArg: true }), nsecs: f(0, 1),
  pid: f(0, 1), tid: f(0, 1), assert: f(2, Infinity), assert_str: f(2, Infinity), fail: f(1, Infinity),
  memcmp: f(3, 3), strlen: f(1, 1), strstr: f(2, 2), strcap: f(1, 1), ppid: f(0, 1), pcomm: f(0, 1),
  signal_name: f(1, 1), signal_thread: f(1, 1), syscall_name: f(1, 1), write_user: f(3, 3), static_assert: f(1, 2),
  leader_tid: f(0, 1), leader_comm: f(0, 1), default_str_length: f(0, 0), is_array: f(1, 1), is_integer: f(1, 1),
  is_literal: f(1, 1), is_ptr: f(1, 1), is_str: f(1, 1), is_unsigned_integer: f(1, 1), is_err: f(1, 1),
  has_cpid: f(0, 0), kfunc_allowed: f(1, 2), kfunc_exist: f(1, 1), probetype: f(0, 0),
};

/** Functions bpftrace 0.17 knows (its lexer's call list); anything else is "Unknown function" there. */
export const FUNCTIONS_017 = new Set([
  'avg', 'buf', 'cat', 'cgroupid', 'clear', 'count', 'delete', 'exit', 'hist', 'join', 'kaddr', 'kptr', 'ksym', 'lhist',
  'macaddr', 'max', 'min', 'ntop', 'override', 'print', 'printf', 'cgroup_path', 'reg', 'signal', 'sizeof', 'stats',
  'str', 'strerror', 'strftime', 'strncmp', 'strcontains', 'sum', 'system', 'time', 'uaddr', 'uptr', 'usym', 'zero',
  'path', 'unwatch', 'bswap', 'skboutput', 'pton', 'debugf', 'kstack', 'ustack',
]);

/** Arities that differ in bpftrace 0.17 (later releases added optional arguments). */
export const ARITY_017: Record<string, [number, number]> = {
  exit: [0, 0], hist: [1, 1], delete: [1, 1], kaddr: [1, 1], path: [1, 1],
};

/** bpftrace's arity message (0.17 wording, still used by later releases for builtin calls). */
export function arityMessage(name: string, info: FunctionInfo, n: number): string | undefined {
  if (n >= info.min && n <= info.max) return undefined;
  const count = (k: number): string => (k === 0 ? 'no arguments' : k === 1 ? 'one argument' : `${k} arguments`);
  let what: string;
  if (info.min === info.max) what = `requires ${count(info.min)}`;
  else if (n < info.min) what = info.min === 1 ? 'requires at least one argument' : `requires at least ${info.min} arguments`;
  else what = info.max === 0 ? 'requires no arguments' : info.max === 1 ? 'takes up to one argument' : `takes up to ${info.max} arguments`;
  return `${name}() ${what} (${n} provided)`;
}

/** Providers where a builtin is allowed, per era (0.17 vs 0.26). */
export function allowedProviders(name: string, old: boolean): string[] | undefined {
  if (name === 'retval') return old ? ['kretprobe', 'uretprobe', 'fexit'] : ['kretprobe', 'uretprobe', 'fentry', 'fexit'];
  if (name === 'args') return old ? ['tracepoint', 'fentry', 'fexit', 'uprobe'] : ['tracepoint', 'rawtracepoint', 'fentry', 'fexit', 'uprobe'];
  if (name.startsWith('arg') && /^arg\d+$/.test(name)) return old ? ARG_PROVIDERS_017 : ARG_PROVIDERS;
  if (name === 'func' && old) return ['kprobe', 'kretprobe', 'uprobe', 'uretprobe'];
  return builtinInfo(name)?.providers;
}

/** bpftrace's message for a builtin used in a probe that does not provide it (0.17 or 0.26 wording). */
export function builtinMessage(name: string, ap: AttachPoint, old: boolean): string {
  if (name === 'retval') {
    const hint = ap.canonical === 'tracepoint' ? (old ? ' (try to use args->ret instead)' : ' (try to use args.ret instead)') : '';
    return old
      ? `The retval builtin can only be used with 'kretprobe' and 'uretprobe' and 'kfunc' probes${hint}`
      : `The retval builtin can only be used with 'kretprobe' and 'uretprobe' and 'fentry' probes${hint}`;
  }
  if (name === 'args') {
    return old
      ? `The args builtin can only be used with tracepoint/kfunc/uprobeprobes (${ap.canonical} used here)`
      : `The args builtin can only be used with tracepoint, rawtracepoint, fentry/fexit, and uprobe probes (${ap.canonical} used here)`;
  }
  if (name === 'func') return `The func builtin can not be used with '${ap.provider}' probes`;
  if (name.startsWith('sarg')) return `The ${name} builtin can only be used with 'kprobes' and 'uprobes' probes`;
  return `The ${name} builtin can only be used with 'kprobes', 'uprobes' and 'usdt' probes`;
}

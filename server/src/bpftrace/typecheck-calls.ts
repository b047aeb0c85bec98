/**
 * Builtin variables and function calls for the bpftrace type checker: their
 * value types per era (0.17 makes most builtins uint64), argument types with
 * bpftrace's messages, aggregations as { k: 'agg' } map values, literal
 * arguments (lhist bounds, buf/str lengths, reg names). Arity, provider and
 * format-count checks stay in semantic.ts. Non-goal: printf verb/argument
 * compatibility beyond integers vs strings.
 */
import * as A from './ast';
import type { Checker } from './typecheck';
import { coarse } from './typecheck';
import { argsType } from './typecheck-probe';
import { readable } from './typecheck-expr';
import { AggFn, NONE, S64, sizeOf, SpecialKind, SType, U32, U64 } from './types';

const SPECIALS = new Map<SpecialKind, SType>();
/** Shared special-value types (nobody mutates STypes). */
const special = (kind: SpecialKind, size: number): SType => {
  let t = SPECIALS.get(kind);
  if (!t) SPECIALS.set(kind, (t = { k: 'special', kind, size }));
  return t;
};
const COMM: SType = { k: 'string', size: 16 };

/** Storage sizes of special values (what codegen writes): addresses, ids, stack ids. */
export const SPECIAL_SIZES: Record<SpecialKind, number> = {
  ksym: 8, usym: 16, username: 8, probe: 8, cgroup_path: 16, strerror: 8, timestamp: 16, mac: 6, inet: 24, kstack: 8, ustack: 16,
};

const U8: SType = { k: 'int', bits: 8, signed: false };

export function builtinType(cx: Checker, b: A.Builtin): SType {
  const name = b.name.startsWith('__builtin_') ? b.name.slice('__builtin_'.length) : b.name;
  const provider = cx.ctx?.provider ?? '';
  if (cx.forDepth > 0 && !cx.old && (/^s?arg\d+$/.test(name) || name === 'ctx')) {
    cx.err(b.range, `'${b.name}' builtin is not allowed in a for-loop`);
  }
  switch (name) {
    case 'pid':
    case 'tid':
      return cx.old ? U64 : U32;
    case 'cpid':
      return cx.old ? U32 : U64;
    case 'nsecs': case 'elapsed': case 'cgroup': case 'uid': case 'gid': case 'cpu': case 'rand': case 'jiffies':
    case 'ncpus': case 'numaid':
      return U64;
    case 'usermode':
      return U8;
    case 'comm':
      return COMM;
    case 'kstack':
      return special('kstack', SPECIAL_SIZES.kstack);
    case 'ustack':
      return special('ustack', SPECIAL_SIZES.ustack);
    case 'func':
      return provider === 'uprobe' || provider === 'uretprobe' ? special('usym', SPECIAL_SIZES.usym) : special('ksym', SPECIAL_SIZES.ksym);
    case 'probe':
      return special('probe', SPECIAL_SIZES.probe);
    case 'username':
      return special('username', SPECIAL_SIZES.username);
    case 'curtask':
      return cx.structType('struct task_struct');
    case 'ctx': {
      if (cx.old) return ctxAccess({ ...ctxType(cx, provider) }, false);
      return ctxType(cx, provider);
    }
    case 'retval':
      return cx.ctx?.retval ?? U64;
    case 'args': {
      if (!cx.old) return argsType(cx);
      const fentry = provider === 'fentry' || provider === 'fexit';
      return ctxAccess({ ...argsType(cx) }, fentry || provider === 'uprobe', fentry ? 'struct kfunc *' : undefined);
    }
    default:
      if (/^s?arg\d+$/.test(name)) return U64;
      return NONE;
  }
}

/**
 * 0.17's context access marks on `ctx`/`args` values (fresh objects, so a variable holding one keeps the mark):
 * `funcarg` for kfunc/uprobe args, `name` how 0.17 spells the type when it differs from ours.
 */
const CTX_ACCESS = new WeakMap<SType, { funcarg: boolean; name?: string }>();

function ctxAccess(t: SType, funcarg: boolean, name?: string): SType {
  CTX_ACCESS.set(t, { funcarg, ...(name !== undefined ? { name } : {}) });
  return t;
}

/** 0.17: whether a value is the probe context (`ctx`, `args`), and whether it is function args. */
export function contextAccess(t: SType | undefined): { funcarg: boolean; name?: string } | undefined {
  return t && CTX_ACCESS.get(t);
}

/** The `ctx` value: a pointer to the program type's context struct. */
function ctxType(cx: Checker, provider: string): SType {
  if (provider === 'iter') return cx.structType(`struct bpf_iter__${cx.probe?.attachPoints[0]?.parts[0] ?? ''}`);
  if (provider === 'profile' || provider === 'interval' || provider === 'software' || provider === 'hardware') return cx.structType('struct bpf_perf_event_data');
  return provider === 'kprobe' || provider === 'kretprobe' || provider === 'uprobe' || provider === 'uretprobe' ? cx.structType('struct pt_regs') : { k: 'ptr', to: NONE };
}

/** Functions without a value (0.26's list; 0.17 adds delete, signal, override). */
const VOID_026 = new Set(['printf', 'system', 'cat', 'debugf', 'errorf', 'warnf', 'exit', 'print', 'clear', 'zero', 'time',
  'join', 'unwatch', 'fail']);
const VOID_017 = new Set([...VOID_026, 'delete', 'signal', 'override']);

/** Whether a builtin function has no value for the era. */
export function voidCall(name: string, old: boolean): boolean {
  return (old ? VOID_017 : VOID_026).has(name);
}
const FORMAT = new Set(['printf', 'system', 'cat', 'debugf', 'errorf', 'warnf']);
const AGGS = new Set<string>(['count', 'sum', 'avg', 'min', 'max', 'stats', 'hist', 'lhist', 'tseries']);

/** What bpftrace suggests calling instead of copying an aggregation between maps. */
export const AGG_HINTS: Record<string, string> = {
  count: 'count()', sum: 'sum(retval)', min: 'min(retval)', max: 'max(retval)', avg: 'avg(retval)', hist: 'hist(retval)',
  lhist: 'lhist(rand %10, 0, 10, 1)', tseries: 'tseries(rand %10, 10s, 1)', stats: 'stats(arg2)',
};

const SIGNALS = new Set(['HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'IOT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM',
  'TERM', 'STKFLT', 'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO', 'POLL', 'PWR', 'SYS']);

/** signal(): a known signal name (with or without SIG) or a number in 1..64. */
function signalArg(k: CallCtx): void {
  const a = k.c.args[0];
  if (!a) return;
  if (a.kind === 'Str') {
    if (!SIGNALS.has(a.value.replace(/^SIG/, ''))) fail(k, `${a.value} is not a valid signal`);
  } else if (literal(a) !== undefined) {
    const n = literal(a) ?? 0n;
    if (n < 1n || n > 64n) fail(k, `${n} is not a valid signal, allowed range: [1,64]`);
  } else if (k.args[0].k !== 'none' && !isInt(k.args[0])) {
    fail(k, `signal() only supports string or integer arguments (${coarse(k.args[0])} provided)`);
  }
}

/** x86-64 pt_regs names reg() accepts. */
const REGS = new Set(['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss']);

function isInt(t: SType): boolean {
  return t.k === 'int' || t.k === 'bool';
}

/** Value of a literal integer argument (negative literals included). */
function literal(e: A.Expr | undefined): bigint | undefined {
  if (!e) return undefined;
  if (e.kind === 'Int') return e.value;
  if (e.kind === 'Unary' && e.op === '-' && e.operand.kind === 'Int' && e.operand.value !== undefined) return -e.operand.value;
  return undefined;
}

/** A call being checked: the checker, the node and its argument types. */
interface CallCtx {
  cx: Checker;
  c: A.Call;
  args: SType[];
}

/** 0.17: print() refuses pointers and the probe context (`print(args)`, `print(*args)`), naming the type as 0.17 does. */
function notPrintable(k: CallCtx, a: A.Expr, t: SType): void {
  const c = contextAccess(t);
  const deref = a.kind === 'Unary' && a.op === '*' ? contextAccess(k.cx.info.exprs.get(a.operand)) : undefined;
  if (t.k !== 'ptr' && !deref) return;
  const name = c?.name ?? (deref?.name !== undefined ? deref.name.replace(/ \*$/, '') : k.cx.tname(t));
  fail(k, `${c ? '(ctx) ' : ''}${name} type passed to print() is not printable`);
}

function fail(k: CallCtx, m: string): void {
  k.cx.err(k.c.range, m);
}

/** Argument `i` must be an integer (bpftrace's "only supports integer arguments"). */
function onlyInt(k: CallCtx, i: number): boolean {
  const t = k.args[i];
  if (t === undefined || t.k === 'none' || isInt(t)) return true;
  fail(k, `${k.c.name}() only supports integer arguments (${k.cx.old ? coarse(t) : k.cx.tname(t)} provided)`);
  return false;
}

/** Argument `i` must be a literal of the kind. */
function wantLiteral(k: CallCtx, i: number, what: 'integer' | 'string'): boolean {
  const a = k.c.args[i];
  if (a === undefined) return true;
  // (Positional parameters are literals: their values are fixed when the script starts.)
  const ok = a.kind === 'Param' || (what === 'integer' ? literal(a) !== undefined : a.kind === 'Str');
  const t = k.args[i];
  if (!ok) fail(k, `${k.c.name}() expects a ${what} literal (${t.k === 'none' ? 'none' : k.cx.old ? coarse(t) : k.cx.tname(t)} provided)`);
  return ok;
}

export function callType(cx: Checker, c: A.Call): SType {
  const prevName = cx.callName;
  const prevArg = cx.callArg;
  const args: SType[] = [];
  try {
    cx.callName = c.name;
    for (let i = 0; i < c.args.length; i++) {
      cx.callArg = i;
      const a = c.args[i];
      // A bare map argument (print(@m), clear(@m), len(@m)) names the map.
      args.push(a.kind === 'Map' && !AGGS.has(c.name) && c.name !== 'str' ? mapArg(cx, a) : readable(cx, cx.expr(a)));
    }
  } finally {
    cx.callName = prevName;
    cx.callArg = prevArg;
  }
  if (cx.userFn(c.name) !== undefined) return cx.userFn(c.name) ?? NONE;
  const k: CallCtx = { cx, c, args };
  if (AGGS.has(c.name)) return aggregation(k);
  if (voidCall(c.name, cx.old) || c.name === 'signal' || c.name === 'override') {
    if (FORMAT.has(c.name) && c.args.length > 0 && c.args[0].kind !== 'Str' && args[0].k !== 'none' && !(c.args[0].kind === 'Int' && cx.old)) wantLiteral(k, 0, 'string');
    const fmt = c.args[0];
    if (FORMAT.has(c.name) && fmt?.kind === 'Str' && cx.old) {
      const m = formatTypes(c.name, fmt.value, args.slice(1), c.args.slice(1));
      if (m) fail(k, m);
    }
    if (c.name === 'join' && c.args.length > 1) wantLiteral(k, 1, 'string');
    if (c.name === 'join' && args[0] && args[0].k !== 'none' && args[0].k !== 'int' && args[0].k !== 'ptr') {
      fail(k, `${cx.old ? '' : 'join'}() only supports int or pointer arguments (${cx.old ? coarse(args[0]) : cx.tname(args[0])} provided)`);
    }
    if (c.name === 'signal') signalArg(k);
    if (c.name === 'print' && c.args[0]?.kind === 'MapAccess' && args[0].k === 'agg' && !cx.old) {
      fail(k, `Map type ${cx.tname(args[0])} cannot print the value of individual keys. You must print the whole map.`);
    }
    if (c.name === 'time' && c.args.length > 0) wantLiteral(k, 0, 'string');
    if (c.name === 'print' && c.args[0]?.kind === 'Map' && cx.old) for (let i = 1; i < c.args.length; i++) if (!wantLiteral(k, i, 'integer')) break;
    if (c.name === 'print' && cx.old && c.args[0] && c.args[0].kind !== 'Map') notPrintable(k, c.args[0], args[0]);
    if (c.name === 'print' && c.args.length > 1 && c.args[0].kind !== 'Map' && args[0].k !== 'none') {
      fail(k, `Non-map print() only takes 1 argument, ${c.args.length} found`);
    }
    return NONE;
  }
  switch (c.name) {
    case 'str': {
      const t = args[0];
      if (t && t.k !== 'none' && c.args[0].kind !== 'Param' && !isInt(t) && t.k !== 'ptr' && !(t.k === 'string' && !cx.old) && !(t.k === 'array' && !cx.old)) {
        fail(k, cx.old
          ? `str() expects an integer or a pointer type as first argument (${cx.tname(t)} provided)`
          : `str() expects a string, integer or a pointer type as first argument (${cx.tname(t)} provided)`);
      }
      const n = literal(c.args[1]);
      // (0.17 writes this message without "() ".)
      if (n !== undefined && n < 0n) fail(k, `${cx.old ? 'str' : 'str() '}cannot use negative length (${n})`);
      if (c.args[1]) onlyInt(k, 1);
      const lit = c.args[0]?.kind === 'Param' || (t?.k === 'string' && !cx.old);
      return { k: 'string', size: lit && t?.k === 'string' ? Math.min(t.size, cx.strlen) : cx.strlen };
    }
    case 'buf':
      return bufType(k);
    case 'ksym':
    case 'usym': {
      const t = args[0];
      if (t && t.k !== 'none' && !isInt(t) && t.k !== 'ptr') fail(k, `${c.name}() expects an integer or pointer argument`);
      return special(c.name, SPECIAL_SIZES[c.name]);
    }
    case 'kaddr':
      wantLiteral(k, 0, 'string');
      return U64;
    case 'uaddr':
      wantLiteral(k, 0, 'string');
      return { k: 'ptr', to: U64, user: true };
    case 'reg': {
      if (wantLiteral(k, 0, 'string') && c.args[0]?.kind === 'Str' && !REGS.has(c.args[0].value)) {
        fail(k, `'${c.args[0].value}' is not a valid register on this architecture (x86_64)`);
      }
      return U64;
    }
    case 'ntop': {
      const t = args[args.length - 1];
      if (!cx.old && t && t.k !== 'none' && !isInt(t) && t.k !== 'array' && t.k !== 'ptr') {
        fail(k, `ntop() expects an integer or array argument, got ${cx.tname(t)}`);
      }
      return special('inet', SPECIAL_SIZES.inet);
    }
    case 'pton':
      if (c.args[0] && c.args[0].kind !== 'Str' && args[0].k !== 'none') fail(k, 'pton() expects an string argument of an IPv4/IPv6 address, got ');
      return { k: 'array', elem: U8, len: c.args[0]?.kind === 'Str' && c.args[0].value.includes(':') ? 16 : 4 };
    case 'strftime':
      wantLiteral(k, 0, 'string');
      onlyInt(k, 1);
      return special('timestamp', SPECIAL_SIZES.timestamp);
    case 'cgroupid':
      wantLiteral(k, 0, 'string');
      return U64;
    case 'cgroup_path':
      return special('cgroup_path', SPECIAL_SIZES.cgroup_path);
    case 'path':
      return { k: 'string', size: cx.strlen };
    case 'strerror':
      onlyInt(k, 0);
      return special('strerror', SPECIAL_SIZES.strerror);
    case 'macaddr':
      return special('mac', SPECIAL_SIZES.mac);
    case 'strncmp':
      wantLiteral(k, 2, 'integer');
      return cx.typed ? { k: 'bool' } : U64;
    case 'strcontains':
      for (const t of args) {
        if (t.k !== 'none' && t.k !== 'string') {
          fail(k, `strcontains() only supports string arguments (${cx.old ? coarse(t) : cx.tname(t)} provided)`);
          break;
        }
      }
      return cx.typed ? { k: 'bool' } : U64;
    case 'delete':
    case 'has_key':
      return cx.typed ? { k: 'bool' } : U64;
    case 'kptr':
    case 'uptr':
      if (args[0] && args[0].k !== 'none' && !isInt(args[0]) && args[0].k !== 'ptr') {
        fail(k, `${c.name}() only supports integer or pointer arguments (${cx.old ? coarse(args[0]) : cx.tname(args[0])} provided)`);
      }
      return args[0] ?? NONE;
    case 'bswap': {
      const t = args[0];
      if (onlyInt(k, 0) && t && t.k === 'int') return { k: 'int', bits: t.bits, signed: false };
      return NONE;
    }
    case 'skboutput':
      return U32;
    case 'kstack':
      return special('kstack', SPECIAL_SIZES.kstack);
    case 'ustack':
      return special('ustack', SPECIAL_SIZES.ustack);
    case 'socket_cookie': {
      const t = args[0];
      if (t && t.k !== 'none' && t.k !== 'ptr') fail(k, `socket_cookie() only supports pointer arguments (${coarse(t) === 'integer' ? 'int' : coarse(t)} provided)`);
      else if (t && t.k === 'ptr' && t.to.k === 'cstruct' && t.to.name !== 'struct sock') {
        fail(k, `socket_cookie() only supports 'struct sock *' as the argument ('${cx.tname(t)}' provided)`);
      }
      return U64;
    }
    case 'sizeof': case 'offsetof': case 'len': case 'strlen': case 'percpu_kaddr': case 'nsecs':
    case 'ppid': case 'leader_tid':
      return c.name === 'len' || c.name === 'strlen' ? S64 : U64;
    case 'pid':
    case 'tid':
      return U32;
    case 'strstr':
      return S64;
    case 'pcomm':
    case 'leader_comm':
      return { k: 'string', size: 16 };
    case 'signal_name':
    case 'syscall_name':
      return { k: 'string', size: cx.strlen };
    case 'is_array': case 'is_integer': case 'is_literal': case 'is_ptr': case 'is_str': case 'is_unsigned_integer':
    case 'is_err': case 'has_cpid': case 'kfunc_allowed': case 'kfunc_exist': case 'memcmp':
      return { k: 'bool' };
    default:
      return NONE;
  }
}

/** What a printf conversion takes in bpftrace 0.17: its class and its text after flags and width. */
const SPEC = /%-?[0-9.]*((?:hh|h|ll|l|j|z|t)?[duoxXp]|c|s|rx|rh|r)/g;

/** bpftrace 0.17's check of argument classes against conversions (counts are checked in semantic.ts). */
function formatTypes(func: string, fmt: string, args: SType[], nodes: A.Expr[]): string | undefined {
  let i = 0;
  for (const m of fmt.matchAll(SPEC)) {
    const t = args[i++];
    if (t === undefined) return undefined;
    if (t.k === 'none' || (t.k === 'agg' && nodes[i - 1]?.kind === 'Call')) continue; // (an aggregation call here is already an error)
    const want = m[1] === 's' ? 'string' : m[1].startsWith('r') ? 'buffer' : 'integer';
    const have = t.k === 'special' || t.k === 'string' ? 'string' : t.k === 'ptr' || t.k === 'bool' ? 'integer' : coarse(t);
    if (want !== have) return `${func}: %${m[1]} specifier expects a value of type ${want} (${have} supplied)`;
  }
  return undefined;
}

function mapArg(cx: Checker, m: A.MapRef): SType {
  const v = cx.mapValue(m.name);
  cx.info.exprs.set(m, v);
  return v;
}

function bufType(k: CallCtx): SType {
  const { cx, c, args } = k;
  const t = args[0];
  if (!t || t.k === 'none') return NONE;
  if (!(t.k === 'int' || t.k === 'string' || t.k === 'ptr' || t.k === 'array')) {
    fail(k, `buf() expects an integer, string, or array argument but saw ${cx.old ? coarse(t) : cx.tname(t)}`);
    return NONE;
  }
  let size = cx.strlen;
  if (c.args.length === 1) {
    if (t.k === 'array') size = sizeOf(t);
    else {
      fail(k, `buf() expects a length argument for non-array type ${cx.old ? coarse(t) : cx.tname(t)}`);
      return NONE;
    }
  } else if (onlyInt(k, 1)) {
    const n = literal(c.args[1]);
    if (n !== undefined && n < 0n) fail(k, `buf cannot use negative length (${n})`);
    else if (n !== undefined) size = Number(n);
  }
  if (size > cx.strlen) {
    cx.warn(c.range, `buf() length is too long and will be shortened to ${cx.strlen} bytes (see BPFTRACE_STRLEN)`);
    size = cx.strlen;
  }
  return { k: 'buffer', size };
}

function aggregation(k: CallCtx): SType {
  const { cx, c, args } = k;
  if (!cx.aggregationAllowed(c)) {
    cx.err(c.range, cx.old ? `${c.name}() should be directly assigned to a map` : `${c.name}() must be assigned directly to a map`);
  }
  const fn = c.name as AggFn;
  const signed = (i: number): boolean => {
    const t = args[i];
    return t !== undefined && t.k === 'int' && t.signed;
  };
  switch (c.name) {
    case 'count':
      return { k: 'agg', fn, signed: false };
    case 'sum':
    case 'min':
    case 'max':
      onlyInt(k, 0);
      return { k: 'agg', fn, signed: signed(0) };
    case 'avg':
    case 'stats':
      onlyInt(k, 0);
      return { k: 'agg', fn, signed: cx.old ? true : signed(0) };
    case 'hist':
      onlyInt(k, 0);
      if (c.args.length > 1) wantLiteral(k, 1, 'integer');
      return { k: 'agg', fn, signed: false, ...(c.args.length > 1 ? { args: [literal(c.args[1]) ?? 0n] } : {}) };
    case 'lhist': {
      onlyInt(k, 0);
      const lits = [1, 2, 3].map((i) => literal(c.args[i]));
      const names = ['min', 'max', 'step'];
      for (let i = 0; i < 3; i++) {
        if (c.args[i + 1] !== undefined && lits[i] === undefined) {
          cx.err(c.range, `lhist: invalid ${names[i]} value`);
          return { k: 'agg', fn, signed: false };
        }
      }
      const [min, max, step] = lits;
      if (min !== undefined && max !== undefined && step !== undefined) {
        if (step <= 0n) cx.err(c.range, `lhist() step must be >= 1 (${step} provided)`);
        else if (min < 0n) cx.err(c.range, `lhist() min must be non-negative (provided min ${min})`);
        else if (min > max) cx.err(c.range, `lhist() min must be less than max (provided min ${min} and max ${max})`);
        else if ((max - min) / step > 1000n) cx.err(c.range, `lhist() too many buckets, must be <= 1000 (would need ${(max - min) / step})`);
        return { k: 'agg', fn, signed: false, args: [min, max, step] };
      }
      return { k: 'agg', fn, signed: false };
    }
    default:
      return { k: 'agg', fn: 'tseries', signed: signed(0) };
  }
}

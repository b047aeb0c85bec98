/**
 * Compile-time evaluation for the bpftrace type checker (0.25+): `typeinfo(x)`
 * as the record bpftrace builds from x's type (btf_id, base_type, full_type),
 * `comptime expr` folded to a literal as bpftrace's literal folder does, and
 * `if comptime (...)` checking only the branch it keeps. Results go to
 * TypeInfo.folded (literal nodes codegen emits instead) and
 * TypeInfo.comptimeBranches. Non-goals: bpftrace's iterative re-resolution of
 * types declared after their use (our checker types in source order).
 */
import type * as A from './ast';
import type { Checker } from './typecheck';
import { builtinInfo } from './builtins';
import { resolveTypeRef } from './typecheck-access';
import { builtinType } from './typecheck-calls';
import { literalType, signedLiteralType } from './typecheck-int';
import { NONE, type SType, U64 } from './types';
import type { Range } from './source';
import { compareVersions } from './versions';
import { formatPrintf } from './output/printf';
import type { BtValue } from './output/values';

/** A compile-time value. */
export type ConstVal =
  | { t: 'int'; v: bigint }
  | { t: 'str'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'tuple'; elems: ConstVal[] }
  | { t: 'record'; fields: { name: string; v: ConstVal }[] };

const U64_MASK = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const UNRESOLVED = 'Unable to resolve comptime expression';

/** base_type of a type: bpftrace's name of its type class. */
export function baseTypeName(t: SType): string {
  switch (t.k) {
    case 'int': return 'int';
    case 'bool': return 'bool';
    case 'string': return 'string';
    case 'buffer': return 'buffer';
    case 'ptr': return 'pointer';
    case 'cstruct': return 'c_type';
    case 'array': return 'array';
    case 'tuple': return 'tuple';
    case 'record': return 'record';
    case 'none': return 'none';
    case 'agg': return `${t.fn}_t`;
    case 'special': return SPECIAL_BASE[t.kind];
  }
}

const SPECIAL_BASE: Record<string, string> = {
  ksym: 'ksym_t', usym: 'usym_t', username: 'username', probe: 'string', cgroup_path: 'cgroup_path_t',
  strerror: 'int', timestamp: 'timestamp', mac: 'mac_address', inet: 'inet', kstack: 'kstack', ustack: 'ustack',
};

/** full_type of a type: bpftrace's full spelling (`uint64`, `string[4]`, `struct task_struct *`, `(int8,string[3])`). */
export function fullTypeName(t: SType): string {
  switch (t.k) {
    case 'int': return `${t.signed ? 'int' : 'uint'}${t.bits}`;
    case 'string': return `string[${t.size}]`;
    case 'buffer': return `buffer[${t.size}]`;
    case 'ptr': return `${fullTypeName(t.to)} *`;
    case 'cstruct': return t.name;
    case 'array': return `${fullTypeName(t.elem)}[${t.len}]`;
    case 'tuple': return `(${t.elems.map(fullTypeName).join(',')})`;
    case 'record': return `record { ${t.fields.map((f) => `.${f.name} = ${fullTypeName(f.type)}`).join(', ')} }`;
    case 'agg': return ['sum', 'min', 'max', 'avg', 'stats'].includes(t.fn) && !t.signed ? `u${t.fn}_t` : `${t.fn}_t`;
    case 'special':
      if (t.kind === 'kstack' || t.kind === 'ustack') return `${t.kind}_bpftrace_127`;
      if (t.kind === 'inet') return `inet[${t.size}]`;
      if (t.kind === 'probe') return `string[${t.size}]`;
      if (t.kind === 'strerror') return 'int64';
      return SPECIAL_BASE[t.kind];
    default: return baseTypeName(t);
  }
}

/** The record `typeinfo` yields for a type. */
export function typeinfoValue(t: SType): ConstVal {
  return {
    t: 'record',
    fields: [
      { name: 'btf_id', v: { t: 'int', v: 0n } },
      { name: 'base_type', v: { t: 'str', v: baseTypeName(t) } },
      { name: 'full_type', v: { t: 'str', v: fullTypeName(t) } },
    ],
  };
}

/** How many `comptime` expressions enclose the one being typed. */
let comptimeDepth = 0;

/** Values of typeinfo/comptime nodes computed while typing (per checker run). */
const values = new WeakMap<A.Expr, ConstVal>();

/** `typeinfo(TYPE | expr)`: a record of uint64 btf_id (always 0), base_type and full_type strings. */
export function typeinfoType(cx: Checker, e: A.Typeinfo): SType {
  const a = e.arg;
  const ref: A.TypeRef | undefined = a.kind === 'TypeRef' ? a : a.kind === 'Ident' && !builtinInfo(a.name) && cx.enumValue(a.name) === undefined
    ? { kind: 'TypeRef', range: a.range, name: a.name, suffixes: [] } : undefined;
  const t = ref ? resolveTypeRef(cx, ref, undefined, e.range) : a.kind === 'Ident' && builtinInfo(a.name)
    ? builtinType(cx, { kind: 'Builtin', range: a.range, name: a.name }) : cx.expr(a as A.Expr);
  unstableTypeinfo(cx, e.range);
  if (t === undefined || t.k === 'none') {
    // Inside comptime the whole expression is reported as unresolved instead.
    if (a.kind === 'Var' && comptimeDepth === 0) cx.err(a.range, 'Could not resolve the type of this variable');
    return NONE;
  }
  const v = typeinfoValue(t);
  values.set(e, v);
  fold(cx, e, v);
  return valueType(v, cx.typed);
}

/** 0.26 keeps typeinfo behind `config = { unstable_typeinfo = enable }` (warn: a warning; otherwise an error). */
function unstableTypeinfo(cx: Checker, at: Range): void {
  if (compareVersions(cx.v, [0, 26, 0]) < 0) return;
  const setting = cx.config?.get('unstable_typeinfo');
  if (setting === 'enable') return;
  if (setting === 'warn') {
    cx.warn(at, 'Script is using an unstable feature: typeinfo. To prevent this warning you must explicitly enable it in the config e.g. unstable_typeinfo=enable');
    return;
  }
  cx.err(at, 'typeinfo feature is not enabled by default. To enable this unstable feature, set the config flag to enable. unstable_typeinfo=enable');
}

/** `comptime expr`: the folded literal's type, or an error when it does not fold. */
export function comptimeType(cx: Checker, e: A.Comptime): SType {
  comptimeDepth++;
  const before = cx.info.diagnostics.length;
  let inner: SType;
  try {
    inner = cx.expr(e.expr);
  } finally {
    comptimeDepth--;
  }
  const v = constValue(cx, e.expr);
  // bpftrace folds literals before typing them: `"a" + "b"`, `"x" ? 1 : 2` are fine here.
  if (v !== undefined) cx.info.diagnostics.splice(before);
  if (v === undefined) {
    // An inner error already explains a NONE type; otherwise the expression is not a literal.
    const explained = inner.k === 'none' && cx.info.diagnostics.some((d) => d.severity === 'error' && d.range.start >= e.range.start && d.range.end <= e.range.end);
    return explained ? NONE : unresolved(cx, e.range);
  }
  values.set(e, v);
  fold(cx, e, v);
  return valueType(v, cx.typed);
}

function unresolved(cx: Checker, at: Range): SType {
  cx.err(at, UNRESOLVED);
  return NONE;
}

/** `if comptime (c) { a } else { b }`: only the kept branch is checked (bpftrace drops the other before typing it). */
export function comptimeIf(cx: Checker, n: A.If, ifNode: (n: A.If) => SType): SType {
  const cond = n.cond as A.Comptime;
  cx.expr(cond);
  const v = values.get(cond);
  if (v === undefined) return NONE;
  const keep = truthy(v) ? n.then : n.else;
  (cx.info.comptimeBranches ??= new Map()).set(n, keep);
  if (keep === null) return NONE;
  return keep.kind === 'If' ? ifNode(keep) : cx.block(keep);
}

/**
 * fail(fmt, literals...) in code that is checked (not a dropped `if comptime` branch) is a compile error with the
 * formatted message; static_assert(cond, msg) (0.26 stdlib: `if comptime (!cond) { fail(msg); }`) likewise.
 */
export function compileTimeFailure(cx: Checker, c: A.Call): void {
  if (cx.old) return;
  if (c.name === 'static_assert') {
    const cond = c.args[0] ? constValue(cx, c.args[0]) : undefined;
    if (cond === undefined) {
      if (c.args[0]) cx.err(c.args[0].range, UNRESOLVED);
      return;
    }
    const msg = c.args[1] ? constValue(cx, c.args[1]) : undefined;
    if (!truthy(cond)) cx.err(c.range, msg?.t === 'str' ? msg.v : 'static_assert failed');
    return;
  }
  if (c.name !== 'fail' || c.args.length === 0) return;
  const vals = c.args.map((a) => constValue(cx, a));
  if (vals.some((v) => v === undefined || v.t === 'tuple' || v.t === 'record')) {
    cx.err(c.range, 'fail() arguments need to be literals');
    return;
  }
  const fmt = vals[0];
  if (fmt?.t !== 'str') {
    cx.err(c.range, 'first argument to fail() must be a string literal');
    return;
  }
  const enc = new TextEncoder();
  const args: BtValue[] = vals.slice(1).map((v) => (v?.t === 'str' ? { t: 'str', v: enc.encode(v.v) }
    : { t: 'int', v: v?.t === 'int' ? v.v : v?.t === 'bool' && v.v ? 1n : 0n, signed: v?.t === 'int' && v.v < 0n }));
  cx.err(c.range, formatPrintf(fmt.v, args, { version: '0.26' }));
}

/** Drops diagnostics (of the first pass, which checks every branch) inside branches `if comptime` removed. */
export function liveDiagnostics<D extends { range: Range }>(diags: D[], info: { comptimeBranches?: Map<A.If, A.Block | A.If | null> }): D[] {
  const dead: Range[] = [];
  for (const [n, kept] of info.comptimeBranches ?? []) {
    for (const b of [n.then, n.else]) if (b && b !== kept) dead.push(b.range);
  }
  if (dead.length === 0) return diags;
  return diags.filter((d) => !dead.some((r) => d.range.start >= r.start && d.range.end <= r.end));
}

/** eval_bool: non-zero ints, negative ints, non-empty strings, true. */
export function truthy(v: ConstVal): boolean {
  if (v.t === 'int') return v.v !== 0n;
  if (v.t === 'str') return v.v.length > 0;
  if (v.t === 'bool') return v.v;
  return true;
}

/** The type of a literal value (0.25+ literal rules). */
function valueType(v: ConstVal, typed: boolean): SType {
  switch (v.t) {
    case 'int': return v.v < 0n ? signedLiteralType(v.v) : literalType(v.v, typed);
    case 'str': return { k: 'string', size: new TextEncoder().encode(v.v).length + 1 };
    case 'bool': return { k: 'bool' };
    case 'tuple': return { k: 'tuple', elems: v.elems.map((x) => valueType(x, typed)) };
    case 'record': return { k: 'record', fields: v.fields.map((f) => ({ name: f.name, type: f.name === 'btf_id' && f.v.t === 'int' ? U64 : valueType(f.v, typed) })) };
  }
}

/** Records the literal node codegen emits for e (types set for every node). */
function fold(cx: Checker, e: A.Expr, v: ConstVal): void {
  (cx.info.folded ??= new Map()).set(e, literalNode(cx, v, e.range));
}

function literalNode(cx: Checker, v: ConstVal, range: Range): A.Expr {
  let n: A.Expr;
  switch (v.t) {
    case 'int': n = { kind: 'Int', range, text: String(v.v), value: v.v }; break;
    case 'str': n = { kind: 'Str', range, value: v.v }; break;
    case 'bool': n = { kind: 'Bool', range, value: v.v }; break;
    case 'tuple': n = { kind: 'Tuple', range, elems: v.elems.map((x) => literalNode(cx, x, range)) }; break;
    case 'record':
      n = { kind: 'Record', range, fields: v.fields.map((f) => ({ kind: 'RecordField', range, name: f.name, value: literalNode(cx, f.v, range) })) };
      break;
  }
  cx.info.exprs.set(n, valueType(v, cx.typed));
  return n;
}

/** The value of an expression when bpftrace's literal folder reduces it to a literal; undefined otherwise. */
export function constValue(cx: Checker, e: A.Expr): ConstVal | undefined {
  const known = values.get(e);
  if (known) return known;
  switch (e.kind) {
    case 'Int': return e.value === undefined ? undefined : { t: 'int', v: e.value };
    case 'Str': return { t: 'str', v: e.value };
    case 'Bool': return { t: 'bool', v: e.value };
    case 'Sizeof': case 'Offsetof': {
      const c = cx.info.consts.get(e);
      return c === undefined ? undefined : { t: 'int', v: c };
    }
    case 'Comptime': return constValue(cx, e.expr);
    case 'Tuple': return all(e.elems.map((x) => constValue(cx, x)), (elems) => ({ t: 'tuple', elems }));
    case 'Record': {
      const vs = e.fields.map((f) => constValue(cx, f.value));
      return all(vs, (xs) => ({ t: 'record', fields: xs.map((v, i) => ({ name: e.fields[i].name, v })) }));
    }
    case 'Field': {
      const o = constValue(cx, e.object);
      return o?.t === 'record' ? o.fields.find((f) => f.name === e.field)?.v : undefined;
    }
    case 'TupleIndex': {
      const o = constValue(cx, e.object);
      return o?.t === 'tuple' ? o.elems[e.index] : undefined;
    }
    case 'Index': {
      const o = constValue(cx, e.object);
      const i = constValue(cx, e.index);
      if (o?.t !== 'str' || i?.t !== 'int' || i.v < 0n) return undefined;
      const bytes = new TextEncoder().encode(o.v);
      return i.v > BigInt(bytes.length) ? undefined : { t: 'int', v: BigInt(bytes[Number(i.v)] ?? 0) };
    }
    case 'Unary': return unaryValue(e.op, constValue(cx, e.operand));
    case 'Binary': return binaryValue(e.op, constValue(cx, e.left), constValue(cx, e.right));
    case 'Ternary': {
      const c = constValue(cx, e.cond);
      const a = e.then ? constValue(cx, e.then) : c;
      const b = constValue(cx, e.else);
      return c && a && b ? (truthy(c) ? a : b) : undefined;
    }
    case 'Block': return e.stmts.length === 0 && e.value ? constValue(cx, e.value) : undefined;
    case 'Call': return introspection(cx, e);
    default: return undefined;
  }
}

/** The 0.26 stdlib's type predicates (macros over typeinfo there): known once the argument is typed. */
function introspection(cx: Checker, e: A.Call): ConstVal | undefined {
  const a = e.args[0];
  const t = a ? cx.info.exprs.get(a) : undefined;
  if (!a || !t || t.k === 'none') return undefined;
  const yes = (b: boolean): ConstVal => ({ t: 'bool', v: b });
  switch (e.name) {
    case 'is_integer': return yes(t.k === 'int');
    case 'is_unsigned_integer': return yes(t.k === 'int' && !t.signed);
    case 'is_ptr': return yes(t.k === 'ptr');
    case 'is_str': return yes(t.k === 'string');
    case 'is_array': return yes(t.k === 'array');
    case 'is_literal': return yes(a.kind === 'Int' || a.kind === 'Str' || a.kind === 'Bool');
    default: return undefined;
  }
}

function all(vs: (ConstVal | undefined)[], make: (xs: ConstVal[]) => ConstVal): ConstVal | undefined {
  return vs.every((v) => v !== undefined) ? make(vs as ConstVal[]) : undefined;
}

function unaryValue(op: string, v: ConstVal | undefined): ConstVal | undefined {
  if (v === undefined) return undefined;
  if (v.t === 'bool') return op === '!' ? { t: 'bool', v: !v.v } : undefined;
  if (v.t !== 'int') return undefined;
  if (op === '!') return { t: 'bool', v: v.v === 0n };
  if (op === '~') return { t: 'int', v: v.v < 0n ? ~v.v : ~v.v & U64_MASK };
  if (op === '-') return -v.v < I64_MIN ? undefined : { t: 'int', v: -v.v };
  return undefined;
}

function binaryValue(op: string, l: ConstVal | undefined, r: ConstVal | undefined): ConstVal | undefined {
  if (l === undefined || r === undefined) return undefined;
  if (l.t === 'str' || r.t === 'str') return stringOp(op, l, r);
  if (op === '&&' || op === '||') {
    if (l.t === 'tuple' || l.t === 'record' || r.t === 'tuple' || r.t === 'record') return undefined;
    return { t: 'bool', v: op === '&&' ? truthy(l) && truthy(r) : truthy(l) || truthy(r) };
  }
  if ((l.t === 'tuple' && r.t === 'tuple') || (l.t === 'record' && r.t === 'record')) {
    if (op !== '==' && op !== '!=') return undefined;
    const same = JSON.stringify(l, bigintJson) === JSON.stringify(r, bigintJson);
    return { t: 'bool', v: op === '==' ? same : !same };
  }
  if (l.t === 'bool' && r.t === 'bool') {
    if (op === '==') return { t: 'bool', v: l.v === r.v };
    if (op === '!=') return { t: 'bool', v: l.v !== r.v };
    return undefined;
  }
  if (l.t !== 'int' || r.t !== 'int') return undefined;
  return intOp(op, l.v, r.v);
}

function bigintJson(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

function stringOp(op: string, l: ConstVal, r: ConstVal): ConstVal | undefined {
  if (op === '+' && l.t === 'str' && r.t === 'int') return { t: 'str', v: r.v >= BigInt(l.v.length) ? '' : l.v.slice(Number(r.v)) };
  if (op === '+' && r.t === 'str' && l.t === 'int') return { t: 'str', v: l.v >= BigInt(r.v.length) ? '' : r.v.slice(Number(l.v)) };
  if (l.t !== 'str' || r.t !== 'str') return (op === '&&' || op === '||') && (l.t === 'bool' || r.t === 'bool') ? { t: 'bool', v: op === '&&' ? truthy(l) && truthy(r) : truthy(l) || truthy(r) } : undefined;
  switch (op) {
    case '==': return { t: 'bool', v: l.v === r.v };
    case '!=': return { t: 'bool', v: l.v !== r.v };
    case '<': return { t: 'bool', v: l.v < r.v };
    case '>': return { t: 'bool', v: l.v > r.v };
    case '<=': return { t: 'bool', v: l.v <= r.v };
    case '>=': return { t: 'bool', v: l.v >= r.v };
    case '+': return { t: 'str', v: l.v + r.v };
    // bpftrace 0.26 folds these two with its own (odd) rule: the right string must be empty.
    case '&&': return { t: 'bool', v: l.v.length > 0 && r.v.length === 0 };
    case '||': return { t: 'bool', v: l.v.length > 0 || r.v.length === 0 };
    default: return undefined;
  }
}

/** Integer folding with 64-bit wrap-around; signed when either side is negative. */
function intOp(op: string, a: bigint, b: bigint): ConstVal | undefined {
  const signed = a < 0n || b < 0n;
  const wrap = (v: bigint): bigint => (signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v));
  switch (op) {
    case '==': return { t: 'bool', v: a === b };
    case '!=': return { t: 'bool', v: a !== b };
    case '<': return { t: 'bool', v: a < b };
    case '>': return { t: 'bool', v: a > b };
    case '<=': return { t: 'bool', v: a <= b };
    case '>=': return { t: 'bool', v: a >= b };
    case '+': return { t: 'int', v: wrap(a + b) };
    case '-': return { t: 'int', v: wrap(a - b) };
    case '*': return { t: 'int', v: wrap(a * b) };
    case '/': return b === 0n ? undefined : { t: 'int', v: wrap(a / b) };
    case '%': return b === 0n ? undefined : { t: 'int', v: wrap(a % b) };
    case '&': return { t: 'int', v: wrap(a & b) };
    case '|': return { t: 'int', v: wrap(a | b) };
    case '^': return { t: 'int', v: wrap(a ^ b) };
    case '<<': return b < 0n || b > 63n ? undefined : { t: 'int', v: wrap(a << b) };
    case '>>': return b < 0n || b > 63n ? undefined : { t: 'int', v: wrap(a >> b) };
    default: return undefined;
  }
}

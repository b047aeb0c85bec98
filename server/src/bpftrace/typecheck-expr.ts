/**
 * Expression typing for the bpftrace type checker: literals, operators with
 * bpftrace's integer and pointer rules, ternaries, tuples and records, map
 * and variable reads, and indexing, with bpftrace's messages. Field access
 * and casts are in typecheck-access.ts, builtins and calls in
 * typecheck-calls.ts. Non-goal: statements (typecheck.ts).
 */
import * as A from './ast';
import type { Checker } from './typecheck';
import { coarse } from './typecheck';
import { COMPARISONS, fixed, intBinop, literalType, mixedSigns, promote, signedLiteralType } from './typecheck-int';
import { castType, fieldType, offsetofType, sizeofType, tupleIndexType } from './typecheck-access';
import { builtinType, callType } from './typecheck-calls';
import { comptimeType, compileTimeFailure, typeinfoType } from './typecheck-comptime';
import { BOOL, NONE, S64, SType, U64 } from './types';
import { Range } from './source';

const utf8 = new TextEncoder();
// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/** bpftrace's spelling of an operator in messages. */
function opstr(op: string): string {
  return op;
}

/** A map value as read in an expression: from 0.21, count/sum/min/max/avg maps read as integers (0.17 keeps the aggregation). */
export function readable(cx: Checker, t: SType): SType {
  if (t.k !== 'agg' || !cx.castMaps) return t;
  if (t.fn === 'count') return U64;
  if (t.fn === 'sum' || t.fn === 'min' || t.fn === 'max' || t.fn === 'avg') return t.signed ? S64 : U64;
  return t;
}

/** hist/lhist/stats/tseries values cannot be parts of tuples or records (reports it; true when one is). */
function noAggInside(cx: Checker, ts: SType[], e: A.Expr, what: 'tuple' | 'record'): boolean {
  const a = ts.find((t) => t.k === 'agg');
  if (!a || cx.old) return false;
  cx.err(e.range, `Map type ${cx.tname(a)} cannot exist inside a ${what}.`);
  return true;
}

/** True for a non-negative integer literal (bpftrace treats them as unsigned where that helps). */
function nonNegLiteral(e: A.Expr): boolean {
  return e.kind === 'Int' && e.value !== undefined && e.value >= 0n;
}

/** Where a prefix operator is written. */
function prefixRange(e: A.Unary): Range {
  return { start: e.range.start, end: e.range.start + e.op.length };
}

export function exprType(cx: Checker, e: A.Expr): SType {
  switch (e.kind) {
    case 'Int':
      return e.value === undefined ? NONE : literalType(e.value, cx.typed);
    case 'Str': {
      const size = (ASCII.test(e.value) ? e.value.length : utf8.encode(e.value).length) + 1;
      const fmt = (cx.callName === 'printf' || cx.callName === 'system' || cx.callName === 'cat' || cx.callName === 'debugf' || cx.callName === 'errorf' || cx.callName === 'warnf') && cx.callArg === 0;
      if (!fmt && cx.old && size > cx.strlen) cx.err(e.range, `String is too long (over ${cx.strlen} bytes): ${e.value}`);
      return { k: 'string', size };
    }
    case 'Bool':
      return BOOL;
    case 'Ident':
      return identType(cx, e);
    case 'Builtin':
      return builtinType(cx, e);
    case 'Var':
      return cx.varRead(e);
    case 'Map':
      if (cx.old) cx.scalarMap(e);
      return readable(cx, cx.mapValue(e.name));
    case 'MapAccess': {
      const keys = e.keys.map((k) => cx.expr(k));
      cx.mapKeys(e.map, keys, e.range);
      const v = cx.mapValue(e.map.name);
      cx.info.exprs.set(e.map, v);
      return readable(cx, v);
    }
    case 'Param':
      return cx.callName === 'str' ? { k: 'string', size: cx.strlen } : S64;
    case 'ParamCount':
      return S64;
    case 'Binary':
      return binary(cx, e);
    case 'Unary':
      return unary(cx, e);
    case 'AddrOf': {
      const t = e.operand.kind === 'Var' ? cx.varRead(e.operand) : cx.mapValue(e.operand.name);
      cx.info.exprs.set(e.operand, t);
      return { k: 'ptr', to: t };
    }
    case 'Ternary':
      return ternary(cx, e);
    case 'Cast':
      return castType(cx, e);
    case 'Tuple': {
      const elems = e.elems.map((x) => fixed(readable(cx, cx.expr(x))));
      if (noAggInside(cx, elems, e, 'tuple')) return NONE;
      return elems.some((x) => x.k === 'none') ? NONE : { k: 'tuple', elems };
    }
    case 'Record': {
      const fields = e.fields.map((f) => ({ name: f.name, type: fixed(readable(cx, cx.expr(f.value))) }));
      if (noAggInside(cx, fields.map((f) => f.type), e, 'record')) return NONE;
      return fields.some((f) => f.type.k === 'none') ? NONE : { k: 'record', fields };
    }
    case 'Field':
      return fieldType(cx, e);
    case 'TupleIndex':
      return tupleIndexType(cx, e);
    case 'Index':
      return indexType(cx, e);
    case 'Call': {
      const t = callType(cx, e);
      compileTimeFailure(cx, e);
      return t;
    }
    case 'Sizeof':
      return sizeofType(cx, e);
    case 'Offsetof':
      return offsetofType(cx, e);
    case 'Typeof':
      if (e.arg.kind !== 'TypeRef') cx.expr(e.arg);
      return NONE;
    case 'Typeinfo':
      return typeinfoType(cx, e);
    case 'Comptime':
      return comptimeType(cx, e);
    case 'Block':
      return cx.block(e);
    case 'If':
      return cx.ifNode(e);
    case 'Error':
      return NONE;
  }
}

/** Enum constants from BTF are integers (uint64 in 0.17); other identifiers (stack modes, ...) have no value type. */
function identType(cx: Checker, e: A.Ident): SType {
  return cx.enumValue(e.name) !== undefined ? (cx.old ? U64 : S64) : NONE;
}

function binary(cx: Checker, e: A.Binary): SType {
  const l = readable(cx, cx.expr(e.left));
  const r = readable(cx, cx.expr(e.right));
  if (l.k === 'none' || r.k === 'none') return NONE;
  const op = e.op;
  const compare = COMPARISONS.has(op);
  const logical = op === '&&' || op === '||';
  if (l.k === 'ptr' || r.k === 'ptr') return pointerBinop(cx, e, l, r, compare, logical);
  if (intLike(l) && intLike(r)) {
    if (cx.old && mixedSigns(l, r, nonNegLiteral(e.left), nonNegLiteral(e.right))) {
      if (compare) cx.warn(e.range, `comparison of integers of different signs: '${cx.tname(l)}' and '${cx.tname(r)}' can lead to undefined behavior`);
      else if (['+', '-', '*', '/', '%'].includes(op)) cx.warn(e.range, `arithmetic on integers of different signs: '${cx.tname(l)}' and '${cx.tname(r)}' can lead to undefined behavior`);
    }
    if (op === '/' || op === '%') {
      const ls = l.k === 'int' && l.signed && !nonNegLiteral(e.left);
      const rs = r.k === 'int' && r.signed && !nonNegLiteral(e.right);
      if (ls || rs) cx.warn(e.range, `signed operands for '${op}' can lead to undefined behavior (cast to unsigned to silence warning)`);
    }
    return intBinop(op, l, r, cx.typed);
  }
  const result: SType = cx.typed ? BOOL : U64;
  if (l.k === 'array' && r.k === 'array') {
    if (op !== '==' && op !== '!=') cx.err(e.range, `The ${op} operator cannot be used on arrays.`);
    if (l.len !== r.len) cx.err(e.range, 'Only arrays of same size support comparison operators.');
    else if (l.elem.k !== 'int' || JSON.stringify(l) !== JSON.stringify(r)) cx.err(e.range, 'Only arrays of same sized integer support comparison operators.');
    return result;
  }
  if (l.k === 'tuple' && r.k === 'tuple' && !cx.old && (compare || logical)) return result; // 0.25+ compares tuples
  if (l.k !== r.k) {
    cx.err(e.range, cx.old
      ? `Type mismatch for '${op}': comparing '${cx.tname(l)}' with '${cx.tname(r)}'`
      : `Type mismatch for '${op}': comparing ${cx.tname(l)} with ${cx.tname(r)}`);
    return NONE;
  }
  if (op !== '==' && op !== '!=') return logical && !cx.old ? result : badOperands(cx, e, l, r);
  if (l.k === 'string' && (e.left.kind === 'Str') !== (e.right.kind === 'Str')) {
    const lit = e.left.kind === 'Str' ? l : r;
    const other = lit === l ? r : l;
    if (lit.k === 'string' && other.k === 'string' && lit.size - 1 > other.size) {
      cx.warn(e.range, `The literal is longer than the variable string (size=${other.size}), condition will always be false`);
    }
  }
  return result;
}

function intLike(t: SType): boolean {
  return t.k === 'int' || t.k === 'bool';
}

/** bpftrace's "operator can not be used on expressions of types" (placed on the operator). */
function badOperands(cx: Checker, e: A.Binary, l: SType, r: SType): SType {
  cx.err(cx.opRange(e.left.range, e.right.range), `The ${opstr(e.op)} operator can not be used on expressions of types ${cx.tname(l)}, ${cx.tname(r)}`);
  return NONE;
}

function pointerBinop(cx: Checker, e: A.Binary, l: SType, r: SType, compare: boolean, logical: boolean): SType {
  const bad = (): SType => badOperands(cx, e, l, r);
  const leftPtr = l.k === 'ptr';
  const ptr = leftPtr ? l : r;
  const other = leftPtr ? r : l;
  const boolish: SType = cx.typed ? BOOL : U64;
  if (other.k === 'ptr') {
    if (compare) {
      if (ptr.k === 'ptr' && JSON.stringify(ptr.to) !== JSON.stringify(other.to)) {
        cx.warn(e.range, cx.old
          ? `comparison of distinct pointer types ('${cx.tname(l.k === 'ptr' ? l.to : l)}, '${cx.tname(r.k === 'ptr' ? r.to : r)}')`
          : `comparison of distinct pointer types: ${cx.tname(l.k === 'ptr' ? l.to : l)}, ${cx.tname(r.k === 'ptr' ? r.to : r)}`);
      }
      return boolish;
    }
    return logical && !cx.old ? boolish : bad();
  }
  if (other.k === 'int' || other.k === 'bool') {
    if (e.op === '-' && !leftPtr) return bad();
    if (e.op === '+' || e.op === '-') return ptr;
    if (compare) return cx.typed ? boolish : S64;
    return logical && !cx.old ? boolish : bad();
  }
  return bad();
}

function unary(cx: Checker, e: A.Unary): SType {
  const o = e.operand;
  if (e.op === '++' || e.op === '--') {
    if (o.kind !== 'Var' && o.kind !== 'Map' && o.kind !== 'MapAccess') {
      cx.expr(o);
      cx.err(e.range, `The ${e.op} operator must be applied to a map or variable`);
      return NONE;
    }
    if (o.kind !== 'Var') {
      const map = o.kind === 'Map' ? o : o.map;
      if (cx.mapKnown(map.name).k === 'none') cx.mapStore(map, S64, map.range);
    }
    const t = cx.expr(o);
    if (t.k === 'agg') return NONE; // semantic.ts reports it
    if (t.k !== 'int' && t.k !== 'ptr' && t.k !== 'none') cx.err(e.range, `The ${e.op} operator can not be used on expressions of type '${cx.tname(t)}'`);
    if (cx.typed && o.kind === 'Var' && t.k === 'int' && !cx.declaredType(o)) {
      // 0.25+: `$v++` is a 64-bit value (signed unless an unsigned increment) and the variable widens to it
      // (not one declared `let $v: T`, whose type is fixed).
      const r = t.signed || e.op === '--' ? S64 : U64;
      cx.varAssign(o, r, e.range);
      return r;
    }
    return fixed(t);
  }
  if (e.op === '-' && o.kind === 'Int' && o.value !== undefined && cx.typed) {
    cx.expr(o);
    return signedLiteralType(-o.value);
  }
  const t = readable(cx, cx.expr(o));
  if (t.k === 'none') return NONE;
  if (e.op === '*') {
    if (t.k === 'ptr') return t.to;
    if (t.k === 'int') return U64;
    if (t.k === 'cstruct') cx.err(e.range, `Can not dereference struct/union of type '${t.name}'. It is not a pointer.`);
    else cx.err(prefixRange(e), `The dereference operator can not be used on expressions of type '${cx.tname(t)}'`);
    return NONE;
  }
  if (t.k !== 'int' && t.k !== 'bool' && !(e.op === '!' && t.k === 'ptr' && !cx.old)) {
    cx.err(cx.old ? prefixRange(e) : e.range, `The ${e.op} operator can not be used on expressions of type '${cx.tname(t)}'`);
    return NONE;
  }
  if (e.op === '!') return cx.typed ? BOOL : { k: 'int', bits: t.k === 'int' ? t.bits : 8, signed: false };
  if (e.op === '-') return cx.typed ? S64 : { k: 'int', bits: 64, signed: t.k === 'int' && t.signed };
  return cx.typed && t.k === 'int' ? fixed(t) : { k: 'int', bits: 64, signed: t.k === 'int' && t.signed };
}

function ternary(cx: Checker, e: A.Ternary): SType {
  const c = readable(cx, cx.expr(e.cond));
  cx.condition(c, e.range, 'ternary');
  const a = e.then ? readable(cx, cx.expr(e.then)) : c;
  const b = readable(cx, cx.expr(e.else));
  if (a.k === 'none' || b.k === 'none') return NONE;
  if (cx.old) {
    // 0.17 reports unsupported branch types before comparing them.
    if (a.k !== 'string' && a.k !== 'int' && a.k !== 'bool') {
      cx.err(e.range, `Ternary return type unsupported ${coarse(a)}`);
      return NONE;
    }
    if (coarse(a) !== coarse(b)) {
      cx.err(e.range, `Ternary operator must return the same type: have '${coarse(a)}' and '${coarse(b)}'`);
      return NONE;
    }
    if (a.k === 'string') return { k: 'string', size: cx.strlen };
    if (a.k === 'int') return { k: 'int', bits: 64, signed: a.signed };
    return U64;
  }
  const p = promote(a, b, true);
  if (p === undefined) {
    cx.err(e.range, `Branches must return the same type or compatible types: have '${cx.tname(a)}' and '${cx.tname(b)}'`);
    return NONE;
  }
  return p;
}

function indexType(cx: Checker, e: A.Index): SType {
  const t = readable(cx, cx.expr(e.object));
  const it = cx.expr(e.index);
  if (t.k === 'none') return NONE;
  const literal = e.index.kind === 'Int' ? e.index.value : undefined;
  if (t.k === 'string' && !cx.old) {
    // 0.26 indexes strings as int8 arrays, the NUL included.
    if (literal !== undefined && literal >= BigInt(t.size)) cx.err(e.range, `the index ${literal} is out of bounds for array of size ${t.size}`);
    return { k: 'int', bits: 8, signed: true };
  }
  if (t.k !== 'array' && t.k !== 'ptr') {
    cx.err(e.range, `The array index operator [] can only be used on arrays and pointers, found ${cx.old ? coarse(t) : cx.tname(t)}.`);
    return NONE;
  }
  if (t.k === 'ptr' && t.to.k === 'none') {
    cx.err(e.range, 'The array index operator [] cannot be used on a pointer to an unsized type (void *).');
    return NONE;
  }
  if (it.k !== 'none' && it.k !== 'int') {
    cx.err(e.range, 'The array index operator [] only accepts literal integer indices.');
  } else if (literal !== undefined && t.k === 'array' && literal >= BigInt(t.len) && t.len > 0) {
    cx.err(e.range, `the index ${literal} is out of bounds for array of size ${t.len}`);
  } else if (literal === undefined && cx.old && it.k === 'int') {
    cx.err(e.range, 'The array index operator [] only accepts literal integer indices.');
  }
  return t.k === 'array' ? t.elem : t.to;
}

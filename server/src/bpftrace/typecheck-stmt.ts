/**
 * Statements for the bpftrace type checker: blocks and scopes, `let`
 * declarations, assignments to variables and maps (with bpftrace's rules on
 * what may be assigned), compound assignments, conditions and loops.
 * Non-goals: expressions (typecheck-expr.ts), the checker's state (typecheck.ts).
 */
import * as A from './ast';
import type { Checker } from './typecheck';
import { fixed, promote } from './typecheck-int';
import { AGG_HINTS, contextAccess, voidCall } from './typecheck-calls';
import { NONE, S64, SType } from './types';
import { exprType, readable } from './typecheck-expr';
import { comptimeIf } from './typecheck-comptime';

export function blockType(cx: Checker, b: A.Block, newScope = true): SType {
  if (!newScope || !cx.blockScopes) return blockBody(cx, b);
  cx.openScope();
  try {
    return blockBody(cx, b);
  } finally {
    cx.closeScope();
  }
}

function blockBody(cx: Checker, b: A.Block): SType {
  for (const s of b.stmts) stmt(cx, s);
  return b.value ? cx.expr(b.value) : NONE;
}

export function stmt(cx: Checker, s: A.Stmt): void {
  switch (s.kind) {
    case 'ExprStmt':
    case 'Discard':
      cx.expr(s.expr);
      break;
    case 'Assign':
      assign(cx, s);
      break;
    case 'VarDecl': {
      const ann = s.type ? cx.annType(s.type) : NONE;
      let init = s.init ? cx.expr(s.init) : NONE;
      if (s.init && !valueAssignable(cx, s.init, init, true, s.range)) init = NONE;
      const slot = cx.define(s.var, ann.k !== 'none' ? ann : init);
      if (ann.k === 'int') slot.declared = true;
      if (ann.k !== 'none' && init.k !== 'none' && promote(ann, init, cx.typed) === undefined) {
        cx.err(s.range, `Type mismatch for ${s.var.name}: trying to assign value of type '${cx.tname(init)}' when variable already has a type '${cx.tname(slot.type)}'`);
      }
      break;
    }
    case 'If':
      cx.ifNode(s);
      break;
    case 'While': {
      const c = cx.expr(s.cond);
      if (!cx.old) cx.condition(c, s.cond.range, 'while'); // (0.17 does not check while conditions)
      loop(cx, () => cx.block(s.body));
      break;
    }
    case 'Unroll': {
      cx.expr(s.count);
      const n = s.count.kind === 'Int' ? s.count.value : undefined;
      const at = { start: s.range.start, end: s.count.range.end + (s.parens ? 1 : 0) };
      if (n !== undefined && n > 100n) cx.err(at, 'unroll maximum value is 100');
      else if (n !== undefined && n < 1n) cx.err(at, 'unroll minimum value is 1');
      cx.block(s.body);
      break;
    }
    case 'For':
      forLoop(cx, s);
      break;
    case 'Jump':
      jump(cx, s);
      break;
    case 'Block':
      cx.block(s);
      break;
    case 'Import':
    case 'Error':
      break;
  }
}

function loop(cx: Checker, f: () => void): void {
  cx.loopDepth++;
  try {
    f();
  } finally {
    cx.loopDepth--;
  }
}

function forLoop(cx: Checker, s: A.For): void {
  let elem: SType = NONE;
  if (s.iterable.kind === 'Map') {
    const value = cx.mapKnown(s.iterable.name);
    if (value.k === 'agg' && !['count', 'sum', 'min', 'max', 'avg'].includes(value.fn)) {
      cx.err(s.iterable.range, `Loop expression does not support type: ${cx.tname(value)}`);
    }
    const keys = cx.mapKeyTypes(s.iterable.name);
    cx.info.exprs.set(s.iterable, value);
    if (keys !== undefined) {
      const key: SType = keys.length === 0 ? NONE : keys.length === 1 ? keys[0] : { k: 'tuple', elems: keys };
      elem = { k: 'tuple', elems: [key, readable(cx, value)] };
    }
  } else {
    const a = cx.expr(s.iterable.from);
    const b = cx.expr(s.iterable.to);
    if (a.k !== 'int' && a.k !== 'none') cx.err(s.iterable.from.range, 'Loop range requires an integer for the start value');
    if (b.k !== 'int' && b.k !== 'none') cx.err(s.iterable.to.range, 'Loop range requires an integer for the end value');
    elem = a.k === 'int' && b.k === 'int' ? (promote(a, b, true) ?? a) : a;
  }
  cx.withScope(() => {
    cx.define(s.var, fixed(elem));
    cx.forDepth++;
    try {
      loop(cx, () => cx.block(s.body));
    } finally {
      cx.forDepth--;
    }
  });
}

export function ifType(cx: Checker, n: A.If): SType {
  if (n.cond.kind === 'Comptime') return comptimeIf(cx, n, (m) => cx.ifNode(m));
  cx.condition(cx.expr(n.cond), n.cond.range, 'if');
  const a = cx.block(n.then);
  const b = n.else?.kind === 'If' ? cx.ifNode(n.else) : n.else ? cx.block(n.else) : NONE;
  return n.else ? (promote(a, b, cx.typed) ?? a) : NONE;
}

function assign(cx: Checker, s: A.Assign): void {
  const t = s.target;
  const prevAgg = cx.aggTarget;
  if (t.kind !== 'Var' && s.op === '=' && s.value.kind === 'Call') cx.aggTarget = s.value;
  let value: SType;
  try {
    value = cx.expr(s.value);
  } finally {
    cx.aggTarget = prevAgg;
  }
  if (s.op === '=' && !assignable(cx, s, value)) return;
  if (s.op === '=' && cx.old) contextAssign(cx, s, value);
  if (t.kind === 'Var') {
    if (s.op === '=') cx.varAssign(t, value, s.value.range);
    else {
      // `$v op= x` is `$v = $v op x`: 0.25+ widens the variable to the result's type ($v = 123; $v *= 2 -> int64).
      const r = compound(cx, s);
      if (cx.typed && r.k === 'int' && !cx.declaredType(t)) cx.varAssign(t, r, s.value.range);
    }
    return;
  }
  const map = t.kind === 'Map' ? t : t.map;
  if (t.kind === 'MapAccess') cx.mapKeys(map, t.keys.map((k) => cx.expr(k)), t.range);
  else cx.scalarMap(map);
  const stored = s.op === '=' ? value : compoundValue(cx, s, value);
  cx.mapStore(map, stored, map.range, t.range, s.value.range);
  const final = cx.mapValue(map.name);
  cx.info.exprs.set(map, final);
  if (t.kind === 'MapAccess') cx.info.exprs.set(t, final);
}

/** bpftrace's rules on what may be assigned: no void calls; aggregations only from their function (0.25+). */
function assignable(cx: Checker, s: A.Assign, value: SType): boolean {
  const v = s.value;
  const toVar = s.target.kind === 'Var';
  if (v.kind === 'Call' && voidCall(v.name, cx.old) && cx.userFn(v.name) === undefined) {
    if (cx.old) cx.err(v.range, `${v.name}() should not be used in an assignment or as a map key`);
    else cx.err(s.range, toVar ? "Value 'void' cannot be assigned to a scratch variable." : "Value 'void' cannot be assigned to a map.");
    return false;
  }
  if (toVar) return valueAssignable(cx, v, value, true, s.range);
  if (cx.old || (v.kind !== 'Map' && v.kind !== 'MapAccess')) return true;
  const src = cx.mapKnown(v.kind === 'Map' ? v.name : v.map.name);
  if (src.k !== 'agg') return true;
  const castable = value.k !== 'agg';
  const target = s.target.kind === 'Map' ? s.target : s.target.kind === 'MapAccess' ? s.target.map : undefined;
  const name = target?.name ?? '@';
  const hint = castable && v.kind === 'MapAccess' ? `Add a cast to integer if you want the value of the aggregate, e.g. \`${name} = (int64)${v.map.name};\`.` : undefined;
  cx.err(s.range, `Map value '${cx.tname(src)}' cannot be assigned from one map to another. The function that returns this type must be called directly e.g. \`${name} = ${AGG_HINTS[src.fn]};\`.`, hint);
  return false;
}

/** 0.17: the probe context cannot be stored in a map, nor kfunc/uprobe `args` in a variable. */
function contextAssign(cx: Checker, s: A.Assign, value: SType): void {
  const c = contextAccess(value);
  if (!c) return;
  const at = cx.opRange(s.target.range, s.value.range);
  if (s.target.kind !== 'Var') cx.err(at, 'context cannot be assigned to a map');
  else if (c.funcarg && s.value.kind === 'Builtin' && s.value.name === 'args') cx.err(at, 'args cannot be assigned to a variable');
}

/** 0.25+: a variable cannot hold hist/lhist/stats/tseries values (read from their map). */
function valueAssignable(cx: Checker, v: A.Expr, value: SType, _toVar: boolean, at: A.Assign['range']): boolean {
  if (cx.old || (v.kind !== 'Map' && v.kind !== 'MapAccess')) return true;
  if (value.k !== 'agg') return true;
  cx.err(at, `Value '${cx.tname(value)}' cannot be assigned to a scratch variable.`);
  return false;
}

/** `return`: in a function, the value must fit the declared return type (0.25+ wording). */
function jump(cx: Checker, s: A.Jump): void {
  const t = s.value ? cx.expr(s.value) : NONE;
  const fn = cx.fn;
  if (s.op !== 'return' || !fn) return;
  const want = fn.ret;
  const isVoid = want.k === 'none';
  const fits = isVoid ? s.value === null : s.value !== null && t.k !== 'none' && promote(want, t, cx.typed) !== undefined;
  if (!fits && !(s.value !== null && t.k === 'none')) {
    cx.err(s.range, `Function ${fn.name} is of type ${isVoid ? 'void' : fn.text || cx.tname(want)}, cannot return ${s.value === null ? 'void' : cx.tname(t)}`);
  }
}

function compoundValue(cx: Checker, s: A.Assign, value: SType): SType {
  const map = s.target.kind === 'Map' ? s.target : s.target.kind === 'MapAccess' ? s.target.map : undefined;
  const cur = map ? cx.mapKnown(map.name) : NONE;
  if (cur.k === 'agg') {
    cx.err(s.range, cx.old
      ? `The ${s.op} operator can not be used on expressions of type '${cx.tname(cur)}'`
      : `Type mismatch for ${map?.name}: trying to assign value of type 'uint64' when map already has a type '${cx.tname(cur)}'`);
    return NONE;
  }
  // A map first written by `@m op= v` starts as 0 of the stored type (bpftrace's rewrite `@m = @m op v`):
  // typed now, as `@m++` is, so the read inside the rewrite sees it (not an early read of an untyped map).
  if (map && cur.k === 'none' && (value.k === 'int' || value.k === 'bool')) cx.mapStore(map, cx.typed ? S64 : value, map.range);
  if (compound(cx, s).k === 'none') return NONE;
  return cur.k === 'none' ? (cx.typed ? { k: 'int', bits: 64, signed: true } : value) : cur;
}

/** `a op= b` is typed as `a = a op b` (bpftrace's rewrite): operator errors cover the statement. */
function compound(cx: Checker, s: A.Assign): SType {
  const op = s.op.slice(0, -1) as A.BinaryOp;
  return exprType(cx, { kind: 'Binary', range: s.range, op, left: s.target, right: s.value });
}

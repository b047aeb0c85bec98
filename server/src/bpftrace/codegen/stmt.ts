/**
 * Statements: variable and map assignment (plain, compound, aggregations),
 * if/else, while (a bounded loop the verifier proves), unroll,
 * break/continue/return, and calls (code after exit()/return is dropped by
 * the emitter); `for` loops are callbacks (formap.ts, forrange.ts).
 */
import type * as A from '../ast';
import { Gen, R_ACC, isScalar } from './gen';
import { scalar, mem, storeExpr } from './expr';
import { genCallStmt, isAggCall } from './calls';
import { genAgg, genMapWrite, incDec, writeAcc } from './maps';
import { genForMap } from './formap';
import { genForRange } from './forrange';

function binaryOf(target: A.Expr, op: A.AssignOp, value: A.Expr, range: A.Expr['range']): A.Binary {
  return { kind: 'Binary', range, op: op.slice(0, -1) as A.BinaryOp, left: target, right: value };
}

/** A block's statements (the emitter drops any that no path reaches, e.g. after exit()). */
export function genStmts(g: Gen, stmts: A.Stmt[]): void {
  for (const x of stmts) genStmt(g, x);
}

export function genStmt(g: Gen, s: A.Stmt): void {
  const m = g.mark();
  try {
    g.within(s.range, () => stmtInner(g, s));
  } finally {
    g.release(m);
  }
}

function assignVar(g: Gen, v: A.Var, op: A.AssignOp, value: A.Expr, range: A.Expr['range']): void {
  const slot = g.vars.get(v.name);
  if (!slot) g.error(v.range, `unknown variable ${v.name}`);
  if (isScalar(slot.type)) {
    scalar(g, op === '=' ? value : binaryOf(v, op, value, range));
    g.normalize(slot.type);
    g.store(8, slot.loc, R_ACC);
    return;
  }
  if (op !== '=') g.error(range, `cannot use ${op} on ${v.name}`);
  storeExpr(g, value, slot.type, slot.loc);
}

function stmtInner(g: Gen, s: A.Stmt): void {
  switch (s.kind) {
    case 'ExprStmt': {
      const e = s.expr;
      if (e.kind === 'Call') genCallStmt(g, e);
      else if (e.kind === 'Unary' && (e.op === '++' || e.op === '--')) incDec(g, e);
      else if (isScalar(g.ty(e))) scalar(g, e);
      else mem(g, e);
      return;
    }
    case 'Discard': {
      if (isScalar(g.ty(s.expr))) scalar(g, s.expr);
      else mem(g, s.expr);
      return;
    }
    case 'Assign': {
      const t = s.target;
      if (t.kind === 'Var') { assignVar(g, t, s.op, s.value, s.range); return; }
      if (isAggCall(s.value) && s.op === '=') { genAgg(g, t, s.value); return; }
      if (s.op === '=') { genMapWrite(g, t, s.value); return; }
      scalar(g, binaryOf(t, s.op, s.value, s.range));
      writeAcc(g, t);
      return;
    }
    case 'VarDecl':
      if (s.init) assignVar(g, s.var, '=', s.init, s.range);
      return;
    case 'If': {
      // `if comptime`: only the branch the type checker kept exists.
      const kept = g.typer.info.comptimeBranches?.get(s);
      if (kept !== undefined || s.cond.kind === 'Comptime') { if (kept) genStmt(g, kept); return; }
      const els = g.e.newLabel();
      const end = g.e.newLabel();
      scalar(g, s.cond);
      g.e.jmp('jeq', R_ACC, { k: 0 }, els);
      genStmt(g, s.then);
      if (s.else) {
        g.e.ja(end);
        g.e.bind(els);
        genStmt(g, s.else);
        g.e.bind(end);
      } else {
        g.e.bind(els);
        g.e.bind(end);
      }
      return;
    }
    case 'While': {
      const top = g.e.newLabel();
      const brk = g.e.newLabel();
      g.e.bind(top);
      scalar(g, s.cond);
      g.e.jmp('jeq', R_ACC, { k: 0 }, brk);
      g.loops.push({ brk, cont: top });
      genStmt(g, s.body);
      g.loops.pop();
      g.e.ja(top);
      g.e.bind(brk);
      return;
    }
    case 'Unroll': {
      const n = s.count.kind === 'Int' && s.count.value !== undefined ? Number(s.count.value) : undefined;
      if (n === undefined || n < 1 || n > 100) g.error(s.count.range, 'unroll() needs an integer literal between 1 and 100');
      for (let i = 0; i < n; i++) {
        const brk = g.e.newLabel();
        const cont = g.e.newLabel();
        g.loops.push({ brk, cont });
        genStmt(g, s.body);
        g.loops.pop();
        g.e.bind(cont);
        g.e.bind(brk);
      }
      return;
    }
    case 'For':
      if (s.iterable.kind === 'Map') genForMap(g, s, s.iterable);
      else genForRange(g, s, s.iterable);
      return;
    case 'Jump': {
      if (s.op === 'return') { g.e.ja(g.exitLabel); return; }
      const l = g.loops[g.loops.length - 1];
      if (!l) g.error(s.range, `${s.op} outside a loop`);
      g.e.ja(s.op === 'break' ? l.brk : l.cont);
      return;
    }
    case 'Block':
      genStmts(g, s.stmts);
      if (s.value) {
        if (isScalar(g.ty(s.value))) scalar(g, s.value);
        else mem(g, s.value);
      }
      return;
    case 'Import':
      return;
    case 'Error':
      g.error(s.range, 'syntax error');
  }
}

/**
 * Loop bodies as BPF callback subprograms (bpf_for_each_map_elem for maps,
 * bpf_loop for ranges), as bpftrace compiles its `for` loops. The callback
 * context is the caller's frame pointer: the probe context and scratch
 * pointers are spilled there. The caller's stack variables the body uses move
 * to the per-CPU scratch area for the loop (copied there before the call and
 * back after it when the body assigns them): the verifier does not track
 * values in map memory, so a counter the body updates does not keep the
 * callback's states apart (the kernel gives up after 8193 of them, 'The
 * sequence of 8193 jumps is too complex', when the counter lives on the stack).
 * continue/end of body return 0, break returns 1, `return` (and exit()) set a
 * flag in the caller's frame and return 1; the caller then leaves too.
 * Non-goal: what the loop variable holds (formap.ts, forrange.ts).
 */
import * as A from '../ast';
import { type SType, sizeOf } from '../types';
import { Gen, type Loc, type VarSlot, R_CTX, R_SC, isScalar } from './gen';
import { genStmt } from './stmt';

/** Slots in the caller's frame the callback reaches through its context pointer. */
interface CallerSlots {
  ctx: Loc;
  scratch: Loc | undefined;
  ret: Loc;
}

export interface CallbackFrame {
  /** The callback's generator and its index among the probe's callbacks (for lddw src=4). */
  c: Gen;
  index: number;
  caller: CallerSlots;
  /** Callback stack slots holding its argument registers, in the order asked. */
  args: Loc[];
  /** Where the caller's frame pointer is kept. */
  pfp: Loc;
  /** The caller's stack variables moved to scratch for the loop; `back`: the body assigns them. */
  moved: { from: Loc; to: Loc; size: number; back: boolean }[];
}

/** Variables the body assigns (plain and compound assignments, declarations, ++/--). */
function assignedVars(s: A.For): Set<string> {
  const out = new Set<string>();
  A.walk(s.body, (n) => {
    if (n.kind === 'Assign' && n.target.kind === 'Var') out.add(n.target.name);
    else if (n.kind === 'VarDecl') out.add(n.var.name);
    else if (n.kind === 'Unary' && (n.op === '++' || n.op === '--') && n.operand.kind === 'Var') out.add(n.operand.name);
  });
  return out;
}

/** The caller's variables the body refers to (every level of nested loops included). */
function capturedVars(g: Gen, s: A.For): Map<string, VarSlot> {
  const out = new Map<string, VarSlot>();
  A.walk(s.body, (n) => {
    if (n.kind !== 'Var' || n.name === s.var.name) return;
    const v = g.vars.get(n.name);
    if (v) out.set(n.name, v);
  });
  return out;
}

/**
 * Starts a callback for loop `s`: the caller spills what the callback needs; the callback
 * spills its argument registers `argRegs` and the context register `ctxReg` (the caller's
 * frame pointer), reloads the probe context and scratch pointers and copies the captured
 * variables in. The argument registers are still intact afterwards.
 */
export function openCallback(g: Gen, s: A.For, ctxReg: number, argRegs: number[]): CallbackFrame {
  const ctx = g.allocStack(8);
  g.store(8, ctx, R_CTX);
  let scratch: Loc | undefined;
  if (g.scratchReady) {
    scratch = g.allocStack(8);
    g.store(8, scratch, R_SC);
  }
  const ret = g.allocStack(8);
  g.storeImm(8, ret, 0);
  const assigned = assignedVars(s);
  const moved: CallbackFrame['moved'] = [];
  const vars = new Map<string, VarSlot>();
  for (const [name, slot] of capturedVars(g, s)) {
    if (slot.loc.base !== 'fp') { vars.set(name, slot); continue; }
    const size = isScalar(slot.type) ? 8 : Math.ceil(sizeOf(slot.type) / 8) * 8;
    const to = g.allocScratch(size);
    g.copy(to, slot.loc, size);
    moved.push({ from: slot.loc, to, size, back: assigned.has(name) });
    vars.set(name, { loc: to, type: slot.type });
  }
  const { gen: c, index } = g.callback();
  c.stmt = (x) => genStmt(c, x);
  const e = c.e;
  e.cur = s.range;
  const pfp = c.allocStack(8);
  c.store(8, pfp, ctxReg);
  const args = argRegs.map((r) => {
    const l = c.allocStack(8);
    c.store(8, l, r);
    return l;
  });
  e.ldx(8, R_CTX, ctxReg, ctx.off);
  if (scratch) e.ldx(8, R_SC, ctxReg, scratch.off);
  for (const [name, slot] of vars) c.vars.set(name, slot);
  return { c, index, caller: { ctx, scratch, ret }, args, pfp, moved };
}

/** Declares the loop variable in the callback (its own slot: stack or scratch by size). */
export function loopVar(f: CallbackFrame, s: A.For, t: SType): Loc {
  const size = isScalar(t) ? 8 : sizeOf(t);
  const l = isScalar(t) ? f.c.allocStack(8) : f.c.alloc(size);
  f.c.zero(l, size);
  f.c.vars.set(s.var.name, { loc: l, type: t });
  return l;
}

/** The body, then the exits: continue (0), return (flag in the caller, then 1), break (1). */
export function closeCallback(f: CallbackFrame, s: A.For): void {
  const { c } = f;
  const e = c.e;
  const rv = c.allocStack(8);
  const cont = e.newLabel();
  const brk = e.newLabel();
  const epilogue = e.newLabel();
  c.loops.push({ brk, cont });
  genStmt(c, s.body);
  c.loops.pop();
  e.cur = s.body.range;
  e.bind(cont);
  c.storeImm(8, rv, 0);
  e.ja(epilogue);
  e.bind(c.exitLabel);
  c.load(8, 1, f.pfp);
  e.st(8, 1, f.caller.ret.off, 1);
  e.bind(brk);
  c.storeImm(8, rv, 1);
  e.bind(epilogue);
  c.load(8, 0, rv);
  e.exit();
}

/**
 * The caller's side after the callback exists: r2 = the callback, r3 = the caller's frame,
 * r4 = 0, then `helper` (r1 is the caller's to set before); leaves the probe when the body returned.
 */
export function callWithCallback(g: Gen, f: CallbackFrame, helper: string): void {
  g.adopt(f.c);
  g.e.ldFunc(2, f.index);
  g.e.mov(3, 10);
  g.e.movi(4, 0);
  g.e.call(helper);
  for (const x of f.moved) if (x.back) g.copy(x.from, x.to, x.size);
  g.load(8, 0, f.caller.ret);
  g.e.jmp('jne', 0, { k: 0 }, g.exitLabel);
}

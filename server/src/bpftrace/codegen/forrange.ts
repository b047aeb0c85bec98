/**
 * `for ($i : start..end)` (bpftrace 0.24+), compiled as bpftrace compiles it:
 * start and end are evaluated once, and when end - start (as a 32-bit int)
 * is positive, bpf_loop(end - start, callback, caller frame, 0) runs the body
 * as a callback (callback.ts) with $i = start + index. The verifier checks
 * the body once instead of unrolling the loop.
 * Non-goal: ranges past bpf_loop's limit (2^23 iterations: the helper
 * refuses them and the body does not run, as with bpftrace).
 */
import type * as A from '../ast';
import { type SType, S64 } from '../types';
import { Gen, R_ACC } from './gen';
import { scalar } from './expr';
import { callWithCallback, closeCallback, loopVar, openCallback } from './callback';

export function genForRange(g: Gen, s: A.For, range: A.RangeExpr): void {
  const t: SType = g.typer.info.vars.get(s.var) ?? g.vars.get(s.var.name)?.type ?? S64;
  scalar(g, range.to);
  const end = g.spill();
  scalar(g, range.from);
  const start = g.spill();
  // r1 index, r2 the caller's frame pointer.
  const f = openCallback(g, s, 2, [1]);
  const { c } = f;
  const i = loopVar(f, s, t.k === 'int' ? t : S64);
  c.e.ldx(8, R_ACC, 2, start.off);
  c.e.alu('add', R_ACC, { r: 1 });
  c.normalize(t);
  c.store(8, i, R_ACC);
  closeCallback(f, s);
  const skip = g.e.newLabel();
  g.load(8, 1, end);
  g.load(8, 0, start);
  g.e.alu('sub', 1, { r: 0 });
  g.e.alu('mov', 1, { r: 1 }, false);
  g.e.jmp('jsle', 1, { k: 0 }, skip, false);
  callWithCallback(g, f, 'loop');
  g.e.bind(skip);
}

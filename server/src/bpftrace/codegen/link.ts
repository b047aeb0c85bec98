/**
 * Links a probe's main program and its callback subprograms (for-over-map
 * bodies) into one instruction array, as the kernel sees a loaded program:
 * the subprograms follow the main code and each `lddw rX, callback` (src=4)
 * holds the relative offset of its target. Non-goal: ELF relocations (the
 * object writer splits the array again, see object.ts).
 */
import { type Insn, layout } from '../../isa/insn';
import type { Range } from '../source';
import type { Gen } from './gen';

export interface Linked {
  insns: Insn[];
  lines: (Range | undefined)[];
  /** Slot pcs where the callback subprograms start (empty without callbacks). */
  subprogs: number[];
}

/** Resolves every function's jumps, concatenates them and fixes the callback addresses; a string on failure. */
export function linkProbe(g: Gen): Linked | string {
  const funcs = [g, ...g.subprogs];
  const starts: number[] = [];
  let pc = 0;
  for (const f of funcs) {
    const err = f.e.finish();
    if (err) return err;
    starts.push(pc);
    pc += layout(f.e.insns);
  }
  const insns: Insn[] = [];
  const lines: (Range | undefined)[] = [];
  funcs.forEach((f, k) => {
    const base = insns.length;
    for (const x of f.e.insns) insns.push({ ...x, pc: x.pc + starts[k] });
    lines.push(...f.e.lines);
    for (const r of f.e.funcRefs) {
      const ins = insns[base + r.insn];
      ins.imm = starts[1 + r.sub] - (ins.pc + 1);
    }
  });
  return { insns, lines, subprogs: starts.slice(1) };
}

/**
 * Loop regions for the JIT: runs of consecutive basic blocks that form a
 * natural loop the generator can emit as a JS `for` loop (back edges become
 * `continue`, forward jumps inside become `break` out of labeled blocks)
 * instead of going through the dispatch switch on every iteration.
 * Non-goals: nested loops in one region, loops containing calls (their return
 * points need a dispatch case), irreducible control flow.
 */
import { Insn, jumpTarget, width } from '../isa/insn';

/** A region: blocks `first..last` (indices into the sorted leaders); `labels` are forward targets inside it. */
export interface LoopRegion {
  first: number;
  last: number;
  /** First pc after the region. */
  end: number;
  labels: number[];
}

interface BlockFacts {
  leader: number;
  /** Jump targets of the block's terminator (jcond/ja), if any. */
  jumps: number[];
  hasCall: boolean;
}

/**
 * Finds non-overlapping loop regions. `sorted` are the block leaders in pc
 * order, `blocks[b]` the instructions of block b, `nslots` the program length.
 */
export function findLoopRegions(insns: readonly Insn[], sorted: readonly number[], blocks: readonly (readonly Insn[])[], nslots: number): Map<number, LoopRegion> {
  const facts: BlockFacts[] = blocks.map((bl, b) => {
    const f: BlockFacts = { leader: sorted[b], jumps: [], hasCall: false };
    for (const i of bl) {
      const k = i.spec.kind;
      if (k === 'call' || k === 'callx') f.hasCall = true;
      if (k === 'jcond' || k === 'ja') {
        const t = jumpTarget(i);
        if (t !== undefined) f.jumps.push(t);
      }
    }
    return f;
  });
  // Every pc something can enter at other than by falling through: jump, call and function-pointer targets.
  const entries: { from: number; to: number; jump: boolean }[] = [];
  for (const i of insns) {
    const t = jumpTarget(i);
    if (t !== undefined) entries.push({ from: i.pc, to: t, jump: i.spec.kind === 'jcond' || i.spec.kind === 'ja' });
  }
  // Blocks jumping to each pc, so candidate back edges are found without scanning every block.
  const jumpersTo = new Map<number, number[]>();
  facts.forEach((f, b) => {
    for (const t of f.jumps) {
      const l = jumpersTo.get(t);
      if (l) l.push(b);
      else jumpersTo.set(t, [b]);
    }
  });
  const out = new Map<number, LoopRegion>();
  for (let b = 0; b < blocks.length; b++) {
    const L = sorted[b];
    let found: LoopRegion | undefined;
    const cands = (jumpersTo.get(L) ?? []).filter((e) => e >= b).sort((x, y) => y - x);
    for (const e of cands) {
      if (found) break;
      const lastBlock = blocks[e];
      const lastInsn = lastBlock[lastBlock.length - 1];
      const end = e + 1 < sorted.length ? sorted[e + 1] : lastInsn.pc + width(lastInsn);
      found = check(facts, entries, b, e, L, end, nslots);
    }
    if (found) {
      out.set(b, found);
      b = found.last;
    }
  }
  return out;
}

function check(facts: readonly BlockFacts[], entries: readonly { from: number; to: number; jump: boolean }[], b: number, e: number, L: number, end: number, nslots: number): LoopRegion | undefined {
  const labels = new Set<number>();
  for (let k = b; k <= e; k++) {
    const f = facts[k];
    if (f.hasCall) return undefined;
    for (const t of f.jumps) {
      if (t === L || t < L || t >= end) continue;
      if (t <= f.leader) return undefined; // a backward jump to an inner block: a nested loop
      labels.add(t);
    }
  }
  for (const x of entries) {
    // Jumps from inside are handled above; calls and function pointers may enter from anywhere.
    const inside = x.jump && x.from >= L && x.from < end;
    if (!inside && x.to > L && x.to < end) return undefined;
  }
  if (end > nslots) return undefined;
  return { first: b, last: e, end, labels: [...labels].sort((p, q) => p - q) };
}

/**
 * Stack slot liveness for state pruning, computed the 6.18 kernel's way: while paths are explored,
 * each (call chain, instruction) collects the stack slots it may read (union over visits) and the
 * slots it surely overwrites whole (intersection over visits); a backward dataflow over each
 * subprogram then says which slots may still be read at or after an instruction, and callee
 * summaries flow to the call site. Explored states drop dead slots before comparison (prune.ts).
 * Non-goal: dynptr and irq-flag slots (not modelled by the verifier).
 */
import type { VState } from './state';
import { arenaU32, arenaU8 } from './arena';

/** Masks per instruction, two 32-bit words each (slots 0..31, 32..63): may read, must write, must write here or after, live before. */
const MR = 0; const MW = 2; const ACC = 4; const LIVE = 6; const STRIDE = 8;

/** The marks of one subprogram instance: one call chain (call sites of the outer frames, then the subprogram's start). */
class Instance {
  /** Per frame of the chain (0..depth): STRIDE words per instruction of the subprogram, allocated on first mark. */
  readonly frames: (Uint32Array | undefined)[];
  /** must_write already set once for an instruction (later visits intersect). */
  readonly mwSet: Uint8Array;
  updated = false;
  dropped = false;
  constructor(readonly key: string, readonly depth: number, readonly callsites: readonly number[], readonly starts: readonly number[],
    readonly start: number, readonly n: number) {
    this.frames = new Array(depth + 1);
    this.mwSet = arenaU8(n);
  }
  masks(frame: number): Uint32Array {
    return this.frames[frame] ??= arenaU32(this.n * STRIDE);
  }
}

const W_LO = new Uint32Array(8);
const W_HI = new Uint32Array(8);

export class StackLiveness {
  private readonly insts = new Map<string, Instance>();
  private readonly roots = new Map<number, Instance>();
  /** The root instance of the main program (subprogram 0), once looked up. */
  private main: Instance | undefined;
  /** The instance of the path being explored (its top frame), or none after a call, return or pop. */
  private cur: Instance | undefined;
  /** Write marks of the instruction being checked, per frame (shared: verification is synchronous). */
  private readonly wLo = W_LO;
  private readonly wHi = W_HI;
  private wInsn = -1;

  /**
   * succ: two successors per instruction (-1 for none; calls fall through, exits have none).
   * subprogs: sorted subprogram starts; n: instruction count.
   */
  constructor(private readonly succ: Int32Array, private readonly subprogs: readonly number[], private readonly n: number) {}

  private subEnd(start: number): number {
    for (const s of this.subprogs) if (s > start) return s;
    return this.n;
  }

  private lookup(callsites: number[], starts: number[], depth: number): Instance {
    let key = '';
    for (let i = 0; i < depth; i++) key += callsites[i] + ',';
    key += starts[depth];
    let inst = this.insts.get(key);
    if (!inst) {
      const start = starts[depth];
      inst = new Instance(key, depth, callsites.slice(0, depth), starts.slice(0, depth + 1), start, this.subEnd(start) - start);
      this.insts.set(key, inst);
      if (depth === 0) this.roots.set(start, inst);
    }
    return inst;
  }

  /** The instance of state st's frames 0..frameno. */
  private instFor(st: VState, frameno: number): Instance {
    if (frameno === 0) {
      // The outermost frame (most lookups): no call sites, keyed by its start alone.
      const start = st.frames[0].subprog;
      if (start === 0 && this.main) return this.main;
      const inst = this.roots.get(start) ?? this.lookup([0], [start], 0);
      if (start === 0) this.main = inst;
      return inst;
    }
    const cs: number[] = []; const starts: number[] = [];
    for (let i = 0; i <= frameno; i++) {
      starts.push(st.frames[i].subprog);
      cs.push(i < frameno ? st.frames[i + 1].callsite : 0);
    }
    return this.lookup(cs, starts, frameno);
  }

  /** The path's call chain changes (a call into a subprogram): the next instruction looks its instance up again. */
  resetChain(): void { this.cur = undefined; }

  /** Before an instruction: write marks start empty. */
  begin(st: VState, insn: number): void {
    this.cur ??= this.instFor(st, st.frames.length - 1);
    this.wInsn = insn;
    const d = this.cur.depth;
    for (let i = 0; i <= d; i++) { this.wLo[i] = 0; this.wHi[i] = 0; }
  }

  /** Slots spiLo..spiHi (inclusive) of frame `frame` may be read by the current instruction. */
  read(st: VState, frame: number, insn: number, spiLo: number, spiHi: number): void {
    if (spiHi < spiLo) return;
    let lo = 0; let hi = 0;
    for (let s = Math.max(spiLo, 0); s <= spiHi && s < 64; s++) { if (s < 32) lo |= 1 << s; else hi |= 1 << (s - 32); }
    this.cur ??= this.instFor(st, st.frames.length - 1);
    this.markRead(this.cur, frame, insn, lo >>> 0, hi >>> 0);
  }

  private markRead(inst: Instance, frame: number, insn: number, lo: number, hi: number): void {
    if (!lo && !hi) return;
    const m = inst.masks(frame);
    const b = (insn - inst.start) * STRIDE;
    const nlo = (m[b + MR] | lo) >>> 0; const nhi = (m[b + MR + 1] | hi) >>> 0;
    if ((nlo !== m[b + MR] || nhi !== m[b + MR + 1]) && (((nlo | m[b + LIVE]) >>> 0) !== m[b + LIVE] || ((nhi | m[b + LIVE + 1]) >>> 0) !== m[b + LIVE + 1])) {
      inst.updated = true;
    }
    m[b + MR] = nlo; m[b + MR + 1] = nhi;
  }

  /** Slot spi of frame `frame` is overwritten whole (an aligned 8-byte store) by the current instruction. */
  write(frame: number, spi: number): void {
    if (spi < 0 || spi >= 64 || frame >= 8) return;
    if (spi < 32) this.wLo[frame] |= 1 << spi; else this.wHi[frame] |= 1 << (spi - 32);
  }

  /** After an instruction: its write marks join the instance's (skipped when the chain changed under it). */
  commit(): void {
    if (this.cur && this.wInsn >= 0) this.commitTo(this.cur, this.wInsn);
    this.wInsn = -1;
  }

  private commitTo(inst: Instance, insn: number): void {
    const idx = insn - inst.start;
    if (idx < 0 || idx >= inst.n) return;
    const seen = inst.mwSet[idx] !== 0;
    for (let f = 0; f <= inst.depth; f++) {
      let lo = this.wLo[f] >>> 0; let hi = this.wHi[f] >>> 0;
      if (!lo && !hi && !seen) continue;
      const m = inst.masks(f);
      const b = idx * STRIDE;
      const olo = m[b + MW]; const ohi = m[b + MW + 1];
      if (seen) { lo = (lo & olo) >>> 0; hi = (hi & ohi) >>> 0; }
      if (olo !== lo || ohi !== hi) { m[b + MW] = lo; m[b + MW + 1] = hi; inst.updated = true; }
      if ((olo & ~lo) || (ohi & ~hi)) inst.dropped = true;
    }
    inst.mwSet[idx] = 1;
  }

  /** bpf_update_live_stack: before a path ends or a subprogram returns, the marks of st's chain (innermost first) flow. */
  update(st: VState): void {
    this.cur = undefined;
    for (let f = st.frames.length - 1; f >= 0; f--) {
      const inst = this.instFor(st, f);
      if (inst.updated) {
        this.solve(inst);
        inst.updated = false;
        inst.dropped = false;
      }
    }
  }

  /** Fixed point of live_before and must_write_acc over the subprogram, then the summary to the caller's instance. */
  private solve(inst: Instance): void {
    if (inst.dropped) for (const m of inst.frames) if (m) for (let i = 0; i < inst.n; i++) { m[i * STRIDE + ACC] = 0; m[i * STRIDE + ACC + 1] = 0; }
    const succ = this.succ; const start = inst.start; const n = inst.n;
    let changed = true;
    while (changed) {
      changed = false;
      for (const m of inst.frames) {
        if (!m) continue;
        for (let i = n - 1; i >= 0; i--) {
          const s1 = succ[2 * (start + i)] - start; const s2 = succ[2 * (start + i) + 1] - start;
          const ok1 = s1 >= 0 && s1 < n; const ok2 = s2 >= 0 && s2 < n;
          if (!ok1 && !ok2) continue;
          let aLo = 0; let aHi = 0; let cLo = -1; let cHi = -1;
          if (ok1) { const q = s1 * STRIDE; aLo |= m[q + LIVE]; aHi |= m[q + LIVE + 1]; cLo &= m[q + ACC]; cHi &= m[q + ACC + 1]; }
          if (ok2) { const q = s2 * STRIDE; aLo |= m[q + LIVE]; aHi |= m[q + LIVE + 1]; cLo &= m[q + ACC]; cHi &= m[q + ACC + 1]; }
          const b = i * STRIDE;
          const bLo = ((aLo & ~m[b + MW]) | m[b + MR]) >>> 0; const bHi = ((aHi & ~m[b + MW + 1]) | m[b + MR + 1]) >>> 0;
          cLo = (cLo | m[b + MW]) >>> 0; cHi = (cHi | m[b + MW + 1]) >>> 0;
          if (bLo !== m[b + LIVE] || bHi !== m[b + LIVE + 1] || cLo !== m[b + ACC] || cHi !== m[b + ACC + 1]) {
            m[b + LIVE] = bLo; m[b + LIVE + 1] = bHi; m[b + ACC] = cLo; m[b + ACC + 1] = cHi;
            changed = true;
          }
        }
      }
    }
    if (inst.depth > 0) {
      // The callee's entry summary becomes the call site's marks in the caller's instance.
      const cs = [...inst.callsites]; const starts = [...inst.starts];
      const outer = this.lookup(cs, starts, inst.depth - 1);
      const callsite = inst.callsites[inst.depth - 1];
      for (let f = 0; f <= outer.depth; f++) { this.wLo[f] = 0; this.wHi[f] = 0; }
      for (let f = 0; f < inst.depth; f++) {
        const m = inst.frames[f];
        if (!m) continue;
        this.wLo[f] = m[ACC]; this.wHi[f] = m[ACC + 1];
        this.markRead(outer, f, callsite, m[LIVE], m[LIVE + 1]);
      }
      this.commitTo(outer, callsite);
    }
  }

  /**
   * bpf_stack_slot_alive for an explored state at insn: the slots of each frame that may still be
   * read (by the top frame's continuation, or after the call site returns in each outer frame; before
   * it when the frame above is a callback, which may run again). One 64-bit mask per frame as [lo, hi].
   */
  aliveMasks(st: VState, insn: number): Uint32Array {
    const depth = st.frames.length - 1;
    const out = new Uint32Array(2 * (depth + 1));
    const insts: Instance[] = [];
    for (let f = 0; f <= depth; f++) insts.push(this.instFor(st, f));
    for (let fr = 0; fr <= depth; fr++) {
      this.orLive(out, fr, insts[depth], insn, fr);
      for (let i = fr; i < depth; i++) {
        const callsite = st.frames[i + 1].callsite;
        this.orLive(out, fr, insts[i], st.frames[i + 1].inCallback ? callsite : callsite + 1, fr);
      }
    }
    return out;
  }

  private orLive(out: Uint32Array, at: number, inst: Instance, insn: number, frame: number): void {
    const m = inst.frames[frame];
    const idx = insn - inst.start;
    if (!m || idx < 0 || idx >= inst.n) return;
    out[2 * at] |= m[idx * STRIDE + LIVE];
    out[2 * at + 1] |= m[idx * STRIDE + LIVE + 1];
  }
}

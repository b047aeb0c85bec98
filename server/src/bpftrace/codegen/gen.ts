/**
 * Per-probe generation state: registers, stack and scratch memory, variables,
 * the emitter and diagnostics. Conventions: r6 holds the context, r9 the
 * per-CPU scratch area (when the probe needs one), r7 the value of the
 * expression just evaluated, r8 a second operand; r0-r5 are clobbered by
 * helper calls. Scalars (ints, pointers, 8-byte specials) live in registers;
 * strings, tuples and records in memory (`Loc`). Non-goal: optimisation.
 */
import type * as A from '../ast';
import type { Diagnostic, Range } from '../source';
import { type SType, sizeOf } from '../types';
import { Emitter, type Reg, type Size } from './emitter';
import type { CompileOptions, ProbeCtxInfo } from './model';
import type { ScriptLayout } from './script';
import type { Typer } from './tyof';

export const R_CTX = 6;
export const R_ACC = 7;
export const R_TMP = 8;
export const R_SC = 9;
const FP = 10;

/** Bytes somewhere the probe can address with a constant offset: `fp` r10+off (off < 0), `sc` r9+off. */
export interface Loc {
  base: 'fp' | 'sc';
  off: number;
}

/**
 * Splits `size` bytes into the widest accesses aligned at every given base offset
 * (the stack and the tracepoint context only take naturally aligned accesses).
 */
export function chunks(size: number, bases: number[]): { o: number; s: Size }[] {
  const out: { o: number; s: Size }[] = [];
  let o = 0;
  while (o < size) {
    let s: Size = 8;
    while (s > 1 && (size - o < s || bases.some((b) => (((b + o) % s) + s) % s !== 0))) s = (s / 2) as Size;
    out.push({ o, s });
    o += s;
  }
  return out;
}

export function at(l: Loc, d: number): Loc {
  return { base: l.base, off: l.off + d };
}

/** Thrown to abandon a construct code generation cannot handle (caught per statement; a diagnostic is already recorded). */
export class Unsupported extends Error {}

export function isScalar(t: SType): boolean {
  switch (t.k) {
    case 'int': case 'bool': case 'ptr': case 'agg': case 'none': return true;
    // (a 6-byte mac address is not a register value: it lives in memory like strings)
    case 'special': return t.size === 1 || t.size === 2 || t.size === 4 || t.size === 8;
    default: return false;
  }
}

export interface VarSlot { loc: Loc; type: SType }

export class Gen {
  readonly e = new Emitter();
  readonly vars = new Map<string, VarSlot>();
  readonly loops: { brk: number; cont: number }[] = [];
  readonly exitLabel: number;
  private stackTop = -8;
  stackMin = -8;
  private scTop = 0;
  scMax = 0;
  /** Statement generator (stmt.ts), set by the probe compiler. */
  stmt: (s: A.Stmt) => void = () => undefined;
  /** Set when any scratch memory was allocated (the prologue must load it). */
  usedScratch = false;
  /** The attach point this program serves (usdt arguments depend on it). */
  attach: A.AttachPoint | undefined;
  /** Whether r9 holds the scratch area once the prologue ran (callbacks reload it from their caller). */
  scratchReady = false;
  /** The probe's main program (this Gen, or the one a callback belongs to). */
  root: Gen = this;
  /** Callback subprograms of the probe (bpf_for_each_map_elem bodies), registered on the root in creation order. */
  readonly subprogs: Gen[] = [];

  constructor(
    readonly script: ScriptLayout,
    readonly typer: Typer,
    readonly probe: A.Probe,
    readonly ctx: ProbeCtxInfo | undefined,
    readonly provider: string,
    readonly opts: CompileOptions,
    readonly diags: Diagnostic[],
    readonly probeIndex: number,
  ) {
    this.exitLabel = this.e.newLabel();
  }

  /**
   * A callback subprogram of this probe: its own instructions, stack frame, variables
   * and loops; scratch memory continues above this Gen's (the caller's live
   * temporaries stay intact). Registered on the root; returns it with its index there.
   */
  callback(): { gen: Gen; index: number } {
    const c = new Gen(this.script, this.typer, this.probe, this.ctx, this.provider, this.opts, this.diags, this.probeIndex);
    c.root = this.root;
    c.attach = this.attach;
    c.scratchReady = this.scratchReady;
    c.scTop = this.scTop;
    c.scMax = this.scTop;
    this.root.subprogs.push(c);
    return { gen: c, index: this.root.subprogs.length - 1 };
  }

  /** Takes over a finished callback's scratch needs. */
  adopt(c: Gen): void {
    this.scMax = Math.max(this.scMax, c.scMax);
    if (c.usedScratch) this.usedScratch = true;
  }

  /** Runs f with instructions attributed to `range` (the line table), restoring the previous range. */
  within<T>(range: Range, f: () => T): T {
    const prev = this.e.cur;
    this.e.cur = range;
    try {
      return f();
    } finally {
      this.e.cur = prev;
    }
  }

  ty(e: A.Expr): SType {
    return this.typer.of(e);
  }

  error(range: Range, message: string): never {
    this.diags.push({ range, severity: 'error', message, source: 'codegen' });
    throw new Unsupported(message);
  }

  // ---- memory -------------------------------------------------------------

  allocStack(size: number): Loc {
    if (!Number.isFinite(size)) this.error(this.probe.range, 'value of unknown size');
    const n = Math.ceil(Math.max(size, 1) / 8) * 8;
    this.stackTop -= n;
    if (this.stackTop < this.stackMin) this.stackMin = this.stackTop;
    if (this.stackTop < -512) this.error(this.probe.range, 'BPF stack limit of 512 bytes exceeded');
    return { base: 'fp', off: this.stackTop };
  }

  allocScratch(size: number): Loc {
    if (!Number.isFinite(size)) this.error(this.probe.range, 'value of unknown size');
    const n = Math.ceil(Math.max(size, 1) / 8) * 8;
    const l: Loc = { base: 'sc', off: this.scTop };
    this.scTop += n;
    this.scMax = Math.max(this.scMax, this.scTop);
    this.usedScratch = true;
    return l;
  }

  /** Small objects on the stack, big ones in scratch. */
  alloc(size: number): Loc {
    return size <= 16 ? this.allocStack(size) : this.allocScratch(size);
  }

  mark(): { st: number; sc: number } {
    return { st: this.stackTop, sc: this.scTop };
  }

  release(m: { st: number; sc: number }): void {
    this.stackTop = m.st;
    this.scTop = m.sc;
  }

  baseReg(l: Loc): Reg {
    if (l.base === 'sc') this.usedScratch = true;
    return l.base === 'fp' ? FP : R_SC;
  }

  /** reg = address of l. */
  addr(l: Loc, reg: Reg): void {
    this.e.mov(reg, this.baseReg(l));
    if (l.off !== 0) this.e.alu('add', reg, { k: l.off });
  }

  load(size: Size, reg: Reg, l: Loc): void {
    this.e.ldx(size, reg, this.baseReg(l), l.off);
  }

  store(size: Size, l: Loc, reg: Reg): void {
    this.e.stx(size, this.baseReg(l), l.off, reg);
  }

  storeImm(size: Size, l: Loc, imm: number): void {
    this.e.st(size, this.baseReg(l), l.off, imm);
  }

  /** Zeroes `size` bytes at l. */
  zero(l: Loc, size: number): void {
    for (const { o, s } of chunks(size, [l.off])) this.storeImm(s, at(l, o), 0);
  }

  /** Copies `size` bytes (through r0). */
  copy(dst: Loc, src: Loc, size: number): void {
    for (const { o, s } of chunks(size, [dst.off, src.off])) {
      this.load(s, 0, at(src, o));
      this.store(s, at(dst, o), 0);
    }
  }

  /** Stores register `reg` as a value of type t (its width) at l. */
  storeScalar(l: Loc, t: SType, reg: Reg): void {
    const n = Math.min(8, Math.max(1, sizeOf(t)));
    const s: Size = n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
    this.store(s, l, reg);
  }

  /** Loads a value of type t from l into reg, extended to 64 bits. */
  loadScalar(reg: Reg, l: Loc, t: SType): void {
    const n = Math.min(8, Math.max(1, sizeOf(t)));
    const s: Size = n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
    this.load(s, reg, l);
    if (t.k === 'int' && t.signed && s < 8) this.e.extend(reg, s * 8, true);
  }

  /** Spills r7 to a fresh stack slot. */
  spill(): Loc {
    const l = this.allocStack(8);
    this.store(8, l, R_ACC);
    return l;
  }

  /** Normalises r7 to the width and signedness of t. */
  normalize(t: SType, reg: Reg = R_ACC): void {
    if (t.k === 'int' && t.bits < 64) this.e.extend(reg, t.bits, t.signed);
    if (t.k === 'bool') {
      const l = this.e.newLabel();
      this.e.jmp('jeq', reg, { k: 0 }, l);
      this.e.movi(reg, 1);
      this.e.bind(l);
    }
  }

  /** Calls a map helper's common setup: r1 = map. */
  ldMap(reg: Reg, index: number): void {
    this.e.ldMap(reg, index);
  }
}

/**
 * Verifier states: call frames (registers and a per-byte typed stack with
 * spilled registers), acquired references, and the whole path state; copying
 * and printing in the kernel's print_verifier_state format
 * (` R1=ctx() R10=fp0 fp-8=mmmm????`), iterator slots included. Non-goal: dynptr stack slots.
 */
import { PrintCtx, Reg, T, regStr } from './reg';
import { TNUM_ZERO } from './tnum';
import { arenaStack } from './arena';

/** Stack byte types (enum bpf_stack_slot_type subset). */
export const enum S { INVALID = 0, SPILL = 1, MISC = 2, ZERO = 3, ITER = 4 }
const SLOT_CHAR = ['?', 'r', 'm', '0', 'i'];
export const MAX_STACK = 512;

/** Placeholder register list of a frame being cloned (replaced before use, never modified). */
const NO_REGS: Reg[] = [];
/** The stack of a frame that has never been written: shared, never modified (frames copy it before writing). */
const BLANK_STACK = new Uint8Array(MAX_STACK);

export class Frame {
  regs: Reg[];
  /**
   * The stack bytes and spills, copy-on-write: a clone shares them with its
   * original (both marked `shared`) and whoever reads `stype`/`spilled` first
   * takes a private copy. Code that only looks uses `stypeView`/`spilledView`.
   */
  private st: Uint8Array;
  private sp: (Reg | undefined)[];
  private shared: boolean;
  allocated = 0;
  frameno: number;
  callsite = -1;
  subprog = 0;
  inCallback = false;
  /** The frame runs an async callback (a timer's; the kernel's in_async_callback_fn). */
  inAsyncCallback = false;
  callbackDepth = 0;
  /** The largest `allocated` already reported to the stack-depth bookkeeping (verifier.ts noteDepth). */
  notedDepth = 0;

  constructor(frameno: number, init = true) {
    this.frameno = frameno;
    // A clone (init false) sets its registers itself; the stack and spills start shared (written only after own()).
    this.regs = NO_REGS;
    this.st = BLANK_STACK;
    this.sp = NO_REGS;
    this.shared = true;
    if (init) {
      // A new Reg is already what markNotInit makes (verifier-perf.test.ts checks it).
      const fp = new Reg();
      this.regs = [new Reg(), new Reg(), new Reg(), new Reg(), new Reg(), new Reg(), new Reg(), new Reg(), new Reg(), new Reg(), fp];
      fp.type = T.STACK;
      fp.var = TNUM_ZERO;
      fp.smin = fp.smax = fp.umin = fp.umax = 0n;
      fp.s32min = fp.s32max = fp.u32min = fp.u32max = 0n;
      fp.frameno = frameno;
    }
  }

  /** stype[i]: type of the byte at fp - i - 1 (writable: unshares). */
  get stype(): Uint8Array { if (this.shared) this.own(); return this.st; }
  /** spilled[spi]: register spilled in the 8-byte slot fp-8*(spi+1) (writable: unshares). */
  get spilled(): (Reg | undefined)[] { if (this.shared) this.own(); return this.sp; }
  /** Read-only views: never modify through these. */
  get stypeView(): Uint8Array { return this.st; }
  get spilledView(): readonly (Reg | undefined)[] { return this.sp; }

  private own(): void {
    this.st = arenaStack(this.st !== BLANK_STACK ? this.st : undefined);
    this.sp = this.sp.map((r) => r?.clone());
    this.shared = false;
  }

  /** Applies fn to each spilled register matching pred; the stack is unshared only when one matches. */
  eachSpilled(pred: (r: Reg) => boolean, fn: (r: Reg) => void): void {
    const view = this.sp;
    for (let i = 0; i < view.length; i++) {
      const r = view[i];
      if (r && pred(r)) fn(this.spilled[i] as Reg);
    }
  }

  clone(): Frame {
    const f = new Frame(this.frameno, false);
    const regs = this.regs;
    f.regs = [regs[0].clone(), regs[1].clone(), regs[2].clone(), regs[3].clone(), regs[4].clone(), regs[5].clone(),
      regs[6].clone(), regs[7].clone(), regs[8].clone(), regs[9].clone(), regs[10].clone()];
    f.st = this.st;
    f.sp = this.sp;
    this.shared = true;
    f.allocated = this.allocated;
    f.callsite = this.callsite;
    f.subprog = this.subprog;
    f.inCallback = this.inCallback;
    f.inAsyncCallback = this.inAsyncCallback;
    f.callbackDepth = this.callbackDepth;
    f.notedDepth = this.notedDepth;
    return f;
  }

  /** is_spilled_reg: slot_type[7] (the byte at the slot's lowest address) is a spill. */
  slotSpilled(spi: number): boolean { return this.st[spi * 8 + 7] === S.SPILL; }
  grow(size: number): void {
    const n = Math.ceil(size / 8) * 8;
    if (n > this.allocated) this.allocated = n;
  }
}

export interface RefState { id: number; insn: number }

export class VState {
  frames: Frame[];
  refs: RefState[] = [];
  speculative = false;
  /** Inside bpf_rcu_read_lock() (the kernel's active_rcu_lock). */
  rcuLock = false;

  constructor(frames: Frame[]) { this.frames = frames; }
  get cur(): Frame { return this.frames[this.frames.length - 1]; }
  get curframe(): number { return this.frames.length - 1; }
  clone(): VState {
    const frames = this.frames;
    const copy: Frame[] = new Array(frames.length);
    for (let i = 0; i < frames.length; i++) copy[i] = frames[i].clone();
    const s = new VState(copy);
    if (this.refs.length) s.refs = this.refs.map((r) => ({ id: r.id, insn: r.insn }));
    s.speculative = this.speculative;
    s.rcuLock = this.rcuLock;
    return s;
  }
}

/** Which registers and stack slots changed since the last print (the kernel's "scratched" marks). */
export class Scratch {
  regs = 0;
  slots = new Uint8Array(64);
  any = false;
  private anySlot = false;
  reg(r: number): void { this.regs |= 1 << r; this.any = true; }
  slot(spi: number): void { if (spi >= 0 && spi < 64) { this.slots[spi] = 1; this.any = true; this.anySlot = true; } }
  clear(): void {
    this.regs = 0;
    if (this.anySlot) { this.slots.fill(0); this.anySlot = false; }
    this.any = false;
  }
}

/** print_verifier_state for one frame: the text after `N:` (starts with a space when not empty). */
export function frameStr(st: VState, fi: number, ctx: Omit<PrintCtx, 'frameno'>, all: boolean, sc?: Scratch): string {
  const f = st.frames[fi];
  const pc: PrintCtx = { mapName: ctx.mapName, frameno: f.frameno };
  let out = '';
  if (f.frameno) out += ` frame${f.frameno}:`;
  for (let i = 0; i < 11; i++) {
    const r = f.regs[i];
    if (r.type === T.NOT_INIT) continue;
    if (!all && !(sc && sc.regs & (1 << i))) continue;
    out += ` R${i}=${regStr(r, pc)}`;
  }
  for (let spi = 0; spi < f.allocated / 8; spi++) {
    if (!all && !(sc && sc.slots[spi])) continue;
    let valid = false;
    for (let j = 0; j < 8; j++) if (f.stypeView[spi * 8 + j] !== S.INVALID) valid = true;
    if (!valid) continue;
    const off = -(spi + 1) * 8;
    if (f.stypeView[spi * 8 + 7] === S.ITER) {
      // Iterator slots (kfunc-iter.ts): only the first slot carries the reference.
      const it = f.spilledView[spi];
      if (it && it.refObjId) out += ` fp${off}=iter_${it.btfName}(ref_id=${it.refObjId},state=${it.memSize === 1 ? 'active' : 'drained'},depth=${it.range})`;
    } else if (f.slotSpilled(spi) && f.spilledView[spi]) {
      // Bytes above a narrower spill are printed before the register.
      let k = 0;
      while (k < 8 && f.stypeView[spi * 8 + k] !== S.SPILL) k++;
      const prefix = kernelOrder(f, spi).slice(0, k);
      out += ` fp${off}=${prefix}${regStr(f.spilledView[spi] as Reg, pc)}`;
    } else {
      out += ` fp${off}=${kernelOrder(f, spi)}`;
    }
  }
  if (st.refs.length) out += ' refs=' + st.refs.map((r) => r.id).join(',');
  if (f.inCallback) out += ' cb';
  if (f.inAsyncCallback) out += ' async_cb';
  return out;
}

/**
 * The kernel prints slot_type[0..7] where slot_type[k] is the byte at fp - 8*(spi+1) + k... mirrored:
 * slot_type[(slot - i) % 8] for slot = -off - 1. Our stype[spi*8 + j] is the byte at fp - (spi*8 + j) - 1,
 * which is exactly the kernel's slot_type[j]. So the kernel order is our order.
 */
function kernelOrder(f: Frame, spi: number): string {
  let s = '';
  for (let j = 0; j < 8; j++) s += SLOT_CHAR[f.stypeView[spi * 8 + j]];
  return s;
}

export function stateStr(st: VState, ctx: Omit<PrintCtx, 'frameno'>, all: boolean, sc?: Scratch): string {
  let out = '';
  for (let i = 0; i < st.frames.length; i++) {
    if (!all && i !== st.curframe) continue;
    out += frameStr(st, i, ctx, all, sc);
  }
  return out;
}

/** Both states are in the same call chain (same call sites frame by frame). */
export function sameCallsites(a: VState, b: VState): boolean {
  if (a.frames.length !== b.frames.length) return false;
  for (let i = 0; i < a.frames.length; i++) if (a.frames[i].callsite !== b.frames[i].callsite) return false;
  return true;
}

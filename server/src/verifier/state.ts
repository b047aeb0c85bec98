/**
 * Verifier states: call frames (registers and a per-byte typed stack with
 * spilled registers), acquired references, and the whole path state; copying
 * and printing in the kernel's print_verifier_state format
 * (` R1=ctx() R10=fp0 fp-8=mmmm????`), iterator slots included. Non-goal: dynptr stack slots.
 */
import { PrintCtx, Reg, T, markNotInit, regStr } from './reg';

/** Stack byte types (enum bpf_stack_slot_type subset). */
export const enum S { INVALID = 0, SPILL = 1, MISC = 2, ZERO = 3, ITER = 4 }
const SLOT_CHAR = ['?', 'r', 'm', '0', 'i'];
export const MAX_STACK = 512;

export class Frame {
  regs: Reg[];
  /** stype[i]: type of the byte at fp - i - 1. */
  stype: Uint8Array;
  /** spilled[spi]: register spilled in the 8-byte slot fp-8*(spi+1). */
  spilled: (Reg | undefined)[];
  allocated = 0;
  frameno: number;
  callsite = -1;
  subprog = 0;
  inCallback = false;
  callbackDepth = 0;

  constructor(frameno: number, init = true) {
    this.frameno = frameno;
    this.regs = [];
    this.stype = new Uint8Array(MAX_STACK);
    this.spilled = [];
    if (init) {
      for (let i = 0; i < 11; i++) { const r = new Reg(); markNotInit(r); this.regs.push(r); }
      const fp = this.regs[10];
      fp.type = T.STACK;
      fp.var = { value: 0n, mask: 0n };
      fp.smin = fp.smax = fp.umin = fp.umax = 0n;
      fp.s32min = fp.s32max = fp.u32min = fp.u32max = 0n;
      fp.frameno = frameno;
    }
  }

  clone(): Frame {
    const f = new Frame(this.frameno, false);
    f.regs = this.regs.map((r) => r.clone());
    f.stype.set(this.stype);
    f.spilled = this.spilled.map((r) => r?.clone());
    f.allocated = this.allocated;
    f.callsite = this.callsite;
    f.subprog = this.subprog;
    f.inCallback = this.inCallback;
    f.callbackDepth = this.callbackDepth;
    return f;
  }

  /** is_spilled_reg: slot_type[7] (the byte at the slot's lowest address) is a spill. */
  slotSpilled(spi: number): boolean { return this.stype[spi * 8 + 7] === S.SPILL; }
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
    const s = new VState(this.frames.map((f) => f.clone()));
    s.refs = this.refs.map((r) => ({ ...r }));
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
  reg(r: number): void { this.regs |= 1 << r; this.any = true; }
  slot(spi: number): void { if (spi >= 0 && spi < 64) { this.slots[spi] = 1; this.any = true; } }
  clear(): void { this.regs = 0; this.slots.fill(0); this.any = false; }
}

/** print_verifier_state for one frame: the text after `N:` (starts with a space when not empty). */
export function frameStr(st: VState, fi: number, ctx: Omit<PrintCtx, 'frameno'>, all: boolean, sc?: Scratch): string {
  const f = st.frames[fi];
  const pc: PrintCtx = { ...ctx, frameno: f.frameno };
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
    for (let j = 0; j < 8; j++) if (f.stype[spi * 8 + j] !== S.INVALID) valid = true;
    if (!valid) continue;
    const off = -(spi + 1) * 8;
    if (f.stype[spi * 8 + 7] === S.ITER) {
      // Iterator slots (kfunc-iter.ts): only the first slot carries the reference.
      const it = f.spilled[spi];
      if (it && it.refObjId) out += ` fp${off}=iter_${it.btfName}(ref_id=${it.refObjId},state=${it.memSize === 1 ? 'active' : 'drained'},depth=${it.range})`;
    } else if (f.slotSpilled(spi) && f.spilled[spi]) {
      // Bytes above a narrower spill are printed before the register.
      let k = 0;
      while (k < 8 && f.stype[spi * 8 + k] !== S.SPILL) k++;
      const prefix = kernelOrder(f, spi).slice(0, k);
      out += ` fp${off}=${prefix}${regStr(f.spilled[spi] as Reg, pc)}`;
    } else {
      out += ` fp${off}=${kernelOrder(f, spi)}`;
    }
  }
  if (st.refs.length) out += ' refs=' + st.refs.map((r) => r.id).join(',');
  if (f.inCallback) out += ' cb';
  return out;
}

/**
 * The kernel prints slot_type[0..7] where slot_type[k] is the byte at fp - 8*(spi+1) + k... mirrored:
 * slot_type[(slot - i) % 8] for slot = -off - 1. Our stype[spi*8 + j] is the byte at fp - (spi*8 + j) - 1,
 * which is exactly the kernel's slot_type[j]. So the kernel order is our order.
 */
function kernelOrder(f: Frame, spi: number): string {
  let s = '';
  for (let j = 0; j < 8; j++) s += SLOT_CHAR[f.stype[spi * 8 + j]];
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

/**
 * Random valid BPF programs for differential testing of the interpreter and the
 * JIT: every ALU/JMP operation in both widths and source forms, loads, stores
 * and atomics on the stack and the input `mem` region, lddw, forward jumps,
 * bounded loops, local calls, helper calls, occasional faults and small budgets.
 * Pure and deterministic (seeded PRNG). Non-goal: verifier-acceptable programs.
 */
import { Insn, layout, mkInsn } from '../isa/insn';
import { OPCODES, OpSpec, specFor } from '../isa/opcodes';
import type { HelperContext, HelperGenerator, HelperSpec, HelperTable } from './helpers-types';

export type RandCategory = 'alu' | 'mem' | 'jmp' | 'loop' | 'call' | 'fault' | 'budget';
export const RAND_CATEGORIES: readonly RandCategory[] = ['alu', 'mem', 'jmp', 'loop', 'call', 'fault', 'budget'];

export interface RandProgram {
  insns: Insn[];
  /** Tail-call targets (VmOptions.programs), reached through RAND_HELPER.tail. */
  programs: Insn[][];
  mem: Uint8Array;
  /** A deliberately small budget for the 'budget' category. */
  budget?: number;
  category: RandCategory;
  seed: number;
}

export interface RandOptions {
  /** Force a category (default: chosen by the seed). */
  category?: RandCategory;
  /** Approximate number of body units (default 12..40). */
  units?: number;
  /** Emit calls to the RAND_HELPER helpers (run with `randHelpers()`); default true. */
  helpers?: boolean;
}

/** Ids of the helpers random programs call; far from the kernel's ids so they never clash. */
export const RAND_HELPER = { ret1: 5, write: 0x7f01, maybeFault: 0x7f02, loop: 0x7f03, tail: 0x7f04, print: 0x7f05 } as const;

function* loopHelper(ctx: HelperContext, n: bigint, fn: bigint, data: bigint): HelperGenerator {
  const f = ctx.funcAt(fn);
  if (!f) return BigInt.asUintN(64, -22n);
  const count = Number(n < 8n ? n : 8n);
  let i = 0;
  for (; i < count; i++) {
    const r = yield { program: f.program, pc: f.pc, args: [BigInt(i), data] };
    if (r === 1n) { i++; break; }
  }
  return BigInt(i);
}

/**
 * Deterministic helpers for random programs: return r1 (id 5, as the
 * conformance suite), write 8 bytes, fault on request, a bpf_loop-like
 * callback driver, a tail call to programs[r2 % n], a printk-like output.
 */
export function randHelpers(programs: number): HelperTable {
  const specs: HelperSpec[] = [
    { id: RAND_HELPER.ret1, name: 'rand_ret1', signature: 'u64 ret1(u64 a)', impl: (_c, r1) => r1 },
    {
      id: RAND_HELPER.write, name: 'rand_write', signature: 'long write(void *dst, u64 v)',
      impl: (c, r1, r2) => {
        const b = new Uint8Array(8);
        new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, r2), true);
        return c.memory.write(r1, b) ? 0n : BigInt.asUintN(64, -14n);
      },
    },
    {
      id: RAND_HELPER.maybeFault, name: 'rand_maybe_fault', signature: 'u64 maybe_fault(u64 a)',
      impl: (c, r1) => ((r1 & 7n) === 0n ? c.fault('helper', `rand_maybe_fault: ${r1} is a multiple of 8`) : r1 * 3n),
    },
    { id: RAND_HELPER.loop, name: 'rand_loop', signature: 'long loop(u32 n, void *fn, void *ctx)', impl: (c, r1, r2, r3) => loopHelper(c, r1, r2, r3) },
    {
      id: RAND_HELPER.tail, name: 'rand_tail', signature: 'long tail(void *ctx, u32 index)',
      impl: (c, _r1, r2) => {
        if (programs === 0 || c.tailCalls >= 33) return BigInt.asUintN(64, -2n);
        c.tailCalls++;
        c.pendingTailCall = 1 + Number(r2 % BigInt(programs));
        return 0n;
      },
    },
    {
      id: RAND_HELPER.print, name: 'rand_print', signature: 'long print(u64 v)',
      impl: (c, r1) => { c.output.push({ kind: 'printk', pc: c.pc, text: `v=${r1}` }); return 0n; },
    },
  ];
  return new Map(specs.map((h) => [h.id, h]));
}

/** mulberry32: small, fast, good enough for test generation. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
  chance(p: number): boolean { return this.next() < p; }
  /** An "interesting" 32-bit immediate: small, boundary or random. */
  imm32(): number {
    switch (this.int(6)) {
      case 0: return this.range(-4, 4);
      case 1: return this.pick([0x7fffffff, -0x80000000, -1, 0xffff, 0x8000, 0x80, 63, 64, 31, 32]);
      case 2: return this.range(-300, 300);
      default: return (this.next() * 4294967296) | 0;
    }
  }
}

const MEM_SIZE = 64;
/** Registers random code may write: r6 holds the mem pointer, r7 is the loop counter. */
const SCRATCH = [0, 1, 2, 3, 4, 5, 8, 9];
const SIZES = [1, 2, 4, 8] as const;
const SFX: Record<number, string> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };

const ALU_SPECS: readonly OpSpec[] = OPCODES.filter((s) => s.kind === 'alu' || s.kind === 'end');
const JCOND_SPECS: readonly OpSpec[] = OPCODES.filter((s) => s.kind === 'jcond');
const ATOMIC_SPECS: readonly OpSpec[] = OPCODES.filter((s) => s.kind === 'atomic');

function spec(name: string, srcReg?: boolean): OpSpec {
  const s = specFor(name, srcReg);
  if (!s) throw new Error(`randprog: no instruction ${name}`);
  return s;
}

/** An instruction with an optional symbolic jump/call target (index into the label table). */
interface Item { insn: Insn; label?: number; target?: number }

class Gen {
  items: Item[] = [];
  labels: number[] = [];
  private funcs: { label: number; body: Item[] }[] = [];
  constructor(readonly r: Rng, readonly cat: RandCategory, readonly opts: RandOptions, readonly progs = 0) {}

  newLabel(): number { this.labels.push(-1); return this.labels.length - 1; }
  emit(s: OpSpec, f: Partial<Insn> = {}, target?: number): void {
    const it: Item = { insn: mkInsn(s, f) };
    if (target !== undefined) it.target = target;
    this.items.push(it);
  }
  mark(label: number): void {
    this.items.push({ insn: mkInsn(spec('ja'), { off: 0 }), label });
  }

  reg(): number { return this.r.pick(SCRATCH); }

  alu(): void {
    const s = this.r.pick(ALU_SPECS);
    const f: Partial<Insn> = { dst: this.reg() };
    if (s.srcReg && s.alu !== 'movsx') f.src = this.r.chance(0.9) ? this.reg() : this.r.pick([6, 7, 10]);
    if (s.alu === 'movsx') f.src = this.reg();
    if (!s.srcReg && s.fields.imm) {
      f.imm = this.r.imm32();
      if ((s.alu === 'div' || s.alu === 'mod' || s.alu === 'sdiv' || s.alu === 'smod') && this.r.chance(0.2)) f.imm = this.r.pick([0, -1]);
      if ((s.alu === 'lsh' || s.alu === 'rsh' || s.alu === 'arsh') && this.r.chance(0.8)) f.imm = this.r.range(0, s.is64 ? 63 : 31);
    }
    this.emit(s, f);
  }

  lddw(): void {
    const v = this.r.chance(0.5) ? { imm: this.r.imm32(), imm2: this.r.imm32() } : { imm: this.r.imm32(), imm2: this.r.pick([0, -1]) };
    this.emit(spec('lddw'), { dst: this.reg(), ...v });
  }

  /** A stack offset for an access of `size` bytes, aligned or not; occasionally out of the frame. */
  stackOff(size: number, fault: boolean): number {
    if (fault) return this.r.pick([-513 - size, 0, 8, -520, 1, 512 - size]);
    const aligned = this.r.chance(0.7);
    let off = -this.r.range(size, 64);
    if (aligned) off = -Math.ceil(-off / size) * size;
    return Math.max(off, -512);
  }

  memOff(size: number, fault: boolean): number {
    if (fault) return this.r.pick([MEM_SIZE - size + 1, -1, MEM_SIZE, 4096, -4096 * 16]);
    const off = this.r.range(0, MEM_SIZE - size);
    return this.r.chance(0.7) ? off - (off % size) : off;
  }

  memAccess(): void {
    const size = this.r.pick(SIZES);
    const onStack = this.r.chance(0.5);
    const fault = (this.cat === 'fault' && this.r.chance(0.15)) || this.r.chance(0.005);
    const base = onStack ? 10 : 6;
    const off = onStack ? this.stackOff(size, fault) : this.memOff(size, fault);
    switch (this.r.int(5)) {
      case 0: this.emit(spec(`stx${SFX[size]}`), { dst: base, src: this.reg(), off }); break;
      case 1: this.emit(spec(`st${SFX[size]}`), { dst: base, off, imm: this.r.imm32() }); break;
      case 2:
        if (size !== 8 && this.r.chance(0.4)) this.emit(spec(`ldxs${SFX[size]}`), { dst: this.reg(), src: base, off });
        else this.emit(spec(`ldx${SFX[size]}`), { dst: this.reg(), src: base, off });
        break;
      case 3: {
        const a = this.r.pick(ATOMIC_SPECS);
        const sz = a.is64 ? 8 : 4;
        const o = onStack ? this.stackOff(sz, fault) : this.memOff(sz, fault);
        const src = a.atomic === 'cmpxchg' ? this.r.pick([1, 2, 3, 4, 5, 8, 9]) : this.reg();
        this.emit(a, { dst: base, src, off: o });
        break;
      }
      default: {
        // Packet loads read the `mem` region (network byte order).
        const sz = this.r.pick([1, 2, 4]);
        if (this.r.chance(0.5)) this.emit(spec(`ldabs${SFX[sz]}`), { imm: fault ? MEM_SIZE : this.r.range(0, MEM_SIZE - sz) });
        else {
          this.emit(spec('mov', false), { dst: 8, imm: this.r.range(0, 16) });
          this.emit(spec(`ldind${SFX[sz]}`), { src: 8, imm: fault ? MEM_SIZE : this.r.range(0, MEM_SIZE - 16 - sz) });
        }
      }
    }
  }

  /** A forward conditional jump over the next `n` units (resolved to a label). */
  cond(target: number): void {
    const s = this.r.pick(JCOND_SPECS);
    const f: Partial<Insn> = { dst: this.r.chance(0.9) ? this.reg() : this.r.pick([6, 7, 10]) };
    if (s.srcReg) f.src = this.r.chance(0.1) ? f.dst : this.reg();
    else f.imm = this.r.chance(0.5) ? this.r.range(-3, 3) : this.r.imm32();
    if (f.dst !== 6 && f.dst !== 7 && f.dst !== 10 && this.r.chance(0.4)) {
      // Operands equal or off by one, so boundaries (>= vs >, signed vs unsigned) decide.
      const v = this.r.imm32();
      const near = (v + this.r.pick([-1, 0, 0, 1])) | 0;
      const wide = this.r.chance(0.5);
      this.emit(spec(wide ? 'mov' : 'mov32', false), { dst: f.dst, imm: v });
      if (s.srcReg && f.src !== f.dst) this.emit(spec(this.r.chance(0.5) ? 'mov' : 'mov32', false), { dst: f.src, imm: near });
      else if (!s.srcReg) f.imm = near;
    }
    this.emit(s, f, target);
  }

  div0(): void {
    const name = this.r.pick(['div', 'mod', 'sdiv', 'smod']) + (this.r.chance(0.5) ? '32' : '');
    const z = this.reg();
    this.emit(spec('mov', false), { dst: z, imm: this.r.pick([0, 0, -1]) });
    this.emit(spec(name, true), { dst: this.reg(), src: z });
  }

  /** A straight-line or branching unit list at nesting level `lvl`. */
  block(units: number, lvl: number): void {
    const pending: { label: number; left: number }[] = [];
    for (let u = 0; u < units; u++) {
      for (const p of pending) {
        if (p.left === 0) this.mark(p.label);
        p.left--;
      }
      this.unit(lvl, pending);
    }
    for (const p of pending) if (p.left >= 0) this.mark(p.label);
  }

  unit(lvl: number, pending: { label: number; left: number }[]): void {
    const w = WEIGHTS[this.cat];
    let x = this.r.next() * w.reduce((a, b) => a + b, 0);
    let kind = 0;
    while (kind < w.length - 1 && x >= w[kind]) { x -= w[kind]; kind++; }
    switch (kind) {
      case 0: this.alu(); break;
      case 1: this.memAccess(); break;
      case 2: {
        const l = this.newLabel();
        pending.push({ label: l, left: this.r.range(0, 4) });
        if (this.r.chance(0.15)) this.emit(spec(this.r.chance(0.5) ? 'ja' : 'ja32'), {}, l);
        else this.cond(l);
        break;
      }
      case 3:
        if (lvl < 2) this.loop(lvl);
        else this.alu();
        break;
      case 4: this.call(lvl); break;
      case 5: this.lddw(); break;
      case 6:
        if (this.cat === 'fault' && this.r.chance(0.05)) this.emit(spec('call kfunc'), { imm: this.r.range(1, 1000) });
        else this.div0();
        break;
      default: this.helper(); break;
    }
  }

  loop(lvl: number): void {
    const n = this.cat === 'budget' ? this.r.range(50, 400) : this.r.range(1, 6);
    // Outer loop counter lives on the stack while an inner loop reuses r7.
    if (lvl > 0) this.emit(spec('stxdw'), { dst: 10, src: 7, off: -496 + 8 * lvl });
    this.emit(spec('mov', false), { dst: 7, imm: n });
    const head = this.newLabel();
    this.mark(head);
    this.block(this.r.range(1, 5), lvl + 1);
    if (this.r.chance(0.5)) {
      this.emit(spec('sub', false), { dst: 7, imm: 1 });
      this.emit(spec(this.r.pick(['jne', 'jne32', 'jsgt', 'jgt'] as const), false), { dst: 7, imm: 0 }, head);
    } else {
      this.emit(spec('add32', false), { dst: 7, imm: -1 });
      this.emit(spec(this.r.pick(['jne', 'jsgt32'] as const), false), { dst: 7, imm: 0 }, head);
    }
    if (lvl > 0) this.emit(spec('ldxdw'), { dst: 7, src: 10, off: -496 + 8 * lvl });
  }

  call(lvl: number): void {
    const label = this.newLabel();
    const saved = this.items;
    this.items = [];
    const recurse = this.cat === 'fault' && this.r.chance(0.2);
    if (recurse) {
      // Unbounded recursion: a call-depth fault.
      this.emit(spec('call local'), {}, label);
    } else {
      if (this.r.chance(0.5)) this.emit(spec('mov', false), { dst: this.r.pick([7, 8, 9]), imm: this.r.imm32() });
      this.block(this.r.range(1, 6), Math.max(lvl, 1));
      if (lvl < 1 && this.r.chance(0.3)) this.call(lvl + 1);
    }
    this.emit(spec('exit'));
    this.funcs.push({ label, body: this.items });
    this.items = saved;
    for (let a = 1; a <= 5; a++) if (this.r.chance(0.3)) this.emit(spec('mov', false), { dst: a, imm: this.r.imm32() });
    if (this.r.chance(0.8)) this.emit(spec('call local'), {}, label);
    else {
      this.emit(spec('lddw'), { dst: 8, src: 4 }, label);
      this.emit(spec('callx'), { dst: 8 });
    }
  }

  helper(): void {
    if (this.opts.helpers === false) { this.alu(); return; }
    const mov = (d: number, imm: number) => this.emit(spec('mov', false), { dst: d, imm });
    switch (this.r.int(6)) {
      case 0: {
        const cb = this.newLabel();
        const saved = this.items;
        this.items = [];
        this.block(this.r.range(1, 4), 2);
        mov(0, this.r.chance(0.8) ? 0 : 1);
        this.emit(spec('exit'));
        this.funcs.push({ label: cb, body: this.items });
        this.items = saved;
        mov(1, this.r.range(0, 5));
        this.emit(spec('lddw'), { dst: 2, src: 4 }, cb);
        mov(3, this.r.imm32());
        this.emit(spec('call'), { imm: RAND_HELPER.loop });
        return;
      }
      case 1: {
        const onStack = this.r.chance(0.6);
        this.emit(spec('mov', true), { dst: 1, src: onStack ? 10 : 6 });
        const bad = this.r.chance(0.05);
        this.emit(spec('add', false), { dst: 1, imm: onStack ? (bad ? 8 : -this.r.range(8, 64)) : (bad ? MEM_SIZE : this.r.range(0, MEM_SIZE - 8)) });
        this.emit(spec('mov', true), { dst: 2, src: this.reg() });
        this.emit(spec('call'), { imm: RAND_HELPER.write });
        return;
      }
      case 2:
        if (this.cat === 'fault' || this.r.chance(0.2)) { this.emit(spec('mov', true), { dst: 1, src: this.reg() }); this.emit(spec('call'), { imm: RAND_HELPER.maybeFault }); }
        else { mov(1, this.r.imm32() | 1); this.emit(spec('call'), { imm: RAND_HELPER.maybeFault }); }
        return;
      case 3:
        if (this.progs > 0 && this.r.chance(0.5)) { mov(2, this.r.range(0, 3)); this.emit(spec('call'), { imm: RAND_HELPER.tail }); return; }
        this.emit(spec('mov', true), { dst: 1, src: this.reg() });
        this.emit(spec('call'), { imm: RAND_HELPER.print });
        return;
      case 4:
        this.emit(spec('mov', true), { dst: 8, src: this.reg() });
        this.emit(spec('mov', false), { dst: 8, imm: RAND_HELPER.ret1 });
        this.emit(spec('mov', true), { dst: 1, src: this.reg() });
        this.emit(spec('callx'), { dst: 8 });
        return;
      default:
        this.emit(spec('mov', true), { dst: 1, src: this.reg() });
        this.emit(spec('call'), { imm: RAND_HELPER.ret1 });
    }
  }

  /** The whole program: prologue, body, r0 = fold of registers, exit, then the functions. */
  program(units: number): Insn[] {
    this.emit(spec('mov', true), { dst: 6, src: 1 });
    for (const d of [0, 2, 3, 4, 5, 7, 8, 9]) {
      if (this.r.chance(0.3)) this.lddw();
      this.emit(spec('mov', false), { dst: d, imm: this.r.imm32() });
    }
    this.block(units, 0);
    for (const d of [2, 3, 4, 5, 8, 9]) this.emit(spec('xor', true), { dst: 0, src: d });
    this.emit(spec('exit'));
    for (let i = 0; i < this.funcs.length; i++) {
      const f = this.funcs[i];
      this.items.push({ insn: mkInsn(spec('ja'), { off: 0 }), label: f.label });
      this.items.push(...f.body);
    }
    return this.finish();
  }

  /** Drops label markers (binding labels to the next instruction), lays out, resolves targets. */
  finish(): Insn[] {
    const out: Item[] = [];
    const bind = new Map<number, number>();
    for (const it of this.items) {
      if (it.label !== undefined) { bind.set(it.label, out.length); continue; }
      out.push(it);
    }
    // A label at the very end needs an instruction to land on.
    if ([...bind.values()].some((v) => v >= out.length)) out.push({ insn: mkInsn(spec('exit')) });
    const insns = out.map((o) => o.insn);
    layout(insns);
    out.forEach((o) => {
      if (o.target === undefined) return;
      const t = insns[bind.get(o.target) ?? 0].pc;
      const rel = t - o.insn.pc - 1;
      const k = o.insn.spec.kind;
      if (k === 'ja' && !o.insn.spec.is64) o.insn.imm = rel;
      else if (k === 'call' || k === 'lddw') o.insn.imm = rel;
      else o.insn.off = rel;
    });
    return insns;
  }
}

/** Relative weights of unit kinds: alu, mem, cond jump, loop, call, lddw, div-by-zero, helper. */
const WEIGHTS: Record<RandCategory, number[]> = {
  alu: [10, 1, 1, 0, 0, 2, 1, 0],
  mem: [3, 8, 1, 0, 0, 1, 0, 0],
  jmp: [4, 1, 6, 1, 0, 1, 0, 0],
  loop: [4, 2, 2, 3, 0, 1, 0, 1],
  call: [4, 2, 2, 1, 3, 1, 0, 2],
  fault: [4, 4, 2, 1, 1, 1, 1, 1],
  budget: [3, 1, 1, 3, 1, 0, 0, 1],
};

/** A random program for `seed`; the same seed always gives the same program. */
export function randomProgram(seed: number, opts: RandOptions = {}): RandProgram {
  const r = new Rng(seed);
  const category = opts.category ?? RAND_CATEGORIES[r.int(RAND_CATEGORIES.length)];
  const nprogs = category === 'call' || category === 'budget' ? r.int(3) : 0;
  const g = new Gen(r, category, opts, nprogs);
  const insns = g.program(opts.units ?? r.range(12, 40));
  const programs: Insn[][] = [];
  for (let k = 0; k < nprogs; k++) programs.push(new Gen(r, category, opts, nprogs).program(r.range(3, 12)));
  const mem = new Uint8Array(MEM_SIZE);
  for (let i = 0; i < MEM_SIZE; i++) mem[i] = r.int(256);
  const out: RandProgram = { insns, programs, mem, category, seed };
  if (category === 'budget') out.budget = r.range(5, 2000);
  return out;
}

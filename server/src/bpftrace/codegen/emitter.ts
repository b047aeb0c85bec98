/**
 * Instruction builder for code generation: instructions from the one opcode
 * table (isa/), forward labels resolved when the probe is finished, and the
 * per-instruction source range (line table). Non-goal: register allocation
 * or optimisation (callers pick registers; see probe.ts for the conventions).
 * Code after an unconditional jump or exit is dropped until a label that a
 * kept jump refers to is bound (as LLVM drops it; the verifier refuses
 * unreachable instructions).
 */
import { type Insn, layout, mkInsn, splitImm64 } from '../../isa/insn';
import { type AluOp, type JmpOp, type OpSpec, PSEUDO, specFor } from '../../isa/opcodes';
import { helperId } from '../../isa/helpers';
import type { Range } from '../source';

export type Reg = number;
/** An operand: a register, or an immediate (32-bit signed). */
export type Opnd = { r: Reg } | { k: number };
export type Size = 1 | 2 | 4 | 8;

const SIZE_SUFFIX: Record<Size, string> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };

function spec(name: string, srcReg?: boolean): OpSpec {
  const s = specFor(name, srcReg);
  if (!s) throw new Error(`codegen: no instruction ${name}`); // a bug in codegen, never user input
  return s;
}

export function fitsImm32(v: bigint): boolean {
  return v >= -0x80000000n && v <= 0x7fffffffn;
}

export class Emitter {
  readonly insns: Insn[] = [];
  readonly lines: (Range | undefined)[] = [];
  /** Source range attached to the instructions emitted next. */
  cur: Range | undefined;
  private labels: number[] = [];
  /** Whether a kept jump refers to the label. */
  private used: boolean[] = [];
  private fixups: { insn: number; label: number }[] = [];
  /** No path reaches the next instruction: it is dropped. */
  private dead = false;

  private push(i: Insn): Insn {
    if (this.dead) return i;
    this.insns.push(i);
    this.lines.push(this.cur);
    return i;
  }

  private jumpTo(label: number, i: Insn): void {
    if (this.dead) return;
    this.fixups.push({ insn: this.insns.length, label });
    this.used[label] = true;
    this.push(i);
  }

  newLabel(): number {
    this.labels.push(-1);
    this.used.push(false);
    return this.labels.length - 1;
  }

  bind(label: number): void {
    this.labels[label] = this.insns.length;
    if (this.used[label]) this.dead = false;
  }

  alu(op: AluOp, dst: Reg, src: Opnd, is64 = true): void {
    const name = op + (is64 ? '' : '32');
    if ('r' in src) this.push(mkInsn(spec(name, true), { dst, src: src.r }));
    else this.push(mkInsn(spec(name, false), { dst, imm: src.k }));
  }

  neg(dst: Reg): void {
    this.push(mkInsn(spec('neg'), { dst }));
  }

  mov(dst: Reg, src: Reg): void {
    if (dst !== src) this.alu('mov', dst, { r: src });
  }

  /** dst = v (any 64-bit constant). */
  movi(dst: Reg, v: bigint | number): void {
    const b = BigInt.asIntN(64, BigInt(v));
    if (fitsImm32(b)) this.alu('mov', dst, { k: Number(b) });
    else if (b >= 0n && b <= 0xffffffffn) this.alu('mov', dst, { k: Number(BigInt.asIntN(32, b)) }, false);
    else {
      const { imm, imm2 } = splitImm64(b);
      this.push(mkInsn(spec('lddw'), { dst, imm, imm2 }));
    }
  }

  /** lddw src=4 instructions (index in insns) and the callback subprogram each loads (fixed up when the probe is linked). */
  readonly funcRefs: { insn: number; sub: number }[] = [];

  /** dst = address of callback subprogram `sub` (lddw src=4, BPF_PSEUDO_FUNC; imm set by link.ts). */
  ldFunc(dst: Reg, sub: number): void {
    if (this.dead) return;
    this.funcRefs.push({ insn: this.insns.length, sub });
    this.push(mkInsn(spec('lddw'), { dst, src: PSEUDO.FUNC, imm: 0, imm2: 0 }));
  }

  /** dst = address of maps[index] (pseudo map fd). */
  ldMap(dst: Reg, index: number): void {
    this.push(mkInsn(spec('lddw'), { dst, src: PSEUDO.MAP_FD, imm: index, imm2: 0 }));
  }

  /** dst = address `off` bytes into the value of maps[index] (lddw src=2, BPF_PSEUDO_MAP_VALUE: global data such as .rodata). */
  ldMapValue(dst: Reg, index: number, off: number): void {
    this.push(mkInsn(spec('lddw'), { dst, src: PSEUDO.MAP_VALUE, imm: index, imm2: off }));
  }

  ldx(size: Size, dst: Reg, src: Reg, off: number): void {
    this.push(mkInsn(spec('ldx' + SIZE_SUFFIX[size]), { dst, src, off }));
  }

  stx(size: Size, dst: Reg, off: number, src: Reg): void {
    this.push(mkInsn(spec('stx' + SIZE_SUFFIX[size]), { dst, src, off }));
  }

  st(size: Size, dst: Reg, off: number, imm: number): void {
    this.push(mkInsn(spec('st' + SIZE_SUFFIX[size]), { dst, off, imm }));
  }

  /** Conditional jump to a label. */
  jmp(op: JmpOp, dst: Reg, src: Opnd, label: number, is64 = true): void {
    const name = op + (is64 ? '' : '32');
    const i = 'r' in src ? mkInsn(spec(name, true), { dst, src: src.r }) : mkInsn(spec(name, false), { dst, imm: src.k });
    this.jumpTo(label, i);
  }

  ja(label: number): void {
    this.jumpTo(label, mkInsn(spec('ja')));
    this.dead = true;
  }

  call(helper: string): void {
    const id = helperId(helper);
    if (id === undefined) throw new Error(`codegen: unknown helper ${helper}`);
    this.push(mkInsn(spec('call'), { imm: id }));
  }

  exit(): void {
    this.push(mkInsn(spec('exit')));
    this.dead = true;
  }

  /** Reverses the byte order of the low `bits` of a register (`be` on a little-endian target). */
  byteSwap(r: Reg, bits: 16 | 32 | 64): void {
    this.push(mkInsn(spec(`be${bits}`), { dst: r, imm: bits }));
  }

  /** Sign- or zero-extends the low `bits` of a register to 64 bits. */
  extend(r: Reg, bits: number, signed: boolean): void {
    if (bits >= 64) return;
    if (!signed && bits === 32) { this.alu('mov', r, { r }, false); return; }
    this.alu('lsh', r, { k: 64 - bits });
    this.alu(signed ? 'arsh' : 'rsh', r, { k: 64 - bits });
  }

  /** Resolves jumps; returns diagnostics text for jumps out of range (none expected). */
  finish(): string | undefined {
    const total = layout(this.insns);
    for (const f of this.fixups) {
      const idx = this.labels[f.label];
      if (idx === undefined || idx < 0) return `unbound label ${f.label}`;
      const target = idx < this.insns.length ? this.insns[idx].pc : total;
      const ins = this.insns[f.insn];
      const off = target - (ins.pc + 1);
      if (off < -32768 || off > 32767) return 'jump out of range (program too large)';
      ins.off = off;
    }
    return undefined;
  }
}

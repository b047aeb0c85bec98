/**
 * The semantic instruction model: one `Insn` per instruction, with the spec from
 * the opcode table and its raw fields. `lddw` is one instruction of width two
 * (its upper 32 bits in `imm2`). Programs are arrays of `Insn` in slot order;
 * `pc` is the slot index, which is what jump offsets count.
 */
import { OpSpec, PSEUDO } from './opcodes';

export interface Insn {
  readonly spec: OpSpec;
  /** Slot index of this instruction in its program. */
  pc: number;
  dst: number;
  src: number;
  off: number;
  /** Signed 32-bit immediate (the low half for `lddw`). */
  imm: number;
  /** `lddw` only: the upper 32 bits, signed. */
  imm2?: number;
}

/** A diagnostic from decoding or encoding, located by instruction index. */
export interface IsaDiagnostic {
  /** Slot index of the faulty instruction. */
  pc: number;
  message: string;
}

export function width(insn: Insn): 1 | 2 {
  return insn.spec.kind === 'lddw' ? 2 : 1;
}

/** The 64-bit value of an `lddw`, unsigned. */
export function imm64(insn: Insn): bigint {
  const lo = BigInt(insn.imm >>> 0);
  const hi = BigInt((insn.imm2 ?? 0) >>> 0);
  return (hi << 32n) | lo;
}

/** Splits an unsigned or signed 64-bit value into the signed halves of an `lddw`. */
export function splitImm64(v: bigint): { imm: number; imm2: number } {
  const u = BigInt.asUintN(64, v);
  return { imm: Number(BigInt.asIntN(32, u & 0xffffffffn)), imm2: Number(BigInt.asIntN(32, u >> 32n)) };
}

/** Jump target slot of a jump instruction (`ja`, `ja32`, conditional jumps) or a local call. */
export function jumpTarget(insn: Insn): number | undefined {
  const k = insn.spec.kind;
  if (k === 'jcond') return insn.pc + 1 + insn.off;
  if (k === 'ja') return insn.pc + 1 + (insn.spec.is64 ? insn.off : insn.imm);
  if (k === 'call' && insn.spec.callKind === 'local') return insn.pc + 1 + insn.imm;
  if (k === 'lddw' && insn.src === PSEUDO.FUNC) return insn.pc + 1 + insn.imm;
  return undefined;
}

/** Builds an instruction; `pc` is fixed later by `layout`. */
export function mkInsn(spec: OpSpec, fields: Partial<Omit<Insn, 'spec'>> = {}): Insn {
  const insn: Insn = {
    spec,
    pc: fields.pc ?? 0,
    dst: fields.dst ?? 0,
    src: fields.src ?? (spec.srcIs ?? 0),
    off: fields.off ?? (spec.offIs ?? 0),
    imm: fields.imm ?? (spec.immIs ?? 0),
  };
  if (spec.kind === 'lddw') insn.imm2 = fields.imm2 ?? 0;
  return insn;
}

/** Assigns slot indices in order and returns the total slot count. */
export function layout(insns: Insn[]): number {
  let pc = 0;
  for (const i of insns) {
    i.pc = pc;
    pc += width(i);
  }
  return pc;
}

/** Maps every slot to the index in `insns` of the instruction starting there, or -1 for an lddw's second slot. */
export function slotIndex(insns: readonly Insn[]): Int32Array {
  const last = insns.length ? insns[insns.length - 1] : undefined;
  const n = last ? last.pc + width(last) : 0;
  const m = new Int32Array(n).fill(-1);
  insns.forEach((i, k) => { m[i.pc] = k; });
  return m;
}

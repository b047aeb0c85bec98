/**
 * Predecoding for the interpreter: every slot of every program in the run's
 * program set becomes a dense internal operation number plus its operands in
 * flat typed arrays (jump targets resolved to absolute slots), so the hot loop
 * is one switch over small integers. The internal numbers are computed from
 * the opcode table's semantic fields (kind, alu, jmp, size...), never from a
 * second mnemonic table. Non-goal: verification; bad slots become `INVALID`
 * with a message and fault only when executed.
 */
import { Insn, checkFields, jumpTarget, width } from '../isa';
import type { OpSpec } from '../isa/opcodes';

// Internal operation numbers (see opOf):
//   0..63    ALU: (is64 ? 0 : 32) + (X ? 16 : 0) + slot, slot = code >> 4 (add 0 .. arsh 12), sdiv 14, smod 15
//   64..68   movsx 8/16/32 -> 64, movsx 8/16 -> 32
//   69..77   byte swaps: 69 + (le 0 | be 3 | bswap 6) + (16: 0 | 32: 1 | 64: 2)
//   80..141  conditional jumps: 80 + (is64 ? 0 : 32) + (X ? 16 : 0) + (code >> 4)
//   142 ja, 143 call helper, 144 call local, 145 call kfunc, 146 callx, 147 exit, 148 lddw, 149 lddw second half
//   150..152 ldabs w/h/b, 153..155 ldind w/h/b, 156..159 ldx w/h/b/dw, 160..162 ldxs w/h/b
//   164..167 st w/h/b/dw, 168..171 stx w/h/b/dw, 172..181 atomic 64, 182..191 atomic 32
//     (atomic: add, or, and, xor, fetch add, fetch or, fetch and, fetch xor, xchg, cmpxchg)
//   192 invalid slot, 193 past the end of the program
export const OP_JA = 142;
export const OP_CALL = 143;
export const OP_CALL_LOCAL = 144;
export const OP_KFUNC = 145;
export const OP_CALLX = 146;
export const OP_EXIT = 147;
export const OP_LDDW = 148;
export const OP_LDDW_HI = 149;
export const OP_INVALID = 192;
export const OP_END = 193;

const SIZE_IDX: Record<number, number> = { 4: 0, 2: 1, 1: 2, 8: 3 };
const ATOMIC_IDX = ['add', 'or', 'and', 'xor'];

/** The internal operation number of a spec (undefined only for a spec the interpreter does not know: a bug). */
export function opOf(s: OpSpec): number | undefined {
  const x = s.srcReg ? 16 : 0;
  switch (s.kind) {
    case 'alu': {
      const base = (s.is64 ? 0 : 32) + x;
      if (s.alu === 'sdiv') return base + 14;
      if (s.alu === 'smod') return base + 15;
      if (s.alu === 'movsx') return (s.is64 ? 64 : 67) + ({ 1: 0, 2: 1, 4: 2 } as Record<number, number>)[s.size ?? 1];
      return base + (s.code >> 4);
    }
    case 'end':
      return 69 + ({ le: 0, be: 3, swap: 6 } as const)[s.endian ?? 'le'] + ({ 2: 0, 4: 1, 8: 2 } as Record<number, number>)[s.size ?? 2];
    case 'jcond':
      return 80 + (s.is64 ? 0 : 32) + x + (s.code >> 4);
    case 'ja': return OP_JA;
    case 'call': return s.callKind === 'local' ? OP_CALL_LOCAL : s.callKind === 'kfunc' ? OP_KFUNC : OP_CALL;
    case 'callx': return OP_CALLX;
    case 'exit': return OP_EXIT;
    case 'lddw': return OP_LDDW;
    case 'ldabs': return 150 + SIZE_IDX[s.size ?? 4];
    case 'ldind': return 153 + SIZE_IDX[s.size ?? 4];
    case 'ldx': return (s.signed ? 160 : 156) + SIZE_IDX[s.size ?? 4];
    case 'st': return 164 + SIZE_IDX[s.size ?? 4];
    case 'stx': return 168 + SIZE_IDX[s.size ?? 4];
    case 'atomic': {
      const base = s.is64 ? 172 : 182;
      if (s.atomic === 'xchg') return base + 8;
      if (s.atomic === 'cmpxchg') return base + 9;
      return base + ATOMIC_IDX.indexOf(s.atomic ?? 'add') + (s.fetch ? 4 : 0);
    }
  }
  return undefined;
}

export interface Code {
  /** Slots of all programs, each followed by one OP_END slot. */
  op: Uint8Array;
  dst: Uint8Array;
  src: Uint8Array;
  /** Memory offset, or the absolute target slot of a jump / local call. */
  off: Int32Array;
  /** Immediate (lddw: low half of the resolved value). */
  imm: Int32Array;
  /** lddw: high half of the resolved value. */
  imm2: Int32Array;
  /** First slot of each program; base[k+1] - 1 is program k's OP_END slot. */
  base: number[];
  /** Program index of each slot. */
  prog: Uint8Array | Uint16Array;
  /** Insn of each slot (undefined for invalid slots and lddw second halves). */
  insn: (Insn | undefined)[];
  /** op | dst << 8 | src << 16, off, imm, imm2 per slot (4 words a slot), built from the arrays above. */
  packed: Int32Array;
  /** Why an OP_INVALID slot is invalid. */
  why: Map<number, string>;
}

/** `lddw` values are resolved by the machine (maps, functions): value or an error message. */
export type LddwResolver = (insn: Insn, program: number) => bigint | string;

export function predecode(programs: readonly (readonly Insn[])[], lddw: LddwResolver): Code {
  const base: number[] = [];
  let total = 0;
  for (const p of programs) {
    base.push(total);
    const last = p.length ? p[p.length - 1] : undefined;
    total += (last ? last.pc + width(last) : 0) + 1;
  }
  base.push(total);
  const c: Code = {
    op: new Uint8Array(total).fill(OP_INVALID), dst: new Uint8Array(total), src: new Uint8Array(total),
    off: new Int32Array(total), imm: new Int32Array(total), imm2: new Int32Array(total), base,
    prog: programs.length < 256 ? new Uint8Array(total) : new Uint16Array(total),
    insn: new Array<Insn | undefined>(total).fill(undefined), why: new Map(), packed: new Int32Array(0),
  };
  programs.forEach((p, k) => {
    const b = base[k];
    const end = base[k + 1] - 1;
    c.prog.fill(k, b, end + 1);
    c.op[end] = OP_END;
    for (let s = b; s < end; s++) c.why.set(s, `invalid instruction at pc ${s - b}`);
    for (const insn of p) {
      const g = b + insn.pc;
      if (insn.pc < 0 || g >= end) continue;
      c.insn[g] = insn;
      c.why.delete(g);
      const bad = (msg: string) => { c.op[g] = OP_INVALID; c.why.set(g, msg); };
      const op = opOf(insn.spec);
      if (op === undefined) { bad(`the interpreter does not implement ${insn.spec.name}`); continue; }
      const msg = checkFields(insn.spec, insn);
      if (msg) { bad(msg); continue; }
      c.op[g] = op;
      c.dst[g] = insn.dst;
      c.src[g] = insn.src;
      c.off[g] = insn.off;
      c.imm[g] = insn.imm;
      const t = jumpTarget(insn);
      if (t !== undefined && insn.spec.kind !== 'lddw') {
        if (t < 0 || t >= end - b) { bad(`${insn.spec.name} at pc ${insn.pc} jumps to pc ${t}, outside the program (0..${end - b - 1})`); continue; }
        c.off[g] = b + t;
      }
      if (insn.spec.kind === 'lddw') {
        if (g + 1 >= end) { bad(`lddw at pc ${insn.pc} is missing its second slot`); continue; }
        const v = lddw(insn, k);
        if (typeof v === 'string') { bad(v); continue; }
        c.imm[g] = Number(v & 0xffffffffn) | 0;
        c.imm2[g] = Number(v >> 32n) | 0;
        c.op[g + 1] = OP_LDDW_HI;
        c.why.set(g + 1, `jump into the second half of the lddw at pc ${insn.pc}`);
      }
    }
  });
  c.packed = new Int32Array(total * 4);
  for (let g = 0; g < total; g++) {
    c.packed[4 * g] = c.op[g] | (c.dst[g] << 8) | (c.src[g] << 16);
    c.packed[4 * g + 1] = c.off[g];
    c.packed[4 * g + 2] = c.imm[g];
    c.packed[4 * g + 3] = c.imm2[g];
  }
  return c;
}

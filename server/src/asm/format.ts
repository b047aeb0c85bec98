/**
 * Prints one instruction in either syntax. The LLVM syntax matches
 * `llvm-objdump -d` of LLVM 14 (no `--mattr`) for every instruction LLVM 14
 * can print; the list below names the forms LLVM 14 cannot print or prints
 * ambiguously, where LLVM 18+ or kernel spellings are used instead.
 *
 * Deviations from llvm-objdump 14, all so that text -> bytes is unambiguous:
 * - local calls print `call pc+N` (LLVM 14 prints `call N`, the same as a
 *   helper call); kfunc calls print `call kfunc#ID` (`:OFF` when off != 0);
 * - `callx rN` names the dst register (the kernel's encoding; LLVM 14 reads imm);
 * - `lddw` with a pseudo source prints `map[fd:N]`, `map[fd:N][0]+OFF`,
 *   `btf[id:N]`, `func[+N]`, `map[idx:N]`, `map[idx:N][0]+OFF` instead of
 *   `ld_pseudo rD, SRC, IMM` (still used when those forms cannot carry imm2);
 * - `r0 = *(u32 *)skb[r1 + 4]` shows a non-zero ldind immediate (LLVM drops it);
 * - v4 forms LLVM 14 shows as `<unknown>` (or misreads) use later LLVM's text as in its
 *   BPFInstrInfo.td: `s/=`, `s%=`, `%=`, `(s8)`, `*(s16 *)`, `bswap64`, `gotol`; `if r1 & r2`
 *   and stores of an immediate (`*(u8 *)(r10 - 1) = 5`) follow the same pattern as the kernel's;
 * - 32-bit atomics other than `lock +=` use the `--mattr=+alu32` text (w registers,
 *   `w1 = atomic_fetch_add((u32 *)(r0 + 0), w1)`): plain llvm-objdump 14 shows them as
 *   `<unknown>` or, for fetch-add, misreads them as a plain `lock +=`.
 */
import { Insn, OpSpec, imm64 } from '../isa';
import { pseudoOperand, ldPseudoOperands } from './pseudo';
import { ALU_OPS, ATOMIC_OPS, JMP_OPS } from './select';
import type { FormatOptions } from './types';

type Labels = ReadonlyMap<number, string> | undefined;

function target(insn: Insn, rel: number, labels: Labels, pcPrefix = ''): string {
  const l = labels?.get(insn.pc + 1 + rel);
  if (l !== undefined) return l;
  return pcPrefix + (rel < 0 ? String(rel) : '+' + rel);
}

function sizeName(spec: OpSpec): string {
  return `${spec.signed ? 's' : 'u'}${(spec.size ?? 8) * 8}`;
}

function addr(reg: number, off: number): string {
  return `r${reg} ${off < 0 ? '-' : '+'} ${Math.abs(off)}`;
}

function formatLlvm(insn: Insn, labels: Labels): string {
  const s = insn.spec;
  const R = s.is64 ? 'r' : 'w';
  const d = insn.dst;
  switch (s.kind) {
    case 'alu':
      if (s.alu === 'neg') return `${R}${d} = -${R}${d}`;
      if (s.alu === 'movsx') return `${R}${d} = (s${(s.size ?? 1) * 8})${R}${insn.src}`;
      return `${R}${d} ${s.alu === 'mov' ? '=' : ALU_OPS[s.alu ?? '']} ${s.srcReg ? R + insn.src : insn.imm}`;
    case 'end':
      return `r${d} = ${s.endian === 'swap' ? 'bswap' : s.endian}${(s.size ?? 8) * 8} r${d}`;
    case 'jcond':
      return `if ${R}${d} ${JMP_OPS[s.jmp ?? '']} ${s.srcReg ? R + insn.src : insn.imm} goto ${target(insn, insn.off, labels)}`;
    case 'ja':
      return s.is64 ? `goto ${target(insn, insn.off, labels)}` : `gotol ${target(insn, insn.imm, labels)}`;
    case 'call':
      if (s.callKind === 'local') return `call ${target(insn, insn.imm, labels, 'pc')}`;
      if (s.callKind === 'kfunc') return `call kfunc#${insn.imm}${insn.off ? ':' + insn.off : ''}`;
      // A negative helper id prints unsigned: `call -1` means a local call awaiting relocation.
      return `call ${insn.imm < 0 ? insn.imm >>> 0 : insn.imm}`;
    case 'callx': return `callx r${d}`;
    case 'exit': return 'exit';
    case 'lddw': {
      if (insn.src === 0) return `r${d} = ${BigInt.asIntN(64, imm64(insn))} ll`;
      const p = pseudoOperand(insn, labels);
      return p !== undefined ? `r${d} = ${p}` : `ld_pseudo r${d}, ${ldPseudoOperands(insn)}`;
    }
    case 'ldabs': return `r0 = *(${sizeName(s)} *)skb[${insn.imm}]`;
    case 'ldind': {
      const k = insn.imm === 0 ? '' : insn.imm < 0 ? ` - ${-insn.imm}` : ` + ${insn.imm}`;
      return `r0 = *(${sizeName(s)} *)skb[r${insn.src}${k}]`;
    }
    case 'ldx': return `r${d} = *(${sizeName(s)} *)(${addr(insn.src, insn.off)})`;
    case 'st': return `*(${sizeName(s)} *)(${addr(d, insn.off)}) = ${insn.imm}`;
    case 'stx': return `*(${sizeName(s)} *)(${addr(d, insn.off)}) = r${insn.src}`;
    case 'atomic': {
      const a = addr(d, insn.off);
      const src = insn.src;
      // Plain llvm-objdump 14 prints a 32-bit `lock +=` with an r register and cannot print the other
      // 32-bit atomics at all; for those its --mattr=+alu32 text (w registers) is used.
      if (!s.fetch) return `lock *(${sizeName(s)} *)(${a}) ${ATOMIC_OPS[s.atomic ?? '']} ${s.is64 || s.atomic === 'add' ? 'r' : 'w'}${src}`;
      const W = s.is64 ? 'r' : 'w';
      const sfx = s.is64 ? '_64' : '32_32';
      if (s.atomic === 'xchg') return `${W}${src} = xchg${sfx}(${a}, ${W}${src})`;
      if (s.atomic === 'cmpxchg') return `${W}0 = cmpxchg${sfx}(${a}, ${W}0, ${W}${src})`;
      return `${W}${src} = atomic_fetch_${s.atomic}((${sizeName(s)} *)(${a}), ${W}${src})`;
    }
  }
}

function memC(reg: number, off: number): string {
  return `[%r${reg}${off < 0 ? '-' + Math.abs(off) : '+' + off}]`;
}

function formatConformance(insn: Insn, labels: Labels): string {
  const s = insn.spec;
  const d = insn.dst;
  switch (s.kind) {
    case 'alu':
      if (s.alu === 'neg') return `${s.name} %r${d}`;
      return `${s.name} %r${d}, ${s.srcReg ? '%r' + insn.src : insn.imm}`;
    case 'end': return `${s.name} %r${d}`;
    case 'jcond': return `${s.name} %r${d}, ${s.srcReg ? '%r' + insn.src : insn.imm}, ${target(insn, insn.off, labels)}`;
    case 'ja': return `${s.name} ${target(insn, s.is64 ? insn.off : insn.imm, labels)}`;
    case 'call':
      if (s.callKind === 'local') return `call local ${target(insn, insn.imm, labels)}`;
      if (s.callKind === 'kfunc') return `call kfunc ${insn.imm}${insn.off ? ', ' + insn.off : ''}`;
      return `call ${insn.imm}`;
    case 'callx': return `call %r${d}`;
    case 'exit': return 'exit';
    case 'lddw': {
      if (insn.src === 0) return `lddw %r${d}, 0x${imm64(insn).toString(16)}`;
      const p = pseudoOperand(insn, labels);
      return p !== undefined ? `lddw %r${d}, ${p}` : `ld_pseudo %r${d}, ${ldPseudoOperands(insn)}`;
    }
    case 'ldabs': return `${s.name} ${insn.imm}`;
    case 'ldind': return `${s.name} %r${insn.src}, ${insn.imm}`;
    case 'ldx': return `${s.name} %r${d}, ${memC(insn.src, insn.off)}`;
    case 'st': return `${s.name} ${memC(d, insn.off)}, ${insn.imm}`;
    case 'stx': case 'atomic': return `${s.name} ${memC(d, insn.off)}, %r${insn.src}`;
  }
}

/** One instruction as text, without a trailing newline. */
export function formatInsn(insn: Insn, opts: FormatOptions = {}): string {
  return (opts.syntax ?? 'llvm') === 'llvm' ? formatLlvm(insn, opts.labels) : formatConformance(insn, opts.labels);
}

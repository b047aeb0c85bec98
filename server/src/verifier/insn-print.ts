/**
 * Instructions as the kernel's verifier log prints them (kernel/bpf/disasm.c,
 * print_bpf_insn): `(bf) r2 = r10`, `(63) *(u32 *)(r10 -4) = r1`,
 * `(85) call bpf_map_lookup_elem#1`, `(15) if r0 == 0x0 goto pc+1`. Map
 * addresses are printed as a stable fake kernel address; a byte swap whose width
 * decodes to no instruction (`le17`) from its raw fields. Non-goal: kfunc names
 * beyond what the caller supplies.
 */
import { Insn, helperName, imm64 } from '../isa';

const ALU_STR: Record<string, string> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', sdiv: 's/=', or: '|=', and: '&=', lsh: '<<=', rsh: '>>=', mod: '%=', smod: 's%=',
  xor: '^=', mov: '=', arsh: 's>>=',
};
const JMP_STR: Record<string, string> = {
  jeq: '==', jgt: '>', jge: '>=', jset: '&', jne: '!=', jsgt: 's>', jsge: 's>=', jlt: '<', jle: '<=', jslt: 's<', jsle: 's<=',
};

function sz(size: number | undefined, signed?: boolean): string {
  return `${signed ? 's' : 'u'}${(size ?? 8) * 8}`;
}
function sgn(n: number): string { return n < 0 ? String(n) : '+' + n; }
function hex(n: number): string { return '0x' + (n >>> 0).toString(16); }

export interface InsnPrintOpts {
  /** Fake address for a map fd/value load; default 0xffff8881xxxx. */
  mapAddr?(insn: Insn): bigint | undefined;
  kfuncName?(insn: Insn): string | undefined;
  allowPtrLeaks?: boolean;
}

/** `(xx) text` for one instruction. */
export function printInsn(insn: Insn, opts: InsnPrintOpts = {}): string {
  const s = insn.spec;
  const code = '(' + s.code.toString(16).padStart(2, '0') + ') ';
  const R = s.is64 ? 'r' : 'w';
  const d = insn.dst;
  switch (s.kind) {
    case 'alu': {
      if (s.alu === 'neg') return `${code}${R}${d} = -${R}${d}`;
      if (s.alu === 'movsx') return `${code}${R}${d} = (s${(s.size ?? 1) * 8})${R}${insn.src}`;
      const op = ALU_STR[s.alu ?? ''] ?? '?';
      return `${code}${R}${d} ${op} ${s.srcReg ? R + insn.src : insn.imm}`;
    }
    case 'end':
      if (s.endian === 'swap') return `${code}r${d} = bswap${insn.imm} r${d}`;
      return `${code}r${d} = ${s.endian === 'be' ? 'be' : 'le'}${insn.imm} r${d}`;
    case 'jcond':
      return `${code}if ${R}${d} ${JMP_STR[s.jmp ?? '']} ${s.srcReg ? R + insn.src : hex(insn.imm)} goto pc${sgn(insn.off)}`;
    case 'ja':
      return s.is64 ? `${code}goto pc${sgn(insn.off)}` : `${code}gotol pc${sgn(insn.imm)}`;
    case 'call':
      if (s.callKind === 'local') return `${code}call pc${sgn(insn.imm)}`;
      // disasm_kfunc_name: the BTF type's name ('' for an id without one, e.g. 0).
      if (s.callKind === 'kfunc') return `${code}call ${opts.kfuncName?.(insn) ?? ''}#${insn.imm}`;
      // func_id_str: helper 0 is bpf_unspec.
      return `${code}call ${helperName(insn.imm) ?? (insn.imm === 0 ? 'bpf_unspec' : 'unknown')}#${insn.imm}`;
    case 'callx': return `${code}callx r${d}`;
    case 'exit': return `${code}exit`;
    case 'lddw': {
      let v = imm64(insn);
      if (insn.src === 1 || insn.src === 2 || insn.src === 5 || insn.src === 6) {
        v = opts.allowPtrLeaks === false ? 0n : opts.mapAddr?.(insn) ?? 0xffff888100000000n;
      }
      return `${code}r${d} = 0x${v.toString(16)}`;
    }
    case 'ldabs': return `${code}r0 = *(${sz(s.size)} *)skb[${insn.imm}]`;
    case 'ldind': return `${code}r0 = *(${sz(s.size)} *)skb[r${insn.src} + ${insn.imm}]`;
    case 'ldx': return `${code}r${d} = *(${sz(s.size, s.signed)} *)(r${insn.src} ${sgn(insn.off)})`;
    case 'st': return `${code}*(${sz(s.size)} *)(r${d} ${sgn(insn.off)}) = ${insn.imm}`;
    case 'stx': return `${code}*(${sz(s.size)} *)(r${d} ${sgn(insn.off)}) = r${insn.src}`;
    case 'atomic': {
      const a = `(r${d} ${sgn(insn.off)})`;
      const w = s.is64 ? '64' : '';
      if (!s.fetch) return `${code}lock *(${sz(s.size)} *)${a} ${ALU_STR[s.atomic ?? ''] ?? '?'} r${insn.src}`;
      if (s.atomic === 'xchg') return `${code}r${insn.src} = atomic${w}_xchg((${sz(s.size)} *)${a}, r${insn.src})`;
      if (s.atomic === 'cmpxchg') return `${code}r0 = atomic${w}_cmpxchg((${sz(s.size)} *)${a}, r0, r${insn.src})`;
      return `${code}r${insn.src} = atomic${w}_fetch_${s.atomic}((${sz(s.size)} *)${a}, r${insn.src})`;
    }
  }
}

/**
 * An instruction the decoder gives no spec for, as print_bpf_insn still prints it when its opcode
 * exists (the verifier then refuses it): a byte swap of another width, `(d4) r0 = le17 r0`
 * (`bswapN` for the ALU64 class). Undefined for anything else.
 */
export function printUndecoded(sl: { code: number; dst: number; imm: number }): string | undefined {
  const cls = sl.code & 7;
  if ((sl.code & 0xf0) !== 0xd0 || (cls !== 4 && cls !== 7)) return undefined;
  const kind = cls === 7 ? 'bswap' : sl.code & 8 ? 'be' : 'le';
  return `(${sl.code.toString(16).padStart(2, '0')}) r${sl.dst} = ${kind}${sl.imm} r${sl.dst}`;
}

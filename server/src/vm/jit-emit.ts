/**
 * JavaScript source for single BPF instructions, as the JIT pastes it into a
 * compiled program: ALU (both widths, both source forms), byte swaps,
 * conditional-jump conditions, loads, stores and atomics. Registers are int32
 * local pairs `rNl`/`rNh` (low/high halves); the semantics are RFC 9669's and
 * must equal interp.ts's bit for bit. Non-goal: control flow, calls and budget
 * accounting (jit.ts owns those).
 */
import type { Insn } from '../isa/insn';
import type { Width } from '../isa/opcodes';

/** A 64-bit operand as two JS int32 expressions (register names or literals). */
export interface Operand {
  l: string;
  h: string;
  /** Both halves are literals. */
  konst: boolean;
}

export function reg(n: number): Operand {
  return { l: `r${n}l`, h: `r${n}h`, konst: false };
}

/** A sign-extended 32-bit immediate as a 64-bit operand. */
export function immOp(imm: number): Operand {
  const l = imm | 0;
  return { l: lit(l), h: l < 0 ? '(-1)' : '0', konst: true };
}

/** A JS literal for an int32, parenthesized when negative (so `a-` + lit never reads as `a--`). */
export function lit(v: number): string {
  return v < 0 ? `(${v})` : String(v);
}

/** The source operand of an ALU/JMP instruction: the src register or the sign-extended immediate. */
export function srcOp(insn: Insn): Operand {
  return insn.spec.srcReg ? reg(insn.src) : immOp(insn.imm);
}

/** Where a fault leaves the generated code: a JS statement that returns from the program function. */
export interface FaultSink {
  /** Statement for a memory fault at this instruction; the address halves are in `ah`/`al`. */
  mem(size: number, write: boolean): string;
  /**
   * r10 always holds the current frame's stack top (no instruction writes it
   * and the run did not override it): [r10+off] inside the frame needs no check.
   */
  fixedR10: boolean;
}


/** 64-bit add of `a` and `b` into `d` (d may alias a or b). */
function add64(d: Operand, a: Operand, b: Operand): string {
  return `t0=(${a.l}+${b.l})|0;${d.h}=(${a.h}+${b.h}+(((${a.l}&${b.l})|((${a.l}|${b.l})&~t0))>>>31))|0;${d.l}=t0;`;
}

/** 64-bit subtraction a - b into d. */
function sub64(d: Operand, a: Operand, b: Operand): string {
  return `t0=(${a.l}-${b.l})|0;${d.h}=(${a.h}-${b.h}-(((~${a.l}&${b.l})|(~(${a.l}^${b.l})&t0))>>>31))|0;${d.l}=t0;`;
}

function shiftConst64(op: 'lsh' | 'rsh' | 'arsh', d: Operand, n: number): string {
  if (n === 0) return '';
  if (op === 'lsh') {
    return n < 32 ? `${d.h}=(${d.h}<<${n})|(${d.l}>>>${32 - n});${d.l}=${d.l}<<${n};`
      : `${d.h}=${d.l}<<${n - 32};${d.l}=0;`;
  }
  if (op === 'rsh') {
    return n < 32 ? `${d.l}=(${d.l}>>>${n})|(${d.h}<<${32 - n});${d.h}=(${d.h}>>>${n})|0;`
      : `${d.l}=(${d.h}>>>${n - 32})|0;${d.h}=0;`;
  }
  return n < 32 ? `${d.l}=(${d.l}>>>${n})|(${d.h}<<${32 - n});${d.h}=${d.h}>>${n};`
    : `${d.l}=${d.h}>>${n - 32};${d.h}=${d.h}>>31;`;
}

function shiftVar64(op: 'lsh' | 'rsh' | 'arsh', d: Operand, s: Operand): string {
  const body = op === 'lsh'
    ? `if(t1<32){${d.h}=(${d.h}<<t1)|(${d.l}>>>(32-t1));${d.l}=${d.l}<<t1;}else{${d.h}=${d.l}<<(t1-32);${d.l}=0;}`
    : op === 'rsh'
      ? `if(t1<32){${d.l}=(${d.l}>>>t1)|(${d.h}<<(32-t1));${d.h}=(${d.h}>>>t1)|0;}else{${d.l}=(${d.h}>>>(t1-32))|0;${d.h}=0;}`
      : `if(t1<32){${d.l}=(${d.l}>>>t1)|(${d.h}<<(32-t1));${d.h}=${d.h}>>t1;}else{${d.l}=${d.h}>>(t1-32);${d.h}=${d.h}>>31;}`;
  return `t1=${s.l}&63;if(t1!==0){${body}}`;
}

/** Byte swap of a 32-bit int expression held in a variable name. */
function bswap32(x: string): string {
  return `(((${x}&255)<<24)|((${x}&0xff00)<<8)|((${x}>>>8)&0xff00)|(${x}>>>24))`;
}

function aluCode(insn: Insn): string {
  const s = insn.spec;
  const d = reg(insn.dst);
  const op = s.alu;
  if (s.kind === 'end') {
    const bits = insn.imm;
    const swap = s.endian !== 'le';
    if (bits === 16) {
      return swap ? `${d.l}=((${d.l}&255)<<8)|((${d.l}>>>8)&255);${d.h}=0;` : `${d.l}=${d.l}&0xffff;${d.h}=0;`;
    }
    if (bits === 32) return swap ? `${d.l}=${bswap32(d.l)};${d.h}=0;` : `${d.h}=0;`;
    return swap ? `t0=${bswap32(d.l)};${d.l}=${bswap32(d.h)};${d.h}=t0;` : '';
  }
  if (s.is64) {
    const o = srcOp(insn);
    switch (op) {
      case 'add': return add64(d, d, o);
      case 'sub': return sub64(d, d, o);
      case 'mul':
        return `t0=Math.imul(${d.l},${o.l});${d.h}=(Math.imul(${d.h},${o.l})+Math.imul(${d.l},${o.h})+mulhu(${d.l},${o.l}))|0;${d.l}=t0;`;
      case 'div': case 'mod': case 'sdiv': case 'smod':
        return `${d.l}=${op}64(${d.l},${d.h},${o.l},${o.h});${d.h}=RH;`;
      case 'or': return `${d.l}|=${o.l};${d.h}|=${o.h};`;
      case 'and': return `${d.l}&=${o.l};${d.h}&=${o.h};`;
      case 'xor': return insn.spec.srcReg && insn.src === insn.dst ? `${d.l}=0;${d.h}=0;` : `${d.l}^=${o.l};${d.h}^=${o.h};`;
      case 'lsh': case 'rsh': case 'arsh':
        return insn.spec.srcReg ? shiftVar64(op, d, o) : shiftConst64(op, d, insn.imm & 63);
      case 'neg': return sub64(d, immOp(0), d);
      case 'mov': return insn.spec.srcReg && insn.src === insn.dst ? '' : `${d.l}=${o.l};${d.h}=${o.h};`;
      case 'movsx': {
        const w = (s.size ?? 4) * 8;
        const lo = w === 32 ? o.l : `(${o.l}<<${32 - w})>>${32 - w}`;
        return `${d.l}=${lo};${d.h}=${d.l}>>31;`;
      }
      default: return `/* unknown alu ${s.name} */`;
    }
  }
  // 32-bit: operate on the low halves, zero-extend the result.
  const o = insn.spec.srcReg ? `r${insn.src}l` : lit(insn.imm | 0);
  const z = `${d.h}=0;`;
  switch (op) {
    case 'add': return `${d.l}=(${d.l}+${o})|0;${z}`;
    case 'sub': return `${d.l}=(${d.l}-${o})|0;${z}`;
    case 'mul': return `${d.l}=Math.imul(${d.l},${o});${z}`;
    case 'div': return `${d.l}=${o}===0?0:(((${d.l}>>>0)/(${o}>>>0))|0);${z}`;
    case 'mod': return `${d.l}=${o}===0?${d.l}:(((${d.l}>>>0)%(${o}>>>0))|0);${z}`;
    case 'sdiv': return `${d.l}=${o}===0?0:((${d.l}/${o})|0);${z}`;
    case 'smod': return `${d.l}=${o}===0?${d.l}:((${d.l}%${o})|0);${z}`;
    case 'or': return `${d.l}|=${o};${z}`;
    case 'and': return `${d.l}&=${o};${z}`;
    case 'xor': return `${d.l}^=${o};${z}`;
    case 'lsh': return `${d.l}<<=${insn.spec.srcReg ? `${o}&31` : insn.imm & 31};${z}`;
    case 'rsh': return `${d.l}=(${d.l}>>>${insn.spec.srcReg ? `(${o}&31)` : insn.imm & 31})|0;${z}`;
    case 'arsh': return `${d.l}>>=${insn.spec.srcReg ? `${o}&31` : insn.imm & 31};${z}`;
    case 'neg': return `${d.l}=(-${d.l})|0;${z}`;
    case 'mov': return `${d.l}=${o};${z}`;
    case 'movsx': {
      const w = (s.size ?? 4) * 8;
      return `${d.l}=(${o}<<${32 - w})>>${32 - w};${z}`;
    }
    default: return `/* unknown alu32 ${s.name} */`;
  }
}

/** Code for an ALU or byte-swap instruction. */
export function emitAlu(insn: Insn): string {
  return aluCode(insn);
}

/** A JS boolean expression: is the conditional jump taken? */
export function emitCond(insn: Insn): string {
  const s = insn.spec;
  const j = s.jmp;
  if (!s.is64) {
    const a = `r${insn.dst}l`;
    const b = s.srcReg ? `r${insn.src}l` : lit(insn.imm | 0);
    switch (j) {
      case 'jeq': return `${a}===${b}`;
      case 'jne': return `${a}!==${b}`;
      case 'jset': return `(${a}&${b})!==0`;
      case 'jgt': return `(${a}>>>0)>(${b}>>>0)`;
      case 'jge': return `(${a}>>>0)>=(${b}>>>0)`;
      case 'jlt': return `(${a}>>>0)<(${b}>>>0)`;
      case 'jle': return `(${a}>>>0)<=(${b}>>>0)`;
      case 'jsgt': return `${a}>${b}`;
      case 'jsge': return `${a}>=${b}`;
      case 'jslt': return `${a}<${b}`;
      case 'jsle': return `${a}<=${b}`;
      default: return 'false';
    }
  }
  const a = reg(insn.dst);
  const b = srcOp(insn);
  const ul = (x: string) => `(${x}>>>0)`;
  const cmp = (hiOp: string, loOp: string, signed: boolean): string => {
    const ah = signed ? a.h : ul(a.h);
    const bh = signed ? b.h : ul(b.h);
    return `(${ah}${hiOp}${bh}||(${a.h}===${b.h}&&${ul(a.l)}${loOp}${ul(b.l)}))`;
  };
  switch (j) {
    case 'jeq': return `(${a.l}===${b.l}&&${a.h}===${b.h})`;
    case 'jne': return `(${a.l}!==${b.l}||${a.h}!==${b.h})`;
    case 'jset': return `((${a.l}&${b.l})!==0||(${a.h}&${b.h})!==0)`;
    case 'jgt': return cmp('>', '>', false);
    case 'jge': return cmp('>', '>=', false);
    case 'jlt': return cmp('<', '<', false);
    case 'jle': return cmp('<', '<=', false);
    case 'jsgt': return cmp('>', '>', true);
    case 'jsge': return cmp('>', '>=', true);
    case 'jslt': return cmp('<', '<', true);
    case 'jsle': return cmp('<', '<=', true);
    default: return 'false';
  }
}

/** Computes the address base+off into `al`/`ah`. */
function addrCode(base: number, off: number): string {
  if (off === 0) return `al=r${base}l;ah=r${base}h;`;
  return add64({ l: 'al', h: 'ah', konst: false }, reg(base), immOp(off));
}

/**
 * Resolves the address in `ah`/`al` for an access of `size` bytes into a
 * DataView `dv` and offset `o`: inline check against the current frame's stack
 * (`sh`, `sl`, `sdv`), then Memory.resolve. On a miss, the fault statement.
 */
function resolveCode(size: Width, write: boolean, sink: FaultSink): string {
  // Memory.resolve, then remember the region in the one-entry cache (ch, cl, cn, cdv, cw); helper calls clear it (cn = 0).
  const slow = `o=M.resolve(ah>>>0,al>>>0,${size});if(o<0${write ? '||!M.hit.writable' : ''}){${sink.mem(size, write)}}`
    + 'rg=M.hit;dv=cdv=rg.dv;ch=rg.baseHi|0;cl=rg.baseLo|0;cn=rg.bytes.byteLength;cw=rg.writable;';
  return `if(ah===sh&&(o=(al-sl)>>>0)<=${512 - size}){dv=sdv;}`
    + `else if(ah===ch&&(o=(al-cl)>>>0)<=cn-${size}${write ? '&&cw' : ''}){dv=cdv;}else{${slow}}`;
}

/** Where an access lands: the DataView and offset expressions, after `code` ran. */
interface Place { code: string; dv: string; o: string; o4: string }

/** Address computation and resolution for [base+off]; a frame-local r10 access resolves at compile time. */
function place(base: number, off: number, size: Width, write: boolean, sink: FaultSink): Place {
  if (base === 10 && sink.fixedR10 && off >= -512 && off + size <= 0) {
    return { code: '', dv: 'sdv', o: String(512 + off), o4: String(516 + off) };
  }
  return { code: addrCode(base, off) + resolveCode(size, write, sink), dv: 'dv', o: 'o', o4: 'o+4' };
}

function loadInto(d: string, size: Width, signed: boolean, p: Place): string {
  const { dv, o, o4 } = p;
  switch (size) {
    case 8: return `${d}l=${dv}.getInt32(${o},true);${d}h=${dv}.getInt32(${o4},true);`;
    case 4: return `${d}l=${dv}.getInt32(${o},true);${d}h=${signed ? `${d}l>>31` : '0'};`;
    case 2: return signed ? `${d}l=${dv}.getInt16(${o},true);${d}h=${d}l>>31;` : `${d}l=${dv}.getUint16(${o},true);${d}h=0;`;
    case 1: return signed ? `${d}l=${dv}.getInt8(${o});${d}h=${d}l>>31;` : `${d}l=${dv}.getUint8(${o});${d}h=0;`;
  }
}

function storeFrom(l: string, h: string, size: Width, p: Place): string {
  const { dv, o, o4 } = p;
  switch (size) {
    case 8: return `${dv}.setInt32(${o},${l},true);${dv}.setInt32(${o4},${h},true);`;
    case 4: return `${dv}.setInt32(${o},${l},true);`;
    case 2: return `${dv}.setInt16(${o},${l},true);`;
    case 1: return `${dv}.setInt8(${o},${l});`;
  }
}

/** ldx / ldxs: dst = *(size *)(src + off). */
export function emitLoad(insn: Insn, sink: FaultSink): string {
  const size = insn.spec.size ?? 8;
  const p = place(insn.src, insn.off, size, false, sink);
  return p.code + loadInto(`r${insn.dst}`, size, insn.spec.signed === true, p);
}

/** st / stx: *(size *)(dst + off) = imm or src. */
export function emitStore(insn: Insn, sink: FaultSink): string {
  const size = insn.spec.size ?? 8;
  const v = insn.spec.kind === 'st' ? immOp(insn.imm) : reg(insn.src);
  // Read the value before the address registers could change (they cannot: stores write no register).
  const p = place(insn.dst, insn.off, size, true, sink);
  return p.code + storeFrom(v.l, v.h, size, p);
}

/** Atomic read-modify-write on *(dst + off), 32- or 64-bit. */
export function emitAtomic(insn: Insn, sink: FaultSink): string {
  const s = insn.spec;
  const size: Width = s.is64 ? 8 : 4;
  const src = reg(insn.src);
  const p = place(insn.dst, insn.off, size, true, sink);
  let code = p.code;
  // Old value in t2 (low) / t3 (high).
  code += s.is64 ? `t2=${p.dv}.getInt32(${p.o},true);t3=${p.dv}.getInt32(${p.o4},true);` : `t2=${p.dv}.getInt32(${p.o},true);t3=0;`;
  const nl = 't4', nh = 't5';
  switch (s.atomic) {
    case 'add':
      code += s.is64 ? add64({ l: nl, h: nh, konst: false }, { l: 't2', h: 't3', konst: false }, src)
        : `${nl}=(t2+${src.l})|0;${nh}=0;`;
      break;
    case 'or': code += `${nl}=t2|${src.l};${nh}=t3|${s.is64 ? src.h : '0'};`; break;
    case 'and': code += `${nl}=t2&${src.l};${nh}=t3&${s.is64 ? src.h : '0'};`; break;
    case 'xor': code += `${nl}=t2^${src.l};${nh}=t3^${s.is64 ? src.h : '0'};`; break;
    case 'xchg': code += `${nl}=${src.l};${nh}=${src.h};`; break;
    case 'cmpxchg': break;
    default: return `/* unknown atomic ${s.name} */`;
  }
  if (s.atomic === 'cmpxchg') {
    const eq = s.is64 ? 'r0l===t2&&r0h===t3' : 'r0l===t2';
    code += `if(${eq}){${storeFrom(src.l, src.h, size, p)}}r0l=t2;r0h=t3;`;
    return code;
  }
  code += storeFrom(nl, nh, size, p);
  if (s.fetch) code += `${src.l}=t2;${src.h}=t3;`;
  return code;
}

/**
 * Parser for one instruction of the LLVM/kernel syntax, as printed by
 * `llvm-objdump -d` and `bpftool prog dump xlated`: `r1 = *(u64 *)(r10 - 8)`,
 * `if w1 s< w2 goto -2`, `lock *(u64 *)(r0 + 0) += r1`, `r0 = 0x1122 ll`,
 * `call bpf_map_lookup_elem#1`, `r1 = mymap ll` (a `.map` by name). Non-goal:
 * other symbolic relocations (global data, externs).
 */
import { PSEUDO, Width, helperId, splitImm64 } from '../isa';
import { Cursor, RegWidth } from './cursor';
import type { Tok } from './lexer';
import { Pending, pending } from './pending';
import { atPseudo, imm64Operand, mapSymbol, parseLdPseudo, parsePseudo } from './pseudo';
import { ALU_BY_OP, ATOMIC_BY_OP, JMP_BY_OP, sel } from './select';

const SIZES: Record<string, Width> = { u8: 1, u16: 2, u32: 4, u64: 8, s8: 1, s16: 2, s32: 4, s64: 8 };

/** Hints from the line prefix of a pasted dump. */
export interface LineHints { opcode?: number }

function noSpec(c: Cursor, t: Tok | undefined, what: string): undefined {
  if (t) return c.failAt(t, `no BPF instruction ${what}`);
  return c.fail(what);
}

/** `(rN OFF)` with OFF like `+ 8`, `-8`, `+0x10`, or nothing. */
function memAddr(c: Cursor, after: string): { reg: number; off: number } | undefined {
  if (!c.expect('(', after)) return undefined;
  const a = c.regOff('(');
  return a && c.expect(')', 'the address') ? a : undefined;
}

/** `(u64 *)` or `(s16 *)`; returns the size and signedness. */
function sizeCast(c: Cursor, after: string, signedOk: boolean): { size: Width; signed: boolean; tok: Tok } | undefined {
  if (!c.expect('(', after)) return undefined;
  const t = c.peek();
  const size = t ? SIZES[t.text] : undefined;
  if (!t || size === undefined || (!signedOk && t.text[0] === 's')) {
    return c.fail(signedOk ? 'a type (u8, u16, u32, u64, s8, s16, s32)' : 'a type (u8, u16, u32, u64)', '(');
  }
  c.i++;
  if (!c.expect('*', t.text) || !c.expect(')', '*')) return undefined;
  return { size, signed: t.text[0] === 's', tok: t };
}

/** A register of the given width that must equal `want` (for `r1 = -r1`, `r1 = be16 r1`). */
function sameReg(c: Cursor, want: number, w: RegWidth, after: string): boolean {
  const r = c.reg(after, [w]);
  if (!r) return false;
  if (r.n !== want) { c.failAt(r.tok, `expected ${w}${want} (the destination) after '${after}', found '${r.tok.text}'`); return false; }
  return true;
}

function parseCall(c: Cursor, kw: Tok): Pending | undefined {
  if (c.isReg()) {
    const r = c.reg('call', ['r']);
    const s = sel.callx();
    return r && s ? pending(s, { dst: r.n }) : undefined;
  }
  const t = c.peek();
  if (!t) return c.fail('a helper id, helper name or local call target', kw.text);
  if (t.text === 'pc') {
    const target = c.target('call');
    const s = sel.call('local');
    if (c.eat('#')) c.next(); // bpftool appends `#subprog_name`
    return target && s ? pending(s, { target }) : undefined;
  }
  if (c.isNum()) {
    const n = c.num('a helper id', 'call');
    if (!n) return undefined;
    if (n.v < -(1n << 31n) || n.v > 0xffffffffn) return c.failAt({ kind: 'num', text: '', s: n.s, e: n.e }, `call target ${n.v} does not fit in 32 bits`);
    const v = n.v < 0n ? Number(n.v) : Number(BigInt.asIntN(32, n.v));
    if (c.eat('#')) c.next();
    // Helper ids are never negative: `call -1` is llvm-objdump's text for a local call awaiting relocation.
    const s = sel.call(n.v < 0n ? 'local' : 'helper');
    return s ? pending(s, { imm: v }) : undefined;
  }
  if (t.kind === 'ident') {
    c.i++;
    if (t.text === 'kfunc' && c.is('#')) {
      c.i++;
      const imm = c.imm32('a BTF id', 'kfunc#');
      if (imm === undefined) return undefined;
      let off = 0;
      if (c.eat(':')) { const o = c.off16('a module BTF index', ':'); if (o === undefined) return undefined; off = o; }
      const s = sel.call('kfunc');
      return s ? pending(s, { imm, off }) : undefined;
    }
    if (c.eat('#')) {
      const n = c.imm32('a helper id', '#');
      if (n === undefined) return undefined;
      const known = helperId(t.text);
      const s = sel.call('helper');
      if (!s) return undefined;
      // bpftool's xlated dumps show the patched call address after `#`: the name decides.
      if (known !== undefined && known !== n) {
        const p = pending(s, { imm: known });
        p.warning = { message: `helper ${t.text} has id ${known}; the number after '#' (${n}) is ignored`, s: t.s, e: c.peek(-1)?.e ?? t.e };
        return p;
      }
      const p = pending(s, { imm: n });
      if (known === undefined) p.warning = { message: `unknown helper '${t.text}': calling id ${n} as given after '#'`, s: t.s, e: c.peek(-1)?.e ?? t.e };
      return p;
    }
    const s = sel.call('helper');
    return s ? pending(s, { callName: t }) : undefined;
  }
  return c.fail('a helper id, helper name or local call target', 'call');
}

function parseIf(c: Cursor): Pending | undefined {
  const d = c.reg('if');
  if (!d) return undefined;
  const opTok = c.next();
  const jop = opTok ? JMP_BY_OP.get(opTok.text) : undefined;
  if (!opTok || !jop) { if (opTok) c.i--; return c.fail('a comparison (==, !=, >, >=, <, <=, s>, s>=, s<, s<=, &)', d.tok.text); }
  const is64 = d.w === 'r';
  let p: Pending | undefined;
  if (c.isReg()) {
    const s = c.reg(opTok.text, [d.w]);
    const spec = sel.jmp(jop, is64, true);
    if (!s || !spec) return undefined;
    p = pending(spec, { dst: d.n, src: s.n });
  } else {
    const imm = c.imm32('a register or an immediate', opTok.text);
    const spec = sel.jmp(jop, is64, false);
    if (imm === undefined || !spec) return undefined;
    p = pending(spec, { dst: d.n, imm });
  }
  if (!c.expect('goto', 'the comparison')) return undefined;
  const target = c.target('goto');
  if (!target) return undefined;
  p.target = target;
  return p;
}

function parseStore(c: Cursor): Pending | undefined {
  const ty = sizeCast(c, '*', false);
  if (!ty) return undefined;
  const a = memAddr(c, `(${ty.tok.text} *)`);
  if (!a || !c.expect('=', 'the address')) return undefined;
  if (c.isReg()) {
    const s = c.reg('=');
    const spec = sel.stx(ty.size);
    return s && spec ? pending(spec, { dst: a.reg, src: s.n, off: a.off }) : undefined;
  }
  const imm = c.imm32('a register or an immediate', '=');
  const spec = sel.st(ty.size);
  return imm !== undefined && spec ? pending(spec, { dst: a.reg, off: a.off, imm }) : undefined;
}

function parseLock(c: Cursor): Pending | undefined {
  if (!c.expect('*', 'lock')) return undefined;
  const ty = sizeCast(c, '*', false);
  if (!ty) return undefined;
  if (ty.size !== 4 && ty.size !== 8) return c.failAt(ty.tok, `expected u32 or u64: atomic operations are 32 or 64 bits wide, found '${ty.tok.text}'`);
  const a = memAddr(c, `(${ty.tok.text} *)`);
  if (!a) return undefined;
  const opTok = c.next();
  const op = opTok ? ATOMIC_BY_OP.get(opTok.text) : undefined;
  if (!opTok || !op) { if (opTok) c.i--; return c.fail('an atomic operator (+=, |=, &=, ^=)', 'the address'); }
  const s = c.reg(opTok.text);
  const spec = sel.atomic(op, false, ty.size === 8);
  return s && spec ? pending(spec, { dst: a.reg, src: s.n, off: a.off }) : undefined;
}

/**
 * The kernel's (and bpftool's) spelling of xchg and cmpxchg:
 * `r1 = atomic64_xchg((u64 *)(r0 +0), r1)`, `r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)`.
 */
function kernelAtomic(c: Cursor, d: { n: number; w: RegWidth; tok: Tok }, t: Tok, op: string, wide: boolean): Pending | undefined {
  c.i++;
  if (!c.expect('(', t.text)) return undefined;
  const ty = sizeCast(c, '(', false);
  if (!ty) return undefined;
  if (ty.size !== (wide ? 8 : 4)) return c.failAt(ty.tok, `expected ${wide ? 'u64' : 'u32'} for ${t.text}, found '${ty.tok.text}'`);
  return exchangeTail(c, d, t, op, wide, memAddr(c, `(${ty.tok.text} *)`));
}

/** The rest of xchg / cmpxchg after the address: `, rS)` or `, r0, rS)`. */
function exchangeTail(c: Cursor, d: { n: number; w: RegWidth; tok: Tok }, t: Tok, op: string, wide: boolean,
  a: { reg: number; off: number } | undefined): Pending | undefined {
  if (!a || !c.expect(',', 'the address')) return undefined;
  const spec = sel.atomic(op, true, wide);
  if (!spec) return undefined;
  if (op === 'cmpxchg') {
    if (d.n !== 0) return c.failAt(d.tok, `${t.text} always writes r0: expected ${d.w}0 before '=', found '${d.tok.text}'`);
    if (!sameReg(c, 0, d.w, ',') || !c.expect(',', 'r0')) return undefined;
    const s = c.reg(',');
    if (!s || !c.expect(')', 'the register')) return undefined;
    return pending(spec, { dst: a.reg, src: s.n, off: a.off });
  }
  if (!sameReg(c, d.n, d.w, ',') || !c.expect(')', 'the register')) return undefined;
  return pending(spec, { dst: a.reg, src: d.n, off: a.off });
}

/** After `rD =` or `wD =`. */
function parseAssign(c: Cursor, d: { n: number; w: RegWidth; tok: Tok }, hints: LineHints): Pending | undefined {
  const is64 = d.w === 'r';
  const t = c.peek();
  if (!t) return c.fail('a value', '=');
  // r0 = -r0
  if (t.text === '-' && c.isReg(1)) {
    c.i++;
    const spec = sel.alu('neg', is64, false);
    return sameReg(c, d.n, d.w, '-') && spec ? pending(spec, { dst: d.n }) : undefined;
  }
  // r0 = (s8)r1
  if (t.text === '(' && /^s(8|16|32)$/.test(c.peek(1)?.text ?? '') && c.is(')', 2)) {
    const bits = Number(c.peek(1)!.text.slice(1));
    const castTok = c.peek(1)!;
    c.i += 3;
    const spec = sel.movsx(bits, is64);
    if (!spec) return c.failAt(castTok, `no sign-extending move from s${bits} into a ${is64 ? 64 : 32}-bit register`);
    const s = c.reg(`(s${bits})`, [d.w]);
    return s ? pending(spec, { dst: d.n, src: s.n }) : undefined;
  }
  if (t.kind === 'ident') {
    const m = /^(be|le|bswap)(16|32|64)$/.exec(t.text);
    if (m) {
      c.i++;
      const spec = sel.end(m[1] === 'bswap' ? 'swap' : m[1], Number(m[2]));
      return spec && sameReg(c, d.n, d.w, t.text) ? pending(spec, { dst: d.n }) : undefined;
    }
    const af = /^atomic(?:64)?_fetch_(add|or|and|xor)$/.exec(t.text);
    if (af) {
      c.i++;
      if (!c.expect('(', t.text)) return undefined;
      const ty = sizeCast(c, '(', false);
      if (!ty) return undefined;
      if (ty.size !== 4 && ty.size !== 8) return c.failAt(ty.tok, `expected u32 or u64 for ${t.text}, found '${ty.tok.text}'`);
      const a = memAddr(c, `(${ty.tok.text} *)`);
      if (!a || !c.expect(',', 'the address')) return undefined;
      if (!sameReg(c, d.n, d.w, ',') || !c.expect(')', 'the register')) return undefined;
      const spec = sel.atomic(af[1], true, ty.size === 8);
      return spec ? pending(spec, { dst: a.reg, src: d.n, off: a.off }) : undefined;
    }
    const ka = /^atomic(64)?_(xchg|cmpxchg)$/.exec(t.text);
    if (ka) return kernelAtomic(c, d, t, ka[2], ka[1] === '64');
    const xc = /^(xchg|cmpxchg)(_64|32_32)$/.exec(t.text);
    if (xc) {
      c.i++;
      const is64op = xc[2] === '_64';
      if (!c.expect('(', t.text)) return undefined;
      return exchangeTail(c, d, t, xc[1], is64op, c.regOff('('));
    }
    if (c.is('ll', 1) && /^[A-Za-z_.$][\w.$]*$/.test(t.text)) {
      if (!is64) return c.failAt(d.tok, `expected a 64-bit register (r0-r10) for a map load, found '${d.tok.text}'`);
      return mapSymbol(c, d.n);
    }
    if (atPseudo(c)) {
      if (!is64) return c.failAt(d.tok, `expected a 64-bit register (r0-r10) for a 64-bit load, found '${d.tok.text}'`);
      return parsePseudo(c, d.n);
    }
  }
  // Loads: *(u32 *)(r1 + 4), *(s16 *)(r1 + 2), *(u8 *)skb[12], *(u16 *)skb[r1 + 4]
  if (t.text === '*') {
    c.i++;
    const ty = sizeCast(c, '*', true);
    if (!ty) return undefined;
    if (c.peek()?.text === 'skb') {
      const skb = c.next()!;
      if (d.n !== 0 || d.w !== 'r') return c.failAt(d.tok, `legacy packet loads always write r0, found '${d.tok.text}'`);
      if (ty.signed || ty.size === 8) return c.failAt(ty.tok, `expected u8, u16 or u32 for a packet load, found '${ty.tok.text}'`);
      if (!c.expect('[', skb.text)) return undefined;
      if (c.isReg()) {
        const s = c.reg('[', ['r']);
        if (!s) return undefined;
        let imm = 0;
        if (c.is('+') || c.is('-')) {
          const neg = c.is('-');
          c.i++;
          const v = c.imm32('an offset', s.tok.text);
          if (v === undefined) return undefined;
          imm = neg ? -v | 0 : v;
        }
        if (!c.expect(']', 'the offset')) return undefined;
        const spec = sel.ldind(ty.size);
        return spec ? pending(spec, { src: s.n, imm }) : undefined;
      }
      const imm = c.imm32('a packet offset', '[');
      if (imm === undefined || !c.expect(']', 'the offset')) return undefined;
      const spec = sel.ldabs(ty.size);
      return spec ? pending(spec, { imm }) : undefined;
    }
    const a = memAddr(c, `(${ty.tok.text} *)`);
    if (!a) return undefined;
    const spec = sel.ldx(ty.size, ty.signed);
    if (!spec) return noSpec(c, ty.tok, `loads ${ty.tok.text}`);
    return pending(spec, { dst: d.n, src: a.reg, off: a.off });
  }
  if (c.isReg()) {
    const s = c.reg('=', [d.w]);
    const spec = sel.alu('mov', is64, true);
    return s && spec ? pending(spec, { dst: d.n, src: s.n }) : undefined;
  }
  if (c.isNum()) {
    const save = c.i;
    const n = c.num('a number', '=');
    if (!n) return undefined;
    const ll = c.peek()?.text === 'll';
    const wantLddw = ll || hints.opcode === sel.lddw()?.code || (is64 && (n.v < -(1n << 31n) || n.v > 0x7fffffffn));
    if (wantLddw) {
      if (!is64) return c.failAt(d.tok, `expected a 64-bit register (r0-r10) for a 64-bit immediate, found '${d.tok.text}'`);
      c.i = save;
      const v = imm64Operand(c, '=');
      if (v === undefined) return undefined;
      if (ll) c.i++;
      const spec = sel.lddw();
      return spec ? pending(spec, { dst: d.n, src: PSEUDO.IMM, ...splitImm64(v) }) : undefined;
    }
    c.i = save;
    const imm = c.imm32('an immediate', '=');
    const spec = sel.alu('mov', is64, false);
    return imm !== undefined && spec ? pending(spec, { dst: d.n, imm }) : undefined;
  }
  return c.fail('a register, a number, a load or an operation', '=');
}

/** Parses one LLVM-syntax instruction from the cursor; on failure `c.err` says why. */
export function parseLlvm(c: Cursor, hints: LineHints = {}): Pending | undefined {
  const t = c.peek();
  if (!t) return undefined;
  let p: Pending | undefined;
  if (t.kind === 'ident' && !c.isReg()) {
    c.i++;
    switch (t.text) {
      case 'exit': { const s = sel.exit(); p = s && pending(s); break; }
      case 'goto': case 'gotol': case 'ja': {
        const target = c.target(t.text);
        const s = sel.ja(t.text !== 'gotol');
        p = target && s ? pending(s, { target }) : undefined;
        break;
      }
      case 'call': p = parseCall(c, t); break;
      case 'callx': {
        const r = c.reg('callx', ['r']);
        const s = sel.callx();
        p = r && s ? pending(s, { dst: r.n }) : undefined;
        break;
      }
      case 'if': p = parseIf(c); break;
      case 'lock': p = parseLock(c); break;
      case 'ld_pseudo': {
        const r = c.reg('ld_pseudo', ['r']);
        p = r && parseLdPseudo(c, r.n);
        break;
      }
      default:
        c.i--;
        return c.fail('an instruction (a register assignment, if, goto, call, exit, lock or a store)');
    }
  } else if (t.text === '*') {
    c.i++;
    p = parseStore(c);
  } else if (c.isReg()) {
    const d = c.reg();
    if (!d) return c.fail('an instruction (a register assignment, if, goto, call, exit, lock or a store)');
    const opTok = c.next();
    if (!opTok) return c.fail("'=' or an operator like '+='", d.tok.text);
    if (opTok.text === '=') p = parseAssign(c, d, hints);
    else {
      const op = ALU_BY_OP.get(opTok.text);
      if (!op) { c.i--; return c.fail("'=' or an operator like '+='", d.tok.text); }
      const is64 = d.w === 'r';
      if (c.isReg()) {
        const s = c.reg(opTok.text, [d.w]);
        const spec = sel.alu(op, is64, true);
        p = s && spec ? pending(spec, { dst: d.n, src: s.n }) : undefined;
      } else {
        const imm = c.imm32('a register or an immediate', opTok.text);
        const spec = sel.alu(op, is64, false);
        p = imm !== undefined && spec ? pending(spec, { dst: d.n, imm }) : undefined;
      }
    }
  } else {
    return c.fail('an instruction');
  }
  if (!p || c.err) return undefined;
  // llvm-objdump annotates jumps with the target symbol: `goto +4 <LBB0_2>`.
  if (c.is('<') && (p.spec.kind === 'jcond' || p.spec.kind === 'ja' || p.spec.kind === 'call')) {
    while (!c.atEnd() && !c.is('>')) c.i++;
    c.eat('>');
  }
  if (!c.end()) return undefined;
  return p;
}

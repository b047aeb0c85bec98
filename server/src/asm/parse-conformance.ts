/**
 * Parser for one instruction of the bpf_conformance suite's mnemonic syntax:
 * `mov %r0, 1`, `ldxdw %r0, [%r1+8]`, `jeq %r1, 0, +3`, `lock fetch add32
 * [%r10-8], %r1`, `call local f`. Mnemonics are the opcode table's `name`
 * fields; `swap16`..`swap64` are accepted as the suite's aliases of `bswapN`.
 */
import { OpSpec, PSEUDO, specsByName, splitImm64 } from '../isa';
import { Cursor } from './cursor';
import type { Tok } from './lexer';
import { Pending, pending } from './pending';
import { atPseudo, imm64Operand, parseLdPseudo, parsePseudo } from './pseudo';
import { sel } from './select';

const REG: ['r'] = ['r'];

/** `[%rN+OFF]`, `[%rN-OFF]` or `[%rN]`. */
function mem(c: Cursor, after: string): { reg: number; off: number } | undefined {
  if (!c.expect('[', after)) return undefined;
  const a = c.regOff('[');
  return a && c.expect(']', 'the address') ? a : undefined;
}

function comma(c: Cursor, after: string): boolean {
  return c.expect(',', after);
}

function parseCall(c: Cursor): Pending | undefined {
  if (c.isReg()) {
    const r = c.reg('call', REG);
    const s = sel.callx();
    return r && s ? pending(s, { dst: r.n }) : undefined;
  }
  const t = c.peek();
  if (t?.text === 'local') {
    c.i++;
    const target = c.target('call local');
    const s = sel.call('local');
    return target && s ? pending(s, { target }) : undefined;
  }
  if (t?.text === 'kfunc' || t?.text === 'runtime') {
    c.i++;
    const imm = c.imm32('a BTF id', `call ${t.text}`);
    if (imm === undefined) return undefined;
    let off = 0;
    if (c.eat(',')) { const o = c.off16('a module BTF index', ','); if (o === undefined) return undefined; off = o; }
    const s = sel.call('kfunc');
    return s ? pending(s, { imm, off }) : undefined;
  }
  if (t?.text === 'helper') c.i++;
  const s = sel.call('helper');
  if (!s) return undefined;
  if (c.isNum()) {
    const imm = c.imm32('a helper id', 'call');
    return imm === undefined ? undefined : pending(s, { imm });
  }
  const n = c.peek();
  if (n && n.kind === 'ident') { c.i++; return pending(s, { callName: n }); }
  return c.fail("a helper id, a helper name, 'local LABEL' or a register", 'call');
}

function parseLock(c: Cursor, kw: Tok): Pending | undefined {
  const fetch = c.eat('fetch');
  const opTok = c.next();
  const m = opTok ? /^(add|or|and|xor|xchg|cmpxchg)(32)?$/.exec(opTok.text) : null;
  if (!opTok || !m) {
    if (opTok) c.i--;
    return c.fail('an atomic operation (add, or, and, xor, xchg, cmpxchg, with 32 for 32-bit)', fetch ? 'lock fetch' : kw.text);
  }
  const always = m[1] === 'xchg' || m[1] === 'cmpxchg';
  const spec = sel.atomic(m[1], fetch || always, !m[2]);
  if (!spec) return undefined;
  const a = mem(c, opTok.text);
  if (!a || !comma(c, 'the address')) return undefined;
  const s = c.reg(',', REG);
  return s ? pending(spec, { dst: a.reg, src: s.n, off: a.off }) : undefined;
}

/** `%rD, %rS` or `%rD, IMM`, picking the register or immediate form among `specs`. */
function dstAndSource(c: Cursor, name: string, specs: readonly OpSpec[], mnTok: Tok): Pending | undefined {
  const d = c.reg(name, REG);
  if (!d || !comma(c, d.tok.text)) return undefined;
  if (c.isReg()) {
    const spec = specs.find((x) => x.srcReg);
    if (!spec) return c.failAt(mnTok, `${name} takes no register source`);
    const s = c.reg(',', REG);
    return s ? pending(spec, { dst: d.n, src: s.n }) : undefined;
  }
  const spec = specs.find((x) => !x.srcReg);
  if (!spec) return c.fail('a register (r0-r10)', ',');
  const imm = c.imm32('a register or an immediate', ',');
  return imm === undefined ? undefined : pending(spec, { dst: d.n, imm });
}

/** Operands of a table mnemonic, chosen by the spec's kind. */
function operands(c: Cursor, name: string, specs: readonly OpSpec[], mnTok: Tok): Pending | undefined {
  const s0 = specs[0];
  switch (s0.kind) {
    case 'alu': {
      if (s0.alu === 'neg') {
        const d = c.reg(name, REG);
        return d ? pending(s0, { dst: d.n }) : undefined;
      }
      return dstAndSource(c, name, specs, mnTok);
    }
    case 'end': {
      const d = c.reg(name, REG);
      return d ? pending(s0, { dst: d.n }) : undefined;
    }
    case 'jcond': {
      const p = dstAndSource(c, name, specs, mnTok);
      if (!p || !comma(c, 'the comparison operand')) return undefined;
      const target = c.target(',');
      if (!target) return undefined;
      p.target = target;
      return p;
    }
    case 'ja': {
      const target = c.target(name);
      return target ? pending(s0, { target }) : undefined;
    }
    case 'exit': return pending(s0);
    case 'callx': {
      const r = c.reg(name, REG);
      return r ? pending(s0, { dst: r.n }) : undefined;
    }
    case 'lddw': {
      const d = c.reg(name, REG);
      if (!d || !comma(c, d.tok.text)) return undefined;
      if (atPseudo(c)) return parsePseudo(c, d.n);
      const v = imm64Operand(c, ',');
      return v === undefined ? undefined : pending(s0, { dst: d.n, src: PSEUDO.IMM, ...splitImm64(v) });
    }
    case 'ldabs': {
      const imm = c.imm32('a packet offset', name);
      return imm === undefined ? undefined : pending(s0, { imm });
    }
    case 'ldind': {
      const s = c.reg(name, REG);
      if (!s || !comma(c, s.tok.text)) return undefined;
      const imm = c.imm32('a packet offset', ',');
      return imm === undefined ? undefined : pending(s0, { src: s.n, imm });
    }
    case 'ldx': {
      const d = c.reg(name, REG);
      if (!d || !comma(c, d.tok.text)) return undefined;
      const a = mem(c, ',');
      return a ? pending(s0, { dst: d.n, src: a.reg, off: a.off }) : undefined;
    }
    case 'st': {
      const a = mem(c, name);
      if (!a || !comma(c, 'the address')) return undefined;
      const imm = c.imm32('an immediate', ',');
      return imm === undefined ? undefined : pending(s0, { dst: a.reg, off: a.off, imm });
    }
    case 'stx': case 'atomic': {
      const a = mem(c, name);
      if (!a || !comma(c, 'the address')) return undefined;
      const s = c.reg(',', REG);
      return s ? pending(s0, { dst: a.reg, src: s.n, off: a.off }) : undefined;
    }
    case 'call': return parseCall(c);
  }
}

/** Parses one conformance-syntax instruction; on failure `c.err` says why. */
export function parseConformance(c: Cursor): Pending | undefined {
  const t = c.next();
  if (!t) return undefined;
  if (t.kind !== 'ident') { c.i--; return c.fail('a mnemonic'); }
  let p: Pending | undefined;
  if (t.text === 'lock') p = parseLock(c, t);
  else if (t.text === 'call') p = parseCall(c);
  else if (t.text === 'ld_pseudo') {
    const r = c.reg('ld_pseudo', REG);
    p = r && parseLdPseudo(c, r.n);
  } else {
    const name = /^swap(16|32|64)$/.test(t.text) ? 'b' + t.text : t.text;
    const specs = specsByName(name);
    if (specs.length === 0) return c.failAt(t, `unknown mnemonic '${t.text}'`);
    p = operands(c, t.text, specs, t);
  }
  if (!p || c.err) return undefined;
  if (!c.end()) return undefined;
  return p;
}

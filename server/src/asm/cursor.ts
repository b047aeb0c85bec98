/**
 * A cursor over one line's tokens with the operand readers both syntax parsers
 * share (registers, numbers, jump targets). Readers return undefined and record
 * one located error saying what was expected and what was found.
 */
import { LineError, Tok } from './lexer';

export type RegWidth = 'r' | 'w';

/** A jump target as written: a relative slot offset or a label. */
export type Target = { rel: number; tok: Tok } | { label: string; tok: Tok };

export class Cursor {
  i = 0;
  err: LineError | undefined;
  constructor(readonly toks: Tok[], readonly lineLen: number) {}

  peek(k = 0): Tok | undefined { return this.toks[this.i + k]; }
  atEnd(): boolean { return this.i >= this.toks.length; }
  next(): Tok | undefined { return this.toks[this.i++]; }
  /** True (and advances) when the next token's text is `text`. */
  eat(text: string): boolean {
    const t = this.toks[this.i];
    if (t && t.text === text) { this.i++; return true; }
    return false;
  }
  is(text: string, k = 0): boolean { return this.toks[this.i + k]?.text === text; }

  /** Records an error at the current token (or the end of the line) unless one is already recorded. */
  fail(expected: string, after?: string): undefined {
    if (this.err) return undefined;
    const t = this.toks[this.i];
    const where = after ? ` after '${after}'` : '';
    if (t) this.err = { message: `expected ${expected}${where}, found '${t.text}'`, s: t.s, e: t.e };
    else {
      const last = this.toks[this.toks.length - 1];
      const at = last ? last.e : 0;
      this.err = { message: `expected ${expected}${where}, found the end of the line`, s: at, e: Math.max(at, this.lineLen) };
    }
    return undefined;
  }
  failAt(t: Tok, message: string): undefined {
    if (!this.err) this.err = { message, s: t.s, e: t.e };
    return undefined;
  }
  expect(text: string, after?: string): boolean {
    if (this.eat(text)) return true;
    this.fail(`'${text}'`, after);
    return false;
  }
  end(after?: string): boolean {
    if (this.atEnd()) return true;
    const t = this.toks[this.i];
    this.failAt(t, `unexpected '${t.text}'${after ? ` after '${after}'` : ''}: expected the end of the instruction`);
    return false;
  }

  /** A register `r0`..`r10` / `w0`..`w10`, with an optional `%` prefix. */
  reg(after?: string, widths: readonly RegWidth[] = ['r', 'w']): { n: number; w: RegWidth; tok: Tok } | undefined {
    const t = this.toks[this.i];
    const what = widths.length === 1 ? `a register (${widths[0]}0-${widths[0]}10)` : 'a register (r0-r10)';
    if (!t || t.kind !== 'ident') return this.fail(what, after);
    const m = /^%?([rw])(\d+)$/.exec(t.text);
    if (!m || !widths.includes(m[1] as RegWidth) || Number(m[2]) > 10 || (m[2].length > 1 && m[2][0] === '0')) return this.fail(what, after);
    this.i++;
    return { n: Number(m[2]), w: m[1] as RegWidth, tok: t };
  }
  isReg(k = 0): boolean {
    const t = this.toks[this.i + k];
    return !!t && t.kind === 'ident' && /^%?[rw]\d+$/.test(t.text);
  }

  /** An address `rN`, `rN + OFF` or `rN -OFF` (64-bit register, s16 offset). */
  regOff(after: string): { reg: number; off: number } | undefined {
    const r = this.reg(after, ['r']);
    if (!r) return undefined;
    if (!this.is('+') && !this.is('-')) return { reg: r.n, off: 0 };
    const off = this.off16('an offset', r.tok.text);
    return off === undefined ? undefined : { reg: r.n, off };
  }

  /** A signed number with optional sign: decimal or 0x hex. Returns a bigint and the covering range. */
  num(what: string, after?: string): { v: bigint; s: number; e: number } | undefined {
    const start = this.i;
    let neg = false;
    if (this.is('-')) { neg = true; this.i++; } else if (this.is('+')) this.i++;
    const t = this.toks[this.i];
    if (!t || t.kind !== 'num') { this.i = start; return this.fail(what, after); }
    const v = parseNum(t.text);
    if (v === undefined) { this.i = start; return this.fail(what, after); }
    this.i++;
    return { v: neg ? -v : v, s: this.toks[start].s, e: t.e };
  }
  isNum(k = 0): boolean {
    const t = this.toks[this.i + k];
    if (!t) return false;
    if (t.kind === 'num') return true;
    return (t.text === '-' || t.text === '+') && this.toks[this.i + k + 1]?.kind === 'num';
  }

  /** A 32-bit immediate: s32, or u32 written in any base (stored as its s32 bit pattern). */
  imm32(what: string, after?: string): number | undefined {
    const n = this.num(what, after);
    if (!n) return undefined;
    if (n.v < -(1n << 31n) || n.v >= (1n << 32n)) {
      if (!this.err) this.err = { message: `${what} ${n.v} does not fit in 32 bits (range -2147483648..4294967295)`, s: n.s, e: n.e };
      return undefined;
    }
    return Number(BigInt.asIntN(32, n.v));
  }

  /** A 16-bit signed offset (the `off` field). */
  off16(what: string, after?: string): number | undefined {
    const n = this.num(what, after);
    if (!n) return undefined;
    if (n.v < -32768n || n.v > 32767n) {
      if (!this.err) this.err = { message: `${what} ${n.v} does not fit in a signed 16-bit offset (-32768..32767)`, s: n.s, e: n.e };
      return undefined;
    }
    return Number(n.v);
  }

  /** A jump target: `+N`, `-N`, `pc+N`, `pc-N`, a label, or `<label>`. */
  target(after?: string): Target | undefined {
    const t = this.toks[this.i];
    if (!t) return this.fail('a jump target (+N, -N or a label)', after);
    if (t.kind === 'ident' && t.text === 'pc' && (this.is('+', 1) || this.is('-', 1))) {
      this.i++;
      const n = this.num('a jump offset', after);
      return n ? { rel: Number(n.v), tok: { ...t, e: n.e } } : undefined;
    }
    if (t.text === '+' || t.text === '-' || t.kind === 'num') {
      const n = this.num('a jump offset', after);
      return n ? { rel: Number(n.v), tok: { kind: 'num', text: '', s: n.s, e: n.e } } : undefined;
    }
    if (t.text === '<' && this.toks[this.i + 1]?.kind === 'ident' && this.is('>', 2)) {
      const id = this.toks[this.i + 1];
      this.i += 3;
      return { label: id.text, tok: id };
    }
    if (t.kind === 'ident' && !/^%/.test(t.text)) { this.i++; return { label: t.text, tok: t }; }
    return this.fail('a jump target (+N, -N or a label)', after);
  }
}

/** Parses a decimal or 0x-hex literal; undefined when malformed. */
export function parseNum(text: string): bigint | undefined {
  const hex = text.length > 2 && text.charCodeAt(0) === 48 && (text[1] === 'x' || text[1] === 'X');
  for (let i = hex ? 2 : 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (hex && ((c >= 65 && c <= 70) || (c >= 97 && c <= 102)));
    if (!ok) return undefined;
  }
  if (!hex && text.length < 16) return BigInt(Number(text));
  return BigInt(text);
}

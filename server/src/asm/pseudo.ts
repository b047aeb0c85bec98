/**
 * Readable operands of `lddw` with a pseudo source (src 1..6), shared by both
 * syntaxes: `map[fd:3]`, `map[fd:3][0]+8`, `btf[id:7]`, `func[+5]`, `map[idx:0]`,
 * `map[idx:0][0]+8`, maps by their `.map` name (`map[NAME]`, `map[NAME][0]+8`,
 * clang's `NAME ll`), and the catch-all `ld_pseudo r1, SRC, IMM64` that
 * llvm-objdump 14 prints. bpftool's `map[id:N]` is read as a map fd operand.
 */
import { Insn, PSEUDO, imm64, splitImm64 } from '../isa';
import { Cursor } from './cursor';
import { sel } from './select';
import { Pending, pending } from './pending';

/** Text of the pseudo operand, or undefined when only `ld_pseudo` can express the fields. */
export function pseudoOperand(insn: Insn, labels?: ReadonlyMap<number, string>): string | undefined {
  const imm2 = insn.imm2 ?? 0;
  switch (insn.src) {
    case PSEUDO.MAP_FD: return imm2 === 0 ? `map[fd:${insn.imm}]` : undefined;
    case PSEUDO.MAP_VALUE: return `map[fd:${insn.imm}][0]+${imm2 >>> 0}`;
    case PSEUDO.BTF_ID: return imm2 === 0 ? `btf[id:${insn.imm}]` : undefined;
    case PSEUDO.FUNC: {
      if (imm2 !== 0) return undefined;
      const l = labels?.get(insn.pc + 1 + insn.imm);
      return l !== undefined ? `func[${l}]` : `func[${insn.imm < 0 ? '' : '+'}${insn.imm}]`;
    }
    case PSEUDO.MAP_IDX: return imm2 === 0 ? `map[idx:${insn.imm}]` : undefined;
    case PSEUDO.MAP_IDX_VALUE: return `map[idx:${insn.imm}][0]+${imm2 >>> 0}`;
    default: return undefined;
  }
}

/** `ld_pseudo` operands after the register: `SRC, IMM64`. */
export function ldPseudoOperands(insn: Insn): string {
  const v = imm64(insn);
  return `${insn.src}, ${insn.imm2 ? '0x' + v.toString(16) : String(insn.imm)}`;
}

/** True when the cursor is at a pseudo operand (`map[`, `btf[`, `func[`). */
export function atPseudo(c: Cursor): boolean {
  const t = c.peek();
  return !!t && (t.text === 'map' || t.text === 'btf' || t.text === 'func') && c.is('[', 1);
}

/** Parses a pseudo operand for destination register `dst`. */
export function parsePseudo(c: Cursor, dst: number): Pending | undefined {
  const spec = sel.lddw();
  if (!spec) return undefined;
  const kw = c.next();
  if (!kw) return c.fail('map[...], btf[...] or func[...]');
  c.expect('[', kw.text);
  if (kw.text === 'func') {
    const target = c.target('func[');
    if (!target || !c.expect(']', 'the function')) return undefined;
    return pending(spec, { dst, src: PSEUDO.FUNC, target });
  }
  if (kw.text === 'map' && c.peek()?.kind === 'ident' && c.is(']', 1)) return mapByName(c, dst);
  const key = c.next();
  const keys = kw.text === 'map' ? ['fd', 'id', 'idx'] : ['id'];
  if (!key || !keys.includes(key.text)) {
    if (key) c.i--;
    return c.fail(keys.map((k) => `'${k}:'`).join(' or '), `${kw.text}[`);
  }
  if (!c.expect(':', key.text)) return undefined;
  const imm = c.imm32('a number', `${key.text}:`);
  if (imm === undefined || !c.expect(']', 'the number')) return undefined;
  if (kw.text === 'btf') return pending(spec, { dst, src: PSEUDO.BTF_ID, imm });
  const byIdx = key.text === 'idx';
  if (c.is('[')) {
    const off = valueOffset(c);
    return off === undefined ? undefined : pending(spec, { dst, src: byIdx ? PSEUDO.MAP_IDX_VALUE : PSEUDO.MAP_VALUE, imm, imm2: off });
  }
  return pending(spec, { dst, src: byIdx ? PSEUDO.MAP_IDX : PSEUDO.MAP_FD, imm });
}

/** `[0]+OFFSET` after a map operand: the value offset as a signed 32-bit field. */
function valueOffset(c: Cursor): number | undefined {
  c.expect('[');
  const z = c.num("'0'", '[');
  if (!z) return undefined;
  if (z.v !== 0n) return c.failAt({ kind: 'num', text: '', s: z.s, e: z.e }, 'expected [0]: a map value is addressed as map[...][0]+OFFSET');
  if (!c.expect(']', '[0') || !c.expect('+', '[0]')) return undefined;
  const n = c.num('a value offset', '+');
  if (!n) return undefined;
  if (n.v < 0n || n.v >= 1n << 32n) return c.failAt({ kind: 'num', text: '', s: n.s, e: n.e }, `value offset ${n.v} does not fit in 32 bits`);
  return Number(BigInt.asIntN(32, n.v));
}

/** `map[NAME]` or `map[NAME][0]+OFFSET` after `map[`: a `.map` declaration resolved by the driver. */
function mapByName(c: Cursor, dst: number): Pending | undefined {
  const spec = sel.lddw();
  const name = c.next();
  if (!spec || !name || !c.expect(']', name.text)) return undefined;
  if (!c.is('[')) return pending(spec, { dst, src: PSEUDO.MAP_FD, mapRef: name });
  const off = valueOffset(c);
  return off === undefined ? undefined : pending(spec, { dst, src: PSEUDO.MAP_VALUE, imm2: off, mapRef: name });
}

/** `NAME ll` (clang -S's spelling of a map load), at NAME: a `.map` declaration resolved by the driver. */
export function mapSymbol(c: Cursor, dst: number): Pending | undefined {
  const spec = sel.lddw();
  const name = c.next();
  c.eat('ll');
  return spec && name ? pending(spec, { dst, src: PSEUDO.MAP_FD, mapRef: name }) : undefined;
}

/** `ld_pseudo REG, SRC, IMM64` after the mnemonic (the register is read by the caller). */
export function parseLdPseudo(c: Cursor, dst: number): Pending | undefined {
  const spec = sel.lddw();
  if (!spec || !c.expect(',', 'the register')) return undefined;
  const src = c.num('a pseudo source (0-6)', ',');
  if (!src) return undefined;
  if (src.v < 0n || src.v > 6n) return c.failAt({ kind: 'num', text: '', s: src.s, e: src.e }, `pseudo source ${src.v} is not defined (0-6)`);
  if (!c.expect(',', 'the pseudo source')) return undefined;
  const v = imm64Operand(c, ',');
  if (v === undefined) return undefined;
  const { imm, imm2 } = splitImm64(v);
  return pending(spec, { dst, src: Number(src.v), imm, imm2 });
}

/** A 64-bit immediate: -2^63 .. 2^64-1. */
export function imm64Operand(c: Cursor, after: string): bigint | undefined {
  const n = c.num('a 64-bit number', after);
  if (!n) return undefined;
  if (n.v < -(1n << 63n) || n.v >= 1n << 64n) {
    return c.failAt({ kind: 'num', text: '', s: n.s, e: n.e }, `${n.v} does not fit in 64 bits`);
  }
  return n.v;
}

/**
 * bpftrace's integer rules, per era: literal types (int64 before 0.25; from
 * 0.25 the smallest signed type that holds the value, "sign flexible" when
 * non-negative), the result types of arithmetic and comparisons, and type
 * promotion when a variable, map key or map value is assigned again
 * (sizes grow, strings take the longer size). Non-goal: diagnostics wording
 * outside the integer rules (typecheck-expr.ts).
 */
import { BOOL, IntBits, S64, SType, U64 } from './types';

/**
 * Literal types whose sign may follow the other operand (non-negative
 * literals, 0.25+): one shared object per size, recognised by identity (a
 * copy is an ordinary, fixed type). Nobody mutates STypes.
 */
const FLEX: Record<IntBits, SType> = {
  8: { k: 'int', bits: 8, signed: true },
  16: { k: 'int', bits: 16, signed: true },
  32: { k: 'int', bits: 32, signed: true },
  64: { k: 'int', bits: 64, signed: true },
};

export function isFlexible(t: SType): boolean {
  return t.k === 'int' && FLEX[t.bits] === t;
}

/** The flexible literal type of a size. */
export function flexible(bits: IntBits): SType {
  return FLEX[bits];
}

/** A copy of `t` without the flexible mark. */
export function fixed(t: SType): SType {
  return isFlexible(t) ? { ...t } : t;
}

const I64_MAX = (1n << 63n) - 1n;

/** The type of an integer literal with value `v` for the era (`typed`: 0.25+ literal typing). */
export function literalType(v: bigint, typed: boolean): SType {
  if (!typed) return v > I64_MAX ? U64 : S64;
  if (v > I64_MAX) return U64;
  const bits: IntBits = v <= 127n ? 8 : v <= 32767n ? 16 : v <= 2147483647n ? 32 : 64;
  return flexible(bits);
}

/** The smallest signed type holding a (negative) value, 0.25+. */
export function signedLiteralType(v: bigint): SType {
  const bits: IntBits = v >= -128n && v <= 127n ? 8 : v >= -32768n && v <= 32767n ? 16 : v >= -2147483648n && v <= 2147483647n ? 32 : 64;
  return { k: 'int', bits, signed: true };
}

export const COMPARISONS = new Set(['==', '!=', '<', '>', '<=', '>=']);

/** The result of an integer binary operation (both operands ints or bools). */
export function intBinop(op: string, l: SType, r: SType, typed: boolean): SType {
  const ls = l.k === 'int' && l.signed;
  const rs = r.k === 'int' && r.signed;
  if (!typed) {
    // 0.17: everything is 64-bit; signed only when both sides are (shifts: the left side).
    const signed = op === '<<' || op === '>>' ? ls : ls && rs;
    return signed ? S64 : U64;
  }
  if (COMPARISONS.has(op) || op === '&&' || op === '||') return BOOL;
  if (l.k === 'bool' && r.k === 'bool') return BOOL;
  if (op === '<<' || op === '>>') return ls ? S64 : U64;
  let lsign = ls;
  let rsign = rs;
  if (isFlexible(l) && !isFlexible(r)) lsign = rs;
  else if (isFlexible(r) && !isFlexible(l)) rsign = ls;
  const signed = lsign || rsign || op === '-';
  return signed ? S64 : U64;
}

/** Whether an operation mixes signs in a way bpftrace warns about (0.17 wording). */
export function mixedSigns(l: SType, r: SType, lLiteralNonNeg: boolean, rLiteralNonNeg: boolean): boolean {
  if (l.k !== 'int' || r.k !== 'int' || l.signed === r.signed) return false;
  if (l.signed && lLiteralNonNeg) return false;
  if (r.signed && rLiteralNonNeg) return false;
  return true;
}

/** The flexible literal type of `t`'s size when both promoted types were flexible. */
function mark(t: SType & { k: 'int' }, bothFlex: boolean): SType {
  return bothFlex && t.signed ? flexible(t.bits) : t;
}

/** bpftrace's promotion of two integer types (map values, variables, ternary branches; 0.25+). */
export function promoteInt(cur: SType & { k: 'int' }, nw: SType & { k: 'int' }): SType {
  const cf = isFlexible(cur);
  const nf = isFlexible(nw);
  const bothFlex = cf && nf;
  if (cur.signed !== nw.signed) {
    if (cf || nf) {
      const signed = (!cf && cur.signed) || (!nf && nw.signed);
      return mark({ k: 'int', bits: Math.max(cur.bits, nw.bits) as IntBits, signed }, bothFlex);
    }
    if (cur.signed && cur.bits > nw.bits) return { k: 'int', bits: cur.bits, signed: true };
    if (nw.signed && nw.bits > cur.bits) return { k: 'int', bits: nw.bits, signed: true };
    const bits = Math.max(cur.bits, nw.bits) * 2;
    return { k: 'int', bits: bits > 64 ? 64 : (bits as IntBits), signed: true };
  }
  if (!cf && cur.bits >= nw.bits) return cur;
  return mark({ k: 'int', bits: Math.max(cur.bits, nw.bits) as IntBits, signed: cur.signed }, bothFlex);
}

/**
 * The type that holds both `cur` (what a variable/map/key has) and `nw` (what
 * is assigned now), or undefined when they do not fit together. `typed`
 * selects 0.25+ integer promotion; before, ints keep the first type (maps
 * store ints as 64-bit anyway) and only strings grow.
 */
export function promote(cur: SType, nw: SType, typed: boolean): SType | undefined {
  if (cur.k === 'none' || cur === nw) return nw;
  if (nw.k === 'none') return cur;
  if (cur.k === 'int' && nw.k === 'int') {
    if (!typed) return cur;
    return promoteInt(cur, nw);
  }
  if (cur.k !== nw.k) return undefined;
  switch (cur.k) {
    case 'string':
      return { k: 'string', size: Math.max(cur.size, (nw as typeof cur).size) };
    case 'buffer':
      return cur.size === (nw as typeof cur).size ? cur : { k: 'buffer', size: Math.max(cur.size, (nw as typeof cur).size) };
    case 'tuple': {
      const n = nw as typeof cur;
      if (n.elems.length !== cur.elems.length) return undefined;
      const elems: SType[] = [];
      for (let i = 0; i < cur.elems.length; i++) {
        const p = promote(cur.elems[i], n.elems[i], typed);
        if (p === undefined) return undefined;
        elems.push(p);
      }
      return { k: 'tuple', elems };
    }
    case 'record': {
      const n = nw as typeof cur;
      if (n.fields.length !== cur.fields.length) return undefined;
      const fields: { name: string; type: SType }[] = [];
      for (const f of cur.fields) {
        const o = n.fields.find((x) => x.name === f.name);
        const p = o && promote(f.type, o.type, typed);
        if (p === undefined) return undefined;
        fields.push({ name: f.name, type: p });
      }
      return { k: 'record', fields };
    }
    case 'ptr': {
      const n = nw as typeof cur;
      if (n.to.k === 'none' || cur.to.k === 'none') return cur;
      const p = promote(cur.to, n.to, typed);
      return p === undefined ? undefined : { k: 'ptr', to: p, ...(cur.user ? { user: true } : {}) };
    }
    case 'cstruct':
      return cur.name === (nw as typeof cur).name ? cur : undefined;
    case 'array': {
      const n = nw as typeof cur;
      return n.len === cur.len && promote(cur.elem, n.elem, typed) !== undefined ? cur : undefined;
    }
    case 'special':
      return cur.kind === (nw as typeof cur).kind ? cur : undefined;
    case 'agg': {
      const n = nw as typeof cur;
      if (cur.fn !== n.fn) return undefined;
      return cur.signed || !n.signed ? cur : { ...cur, signed: true };
    }
    default:
      return cur;
  }
}

/**
 * Types of expressions for code generation: the type checker's answer when it
 * has one, else a small fallback (literals, builtins, arithmetic) so code can
 * still be generated for untyped or partially typed trees. Non-goal: type
 * checking — diagnostics and inference rules belong to typecheck.
 */
import type * as A from '../ast';
import { BUILTINS } from '../builtins';
import { S64, U64, U32, type SType, intType } from '../types';
import type { TypeInfoLike } from './model';
import { literalBytes } from './expr';
import { getoptType } from './getopt';

const STRLEN = 64;

/** bpftrace's builtin type name ('uint32', 'string[16]', 'kstack') as an SType. */
export function parseTypeName(n: string): SType | undefined {
  const m = /^(u?)int(8|16|32|64)$/.exec(n);
  if (m) return intType(Number(m[2]) as 8 | 16 | 32 | 64, m[1] !== 'u');
  const s = /^string(?:\[(\d+)\])?$/.exec(n);
  if (s) return { k: 'string', size: s[1] ? Number(s[1]) : STRLEN };
  if (n === 'kstack' || n === 'ustack') return { k: 'special', kind: n, size: 8 };
  if (n === 'bool') return { k: 'bool' };
  return undefined;
}

export class Typer {
  /** Types of variables seen in assignments (fallback). */
  readonly varTypes = new Map<string, SType>();
  /** Value types of maps seen in assignments (fallback). */
  readonly mapTypes = new Map<string, { key: SType[]; value: SType }>();

  constructor(readonly info: TypeInfoLike) {}

  of(e: A.Expr): SType {
    const t = this.info.exprs.get(e);
    if (t && typeof t.k === 'string' && t.k !== 'none') return t;
    return this.fallback(e);
  }

  mapType(name: string): { key: SType[]; value: SType } | undefined {
    return this.info.maps.get(name) ?? this.mapTypes.get(name);
  }

  private fallback(e: A.Expr): SType {
    switch (e.kind) {
      case 'Int': return S64;
      case 'Bool': return { k: 'bool' };
      case 'Str': return { k: 'string', size: Math.min(literalBytes(e.value).length + 1, 200) };
      case 'Builtin': {
        if (/^arg\d+$/.test(e.name) || e.name === 'retval' || e.name === 'ctx' || e.name === 'args') return U64;
        if (e.name === 'curtask') return U64;
        if (e.name === 'func' || e.name === 'probe') return { k: 'string', size: STRLEN };
        const b = BUILTINS[e.name];
        return (b && parseTypeName(b.type)) ?? U64;
      }
      case 'Var': {
        const v = this.info.vars.get(e);
        return v && v.k !== 'none' ? v : this.varTypes.get(e.name) ?? S64;
      }
      case 'Map': case 'MapAccess': {
        const name = e.kind === 'Map' ? e.name : e.map.name;
        const m = this.mapType(name);
        if (m && m.value.k === 'agg') return m.value.fn === 'count' || !m.value.signed ? U64 : S64;
        return m?.value ?? S64;
      }
      case 'Binary': {
        if (['==', '!=', '<', '>', '<=', '>=', '&&', '||'].includes(e.op)) return U64;
        const l = this.of(e.left);
        const r = this.of(e.right);
        const signed = (l.k === 'int' && l.signed) || (r.k === 'int' && r.signed);
        return signed ? S64 : U64;
      }
      case 'Unary': return e.op === '!' ? U64 : this.of(e.operand).k === 'int' ? this.of(e.operand) : S64;
      case 'Ternary': return this.of(e.else);
      case 'Tuple': return { k: 'tuple', elems: e.elems.map((x) => this.of(x)) };
      case 'Call': return this.callType(e);
      case 'Param': return S64;
      case 'Sizeof': return U64;
      default: return S64;
    }
  }

  private callType(e: A.Call): SType {
    switch (e.name) {
      case 'str': return { k: 'string', size: STRLEN };
      case 'getopt': return getoptType(e);
      case 'ksym': return { k: 'special', kind: 'ksym', size: 8 };
      case 'usym': return { k: 'special', kind: 'usym', size: 16 };
      case 'kstack': return { k: 'special', kind: 'kstack', size: 8 };
      case 'ustack': return { k: 'special', kind: 'ustack', size: 8 };
      case 'count': case 'sum': case 'avg': case 'min': case 'max': case 'stats': case 'hist': case 'lhist': {
        const a = e.args[0];
        const signed = a ? (this.of(a).k === 'int' && (this.of(a) as { signed: boolean }).signed) : false;
        return { k: 'agg', fn: e.name, signed };
      }
      case 'cgroupid': case 'kaddr': case 'uaddr': case 'reg': case 'bswap': return U64;
      case 'strncmp': case 'strcontains': return U64;
      case 'nsecs': return U64;
      case 'pid': case 'tid': return U32;
      default: return { k: 'none' };
    }
  }
}

/**
 * The matching rules of CO-RE as libbpf applies them: essential names
 * (`___flavor` dropped), kind compatibility, field and type compatibility, a
 * TYPE_MATCHES (libbpf's stricter shape check), the target's essential-name index,
 * and name suggestions for failure messages. Pure functions over two BTFs.
 */
import { KIND } from '../btf/format';
import type { Btf } from '../btf/types';
import { nearestName } from '../util/suggest';

const MAX_DEPTH = 64;

/** libbpf's essential name: the name without a trailing `___flavor`. */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return name.slice(0, i + 1);
  }
  return name;
}

export const isComposite = (btf: Btf, id: number): boolean => btf.kind(id) === KIND.STRUCT || btf.kind(id) === KIND.UNION;
export const isEnum = (btf: Btf, id: number): boolean => btf.kind(id) === KIND.ENUM || btf.kind(id) === KIND.ENUM64;

export function kindsCompat(a: Btf, aid: number, b: Btf, bid: number): boolean {
  return a.kind(aid) === b.kind(bid) || (isEnum(a, aid) && isEnum(b, bid));
}

function namesMatch(a: string, b: string): boolean {
  return essentialName(a) === essentialName(b);
}

function intOffset(btf: Btf, id: number): number {
  const t = btf.typeAs(id, KIND.INT);
  return t === undefined ? 0 : t.bitOffset;
}

/** libbpf's field compatibility (types of matched members). */
export function fieldsCompat(lb: Btf, lid: number, tb: Btf, tid: number): boolean {
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    lid = lb.resolve(lid);
    tid = tb.resolve(tid);
    if (isComposite(lb, lid) && isComposite(tb, tid)) return true;
    if (!kindsCompat(lb, lid, tb, tid)) return false;
    switch (lb.kind(lid)) {
      case KIND.PTR: case KIND.FLOAT: return true;
      case KIND.FWD: case KIND.ENUM: case KIND.ENUM64: return namesMatch(lb.name(lid), tb.name(tid));
      case KIND.INT: return intOffset(lb, lid) === 0 && intOffset(tb, tid) === 0;
      case KIND.ARRAY:
        lid = lb.typeAs(lid, KIND.ARRAY)!.type;
        tid = tb.typeAs(tid, KIND.ARRAY)!.type;
        continue;
      default: return false;
    }
  }
  return false;
}

/** libbpf's type compatibility (type-based relocations). */
export function typesCompat(lb: Btf, lid: number, tb: Btf, tid: number, depth = 0, budget = { steps: 4096 }): boolean {
  if (depth > 32 || --budget.steps < 0) return false;
  if (!kindsCompat(lb, lid, tb, tid)) return false;
  for (; depth < 32; depth++) {
    lid = lb.resolve(lid);
    tid = tb.resolve(tid);
    if (!kindsCompat(lb, lid, tb, tid)) return false;
    switch (lb.kind(lid)) {
      case KIND.UNKN: case KIND.STRUCT: case KIND.UNION: case KIND.ENUM: case KIND.ENUM64: case KIND.FWD: return true;
      case KIND.INT: return intOffset(lb, lid) === 0 && intOffset(tb, tid) === 0;
      case KIND.PTR: lid = lb.sizeOrType(lid); tid = tb.sizeOrType(tid); continue;
      case KIND.ARRAY: lid = lb.typeAs(lid, KIND.ARRAY)!.type; tid = tb.typeAs(tid, KIND.ARRAY)!.type; continue;
      case KIND.FUNC_PROTO: {
        const lp = lb.typeAs(lid, KIND.FUNC_PROTO)!;
        const tp = tb.typeAs(tid, KIND.FUNC_PROTO)!;
        if (lp.params.length !== tp.params.length) return false;
        for (let i = 0; i < lp.params.length; i++) {
          if (!typesCompat(lb, lb.resolve(lp.params[i].type), tb, tb.resolve(tp.params[i].type), depth + 1, budget)) return false;
        }
        lid = lp.type;
        tid = tp.type;
        continue;
      }
      default: return false;
    }
  }
  return false;
}

/** A member by name, looking through anonymous members; each struct is searched once (safe on cyclic BTF). */
export function findField(btf: Btf, id: number, name: string, seen = new Set<number>()): { type: number; bitSize: number } | undefined {
  if (seen.has(id) || seen.size > 256) return undefined;
  seen.add(id);
  const ms = btf.members(id);
  for (const m of ms) if (m.name === name) return { type: m.type, bitSize: m.bitSize };
  for (const m of ms) {
    if (m.name !== '') continue;
    const f = findField(btf, btf.resolve(m.type), name, seen);
    if (f !== undefined) return f;
  }
  return undefined;
}

/**
 * TYPE_MATCHES, libbpf's bpf_core_types_match: typedefs and qualifiers are
 * skipped at every level and the names that remain must match (essential
 * names; an anonymous target type only matches an anonymous local one).
 * Kinds must be equal, except that enum matches enum64 and, behind a
 * pointer, a struct or union matches a forward declaration of the same
 * flavour. Ints: same bit width and signedness. Enums: same size, every
 * local enumerator name present in the target (values may differ). Structs
 * and unions: every local member has a target member of the same name (no
 * search through anonymous members) whose type matches; behind a pointer the
 * names and kinds are enough. Pointers and arrays (same length): the
 * element types match. Function prototypes: same arity, parameters and
 * return type match. Anything else (floats, functions, variables) does not
 * match. Depth is bounded as in libbpf (32 levels).
 */
export function typesMatch(lb: Btf, lid: number, tb: Btf, tid: number): boolean {
  return matchTypes(lb, lid, tb, tid, false, 32, { steps: 1 << 16 }) === 1;
}

/** Names as bpf_core_names_match compares them. */
function coreNamesMatch(local: string, target: string): boolean {
  if (target === '') return local === '';
  return essentialName(local) === essentialName(target);
}

/** 1 match, 0 no match, -1 too deep (libbpf's -EINVAL, which fails the relocation the same way). */
function matchTypes(lb: Btf, lid: number, tb: Btf, tid: number, behindPtr: boolean, level: number, budget: { steps: number }): number {
  if (level <= 0) return -1;
  for (let depth = 32; depth > 0; depth--) {
    if (--budget.steps < 0) return -1;
    lid = lb.resolve(lid);
    tid = tb.resolve(tid);
    if (!coreNamesMatch(lb.name(lid), tb.name(tid))) return 0;
    const lk = lb.kind(lid);
    const tk = tb.kind(tid);
    switch (lk) {
      case KIND.UNKN:
        return tk === KIND.UNKN ? 1 : 0;
      case KIND.FWD: {
        const union = lb.kflag(lid);
        if (tk === KIND.FWD) return union === tb.kflag(tid) ? 1 : 0;
        return behindPtr && tk === (union ? KIND.UNION : KIND.STRUCT) ? 1 : 0;
      }
      case KIND.ENUM: case KIND.ENUM64:
        return isEnum(tb, tid) && enumsMatch(lb, lid, tb, tid) ? 1 : 0;
      case KIND.STRUCT: case KIND.UNION:
        if (behindPtr) {
          if (tk === lk) return 1;
          return tk === KIND.FWD && tb.kflag(tid) === (lk === KIND.UNION) ? 1 : 0;
        }
        return tk === lk && membersMatch(lb, lid, tb, tid, level, budget) ? 1 : 0;
      case KIND.INT: {
        if (tk !== KIND.INT) return 0;
        const li = lb.typeAs(lid, KIND.INT)!;
        const ti = tb.typeAs(tid, KIND.INT)!;
        return li.bits === ti.bits && li.signed === ti.signed ? 1 : 0;
      }
      case KIND.PTR:
        if (tk !== KIND.PTR) return 0;
        behindPtr = true;
        lid = lb.sizeOrType(lid);
        tid = tb.sizeOrType(tid);
        continue;
      case KIND.ARRAY: {
        if (tk !== KIND.ARRAY || lb.arrayLen(lid) !== tb.arrayLen(tid)) return 0;
        lid = lb.arrayType(lid);
        tid = tb.arrayType(tid);
        continue;
      }
      case KIND.FUNC_PROTO: {
        const n = lb.vlen(lid);
        if (tk !== KIND.FUNC_PROTO || tb.vlen(tid) !== n) return 0;
        for (let i = 0; i < n; i++) {
          const r = matchTypes(lb, lb.item(lid, i, 1), tb, tb.item(tid, i, 1), behindPtr, level - 1, budget);
          if (r <= 0) return r;
        }
        lid = lb.sizeOrType(lid);
        tid = tb.sizeOrType(tid);
        continue;
      }
      default:
        return 0;
    }
  }
  return -1;
}

function enumsMatch(lb: Btf, lid: number, tb: Btf, tid: number): boolean {
  const n = lb.vlen(lid);
  const m = tb.vlen(tid);
  if (lb.sizeOrType(lid) !== tb.sizeOrType(tid) || n > m) return false;
  const targetNames: string[] = [];
  for (let j = 0; j < m; j++) targetNames.push(tb.str(tb.item(tid, j, 0)));
  for (let i = 0; i < n; i++) {
    const name = lb.str(lb.item(lid, i, 0));
    if (!targetNames.some((t) => coreNamesMatch(name, t))) return false;
  }
  return true;
}

function membersMatch(lb: Btf, lid: number, tb: Btf, tid: number, level: number, budget: { steps: number }): boolean {
  const n = lb.vlen(lid);
  const m = tb.vlen(tid);
  if (n > m) return false;
  for (let i = 0; i < n; i++) {
    const name = lb.memberName(lid, i);
    const type = lb.memberType(lid, i);
    let found = false;
    for (let j = 0; j < m && !found; j++) {
      if (!coreNamesMatch(name, tb.memberName(tid, j))) continue;
      found = matchTypes(lb, type, tb, tb.memberType(tid, j), false, level - 1, budget) === 1;
    }
    if (!found) return false;
  }
  return true;
}

const essentialIndex = new WeakMap<Btf, Map<string, number[]>>();

/** Target ids whose essential name is `name` (index built once per BTF). */
export function byEssentialName(btf: Btf, name: string): number[] {
  let idx = essentialIndex.get(btf);
  if (idx === undefined) {
    idx = new Map();
    for (let id = 1; id < btf.count; id++) {
      const n = btf.name(id);
      if (n === '') continue;
      const k = essentialName(n);
      const l = idx.get(k);
      if (l === undefined) idx.set(k, [id]);
      else l.push(id);
    }
    essentialIndex.set(btf, idx);
  }
  return idx.get(name) ?? [];
}


/** All member names of a struct, including those of anonymous members. */
export function memberNames(btf: Btf, id: number, out: string[] = [], seen = new Set<number>()): string[] {
  if (seen.has(id) || seen.size > 256) return out;
  seen.add(id);
  for (const m of btf.members(id)) {
    if (m.name === '') memberNames(btf, btf.resolve(m.type), out, seen);
    else out.push(m.name);
  }
  return out;
}

/** The closest name, preferring ones that contain `want` (`state` -> `__state`). */
export function suggestName(want: string, names: readonly string[]): string | undefined {
  const contains = names.filter((n) => n !== want && (n.includes(want) || want.includes(n)) && Math.abs(n.length - want.length) <= 4);
  if (contains.length > 0) return contains.sort((a, b) => Math.abs(a.length - want.length) - Math.abs(b.length - want.length))[0];
  // Equally near names: the last one listed wins.
  return nearestName(want, [...names].reverse(), { skipExact: true });
}

export function byEssentialNameKeys(tb: Btf, prefix: string): string[] {
  byEssentialName(tb, '');
  const idx = essentialIndex.get(tb)!;
  const kind = prefix === 'struct ' ? KIND.STRUCT : prefix === 'union ' ? KIND.UNION : prefix === 'enum ' ? KIND.ENUM : undefined;
  const out: string[] = [];
  for (const [k, ids] of idx) if (kind === undefined || ids.some((id) => tb.kind(id) === kind)) out.push(k);
  return out;
}


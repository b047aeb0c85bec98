/**
 * The matching rules of CO-RE as libbpf applies them: essential names
 * (`___flavor` dropped), kind compatibility, field and type compatibility, a
 * stricter shape check for TYPE_MATCHES, the target's essential-name index,
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
 * A stricter shape check for TYPE_MATCHES: compatible types whose structs and
 * unions have, for every local member, a target member of the same name with
 * a compatible type, and whose enums share at least one enumerator name.
 */
export function typesMatch(lb: Btf, lid: number, tb: Btf, tid: number, depth = 0): boolean {
  if (depth > 8) return true;
  lid = lb.resolve(lid);
  tid = tb.resolve(tid);
  if (!kindsCompat(lb, lid, tb, tid)) return false;
  if (isComposite(lb, lid)) {
    if (lb.kind(lid) !== tb.kind(tid)) return false;
    for (const m of lb.members(lid)) {
      if (m.name === '') continue;
      const f = findField(tb, tid, m.name);
      if (f === undefined || !fieldsCompat(lb, m.type, tb, f.type)) return false;
      if ((m.bitSize > 0) !== (f.bitSize > 0)) return false;
    }
    return true;
  }
  if (isEnum(lb, lid)) {
    const le = lb.type(lid) as { values: { name: string }[] };
    const te = tb.type(tid) as { values: { name: string }[] };
    return le.values.length === 0 || le.values.some((v) => te.values.some((w) => w.name === v.name));
  }
  if (lb.kind(lid) === KIND.INT) return lb.sizeOrType(lid) === tb.sizeOrType(tid);
  return typesCompat(lb, lid, tb, tid, depth);
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


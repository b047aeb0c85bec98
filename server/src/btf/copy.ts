/**
 * Copying types from one BTF into a builder: a root type and everything it
 * refers to (members, pointees, typedef targets, prototypes), with ids
 * renumbered and cycles (a struct pointing at itself) kept intact. Used to put
 * kernel types into the BTF of objects we emit. It does not deduplicate
 * against types already in the builder beyond what one call copies.
 */
import { KIND as KINDS } from './format';
import type { Btf } from './types';
import type { BtfBuilder, TypeSpec } from './write';

// Local copy: under tsx every use of an imported binding is a getter call.
const KIND = KINDS;

/** Ids a type record refers to, in record order. */
export function typeRefs(btf: Btf, id: number): number[] {
  const t = btf.type(id);
  switch (t.kind) {
    case KIND.PTR: case KIND.TYPEDEF: case KIND.VOLATILE: case KIND.CONST: case KIND.RESTRICT: case KIND.TYPE_TAG:
    case KIND.FUNC: case KIND.VAR: case KIND.DECL_TAG:
      return [t.type];
    case KIND.ARRAY:
      return [t.type, t.indexType];
    case KIND.STRUCT: case KIND.UNION:
      return t.members.map((m) => m.type);
    case KIND.FUNC_PROTO:
      return [t.type, ...t.params.map((p) => p.type)];
    case KIND.DATASEC:
      return t.vars.map((v) => v.type);
    default:
      return [];
  }
}

/**
 * Copy `roots` and all types reachable from them into `out`. Returns the map
 * from source ids to new ids (void stays 0). Ids are assigned to the whole
 * closure first, then records are added in that order, so references forward
 * and backward (cycles through pointers) resolve.
 */
export function copyTypes(src: Btf, roots: number[], out: BtfBuilder): Map<number, number> {
  const order: number[] = [];
  const map = new Map<number, number>([[0, 0]]);
  const stack = [...roots].reverse();
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (map.has(id) || id <= 0 || id >= src.count) continue;
    map.set(id, out.next + order.length);
    order.push(id);
    const refs = typeRefs(src, id);
    for (let i = refs.length - 1; i >= 0; i--) if (!map.has(refs[i])) stack.push(refs[i]);
  }
  const to = (id: number): number => map.get(id) ?? 0;
  for (const id of order) {
    const t = src.type(id);
    let spec: TypeSpec;
    switch (t.kind) {
      case KIND.PTR: case KIND.TYPEDEF: case KIND.VOLATILE: case KIND.CONST: case KIND.RESTRICT:
        spec = { kind: t.kind, name: t.name, type: to(t.type) };
        break;
      case KIND.TYPE_TAG:
        spec = { kind: t.kind, name: t.name, type: to(t.type), attribute: t.attribute };
        break;
      case KIND.FUNC: case KIND.VAR:
        spec = { ...t, type: to(t.type) };
        break;
      case KIND.DECL_TAG:
        spec = { ...t, type: to(t.type) };
        break;
      case KIND.ARRAY:
        spec = { ...t, type: to(t.type), indexType: to(t.indexType) };
        break;
      case KIND.STRUCT: case KIND.UNION:
        spec = { ...t, members: t.members.map((m) => ({ ...m, type: to(m.type) })) };
        break;
      case KIND.FUNC_PROTO:
        spec = { ...t, type: to(t.type), params: t.params.map((p) => ({ ...p, type: to(p.type) })) };
        break;
      case KIND.DATASEC:
        spec = { ...t, vars: t.vars.map((v) => ({ ...v, type: to(v.type) })) };
        break;
      default:
        spec = { ...t };
        break;
    }
    delete (spec as { id?: number }).id;
    out.add(spec);
  }
  return map;
}

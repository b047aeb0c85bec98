/**
 * Written types, casts and member access for the bpftrace type checker:
 * `(uint32)x`, `(struct task_struct *)p`, `(int8[4])x`, field chains through
 * pointers and anonymous members (BTF), `args` fields of the probe context,
 * tuple indexes and record fields, with bpftrace's messages and "did you
 * mean" hints. Non-goal: C definitions written in the script (their structs
 * are accepted without member checks).
 */
import * as A from './ast';
import type { Checker, FieldRef } from './typecheck';
import { argsType, probeArg } from './typecheck-probe';
import { uprobeArgField, uprobeNamedType, uprobeStructField } from './typecheck-uprobe';
import { btfMember, btfMemberNames, btfToSType, suggestStruct } from './typecheck-kernel';
import { closest } from './suggest';
import { IntBits, layoutOf, NONE, sizeOf, SType, U64 } from './types';
import { readable } from './typecheck-expr';
import { builtinType } from './typecheck-calls';
import { builtinInfo } from './builtins';
import { KIND } from '../btf/format';
import type { Range } from './source';

const INT_NAMES: Record<string, [IntBits, boolean]> = {
  int8: [8, true], int16: [16, true], int32: [32, true], int64: [64, true],
  uint8: [8, false], uint16: [16, false], uint32: [32, false], uint64: [64, false],
};
/** Short spellings accepted from 0.24 on. */
const INT_ALIASES: Record<string, [IntBits, boolean]> = {
  i8: [8, true], i16: [16, true], i32: [32, true], i64: [64, true], s8: [8, true], s16: [16, true], s32: [32, true], s64: [64, true],
  u8: [8, false], u16: [16, false], u32: [32, false], u64: [64, false],
};

/** The base of a written type (before suffixes), or undefined with an error reported. */
/** A type name with blanks collapsed to single spaces and trimmed (names from the parser already are). */
function normalName(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 ? i === 0 || i === s.length - 1 || s.charCodeAt(i + 1) === 32 : c < 32 || c > 126) return s.replace(/\s+/g, ' ').trim();
  }
  return s;
}

/** The keyword of `struct X` / `union X` / `enum X` (one space, a name after it), else undefined. */
function tagOf(name: string): 'struct' | 'union' | 'enum' | undefined {
  const tag = name.startsWith('struct ') ? 'struct' : name.startsWith('union ') ? 'union' : name.startsWith('enum ') ? 'enum' : undefined;
  return tag !== undefined && name.length > tag.length + 1 ? tag : undefined;
}

function baseType(cx: Checker, t: A.TypeRef, at: Range): SType | undefined {
  const name = normalName(t.name);
  const int = INT_NAMES[name] ?? (cx.old ? undefined : INT_ALIASES[name]);
  if (int) return { k: 'int', bits: int[0], signed: int[1] };
  if (name === 'bool' && !cx.old) return { k: 'bool' };
  if (name === 'string') return { k: 'string', size: cx.strlen };
  if (name === 'buffer') return { k: 'buffer', size: cx.strlen };
  if (name === 'void') return NONE;
  if (name === 'char') return { k: 'int', bits: 8, signed: true };
  const tag = tagOf(name);
  const btf = cx.kernel.btf;
  if (tag === 'enum') return { k: 'int', bits: 64, signed: false };
  if (cx.cStructs.has(name)) return { k: 'cstruct', name, union: tag === 'union', size: 0 };
  const fromDwarf = uprobeNamedType(cx, name);
  if (fromDwarf) return fromDwarf;
  if (tag !== undefined) {
    if (!btf) return { k: 'cstruct', name, union: tag === 'union', size: 0 };
    const st = cx.btfStruct(name);
    if (st !== undefined) return st;
    const near = suggestStruct(btf, name);
    cx.err(at, cx.old ? `Unknown struct/union: '${name}'` : `Cannot resolve unknown type "${name}"`, near ? `did you mean '${near}'?` : undefined);
    return undefined;
  }
  // A typedef or other named C type (0.26 resolves these through BTF).
  if (btf) {
    const id = btf.lookup(name).find((x) => btf.kind(x) === KIND.TYPEDEF || btf.kind(x) === KIND.INT);
    if (id !== undefined) return btfToSType(btf, id, cx.typed);
  }
  if (!btf) return NONE;
  cx.err(at, cx.old ? `Unknown struct/union: '${name}'` : `Cannot resolve unknown type "${name}"`);
  return undefined;
}

/** A written type with its suffixes; `fromSize` sizes `[]` arrays from the cast value. Undefined after an error. */
export function resolveTypeRef(cx: Checker, t: A.TypeRef, fromSize?: number, at: Range = t.range): SType | undefined {
  let cur = baseType(cx, t, at);
  if (cur === undefined) return undefined;
  for (const s of t.suffixes) {
    if (s === '*') cur = { k: 'ptr', to: cur };
    else {
      const esz = sizeOf(cur);
      const len = s ?? (fromSize !== undefined && esz > 0 ? Math.floor(fromSize / esz) : 0);
      cur = cur.k === 'string' && s !== null ? { k: 'string', size: s } : { k: 'array', elem: cur, len };
    }
  }
  return cur;
}

export function castType(cx: Checker, e: A.Cast): SType {
  const src = readable(cx, cx.expr(e.expr));
  const ref = e.type.kind === 'TypeRef' ? e.type : undefined;
  // bpftrace places cast errors on the parenthesized type.
  const typeAt = cx.opRange({ start: e.range.start, end: e.range.start }, e.expr.range);
  const to = ref ? resolveTypeRef(cx, ref, sizeOf(src), typeAt) : cx.annType(e.type);
  if (to === undefined) return NONE;
  if (src.k === 'cstruct') {
    cx.err(e.range, cx.old ? `Cannot cast from struct type "${src.name}"` : `Cannot cast from C type "${src.name}"`);
    return NONE;
  }
  if (src.k === 'none') return to;
  if (to.k === 'cstruct') {
    cx.err(typeAt, `Cannot cast to struct type "${to.name}"`);
    return NONE;
  }
  // 0.25+: strings have a truth value too.
  if (to.k === 'bool' && !cx.old && (src.k === 'string' || src.k === 'int' || src.k === 'ptr' || src.k === 'bool')) return to;
  const bad = (): SType => {
    cx.err(cx.old ? typeAt : e.range, cx.old ? `Casts are not supported for type: "${cx.tname(src)}"` : `Cannot cast from "${cx.tname(src)}" to "${cx.tname(to)}"`);
    return NONE;
  };
  if (to.k === 'int' || to.k === 'bool') {
    const ok = src.k === 'int' || src.k === 'ptr' || src.k === 'bool' || (src.k === 'array' && !cx.old && sizeOf(src) === sizeOf(to));
    return ok ? to : bad();
  }
  if (to.k === 'array' && (to.elem.k === 'int' || to.elem.k === 'bool')) {
    // An integer may widen into an array of at most 8 bytes; other values need the same size.
    const size = sizeOf(to);
    if (src.k === 'int' ? !(size === sizeOf(src) || (size <= 8 && size > sizeOf(src))) : size !== sizeOf(src)) {
      cx.err(e.range, `Cannot cast from "${cx.tname(src)}" to "${cx.tname(to)}"`);
      return NONE;
    }
  }
  return to;
}

/** Records how a field is read, for codegen. */
function note(cx: Checker, e: A.Field, ref: FieldRef): void {
  cx.info.fields.set(e, ref);
}

/** `args.f` / `args->f`: a field of the probe's context. */
function argsField(cx: Checker, e: A.Field): SType {
  cx.info.exprs.set(e.object, argsType(cx));
  const c = cx.ctx;
  const up = uprobeArgField(cx, e);
  if (up !== undefined) return up;
  if (!c || c.args === undefined) return NONE; // unknown target (semantic.ts warns) or no args in this probe
  // Every attach point of the probe must have the field (each has its own record or prototype).
  for (const ctx of c.attach ?? [c]) {
    if (ctx.args === undefined || ctx.args.some((x) => x.name === e.field)) continue;
    const near = closest(e.field, ctx.args.filter((x) => !x.name.startsWith('common_')).map((x) => x.name));
    const hint = near !== undefined ? `did you mean '${near}'?` : undefined;
    if (ctx.provider === 'tracepoint') {
      cx.err(e.range, `Struct/union of type '${ctx.argsStruct}' does not contain a field named '${e.field}'`, hint);
    } else {
      cx.err(e.range, `Can't find function parameter ${e.field}`, hint);
    }
    return NONE;
  }
  const a = probeArg(cx, e.field);
  if (a === undefined) return NONE;
  note(cx, e, { via: 'args', arg: a, type: a.type, offset: a.offset });
  return a.type;
}

/** bpftrace 0.17 places field errors on the object and the dot. */
function objectDot(e: A.Field): Range {
  return { start: e.range.start, end: Math.max(e.object.range.end + 1, e.range.end - e.field.length) };
}

export function fieldType(cx: Checker, e: A.Field): SType {
  if (e.object.kind === 'Builtin' && e.object.name === 'args') return argsField(cx, e);
  let t = readable(cx, cx.expr(e.object));
  if (t.k === 'none') return NONE;
  if (e.arrow) {
    if (t.k === 'ptr') t = t.to;
    else if (t.k === 'cstruct' && cx.old) {
      cx.err(e.range, `Can not dereference struct/union of type '${t.name}'. It is not a pointer.`);
      return NONE;
    } else if (t.k === 'int' && cx.old) t = { k: 'int', bits: 64, signed: false };
  } else if (t.k === 'ptr') {
    // `.` dereferences pointers from 0.25 on.
    if (!cx.typed) {
      cx.err(objectDot(e), `Can not access field '${e.field}' on type '${cx.tname(t)}'. Try dereferencing it first, or using '->'`);
      return NONE;
    }
    while (t.k === 'ptr') t = t.to;
  }
  if (t.k === 'record') {
    const f = t.fields.find((x) => x.name === e.field);
    if (!f) {
      const near = closest(e.field, t.fields.map((x) => x.name));
      cx.err(e.range, `Record does not contain a field named '${e.field}'`, near ? `did you mean '${near}'?` : undefined);
      return NONE;
    }
    return f.type;
  }
  if (t.k !== 'cstruct') {
    cx.err(cx.old && !e.arrow ? objectDot(e) : e.range, `Can not access field '${e.field}' on expression of type '${cx.tname(t)}'`);
    return NONE;
  }
  const btf = cx.kernel.btf;
  const fromDwarf = uprobeStructField(cx, t, e);
  if (fromDwarf !== undefined) return fromDwarf;
  if (t.btfId === undefined || !btf) return NONE; // a script-defined or unknown struct: members are not known here
  const m = btfMember(btf, t.btfId, e.field, cx.typed);
  if (m === undefined) {
    if (btf.kind(t.btfId) === KIND.FWD) {
      cx.err(e.range, `Incomplete type '${t.name}' has no field named '${e.field}'`);
      return NONE;
    }
    const near = closest(e.field, btfMemberNames(btf, t.btfId));
    cx.err(e.range, `Struct/union of type '${t.name}' does not contain a field named '${e.field}'`, near ? `did you mean '${near}'?` : undefined);
    return NONE;
  }
  note(cx, e, { via: 'struct', ...m });
  return m.type;
}

export function tupleIndexType(cx: Checker, e: A.TupleIndex): SType {
  const t = readable(cx, cx.expr(e.object));
  if (t.k === 'none') return NONE;
  if (t.k !== 'tuple') {
    cx.err(e.range, cx.old ? `Can not access index ${e.index} on expression of type '${cx.tname(t)}'` : `Can not access index '${e.index}' on expression of type '${cx.tname(t)}'`);
    return NONE;
  }
  if (e.index >= t.elems.length) {
    cx.err(e.range, `Invalid tuple index: ${e.index}. Found ${t.elems.length} elements in tuple.`);
    return NONE;
  }
  return t.elems[e.index];
}

/** `sizeof(TYPE)` / `sizeof(expr)`: uint64, its value recorded in `consts` when known. */
export function sizeofType(cx: Checker, e: A.Sizeof): SType {
  const a = e.arg;
  // A bare name is a builtin (`sizeof(comm)`) or a type (`sizeof(pid_t)`).
  const ref: A.TypeRef | undefined = a.kind === 'TypeRef' ? a : a.kind === 'Ident' && !builtinInfo(a.name) ? { kind: 'TypeRef', range: a.range, name: a.name, suffixes: [] } : undefined;
  const t = ref ? resolveTypeRef(cx, ref, undefined, e.range) : a.kind === 'Ident' ? builtinType(cx, { kind: 'Builtin', range: a.range, name: a.name }) : cx.expr(a as A.Expr);
  if (t !== undefined && t.k !== 'none' && !(t.k === 'cstruct' && t.size === 0)) cx.info.consts.set(e, BigInt(sizeOf(t)));
  return U64;
}

/** `offsetof(TYPE, a.b)`: each member must exist (BTF structs); the offset is recorded in `consts`. */
export function offsetofType(cx: Checker, e: A.Offsetof): SType {
  let t = e.arg.kind === 'TypeRef' ? resolveTypeRef(cx, e.arg, undefined, e.range) : cx.expr(e.arg);
  const btf = cx.kernel.btf;
  let offset = 0;
  for (const f of e.fields) {
    if (t === undefined || t.k === 'none') return U64;
    if (t.k === 'record') {
      const i = t.fields.findIndex((x) => x.name === f);
      if (i < 0) {
        cx.err(e.range, `'${cx.tname(t)}' has no field named '${f}'`);
        return U64;
      }
      offset += layoutOf(t.fields.map((x) => x.type)).offsets[i];
      t = t.fields[i].type;
      continue;
    }
    if (t.k !== 'cstruct') {
      cx.err(e.range, `'${cx.tname(t)}' is not a C type.`);
      return U64;
    }
    if (t.btfId === undefined || !btf) return U64;
    const m = btfMember(btf, t.btfId, f, cx.typed);
    if (m === undefined) {
      const near = closest(f, btfMemberNames(btf, t.btfId));
      cx.err(e.range, `'${t.name}' has no field named '${f}'`, near ? `did you mean '${near}'?` : undefined);
      return U64;
    }
    offset += m.offset;
    t = m.type;
  }
  cx.info.consts.set(e, BigInt(offset));
  return U64;
}

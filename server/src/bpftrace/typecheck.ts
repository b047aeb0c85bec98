/**
 * The typed semantic pass for bpftrace: every expression, variable and map
 * gets an SType (types.ts), each probe its context (tracepoint record fields,
 * fentry/rawtracepoint arguments, retval), with bpftrace's messages for type
 * errors of the target version. The checker's state (variables, maps,
 * passes) lives here, the result types in typecheck-api.ts; statements in
 * typecheck-stmt.ts, expressions in typecheck-expr.ts and typecheck-access.ts,
 * calls in typecheck-calls.ts, kernel types in typecheck-kernel.ts. Non-goals:
 * the checks of the first pass (semantic.ts: scopes, arities, providers),
 * code generation.
 */
import * as A from './ast';
import { Diagnostic, Range } from './source';
import { NONE, SType, typeName } from './types';
import { compareVersions, parseVersion, Version } from './versions';
import { fixed, promote } from './typecheck-int';
import { exprType } from './typecheck-expr';
import { blockType, ifType } from './typecheck-stmt';
import { probeContext } from './typecheck-probe';
import { contextAccess } from './typecheck-calls';
import { resolveTypeRef } from './typecheck-access';
import { btfToSType, enumValues, findBtfStruct, type KernelTypes } from './typecheck-kernel';

import type { ProbeCtx, TypecheckOptions, TypeInfo } from './typecheck-api';

export type { KernelTypes, ProbeArg, MemberInfo } from './typecheck-kernel';
export type { FieldRef, MapType, ProbeCtx, TypecheckOptions, TypeInfo } from './typecheck-api';

interface VarSlot {
  type: SType;
  nodes: A.Var[];
  /** `let $v: T` with a sized T (0.25+): the type is fixed, assignments do not widen it. */
  declared?: boolean;
}

interface MapSlot {
  key: SType[] | undefined;
  value: SType;
  /** Where the value was first fixed. */
  valueAt?: Range;
}

/** The checker's state, shared with typecheck-expr.ts and typecheck-calls.ts. */
export class Checker {
  readonly info: TypeInfo = { exprs: new Map(), vars: new Map(), maps: new Map(), probes: new Map(), fields: new Map(), consts: new Map(), diagnostics: [] };
  readonly v: Version;
  /** Before 0.24: 0.17 wording. */
  readonly old: boolean;
  /** 0.25+: typed integer literals and promotion, bool comparisons. */
  readonly typed: boolean;
  readonly blockScopes: boolean;
  /** 0.21+: count/sum/min/max/avg map values read as integers. */
  readonly castMaps: boolean;
  readonly strlen: number;
  readonly source: string | undefined;
  /** 1: collect map types (map errors reported); 2: final types, all other errors. */
  pass: 1 | 2 = 1;
  probe: A.Probe | undefined;
  /** The user function being checked (its name and return type). */
  fn: { name: string; ret: SType; text: string } | undefined;
  ctx: ProbeCtx | undefined;
  /** Name of the call whose arguments are being typed, and the argument index. */
  callName = '';
  callArg = -1;
  loopDepth = 0;
  /** Depth of `for` loops (their bodies run as callbacks without the probe context). */
  forDepth = 0;
  /** `struct X` names defined by C definitions in the script. */
  readonly cStructs = new Set<string>();
  private readonly fns = new Map<string, SType>();
  /** The aggregation call being assigned to a map right now. */
  aggTarget: A.Call | undefined;
  /** Open scopes, innermost last; a scope's map is made when it defines its first variable. */
  private scopes: (Map<string, VarSlot> | undefined)[] = [];
  private readonly mapSlots = new Map<string, MapSlot>();
  private readonly seen = new Set<string>();
  private readonly mapDiags = new Set<Diagnostic>();
  /** Set when a map was read before any value type was known for it (pass 2 then retypes with the final map types). */
  readEarly = false;
  /** The script's `config = { ... }` settings (values as written). */
  config: Map<string, string> | undefined;

  constructor(
    readonly kernel: KernelTypes,
    opts: TypecheckOptions,
  ) {
    this.fn = undefined;
    this.v = parseVersion(opts.target) ?? [0, 26, 0];
    this.old = compareVersions(this.v, [0, 24, 0]) < 0;
    this.typed = compareVersions(this.v, [0, 25, 0]) >= 0;
    this.blockScopes = compareVersions(this.v, [0, 22, 0]) >= 0;
    this.castMaps = compareVersions(this.v, [0, 21, 0]) >= 0;
    this.strlen = opts.strlen ?? 64;
    this.source = opts.source;
  }

  /** Where an operator is written between two nodes: the span between them, blanks trimmed when the text is known. */
  opRange(left: Range, right: Range): Range {
    let start = left.end;
    let end = Math.max(start, right.start);
    const t = this.source;
    if (t !== undefined) {
      while (start < end && /\s/.test(t[start])) start++;
      while (end > start && /\s/.test(t[end - 1])) end--;
    }
    return { start, end };
  }

  /** A predicate's range with its slashes, as bpftrace 0.17 reports it (when the text is known). */
  private predicateRange(r: Range): Range {
    const t = this.source;
    if (!this.old || t === undefined) return r;
    const start = t.lastIndexOf('/', r.start - 1);
    const end = t.indexOf('/', r.end);
    return { start: start >= 0 ? start : r.start, end: end >= 0 ? end + 1 : r.end };
  }

  /** bpftrace's spelling of a type in messages (0.17: 'unsigned int64', 'count'). */
  tname(t: SType): string {
    if (this.old && t.k === 'int') return `${t.signed ? '' : 'unsigned '}int${t.bits}`;
    if (this.old && t.k === 'array') return `${this.tname(t.elem)}[${t.len}]`;
    if (this.old && t.k === 'ptr') return `${this.tname(t.to)} *`;
    if (this.old && t.k === 'agg') return t.fn;
    if (t.k === 'tuple') return `(${t.elems.map((e) => this.tname(e)).join(',')})`;
    if (!this.old && t.k === 'record') return `record { ${t.fields.map((f) => `.${f.name} = ${this.tname(f.type)}`).join(', ')} }`;
    if (!this.old && t.k === 'special' && (t.kind === 'kstack' || t.kind === 'ustack')) return `${t.kind}_bpftrace_127`;
    return typeName(t);
  }

  /**
   * Records a diagnostic once. Map diagnostics (`mapPass`) come from pass 1
   * only; others from the last pass (pass 2 drops pass 1's and reports again).
   */
  diag(range: Range, message: string, severity: 'error' | 'warning' = 'error', hint?: string, mapPass = false): void {
    if (this.pass === 2 && mapPass) return;
    const key = `${range.start}:${range.end}:${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const d: Diagnostic = { range, severity, message, source: 'type' };
    if (hint !== undefined) d.hint = hint;
    if (mapPass) this.mapDiags.add(d);
    this.info.diagnostics.push(d);
  }

  err(range: Range, message: string, hint?: string): void {
    this.diag(range, message, 'error', hint);
  }

  warn(range: Range, message: string, hint?: string): void {
    this.diag(range, message, 'warning', hint);
  }

  run(p: A.Program): void {
    this.config = new Map(p.items.flatMap((i) => (i.kind === 'Config' ? i.entries.map((c): [string, string] => [c.key, 'value' in c.value ? String(c.value.value) : c.value.name]) : [])));
    // bpftrace defines BPFTRACE_HAVE_BTF when the kernel has BTF: definitions under
    // `#ifndef BPFTRACE_HAVE_BTF` then give way to the kernel's types.
    const active = activeItems(p.items, this.kernel.btf !== undefined ? new Set(['BPFTRACE_HAVE_BTF']) : new Set<string>());
    for (const item of p.items) {
      if (item.kind === 'CDefinition' && item.keyword !== 'enum' && active.has(item)) this.cStructs.add(`${item.keyword} ${item.name}`);
      else if (item.kind === 'Macro') this.fns.set(item.name, NONE);
    }
    for (const item of p.items) if (item.kind === 'Fn') this.fns.set(item.name, this.annType(item.ret));
    this.pass = 1;
    this.items(p);
    if (this.readEarly) {
      // Maps read (in source order) before they are written: type everything again with the final map types.
      this.pass = 2;
      this.info.diagnostics = this.info.diagnostics.filter((d) => this.mapDiags.has(d));
      this.seen.clear();
      for (const d of this.info.diagnostics) this.seen.add(`${d.range.start}:${d.range.end}:${d.message}`);
      this.info.exprs.clear();
      this.info.vars.clear();
      this.info.fields.clear();
      this.items(p);
    }
    for (const [name, m] of this.mapSlots) this.info.maps.set(name, { key: (m.key ?? []).map(fixed), value: fixed(m.value) });
    for (const item of p.items) if (item.kind === 'MapDecl') this.mapDecl(item);
  }

  /** `let @m = hash(N)`: aggregations need a per-CPU map, other values a plain one (0.25+ message). */
  private mapDecl(d: A.MapDecl): void {
    const value = this.mapSlots.get(d.map.name)?.value;
    if (value === undefined || value.k === 'none' || !d.mapKind.includes('hash')) return;
    const implied = value.k === 'agg' ? 'percpuhash' : 'hash';
    if (d.mapKind.startsWith('percpu') !== (value.k === 'agg')) {
      this.err(d.range, `Incompatible map types. Type from declaration: ${d.mapKind}. Type from value/key type: ${implied}`);
    }
  }

  private items(p: A.Program): void {
    for (const item of p.items) {
      if (item.kind === 'Probe') this.probeItem(item);
      else if (item.kind === 'Fn') this.fnItem(item);
    }
  }

  private probeItem(p: A.Probe): void {
    this.probe = p;
    this.ctx = probeContext(this, p);
    this.info.probes.set(p, this.ctx);
    this.withScope(() => {
      if (p.predicate) {
        const t = this.expr(p.predicate);
        // (0.25+ folds a literal string predicate to its truth value.)
        if (this.old || p.predicate.kind !== 'Str') this.condition(t, this.predicateRange(p.predicate.range), 'predicate');
      }
      this.block(p.body, false);
    });
    this.probe = undefined;
    this.ctx = undefined;
  }

  private fnItem(f: A.Fn): void {
    this.probe = undefined;
    this.ctx = undefined;
    const ret = this.fns.get(f.name) ?? NONE;
    const isVoid = f.ret.kind === 'TypeRef' && f.ret.name === 'void' && f.ret.suffixes.length === 0;
    // (A return type written with typeof() of a parameter is not resolved here: returns go unchecked.)
    const text = f.ret.kind === 'TypeRef' ? `${f.ret.name}${f.ret.suffixes.map((x) => (x === '*' ? ' *' : `[${x ?? ''}]`)).join('')}` : '';
    this.fn = ret.k === 'none' && !isVoid ? undefined : { name: f.name, ret, text };
    this.withScope(() => {
      for (const prm of f.params) this.define(prm.var, this.annType(prm.type));
      this.block(f.body, false);
    });
    this.fn = undefined;
  }

  /** A written type annotation as an SType (NONE when unknown). */
  annType(t: A.TypeAnn): SType {
    return t.kind === 'Typeof' ? (t.arg.kind === 'TypeRef' ? this.typeRef(t.arg) : this.expr(t.arg)) : this.typeRef(t);
  }

  typeRef(t: A.TypeRef): SType {
    return resolveTypeRef(this, t) ?? NONE;
  }

  /** A user function's return type (NONE for macros), or undefined when `name` is not one. */
  userFn(name: string): SType | undefined {
    return this.fns.get(name);
  }

  /** Whether an aggregation call is the value of a map assignment (where bpftrace allows it). */
  aggregationAllowed(c: A.Call): boolean {
    return this.aggTarget === c;
  }

  /** structType's answers by name (`curtask` and `ctx` ask for the same few structs over and over). */
  private readonly structTypes = new Map<string, SType>();
  private readonly btfStructs = new Map<string, SType | undefined>();

  /** `struct X` / `union X` (or a typedef of one) from the kernel's BTF, converted once per name; undefined when BTF lacks it. */
  btfStruct(name: string): SType | undefined {
    const btf = this.kernel.btf;
    if (!btf) return undefined;
    if (this.btfStructs.has(name)) return this.btfStructs.get(name);
    const id = findBtfStruct(btf, name);
    const t = id !== undefined ? btfToSType(btf, id, this.typed) : undefined;
    this.btfStructs.set(name, t);
    return t;
  }

  /** A pointer to a kernel struct by name (unsized when BTF lacks it). */
  structType(name: string): SType {
    let t = this.structTypes.get(name);
    if (t === undefined) {
      const to: SType = this.btfStruct(name) ?? { k: 'cstruct', name, union: false, size: 0 };
      this.structTypes.set(name, (t = { k: 'ptr', to }));
    }
    return t;
  }

  /** The value of an enum constant in BTF, or undefined. */
  enumValue(name: string): bigint | undefined {
    const btf = this.kernel.btf;
    return btf ? enumValues(btf).get(name) : undefined;
  }

  condition(t: SType, range: Range, what: 'if' | 'ternary' | 'predicate' | 'while'): void {
    if (t.k === 'int' || t.k === 'bool' || t.k === 'none') return;
    if (!this.old) {
      // 0.24+: conditions take integers, booleans and pointers (0.24 still names predicates).
      if (t.k !== 'ptr') this.err(range, what === 'predicate' && !this.typed ? `Invalid type for predicate: ${coarse(t)}` : `Invalid condition: ${coarse(t)}`);
      return;
    }
    if (t.k === 'ptr' && what === 'predicate') return;
    const name = coarse(t);
    if (what === 'predicate') this.err(range, `Invalid type for predicate: ${name}`);
    else if (what === 'ternary') this.err(range, `Invalid condition in ternary: ${name}`);
    else this.err(range, `Invalid condition in ${what === 'if' ? 'if' : 'while'}(): ${name}`);
  }

  // ---- scopes and variables ------------------------------------------

  withScope(f: () => void): void {
    this.openScope();
    try {
      f();
    } finally {
      this.closeScope();
    }
  }

  openScope(): void {
    this.scopes.push(undefined);
  }

  /** Leaves a scope; its variables' final types go to `info.vars`. */
  closeScope(): void {
    const s = this.scopes.pop();
    if (s) for (const slot of s.values()) for (const n of slot.nodes) this.info.vars.set(n, fixed(slot.type));
  }

  private lookup(name: string): VarSlot | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i]?.get(name);
      if (v) return v;
    }
    return undefined;
  }

  define(v: A.Var, type: SType): VarSlot {
    const slot: VarSlot = { type, nodes: [v] };
    const top = this.scopes.length - 1;
    if (top >= 0) {
      let scope = this.scopes[top];
      if (scope === undefined) this.scopes[top] = scope = new Map();
      scope.set(v.name, slot);
    }
    return slot;
  }

  /** The declared (fixed) type of a variable from `let $v: T`, or undefined when its assignments decide it. */
  declaredType(v: A.Var): SType | undefined {
    const slot = this.lookup(v.name);
    return slot?.declared ? slot.type : undefined;
  }

  /** A variable read: its current type (NONE when undefined; semantic.ts reports that). */
  varRead(v: A.Var): SType {
    const slot = this.lookup(v.name);
    if (!slot) return NONE;
    slot.nodes.push(v);
    return slot.type;
  }

  /** Assigns a value of type `t` to a variable (defining it when new), with bpftrace's mismatch message. */
  /** `valueAt`: the assigned expression; errors go on the `=` between it and the variable. */
  varAssign(v: A.Var, t: SType, valueAt: Range): void {
    const slot = this.lookup(v.name);
    if (!slot) {
      this.define(v, t);
      return;
    }
    slot.nodes.push(v);
    if (slot.type.k === 'none') {
      slot.type = t;
      return;
    }
    const p = promote(slot.type, t, this.typed);
    if (p === undefined && this.old && slot.type.k === 'tuple' && t.k === 'tuple') {
      this.err(this.opRange(v.range, valueAt), `Tuple type mismatch: ${this.tname(slot.type)} != ${this.tname(t)}.`);
      return;
    }
    if (p === undefined) {
      this.err(this.opRange(v.range, valueAt), !this.typed
        ? `Type mismatch for ${v.name}: trying to assign value of type '${this.tname(t)}' when variable already contains a value of type '${this.tname(slot.type)}'`
        : `Type mismatch for ${v.name}: trying to assign value of type '${this.tname(t)}' when variable already has a type '${this.tname(slot.type)}'`);
      return;
    }
    slot.type = p;
  }

  // ---- maps ------------------------------------------------------------

  private mapSlot(name: string): MapSlot {
    let m = this.mapSlots.get(name);
    if (!m) this.mapSlots.set(name, (m = { key: undefined, value: NONE }));
    return m;
  }

  /** Key types of a map access: checks them against the map's keys (0.17: ints are stored as uint64). */
  mapKeys(map: A.MapRef, keys: SType[], at: Range): void {
    // `@m[a, b]` and `@m[(a, b)]` are the same key (0.26): keys are kept flat.
    const flat = !this.old && keys.length === 1 && keys[0].k === 'tuple' ? keys[0].elems : keys;
    const ks = this.old ? flat.map((k) => (k.k === 'int' ? { k: 'int' as const, bits: 64 as const, signed: false } : k)) : flat;
    const m = this.mapSlot(map.name);
    if (ks.some((k) => k.k === 'none')) return;
    const agg = ks.find((k) => k.k === 'agg');
    if (agg && !this.old) {
      this.err(at, `Value '${this.tname(agg)}' cannot be used as a map key.`);
      return;
    }
    if (this.old && keys.some((k) => contextAccess(k))) {
      this.err(at, 'context cannot be used as a map key');
      return;
    }
    if (this.old && ks.some((k) => k.k === 'tuple')) {
      this.err(at, 'tuple cannot be used as a map key. Try a multi-key associative array instead (eg `@map[$1, $2] = ...)`.');
      return;
    }
    if (m.key === undefined) {
      m.key = ks;
      return;
    }
    const cur = m.key;
    let ok = cur.length === ks.length;
    // A new key list only when a key type changes (most accesses repeat the map's key types).
    let merged: SType[] | undefined;
    for (let i = 0; ok && i < ks.length; i++) {
      const p = promote(cur[i], ks[i], this.typed);
      if (p === undefined) ok = false;
      else if (merged !== undefined) merged.push(p);
      else if (p !== cur[i]) (merged = cur.slice(0, i)).push(p);
    }
    if (ok) {
      if (merged !== undefined) m.key = merged;
      return;
    }
    const list = (x: SType[]): string => (this.old ? `[${x.map((t) => this.tname(t)).join(', ')}]` : `'${x.length === 1 ? this.tname(x[0]) : this.tname({ k: 'tuple', elems: x })}'`);
    this.diag(at, `Argument mismatch for ${map.name}: trying to access with arguments: ${list(ks)} when map expects arguments: ${list(m.key)}`, 'error', undefined, true);
  }

  /** The map's value type so far, without counting as a read. */
  mapKnown(name: string): SType {
    return this.mapSlots.get(name)?.value ?? NONE;
  }

  /** The map's value type as read (NONE until known). */
  mapValue(name: string): SType {
    const v = this.mapSlots.get(name)?.value;
    if (v === undefined || v.k === 'none') {
      if (this.pass === 1) this.readEarly = true;
      return NONE;
    }
    return v;
  }

  /** Stores a value of type `t` into a map (an aggregation's { k: 'agg' } included). */
  /** `target`/`valueAt` (an assignment's sides) place 0.17's tuple mismatch on the `=`. */
  mapStore(map: A.MapRef, t: SType, at: Range, target?: Range, valueAt?: Range): void {
    if (t.k === 'none') return;
    const m = this.mapSlot(map.name);
    const stored = this.old && t.k === 'int' ? { k: 'int' as const, bits: 64 as const, signed: t.signed } : t;
    if (m.value.k === 'none') {
      m.value = stored;
      m.valueAt = at;
      return;
    }
    const cur = m.value;
    // An aggregation map takes only the same aggregation; an int map no aggregation.
    const p = (cur.k === 'agg') !== (stored.k === 'agg') ? undefined : promote(cur, stored, this.typed);
    if (p !== undefined) {
      m.value = p;
      return;
    }
    if (this.old && cur.k === 'tuple' && stored.k === 'tuple') {
      this.diag(target && valueAt ? this.opRange(target, valueAt) : at, `Tuple type mismatch: ${this.tname(cur)} != ${this.tname(stored)}.`, 'error', undefined, true);
      return;
    }
    // Before 0.25 the map "contains a value"; bpftrace 0.17 prints this message without the closing quote.
    this.diag(at, !this.typed
      ? `Type mismatch for ${map.name}: trying to assign value of type '${this.tname(t)}' when map already contains a value of type '${this.tname(cur)}${this.old ? '' : "'"}`
      : `Type mismatch for ${map.name}: trying to assign value of type '${this.tname(t)}' when map already has a type '${this.tname(cur)}'`, 'error', undefined, true);
  }

  // ---- statements (typecheck-stmt.ts) ----------------------------------

  block(b: A.Block, newScope = true): SType {
    return blockType(this, b, newScope);
  }

  ifNode(n: A.If): SType {
    return ifType(this, n);
  }

  /** A map's key types so far (undefined until first used). */
  mapKeyTypes(name: string): SType[] | undefined {
    return this.mapSlots.get(name)?.key;
  }

  /** A map used without keys: 0.17 checks that like any key list; later versions in the first pass. */
  scalarMap(map: A.MapRef): void {
    const m = this.mapSlot(map.name);
    if (m.key === undefined) m.key = [];
    else if (this.old) this.mapKeys(map, [], map.range);
  }

  expr(e: A.Expr): SType {
    const t = exprType(this, e);
    this.info.exprs.set(e, t);
    return t;
  }
}

/** 0.17's coarse type names ('integer', 'string', ...) in some messages. */
export function coarse(t: SType): string {
  switch (t.k) {
    case 'int':
    case 'bool':
      return 'integer';
    case 'ptr':
      return 'pointer';
    case 'cstruct':
      return 'record';
    case 'special':
      return t.kind;
    case 'agg':
      return t.fn;
    default:
      return t.k;
  }
}

/**
 * Types a parsed program for `opts.target` against the kernel's types (BTF
 * and tracepoint formats, both optional: without them kernel types are
 * unknown and not reported). Never throws; problems are diagnostics.
 */
export function typecheck(prog: A.Program, kernel: KernelTypes, opts: TypecheckOptions): TypeInfo {
  const c = new Checker(kernel, opts);
  c.run(prog);
  return c.info;
}

/**
 * The top-level items outside inactive preprocessor branches: `#ifdef X`,
 * `#ifndef X`, `#if defined(X)` / `#if !defined(X)`, `#else`, `#endif`, with
 * `defined` the macros set; any other `#if` counts as true and `#elif` as
 * `#else`.
 */
export function activeItems(items: readonly A.TopItem[], defined: ReadonlySet<string>): Set<A.TopItem> {
  const out = new Set<A.TopItem>();
  const stack: boolean[] = [];
  const live = (): boolean => stack.every((b) => b);
  for (const it of items) {
    if (it.kind !== 'Preproc') {
      if (live()) out.add(it);
      continue;
    }
    const m = /^#\s*(ifdef|ifndef|if|else|elif|endif)\b\s*(.*)$/.exec(it.text.trim());
    if (!m) continue;
    const [, dir, rest] = m;
    if (dir === 'ifdef' || dir === 'ifndef') {
      const has = defined.has(rest.trim());
      stack.push(dir === 'ifdef' ? has : !has);
    } else if (dir === 'if') {
      const d = /^(!?)\s*defined\s*\(?\s*(\w+)\s*\)?$/.exec(rest.trim());
      stack.push(d ? (d[1] === '!') !== defined.has(d[2]) : true);
    } else if (dir === 'else' || dir === 'elif') {
      if (stack.length) stack[stack.length - 1] = !stack[stack.length - 1];
    } else if (stack.length) stack.pop();
  }
  return out;
}

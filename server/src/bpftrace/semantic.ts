/**
 * First semantic pass over a bpftrace AST (scaffolding): variable scopes
 * (block scoped from 0.22, probe scoped before), `let` shadowing, builtins
 * allowed per probe provider, function arities, map key/value consistency and
 * aggregation rules, with bpftrace's messages for the target version.
 * Non-goals for now: C/BTF types, field checks, integer promotion (later passes).
 */
import * as A from './ast';
import { allowedProviders, ARITY_017, arityMessage, builtinMessage, FUNCTIONS, FUNCTIONS_017 } from './builtins';
import { closest } from './suggest';
import { formatArgCount, formatArgsMessage } from './format';
import { isBuiltinName } from './lexer';
import { Diagnostic, Range } from './source';
import { compareVersions, parseVersion, Version } from './versions';
import type { TpFormat } from '../btf/tracepoint';
import type { Btf } from '../btf/types';
import type { UprobeDebugInfo } from './uprobe-args';

export interface MapInfo {
  name: string;
  /** Whether the map is used with keys; undefined until first seen. */
  keyed: boolean | undefined;
  /** Coarse value class: 'int', 'string', an aggregation name, or undefined when unknown. */
  value: string | undefined;
  /** Where the value class was fixed, and by which expression. */
  valueRange: Range | undefined;
  valueExpr?: A.Expr;
  declared: A.MapDecl | undefined;
}

/** What the analysis may know about the target kernel (from tracefs or BTF, fetched by host/). */
export interface KernelInfo {
  /** Field names of a tracepoint's record (common_* included), or undefined when the kernel has no such tracepoint. */
  tracepointFields(category: string, event: string): string[] | undefined;
  /** The parsed format of a tracepoint (the type checker's record layouts). */
  tracepoint?(category: string, event: string): TpFormat | undefined;
  /** Target kernel BTF, for the type checker (kernel structs, fentry and rawtracepoint arguments). */
  btf?: Btf;
  /** Tracepoint subsystems and events, for the type checker's wildcard expansion. */
  systems?(): string[];
  events?(system: string): string[];
  /** A uprobe target's debug info (DWARF read by the host), for the type checker's uprobe args. */
  uprobeArgs?(binaryPath: string, func: string): UprobeDebugInfo | undefined;
}

export interface SemanticResult {
  diagnostics: Diagnostic[];
  maps: Map<string, MapInfo>;
}

interface VarInfo {
  assigned: boolean;
  origin: Range;
  /** Coarse value class from literal assignments ('int', 'string'), with the literal. */
  cls?: string;
  clsExpr?: A.Expr;
}

/** Functions whose first argument is a format string. */
const FORMAT_FUNCS = new Set(['printf', 'system', 'cat', 'debugf', 'errorf', 'warnf']);

const MAP_KINDS = new Set(['hash', 'lruhash', 'percpuhash', 'percpulruhash', 'percpuarray']);

class Analyzer {
  readonly diagnostics: Diagnostic[] = [];
  readonly maps = new Map<string, MapInfo>();
  /** Open scopes, innermost last; a scope's map is made when it defines its first variable. */
  private scopes: (Map<string, VarInfo> | undefined)[] = [];
  private aps: A.AttachPoint[] = [];
  /** Record fields of the probe's tracepoints (exact names only; wildcards are not resolved). */
  private tracepoints: { name: string; fields: string[] }[] = [];
  private readonly fns = new Set<string>();
  private readonly macros = new Set<string>();
  /** Target before 0.22: probe-scoped variables and 0.17 wording. */
  private readonly old: boolean;
  private readonly blockScopes: boolean;
  private readonly v: Version;

  constructor(
    target: string,
    private readonly kernel?: KernelInfo,
    /** The type checker runs after this pass: value-type mismatches are left to it. */
    private readonly leaveTypes = false,
  ) {
    this.v = parseVersion(target) ?? [0, 26, 0];
    this.blockScopes = compareVersions(this.v, [0, 22, 0]) >= 0;
    this.old = compareVersions(this.v, [0, 24, 0]) < 0;
  }

  private err(range: Range, message: string, severity: 'error' | 'warning' = 'error'): void {
    this.diagnostics.push({ range, severity, message, source: 'semantic' });
  }

  /** Maps written somewhere in the program (assigned, ++/--, declared, or handed to a user fn/macro). */
  written: ReadonlySet<string> = new Set<string>();

  /** A read of a map nothing writes: bpftrace's "Undefined map". */
  private mapRead(name: string, range: Range): void {
    if (!this.written.has(name)) this.err(range, `Undefined map: ${name}`);
  }

  run(p: A.Program, written?: ReadonlySet<string>): void {
    if (written) this.written = written;
    else {
      const w = mapWrites();
      A.walk(p, w.visit);
      this.written = w.written(p);
    }
    for (const item of p.items) {
      if (item.kind === 'Fn') this.fns.add(item.name);
      else if (item.kind === 'Macro') this.macros.add(item.name);
      else if (item.kind === 'MapDecl') {
        if (!MAP_KINDS.has(item.mapKind)) this.err(item.range, `Invalid bpf map type: ${item.mapKind}`);
        this.mapInfo(item.map.name).declared = item;
      }
    }
    for (const item of p.items) {
      if (item.kind === 'Probe') {
        this.aps = item.attachPoints;
        this.tracepoints = this.resolveTracepoints(item.attachPoints);
        this.withScope(() => {
          if (item.predicate) this.expr(item.predicate);
          this.block(item.body, false);
        });
      } else if (item.kind === 'Fn') {
        this.aps = [];
        this.withScope(() => {
          for (const prm of item.params) this.define(prm.var.name, prm.var.range, true);
          this.block(item.body, false);
        });
      } else if (item.kind === 'Macro') {
        this.aps = [];
        this.withScope(() => {
          for (const prm of item.params) if (prm.kind === 'Var') this.define(prm.name, prm.range, true);
          // Expression parameters are names inside the body; they are not checked here.
          this.block(item.body, false);
        });
      }
    }
  }

  private resolveTracepoints(aps: A.AttachPoint[]): { name: string; fields: string[] }[] {
    const out: { name: string; fields: string[] }[] = [];
    if (!this.kernel) return out;
    for (const ap of aps) {
      if (ap.canonical !== 'tracepoint' || ap.parts.length !== 2 || ap.raw.includes('$')) continue;
      const [cat, event] = ap.parts;
      if (/[*?[]/.test(cat + event)) continue;
      const fields = this.kernel.tracepointFields(cat, event);
      if (fields === undefined) {
        const what = this.old ? 'tracepoint not found' : 'Tracepoint not found';
        this.err(ap.range, `${what}: ${cat}:${event}`, 'warning');
      } else out.push({ name: `${cat}_${event}`, fields });
    }
    return out;
  }

  /** `args.f` / `args->f` against the tracepoint records. */
  private argsField(e: A.Field): void {
    for (const tp of this.tracepoints) {
      if (!tp.fields.includes(e.field)) {
        const d: Diagnostic = {
          range: e.range,
          severity: 'error',
          message: `Struct/union of type 'struct _tracepoint_${tp.name}' does not contain a field named '${e.field}'`,
          source: 'semantic',
        };
        const near = closest(e.field, tp.fields.filter((f) => !f.startsWith('common_')));
        if (near !== undefined) d.hint = `did you mean '${near}'?`;
        this.diagnostics.push(d);
        return;
      }
      if (e.field.startsWith('common_')) {
        this.err(e.range, 'BPF does not support accessing common tracepoint fields');
        return;
      }
    }
  }

  private withScope(f: () => void): void {
    this.scopes.push(undefined);
    try {
      f();
    } finally {
      this.scopes.pop();
    }
  }

  private lookup(name: string): VarInfo | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i]?.get(name);
      if (v) return v;
    }
    return undefined;
  }

  private define(name: string, origin: Range, assigned: boolean): void {
    const top = this.scopes.length - 1;
    if (top < 0) return;
    let scope = this.scopes[top];
    if (scope === undefined) this.scopes[top] = scope = new Map();
    scope.set(name, { assigned, origin });
  }

  private block(b: A.Block, newScope = true): void {
    const scoped = newScope && this.blockScopes;
    if (scoped) this.scopes.push(undefined);
    try {
      for (const s of b.stmts) this.stmt(s);
      if (b.value) this.expr(b.value);
    } finally {
      if (scoped) this.scopes.pop();
    }
  }

  private stmt(s: A.Stmt): void {
    switch (s.kind) {
      case 'ExprStmt':
        this.expr(s.expr);
        break;
      case 'Discard':
        this.expr(s.expr);
        break;
      case 'Assign':
        this.assign(s);
        break;
      case 'VarDecl': {
        if (s.type) this.typeAnn(s.type);
        if (s.init) this.expr(s.init);
        const prev = this.lookup(s.var.name);
        if (prev) this.err(s.range, `Variable ${s.var.name} was already declared. Variable shadowing is not allowed.`);
        else this.define(s.var.name, s.var.range, s.init !== null);
        break;
      }
      case 'If':
        this.ifNode(s);
        break;
      case 'While':
        this.expr(s.cond);
        this.block(s.body);
        break;
      case 'Unroll':
        this.expr(s.count);
        this.block(s.body);
        break;
      case 'For':
        if (s.iterable.kind === 'Map') {
          this.mapRead(s.iterable.name, s.iterable.range);
          if (this.maps.get(s.iterable.name)?.keyed === false) {
            this.err(s.iterable.range, `${s.iterable.name} has no explicit keys (scalar map), and cannot be used for iteration`);
          } else this.mapUse(s.iterable, true);
        }
        else {
          this.expr(s.iterable.from);
          this.expr(s.iterable.to);
        }
        this.withScope(() => {
          if (this.lookup(s.var.name)) this.err(s.var.range, `Loop declaration shadows existing variable: ${s.var.name}`);
          this.define(s.var.name, s.var.range, true);
          this.block(s.body);
        });
        break;
      case 'Jump':
        if (s.value) this.expr(s.value);
        break;
      case 'Block':
        this.block(s);
        break;
      case 'Import':
      case 'Error':
        break;
    }
  }

  private ifNode(n: A.If): void {
    this.expr(n.cond);
    this.block(n.then);
    if (n.else?.kind === 'If') this.ifNode(n.else);
    else if (n.else) this.block(n.else);
  }

  private assign(s: A.Assign): void {
    this.expr(s.value);
    const t = s.target;
    if (t.kind === 'Var') {
      if (s.op !== '=') this.varUse(t);
      let v = this.lookup(t.name);
      if (v) v.assigned = true;
      else {
        this.define(t.name, t.range, true);
        v = this.lookup(t.name) as VarInfo;
      }
      const cls = s.op === '=' ? valueClass(s.value) : undefined;
      if (cls === 'int' || cls === 'string') {
        if (v.cls === undefined) {
          v.cls = cls;
          v.clsExpr = s.value;
        } else if (v.cls !== cls && !this.leaveTypes) {
          const now = typeName(cls, this.old, s.value);
          const before = typeName(v.cls, this.old, v.clsExpr);
          this.err(t.range, this.old
            ? `Type mismatch for ${t.name}: trying to assign value of type '${now}' when variable already contains a value of type '${before}'`
            : `Type mismatch for ${t.name}: trying to assign value of type '${now}' when variable already has a type '${before}'`);
        }
      }
      return;
    }
    if (t.kind === 'MapAccess') for (const k of t.keys) this.expr(k);
    const map = t.kind === 'Map' ? t : t.map;
    this.mapUse(map, t.kind === 'MapAccess');
    const cls = s.op === '=' ? valueClass(s.value) : 'int';
    if (cls !== undefined) this.mapValue(map, cls, s.op === '=' ? s.value : undefined);
  }

  private mapInfo(name: string): MapInfo {
    let m = this.maps.get(name);
    if (!m) {
      m = { name, keyed: undefined, value: undefined, valueRange: undefined, declared: undefined };
      this.maps.set(name, m);
    }
    return m;
  }

  /** Records a map's use with or without keys and reports a mismatch. */
  private mapUse(map: A.MapRef, keyed: boolean): void {
    const m = this.mapInfo(map.name);
    if (m.keyed === undefined) {
      m.keyed = keyed;
      return;
    }
    if (m.keyed === keyed) return;
    // 0.17 reports this as an argument mismatch, with the key types: the type checker does.
    if (this.old && this.leaveTypes) return;
    if (keyed) this.err(map.range, `${map.name} used as a map with an explicit key (non-scalar map), previously used without an explicit key (scalar map)`);
    else this.err(map.range, `${map.name} used as a map without an explicit key (scalar map), previously used with an explicit key (non-scalar map)`);
  }

  private mapValue(map: A.MapRef, cls: string, value?: A.Expr): void {
    const m = this.mapInfo(map.name);
    if (m.value === undefined) {
      m.value = cls;
      m.valueRange = map.range;
      m.valueExpr = value;
      return;
    }
    if (m.value === cls || this.leaveTypes) return;
    const name = (c: string, r: A.Expr | undefined): string => typeName(c, this.old, r);
    // bpftrace 0.17 prints this message without the closing quote.
    const message = this.old
      ? `Type mismatch for ${map.name}: trying to assign value of type '${name(cls, value)}' when map already contains a value of type '${name(m.value, m.valueExpr)}`
      : `Type mismatch for ${map.name}: trying to assign value of type '${name(cls, value)}' when map already has a type '${name(m.value, m.valueExpr)}'`;
    this.err(map.range, message);
  }

  private varUse(v: A.Var): void {
    const info = this.lookup(v.name);
    if (!info) this.err(v.range, `Undefined or undeclared variable: ${v.name}`);
    else if (!info.assigned) this.err(v.range, `Variable used before it was assigned: ${v.name}`, 'warning');
  }

  private builtin(n: A.Builtin): void {
    const name = n.name.startsWith('__builtin_') ? n.name.slice('__builtin_'.length) : n.name;
    const allowed = allowedProviders(name, this.old);
    if (allowed === undefined || this.aps.length === 0) return;
    for (const ap of this.aps) {
      if (ap.canonical === '' || allowed.includes(ap.canonical)) continue;
      this.err(n.range, builtinMessage(name, ap, this.old));
      return;
    }
  }

  private call(c: A.Call): void {
    // A bare map passed to a function (print(@m), delete(@m, k), len(@m)) is not a scalar read.
    for (const a of c.args) if (a.kind !== 'Map') this.expr(a);
    if (c.name.startsWith('__')) return; // stdlib internals
    if (this.fns.has(c.name) || this.macros.has(c.name)) return;
    for (const a of c.args) if (a.kind === 'Map') this.mapRead(a.name, c.range);
    const info = FUNCTIONS[c.name];
    const known = this.old ? FUNCTIONS_017.has(c.name) || (info !== undefined && compareVersions(this.v, [0, 18, 0]) >= 0) : info !== undefined || isBuiltinName(c.name);
    if (!known) {
      this.err(c.range, this.old ? `Unknown function: ${c.name}` : `Unknown function: '${c.name}'`);
      return;
    }
    if (info === undefined) return;
    const old = this.old ? ARITY_017[c.name] : undefined;
    const arity = arityMessage(c.name, old ? { ...info, min: old[0], max: old[1] } : info, c.args.length);
    if (arity) {
      this.err(c.range, arity);
      return;
    }
    if (FORMAT_FUNCS.has(c.name) && c.args.length > 0) {
      const f = c.args[0];
      if (f.kind === 'Str') {
        // (Scripts repeat their format strings: each one's conversions are counted once per era.)
        if (formatCount(f.value, this.old) !== c.args.length - 1) {
          const m = formatArgsMessage(c.name, f.value, c.args.length - 1, this.old);
          if (m) this.err(c.range, m);
        }
      } else if (f.kind === 'Int' && this.old) this.err(c.range, `${c.name}() expects a string literal (integer provided)`);
    }
    if (info.mapArg) {
      const a = c.args[0];
      if (a.kind !== 'Map' && a.kind !== 'MapAccess') {
        this.err(c.range, this.old ? `${c.name}() expects a map to be provided` : `${c.name}() expects a map argument`);
      }
    }
  }

  private typeAnn(t: A.TypeAnn): void {
    if (t.kind === 'Typeof' && t.arg.kind !== 'TypeRef') this.meta(t.arg);
  }

  /** Expressions inside typeof/sizeof/typeinfo: variables must exist but need no value. */
  private meta(e: A.Expr): void {
    if (e.kind === 'Var') {
      if (!this.lookup(e.name)) this.err(e.range, `Undefined or undeclared variable: ${e.name}`);
      return;
    }
    this.expr(e);
  }

  private expr(e: A.Expr): void {
    switch (e.kind) {
      case 'Var':
        this.varUse(e);
        return;
      case 'AddrOf':
        if (e.operand.kind === 'Var') {
          const v = this.lookup(e.operand.name);
          if (v) v.assigned = true;
          else this.err(e.operand.range, `Undefined or undeclared variable: ${e.operand.name}`);
        }
        return; // &@m takes the map itself, keyed or not

      case 'Builtin':
        this.builtin(e);
        return;
      case 'Unary':
        this.expr(e.operand);
        if ((e.op === '++' || e.op === '--') && e.operand.kind !== 'Var') {
          const map = e.operand.kind === 'MapAccess' ? e.operand.map : e.operand.kind === 'Map' ? e.operand : undefined;
          const cls = map ? this.maps.get(map.name)?.value : undefined;
          if (cls !== undefined && FUNCTIONS[cls]?.aggregation) {
            this.err(e.range, `The ${e.op} operator can not be used on expressions of type '${typeName(cls, this.old, undefined)}'`);
          }
        }
        return;
      case 'Map':
        this.mapRead(e.name, e.range);
        this.mapUse(e, false);
        return;
      case 'MapAccess':
        for (const k of e.keys) this.expr(k);
        this.mapRead(e.map.name, e.map.range);
        this.mapUse(e.map, true);
        return;
      case 'Call':
        this.call(e);
        return;
      case 'Block':
        this.block(e);
        return;
      case 'If':
        this.ifNode(e);
        return;
      case 'Sizeof':
      case 'Typeinfo':
      case 'Typeof':
        if (e.arg.kind !== 'TypeRef') this.meta(e.arg);
        return;
      case 'Offsetof':
        if (e.arg.kind !== 'TypeRef') this.meta(e.arg);
        return;
      case 'Cast':
        this.typeAnn(e.type);
        this.expr(e.expr);
        return;
      case 'Field':
        this.expr(e.object);
        if (e.object.kind === 'Builtin' && e.object.name === 'args') this.argsField(e);
        return;
      case 'Binary':
        this.expr(e.left);
        this.expr(e.right);
        return;
      case 'Ternary':
        this.expr(e.cond);
        if (e.then !== null) this.expr(e.then);
        this.expr(e.else);
        return;
      case 'Tuple':
        for (const x of e.elems) this.expr(x);
        return;
      case 'Record':
        for (const f of e.fields) this.expr(f.value);
        return;
      case 'TupleIndex':
        this.expr(e.object);
        return;
      case 'Index':
        this.expr(e.object);
        this.expr(e.index);
        return;
      case 'Comptime':
        this.expr(e.expr);
        return;
      case 'Int':
      case 'Str':
      case 'Bool':
      case 'Ident':
      case 'Param':
      case 'ParamCount':
      case 'Error':
        return;
      default:
        e satisfies never;
    }
  }
}

/**
 * Collects the maps a program writes (assigned, ++/--, declared, taken by
 * address, or handed to a user fn/macro): `visit` every node (in any walk),
 * then `written(p)` (p: the program, for its fn and macro names). checkScript
 * runs it inside the version check's walk.
 */
export function mapWrites(): { visit: (n: A.Node) => void; written: (p: A.Program) => Set<string> } {
  const direct = new Set<string>();
  /** Maps passed to calls, by the called name (they count when it names a user fn or macro). */
  const passed = new Map<string, string[]>();
  const visit = (n: A.Node): void => {
    switch (n.kind) {
      case 'Assign':
        if (n.target.kind !== 'Var') direct.add(n.target.kind === 'Map' ? n.target.name : n.target.map.name);
        return;
      case 'Unary':
        if (n.op === '++' || n.op === '--') {
          const o = n.operand;
          if (o.kind === 'Map') direct.add(o.name);
          else if (o.kind === 'MapAccess') direct.add(o.map.name);
        }
        return;
      case 'MapDecl':
        direct.add(n.map.name);
        return;
      case 'Call':
        for (const a of n.args) {
          if (a.kind !== 'Map') continue;
          const l = passed.get(n.name);
          if (l) l.push(a.name);
          else passed.set(n.name, [a.name]);
        }
        return;
      case 'AddrOf':
        if (n.operand.kind === 'Map') direct.add(n.operand.name);
        return;
      case 'Macro':
        for (const prm of n.params) if (prm.kind === 'Map') direct.add(prm.name); // bound to the caller's map
        return;
      default:
        return;
    }
  };
  const written = (p: A.Program): Set<string> => {
    const out = new Set(direct);
    for (const i of p.items) if (i.kind === 'Fn' || i.kind === 'Macro') for (const m of passed.get(i.name) ?? []) out.add(m);
    return out;
  };
  return { visit, written };
}

const FORMAT_COUNTS = [new Map<string, number>(), new Map<string, number>()];

/** formatArgCount, remembered per era for the last 1,000 distinct format strings. */
function formatCount(fmt: string, old: boolean): number {
  const cache = FORMAT_COUNTS[old ? 1 : 0];
  let n = cache.get(fmt);
  if (n === undefined) {
    if (cache.size >= 1000) cache.clear();
    cache.set(fmt, (n = formatArgCount(fmt, old)));
  }
  return n;
}

/** Coarse class of an assigned value, when it is evident from the syntax. */
function valueClass(e: A.Expr): string | undefined {
  if (e.kind === 'Int' || (e.kind === 'Unary' && e.op === '-' && e.operand.kind === 'Int')) return 'int';
  if (e.kind === 'Str') return 'string';
  if (e.kind === 'Call' && FUNCTIONS[e.name]?.aggregation) return e.name;
  return undefined;
}

/** bpftrace's name for a value class (0.17: count, int64; 0.26: count_t); string sizes from the literal. */
function typeName(cls: string, old: boolean, e: A.Expr | undefined): string {
  if (cls === 'int') return 'int64';
  if (cls === 'string') return e?.kind === 'Str' ? `string[${e.value.length + 1}]` : 'string';
  return old ? cls : `${cls}_t`;
}

/**
 * Runs the first semantic pass; `target` is a bpftrace version ('0.17',
 * '0.26', ...); `kernel`, when given, checks tracepoint targets and `args` fields;
 * `opts.types`: the type checker runs next, so variable and map value-type
 * mismatches are left to it; `opts.written`: the maps the program writes
 * (mapWrites over this very tree), when a walk the caller made collected them.
 */
export function analyze(
  program: A.Program,
  target = '0.26',
  kernel?: KernelInfo,
  opts: { types?: boolean; written?: ReadonlySet<string> } = {},
): SemanticResult {
  const a = new Analyzer(target, kernel, opts.types === true);
  a.run(program, opts.written);
  return { diagnostics: a.diagnostics, maps: a.maps };
}

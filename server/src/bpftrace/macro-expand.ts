/**
 * bpftrace 0.26 `macro` expansion: a pure syntax-tree pass, run after parsing
 * and before semantic/type checks, that replaces each macro call (and each bare
 * identifier naming a parameterless macro) in probe and fn bodies with a block
 * holding a copy of the macro body: `$var` parameters bound to the caller's
 * variable, `@map` parameters renamed to the caller's map, identifier parameters
 * replaced by the argument expression; the macro's own variables get names of
 * their own per expansion (hygiene). Non-goals: type checking the body, macros
 * in C definitions.
 */
import type * as A from './ast';
import type { Diagnostic, Range } from './source';

/** Nested expansions deeper than this are refused (with recursion, found first). */
const MAX_DEPTH = 32;

export interface MacroExpansion {
  /** How many calls were expanded. */
  expanded: number;
  diagnostics: Diagnostic[];
}

interface Scope {
  vars: Map<string, string>;
  maps: Map<string, string>;
  idents: Map<string, A.Expr>;
  /** Suffix for the macro's own variables (hygiene), '' outside macros. */
  suffix: string;
  /** Macros being expanded around this point (a call of one of them is recursion). */
  chain: string[];
}

/** No substitutions: copies (arguments already expanded in the caller's scope). */
const PLAIN: Scope = { vars: new Map(), maps: new Map(), idents: new Map(), suffix: '', chain: [] };

type AnyNode = { kind: string; range: Range } & Record<string, unknown>;

class Expander {
  readonly macros = new Map<string, A.Macro>();
  readonly diagnostics: Diagnostic[] = [];
  expanded = 0;
  private serial = 0;

  constructor(prog: A.Program) {
    for (const it of prog.items) if (it.kind === 'Macro') this.macros.set(it.name, it);
  }

  private err(range: Range, message: string): void {
    this.diagnostics.push({ range, severity: 'error', message, source: 'semantic' });
  }

  /** A copy of `n` with the scope's substitutions and every macro call inside expanded. */
  node(n: unknown, sc: Scope): unknown {
    if (Array.isArray(n)) return n.map((x) => this.node(x, sc));
    if (!n || typeof n !== 'object' || !('kind' in n)) return n;
    const o = n as AnyNode;
    switch (o.kind) {
      case 'Var': {
        const v = o as unknown as A.Var;
        const to = sc.vars.get(v.name) ?? (sc.suffix ? `${v.name}${sc.suffix}` : v.name);
        return { ...v, name: to };
      }
      case 'Map': {
        const m = o as unknown as A.MapRef;
        return { ...m, name: sc.maps.get(m.name) ?? m.name };
      }
      case 'Ident': {
        const id = o as unknown as A.Ident;
        const arg = sc.idents.get(id.name);
        if (arg) return this.node(arg, PLAIN); // a fresh copy per use (types are per node)
        const m = this.macros.get(id.name);
        if (m && m.params.length === 0) return this.expand(m, [], id.range, sc);
        return { ...id };
      }
      case 'Call': {
        const c = o as unknown as A.Call;
        const m = this.macros.get(c.name);
        if (m) return this.expand(m, c.args.map((a) => this.node(a, sc) as A.Expr), c.range, sc);
        break;
      }
      case 'ExprStmt': {
        // A macro called as a statement becomes a block statement.
        const s = o as unknown as A.ExprStmt;
        const e = this.node(s.expr, sc) as A.Expr;
        if (e.kind === 'Block' && s.expr.kind !== 'Block') return e;
        return { ...s, expr: e };
      }
    }
    const out: AnyNode = { ...o };
    for (const [k, v] of Object.entries(o)) if (k !== 'range' && v && typeof v === 'object') out[k] = this.node(v, sc);
    return out;
  }

  /** A block from macro m's body for one call with already expanded arguments. */
  private expand(m: A.Macro, args: A.Expr[], range: Range, outer: Scope): A.Expr {
    if (outer.chain.includes(m.name) || outer.chain.length >= MAX_DEPTH) {
      this.err(range, `macro ${m.name}() is recursive (expanded inside ${outer.chain.join(' -> ') || 'itself'})`);
      return { kind: 'Int', range, text: '0', value: 0n };
    }
    if (args.length !== m.params.length) {
      this.err(range, `macro ${m.name}() takes ${m.params.length} argument${m.params.length === 1 ? '' : 's'}, ${args.length} provided`);
      return { kind: 'Int', range, text: '0', value: 0n };
    }
    this.expanded++;
    const suffix = `__${m.name}${++this.serial}`;
    const sc: Scope = { vars: new Map(), maps: new Map(), idents: new Map(), suffix, chain: [...outer.chain, m.name] };
    const prelude: A.Stmt[] = [];
    m.params.forEach((p, i) => {
      const a = args[i];
      const at = a.range;
      if (p.kind === 'Var') {
        if (a.kind === 'Var') sc.vars.set(p.name, a.name);
        else {
          // An expression for a $parameter: bound to a variable of the expansion.
          const v: A.Var = { kind: 'Var', range: p.range, name: `${p.name}${suffix}` };
          prelude.push({ kind: 'Assign', range: at, target: v, op: '=', value: a });
          sc.vars.set(p.name, v.name);
        }
      } else if (p.kind === 'Map') {
        if (a.kind !== 'Map') this.err(at, `macro ${m.name}() expects a map for ${p.name}`);
        else sc.maps.set(p.name, a.name);
      } else sc.idents.set(p.name, a);
    });
    const body = this.node(m.body, sc) as A.Block;
    return { ...body, range: body.range, stmts: [...prelude, ...body.stmts] };
  }
}

/**
 * Expands every macro call in the program's probes and fns, in place (their
 * bodies are replaced by expanded copies; macro definitions stay as they are).
 * A program without macros is left untouched.
 */
export function expandMacros(prog: A.Program): MacroExpansion {
  const x = new Expander(prog);
  if (x.macros.size === 0) return { expanded: 0, diagnostics: [] };
  for (const it of prog.items) {
    if (it.kind === 'Probe') {
      it.body = x.node(it.body, PLAIN) as A.Block;
      if (it.predicate) it.predicate = x.node(it.predicate, PLAIN) as A.Expr;
    } else if (it.kind === 'Fn') it.body = x.node(it.body, PLAIN) as A.Block;
  }
  return { expanded: x.expanded, diagnostics: x.diagnostics };
}

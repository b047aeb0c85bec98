/**
 * Version awareness: which bpftrace release introduced (or dropped) each
 * language construct, and `checkVersion`, which flags constructs a target
 * version does not accept. Facts come from bpftrace's CHANGELOG and from the
 * grammar and probe tables of each release tag. Non-goal: builtin functions'
 * availability per version (semantic analysis).
 */
import * as A from './ast';
import { isBuiltinName } from './lexer';
import { canonicalProvider, PROVIDERS } from './attach';
import { Diagnostic } from './source';

export type Version = [number, number, number];

/** Parses '0.17', '0.26.1', 'v0.17.0', 'bpftrace v0.17.0-debian'; undefined if no version is found. */
export function parseVersion(s: string): Version | undefined {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(s);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function fmt(v: Version): string {
  return v[2] === 0 ? `${v[0]}.${v[1]}` : v.join('.');
}

interface Ctx {
  /** Parent of the node being checked. */
  parent: A.Node | undefined;
}

export interface VersionRule {
  /** Node kinds `match` can accept (rules are indexed by kind). */
  kinds: A.Node['kind'][];
  /** What the construct is, as used in messages ("`for` loops over ranges"). */
  what: string;
  /** First release accepting it. */
  since?: string;
  /** First release no longer accepting it. */
  removed?: string;
  /** First release that deprecates it (a warning from then on). */
  deprecated?: string;
  /** Advice shown with a removal or deprecation. */
  instead?: string;
  /** Before `since` the construct still works differently: report a warning with this explanation. */
  soft?: string;
  /** Whether the construct is plural in messages ("need" vs "needs"). */
  plural?: boolean;
  match(n: A.Node, ctx: Ctx): boolean;
}

const EXACT_PROVIDERS = new Set(PROVIDERS.flatMap((p) => [p.name, ...p.aliases]));
const isExactProvider = (name: string): boolean => EXACT_PROVIDERS.has(name);

const provider = (...names: string[]) => (n: A.Node): boolean => n.kind === 'AttachPoint' && names.includes(n.provider);

/** The table of versioned constructs. */
export const VERSION_RULES: VersionRule[] = [
  { kinds: ['AttachPoint'], what: 'the `rawtracepoint` provider', since: '0.18', match: (n) => n.kind === 'AttachPoint' && n.canonical === 'rawtracepoint' },
  { kinds: ['Offsetof'], what: '`offsetof`', since: '0.18', match: (n) => n.kind === 'Offsetof' },
  { kinds: ['Cast'], what: 'casts to integer arrays', plural: true, since: '0.19', match: (n) => n.kind === 'Cast' && n.type.kind === 'TypeRef' && n.type.suffixes.some((s) => s !== '*') },
  { kinds: ['AttachPoint'], what: 'the `fentry`/`fexit` provider names', plural: true, since: '0.20', match: provider('fentry', 'fexit') },
  { kinds: ['Config'], what: 'the `config = { ... }` block', since: '0.20', match: (n) => n.kind === 'Config' },
  { kinds: ['Fn'], what: 'user functions (`fn`)', plural: true, since: '0.21', match: (n) => n.kind === 'Fn' },
  { kinds: ['For'], what: '`for` loops over maps', plural: true, since: '0.21', match: (n) => n.kind === 'For' && n.iterable.kind === 'Map' },
  { kinds: ['AttachPoint'], what: 'the `self` provider', since: '0.22', match: (n) => n.kind === 'AttachPoint' && n.canonical === 'self' },
  { kinds: ['VarDecl'], what: '`let` declarations', plural: true, since: '0.22', match: (n) => n.kind === 'VarDecl' },
  {
    kinds: ['Call'], what: '`delete(@map, key)`', since: '0.22',
    match: (n) => n.kind === 'Call' && n.name === 'delete' && n.args.length === 2 && n.args[0].kind === 'Map',
  },
  {
    kinds: ['Call'], what: 'deleting several map elements in one `delete(...)`', since: '0.21', removed: '0.22', instead: 'call delete once per element',
    match: (n) => n.kind === 'Call' && n.name === 'delete' && n.args.length > 1 && n.args.every((a) => a.kind === 'MapAccess'),
  },
  { kinds: ['Offsetof'], what: '`offsetof` with nested fields', since: '0.23', match: (n) => n.kind === 'Offsetof' && n.fields.length > 1 },
  { kinds: ['AttachPoint'], what: 'the lower-case `begin`/`end` providers', plural: true, since: '0.24', match: provider('begin', 'end') },
  {
    kinds: ['AttachPoint'], what: 'provider names in another letter case', plural: true, since: '0.24',
    match: (n) => n.kind === 'AttachPoint' && n.canonical !== '' && n.provider !== 'BEGIN' && n.provider !== 'END' &&
      canonicalProvider(n.provider) !== '' && !isExactProvider(n.provider),
  },
  { kinds: ['AttachPoint'], what: 'the `bench` provider', since: '0.24', match: (n) => n.kind === 'AttachPoint' && n.canonical === 'bench' },
  { kinds: ['For'], what: '`for` loops over ranges', plural: true, since: '0.24', match: (n) => n.kind === 'For' && n.iterable.kind === 'Range' },
  { kinds: ['MapDecl'], what: 'map declarations (`let @m = hash(N)`)', plural: true, since: '0.24', match: (n) => n.kind === 'MapDecl' },
  { kinds: ['Macro'], what: 'macros', plural: true, since: '0.24', match: (n) => n.kind === 'Macro' },
  { kinds: ['Import'], what: '`import`', since: '0.24', match: (n) => n.kind === 'Import' },
  {
    kinds: ['Bool'], what: 'boolean literals', plural: true, since: '0.24', soft: 'before that, `true` and `false` are the C macros 1 and 0',
    match: (n) => n.kind === 'Bool',
  },
  {
    kinds: ['Int'], what: 'duration literals', plural: true, since: '0.24',
    match: (n) => n.kind === 'Int' && n.suffix !== undefined && ['ns', 'us', 'ms', 's', 'm', 'h', 'd'].includes(n.suffix),
  },
  { kinds: ['AddrOf'], what: 'the address-of operator `&`', since: '0.24', match: (n) => n.kind === 'AddrOf' },
  {
    kinds: ['Block'], what: 'block expressions', plural: true, since: '0.24',
    match: (n, c) => n.kind === 'Block' && (n.value !== null && c.parent?.kind !== 'If' && c.parent?.kind !== 'Macro' || isExprPosition(c)),
  },
  {
    kinds: ['For', 'If', 'Unroll', 'While'], what: 'conditions without parentheses', plural: true, since: '0.24',
    match: (n) => (n.kind === 'If' || n.kind === 'While' || n.kind === 'Unroll' || n.kind === 'For') && !n.parens,
  },
  {
    kinds: ['Call'], what: 'calling builtins like functions (`comm()`)', since: '0.24',
    match: (n) => n.kind === 'Call' && isBuiltinName(n.name) && n.name !== 'kstack' && n.name !== 'ustack',
  },
  { kinds: ['Typeof'], what: '`typeof`', since: '0.25', match: (n) => n.kind === 'Typeof' },
  { kinds: ['Typeinfo'], what: '`typeinfo`', since: '0.25', match: (n) => n.kind === 'Typeinfo' },
  { kinds: ['Comptime'], what: '`comptime`', since: '0.25', match: (n) => n.kind === 'Comptime' },
  { kinds: ['Record'], what: 'records', plural: true, since: '0.25', match: (n) => n.kind === 'Record' },
  { kinds: ['Discard'], what: 'discarding with `_ = ...`', since: '0.25', match: (n) => n.kind === 'Discard' },
  { kinds: ['AttachPoint'], what: 'the `test` provider', since: '0.25', match: (n) => n.kind === 'AttachPoint' && n.canonical === 'test' },
  { kinds: ['Probe'], what: 'named probes (`name=provider:...`)', plural: true, since: '0.25', match: (n) => n.kind === 'Probe' && n.name !== null },
  { kinds: ['If'], what: '`if` used as an expression', since: '0.25', match: (n, c) => n.kind === 'If' && isExprPosition(c) },
  { kinds: ['Ternary'], what: 'the short ternary `a ?: b`', since: '0.26', match: (n) => n.kind === 'Ternary' && n.then === null },
  { kinds: ['CDefinition'], what: '`__attribute__` after a C definition', since: '0.26', match: (n) => n.kind === 'CDefinition' && n.text.includes('__attribute__') },
  {
    kinds: ['AttachPoint'], what: 'the `asyncwatchpoint` provider', removed: '0.25', instead: 'use `watchpoint`',
    match: (n) => n.kind === 'AttachPoint' && n.canonical === 'asyncwatchpoint',
  },
  {
    kinds: ['AttachPoint'], what: '`watchpoint:func+argN` attach points', plural: true, removed: '0.25',
    match: (n) => n.kind === 'AttachPoint' && n.canonical === 'watchpoint' && /\+arg\d/.test(n.raw),
  },
  {
    kinds: ['Builtin', 'Ident'], what: 'the `sargN` builtins', plural: true, deprecated: '0.21', removed: '0.25', instead: 'read the stack through `reg("sp")`',
    match: (n) => (n.kind === 'Builtin' || n.kind === 'Ident') && n.name.startsWith('sarg') && /^sarg\d+$/.test(n.name),
  },
  { kinds: ['While'], what: '`while` loops', plural: true, deprecated: '0.25', instead: 'use a range-based `for` loop', match: (n) => n.kind === 'While' },
  {
    kinds: ['Int'], what: 'binary integer literals (`0b...`)', plural: true, removed: '0.0',
    match: (n) => n.kind === 'Int' && n.text.charCodeAt(0) === 48 && (n.text.charCodeAt(1) | 32) === 98, // 0b, 0B
  },
];

const HEAD_KEYWORD: Partial<Record<A.Node['kind'], string>> = {
  If: 'if', While: 'while', Unroll: 'unroll', For: 'for', Fn: 'fn', Macro: 'macro', Config: 'config',
};

/** The part of a node a diagnostic points at: the keyword of compound constructs, else the node. */
function focus(n: A.Node): A.Node['range'] {
  const kw = HEAD_KEYWORD[n.kind];
  if (kw !== undefined) return { start: n.range.start, end: n.range.start + kw.length };
  if (n.kind === 'Probe' && n.name !== null) return { start: n.range.start, end: n.range.start + n.name.length + 1 };
  if (n.kind === 'CDefinition' || n.kind === 'Block') return { start: n.range.start, end: n.range.start + 1 };
  return n.range;
}

const VERSION_CACHE = new Map<string, Version>();

/** A version string of the rule table, parsed once. */
function ver(s: string): Version {
  let v = VERSION_CACHE.get(s);
  if (v === undefined) {
    v = parseVersion(s) ?? [0, 0, 0];
    VERSION_CACHE.set(s, v);
  }
  return v;
}

/** What a rule says about a target: a diagnostic's severity and message, or undefined when it accepts the construct. */
function verdict(r: VersionRule, v: Version, t: string): { severity: 'error' | 'warning'; message: string } | undefined {
  const need = r.plural ? 'need' : 'needs';
  const was = r.plural ? 'were' : 'was';
  const instead = r.instead ? ` (${r.instead})` : '';
  if (r.since && compareVersions(v, ver(r.since)) < 0) {
    const soft = r.soft ? ` (${r.soft})` : '';
    return { severity: r.soft ? 'warning' : 'error', message: `${r.what} ${need} bpftrace ${r.since} or newer; the target is ${t}${soft}` };
  }
  if (r.removed === '0.0') return { severity: 'error', message: `${r.what} ${r.plural ? 'are' : 'is'} not accepted by bpftrace; the target is ${t}` };
  if (r.removed && compareVersions(v, ver(r.removed)) >= 0) {
    return { severity: 'error', message: `${r.what} ${was} removed in bpftrace ${r.removed}; the target is ${t}${instead}` };
  }
  if (r.deprecated && compareVersions(v, ver(r.deprecated)) >= 0) {
    return { severity: 'warning', message: `${r.what} ${r.plural ? 'are' : 'is'} deprecated since bpftrace ${r.deprecated}${instead}` };
  }
  return undefined;
}

interface TargetRule {
  rule: VersionRule;
  severity: 'error' | 'warning';
  message: string;
}

/** Per target, by node kind, the rules that report something for it (their messages built once). */
const RULES_FOR_TARGET = new Map<string, Map<string, TargetRule[]>>();

function rulesFor(v: Version): Map<string, TargetRule[]> {
  const t = fmt(v);
  let byKind = RULES_FOR_TARGET.get(t);
  if (byKind === undefined) {
    byKind = new Map();
    for (const rule of VERSION_RULES) {
      const d = verdict(rule, v, t);
      if (d === undefined) continue;
      for (const k of rule.kinds) {
        const l = byKind.get(k);
        if (l) l.push({ rule, ...d });
        else byKind.set(k, [{ rule, ...d }]);
      }
    }
    RULES_FOR_TARGET.set(t, byKind);
  }
  return byKind;
}

const EXPR_PARENTS_NOT = new Set(['Block', 'If', 'Probe', 'Macro', 'Fn', 'While', 'Unroll', 'For', 'ExprStmt']);

/** Whether a node sits where a value is used (not as a statement of its own). */
function isExprPosition(c: Ctx): boolean {
  const p = c.parent;
  if (p === undefined) return false;
  return !EXPR_PARENTS_NOT.has(p.kind);
}

/** A version check walking the tree piece by piece (parse's onItem), or whole (checkVersion). */
export interface VersionWalk {
  /** Checks `n` and everything under it; `parent` is n's parent node. */
  visit(n: A.Node, parent: A.Node | undefined): void;
  /** What the walk found so far, in walk order. */
  readonly diagnostics: Diagnostic[];
}

/**
 * The version check as a walk (see checkVersion); `also`, when given, is
 * called on every node the walk visits, parents first, so a caller needing
 * another whole-tree pass gets it without a second walk.
 */
export function versionWalk(target: string, also?: (n: A.Node) => void): VersionWalk {
  const v = parseVersion(target);
  const out: Diagnostic[] = [];
  if (v === undefined) {
    out.push({ range: { start: 0, end: 0 }, severity: 'warning', message: `unknown bpftrace version '${target}'`, source: 'version' });
    return { visit: (n) => { if (also) A.walk(n, also); }, diagnostics: out };
  }
  const byKind = rulesFor(v);
  const ctx: Ctx = { parent: undefined };
  const visit = (n: A.Node, parent: A.Node | undefined): void => {
    if (also) also(n);
    const rules = byKind.get(n.kind);
    if (rules !== undefined) {
      ctx.parent = parent;
      for (const r of rules) if (r.rule.match(n, ctx)) out.push({ range: focus(n), severity: r.severity, message: r.message, source: 'version' });
    }
    A.forEachChildWith(n, visit, n);
  };
  return { visit, diagnostics: out };
}

/**
 * Diagnostics for every construct `target` (e.g. '0.17', '0.26.1') does not
 * accept: newer constructs name the release that introduced them, dropped
 * ones the release that removed them; deprecated ones are warnings. `also`:
 * as for versionWalk.
 */
export function checkVersion(program: A.Program, target: string, also?: (n: A.Node) => void): Diagnostic[] {
  const w = versionWalk(target, also);
  w.visit(program, undefined);
  return w.diagnostics;
}

/**
 * What follows `->` or `.` in a bpftrace script: the type of the receiver
 * expression (from the type checker on the document, or, while the user is
 * mid-typing and the text does not parse, on a copy completed with a
 * placeholder member) and the members of that type as completion items (BTF
 * struct/union members with C type and offset, members of the script's own
 * struct definitions, fentry/rawtracepoint arguments, record fields); plus a
 * struct's pahole-like layout for hovers.
 * Non-goals: tracepoint `args` records (bpftrace-complete.ts uses the formats).
 */
import { checkScript, tokenize, type CDefinition, type CheckResult, type Expr, type Field, type Probe } from '../bpftrace';
import type { SType } from '../bpftrace/types';
import { typeName } from '../bpftrace/types';
import { KIND } from '../btf/format';
import { formatLayout, structLayout } from '../btf/layout';
import type { Btf } from '../btf/types';
import type { BpftraceDoc } from './bpftrace-check';
import { IdeCompletion, SourceRange } from './types';

/** The member name put where the user has not typed one yet. */
const PLACEHOLDER = '__bpfstudio_member__';

/** The struct/union a type refers to (directly or through one pointer), or undefined. */
export function structOf(t: SType | undefined): Extract<SType, { k: 'cstruct' }> | undefined {
  if (!t) return undefined;
  if (t.k === 'cstruct') return t;
  if (t.k === 'ptr' && t.to.k === 'cstruct') return t.to;
  return undefined;
}

/** The BTF id of a struct type: its own, else the named struct or union in `btf`. */
export function btfStructId(btf: Btf | undefined, t: Extract<SType, { k: 'cstruct' }>): number | undefined {
  if (!btf) return undefined;
  if (t.btfId !== undefined) return t.btfId;
  const m = /^(struct|union)\s+(\w+)$/.exec(t.name);
  if (!m) return undefined;
  return btf.find(m[2], m[1] === 'union' ? KIND.UNION : KIND.STRUCT);
}

interface MemberRow { name: string; typeText: string; declText: string; offset: number; size: number; bitPos?: number; bitSize?: number }

const memberCache = new WeakMap<Btf, Map<number, MemberRow[]>>();

/** Members reachable by name from struct `id` (anonymous members' fields included, as bpftrace and C allow). */
export function structMembers(btf: Btf, id: number): MemberRow[] {
  let byId = memberCache.get(btf);
  if (!byId) memberCache.set(btf, (byId = new Map()));
  let rows = byId.get(id);
  if (!rows) {
    rows = [];
    for (const r of structLayout(btf, id)?.rows ?? []) {
      if (r.kind !== 'member' || r.name === '') continue;
      rows.push({ name: r.name, typeText: r.typeText, declText: r.declText, offset: r.offset, size: r.size, ...(r.bitSize !== undefined ? { bitPos: r.bitPos, bitSize: r.bitSize } : {}) });
    }
    byId.set(id, rows);
  }
  return rows;
}

function memberItem(owner: string, m: MemberRow, replace: SourceRange): IdeCompletion {
  const where = m.bitSize !== undefined ? `offset ${m.offset} bit ${m.bitPos ?? 0}, ${m.bitSize} bits` : `offset ${m.offset}, size ${m.size}`;
  return { label: m.name, kind: 'field', detail: `${m.typeText} (+${m.offset})`, markdown: `\`${m.declText}\` — ${where}\n\nin \`${owner}\``, replace };
}

/** The innermost probe of `prog` around `offset`. */
function probeOf(check: CheckResult, offset: number): Probe | undefined {
  return check.program.items.find((p): p is Probe => p.kind === 'Probe' && p.range.start <= offset && offset <= p.range.end);
}

export interface Receiver {
  type: SType;
  /** The receiver is the `args` builtin (members are then the probe's arguments). */
  isArgs: boolean;
  probe?: Probe;
  check: CheckResult;
}

/** A Field of `check` accepted by `pick`, with its object's type. */
function findField(check: CheckResult, pick: (f: Field) => boolean): Receiver | undefined {
  const types = check.types;
  if (!types) return undefined;
  for (const e of types.exprs.keys()) {
    if (e.kind !== 'Field' || !pick(e)) continue;
    const t = types.exprs.get(e.object);
    if (!t || t.k === 'none') continue;
    return { type: t, isArgs: isArgsBuiltin(e.object), probe: probeOf(check, e.range.start), check };
  }
  return undefined;
}

function isArgsBuiltin(e: Expr): boolean {
  return e.kind === 'Builtin' && (e.name === 'args' || e.name === '__builtin_args');
}

/** Closers for the brackets open at the end of `prefix` (a `;` before each `}`). */
function closers(prefix: string): string {
  const stack: string[] = [];
  for (const t of tokenize(prefix).tokens) {
    if (t.kind !== 'punct') continue;
    if (t.text === '(' || t.text === '[' || t.text === '{') stack.push(t.text);
    else if ((t.text === ')' || t.text === ']' || t.text === '}') && stack.length) stack.pop();
  }
  return stack.reverse().map((c) => (c === '(' ? ')' : c === '[' ? ']' : ';}')).join('');
}

/** Start of the top-level item (probe) around the end of `prefix`: after the last `}` at depth 0. */
export function itemStart(prefix: string): number {
  let depth = 0;
  let start = 0;
  for (const t of tokenize(prefix).tokens) {
    if (t.kind !== 'punct') continue;
    if (t.text === '{') depth++;
    else if (t.text === '}' && depth > 0 && --depth === 0) start = t.end;
  }
  return start;
}

/**
 * The receiver of the member access being typed at `offset` (`word` is the partial member name
 * before it, `opStart` where `->`/`.` starts). Tries the document's own types, then copies of
 * the text with a placeholder member: the rest kept, the rest dropped and brackets closed, and
 * the current probe alone.
 */
export function receiverAt(doc: BpftraceDoc, offset: number, word: string, opStart: number): Receiver | undefined {
  const own = findField(doc.check, (f) => f.field === word && f.range.end === offset && f.object.range.end <= opStart);
  if (own) return own;
  const wordStart = offset - word.length;
  const head = doc.text.slice(0, wordStart) + PLACEHOLDER;
  const item = itemStart(doc.text.slice(0, wordStart));
  const candidates = [head + doc.text.slice(offset), head + closers(head), ' '.repeat(item) + doc.text.slice(item, wordStart) + PLACEHOLDER + closers(head.slice(item))];
  for (const text of candidates) {
    const check = checkScript(text, doc.target, doc.kernel);
    const r = findField(check, (f) => f.field === PLACEHOLDER && f.range.end === wordStart + PLACEHOLDER.length);
    if (r) return r;
  }
  return undefined;
}

/** Members of `struct NAME` / `union NAME` named in the text (`offsetof(struct sock, |`): the script's definition, else the kernel's. */
export function namedStructMembers(doc: BpftraceDoc, name: string, replace: SourceRange): IdeCompletion[] {
  const union = name.startsWith('union ');
  return memberCompletions(doc, { type: { k: 'cstruct', name, union, size: 0 }, isArgs: false, check: doc.check }, replace);
}

/** Completion items for the members of the receiver's type. */
export function memberCompletions(doc: BpftraceDoc, r: Receiver, replace: SourceRange): IdeCompletion[] {
  const t = r.type;
  if (t.k === 'record') return t.fields.map((f) => ({ label: f.name, kind: 'field', detail: typeName(f.type), replace }));
  const s = structOf(t);
  if (!s) return [];
  const def = s.btfId === undefined ? scriptStruct(r.check, s.name) : undefined;
  if (def) return definedMembers(def).map((m) => ({ label: m.name, kind: 'field', detail: m.decl, markdown: `\`${m.decl};\` in the script's \`${s.name}\``, replace }));
  const btf = doc.kernel?.btf;
  const id = btfStructId(btf, s);
  if (btf && id !== undefined) return structMembers(btf, id).map((m) => memberItem(s.name, m, replace));
  if (r.isArgs && r.probe) {
    const ctx = r.check.types?.probes.get(r.probe);
    return (ctx?.args ?? []).map((a) => ({
      label: a.name, kind: 'field', detail: typeName(a.type), markdown: `argument \`${a.name}\`: \`${typeName(a.type)}\` — offset ${a.offset}, size ${a.size}`, replace,
    }));
  }
  return [];
}

/** The script's own definition of `struct NAME` / `union NAME`, if it has one (it wins over the kernel's). */
export function scriptStruct(check: CheckResult, name: string): CDefinition | undefined {
  return check.program.items.find((i): i is CDefinition => i.kind === 'CDefinition' && `${i.keyword} ${i.name}` === name);
}

/** Member names and declarations of a script struct definition (`int a; char name[16]; struct x *p;`), nested bodies skipped. */
function definedMembers(def: CDefinition): { name: string; decl: string }[] {
  const open = def.text.indexOf('{');
  const close = def.text.lastIndexOf('}');
  if (open < 0 || close < open) return [];
  let body = def.text.slice(open + 1, close);
  // Drop nested bodies (`struct { ... } u;` keeps `struct u;`) and comments.
  body = body.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  for (let prev = ''; prev !== body;) { prev = body; body = body.replace(/\{[^{}]*\}/g, ' '); }
  const out: { name: string; decl: string }[] = [];
  for (const part of body.split(';')) {
    const decl = part.trim().replace(/\s+/g, ' ');
    const m = /(\w+)\s*(?:\[[^\]]*\]\s*)*(?::\s*\d+)?$/.exec(decl);
    if (m && decl !== m[1]) out.push({ name: m[1], decl });
  }
  return out;
}

/** Layout rows shown at most in a hover. */
const MAX_LAYOUT_LINES = 400;

/** Markdown with the pahole-like layout of the struct a type refers to (the script's own definition as written when it has one), or undefined. */
export function layoutMarkdown(btf: Btf | undefined, t: SType | undefined, check?: CheckResult): string | undefined {
  const s = structOf(t);
  const def = s && s.btfId === undefined && check ? scriptStruct(check, s.name) : undefined;
  if (def) return '```c\n' + def.text.trim() + '\n```';
  if (!s || !btf) return undefined;
  const id = btfStructId(btf, s);
  const l = id !== undefined ? structLayout(btf, id) : undefined;
  if (!l) return undefined;
  let lines = formatLayout(l).split('\n');
  if (lines.length > MAX_LAYOUT_LINES) {
    const more = lines.length - MAX_LAYOUT_LINES;
    lines = [...lines.slice(0, MAX_LAYOUT_LINES), `\t/* ... ${more} more lines */`];
  }
  return '```c\n' + lines.join('\n') + '\n```';
}

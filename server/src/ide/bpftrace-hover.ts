/**
 * Hover for bpftrace: on a tracepoint attach point, the record's fields (name,
 * C type, offset, size) from the kernel data; on a provider, its description;
 * on a builtin or a function, its type or arity from the front end's tables
 * with a line of documentation; on `args` and `args.f` in a tracepoint probe,
 * the record or the field; on a variable, map, field or call, its type from
 * the type checker, and a struct's pahole-like layout when the type is one
 * (or points to one). Plain data only.
 */
import { builtinInfo, FUNCTIONS, PROVIDERS, canonicalProvider, typeName, type AttachPoint, type Expr, type SType } from '../bpftrace';
import { activeItems } from '../bpftrace/typecheck';
import { layoutMarkdown, scriptStruct } from './bpftrace-members';
import type { TpFormat } from '../btf/tracepoint';
import { BpftraceDoc, probeAt, tracepointTargets } from './bpftrace-check';
import { BUILTIN_DOCS, FUNCTION_DOCS, PROVIDER_DOCS } from './bpftrace-docs';
import { IdeHover, rangeOf } from './types';

/** Markdown for a builtin variable, or undefined when `name` is none. */
export function builtinMarkdown(name: string): string | undefined {
  const info = builtinInfo(name);
  if (!info) return undefined;
  const base = name.replace(/^__builtin_/, '');
  const doc = BUILTIN_DOCS[base] ?? (/^s?arg\d+$/.test(base) ? `Argument ${base.replace(/\D+/, '')} of the probed function${base.startsWith('s') ? ' (from the stack)' : ''}.` : '');
  let md = `**${name}** \`${info.type}\` (builtin)`;
  if (doc) md += `\n\n${doc}`;
  if (info.providers) md += `\n\nAvailable in: ${info.providers.join(', ')}`;
  return md;
}

/** `min..max` arguments as text. */
function arity(min: number, max: number): string {
  if (max === Infinity) return `${min}+ arguments`;
  if (min === max) return `${min} argument${min === 1 ? '' : 's'}`;
  return `${min} to ${max} arguments`;
}

/** Markdown for a function, or undefined when `name` is none. */
export function functionMarkdown(name: string): string | undefined {
  const info = Object.prototype.hasOwnProperty.call(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
  if (!info) return undefined;
  let md = `**${name}()** — ${arity(info.min, info.max)}${info.aggregation ? ', map aggregation' : ''}`;
  const doc = FUNCTION_DOCS[name];
  if (doc) md += `\n\n${doc}`;
  return md;
}

export function providerMarkdown(canonical: string): string | undefined {
  const p = PROVIDERS.find((x) => x.name === canonical);
  if (!p) return undefined;
  const aliases = p.aliases.length ? ` (alias ${p.aliases.map((a) => `\`${a}\``).join(', ')})` : '';
  return `**${p.name}** probe${aliases}\n\n${PROVIDER_DOCS[p.name] ?? ''}`.trimEnd();
}

/** A tracepoint's record as a markdown table (common_* fields, which bpftrace refuses, left out). */
export function tracepointMarkdown(system: string, format: TpFormat, source: string): string {
  const rows = format.fields
    .filter((f) => !f.common)
    .map((f) => `| ${f.name} | \`${f.dynamic ? `__${f.dynamic} ` : ''}${f.type}\` | ${f.offset} | ${f.size} |`);
  return [
    `**tracepoint:${system}:${format.name}** (ID ${format.id}, record ${format.size} bytes)`,
    '',
    '| args field | C type | offset | size |',
    '|---|---|---:|---:|',
    ...rows,
    '',
    `Kernel data: ${source}`,
  ].join('\n');
}

const RULE = '\n\n---\n\n';

function attachPointHover(doc: BpftraceDoc, ap: AttachPoint, offset: number): IdeHover | undefined {
  const range = rangeOf(doc.text, ap.range.start, ap.range.end);
  const providerEnd = ap.range.start + ap.raw.indexOf(ap.provider) + ap.provider.length;
  const tp = tracepointTargets([ap])[0];
  if (tp && offset >= providerEnd && doc.kernel) {
    const f = doc.kernel.format(tp.system, tp.event);
    if (f) return { range, markdown: tracepointMarkdown(tp.system, f, doc.kernel.source) };
    return { range, markdown: `**tracepoint:${tp.system}:${tp.event}** — not found in ${doc.kernel.source}` };
  }
  const md = providerMarkdown(canonicalProvider(ap.provider));
  return md ? { range, markdown: md } : undefined;
}

const TYPED = new Set(['Var', 'Map', 'MapAccess', 'Field', 'Call', 'Builtin', 'TupleIndex', 'Index', 'Cast', 'Param']);

/** The innermost typed expression at `offset` with its type's spelling (from the type checker). */
export function typeAt(doc: BpftraceDoc, offset: number): { expr: Expr; type: string; t: SType } | undefined {
  const types = doc.check.types;
  if (!types) return undefined;
  let best: { expr: Expr; type: string; t: SType } | undefined;
  const consider = (e: Expr, t: SType): void => {
    if (!TYPED.has(e.kind) || t.k === 'none' || e.range.start > offset || offset >= e.range.end) return;
    if (!best || e.range.end - e.range.start < best.expr.range.end - best.expr.range.start) best = { expr: e, type: typeName(t), t };
  };
  for (const [e, t] of types.exprs) consider(e, t);
  for (const [v, t] of types.vars) consider(v, t);
  return best;
}

/** Hover text (or undefined) plus the expression type at `offset`, when the type checker knows it. */
function withType(doc: BpftraceDoc, offset: number, h: IdeHover | undefined): IdeHover | undefined {
  const t = typeAt(doc, offset);
  if (!t) return h;
  // A struct (or pointer to one) also shows its layout, as pahole prints it.
  const layout = layoutMarkdown(doc.kernel?.btf, t.t, doc.check);
  const line = `\`${doc.text.slice(t.expr.range.start, t.expr.range.end).slice(0, 60)}\`: \`${t.type}\`${layout ? `\n\n${layout}` : ''}`;
  if (h) return { range: h.range, markdown: `${h.markdown}${RULE}${line}` };
  return { range: rangeOf(doc.text, t.expr.range.start, t.expr.range.end), markdown: line };
}

export function bpftraceHover(doc: BpftraceDoc, text: string, offset: number): IdeHover | undefined {
  const probe = probeAt(doc, offset);
  const ap = probe?.attachPoints.find((a) => a.range.start <= offset && offset < a.range.end);
  if (ap) return attachPointHover(doc, ap, offset);
  return structNameHover(doc, text, offset) ?? withType(doc, offset, tokenHover(doc, text, offset));
}

/** On the name in `struct NAME` / `union NAME` (casts, sizeof, offsetof): the kernel type's layout. */
function structNameHover(doc: BpftraceDoc, text: string, offset: number): IdeHover | undefined {
  const toks = doc.tokens;
  const i = toks.findIndex((t) => t.start <= offset && offset < t.end && t.kind !== 'eof');
  const kw = toks[i - 1]?.text;
  if (i < 0 || (kw !== 'struct' && kw !== 'union')) return undefined;
  const name = `${kw} ${toks[i].text}`;
  // bpftrace defines BPFTRACE_HAVE_BTF when the kernel has BTF: a definition under `#ifndef BPFTRACE_HAVE_BTF`
  // (or any inactive preprocessor branch) is then skipped and the kernel's type is used.
  const def = scriptStruct(doc.check, name);
  const btf = doc.kernel?.btf;
  const active = def !== undefined && activeItems(doc.check.program.items, btf ? new Set(['BPFTRACE_HAVE_BTF']) : new Set<string>()).has(def);
  const layout = layoutMarkdown(btf, { k: 'cstruct', name, union: kw === 'union', size: 0 }, active ? doc.check : undefined);
  const from = active ? 'defined in the script' : def ? 'kernel BTF; the script\'s definition is in an inactive preprocessor branch' : 'kernel BTF';
  return layout ? { range: rangeOf(text, toks[i - 1].start, toks[i].end), markdown: `**${name}** (${from})\n\n${layout}` } : undefined;
}

function tokenHover(doc: BpftraceDoc, text: string, offset: number): IdeHover | undefined {
  const probe = probeAt(doc, offset);

  const toks = doc.tokens;
  const i = toks.findIndex((t) => t.start <= offset && offset < t.end && t.kind !== 'eof');
  if (i < 0) return undefined;
  const t = toks[i];
  if (t.kind !== 'builtin' && t.kind !== 'ident') return undefined;
  const range = rangeOf(text, t.start, t.end);
  const prev = toks[i - 1];
  const prev2 = toks[i - 2];
  if (prev && (prev.text === '.' || prev.text === '->') && prev2?.text === 'args' && probe && doc.kernel) {
    for (const tp of tracepointTargets(probe.attachPoints)) {
      const f = doc.kernel.format(tp.system, tp.event)?.fields.find((x) => x.name === t.text);
      if (f) return { range, markdown: `**args.${f.name}** \`${f.type}\` — offset ${f.offset}, size ${f.size}${f.signed ? ', signed' : ''}\n\n\`${f.decl}\` in tracepoint:${tp.system}:${tp.event}` };
    }
    return undefined;
  }
  if (prev && (prev.text === '.' || prev.text === '->')) return undefined; // a struct field, not a builtin
  if (t.text === 'args' && probe && doc.kernel) {
    const kernel = doc.kernel;
    const tables = tracepointTargets(probe.attachPoints).flatMap((tp) => {
      const f = kernel.format(tp.system, tp.event);
      return f ? [tracepointMarkdown(tp.system, f, kernel.source)] : [];
    });
    if (tables.length > 0) return { range, markdown: [builtinMarkdown('args'), ...tables].join(RULE) };
  }
  const isCall = toks[i + 1]?.text === '(';
  const md = isCall ? functionMarkdown(t.text) ?? builtinMarkdown(t.text) : builtinMarkdown(t.text) ?? functionMarkdown(t.text);
  return md ? { range, markdown: md } : undefined;
}

/**
 * Completion for bpftrace, decided from the text before the cursor: tracepoint
 * subsystems after `tracepoint:`/`t:` and their events after the next colon,
 * kernel function and raw tracepoint names after kprobe:/fentry:/... (BTF),
 * `struct `/`union ` type names and their members in `offsetof(struct X, `,
 * `args.`/`args->` fields of the enclosing tracepoint probe, members after
 * `->`/`.` of any struct-typed expression (bpftrace-members.ts), `$variables`
 * of the probe and `@maps` of the script, probe providers at the top level,
 * builtins and functions inside a probe.
 * Plain data only; non-goals: uprobe/usdt targets.
 */
import { BUILTINS, checkScript, FUNCTIONS, PROVIDERS, tokenize, typeName } from '../bpftrace';
import { BpftraceDoc, probeAt, tracepointTargets } from './bpftrace-check';
import { builtinMarkdown, functionMarkdown, providerMarkdown } from './bpftrace-hover';
import { itemStart, memberCompletions, namedStructMembers, receiverAt } from './bpftrace-members';
import { probeTargetCompletions, typeNameCompletions } from './bpftrace-names';
import { IdeCompletion, rangeOf, SourceRange } from './types';

/** `tracepoint:SYS:EVENT` spelled anywhere (fallback when the probe does not parse yet). */
const TP_TEXT = /(?:^|[\s,])(?:tracepoint|t):(\w+):(\w+)(?=[\s,{/]|$)/g;

function argsFields(doc: BpftraceDoc, offset: number, replace: SourceRange): IdeCompletion[] {
  const kernel = doc.kernel;
  if (!kernel) return [];
  let targets = tracepointTargets(probeAt(doc, offset)?.attachPoints ?? []).map((t) => [t.system, t.event]);
  if (targets.length === 0) {
    // The nearest tracepoint named before the cursor in the same probe.
    const last = [...doc.text.slice(itemStart(doc.text.slice(0, offset)), offset).matchAll(TP_TEXT)].pop();
    if (last) targets = [[last[1], last[2]]];
  }
  const seen = new Set<string>();
  const out: IdeCompletion[] = [];
  for (const [system, event] of targets) {
    for (const f of kernel.format(system, event)?.fields ?? []) {
      if (f.common || seen.has(f.name)) continue;
      seen.add(f.name);
      out.push({ label: f.name, kind: 'field', detail: f.type, markdown: `\`${f.decl}\` — offset ${f.offset}, size ${f.size}`, replace });
    }
  }
  return out;
}

/**
 * `$variables` of the probe before the cursor or `@maps` of the script, from the tokens (so also
 * while the text does not parse), with their types when the type checker has them.
 */
function scriptNames(doc: BpftraceDoc, offset: number, sigil: '$' | '@', replace: SourceRange): IdeCompletion[] {
  const from = sigil === '$' ? itemStart(doc.text.slice(0, offset)) : 0;
  const types = new Map<string, string>();
  // The text rarely parses with a bare `$`/`@` in it: check it with a number there instead.
  const t = doc.check.types ?? checkScript(doc.text.slice(0, replace.start) + '0' + doc.text.slice(offset), doc.target, doc.kernel).types;
  if (sigil === '@') {
    for (const [name, m] of t?.maps ?? []) types.set(name, m.key.length ? `${name}[${m.key.map(typeName).join(', ')}]: ${typeName(m.value)}` : typeName(m.value));
  } else {
    for (const [v, vt] of t?.vars ?? []) if (v.range.start >= from && v.range.start < offset) types.set(v.name, typeName(vt));
  }
  const names = new Set<string>();
  for (const tok of doc.tokens) {
    if (tok.kind !== (sigil === '$' ? 'var' : 'map') || tok.text.length < 2 || tok.start < from || (sigil === '$' && tok.start >= offset)) continue;
    if (tok.end === offset) continue; // the name being typed
    names.add(tok.text);
  }
  return [...names].sort().map((name) => ({ label: name, kind: 'variable', detail: types.get(name) ?? (sigil === '$' ? 'variable' : 'map'), replace }));
}

/** Curly-brace depth at the end of `prefix` (strings and comments skipped by the lexer). */
function braceDepth(prefix: string): number {
  let depth = 0;
  for (const t of tokenize(prefix).tokens) {
    if (t.text === '{' && t.kind === 'punct') depth++;
    else if (t.text === '}' && t.kind === 'punct') depth = Math.max(0, depth - 1);
  }
  return depth;
}

export function bpftraceCompletion(doc: BpftraceDoc, text: string, offset: number): IdeCompletion[] {
  if (offset < 0 || offset > text.length) return [];
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  const word = /\w*$/.exec(before)![0];
  const replace = rangeOf(text, offset - word.length, offset);

  const atTop = braceDepth(text.slice(0, offset)) === 0;
  const tp = /(?:^|[\s,])(?:tracepoint|t):(?:(\w+):)?\w*$/.exec(before);
  if (tp && atTop) {
    const kernel = doc.kernel;
    if (!kernel) return [];
    if (tp[1] === undefined) {
      return kernel.systems().map((s) => ({ label: s, kind: 'module', detail: `${kernel.events(s).length} tracepoints`, replace }));
    }
    return kernel.events(tp[1]).map((e) => ({ label: e, kind: 'event', detail: `tracepoint:${tp[1]}:${e}`, replace }));
  }
  const target = /(?:^|[\s,])(\w+):\w*$/.exec(before);
  if (target && atTop) return probeTargetCompletions(doc.kernel?.btf, target[1], word, replace) ?? [];
  const offsetOf = /\boffsetof\s*\(\s*((?:struct|union)\s+\w+)\s*,\s*\w*$/.exec(before);
  if (offsetOf) return namedStructMembers(doc, offsetOf[1].replace(/\s+/, ' '), replace);
  const typeKw = /\b(struct|union)\s+\w*$/.exec(before);
  if (typeKw) return typeNameCompletions(doc.kernel?.btf, typeKw[1] as 'struct' | 'union', word, replace);
  if (/\bargs(?:\.|->)\w*$/.test(before)) {
    const fields = argsFields(doc, offset, replace);
    if (fields.length > 0) return fields;
  }
  const member = /(->|\.)\s*\w*$/.exec(before);
  if (member) {
    const r = receiverAt(doc, offset, word, lineStart + member.index);
    return r ? memberCompletions(doc, r, replace) : [];
  }
  const sigil = /([$@])\w*$/.exec(before);
  if (sigil) return scriptNames(doc, offset, sigil[1] as '$' | '@', rangeOf(text, lineStart + sigil.index, offset));
  if (/:\w*$/.test(before)) return []; // other attach points
  if (before.endsWith('>')) return []; // a comparison or shift typed (`>` triggers completion for `->`)
  if (atTop) {
    return PROVIDERS.map((p) => ({
      label: p.name, kind: 'module', detail: p.aliases.length ? `alias ${p.aliases.join(', ')}` : 'probe', markdown: providerMarkdown(p.name), replace,
    }));
  }
  const items: IdeCompletion[] = Object.entries(BUILTINS).map(([name, info]) => ({
    label: name, kind: 'variable', detail: info.type, markdown: builtinMarkdown(name), replace,
  }));
  for (const name of Object.keys(FUNCTIONS)) items.push({ label: name, kind: 'function', detail: `${name}()`, markdown: functionMarkdown(name), replace });
  return items;
}

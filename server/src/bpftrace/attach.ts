/**
 * Attach points: the raw character-level scan bpftrace uses (an attach point
 * ends at whitespace, `{`, `,` or a predicate `/`; quoted parts are taken
 * whole), the split into provider and ':'-separated parts, and the provider
 * table with aliases. Non-goal: checking targets against the kernel (semantic).
 */

export interface ProviderInfo {
  name: string;
  aliases: string[];
}

/** Providers of bpftrace 0.26 plus the ones older versions had (asyncwatchpoint, kfunc/kretfunc names). */
export const PROVIDERS: ProviderInfo[] = [
  { name: 'kprobe', aliases: ['k'] },
  { name: 'kretprobe', aliases: ['kr'] },
  { name: 'uprobe', aliases: ['u'] },
  { name: 'uretprobe', aliases: ['ur'] },
  { name: 'usdt', aliases: ['U'] },
  { name: 'begin', aliases: [] },
  { name: 'end', aliases: [] },
  { name: 'self', aliases: [] },
  { name: 'test', aliases: [] },
  { name: 'bench', aliases: [] },
  { name: 'tracepoint', aliases: ['t'] },
  { name: 'rawtracepoint', aliases: ['rt'] },
  { name: 'profile', aliases: ['p'] },
  { name: 'interval', aliases: ['i'] },
  { name: 'software', aliases: ['s'] },
  { name: 'hardware', aliases: ['h'] },
  { name: 'watchpoint', aliases: ['w'] },
  { name: 'asyncwatchpoint', aliases: ['aw'] },
  { name: 'fentry', aliases: ['f', 'kfunc'] },
  { name: 'fexit', aliases: ['fr', 'kretfunc'] },
  { name: 'iter', aliases: ['it'] },
];

const BY_NAME = new Map<string, string>();
for (const p of PROVIDERS) {
  BY_NAME.set(p.name, p.name);
  for (const a of p.aliases) BY_NAME.set(a, p.name);
}

/**
 * Canonical provider for a written one, or '' if unknown. Names are matched
 * exactly first (`U` is usdt, `u` uprobe), then case-insensitively (`BEGIN`).
 */
export function canonicalProvider(written: string): string {
  return BY_NAME.get(written) ?? BY_NAME.get(written.toLowerCase()) ?? '';
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
}

/** End offset of the attach point starting at `pos` (== pos when there is none). */
export function scanAttachPoint(text: string, pos: number): number {
  let p = pos;
  let sawColon = false;
  while (p < text.length) {
    const c = text.charCodeAt(p);
    if (c === 123 /* { */ || c === 44 /* , */ || isSpace(c)) break;
    if (c === 47 /* / */) {
      const d = text.charCodeAt(p + 1);
      if (d === 47 || d === 42) break; // a comment
      if (!sawColon && p > pos) break; // a predicate
      if (p === pos) break;
    }
    if (c === 58) sawColon = true;
    if (c === 34 /* " */) {
      p++;
      while (p < text.length && text.charCodeAt(p) !== 34 && text.charCodeAt(p) !== 10) {
        if (text.charCodeAt(p) === 92) p++;
        p++;
      }
      if (p < text.length && text.charCodeAt(p) === 34) p++;
      continue;
    }
    p++;
  }
  return p;
}

export interface SplitAttachPoint {
  name: string | null;
  provider: string;
  parts: string[];
}

/** Splits `[name=]provider:part:part` at colons outside quotes; quotes are removed. */
export function splitAttachPoint(raw: string): SplitAttachPoint {
  let name: string | null = null;
  let body = raw;
  const m = raw.includes('=') ? /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/s.exec(raw) : null;
  if (m) {
    name = m[1];
    body = m[2];
  }
  if (!body.includes('"')) {
    // No quoted parts: the fields are the colon-separated pieces.
    const fields = body.split(':');
    return { name, provider: fields[0], parts: fields.slice(1) };
  }
  const fields: string[] = [];
  let cur = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '"') {
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\' && i + 1 < body.length) i++;
        cur += body[i];
        i++;
      }
    } else if (ch === ':') {
      fields.push(cur);
      cur = '';
    } else cur += ch;
  }
  fields.push(cur);
  return { name, provider: fields[0], parts: fields.slice(1) };
}

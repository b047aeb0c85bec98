/**
 * bpftrace 0.26's printing of maps, histograms and values where it differs
 * from 0.17 (read from the 0.26 sources, not checked against a 0.26 binary):
 * `@h:` headers, no blank lines after count/stats maps, stats as a record,
 * `[0]`/`[1]`-style single-value buckets and P/E suffixes, signed key order,
 * JSON numbers past 2^53 as strings, buffers as byte arrays, unspaced JSON
 * histogram arrays. Non-goal: tseries and hist(bits) (no decoded form yet).
 */
import type { AggFn } from '../types';
import { AggValue, BtValue, isAgg, MapEntry, MapSnapshot } from './values';
import { bytesText, cdiv, hexFormatBuffer, intOf, keyElemText, quote, ValueCtx } from './text';
import { specialText } from './special';

const BAR = 52;

function jsonNum(n: bigint): string {
  const s = n.toString();
  return BigInt(Number(n)) === n ? s : `"${s}"`;
}

/** A string with 0.18+'s ".." trailer when it filled its storage. */
export function strText26(v: Extract<BtValue, { t: 'str' }>): string {
  return bytesText(v.v) + (v.truncated ? '..' : '');
}

/** TextEmitter/JsonEmitter of a 0.26 primitive value. */
export function valueText26(v: BtValue, ctx: ValueCtx, div = 1n): string {
  const j = ctx.json;
  switch (v.t) {
    case 'int': {
      const n = cdiv(intOf(v), div);
      return j ? jsonNum(n) : n.toString();
    }
    case 'str': {
      const t = strText26(v);
      return j ? quote(t) : t;
    }
    case 'buf':
      return j ? '[' + [...v.v].map((b) => String(b >= 128 ? b - 256 : b)).join(',') + ']' : hexFormatBuffer(v.v);
    case 'tuple': {
      const els = v.elems.map((e) => valueText26(e, ctx, div));
      return j ? '[' + els.join(',') + ']' : '(' + els.join(', ') + ')';
    }
    case 'array':
      return '[' + v.elems.map((e) => valueText26(e, ctx, div)).join(',') + ']';
    case 'record':
      if (j) return '{' + v.fields.map((f) => `${quote(f.name)}: ${valueText26(f.v, ctx, div)}`).join(', ') + '}';
      return v.fields.length ? '{ ' + v.fields.map((f) => `.${f.name} = ${valueText26(f.v, ctx, div)}`).join(', ') + ' }' : '{}';
    case 'special': {
      const s = specialText(v, { ...ctx, indent: 8 });
      return j ? quote(s) : s;
    }
    case 'bool':
      return v.v ? 'true' : 'false';
    case 'none':
      return 'null';
  }
}

/** A histogram as 0.26 builds it: counts from the first to the last non-empty bucket, an optional lower bound, upper labels. */
interface Hist26 {
  counts: bigint[];
  lower?: Label;
  labels: Label[];
}
/** A bucket bound: its number and how text prints it (a K/M/... suffix for symbolic labels). */
interface Label {
  n: bigint;
  text: string;
  plain: boolean;
}

const num = (n: bigint): Label => ({ n, text: n.toString(), plain: true });

function powLabel(index: number): Label {
  const power = index - 1;
  const decade = Math.min(6, Math.floor(power / 10));
  return { n: 1n << BigInt(power), text: String(1n << BigInt(power - 10 * decade)) + ['', 'K', 'M', 'G', 'T', 'P', 'E'][decade], plain: false };
}

/** First and last non-empty bucket among the valid indexes (0..limit-1). */
function range(buckets: Map<number, bigint>, limit: number): [number, number] {
  let lo = -1, hi = -1;
  for (const [i, c] of [...buckets].filter(([i]) => Number.isInteger(i) && i >= 0 && i < limit).sort((a, b) => a[0] - b[0])) {
    if (Number(BigInt.asIntN(32, c)) > 0) {
      if (lo < 0) lo = i;
      hi = i;
    }
  }
  return [lo, hi];
}

function hist26(buckets: Map<number, bigint>, div: bigint): Hist26 {
  const h: Hist26 = { counts: [], labels: [] };
  const [lo, hi] = range(buckets, 66);
  if (lo < 0) return h;
  if (lo !== 0) h.lower = lo - 1 <= 2 ? num(BigInt(lo - 1)) : powLabel(lo - 1);
  for (let i = lo; i <= hi; i++) {
    h.labels.push(i <= 2 ? num(BigInt(i)) : powLabel(i));
    h.counts.push(cdiv(buckets.get(i) ?? 0n, div));
  }
  return h;
}

function lhistLabel26(n: bigint, step: bigint): Label {
  if (step % 1024n !== 0n) return num(n);
  const M = 1048576n, K = 1024n;
  const text = n === 0n ? '0' : n % M === 0n ? `${n / M}M` : n % K === 0n ? `${n / K}K` : n.toString();
  return { n, text, plain: false };
}

function lhist26(v: Extract<AggValue, { fn: 'lhist' }>): Hist26 {
  const h: Hist26 = { counts: [], labels: [] };
  const [lo, hi] = range(v.buckets, 1002);
  if (lo < 0) return h;
  if (lo !== 0) h.lower = lhistLabel26(v.min + BigInt(lo - 1) * v.step, v.step);
  for (let i = lo; i <= hi; i++) {
    const b = v.min + BigInt(i) * v.step;
    if (b <= v.max) h.labels.push(lhistLabel26(b, v.step));
    h.counts.push(v.buckets.get(i) ?? 0n);
  }
  return h;
}

const adjacent = (a: Label, b: Label): boolean => a.plain && b.plain && a.n + 1n === b.n;

function histText26(h: Hist26): string {
  const max = h.counts.reduce((m, c) => (c > m ? c : m), 0n);
  let out = '';
  h.counts.forEach((c, i) => {
    let header: string;
    const lab = h.labels[i];
    const prev = i === 0 ? h.lower : h.labels[i - 1];
    if (i === 0 && !h.lower) header = `(..., ${lab?.text ?? ''})`;
    else if (!lab) header = `[${prev?.text ?? ''}, ...)`;
    else if (prev && adjacent(prev, lab)) header = `[${prev.text}]`;
    else header = `[${prev?.text ?? ''}, ${lab.text})`;
    const w = max > 0n ? Math.trunc(Math.fround(Math.fround(Number(c) / Math.fround(Number(max))) * BAR)) : 0;
    out += header.padEnd(16) + c.toString().padStart(8) + ' |' + '@'.repeat(Math.max(0, Math.min(w, BAR))).padEnd(BAR) + '|\n';
  });
  return out;
}

function histJson26(h: Hist26): string {
  return '[' + h.counts.map((c, i) => {
    let s = '{';
    if (i === 0 && h.lower) s += `"min": ${jsonNum(h.lower.n)}, `;
    else if (i > 0) s += `"min": ${jsonNum(h.labels[i - 1].n)}, `;
    if (i < h.labels.length) s += `"max": ${jsonNum(h.labels[i].n - 1n)}, `;
    return s + `"count": ${c}}`;
  }).join(',') + ']';
}

function aggText26(v: AggValue, ctx: ValueCtx, div: bigint): string {
  const n = (x: bigint): string => (ctx.json ? jsonNum(x) : x.toString());
  switch (v.fn) {
    case 'count':
      return n(cdiv(BigInt.asUintN(64, v.v), div));
    case 'sum':
    case 'min':
    case 'max':
      return n(cdiv(v.signed ? BigInt.asIntN(64, v.v) : BigInt.asUintN(64, v.v), div));
    case 'avg':
    case 'stats': {
      const count = v.signed ? BigInt.asIntN(64, v.count) : BigInt.asUintN(64, v.count);
      const total = v.signed ? BigInt.asIntN(64, v.total) : BigInt.asUintN(64, v.total);
      const avg = cdiv(count !== 0n ? total / count : 0n, div);
      if (v.fn === 'avg') return n(avg);
      return ctx.json
        ? `{"count": ${n(count)}, "average": ${n(avg)}, "total": ${n(total)}}`
        : `{ .count = ${count}, .average = ${avg}, .total = ${total} }`;
    }
    case 'hist':
    case 'lhist': {
      const h = v.fn === 'hist' ? hist26(v.buckets, div) : lhist26(v);
      return ctx.json ? histJson26(h) : histText26(h);
    }
  }
}

/** Key element text; tuples lose their parentheses on the map line (and, in JSON, their spaces). */
function keyText26(key: BtValue[], ctx: ValueCtx): string {
  const s = key.map((k) => (k.t === 'int' ? intOf(k).toString() : k.t === 'str' ? strText26(k) : keyElemText(k, ctx))).join(', ');
  return ctx.json ? quote(s.replace(/ /g, '')) : s;
}

const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

function sortValue26(v: AggValue | BtValue): bigint {
  if (!isAgg(v)) return v.t === 'int' ? intOf(v) : 0n;
  switch (v.fn) {
    case 'count':
      return BigInt.asUintN(64, v.v);
    case 'min':
    case 'max':
      return BigInt.asUintN(64, v.v);
    case 'sum':
      return v.signed ? BigInt.asIntN(64, v.v) : BigInt.asUintN(64, v.v);
    case 'avg':
    case 'stats':
      return v.count === 0n ? 0n : v.total / v.count;
    default: {
      let s = 0n;
      for (const c of v.buckets.values()) s += c;
      return s;
    }
  }
}

/** 0.26's order: by value for numeric aggregations and ints, by total for histograms, else by key (ints signed). */
export function orderEntries26(m: MapSnapshot, kind: AggFn | 'value'): MapEntry[] {
  const es = [...m.entries];
  const numeric = kind !== 'value' || (es.length > 0 && es.every((e) => !isAgg(e.value) && e.value.t === 'int'));
  if (numeric) return es.sort((a, b) => cmp(sortValue26(a.value), sortValue26(b.value)));
  const n = es[0]?.key.length ?? 0;
  for (let i = n - 1; i >= 0; i--) {
    const k0 = es[0].key[i];
    if (k0.t === 'int') es.sort((a, b) => cmp(BigInt.asIntN(64, (a.key[i] as { v: bigint }).v), BigInt.asIntN(64, (b.key[i] as { v: bigint }).v)));
    else if (k0.t === 'str') es.sort((a, b) => (bytesText((a.key[i] as { v: Uint8Array }).v) < bytesText((b.key[i] as { v: Uint8Array }).v) ? -1 : bytesText((a.key[i] as { v: Uint8Array }).v) > bytesText((b.key[i] as { v: Uint8Array }).v) ? 1 : 0));
  }
  return es;
}

/** One map as 0.26's text or JSON output prints it (entries already ordered and cut to `top`). */
export function formatMap26(m: MapSnapshot, entries: MapEntry[], kind: AggFn | 'value', ctx: ValueCtx, div: bigint): string {
  const isHist = kind === 'hist' || kind === 'lhist';
  const val = (v: AggValue | BtValue): string => (isAgg(v) ? aggText26(v, ctx, div) : valueText26(v, ctx, div));
  const keyed = m.keyed && entries.some((e) => e.key.length > 0);
  if (ctx.json) {
    if (entries.length === 0) return '';
    const type = isHist ? 'hist' : kind === 'avg' || kind === 'stats' ? 'stats' : 'map';
    const body = keyed ? '{' + entries.map((e) => `${keyText26(e.key, ctx)}: ${val(e.value)}`).join(', ') + '}' : val(entries[0].value);
    return `{"type": "${type}", "data": {${quote(m.name)}: ${body}}}\n`;
  }
  let out = '';
  for (const e of entries) {
    const k = keyed ? `[${keyText26(e.key, ctx)}]` : '';
    out += isHist ? `${m.name}${k}:\n${val(e.value)}\n` : `${m.name}${k}: ${val(e.value)}\n`;
  }
  return out;
}

/**
 * A map printed by print() or at exit, as bpftrace 0.17 prints it: entry
 * order (by value for count/sum/min/max/int maps, by total for hist/lhist,
 * by average for avg/stats, by key otherwise), `top`/`div`, the text blocks
 * with their trailing blank lines, and the JSON "map"/"hist"/"stats" lines.
 * Non-goal: reading maps (codegen's decoder hands us snapshots).
 */
import type { AggFn } from '../types';
import { AggValue, BtValue, isAgg, MapEntry, MapSnapshot, OutputOptions } from './values';
import { formatHist, formatLhist, histJson, lhistJson } from './hist';
import { cdiv, intOf, jsonEscape, keyElemText, valueText, ValueCtx } from './text';
import { isOld } from './version';
import { formatMap26, orderEntries26 } from './modern';

export function valueCtx(o: OutputOptions): ValueCtx {
  return { json: o.format === 'json', old: isOld(o.version), indent: 8, tzOffsetMinutes: o.tzOffsetMinutes ?? 0, ...(o.timeZone !== undefined ? { timeZone: o.timeZone } : {}), bootNs: o.bootNs ?? 0n };
}

function kindOf(m: MapSnapshot): AggFn | 'value' {
  if (m.agg) return m.agg;
  const v = m.entries[0]?.value;
  return v && isAgg(v) ? v.fn : 'value';
}

const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/** Key element compared as bpftrace's std::map compares raw key bytes (ints little-endian). */
function keyBytes(k: BtValue): number[] {
  switch (k.t) {
    case 'int': {
      const n = (k.bits ?? 64) / 8;
      const u = BigInt.asUintN(n * 8, k.v);
      return Array.from({ length: n }, (_, i) => Number((u >> BigInt(8 * i)) & 0xffn));
    }
    case 'str':
    case 'buf':
      return [...k.v, 0];
    case 'bool':
      return [k.v ? 1 : 0];
    case 'tuple':
    case 'array':
      return k.elems.flatMap(keyBytes);
    case 'record':
      return k.fields.flatMap((f) => keyBytes(f.v));
    default:
      return [];
  }
}

function cmpBytes(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function cmpKeyBytes(a: MapEntry, b: MapEntry): number {
  for (let i = 0; i < Math.min(a.key.length, b.key.length); i++) {
    const c = cmpBytes(keyBytes(a.key[i]), keyBytes(b.key[i]));
    if (c) return c;
  }
  return 0;
}

function sortKey(v: AggValue | BtValue): bigint | undefined {
  if (isAgg(v)) {
    switch (v.fn) {
      case 'count':
        return BigInt.asUintN(64, v.v);
      case 'sum':
      case 'min':
      case 'max':
        return v.signed ? BigInt.asIntN(64, v.v) : BigInt.asUintN(64, v.v);
      case 'avg':
      case 'stats':
        return v.count === 0n ? 0n : BigInt.asIntN(64, v.total) / BigInt.asIntN(64, v.count);
      case 'hist':
      case 'lhist': {
        let s = 0n;
        for (const c of v.buckets.values()) s += c;
        return BigInt.asUintN(64, s);
      }
    }
  }
  return v.t === 'int' ? intOf(v) : undefined;
}

/** BPFtrace::sort_by_key: stable sorts from the last key element to the first; ints as unsigned, strings bytewise. */
function sortByKey(entries: MapEntry[]): MapEntry[] {
  const out = [...entries];
  const n = out[0]?.key.length ?? 0;
  for (let i = n - 1; i >= 0; i--) {
    const t = out[0].key[i].t;
    if (t === 'int') out.sort((a, b) => cmp(BigInt.asUintN(64, (a.key[i] as { v: bigint }).v), BigInt.asUintN(64, (b.key[i] as { v: bigint }).v)));
    else if (t === 'str') out.sort((a, b) => cmpBytes(keyBytes(a.key[i]), keyBytes(b.key[i])));
  }
  return out;
}

/** Entries in the order bpftrace prints them. */
export function orderEntries(m: MapSnapshot): MapEntry[] {
  const kind = kindOf(m);
  const byValue = (es: MapEntry[]): MapEntry[] => es.sort((a, b) => cmp(sortKey(a.value) ?? 0n, sortKey(b.value) ?? 0n));
  switch (kind) {
    case 'hist':
    case 'lhist':
    case 'avg':
    case 'stats':
      return byValue([...m.entries].sort(cmpKeyBytes));
    case 'count':
    case 'sum':
    case 'min':
    case 'max':
      return byValue([...m.entries]);
    default:
      return m.entries.length && m.entries.every((e) => !isAgg(e.value) && e.value.t === 'int') ? byValue([...m.entries]) : sortByKey(m.entries);
  }
}

/** Values whose text ends with a newline already: entries are not separated by one. */
function selfDelimited(m: MapSnapshot): boolean {
  const v = m.entries[0]?.value;
  return !!v && !isAgg(v) && v.t === 'special' && ['kstack', 'ustack', 'ksym', 'usym', 'inet'].includes(v.kind);
}

function aggText(v: AggValue, ctx: ValueCtx, div: bigint): string {
  switch (v.fn) {
    case 'count':
    case 'sum':
    case 'min':
    case 'max':
      return cdiv(v.signed && v.fn !== 'count' ? BigInt.asIntN(64, v.v) : BigInt.asUintN(64, v.v), div).toString();
    case 'avg':
    case 'stats': {
      const count = BigInt.asIntN(64, v.count);
      const total = BigInt.asIntN(64, v.total);
      const avg = count !== 0n ? total / count : 0n;
      if (v.fn === 'avg') return cdiv(avg, div).toString();
      return ctx.json ? `{"count": ${count}, "average": ${avg}, "total": ${total}}` : `count ${count}, average ${avg}, total ${total}`;
    }
    case 'hist':
      return ctx.json ? histJson(v.buckets, div) : formatHist(v.buckets, div);
    case 'lhist':
      return ctx.json ? lhistJson(v.buckets, v.min, v.max, v.step) : formatLhist(v.buckets, v.min, v.max, v.step);
  }
}

function keyText(m: MapSnapshot, key: BtValue[], ctx: ValueCtx): string {
  if (!m.keyed || key.length === 0) return '';
  const els = key.map((k) => keyElemText(k, ctx));
  if (ctx.json) return '"' + jsonEscape(els.join(',')) + '"';
  return '[' + els.join(', ') + ']';
}

/** The text or JSON of one map (print(@m, top, div) and the exit dump use the same). */
export function formatMap(m: MapSnapshot, o: OutputOptions, top = 0, div = 0): string {
  const ctx = valueCtx(o);
  const kind = kindOf(m);
  let entries = ctx.old ? orderEntries(m) : orderEntries26(m, kind);
  const d = BigInt(Number.isSafeInteger(div) && div > 0 ? div : 1);
  const trims = kind !== 'stats';
  top = Number.isSafeInteger(top) ? top : 0;
  if (top > 0 && trims && entries.length > top) entries = entries.slice(entries.length - top);
  const isHist = kind === 'hist' || kind === 'lhist';
  const isStats = kind === 'avg' || kind === 'stats';
  if (!ctx.old) return formatMap26(m, entries, kind, ctx, d);
  const val = (v: AggValue | BtValue): string => (isAgg(v) ? aggText(v, ctx, d) : valueText(v, ctx, d));
  if (ctx.json) {
    if (entries.length === 0) return '';
    const type = isHist ? 'hist' : isStats ? 'stats' : 'map';
    const els = entries.map((e) => {
      const k = keyText(m, e.key, ctx);
      return k ? `${k}: ${val(e.value)}` : val(e.value);
    });
    const body = m.keyed ? '{' + els.join(', ') + '}' : els.join(', ');
    return `{"type": "${type}", "data": {"${jsonEscape(m.name)}": ${body}}}\n`;
  }
  const els = entries.map((e) => m.name + keyText(m, e.key, ctx) + ': ' + (isHist ? '\n' : '') + val(e.value));
  const body = els.join(selfDelimited(m) ? '' : '\n');
  return body + (isStats ? '\n\n' : '\n');
}

const byName = (a: MapSnapshot, b: MapSnapshot): number => cmpBytes([...new TextEncoder().encode(a.name)], [...new TextEncoder().encode(b.name)]);

/**
 * The end-of-run output: the two newlines bpftrace prints after the probes
 * detach (0.17 also with -f json, 0.26 only in text mode), then every map in
 * name order.
 */
export function formatMapsAtExit(maps: MapSnapshot[], o: OutputOptions): string {
  const lead = o.format === 'json' && !isOld(o.version) ? '' : '\n\n';
  return lead + [...maps].sort(byName).map((m) => formatMap(m, o)).join('');
}

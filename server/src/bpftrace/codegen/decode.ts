/**
 * Decoders from the bytes compiled probes produce to the output formatter's
 * values: output records (by their id and the format table) and map contents
 * (per-CPU copies combined the way bpftrace 0.17 combines them: counts and
 * sums added, min/max reduced, hist/lhist/avg/stats slots regrouped by key).
 * Non-goal: text (the formatter), reading maps (the caller passes entries).
 */
import { type AggFn, type SType, layoutOf, sizeOf } from '../types';
import type { AggValue, BtValue, MapSnapshot, OutputEvent } from '../output/values';
import type { BtMapDef, CompiledScript, OutputFormat } from './model';
import { ASYNC } from './script';

function u64(b: Uint8Array, off: number): bigint {
  return readInt(b, off, 8, false);
}

function readInt(b: Uint8Array, off: number, bytes: number, signed: boolean): bigint {
  let v = 0n;
  for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(off + i >= 0 ? b[off + i] ?? 0 : 0);
  return signed ? BigInt.asIntN(bytes * 8, v) : v;
}

function cstr(b: Uint8Array, off: number, size: number): Uint8Array {
  const s = b.subarray(off, Math.min(b.length, off + size));
  const z = s.indexOf(0);
  return z < 0 ? s.slice() : s.slice(0, z);
}

/** Decodes one stored value of type t at off (`formats`: the script's table, for strftime values). */
export function decodeValue(t: SType, b: Uint8Array, off = 0, formats?: readonly OutputFormat[]): BtValue {
  switch (t.k) {
    case 'int': return { t: 'int', v: readInt(b, off, t.bits / 8, t.signed), signed: t.signed };
    case 'bool': return { t: 'bool', v: (b[off] ?? 0) !== 0 };
    case 'ptr': return { t: 'int', v: readInt(b, off, 8, false), signed: false };
    case 'string': return { t: 'str', v: cstr(b, off, t.size) };
    case 'buffer': {
      const n = Math.min(b[off] ?? 0, t.size);
      return { t: 'buf', v: b.slice(off + 1, off + 1 + n) };
    }
    case 'tuple': {
      const l = layoutOf(t.elems);
      return { t: 'tuple', elems: t.elems.map((e, i) => decodeValue(e, b, off + l.offsets[i], formats)) };
    }
    case 'record': {
      const l = layoutOf(t.fields.map((f) => f.type));
      return { t: 'record', fields: t.fields.map((f, i) => ({ name: f.name, v: decodeValue(f.type, b, off + l.offsets[i], formats) })) };
    }
    case 'array': {
      const es = sizeOf(t.elem);
      if (t.elem.k === 'int' && t.elem.bits === 8) return { t: 'buf', v: b.slice(off, off + t.len) };
      return { t: 'tuple', elems: Array.from({ length: t.len }, (_, i) => decodeValue(t.elem, b, off + i * es, formats)) };
    }
    case 'special': {
      if (t.kind === 'inet') {
        const af = readInt(b, off, 8, false);
        return { t: 'special', kind: 'inet', v: b.slice(off + 8, off + 8 + (af === 10n ? 16 : 4)) };
      }
      if (t.kind === 'mac') return { t: 'special', kind: 'mac', v: b.slice(off, off + 6) };
      if (t.kind === 'timestamp') {
        const fmt = formats?.[Number(readInt(b, off, 8, false))]?.fmt;
        return { t: 'special', kind: 'timestamp', v: readInt(b, off + 8, 8, false), ...(fmt !== undefined ? { fmt } : {}) };
      }
      return { t: 'special', kind: t.kind, v: readInt(b, off, Math.min(8, t.size), false) };
    }
    case 'cstruct': return { t: 'buf', v: b.slice(off, off + t.size) };
    case 'agg': return { t: 'int', v: readInt(b, off, 8, t.signed), signed: t.signed };
    case 'none': return { t: 'none' };
  }
}

/**
 * Decodes an output record. `readMap` supplies the contents of a map for print() records
 * (without it the snapshot has no entries).
 */
export function decodeRecord(script: CompiledScript, bytes: Uint8Array, readMap?: (map: BtMapDef) => MapSnapshot): OutputEvent | { error: string } {
  if (bytes.length < 8) return { error: `output record of ${bytes.length} bytes is too short` };
  const id = Number(u64(bytes, 0));
  const f = id < ASYNC.exit
    ? script.formats.find((x) => x.id === id)
    : bytes.length >= 16 ? script.formats[Number(u64(bytes, 8))] : undefined;
  if (!f) return { error: `output record with unknown id ${id}` };
  if (bytes.length < f.layout.size) return { error: `output record ${id} has ${bytes.length} bytes, expected ${f.layout.size}` };
  const args = f.args.map((t, i) => decodeValue(t, bytes, f.layout.offsets[i], script.formats));
  switch (f.action) {
    case 'printf': return { kind: 'printf', fmt: f.fmt ?? '', args, ...(f.severity ? { severity: f.severity } : {}), ...(f.at ? { at: f.at } : {}) };
    case 'system': case 'cat': return { kind: f.action, text: substitute(f.fmt ?? '', args) };
    case 'exit': return { kind: 'exit' };
    case 'clear': case 'zero': return { kind: f.action, map: f.map ?? '' };
    case 'print': {
      const def = script.maps.find((m) => m.name === f.map);
      const snap = def && readMap ? readMap(def) : { name: f.map ?? '', keyed: def ? isKeyed(def) : false, ...(def ? { agg: aggKind(def) } : {}), entries: [] };
      return { kind: 'print', map: snap, ...(f.top !== undefined ? { top: f.top } : {}), ...(f.div !== undefined ? { div: f.div } : {}) };
    }
    case 'printValue': return { kind: 'printValue', value: args[1] ?? { t: 'none' } };
    case 'time': return { kind: 'time', fmt: f.fmt ?? '', ns: args[1]?.t === 'int' ? args[1].v : 0n };
    case 'join': {
      const parts: Uint8Array[] = [];
      for (const a of args.slice(1)) {
        if (a.t !== 'str' || a.v.length === 0) break;
        parts.push(a.v);
      }
      return { kind: 'join', parts, sep: f.sep ?? ' ' };
    }
    default: return { error: `output record action ${f.action} cannot be decoded` };
  }
}

/** system()/cat() arguments: the command or path is only needed as text; %s/%d are filled in plainly. */
function substitute(fmt: string, args: BtValue[]): string {
  let i = 0;
  return fmt.replace(/%-?\d*(?:l{0,2}[dui]|[sx])/g, () => {
    const a = args[i++];
    if (!a) return '';
    if (a.t === 'int') return a.v.toString();
    if (a.t === 'str') return new TextDecoder().decode(a.v);
    return '';
  });
}

/** What a map holds, for the formatter (an empty avg/stats map prints differently). */
function aggKind(def: BtMapDef): AggFn | 'value' {
  return def.value.k === 'agg' ? def.value.fn : 'value';
}

function isKeyed(def: BtMapDef): boolean {
  if (def.keyed !== undefined) return def.keyed;
  const extra = def.value.k === 'agg' && ['avg', 'stats', 'hist', 'lhist'].includes(def.value.fn) ? 1 : 0;
  return def.key.length > extra;
}

function decodeKey(def: BtMapDef, key: Uint8Array, parts: SType[], formats: readonly OutputFormat[]): BtValue[] {
  const out: BtValue[] = [];
  let off = 0;
  for (const [i, t] of parts.entries()) {
    out.push(shownAs(decodeValue(t, key, off, formats), def.shown?.key[i]));
    off += sizeOf(t);
  }
  return out;
}

/** A decoded stored value as the script's type shows it: bools are stored as u64 in maps but print as true/false. */
function shownAs(v: BtValue, t: SType | undefined): BtValue {
  if (t?.k === 'bool' && v.t === 'int') return { t: 'bool', v: v.v !== 0n };
  if (t?.k === 'tuple' && v.t === 'tuple') return { t: 'tuple', elems: v.elems.map((e, i) => shownAs(e, t.elems[i])) };
  return v;
}

/** Decodes one map's entries (per-CPU values separate) into a snapshot. */
export function decodeMap(script: CompiledScript, map: BtMapDef, entries: Iterable<{ key: Uint8Array; values: Uint8Array[] }>): MapSnapshot {
  const keyed = isKeyed(map);
  const v = map.value;
  const snap: MapSnapshot = { name: map.name, keyed, agg: aggKind(map), entries: [] };
  if (v.k !== 'agg') {
    for (const e of entries) {
      snap.entries.push({ key: keyed ? decodeKey(map, e.key, map.key, script.formats) : [], value: shownAs(decodeValue(v, e.values[0] ?? new Uint8Array(sizeOf(v)), 0, script.formats), map.shown?.value) });
    }
    return snap;
  }
  const slotted = ['avg', 'stats', 'hist', 'lhist'].includes(v.fn);
  const keyParts = slotted ? map.key.slice(0, -1) : map.key;
  const groups = new Map<string, { key: BtValue[]; slots: Map<number, bigint[]> }>();
  for (const e of entries) {
    const prefix = slotted ? e.key.subarray(0, e.key.length - 8) : e.key;
    const id = Array.from(prefix).join(',');
    let gr = groups.get(id);
    if (!gr) {
      gr = { key: keyed ? decodeKey(map, prefix, keyParts, script.formats) : [], slots: new Map() };
      groups.set(id, gr);
    }
    const slot = slotted ? Number(u64(e.key, e.key.length - 8)) : 0;
    gr.slots.set(slot, e.values.map((x) => readInt(x, 0, 8, true)));
  }
  const sum = (xs: bigint[] | undefined, signed: boolean): bigint => {
    let s = 0n;
    for (const x of xs ?? []) s += x;
    return signed ? BigInt.asIntN(64, s) : BigInt.asUintN(64, s);
  };
  const maxOf = (xs: bigint[] | undefined): bigint => (xs ?? []).reduce((a, b) => (b > a ? b : a), (xs ?? [0n])[0] ?? 0n);
  for (const gr of groups.values()) {
    let value: AggValue;
    switch (v.fn) {
      case 'count': value = { fn: 'count', v: sum(gr.slots.get(0), false), signed: false }; break;
      case 'sum': value = { fn: 'sum', v: sum(gr.slots.get(0), v.signed), signed: v.signed }; break;
      case 'max': value = { fn: 'max', v: maxOf(gr.slots.get(0)), signed: v.signed }; break;
      case 'min': value = { fn: 'min', v: 0xffffffffn - maxOf(gr.slots.get(0)), signed: v.signed }; break;
      case 'avg': case 'stats':
        value = { fn: v.fn, count: sum(gr.slots.get(0), false), total: sum(gr.slots.get(1), v.signed), signed: v.signed };
        break;
      case 'hist': case 'lhist': {
        const buckets = new Map<number, bigint>();
        for (const [i, xs] of [...gr.slots].sort((a, b) => a[0] - b[0])) buckets.set(i, sum(xs, false));
        value = v.fn === 'hist' ? { fn: 'hist', buckets }
          : { fn: 'lhist', min: v.args?.[0] ?? 0n, max: v.args?.[1] ?? 0n, step: v.args?.[2] ?? 1n, buckets };
        break;
      }
      default: continue;
    }
    snap.entries.push({ key: gr.key, value });
  }
  return snap;
}

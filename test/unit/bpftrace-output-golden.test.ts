// Golden test of the bpftrace output formatter (issue 5): for every case recorded from the real
// bpftrace 0.17 by scripts/record-bpftrace-output.ts, the formatter's input is rebuilt from the
// case's steps alone (the literal values bpftrace was given: map updates run first, as the BEGIN
// probe does, then the output events in order until exit()), formatted, and compared byte for byte
// with bpftrace's stdout in text mode and with -f json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AggValue, BtValue, MapSnapshot, OutputEvent, OutputOptions,
  attachedLine, formatEvent, formatMapsAtExit, histIndex, lhistIndex,
} from '../../server/src/bpftrace/output';
import type { AggFn } from '../../server/src/bpftrace/types';
import type { Case, Step, V } from '../../scripts/record-bpftrace-output';

const DIR = 'test/fixtures/bpftrace/output';

function int(v: bigint): BtValue {
  return { t: 'int', v, signed: v < 0n };
}

/** The decoded value of a literal, as codegen's decoder would hand it over. */
function valueOf(v: V): BtValue {
  if (typeof v === 'number') return int(BigInt(v));
  if (typeof v === 'string') return { t: 'str', v: new TextEncoder().encode(v) };
  if ('cast' in v) {
    const bits = Number(/\d+/.exec(v.cast)?.[0] ?? 64);
    const signed = !v.cast.startsWith('u');
    return { t: 'int', v: signed ? BigInt.asIntN(bits, BigInt(v.int)) : BigInt.asUintN(bits, BigInt(v.int)), signed };
  }
  if ('int' in v) return int(BigInt(v.int));
  if ('tuple' in v) return { t: 'tuple', elems: v.tuple.map(valueOf) };
  if ('buf' in v) return { t: 'buf', v: Uint8Array.from([...v.buf.slice(0, v.len)].map((c) => c.charCodeAt(0))) };
  if ('ksym' in v) return { t: 'special', kind: 'ksym', v: BigInt(v.ksym) };
  if ('ntop' in v) return { t: 'special', kind: 'inet', v: Uint8Array.from([0, 8, 16, 24].map((s) => (v.ntop >>> s) & 0xff)) };
  if ('strerror' in v) return { t: 'special', kind: 'strerror', v: BigInt(v.strerror) };
  if ('strftime' in v) return { t: 'special', kind: 'timestamp', v: BigInt(v.strftime[1]), fmt: v.strftime[0] };
  return { t: 'special', kind: 'probe', v: 0n, text: 'BEGIN' };
}

function num(v: V | undefined): bigint {
  const b = valueOf(v ?? 0);
  return b.t === 'int' ? b.v : 0n;
}

interface SimMap {
  name: string;
  keyed: boolean;
  agg: AggFn | 'value';
  signed: boolean;
  entries: Map<string, { key: BtValue[]; value: AggValue | BtValue }>;
}

const keyId = (key: BtValue[]): string => JSON.stringify(key, (_k, x) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? [...x] : x));

function fresh(fn: AggFn, arg: bigint, lh?: [number, number, number]): AggValue {
  switch (fn) {
    case 'count':
      return { fn, v: 0n, signed: false };
    case 'sum':
      return { fn, v: 0n, signed: arg < 0n };
    case 'min':
    case 'max':
      return { fn, v: arg, signed: arg < 0n };
    case 'avg':
    case 'stats':
      return { fn, count: 0n, total: 0n, signed: true };
    case 'hist':
      return { fn, buckets: new Map() };
    case 'lhist':
      return { fn, min: BigInt(lh?.[0] ?? 0), max: BigInt(lh?.[1] ?? 0), step: BigInt(lh?.[2] ?? 1), buckets: new Map() };
    default:
      return { fn: 'count', v: 0n, signed: false };
  }
}

function update(a: AggValue, arg: bigint): void {
  switch (a.fn) {
    case 'count':
      a.v += 1n;
      break;
    case 'sum':
      a.v += arg;
      a.signed ||= arg < 0n;
      break;
    case 'min':
    case 'max':
      a.v = a.fn === 'min' ? (arg < a.v ? arg : a.v) : arg > a.v ? arg : a.v;
      a.signed ||= arg < 0n;
      break;
    case 'avg':
    case 'stats':
      a.count += 1n;
      a.total += arg;
      break;
    case 'hist': {
      const i = histIndex(arg);
      a.buckets.set(i, (a.buckets.get(i) ?? 0n) + 1n);
      break;
    }
    case 'lhist': {
      const i = lhistIndex(arg, a.min, a.max, a.step);
      a.buckets.set(i, (a.buckets.get(i) ?? 0n) + 1n);
      break;
    }
  }
}

function zeroed(v: AggValue | BtValue): AggValue | BtValue {
  if ('fn' in v) {
    switch (v.fn) {
      case 'hist':
      case 'lhist':
        return { ...v, buckets: new Map() };
      case 'avg':
      case 'stats':
        return { ...v, count: 0n, total: 0n };
      default:
        return { ...v, v: 0n };
    }
  }
  return v.t === 'int' ? { ...v, v: 0n } : v.t === 'str' ? { ...v, v: new Uint8Array() } : v;
}

function snapshot(m: SimMap): MapSnapshot {
  const entries = [...m.entries.values()].map((e) => ({
    key: e.key,
    value: !('fn' in e.value) && e.value.t === 'int' ? { ...e.value, signed: m.signed } : e.value,
  }));
  return { name: m.name, keyed: m.keyed, agg: m.agg, entries };
}

/** Everything bpftrace prints on stdout for a case, computed by the formatter. */
function simulate(c: Case, o: OutputOptions): string {
  const maps = new Map<string, SimMap>();
  const mapOf = (name: string, keyed: boolean, agg: AggFn | 'value'): SimMap => {
    let m = maps.get(name);
    if (!m) maps.set(name, (m = { name, keyed, agg, signed: false, entries: new Map() }));
    return m;
  };
  // One probe run: map updates happen now, output actions are queued; exit() returns from the probe.
  const probe = (steps: Step[]): Step[] => {
    const queued: Step[] = [];
    let running = true;
    for (const s of steps) {
      if (s.op === 'agg' || s.op === 'set') {
        const m = mapOf(s.map, !!s.key?.length, s.op === 'agg' ? s.fn : 'value');
        if (!running) continue;
        const key = (s.key ?? []).map(valueOf);
        const id = keyId(key);
        if (s.op === 'set') {
          const value = valueOf(s.value);
          if (value.t === 'int' && value.v < 0n) m.signed = true;
          m.entries.set(id, { key, value });
          continue;
        }
        const arg = num(s.arg);
        for (let i = 0; i < (s.times ?? 1); i++) {
          const cur = m.entries.get(id);
          const a = cur && 'fn' in cur.value ? cur.value : fresh(s.fn, arg, s.lh);
          update(a, arg);
          m.entries.set(id, { key, value: a });
        }
      } else if (s.op === 'delete') {
        if (running) maps.get(s.map)?.entries.delete(keyId(s.key.map(valueOf)));
      } else if (running) {
        queued.push(s);
        if (s.op === 'exit') running = false;
      }
    }
    return queued;
  };
  // The events of one probe, handled in order; after exit() the rest are dropped.
  const handle = (queued: Step[]): string => {
    let out = '';
    for (const s of queued) {
      let e: OutputEvent;
      switch (s.op) {
        case 'printf':
          e = { kind: 'printf', fmt: s.fmt, args: (s.args ?? []).map(valueOf) };
          break;
        case 'print':
          e = { kind: 'print', map: snapshot(maps.get(s.map) as SimMap), top: s.top, div: s.div };
          break;
        case 'printValue':
          e = { kind: 'printValue', value: valueOf(s.value) };
          break;
        case 'time':
          e = { kind: 'time', fmt: s.fmt, ns: 0n };
          break;
        case 'cat':
        case 'system':
          e = { kind: s.op, text: s.text ?? '' };
          break;
        case 'clear':
        case 'zero': {
          const m = maps.get(s.map) as SimMap;
          if (s.op === 'clear') m.entries.clear();
          else for (const en of m.entries.values()) en.value = zeroed(en.value);
          e = { kind: s.op, map: s.map };
          break;
        }
        default:
          e = { kind: 'exit' };
      }
      out += formatEvent(e, o);
      if (e.kind === 'exit') break;
    }
    return out;
  };
  let out = attachedLine(c.end ? 2 : 1, o).stdout;
  const begin = probe(c.steps);
  if (!begin.some((s) => s.op === 'exit')) begin.push({ op: 'exit' });
  out += handle(begin);
  if (c.end) out += handle(probe(c.end));
  return out + formatMapsAtExit([...maps.values()].map(snapshot), o);
}

const cases = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.case.json')).sort() : [];

test('there are at least 40 recorded bpftrace output cases', () => {
  assert.ok(cases.length >= 40, `${cases.length} cases`);
});

for (const file of cases) {
  const c = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Case;
  for (const format of ['text', 'json'] as const) {
    const golden = join(DIR, `${c.name}${format === 'json' ? '.json' : ''}.txt`);
    test(`${c.name} (${format})`, (t) => {
      if (!existsSync(golden)) {
        console.log(`SKIP: ${golden} was not recorded`);
        t.skip('golden not recorded');
        return;
      }
      const want = readFileSync(golden, 'utf8');
      const env = { bootNs: BigInt(c.env?.bootNs ?? 0), tzOffsetMinutes: c.env?.tzOffsetMinutes ?? 0 };
      assert.equal(simulate(c, { format, version: '0.17', ...env }), want);
    });
  }
}

/**
 * Trace format v1: the reader's field checks and diagnostics (with line
 * numbers), mem decoding, and agreement with the committed JSON schema,
 * checked by a small draft 2020-12 subset validator defined here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDiagnostic, hexToBytes, readMem, TraceReader, type ReadResult, type TraceEvent } from '../../server/src/trace';

const FIX = join(__dirname, '../fixtures/trace');
const SCHEMA = JSON.parse(readFileSync(join(__dirname, '../../server/src/trace/schema/trace-v1.schema.json'), 'utf8')) as Schema;

type Schema = Record<string, unknown>;

/** A subset of JSON Schema 2020-12: type, const, required, properties, additionalProperties, propertyNames, items, oneOf, $ref (#/$defs/…), pattern, minLength, minimum, maximum. */
function valid(v: unknown, s: Schema, root: Schema = SCHEMA): boolean {
  if (typeof s.$ref === 'string') return valid(v, (root.$defs as Record<string, Schema>)[s.$ref.replace('#/$defs/', '')], root);
  if (Array.isArray(s.oneOf)) return (s.oneOf as Schema[]).filter((x) => valid(v, x, root)).length === 1;
  if ('const' in s && v !== s.const) return false;
  const t = s.type;
  if (t === 'object' && (typeof v !== 'object' || v === null || Array.isArray(v))) return false;
  if (t === 'array' && !Array.isArray(v)) return false;
  if (t === 'string' && typeof v !== 'string') return false;
  if (t === 'integer' && !Number.isInteger(v)) return false;
  if (typeof v === 'string') {
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) return false;
    if (typeof s.minLength === 'number' && v.length < s.minLength) return false;
  }
  if (typeof v === 'number') {
    if (typeof s.minimum === 'number' && v < s.minimum) return false;
    if (typeof s.maximum === 'number' && v > s.maximum) return false;
  }
  if (Array.isArray(v) && s.items) return v.every((x) => valid(x, s.items as Schema, root));
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    for (const r of (s.required as string[] | undefined) ?? []) if (!(r in o)) return false;
    const props = (s.properties ?? {}) as Record<string, Schema>;
    for (const [k, x] of Object.entries(o)) {
      if (s.propertyNames && !valid(k, s.propertyNames as Schema, root)) return false;
      if (k in props) { if (!valid(x, props[k], root)) return false; continue; }
      if (s.additionalProperties === false) return false;
      if (typeof s.additionalProperties === 'object' && !valid(x, s.additionalProperties as Schema, root)) return false;
    }
  }
  return true;
}

const defs = SCHEMA.$defs as Record<string, Schema>;
const lines = (f: string): string[] => readFileSync(join(FIX, f), 'utf8').split('\n');

function readAll(text: string): { results: ReadResult[]; reader: TraceReader } {
  const reader = new TraceReader();
  const parts = text.split('\n');
  const endsNl = text.endsWith('\n');
  if (endsNl) parts.pop();
  const results = parts.map((l, i) => reader.pushLine(l, i + 1, !endsNl && i === parts.length - 1));
  return { results, reader };
}

const diags = (rs: ReadResult[]): string[] => rs.flatMap((r) => (r.kind === 'diagnostic' ? [formatDiagnostic(r.diagnostic)] : []));

test('schema is draft 2020-12 and lists the required header and event fields', () => {
  assert.equal(SCHEMA.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.deepEqual(defs.header.required, ['format', 'version', 'kernel', 'arch']);
  assert.deepEqual(defs.event.required, ['probe', 'ts', 'cpu', 'pid', 'tid', 'uid', 'gid', 'comm', 'args']);
});

test('good fixture: reader accepts every line, and so does the schema', () => {
  const text = readFileSync(join(FIX, 'good-small.jsonl'), 'utf8');
  const { results, reader } = readAll(text);
  assert.deepEqual(diags(results), []);
  assert.equal(reader.events, 3);
  assert.equal(results[0].kind, 'header');
  const ls = lines('good-small.jsonl').filter((l) => l);
  assert.ok(valid(JSON.parse(ls[0]), defs.header));
  for (const l of ls.slice(1)) assert.ok(valid(JSON.parse(l), defs.event), l);
  const ev = (results[3] as { event: TraceEvent }).event;
  assert.equal(ev.ts, 18446744073709551615n);
  assert.equal(ev.args.di, -100n);
  assert.equal(ev.args.si, 0xffff888012345678n);
  assert.equal(ev.kstack?.[0].addr, 0xffffffff81234567n);
  const ev2 = (results[2] as { event: TraceEvent }).event;
  assert.equal(ev2.ts, 0x1f000000000001n);
  assert.equal(ev2.cgroup, 2n ** 64n - 1n);
  assert.equal(ev2.retval, 3);
});

test('mem hex decodes to bytes; str() style reads', () => {
  const { results } = readAll(readFileSync(join(FIX, 'good-small.jsonl'), 'utf8'));
  const ev = (results[1] as { event: TraceEvent }).event;
  assert.equal(ev.args.dfd, -100);
  const addr = BigInt(ev.args.filename);
  const b = readMem(ev, addr, 17);
  assert.ok(b);
  assert.equal(new TextDecoder().decode(b.subarray(0, 16)), '/etc/ld.so.cache');
  assert.equal(b[16], 0);
  assert.deepEqual([...readMem(ev, addr + 5n, 2)!], [0x6c, 0x64]);
  assert.equal(readMem(ev, addr + 10n, 8), undefined, 'read past recorded memory');
  assert.equal(readMem(ev, addr - 1n, 1), undefined);
  assert.equal(hexToBytes('abc'), undefined);
  assert.deepEqual([...hexToBytes('00ff7F')!], [0, 255, 127]);
});

test('bad types: one diagnostic per bad line, naming line and field; schema rejects the same lines', () => {
  const text = readFileSync(join(FIX, 'bad-types.jsonl'), 'utf8');
  const { results, reader } = readAll(text);
  const d = diags(results);
  assert.deepEqual(d, [
    'line 2: field "ts": expected a non-negative integer (number or "0x…" string), got true',
    'line 3: field "cpu": expected a non-negative integer (number or "0x…" string), got -1',
    'line 4: field "comm": expected a string, got 7',
    'line 5: field "args.x": expected an integer (number or "0x…" string), got "abc"',
    'line 6: field "mem.0x10": expected an even-length hex byte string, got "abc"',
    'line 7: field "gid": missing (required)',
    'line 8: field "colour": unknown event field (known: probe, ts, cpu, pid, tid, uid, gid, comm, args, mem, retval, kstack, ustack, cgroup)',
    'line 9: field "kstack[0].addr": expected a non-negative integer (number or "0x…" string), got undefined',
    'line 10: field "ts": integer 18446744073709552000 is beyond 2^53 and lost precision; write it as a string',
    'line 11: field "ts": expected a non-negative integer (number or "0x…" string), got 1.5',
  ]);
  assert.equal(reader.events, 1);
  const ls = lines('bad-types.jsonl');
  assert.ok(valid(JSON.parse(ls[0]), defs.header));
  for (let i = 1; i <= 10; i++) assert.equal(valid(JSON.parse(ls[i]), defs.event), false, `schema should reject line ${i + 1}`);
  assert.equal(valid(JSON.parse(ls[11]), defs.event), true);
});

test('wrong header: diagnostic on line 1, schema agrees', () => {
  const text = readFileSync(join(FIX, 'bad-header.jsonl'), 'utf8');
  const { results } = readAll(text);
  assert.match(diags(results)[0], /^line 1: field "format": expected "bpfstudio-trace"/);
  assert.equal(valid(JSON.parse(text.split('\n')[0]), defs.header), false);
  for (const h of [{ format: 'bpfstudio-trace', version: 2, kernel: 'k', arch: 'a' }, { format: 'bpfstudio-trace', version: 1, kernel: '', arch: 'a' }, { format: 'bpfstudio-trace', version: 1, kernel: 'k' }]) {
    const r = new TraceReader().pushLine(JSON.stringify(h), 1);
    assert.equal(r.kind, 'diagnostic', JSON.stringify(h));
    assert.equal(valid(h, defs.header), false, JSON.stringify(h));
  }
  const ev = { probe: 'p', ts: 1, cpu: 0, pid: 1, tid: 1, uid: 0, gid: 0, comm: 'c', args: {} };
  const r = new TraceReader().pushLine(JSON.stringify(ev), 1);
  assert.equal(r.kind, 'diagnostic');
  assert.equal(valid(ev, defs.header), false);
});

test('truncated final line is named; an unterminated but complete line is fine; empty trace reported', () => {
  const { results } = readAll(readFileSync(join(FIX, 'truncated.jsonl'), 'utf8'));
  const d = diags(results);
  assert.equal(d.length, 1);
  assert.match(d[0], /^line 2: truncated final line \(no newline at end of file/);
  const good = readFileSync(join(FIX, 'good-small.jsonl'), 'utf8').replace(/\n$/, '');
  assert.deepEqual(diags(readAll(good).results), []);
  const mid = readAll('{"format":"bpfstudio-trace","version":1,"kernel":"k","arch":"a"}\n{"probe":\n{}\n');
  assert.match(diags(mid.results)[0], /^line 2: not valid JSON/);
  assert.match(diags(mid.results)[1], /^line 3: field "probe"/);
  const empty = new TraceReader();
  empty.pushLine('', 1);
  assert.match(formatDiagnostic(empty.finish()[0]), /empty trace/);
});

test('reader never throws on junk', () => {
  const r = new TraceReader();
  r.pushLine('{"format":"bpfstudio-trace","version":1,"kernel":"k","arch":"a"}', 1);
  const junk = ['null', '[]', '"x"', '1', '{"args":null}', '{"probe":"p","ts":"0x","cpu":0}', '{"probe":"p","ts":1,"cpu":0,"pid":1,"tid":1,"uid":0,"gid":0,"comm":"c","args":{},"kstack":"x"}', '\u0000', '{"__proto__":{}}'];
  junk.forEach((j, i) => assert.equal(r.pushLine(j, i + 2).kind, 'diagnostic', j));
});

test('reader and schema agree on 3,000 mutated events and headers', () => {
  const ls = lines('good-small.jsonl').filter((l) => l);
  const header = JSON.parse(ls[0]) as Record<string, unknown>;
  const events = ls.slice(1).map((l) => JSON.parse(l) as Record<string, unknown>);
  const pool: unknown[] = [true, null, -1, 0, 7, 1.5, 2 ** 60, '', 'abc', '0x', '0x10', '-5', '12', {}, [], [{ addr: 1 }], [{ addr: '0x1', sym: 3 }], { x: 1 }, { '0x10': 'zz' }, { '0x10': '00ff' }, { x: '0xffffffffffffffffff' }, 'bpfstudio-trace', 1];
  let seed = 12345;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    const isHeader = i % 5 === 0;
    const base = structuredClone(isHeader ? header : events[rnd(events.length)]);
    const keys = [...Object.keys(base), 'extra', 'args', 'mem', 'kstack', 'retval', 'cgroup', 'btf_sha256'];
    for (let m = 0; m <= rnd(2); m++) {
      const k = keys[rnd(keys.length)];
      if (rnd(6) === 0) delete base[k]; else base[k] = structuredClone(pool[rnd(pool.length)]);
    }
    const r = new TraceReader();
    if (!isHeader) r.pushLine(ls[0], 1);
    const res = r.pushLine(JSON.stringify(base), 2);
    const readerOk = res.kind === (isHeader ? 'header' : 'event');
    assert.equal(readerOk, valid(base, isHeader ? defs.header : defs.event), `${isHeader ? 'header' : 'event'} ${JSON.stringify(base)}: reader ${readerOk ? 'accepts' : (res.kind === 'diagnostic' ? formatDiagnostic(res.diagnostic) : res.kind)}`);
    if (readerOk) accepted++;
  }
  assert.ok(accepted > 100 && accepted < 2900, `a mix of good and bad inputs (${accepted} accepted)`);
});

/**
 * bpftrace `-f json` to trace v1: converts both shared samples (one field
 * list; per-probe lists), compares every event against its input tuple
 * (ts, pid, comm, args, filename bytes through mem), reads the output back with
 * the reader, and drives `bpfstudio trace check/convert` through cmdTrace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertBpftraceJson, parseFieldList, quoteBigIntegers, readMem, signExtend, TraceReader, type TraceEvent } from '../../server/src/trace';
import { cmdTrace } from '../../server/src/cli/cmd-trace';
import type { Io } from '../../server/src/cli/args';
import { needFile, SHARED as SHARED_ROOT } from '../shared';

const SHARED = `${SHARED_ROOT}/traces`;
const OPENAT = join(SHARED, 'sample-openat.jsonl');
const ENTER_EXIT = join(SHARED, 'sample-openat-enter-exit.jsonl');
const FIELDS = 'probe,ts,cpu,pid,tid,uid,comm,args.__syscall_nr,args.dfd,args.filename,args.flags,args.mode';
const ENTER = 'tracepoint:syscalls:sys_enter_openat=probe,ts,cpu,pid,tid,comm,args.dfd,args.filename,args.flags,args.mode';
const EXIT_ = 'tracepoint:syscalls:sys_exit_openat=probe,ts,cpu,pid,tid,comm,args.ret';

function readBack(lines: string[]): TraceEvent[] {
  const r = new TraceReader();
  const evs: TraceEvent[] = [];
  lines.forEach((l, i) => {
    const x = r.pushLine(l, i + 1);
    if (x.kind === 'diagnostic') assert.fail(`line ${i + 1}: ${x.diagnostic.message}`);
    if (x.kind === 'event') evs.push(x.event);
  });
  return evs;
}

function cstr(ev: TraceEvent, name: string): string {
  const addr = BigInt(ev.args[name]);
  const hex = Object.entries(ev.mem ?? {}).find(([k]) => BigInt(k) === addr)?.[1];
  assert.ok(hex, `mem holds ${name}`);
  const b = readMem(ev, addr, hex.length / 2)!;
  assert.equal(b[b.length - 1], 0, 'NUL-terminated');
  return new TextDecoder().decode(b.subarray(0, b.length - 1));
}

function tuples(file: string): unknown[][] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"value"')).map((l) => (JSON.parse(l) as { data: unknown[] }).data);
}

test('sample-openat: 200 events, every value round-trips', (t) => {
  if (!needFile(t, OPENAT)) return;
  const fl = parseFieldList(FIELDS);
  assert.ok(typeof fl !== 'string');
  const r = convertBpftraceJson(readFileSync(OPENAT, 'utf8').split('\n'), { fields: fl.fields, kernel: '6.18.44', arch: 'x86_64' });
  assert.deepEqual(r.diagnostics, []);
  const evs = readBack(r.lines);
  const tup = tuples(OPENAT);
  assert.equal(evs.length, 200);
  assert.equal(tup.length, 200);
  const addrs = new Set<bigint>();
  evs.forEach((e, i) => {
    const [probe, ts, cpu, pid, tid, uid, comm, nr, dfd, filename, flags, mode] = tup[i];
    assert.deepEqual(
      [e.probe, e.ts, e.cpu, e.pid, e.tid, e.uid, e.gid, e.comm, e.args.__syscall_nr, e.args.dfd, e.args.flags, e.args.mode],
      [probe, ts, cpu, pid, tid, uid, 0, comm, nr, dfd, flags, mode], `event ${i}`);
    assert.equal(cstr(e, 'filename'), filename);
    const a = BigInt(e.args.filename);
    assert.ok(!addrs.has(a), 'distinct synthetic addresses');
    addrs.add(a);
  });
  assert.ok(tup.some((x) => x[9] === ''), 'the sample has empty filenames');
  assert.equal(JSON.parse(r.lines[0]).missing_fields.join(), 'gid');
  const signed = parseFieldList(FIELDS.replace('args.dfd', 'args.dfd:s32'));
  assert.ok(typeof signed !== 'string');
  const s = readBack(convertBpftraceJson(readFileSync(OPENAT, 'utf8').split('\n'), { fields: signed.fields, kernel: 'k', arch: 'a' }).lines);
  assert.ok(tup.some((x) => x[8] === 4294967196));
  s.forEach((e, i) => assert.equal(e.args.dfd, tup[i][8] === 4294967196 ? -100 : tup[i][8]));
});

test('enter-exit sample: per-probe field lists', (t) => {
  if (!needFile(t, ENTER_EXIT)) return;
  const perProbe = new Map<string, string[]>();
  for (const s of [ENTER, EXIT_]) { const f = parseFieldList(s); assert.ok(typeof f !== 'string'); perProbe.set(f.probe!, f.fields); }
  const r = convertBpftraceJson(readFileSync(ENTER_EXIT, 'utf8').split('\n'), { perProbe, kernel: '6.18.44', arch: 'x86_64' });
  assert.deepEqual(r.diagnostics, []);
  const evs = readBack(r.lines);
  const tup = tuples(ENTER_EXIT);
  assert.equal(evs.length, 200);
  assert.equal(evs.filter((e) => e.probe.endsWith('sys_exit_openat')).length, 100);
  evs.forEach((e, i) => {
    const x = tup[i];
    assert.equal(e.probe, x[0]);
    assert.equal(e.ts, x[1]);
    assert.equal(e.comm, x[5]);
    if (e.probe.endsWith('sys_exit_openat')) assert.deepEqual(e.args, { ret: x[6] });
    else { assert.equal(cstr(e, 'filename'), x[7]); assert.equal(e.args.flags, x[8]); }
  });
  assert.ok(evs.some((e) => e.args.ret === -2), 'negative return values survive');
});

test('bad bpftrace lines give per-line diagnostics; good lines still convert', () => {
  const fl = parseFieldList('probe,ts,comm,args.s,retval');
  assert.ok(typeof fl !== 'string');
  const input = [
    '{"type": "attached_probes", "data": {"probes": 1}}',
    '{"type": "value", "data": ["p", 1, "c", "x", -1]}',
    '{"type": "value", "data": ["p", 1, "c"]}',
    '{"type": "value", "data": ["p", true, "c", "x", 0]}',
    '{"type": "value", "data": ["p", 18446744073709551615, "c\\"1234567890123456789", "x", -9223372036854775808]}',
    '{"type": "map", "data": {}}',
    '{"type": "value", "data": ["p", 2',
    '',
    '{"type": "value", "data": ["p", 3, "c", "", 0]}',
  ];
  const r = convertBpftraceJson(input, { fields: fl.fields, kernel: 'k', arch: 'a' });
  assert.deepEqual(r.diagnostics.map((d) => d.line), [3, 4, 6, 7]);
  assert.match(r.diagnostics[0].message, /tuple has 3 values but the field list .* names 5/);
  assert.match(r.diagnostics[1].message, /position 1 \(ts\)/);
  assert.match(r.diagnostics[2].message, /unsupported bpftrace output type "map"/);
  assert.match(r.diagnostics[3].message, /not valid JSON/);
  const evs = readBack(r.lines);
  assert.equal(evs.length, 3);
  assert.equal(evs[0].retval, -1);
  assert.equal(evs[1].ts, 2n ** 64n - 1n, 'u64 printed as a number keeps every digit');
  assert.equal(evs[1].retval, -(2n ** 63n));
  assert.equal(evs[1].comm, 'c"1234567890123456789', 'digits inside strings untouched');
  assert.equal(cstr(evs[2], 's'), '');
  assert.equal(quoteBigIntegers('[1.5e300, 12345678901234567.5, 0.12345678901234567, 1e12345678901234567, "99999999999999999", 99999999999999999]'), '[1.5e300, 12345678901234567.5, 0.12345678901234567, 1e12345678901234567, "99999999999999999", "99999999999999999"]');
  for (const bad of ['probe,ts,args.x:s12', 'probe,ts,args.x:u32']) assert.equal(typeof parseFieldList(bad), 'string', bad);
  assert.equal(signExtend(4294967196, 32), -100);
  assert.equal(signExtend(0xffn, 8), -1n);
  assert.equal(signExtend(0x7f, 8), 127);
  assert.equal(signExtend(0xffffffffffffff9cn, 64), -100n);
  for (const bad of ['ts,comm', 'probe,ts,bogus', 'probe,ts,ts', 'probe,comm']) assert.equal(typeof parseFieldList(bad), 'string', bad);
});

function io(): Io & { o: string[]; e: string[] } {
  const o: string[] = [];
  const e: string[] = [];
  return { o, e, out: (s) => o.push(s), err: (s) => e.push(s) };
}

test('CLI: trace convert then trace check; errors print FILE:LINE and exit 1', async (t) => {
  if (!needFile(t, ENTER_EXIT)) return;
  const dir = mkdtempSync(join(tmpdir(), 'trace-cli-'));
  const out = join(dir, 'out.jsonl');
  const a = io();
  assert.equal(await cmdTrace(['convert', ENTER_EXIT, '--fields', ENTER, '--fields', EXIT_, '--kernel', '6.18.44', '-o', out], a), 0);
  assert.match(a.o.join(), /200 events/);
  assert.equal(JSON.parse(readFileSync(out, 'utf8').split('\n')[0]).kernel, '6.18.44');
  const b = io();
  assert.equal(await cmdTrace(['check', out], b), 0);
  assert.equal(b.o[0], '200 events, probes: tracepoint:syscalls:sys_enter_openat (100), tracepoint:syscalls:sys_exit_openat (100)');
  assert.deepEqual(b.e, []);
  const c = io();
  const bad = join(__dirname, '../fixtures/trace/bad-types.jsonl');
  assert.equal(await cmdTrace(['check', bad], c), 1);
  assert.equal(c.o[0], '1 events, probes: p (1)');
  assert.equal(c.e.length, 10);
  assert.equal(c.e[0], `${bad}:2: field "ts": expected a non-negative integer (number or "0x…" string), got true`);
  const d = io();
  writeFileSync(join(dir, 'in.jsonl'), '{"type": "value", "data": ["p", 1]}\n{"type": "value", "data": ["p"]}\n');
  assert.equal(await cmdTrace(['convert', join(dir, 'in.jsonl'), '--fields', 'probe,ts', '-o', join(dir, 'o2.jsonl')], d), 1);
  assert.match(d.e[0], /in\.jsonl:2: tuple has 1 values/);
  writeFileSync(join(dir, 'btf.bin'), 'abc');
  assert.equal(await cmdTrace(['convert', join(dir, 'in.jsonl'), '--fields', 'probe,ts', '--btf', join(dir, 'btf.bin'), '-o', join(dir, 'o3.jsonl')], io()), 1);
  assert.equal(JSON.parse(readFileSync(join(dir, 'o3.jsonl'), 'utf8').split('\n')[0]).btf_sha256, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  const o3 = io();
  assert.equal(await cmdTrace(['check', join(dir, 'o3.jsonl')], o3), 0, o3.e.join('\n'));
  const h = io();
  assert.equal(await cmdTrace(['--help'], h), 0);
  assert.match(h.o[0], /trace check FILE/);
  await assert.rejects(Promise.resolve().then(() => cmdTrace(['convert', ENTER_EXIT, '-o', out], io())), /--fields LIST is required/);
  await assert.rejects(Promise.resolve().then(() => cmdTrace(['check', join(dir, 'nope')], io())), /no such file/);
  await assert.rejects(Promise.resolve().then(() => cmdTrace(['convert', ENTER_EXIT, '--fields', ENTER, '-o', join(dir, 'no/such/dir/o.jsonl')], io())), /ENOENT/);
});

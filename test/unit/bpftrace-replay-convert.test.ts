/**
 * The bpftrace -f json converter with tracepoint formats: integer arguments
 * take the field's size and signedness (no `:s32` hints needed), unknown
 * argument names are refused with the record's field list, and stacks
 * printed in perf mode (kstack(perf)/ustack(perf)) become trace frames whose
 * names replay prints back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { convertBpftraceJson, fieldValue, parseFieldList, parsePerfStack, TraceReader, type TraceEvent } from '../../server/src/trace';
import { sharedFormats, SHARED_EVENTS } from '../fixtures/bpftrace-real/replay-fixture';
import { needFile, SHARED } from '../shared';

const SAMPLE = `${SHARED}/traces/sample-openat.jsonl`;
const FIELDS = 'probe,ts,cpu,pid,tid,uid,comm,args.__syscall_nr,args.dfd,args.filename,args.flags,args.mode';

function events(lines: string[]): TraceEvent[] {
  const r = new TraceReader();
  return lines.map((l, i) => r.pushLine(l, i + 1)).flatMap((x) => (x.kind === 'event' ? [x.event] : x.kind === 'diagnostic' ? assert.fail(x.diagnostic.message) : []));
}

test('fieldValue: truncation to the field size and its signedness', () => {
  assert.equal(fieldValue(4294967196, 8, false), 4294967196);
  assert.equal(fieldValue(4294967196, 4, true), -100);
  assert.equal(fieldValue(-1, 4, false), 4294967295);
  assert.equal(fieldValue(-1n, 8, false), 0xffffffffffffffffn);
  assert.equal(fieldValue(0x1ff, 1, false), 0xff);
  assert.equal(fieldValue(0x80, 1, true), -128);
});

test('converter with formats: the shared sample keeps the record bytes (dfd unsigned 8 bytes); names are checked', (t) => {
  if (!needFile(t, SAMPLE) || !needFile(t, SHARED_EVENTS)) return;
  const fields = parseFieldList(FIELDS);
  assert.ok(typeof fields !== 'string');
  const input = readFileSync(SAMPLE, 'utf8').split('\n');
  const conv = convertBpftraceJson(input, { fields: fields.fields, kernel: '6.18.44', arch: 'x86_64', tracepoint: sharedFormats() });
  assert.deepEqual(conv.diagnostics, []);
  const evs = events(conv.lines);
  assert.equal(evs.length, 200);
  assert.ok(evs.every((e) => e.args.dfd === 4294967196), 'int dfd has size 8, signed:0 in this kernel: kept as printed');
  assert.equal(evs[0].args.__syscall_nr, 257);
  const bad = parseFieldList(FIELDS.replace('args.dfd', 'args.fd'));
  assert.ok(typeof bad !== 'string');
  const r = convertBpftraceJson(input.slice(0, 3), { fields: bad.fields, kernel: 'k', arch: 'a', tracepoint: sharedFormats() });
  assert.equal(r.diagnostics.length, 2);
  assert.match(r.diagnostics[0].message, /\(args\.fd\): tracepoint syscalls:sys_enter_openat has no field fd \(fields: __syscall_nr, dfd, filename, flags, mode\)/);
  const hinted = parseFieldList(FIELDS.replace('args.dfd', 'args.dfd:s32'));
  assert.ok(typeof hinted !== 'string');
  const h = convertBpftraceJson(input.slice(0, 3), { fields: hinted.fields, kernel: 'k', arch: 'a', tracepoint: sharedFormats() });
  assert.equal(events(h.lines)[0].args.dfd, -100, 'an explicit hint still wins');
});

test('perf-mode stacks: frames with addresses and names; bad shapes refused', () => {
  const k = '\n\tffffffff814b2b2d perf_syscall_enter+397\n\tffffffff81417d70 syscall_trace_enter+384\n';
  assert.deepEqual(parsePerfStack(k), [{ addr: '0xffffffff814b2b2d', sym: 'perf_syscall_enter+397' }, { addr: '0xffffffff81417d70', sym: 'syscall_trace_enter+384' }]);
  assert.deepEqual(parsePerfStack('\n\t7ff48f24ba07 0x7ff48f24ba07 ([unknown])\n'), [{ addr: '0x7ff48f24ba07', sym: '0x7ff48f24ba07' }]);
  assert.deepEqual(parsePerfStack(''), []);
  assert.equal(parsePerfStack('\n\tdo_sys_open+1\n'), undefined);
  const f = parseFieldList('probe,ts,kstack,ustack');
  assert.ok(typeof f !== 'string');
  const line = JSON.stringify({ type: 'value', data: ['tracepoint:syscalls:sys_enter_close', 5, k, '\n\t7ff48f24ba07 0x7ff48f24ba07 ([unknown])\n'] });
  const conv = convertBpftraceJson([line, JSON.stringify({ type: 'value', data: ['p', 6, 'junk here', ''] })], { fields: f.fields, kernel: 'k', arch: 'a' });
  const ev = events(conv.lines)[0];
  assert.deepEqual(ev.kstack, [{ addr: 0xffffffff814b2b2dn, sym: 'perf_syscall_enter+397' }, { addr: 0xffffffff81417d70n, sym: 'syscall_trace_enter+384' }]);
  assert.equal(ev.ustack?.length, 1);
  assert.equal(conv.diagnostics.length, 1);
  assert.match(conv.diagnostics[0].message, /\(kstack\): expected a stack printed in perf mode/);
});

test('converter: integers beyond 2^53 stay integers (not strings); int arrays go to mem with the format element size', (t) => {
  if (!needFile(t, SHARED_EVENTS)) return;
  const f = parseFieldList('tracepoint:raw_syscalls:sys_enter=probe,ts,args.id,args.args');
  assert.ok(typeof f !== 'string' && f.probe);
  const line = '{"type": "value", "data": ["tracepoint:raw_syscalls:sys_enter", 18446744073709551615, 1, [3, 18446744073709551615, 77, 0, 0, 0]]}';
  const conv = convertBpftraceJson([line], { perProbe: new Map([[f.probe, f.fields]]), kernel: 'k', arch: 'a', tracepoint: sharedFormats() });
  assert.deepEqual(conv.diagnostics, []);
  const ev = events(conv.lines)[0];
  assert.equal(ev.ts, 0xffffffffffffffffn);
  assert.equal(ev.args.id, 1);
  const addr = BigInt(ev.args.args);
  const bytes = Buffer.from(Object.values(ev.mem ?? {})[0], 'hex');
  assert.equal(addr, BigInt(Object.keys(ev.mem ?? {})[0]));
  assert.equal(bytes.length, 48);
  assert.equal(bytes.readBigUInt64LE(8), 0xffffffffffffffffn);
  assert.equal(bytes.readBigUInt64LE(16), 77n);
  const big = convertBpftraceJson(['{"type": "value", "data": ["tracepoint:syscalls:sys_enter_openat", 1, 18446744073709551516]}'], { fields: ['probe', 'ts', 'args.dfd'], kernel: 'k', arch: 'a', tracepoint: sharedFormats() });
  assert.equal(events(big.lines)[0].args.dfd, 18446744073709551516n, 'a 20-digit value is a number, not a string placed in mem');
});

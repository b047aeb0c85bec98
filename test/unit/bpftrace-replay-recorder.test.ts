/**
 * The recorder generator: from a script, the bpftrace script that records the
 * event fields it reads (strings through str(), char arrays and __data_loc
 * fields as strings, argN, retval, perf-mode stacks), tracepoint wildcards
 * expanded through the catalog, field lists for the converter, and warnings
 * for what a tuple cannot carry. Its output converts and replays back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { parse } from '../../server/src/bpftrace/parser';
import { recorderFor } from '../../server/src/bpftrace/replay-recorder';
import { convertBpftraceJson } from '../../server/src/trace/bpftrace-json';
import { sharedFormats, SHARED_EVENTS, replayText } from '../fixtures/bpftrace-real/replay-fixture';

function need(t: { skip(m: string): void }): boolean {
  if (existsSync(SHARED_EVENTS)) return true;
  console.log(`SKIP: ${SHARED_EVENTS} not present`);
  t.skip('tracepoint formats not present');
  return false;
}

const catalog = (): { tracepoint: ReturnType<typeof sharedFormats>; systems(): string[]; events(s: string): string[] } => ({
  tracepoint: sharedFormats(),
  systems: () => ['sched', 'syscalls'],
  events: (s) => (s === 'syscalls' ? ['sys_enter_open', 'sys_enter_openat', 'sys_enter_openat2', 'sys_exit_openat'] : ['sched_process_exec', 'sched_switch']),
});

test('recorder: fields the script reads, strings as strings, wildcards expanded, one clause per probe', (t) => {
  if (!need(t)) return;
  const script = `
tracepoint:syscalls:sys_enter_openat* /pid > 1/ { @[str(args->filename)] = count(); @f = args->flags; }
tracepoint:sched:sched_switch { @[args->prev_comm, args->prev_state] = count(); }
tracepoint:sched:sched_process_exec { printf("%s\\n", str(args->filename)); }
kprobe:do_sys_openat2 { printf("%d %s %d\\n", arg0, str(arg1), retval); @k[kstack] = count(); }
uretprobe:/bin/bash:readline { @u[ustack] = count(); @r = retval; }
BEGIN { printf("hi\\n"); } interval:s:1 { exit(); }
`;
  const r = recorderFor(parse(script).program, catalog(), { filter: 'comm == "x"' });
  assert.deepEqual(r.warnings, ['tracepoint:syscalls:sys_enter_openat2 has no field flags']);
  assert.equal(r.script.split('\n').filter(Boolean).length, 6);
  const byProbe = Object.fromEntries(r.clauses.map((c) => [c.probe, c.fields.map((f) => `${f.expr}=${f.field}`)]));
  assert.deepEqual(byProbe, {
    'tracepoint:syscalls:sys_enter_openat': ['str(args->filename)=args.filename', 'args->flags=args.flags'],
    'tracepoint:syscalls:sys_enter_openat2': ['str(args->filename)=args.filename'],
    'tracepoint:sched:sched_switch': ['args->prev_comm=args.prev_comm', 'args->prev_state=args.prev_state'],
    'tracepoint:sched:sched_process_exec': ['str(args->filename)=args.filename'],
    'kprobe:do_sys_openat2': ['arg0=args.arg0', 'str(arg1)=args.arg1', 'retval=retval', 'kstack(perf)=kstack'],
    'uretprobe:/bin/bash:readline': ['retval=retval', 'ustack(perf)=ustack'],
  });
  assert.ok(r.script.startsWith('tracepoint:syscalls:sys_enter_openat /comm == "x"/ { print((probe, nsecs, cpu, pid, tid, uid, gid, comm, str(args->filename), args->flags)); }\n'), r.script);
  assert.equal(r.fieldSpecs[0], 'tracepoint:syscalls:sys_enter_openat=probe,ts,cpu,pid,tid,uid,gid,comm,args.filename,args.flags');
});

test('recorder: warnings for memory behind pointers and unknown fields; int arrays are recorded whole', (t) => {
  if (!need(t)) return;
  const arr = recorderFor(parse('tracepoint:raw_syscalls:sys_enter { @[args->args[2]] = count(); }').program, catalog());
  assert.deepEqual(arr.clauses[0].fields, [{ expr: 'args->args', field: 'args.args' }]);
  const r = recorderFor(parse('tracepoint:syscalls:sys_enter_openat { @[curtask->real_parent->tgid, args->nosuch] = count(); }').program, catalog());
  assert.deepEqual(r.warnings.sort(), ['->tgid reads memory behind a pointer, which the tuple does not record', 'curtask points into kernel memory, which the tuple does not record', 'tracepoint:syscalls:sys_enter_openat has no field nosuch'].sort());
});

test('recorder output converts with its field lists and replays', (t) => {
  if (!need(t)) return;
  const script = 'tracepoint:syscalls:sys_enter_openat { printf("%s %d\\n", str(args->filename), args->flags); }\n';
  const r = recorderFor(parse(script).program, catalog());
  const perProbe = new Map(r.fieldSpecs.map((s) => [s.slice(0, s.lastIndexOf('=')), s.slice(s.lastIndexOf('=') + 1).split(',')]));
  // What bpftrace -f json prints for the recorder's tuples.
  const json = [
    '{"type": "attached_probes", "data": {"probes": 1}}',
    '{"type": "value", "data": ["tracepoint:syscalls:sys_enter_openat",100,0,7,7,0,0,"cat","/etc/hosts",524288]}',
    '{"type": "value", "data": ["tracepoint:syscalls:sys_enter_openat",200,1,7,7,0,0,"cat","/etc/passwd",0]}',
  ];
  const conv = convertBpftraceJson(json, { perProbe, kernel: '6.18', arch: 'x86_64', tracepoint: sharedFormats() });
  assert.deepEqual(conv.diagnostics, []);
  const out = replayText(script, conv.lines.join('\n'));
  assert.deepEqual(out.problems, []);
  assert.equal(out.text, 'Attaching 1 probe...\n/etc/hosts 524288\n/etc/passwd 0\n\n\n');
});

test('converter: a PROBE with * in its field list matches tuples of any probe it covers', () => {
  const conv = convertBpftraceJson(['{"type": "value", "data": ["kprobe:vfs_read",1,7]}', '{"type": "value", "data": ["kprobe:do_sys_open",2,7]}'], {
    perProbe: new Map([['kprobe:vfs_*', ['probe', 'ts', 'args.arg0']]]), kernel: 'k', arch: 'a',
  });
  assert.equal(conv.lines.length, 2);
  assert.equal(conv.diagnostics.length, 1);
  assert.match(conv.lines[1], /"probe":"kprobe:vfs_read"/);
});

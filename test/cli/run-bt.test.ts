// `bpfstudio run SCRIPT.bt --trace T.jsonl` through cmdRun in-process: a recorded
// fixture replays to bpftrace's stdout byte for byte, -f json prints bpftrace's
// JSON lines, bad trace lines and unreadable events are named by trace line (and
// field) on stderr with exit 1 while the rest still replays, script errors are
// FILE:LINE:COL diagnostics, bad usage is a UsageError (exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cmdRun, RUN_HELP } from '../../server/src/cli/cmd-run';
import { UsageError, type Io } from '../../server/src/cli/args';

const FIX = join(__dirname, '..', 'fixtures', 'bpftrace-real');
const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-run-bt-'));

function run(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => { out += s.endsWith('\n') ? s : s + '\n'; }, err: (s) => { err += s.endsWith('\n') ? s : s + '\n'; } };
  const code = cmdRun(args, io);
  return { code, out, err };
}

const HEADER = '{"format":"bpfstudio-trace","version":1,"kernel":"6.18.44","arch":"x86_64"}';
const openat = (ts: number, file: string, addr = '0x7f0000000000'): string =>
  JSON.stringify({ probe: 'tracepoint:syscalls:sys_enter_openat', ts, cpu: 0, pid: 7, tid: 7, uid: 0, gid: 0, comm: 'btwork', args: { filename: addr, flags: 0 }, mem: { [addr]: Buffer.from(file + '\0').toString('hex') } });

test('run .bt: a recorded fixture replays to exactly what bpftrace printed', () => {
  const r = run([join(FIX, 'hist-write.bt'), '--trace', join(FIX, 'hist-write.trace.jsonl'), '--target-version', '0.17']);
  assert.equal(r.err, '');
  assert.equal(r.code, 0);
  assert.equal(r.out, readFileSync(join(FIX, 'hist-write.stdout'), 'utf8'));
});

test('run .bt -f json: bpftrace JSON lines; --stats on stderr', () => {
  const r = run([join(FIX, 'count-by-comm.bt'), '--trace', join(FIX, 'count-by-comm.trace.jsonl'), '-f', 'json', '--target-version', '0.17', '--stats']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n').filter((l) => l.trim() !== '');
  assert.deepEqual(JSON.parse(lines[0]), { type: 'attached_probes', data: { probes: 1 } });
  assert.deepEqual(JSON.parse(lines[lines.length - 1]), { type: 'map', data: { '@': { btwork: 17 } } });
  assert.match(r.err, /^replayed 17 events \(0 matched no probe\), 17 probe runs, \d+ instructions\n$/);
});

test('run .bt: bad trace lines and unreadable events are reported by line and field, the rest replays, exit 1', () => {
  const script = join(tmp, 'opens.bt');
  writeFileSync(script, 'tracepoint:syscalls:sys_enter_openat { printf("%s\\n", str(args->filename)); }\n');
  const trace = join(tmp, 'bad.jsonl');
  writeFileSync(trace, [
    HEADER,
    openat(1, '/etc/a'),
    '{"probe":"tracepoint:syscalls:sys_enter_openat","ts":"soon","cpu":0,"pid":1,"tid":1,"uid":0,"gid":0,"comm":"x","args":{}}',
    '{"probe":"tracepoint:syscalls:sys_enter_openat","ts":2,"cpu":0,"pid":1,"tid":1,"uid":0,"gid":0,"comm":"x","args":{"filenam":1}}',
    'not json',
    openat(3, '/etc/b', '0x7f0000000040'),
    openat(4, '', '0x7f0000000080').replace(/"mem":\{[^}]*\}/, '"mem":{}'),
  ].join('\n') + '\n');
  const r = run([script, '--trace', trace, '--target-version', '0.17']);
  assert.equal(r.code, 1);
  assert.equal(r.out, 'Attaching 1 probe...\n/etc/a\n/etc/b\n\n\n\n');
  const err = r.err.split('\n');
  assert.ok(err.some((l) => l.startsWith(`${trace}:3: field "ts": `)), r.err);
  assert.ok(err.some((l) => l.startsWith(`${trace}:4: tracepoint:syscalls:sys_enter_openat: field "args.filenam": `) && /has no field filenam/.test(l)), r.err);
  assert.ok(err.some((l) => l.startsWith(`${trace}:5: not valid JSON`)), r.err);
  assert.equal(err.filter((l) => l).length, 3, r.err);
});

test('run .bt: script errors as FILE:LINE:COL, exit 1; usage errors', () => {
  const script = join(tmp, 'bad.bt');
  writeFileSync(script, 'BEGIN {\n  printf("%d\\n", nosuch(1));\n}\n');
  const trace = join(tmp, 'empty.jsonl');
  writeFileSync(trace, HEADER + '\n');
  const r = run([script, '--trace', trace, '--target-version', '0.17']);
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
  assert.match(r.err, new RegExp(`^${script.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2:\\d+: error: `, 'm'));
  assert.throws(() => run([script]), (e: unknown) => e instanceof UsageError && /--trace/.test(e.message));
  assert.throws(() => run([script, '--trace', join(tmp, 'missing.jsonl')]), UsageError);
  assert.throws(() => run([script, '--trace', trace, '-f', 'yaml']), UsageError);
  assert.throws(() => run([join(tmp, 'prog.s'), '--trace', trace]), (e: unknown) => e instanceof UsageError && /bpftrace scripts/.test(e.message));
  assert.ok(RUN_HELP.includes('--trace T.jsonl') && RUN_HELP.includes('-f text|json'));
  assert.ok(existsSync(FIX));
});

test('run .bt: cat() prints the file (read by the host), wildcard probes fire for each matching event and name it', () => {
  const file = join(tmp, 'motd.txt');
  writeFileSync(file, 'hello from cat\n');
  const script = join(tmp, 'wild.bt');
  writeFileSync(script, `BEGIN { cat("${file}"); }\ntracepoint:syscalls:sys_enter_open* { @[probe] = count(); }\n`);
  const trace = join(tmp, 'wild.jsonl');
  writeFileSync(trace, [HEADER, openat(1, '/a'), openat(2, '/b'),
    JSON.stringify({ probe: 'tracepoint:syscalls:sys_enter_open_by_handle_at', ts: 3, cpu: 0, pid: 7, tid: 7, uid: 0, gid: 0, comm: 'x', args: {} }),
    JSON.stringify({ probe: 'tracepoint:syscalls:sys_enter_close', ts: 4, cpu: 0, pid: 7, tid: 7, uid: 0, gid: 0, comm: 'x', args: {} })].join('\n') + '\n');
  const r = run([script, '--trace', trace, '--target-version', '0.17', '--stats']);
  assert.equal(r.code, 0, r.err);
  const [attaching, ...rest] = r.out.split('\n');
  assert.match(attaching, /^Attaching \d+ probes\.\.\.$/);
  assert.equal(rest.join('\n'), 'hello from cat\n\n\n@[tracepoint:syscalls:sys_enter_open_by_handle_at]: 1\n@[tracepoint:syscalls:sys_enter_openat]: 2\n');
  assert.match(r.err, /^replayed 4 events \(1 matched no probe\)/);
});

test('run .bt --target-version 0.26: the attach banner goes to stderr, as bpftrace 0.26 prints it', () => {
  const r = run([join(FIX, 'count-by-comm.bt'), '--trace', join(FIX, 'count-by-comm.trace.jsonl'), '--target-version', '0.26']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, 'Attached 1 probe\n');
  assert.ok(!r.out.includes('Attach'), r.out);
  assert.match(r.out, /@\[btwork\]: 17\n$/);
});

test('run .bt --recorder: the recording script on stdout, the convert command and warnings on stderr', () => {
  const script = join(tmp, 'rec.bt');
  writeFileSync(script, 'tracepoint:syscalls:sys_enter_openat { @[str(args->filename)] = count(); @p[curtask->pid] = 1; }\nEND { print(@); }\n');
  const r = run([script, '--recorder', '--filter', 'comm == "cat"']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'tracepoint:syscalls:sys_enter_openat /comm == "cat"/ { print((probe, nsecs, cpu, pid, tid, uid, gid, comm, str(args->filename))); }\n');
  assert.match(r.err, /^warning: curtask points into kernel memory/m);
  assert.match(r.err, /--fields 'tracepoint:syscalls:sys_enter_openat=probe,ts,cpu,pid,tid,uid,gid,comm,args\.filename'/);
  assert.throws(() => run([join(tmp, 'x.s'), '--recorder']), UsageError);
});

test('run .bt --trace OUT.json: the -f json output of the --recorder script replays directly (converted on the way)', () => {
  const script = join(tmp, 'direct.bt');
  writeFileSync(script, 'tracepoint:syscalls:sys_enter_openat /comm == "cat"/ { printf("%s %d\\n", str(args->filename), args->dfd); @[comm] = count(); }\n');
  const json = join(tmp, 'direct.json');
  writeFileSync(json, [
    '{"type": "attached_probes", "data": {"probes": 1}}',
    '{"type": "value", "data": ["tracepoint:syscalls:sys_enter_openat",100,0,7,7,0,0,"cat","/etc/hosts",4294967196]}',
    '{"type": "value", "data": ["tracepoint:syscalls:sys_enter_openat",200,1,8,8,0,0,"ls","/etc/passwd",4294967196]}',
    '{"type": "value", "data": ["tracepoint:syscalls:sys_enter_openat",300,0,7,7,0,0,"cat"]}',
    '',
    '',
  ].join('\n'));
  const r = run([script, '--trace', json, '--target-version', '0.17']);
  assert.equal(r.out, 'Attaching 1 probe...\n/etc/hosts -100\n\n\n@[cat]: 1\n');
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`^${json.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4: tuple has 8 values but the field list`, 'm'));
});

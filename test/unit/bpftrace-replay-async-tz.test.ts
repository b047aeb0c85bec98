// Replay details against bpftrace: print()/clear()/zero() are asynchronous
// (they act when bpftrace handles the event, after the probe ran, in order with
// the other output) — checked against output recorded from real bpftrace 0.17
// (test/fixtures/bpftrace/replay-async) and, where it runs here, live; time()
// and strftime() in a time zone with its offset at each instant (DST), as
// localtime does, checked against date(1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { compileForReplay, replay } from '../../server/src/bpftrace/replay';
import { strftime, zoneAt } from '../../server/src/bpftrace/output/strftime';
import { kernel618 } from './bpftrace-codegen-support';

const DIR = join(__dirname, '..', 'fixtures', 'bpftrace', 'replay-async');

function replayText(text: string, opts: { bootNs?: bigint; timeZone?: string } = {}): string {
  const c = compileForReplay(text, kernel618() ?? {}, { target: '0.17' });
  assert.ok(c.script, c.diagnostics.map((d) => d.message).join('; '));
  return [...replay(c.script, [], { format: 'text', version: '0.17', program: c.program, ...opts })].join('');
}

test('print/clear/zero act after the probe ran, in order with its output (recorded from bpftrace 0.17)', () => {
  const text = readFileSync(join(DIR, 'async.bt'), 'utf8');
  const want = readFileSync(join(DIR, 'async.stdout'), 'utf8');
  assert.equal(replayText(text), want);
});

test('print/clear/zero: live bpftrace agrees (where bpftrace runs here)', (t) => {
  const ok = spawnSync('bpftrace', ['--version'], { encoding: 'utf8' });
  const unshare = spawnSync('unshare', ['--help'], { encoding: 'utf8' });
  if (ok.status !== 0 || unshare.status !== 0 || process.getuid?.() !== 0) {
    console.log('SKIP: bpftrace (with unshare, as root) is not available to compare live');
    t.skip('bpftrace not runnable');
    return;
  }
  const text = 'BEGIN { @x[1] = 1; @x[2] = 2; print(@x); clear(@x); @x[3] = 3; @y = 5; zero(@y); printf("end\\n"); exit(); }';
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tracefs nodev /sys/kernel/tracing && exec bpftrace -e "$0"', text], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) {
    console.log(`SKIP: bpftrace failed here: ${(r.stderr || '').trim().split('\n').pop()}`);
    t.skip('bpftrace failed');
    return;
  }
  assert.equal(replayText(text), r.stdout);
});

test('strftime in a time zone: offset and abbreviation at each instant (DST), as date(1) prints them', (t) => {
  const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'UTC', 'America/Sao_Paulo'];
  const instants = [1767225600, 1782864000, 1774746000]; // 2026-01-01, 2026-07-01, 2026-03-29 01:00 UTC (Berlin switches to CEST)
  const fmt = '%Y-%m-%d %H:%M:%S %z %Z';
  const probe = spawnSync('date', ['-u', '-d', '@0', '+%s'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log('SKIP: GNU date not available to compare time zones');
    t.skip('no date');
    return;
  }
  for (const z of zones) {
    for (const s of instants) {
      const want = spawnSync('date', ['-d', `@${s}`, `+${fmt}`], { encoding: 'utf8', env: { ...process.env, TZ: z } }).stdout.trim();
      assert.equal(strftime(fmt, BigInt(s) * 1_000_000_000n, 0, z), want, `${z} @${s}`);
    }
  }
  // A fixed offset still works without a zone; unknown zones fall back to it.
  assert.equal(strftime('%H:%M %z', 0n, 90), '01:30 +0130');
  assert.equal(zoneAt('No/Such_Zone', 0), undefined);
  assert.equal(strftime('%H:%M %z', 0n, 0, 'No/Such_Zone'), '00:00 +0000');
});

test('time() prints the wall clock (boot time + the kernel clock) in the time zone', () => {
  const out = replayText('BEGIN { time("%Y-%m-%d %H:%M:%S %Z\\n"); exit(); }', { bootNs: 1782864000n * 1_000_000_000n, timeZone: 'Europe/Berlin' });
  assert.match(out, /^Attaching 1 probe\.\.\.\n2026-07-01 02:00:00 CEST\n/);
});

test('errorf/warnf (0.26): printed to stderr as FILE:LINE:COL-END: ERROR/WARNING: text, in order, stdout untouched', () => {
  const text = 'BEGIN { warnf("careful %d", 10); errorf("bad %s", "x"); printf("out\\n"); exit(); }';
  const c = compileForReplay(text, kernel618() ?? {}, { target: '0.26' });
  assert.ok(c.script, c.diagnostics.map((d) => d.message).join('; '));
  const err: string[] = [];
  const out = [...replay(c.script, [], { format: 'text', version: '0.26', program: c.program, source: text, fileName: 'x.bt', onStderr: (s) => err.push(s) })].join('');
  // Columns as bpftrace reports a call (1-based start, end after the closing parenthesis: type_checker's fail() test).
  assert.deepEqual(err.filter((s) => !s.startsWith('Attach')), ['x.bt:1:9-32: WARNING: careful 10\n', 'x.bt:1:34-55: ERROR: bad x\n']);
  assert.doesNotMatch(out, /careful|bad/);
  assert.match(out, /out\n/);
});

test('assert(cond, msg) (0.26): on a false condition an error "assert failed: msg" at the call, then exit', () => {
  const text = 'BEGIN { $x = 2; assert($x == 2, "two"); printf("a\\n"); assert($x == 3, "three"); printf("b\\n"); }';
  const c = compileForReplay(text, kernel618() ?? {}, { target: '0.26' });
  assert.ok(c.script, c.diagnostics.map((d) => d.message).join('; '));
  const err: string[] = [];
  const out = [...replay(c.script, [], { format: 'text', version: '0.26', program: c.program, source: text, onStderr: (s) => err.push(s) })].join('');
  assert.deepEqual(err.filter((s) => !s.startsWith('Attach')), [`stdin:1:${text.indexOf('assert($x == 3') + 1}-${text.indexOf('; printf("b') + 1}: ERROR: assert failed: three\n`]);
  assert.match(out, /a\n/);
  assert.doesNotMatch(out, /b\n/);
});

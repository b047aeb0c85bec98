// Version awareness: constructs newer than the target name the release that
// introduced them, dropped ones the release that removed them; the 0.17
// fixture is clean for 0.17; and, where Debian's bpftrace 0.17 runs, its parser
// agrees with ours on which snippets 0.17 rejects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bpftraceDryRun, skipWithout017 } from '../fixtures/bpftrace/real-bpftrace';
import { parse } from '../../server/src/bpftrace/parser';
import { checkVersion, parseVersion, compareVersions } from '../../server/src/bpftrace/versions';

const DIR = 'test/fixtures/bpftrace';

function versionErrors(src: string, target: string): string[] {
  const r = parse(src);
  assert.deepEqual(r.diagnostics.map((d) => d.message), [], `parse: ${src}`);
  return checkVersion(r.program, target).filter((d) => d.severity === 'error').map((d) => d.message);
}

test('version strings', () => {
  assert.deepEqual(parseVersion('bpftrace v0.17.0'), [0, 17, 0]);
  assert.deepEqual(parseVersion('0.26'), [0, 26, 0]);
  assert.ok(compareVersions([0, 9, 4], [0, 17, 0]) < 0);
  assert.equal(parseVersion('none'), undefined);
  assert.equal(checkVersion(parse('begin { }').program, 'latest')[0].message, "unknown bpftrace version 'latest'");
});

test('constructs newer than the target name the version that introduced them', () => {
  const cases: [string, string, string][] = [
    ['begin { for ($i : 0..10) { } }', '0.17', '`for` loops over ranges need bpftrace 0.24 or newer; the target is 0.17'],
    ['begin { for ($i : 0..10) { } }', '0.23', '`for` loops over ranges need bpftrace 0.24 or newer; the target is 0.23'],
    ['BEGIN { @m[1] = 1; for ($kv : @m) { } }', '0.20', '`for` loops over maps need bpftrace 0.21 or newer; the target is 0.20'],
    ['BEGIN { let $x = 1; }', '0.21', '`let` declarations need bpftrace 0.22 or newer; the target is 0.21'],
    ['BEGIN { $x = 5ms; }', '0.17', 'duration literals need bpftrace 0.24 or newer; the target is 0.17'],
    ['BEGIN { $x = $a ?: 1; }', '0.25', 'the short ternary `a ?: b` needs bpftrace 0.26 or newer; the target is 0.25'],
    ['BEGIN { if $x { } }', '0.17', 'conditions without parentheses need bpftrace 0.24 or newer; the target is 0.17'],
    ['fentry:vfs_read { }', '0.19', 'the `fentry`/`fexit` provider names need bpftrace 0.20 or newer; the target is 0.19'],
    ['rt:sched_switch { }', '0.17', 'the `rawtracepoint` provider needs bpftrace 0.18 or newer; the target is 0.17'],
    ['config = { a = 1 } BEGIN { }', '0.19', 'the `config = { ... }` block needs bpftrace 0.20 or newer; the target is 0.19'],
    ['BEGIN { $x = (a = 1); }', '0.24', 'records need bpftrace 0.25 or newer; the target is 0.24'],
    ['BEGIN { _ = 1; }', '0.24', 'discarding with `_ = ...` needs bpftrace 0.25 or newer; the target is 0.24'],
    ['BEGIN { $x = &$y; }', '0.23', 'the address-of operator `&` needs bpftrace 0.24 or newer; the target is 0.23'],
    ['BEGIN { $x = comptime 1; }', '0.24', '`comptime` needs bpftrace 0.25 or newer; the target is 0.24'],
    ['BEGIN { $x = offsetof(struct a, b.c); }', '0.22', '`offsetof` with nested fields needs bpftrace 0.23 or newer; the target is 0.22'],
    ['BEGIN { $x = (uint8[4])1; }', '0.18', 'casts to integer arrays need bpftrace 0.19 or newer; the target is 0.18'],
    ['n=BEGIN { }', '0.24', 'named probes (`name=provider:...`) need bpftrace 0.25 or newer; the target is 0.24'],
    ['self:signal:SIGUSR1 { }', '0.21', 'the `self` provider needs bpftrace 0.22 or newer; the target is 0.21'],
    ['Kprobe:f { }', '0.23', 'provider names in another letter case need bpftrace 0.24 or newer; the target is 0.23'],
    ['test:x { }', '0.24', 'the `test` provider needs bpftrace 0.25 or newer; the target is 0.24'],
    ['BEGIN { $x = { 1 }; }', '0.23', 'block expressions need bpftrace 0.24 or newer; the target is 0.23'],
    ['BEGIN { $x = if ($a) { 1 } else { 2 }; }', '0.24', '`if` used as an expression needs bpftrace 0.25 or newer; the target is 0.24'],
    ['BEGIN { print(comm()); }', '0.23', 'calling builtins like functions (`comm()`) needs bpftrace 0.24 or newer; the target is 0.23'],
    ['aw:0x1000:8:w { }', '0.25', 'the `asyncwatchpoint` provider was removed in bpftrace 0.25; the target is 0.25 (use `watchpoint`)'],
    ['kprobe:f { @x = sarg0; }', '0.26', 'the `sargN` builtins were removed in bpftrace 0.25; the target is 0.26 (read the stack through `reg("sp")`)'],
    ['BEGIN { delete(@a[1], @b[2]); }', '0.22', 'deleting several map elements in one `delete(...)` was removed in bpftrace 0.22; the target is 0.22 (call delete once per element)'],
    ['BEGIN { $x = 0b101; }', '0.26', 'binary integer literals (`0b...`) are not accepted by bpftrace; the target is 0.26'],
  ];
  for (const [src, target, msg] of cases) assert.ok(versionErrors(src, target).includes(msg), `${src} @${target}: ${JSON.stringify(versionErrors(src, target))}`);
  // ...and the same snippets are fine for the release that introduced them (except removals).
  assert.deepEqual(versionErrors('begin { for ($i : 0..10) { } }', '0.24'), []);
  assert.deepEqual(versionErrors('BEGIN { $x = $a ?: 1; }', '0.26.1'), []);
  assert.deepEqual(versionErrors('aw:0x1000:8:w { }', '0.17'), []);
  assert.deepEqual(versionErrors('k:f { print(kstack(perf, 3)); print(ustack()); }', '0.17'), [], 'kstack/ustack were callable in 0.17');
});

test('deprecations are warnings', () => {
  const d = checkVersion(parse('BEGIN { while ($i < 3) { $i++; } }').program, '0.25');
  assert.deepEqual(d.map((x) => [x.severity, x.message]), [['warning', '`while` loops are deprecated since bpftrace 0.25 (use a range-based `for` loop)']]);
  assert.deepEqual(checkVersion(parse('BEGIN { while ($i < 3) { $i++; } }').program, '0.17'), []);
});

test('fixtures: the 0.17 script is clean for 0.17; the others are clean for 0.26 but for dropped providers', () => {
  const old = parse(readFileSync(join(DIR, 'old-0.17.bt'), 'utf8')).program;
  assert.deepEqual(checkVersion(old, '0.17'), []);
  assert.ok(checkVersion(old, '0.26').some((d) => d.message.startsWith('the `asyncwatchpoint` provider was removed')));
  for (const f of readdirSync(DIR).filter((x) => x.endsWith('.bt') && x !== 'old-0.17.bt' && x !== 'errors.bt')) {
    const errs = checkVersion(parse(readFileSync(join(DIR, f), 'utf8')).program, '0.26').filter((d) => d.severity === 'error');
    const unexpected = errs.filter((d) => !/asyncwatchpoint|binary integer/.test(d.message));
    assert.deepEqual(unexpected.map((d) => d.message), [], f);
  }
});

/** Snippets and whether bpftrace 0.17's parser (or its probe-type table) rejects them. */
const DIFF_SNIPPETS = [
  'BEGIN { $x = 1_000; }', 'BEGIN { $x = 5ms; }', 'BEGIN { $x = 10ul; }', 'BEGIN { $x = 1e6; }', 'BEGIN { $x = 0b11; }',
  'BEGIN { $x = 017; }', 'BEGIN { if 1 { } }', 'BEGIN { let $x = 1; }', 'BEGIN { for ($i : 0..5) { } }',
  'BEGIN { @x[1] = 1; for ($kv : @x) { } }', 'BEGIN { $x = (uint8[4])1; }', 'BEGIN { $x = (1, 2); print($x.0) }',
  'BEGIN { $x = 1 ?: 2; }', 'BEGIN { $x = offsetof(struct task_struct, pid); }', 'begin { }', 'BEGIN { _ = 1; }',
  'BEGIN { $x = &$y; }', 'config = { a = 1 } BEGIN { }', 'rt:sched_switch { }', 'fentry:vfs_read { }',
  'BEGIN { $a = 1; $a <<= 2; $a++; ++$a; }', 'BEGIN { $x = { 1 }; }', 'BEGIN { $x = "\\x41\\101"; }',
  'BEGIN { unroll(2) { } }', 'BEGIN { while (1) { break; } }', 'BEGIN { $x = (struct task_struct *)curtask; }',
  'BEGIN { if (1) { } else if (2) { } else { } }', 'BEGIN { $x = $1; $y = $#; }', 'BEGIN { $x = (int8)1; }',
  'BEGIN { $x = (a=1); }', 'fn f(): void { } BEGIN {}', 'BEGIN { return; }', 'kfunc:vfs_read { }',
  'asyncwatchpoint:0x1000:8:w { }', 'BEGIN { $x = 1 ? 2 : 3; }', 'self:signal:SIGUSR1 { }', 'BEGIN { $x = true; }',
];

test('agrees with the real bpftrace 0.17 on which snippets it rejects', (t) => {
  if (skipWithout017(t)) return;
  const rejects = /syntax error|Invalid probe type|Unknown function: offsetof|unterminated string/;
  const disagreements: string[] = [];
  for (const src of DIFF_SNIPPETS) {
    const out = bpftraceDryRun(src);
    const theirs = rejects.test(out);
    const p = parse(src);
    const ours = p.diagnostics.length > 0 || checkVersion(p.program, '0.17').some((d) => d.severity === 'error');
    if (theirs !== ours) disagreements.push(`${src}: bpftrace 0.17 ${theirs ? 'rejects' : 'accepts'}, we ${ours ? 'reject' : 'accept'}`);
  }
  assert.deepEqual(disagreements, []);
});

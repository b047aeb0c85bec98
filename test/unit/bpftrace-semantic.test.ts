// First semantic pass: scopes per version, shadowing, builtins per provider,
// arities, map key/value and aggregation rules — bpftrace's messages; and,
// where Debian's bpftrace 0.17 runs, the same first error as bpftrace 0.17.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bpftraceDryRun, skipWithout017 } from '../fixtures/bpftrace/real-bpftrace';
import { parse } from '../../server/src/bpftrace/parser';
import { analyze, KernelInfo } from '../../server/src/bpftrace/semantic';
import { parseTracepointFormat } from '../../server/src/btf/tracepoint';
import { checkScript } from '../../server/src/bpftrace/check';


function errors(src: string, target = '0.26'): string[] {
  const r = parse(src);
  assert.deepEqual(r.diagnostics.map((d) => d.message), [], `parse: ${src}`);
  return analyze(r.program, target).diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
}

test('variables: block scopes from 0.22, probe scopes before', () => {
  const src = 'BEGIN { if (1) { $x = 1; } print($x); }';
  assert.deepEqual(errors(src, '0.26'), ['Undefined or undeclared variable: $x']);
  assert.deepEqual(errors(src, '0.17'), []);
  assert.deepEqual(errors('BEGIN { $y = $x + 1; }'), ['Undefined or undeclared variable: $x']);
  assert.deepEqual(errors('BEGIN { let $x; if (1) { $x = 1; } print($x); }'), []);
  assert.deepEqual(errors('BEGIN { $x = 1; $x += 1; $x++; }'), []);
  assert.deepEqual(errors('BEGIN { let $x = 1; let $x = 2; }'), ['Variable $x was already declared. Variable shadowing is not allowed.']);
  assert.deepEqual(errors('BEGIN { $i = 1; for ($i : 0..3) { } }'), ['Loop declaration shadows existing variable: $i']);
  assert.deepEqual(errors('fn f($a: int64): int64 { return $a + $b; }'), ['Undefined or undeclared variable: $b']);
  const warn = analyze(parse('BEGIN { let $x; print($x); }').program).diagnostics;
  assert.deepEqual(warn.map((d) => [d.severity, d.message]), [['warning', 'Variable used before it was assigned: $x']]);
});

test('builtins are allowed only where the probe provides them', () => {
  assert.deepEqual(errors('kprobe:f { @x = retval; }'), ["The retval builtin can only be used with 'kretprobe' and 'uretprobe' and 'fentry' probes"]);
  assert.deepEqual(errors('tracepoint:a:b { @x = retval; }'), ["The retval builtin can only be used with 'kretprobe' and 'uretprobe' and 'fentry' probes (try to use args.ret instead)"]);
  assert.deepEqual(errors('kretprobe:f, fexit:g { @x = retval; }'), []);
  assert.deepEqual(errors('kprobe:f { @x = args.a; }'), ['The args builtin can only be used with tracepoint, rawtracepoint, fentry/fexit, and uprobe probes (kprobe used here)']);
  assert.deepEqual(errors('tracepoint:a:b, rawtracepoint:c { @x = args.a; }'), []);
  assert.deepEqual(errors('tracepoint:a:b { @x = arg0; }'), ["The arg0 builtin can only be used with 'kprobes', 'uprobes' and 'usdt' probes"]);
  assert.deepEqual(errors('kprobe:f, usdt:/p:x { @x = arg0 + arg1; }'), []);
  assert.deepEqual(errors('rawtracepoint:f { @x = arg0; }', '0.17'), ["The arg0 builtin can only be used with 'kprobes', 'uprobes' and 'usdt' probes"]);
});

test('functions: unknown names and arities in bpftrace words', () => {
  assert.deepEqual(errors('BEGIN { foo(1); }', '0.17'), ['Unknown function: foo']);
  assert.deepEqual(errors('BEGIN { foo(1); }'), ["Unknown function: 'foo'"]);
  assert.deepEqual(errors('BEGIN { comm(); }', '0.17'), ['Unknown function: comm']);
  assert.deepEqual(errors('BEGIN { print(comm()); }'), []);
  assert.deepEqual(errors('BEGIN { printf(); }'), ['printf() requires at least one argument (0 provided)']);
  assert.deepEqual(errors('BEGIN { @x = lhist(1); }'), ['lhist() requires 4 arguments (1 provided)']);
  assert.deepEqual(errors('BEGIN { str(1, 2, 3); }'), ['str() takes up to 2 arguments (3 provided)']);
  assert.deepEqual(errors('BEGIN { exit(1); }', '0.17'), ['exit() requires no arguments (1 provided)']);
  assert.deepEqual(errors('BEGIN { exit(1); }'), []);
  assert.deepEqual(errors('BEGIN { clear(1); }', '0.17'), ['clear() expects a map to be provided']);
  assert.deepEqual(errors('BEGIN { printf("%d %s\\n", 1); }', '0.17'), ['printf: Not enough arguments for format string (1 supplied, 2 expected)']);
  assert.deepEqual(errors('BEGIN { printf("%d %s\\n", 1); }'), ['not enough arguments for format string (1 supplied, 2 expected)']);
  assert.deepEqual(errors('BEGIN { printf("100%% %d\\n", 1); }'), [], '%% takes no argument in 0.26');
  assert.deepEqual(errors('fn f(): void { } macro m() { 1 } BEGIN { f(); m(); }'), []);
});

test('maps: scalar vs keyed use, value types and aggregations', () => {
  // (0.17 really drops the closing quote.)
  assert.deepEqual(errors('BEGIN { @x = count(); @x = 1; }', '0.17'), ["Type mismatch for @x: trying to assign value of type 'int64' when map already contains a value of type 'count"]);
  assert.deepEqual(errors('BEGIN { @x = count(); @x = 1; }'), ["Type mismatch for @x: trying to assign value of type 'int64' when map already has a type 'count_t'"]);
  assert.deepEqual(errors('BEGIN { @x = 1; @x = "s"; }', '0.17'), ["Type mismatch for @x: trying to assign value of type 'string[2]' when map already contains a value of type 'int64"]);
  assert.deepEqual(errors('BEGIN { @x = count(); @x = sum(1); }', '0.17'), ["Type mismatch for @x: trying to assign value of type 'sum' when map already contains a value of type 'count"]);
  assert.deepEqual(errors('BEGIN { @y = count(); @y++; }', '0.17'), ["The ++ operator can not be used on expressions of type 'count'"]);
  assert.deepEqual(errors('BEGIN { @x[1] = 1; @x = 2; }'), ['@x used as a map without an explicit key (scalar map), previously used with an explicit key (non-scalar map)']);
  assert.deepEqual(errors('BEGIN { @x = 2; @x[1] = 1; }'), ['@x used as a map with an explicit key (non-scalar map), previously used without an explicit key (scalar map)']);
  assert.deepEqual(errors('BEGIN { @x[1] = count(); @x[2] = count(); print(@x); delete(@x, 1); clear(@x); }'), []);
  assert.deepEqual(errors('BEGIN { @s = "ab"; @s = "abcdef"; }'), []);
  assert.deepEqual(errors('let @m = bogus(1); BEGIN { }'), ['Invalid bpf map type: bogus']);
  assert.deepEqual(errors('BEGIN { print(@x); }'), ['Undefined map: @x']);
  assert.deepEqual(errors('macro inc(@m) { @m += 1 } BEGIN { inc(@c); print(@c); }'), [], 'a map handed to a macro may be written there');
  assert.deepEqual(errors('BEGIN { $x = 1; $x = "a"; }'), ["Type mismatch for $x: trying to assign value of type 'string[2]' when variable already has a type 'int64'"]);
  const r = analyze(parse('BEGIN { @a[1, 2] = hist(3); @b = 1; }').program);
  assert.deepEqual([...r.maps.values()].map((m) => [m.name, m.keyed, m.value]), [['@a', true, 'hist'], ['@b', false, 'int']]);
});

test('fixtures have no semantic errors but for those they are about', () => {
  const DIR = 'test/fixtures/bpftrace';
  for (const f of readdirSync(DIR).filter((x) => x.endsWith('.bt') && x !== 'errors.bt')) {
    const target = f === 'old-0.17.bt' ? '0.17' : '0.26';
    const d = analyze(parse(readFileSync(join(DIR, f), 'utf8')).program, target).diagnostics.filter((x) => x.severity === 'error');
    // probes.bt uses retval/args/arg0 only where allowed; statements.bt and friends declare before use.
    assert.deepEqual(d.map((x) => x.message), [], f);
  }
});

const DIFF = [
  'BEGIN { @x = count(); @x = 1; }', 'BEGIN { @x = 1; @x = count(); }', 'BEGIN { @x = count(); @x = sum(1); }',
  'BEGIN { $y = $x + 1; }', 'BEGIN { @x = retval; }', 'kprobe:f { @x = args->a; }', 'BEGIN { @x = 1; @x = "s"; }',
  'BEGIN { foo(1); }', 'BEGIN { @x = arg0; }', 'BEGIN { @s = sarg0; }', 'BEGIN { printf(); }', 'BEGIN { exit(1); }',
  'BEGIN { clear(1); }', 'BEGIN { if (1) { $x = 1; } print($x); }', 'BEGIN { comm(); }', 'BEGIN { @x = hist(1, 2); }',
  'BEGIN { @x = lhist(1); }', 'BEGIN { @y = count(); @y++; }', 'BEGIN { @x = func; }', 'BEGIN { str(1, 2, 3); }',
  'BEGIN { @a = 1; delete(@a); }', 'BEGIN { $a = 1; $a += 2; printf("%d\\n", $a); }',
  'BEGIN { print(@x); }', 'BEGIN { $x = 1; $x = "a"; }', 'BEGIN { $x = "a"; $x = 1; }', 'BEGIN { exit(); } END { clear(@never); }',
  'BEGIN { @x = hist(1); print(@x); @x = count() }', 'BEGIN { @x[1] = 1; if (@x[1] == 1) { } }',
  'BEGIN { printf("%d\\n"); }', 'BEGIN { printf("%d\\n", 1, 2); }', 'BEGIN { printf("%s %d\\n", "a", 1); }',
  'BEGIN { printf(1); }', 'BEGIN { printf("%q\\n", 1); }', 'BEGIN { printf("%-10s %5.2llu %x\\n", "a", 1, 2); }',
  'BEGIN { printf("100%%\\n"); }', 'BEGIN { printf("%d%%d\\n", 1); }',
];

test('first error agrees with the real bpftrace 0.17', (t) => {
  if (skipWithout017(t)) return;
  const disagreements: string[] = [];
  for (const src of DIFF) {
    const out = bpftraceDryRun(src);
    const line = out.split('\n').find((l) => /ERROR: /.test(l) && !/RLIMIT|traceable/.test(l));
    const theirs = line === undefined ? '' : line.replace(/^.*?ERROR: /, '');
    const p = parse(src);
    const ours = [...p.diagnostics, ...analyze(p.program, '0.17').diagnostics.filter((d) => d.severity === 'error')][0]?.message ?? '';
    if (theirs !== ours) disagreements.push(`${src}\n  bpftrace 0.17: ${theirs || '(no error)'}\n  ours:          ${ours || '(no error)'}`);
  }
  assert.deepEqual(disagreements, []);
});

test('checkScript merges syntax, version and semantic diagnostics in source order', () => {
  const r = checkScript('BEGIN { $y = $x; @a = 5ms; }', '0.17');
  assert.deepEqual(r.diagnostics.map((d) => [d.source, d.message]), [
    ['semantic', 'Undefined or undeclared variable: $x'],
    ['version', 'duration literals need bpftrace 0.24 or newer; the target is 0.17'],
  ]);
  const bad = checkScript('BEGIN { $y = ; }');
  assert.deepEqual(bad.diagnostics.map((d) => d.source), ['syntax'], 'no semantic pass over a broken parse');
});

const SYNTAX_DIFF = [
  'BEGIN { $x = ; }', 'BEGIN { $x = 1 $y = 2; }', 'kprobe:f /pid == / { }', 'BEGIN { foo( }', 'BEGIN { @x = 1',
  'BEGIN { $x = (1; }', 'BEGIN { if ($x) { } else 1; }', 'BEGIN { @x[1 = 2; }', 'BEGIN { $x = 1 + ; }', 'BEGIN { $x->; }',
  'BEGIN { $x = 1 + + ; }', 'BEGIN { printf("%d", ); }', 'BEGIN { $x = ) ; }',
];

test('syntax errors for bison-era targets read like bpftrace 0.17 ("syntax error, unexpected X")', (t) => {
  assert.equal(checkScript('BEGIN { $x = ; }', '0.17').diagnostics[0].message, 'syntax error, unexpected ;');
  assert.equal(checkScript('BEGIN { $x = ; }', '0.26').diagnostics[0].message, 'expected expression');
  assert.equal(checkScript('BEGIN { @x = 1', '0.17').diagnostics[0].message, 'syntax error, unexpected end of file');
  if (skipWithout017(t)) return;
  const disagreements: string[] = [];
  for (const src of SYNTAX_DIFF) {
    const line = bpftraceDryRun(src).split('\n').find((l) => /ERROR: /.test(l) && !/RLIMIT|traceable/.test(l)) ?? '';
    const theirs = line.replace(/^.*?ERROR: /, '').replace(/, expecting .*$/, '');
    const ours = checkScript(src, '0.17').diagnostics.find((d) => d.severity === 'error')?.message ?? '';
    if (theirs !== ours) disagreements.push(`${src}\n  bpftrace 0.17: ${theirs}\n  ours:          ${ours}`);
  }
  assert.deepEqual(disagreements, []);
});

test('tracepoint args against the kernel data in ../shared (format files via btf/tracepoint)', (t) => {
  const events = '../shared/kernel/6.18/tracefs/events';
  if (!existsSync(events)) {
    const reason = `no tracefs data at ${events}`;
    console.log(`SKIP: ${reason}`);
    t.skip(reason);
    return;
  }
  const kernel: KernelInfo = {
    tracepointFields(cat, event) {
      const p = join(events, cat, event, 'format');
      if (!existsSync(p)) return undefined;
      return parseTracepointFormat(readFileSync(p, 'utf8')).format?.fields.map((f) => f.name);
    },
  };
  const run = (src: string) => analyze(parse(src).program, '0.26', kernel).diagnostics.map((d) => [d.severity, d.message, d.hint ?? '']);
  assert.deepEqual(run('tracepoint:syscalls:sys_enter_openat { printf("%s\\n", str(args.filename)); @[args.dfd] = count(); }'), []);
  assert.deepEqual(run('tracepoint:syscalls:sys_enter_openat { printf("%s\\n", str(args.filenme)); }'), [
    ['error', "Struct/union of type 'struct _tracepoint_syscalls_sys_enter_openat' does not contain a field named 'filenme'", "did you mean 'filename'?"],
  ]);
  assert.deepEqual(run('tracepoint:syscalls:sys_enter_openat { @ = args->common_pid; }'), [['error', 'BPF does not support accessing common tracepoint fields', '']]);
  assert.deepEqual(run('tracepoint:nosuch:event { @ = count(); }'), [['warning', 'Tracepoint not found: nosuch:event', '']]);
  assert.deepEqual(run('tracepoint:syscalls:sys_enter_* { @ = args.whatever; }'), [], 'wildcards are not resolved here');
});

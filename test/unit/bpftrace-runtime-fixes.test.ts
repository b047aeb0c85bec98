// Correctness fixes checked against bpftrace's documented behaviour: 0.25+
// variables widen to what compound assignments and ++/-- produce (the type
// is the promotion over every assignment, as bpftrace's type resolver
// computes it), while 0.17 keeps its 64-bit integers; bools stored in maps
// (as u64) print as true/false (bpftrace 0.26 tests/runtime/bool); 0.17
// refuses the probe context in print(), maps, map keys and (function args) in
// variables, with the messages and ranges real bpftrace 0.17 gives; 0.19+
// `args` records are refused by code generation rather than printed as a pointer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileText } from '../../server/src/bpftrace/codegen';
import { checkScript } from '../../server/src/bpftrace/check';
import { uprobeArgs } from '../../server/src/host/kernel-info-dwarf';
import { runBegin } from './bpftrace-codegen-support';
import { build } from './uprobe-build';

/** Output of a BEGIN-only script, trimmed at both ends. */
const run = (text: string, target?: string): string => runBegin(text, target).trim();

test('0.26: a variable first assigned a small literal widens on compound assignment and ++/--', () => {
  // bpftrace tests/runtime/for 'variable context update'.
  assert.equal(run('BEGIN { @map[0] = 0; @map[1] = 1; $var = 123; for ($kv : @map) { print($var); $var *= 2; } print($var); clear(@map); exit(); }'), '123\n246\n492');
  assert.equal(run('BEGIN { $var = 123; $var *= 2; print($var); $t = 0; $t += 1000; $t += 100000; print($t); exit(); }'), '246\n101000');
  // `$v++` is a 64-bit value; an unsigned 8-bit variable widens to uint64 (no wrap at 255).
  // A variable declared with a sized type keeps it (bpftrace's resolver skips sized declarations): uint8 wraps.
  assert.equal(run('BEGIN { let $x: uint8 = 250; $x += 10; print($x); let $y: uint8 = 255; $y++; print($y); let $w = 1; $w += 1000; print($w); exit(); }'), '4\n0\n1001');
  assert.equal(run('BEGIN { $i = 127; $i++; print($i); $u = (uint8)254; $u++; $u++; print($u); $d = 0; $d--; print($d); $x = 5; $y = $x++; print(($x, $y)); exit(); }'), '128\n256\n-1\n(6, 5)');
});

test('0.17: 64-bit integers as before (checked against real bpftrace 0.17)', () => {
  assert.equal(run('BEGIN { $var = 123; $var *= 2; print($var); $t = 0; $t += 1000; print($t); $d = 0; $d--; print($d); exit(); }', '0.17'), '246\n1000\n-1');
});

test('0.26: bool map keys and values print as true/false', () => {
  // tests/runtime/bool 'bool as map keys and values' and 'bool in resized tuples'.
  assert.equal(run('BEGIN { @a[true] = false; exit(); }'), '@a[true]: false');
  assert.equal(run('BEGIN { @a[false, 1, true] = 1; @a[true, (int32)2, false] = 2; exit(); }').split('\n').sort().join('\n'), '@a[false, 1, true]: 1\n@a[true, 2, false]: 2');
  // has_key() stored in a map, read back into a variable, printed as a map and in tuples; counts keyed by a bool.
  assert.equal(run('BEGIN { @m[1] = 1; @d = has_key(@m, 1); $x = @d; print($x); print(@d); @t = (has_key(@m, 2), 7); @h[true] = count(); clear(@m); exit(); }'),
    'true\n@d: true\n\n\n@d: true\n@h[true]: 1\n@t: (false, 7)');
  assert.equal(run('BEGIN { @map[1] = 1; $x = 1; for ($kv : @map) { print(has_key(@map, $x)); } printf("%d\\n", has_key(@map, 1)); clear(@map); exit(); }'), 'true\n1');
});

/** Errors as 'start-end message' (0-based offsets; bpftrace 0.17's columns are these + 1). */
function errors(text: string, target: string, kernel: Parameters<typeof checkScript>[2] = { tracepointFields: (): undefined => undefined }): string[] {
  return checkScript(text, target, kernel).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.range.start}-${d.range.end} ${d.message}`);
}

test('0.17: pointers and the context are not printable; ctx cannot go to a map or a map key (real bpftrace 0.17 messages)', () => {
  // bpftrace 0.17: stdin:1:9-24 and 1:24-33 (print of an int8 * value), a tuple holding a pointer is fine.
  assert.deepEqual(errors('BEGIN { print((int8*)0); $p = (int8*)5; print($p); print(((int8*)0, 1)); exit(); }', '0.17'), [
    '8-23 int8 * type passed to print() is not printable', '40-49 int8 * type passed to print() is not printable']);
  // 1:19-29 print(ctx); a variable holding ctx keeps the (ctx) mark; 1:22-23 '=' of `@a = ctx`; `$b = ctx` is allowed.
  assert.deepEqual(errors('kprobe:vfs_read { print(ctx); $b = ctx; print($b); @a = ctx; @c[ctx] = 1; }', '0.17'), [
    '18-28 (ctx) struct pt_regs * type passed to print() is not printable',
    '40-49 (ctx) struct pt_regs * type passed to print() is not printable',
    '54-55 context cannot be assigned to a map',
    '61-68 context cannot be used as a map key']);
  assert.deepEqual(errors('kprobe:vfs_read { print(ctx); $b = ctx; @a = ctx; }', '0.26'), []);
});

test('0.17: uprobe args (DWARF) cannot be printed, stored in a map or a variable; 0.26 refuses args records in codegen', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-runtime-fixes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const b = build(dir, { name: 'gcc -g', cc: 'gcc', flags: ['-g'] }, 'prog');
  if ('skip' in b) {
    console.log(`SKIP: ${b.skip}`);
    t.skip(b.skip);
    return;
  }
  const kernel = { tracepointFields: (): undefined => undefined, uprobeArgs };
  const head = `uprobe:${b.path}:add { `;
  const n = head.length;
  const e = (body: string, target = '0.17'): string[] => errors(head + body + ' }', target, kernel)
    .map((x) => x.replace(/^(\d+)-(\d+)/, (_m, a: string, z: string) => `${Number(a) - n}-${Number(z) - n}`));
  // Real bpftrace 0.17 on `uprobe:./u:f { ... }` (n = 15): print(args) 1:16-27, print(*args) 1:16-28, `$a = args` and `@a = args` 1:19-20, @[args] 1:16-23.
  assert.deepEqual(e('print(args);'), ['0-11 (ctx) struct uprobe_args * type passed to print() is not printable']);
  assert.deepEqual(e('print(*args);'), ['0-12 struct uprobe_args type passed to print() is not printable']);
  assert.deepEqual(e('$a = args;'), ['3-4 args cannot be assigned to a variable']);
  assert.deepEqual(e('@a = args;'), ['3-4 context cannot be assigned to a map']);
  assert.deepEqual(e('@[args] = 1;'), ['0-7 context cannot be used as a map key']);
  assert.deepEqual(e('print((args, 1)); $x = args->a; @y = args->s; print($x);'), []);
  // 0.26: `args` is a record ({ .a = 1, ... }); code generation does not build it, so it says so instead of printing the context pointer.
  for (const body of ['print(args);', '@a = args;', '$a = args; print($a);']) {
    const r = compileText(head + body + ' }', kernel, { target: '0.26' });
    assert.ok(r.diagnostics.some((d) => d.severity === 'error' && /does not support args as a whole value/.test(d.message)), body);
  }
  const ok = compileText(`${head}@x = args.a; @s = str(args.s); }`, kernel, { target: '0.26' });
  assert.deepEqual(ok.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
});

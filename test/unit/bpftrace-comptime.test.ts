// typeinfo() and comptime (bpftrace 0.25+): the record typeinfo yields for each
// kind of type, comptime folding and its error, `if comptime` checking and
// compiling only the kept branch, and the 0.26 unstable_typeinfo gate. Facts
// from bpftrace 0.26's type checker / resolver tests; outputs through compile +
// VM + formatter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkScript } from '../../server/src/bpftrace/check';
import { compileForReplay, replay } from '../../server/src/bpftrace/replay';
import type * as A from '../../server/src/bpftrace/ast';
import { kernel618 } from './bpftrace-codegen-support';
import { verifyProbe } from '../../server/src/bpftrace/codegen';

const ON = 'config = { unstable_typeinfo = enable }\n';

function errors(text: string, target = '0.26'): string[] {
  const r = checkScript(text, target, kernel618());
  return r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.range.start}-${d.range.end} ${d.message}`);
}

/** What bpftrace prints for a BEGIN-only script (compiled, run on the VM, formatted), after our verifier accepts it. */
function output(text: string): string {
  const k = kernel618() ?? {};
  const c = compileForReplay(text, k, { target: '0.26' });
  assert.ok(c.script, c.diagnostics.map((d) => d.message).join('; '));
  for (const p of c.script.probes) assert.equal(verifyProbe(c.script, p, {}).verdict, 'accept', p.name);
  return [...replay(c.script, [], { format: 'text', version: '0.26', program: c.program })].join('');
}

/** full_type/base_type strings typeinfo gives for `expr` (by evaluating them in a script). */
function typeinfoOf(decls: string, expr: string): string {
  return output(`${ON}BEGIN { ${decls} printf("%s|%s\\n", typeinfo(${expr}).base_type, typeinfo(${expr}).full_type); exit(); }`)
    .split('\n').find((l) => l.includes('|')) ?? '';
}

test('typeinfo: base_type and full_type for ints, strings, tuples, records, pointers, structs, types', () => {
  assert.equal(typeinfoOf('$x = 1;', '$x'), 'int|int8');
  assert.equal(typeinfoOf('$x = (uint32)5;', '$x'), 'int|uint32');
  assert.equal(typeinfoOf('', '"abc"'), 'string|string[4]');
  assert.equal(typeinfoOf('$t = (1, "ab");', '$t'), 'tuple|(int8,string[3])');
  assert.equal(typeinfoOf('$r = (a = (uint64)1, b = "x");', '$r'), 'record|record { .a = uint64, .b = string[2] }');
  assert.equal(typeinfoOf('', 'uint16'), 'int|uint16');
  assert.equal(typeinfoOf('', 'true'), 'bool|bool');
  assert.equal(typeinfoOf('', 'sizeof(uint32)'), 'int|uint64');
  if (kernel618()) {
    assert.equal(typeinfoOf('', 'curtask'), 'pointer|struct task_struct *');
    assert.equal(typeinfoOf('', 'struct task_struct'), 'c_type|struct task_struct');
    assert.equal(typeinfoOf('', 'comm'), 'string|string[16]');
  }
  // The record itself: btf_id is always 0.
  assert.match(output(`${ON}BEGIN { $x = (int16)-3; print(typeinfo($x)); exit(); }`), /\{ \.btf_id = 0, \.base_type = int, \.full_type = int16 \}/);
});

test('typeinfo record compares whole (== / !=) at compile time; records and tuples from typeinfo fold', () => {
  const out = output(`${ON}BEGIN { $x = 1; if comptime (typeinfo($x) == typeinfo(1)) { printf("same\\n"); } if comptime (typeinfo($x) != typeinfo("a")) { printf("differ\\n"); } exit(); }`);
  assert.match(out, /same\ndiffer\n/);
});

test('if comptime: only the kept branch is type-checked and compiled', () => {
  // The other branch would be a type error ($x is an int) — bpftrace never checks it.
  const text = `${ON}BEGIN { $x = 1; if comptime (typeinfo($x).base_type == "string") { $x = "foo"; @m = "s"; } else { $x = 2; @m = 7; } printf("%d %d\\n", $x, @m); exit(); }`;
  assert.deepEqual(errors(text), []);
  assert.match(output(text), /2 7\n/);
  // Else-if chains and branches without else.
  assert.match(output('BEGIN { if comptime (1 > 2) { printf("a\\n"); } else if comptime ("x" == "x") { printf("b\\n"); } else { printf("c\\n"); } if comptime (0) { printf("never\\n"); } exit(); }'), /^b\n\n*$/);
  // Map shapes of the dropped branch do not clash (0.26 type_checker if_comptime tests).
  assert.deepEqual(errors('kprobe:f { @a = 1; if (comptime false) { @a[1] = 1; } }'), []);
  assert.deepEqual(errors('kprobe:f { @a[1] = 1; if (comptime false) { @a = 1; } }'), []);
  assert.deepEqual(errors('kprobe:f { if comptime (false) { fail("always false"); } }'), []);
  const kept = 'kprobe:f { @a[1] = 1; if (comptime true) { @a = 1; } }';
  assert.deepEqual(errors(kept), ['43-45 @a used as a map without an explicit key (scalar map), previously used with an explicit key (non-scalar map)']);
});

test('comptime values fold: arithmetic, strings, string index, tuple index, sizeof, ternary', () => {
  const out = output(`BEGIN { $a = comptime (1 + 2 * 3); $b = comptime ("foo"[1]); $c = comptime ((1, 5).1); $d = comptime (sizeof(uint32) << 1); $e = comptime ("ab" + "cd"); $f = comptime ("x" ? 10 : 20); printf("%d %d %d %d %s %d\\n", $a, $b, $c, $d, $e, $f); exit(); }`);
  assert.match(out, /7 111 5 8 abcd 10\n/);
  const types = checkScript('BEGIN { $a = comptime (1 + 2); }', '0.26').types;
  const c = [...(types?.folded ?? [])].find(([e]) => e.kind === 'Comptime');
  assert.equal((c?.[1] as A.Int | undefined)?.value, 3n);
});

test('comptime errors: "Unable to resolve comptime expression" on run-time values, at the comptime expression', () => {
  // Ranges as bpftrace 0.26 reports them (type_checker.cpp: 1:23-40 => offsets 22-39).
  assert.deepEqual(errors('kprobe:f { @a = 1; if comptime (@a > 1) { print(1); } }'), ['22-39 Unable to resolve comptime expression']);
  assert.deepEqual(errors('begin { $x = 0; comptime ($x + 1) }'), ['16-33 Unable to resolve comptime expression']);
  assert.deepEqual(errors('begin { @x = 0; comptime (@x + 1) }'), ['16-33 Unable to resolve comptime expression']);
  assert.deepEqual(errors(`${ON}begin { let $c; if comptime (typeinfo($c).base_type == "int") { 1 } }`).map((e) => e.replace(/^\d+-\d+ /, '')), ['Unable to resolve comptime expression']);
  assert.deepEqual(errors('begin { comptime (1 + 1) }'), []);
  assert.deepEqual(errors('begin { $x = 1; comptime (sizeof($x)) }'), []);
  assert.deepEqual(errors(`${ON}begin { @x = 1; comptime (typeinfo(@x)) }`), []);
});

test('0.26 gates typeinfo behind config unstable_typeinfo (error by default, warning with warn); 0.25 does not', () => {
  const r = checkScript('BEGIN { $x = 1; print(typeinfo($x)); }', '0.26');
  assert.deepEqual(r.diagnostics.map((d) => `${d.severity}: ${d.message}`), ['error: typeinfo feature is not enabled by default. To enable this unstable feature, set the config flag to enable. unstable_typeinfo=enable']);
  const w = checkScript('config = { unstable_typeinfo = warn } BEGIN { $x = 1; print(typeinfo($x)); }', '0.26');
  assert.deepEqual(w.diagnostics.map((d) => d.severity), ['warning']);
  assert.match(w.diagnostics[0].message, /^Script is using an unstable feature: typeinfo\./);
  assert.deepEqual(checkScript('BEGIN { $x = 1; print(typeinfo($x)); }', '0.25').diagnostics, []);
  assert.ok(checkScript('BEGIN { $x = 1; print(typeinfo($x)); }', '0.24').diagnostics.some((d) => /`typeinfo` needs bpftrace 0.25/.test(d.message)));
});

test('typeinfo of an untyped variable outside comptime: bpftrace\'s message at the variable', () => {
  assert.deepEqual(errors(`${ON}begin { let $z; $b = typeinfo($z); }`).map((e) => e.replace(/^\d+-\d+ /, '')).slice(0, 1), ['Could not resolve the type of this variable']);
});

test('fail() and static_assert(): compile errors in checked code, none in dropped comptime branches (0.26 type_checker tests)', () => {
  assert.deepEqual(errors('kprobe:f { fail("always fail %s %d %d %d", "now", 1, -1, false); }'), ['11-63 always fail now 1 -1 0']);
  assert.deepEqual(errors('kprobe:f { if (false) { fail("always false"); } }'), ['24-44 always false']);
  assert.deepEqual(errors('kprobe:f { if comptime (false) { fail("always false"); } }'), []);
  assert.deepEqual(errors('kprobe:f { $x = 1; fail("x %d", $x); }'), ['19-35 fail() arguments need to be literals']);
  assert.deepEqual(errors('BEGIN { static_assert(1 == 2, "nope"); }'), ['8-37 nope']);
  assert.deepEqual(errors('BEGIN { static_assert(sizeof(uint32) == 4, "ok"); }'), []);
  assert.deepEqual(errors(`${ON}BEGIN { $x = (int8)1; static_assert(typeinfo($x) == typeinfo(int8), "int8 expected"); $y = "s"; static_assert(is_integer($y), "not an int"); }`).map((e) => e.replace(/^\d+-\d+ /, '')), ['not an int']);
});

test('if comptime inside a macro: each expansion keeps its own branch (the 0.26 stdlib pattern)', () => {
  const text = 'macro show(x) { if comptime is_str(x) { printf("str %s\\n", x); } else { printf("int %d\\n", x); } }\nBEGIN { show("a"); show(5); $s = "zz"; show($s); exit(); }';
  assert.match(output(text), /str a\nint 5\nstr zz\n/);
});

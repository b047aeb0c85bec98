// Correctness fixes checked against bpftrace's documented behaviour: 0.25+
// variables widen to what compound assignments and ++/-- produce (the type
// is the promotion over every assignment, as bpftrace's type resolver
// computes it), while 0.17 keeps its 64-bit integers; bools stored in maps
// (as u64) print as true/false (bpftrace 0.26 tests/runtime/bool).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileForReplay, replay } from '../../server/src/bpftrace/replay';
import { verifyProbe, type CompiledScript } from '../../server/src/bpftrace/codegen';
import { kernel618 } from './bpftrace-codegen-support';

function verified(s: CompiledScript): void {
  const btf = kernel618()?.btf;
  for (const p of s.probes) {
    const v = verifyProbe(s, p, btf ? { btf } : {});
    assert.equal(v.verdict, 'accept', `${p.attachPoints[0]}: ${v.errors[0]?.message}`);
  }
}

/** Output of a BEGIN-only script (compiled, verified, run on the VM, formatted as bpftrace prints it). */
function run(text: string, target = '0.26'): string {
  const c = compileForReplay(text, kernel618() ?? {}, { target });
  assert.ok(c.script, c.diagnostics.map((d) => d.message).join('; '));
  verified(c.script);
  return [...replay(c.script, [], { format: 'text', version: target, program: c.program })].join('').replace(/^Attach[^\n]*\n/, '').trim();
}

test('0.26: a variable first assigned a small literal widens on compound assignment and ++/--', () => {
  // bpftrace tests/runtime/for 'variable context update'.
  assert.equal(run('BEGIN { @map[0] = 0; @map[1] = 1; $var = 123; for ($kv : @map) { print($var); $var *= 2; } print($var); clear(@map); exit(); }'), '123\n246\n492');
  assert.equal(run('BEGIN { $var = 123; $var *= 2; print($var); $t = 0; $t += 1000; $t += 100000; print($t); exit(); }'), '246\n101000');
  // `$v++` is a 64-bit value; an unsigned 8-bit variable widens to uint64 (no wrap at 255).
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

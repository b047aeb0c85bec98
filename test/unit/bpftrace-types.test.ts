// Type checker: expression types, integer rules per era, strings, tuples,
// maps and aggregations, builtins, with bpftrace's messages and ranges.
// Kernel-dependent rules are in bpftrace-types-kernel.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../../server/src/bpftrace/parser';
import { typecheck, TypeInfo } from '../../server/src/bpftrace/typecheck';
import { typeName } from '../../server/src/bpftrace/types';

function check(src: string, target = '0.26'): { info: TypeInfo; src: string } {
  const r = parse(src);
  assert.deepEqual(r.diagnostics.map((d) => d.message), [], `parse: ${src}`);
  return { info: typecheck(r.program, {}, { target, source: src }), src };
}

/** Diagnostics as [severity, message, text of the range]. */
export function diags(src: string, target = '0.26'): [string, string, string][] {
  const { info } = check(src, target);
  return info.diagnostics.map((d) => [d.severity, d.message, src.slice(d.range.start, d.range.end)]);
}

/** The type of the first expression whose source text is `text`. */
export function typeOf(src: string, text: string, target = '0.26'): string {
  const { info } = check(src, target);
  for (const [e, t] of info.exprs) if (src.slice(e.range.start, e.range.end) === text) return typeName(t);
  for (const [v, t] of info.vars) if (src.slice(v.range.start, v.range.end) === text) return typeName(t);
  throw new Error(`no expression '${text}' in ${src}`);
}

function mapType(src: string, name: string, target = '0.26'): string {
  const m = check(src, target).info.maps.get(name);
  assert.ok(m, `map ${name}`);
  return `[${m.key.map(typeName).join(',')}] ${typeName(m.value)}`;
}

test('integer literals: int64 before 0.25; smallest signed type from 0.25, uint64 past INT64_MAX', () => {
  assert.equal(typeOf('BEGIN { $x = 1; }', '1', '0.17'), 'int64');
  assert.equal(typeOf('BEGIN { $x = 1; }', '$x'), 'int8');
  assert.equal(typeOf('BEGIN { $x = 300; }', '$x'), 'int16');
  assert.equal(typeOf('BEGIN { $x = 70000; }', '$x'), 'int32');
  assert.equal(typeOf('BEGIN { $x = 5000000000; }', '$x'), 'int64');
  assert.equal(typeOf('BEGIN { $x = 18446744073709551615; }', '$x'), 'uint64');
  assert.equal(typeOf('BEGIN { $x = -1; }', '-1'), 'int8');
  assert.equal(typeOf('BEGIN { $x = -1; }', '-1', '0.17'), 'int64');
});

test('arithmetic: 0.17 is 64-bit, signed only when both sides are; 0.26 sign-flexible literals follow the other side', () => {
  assert.equal(typeOf('BEGIN { $x = 1 + pid; }', '1 + pid', '0.17'), 'uint64');
  assert.equal(typeOf('BEGIN { $x = 1 + 2; }', '1 + 2', '0.17'), 'int64');
  assert.equal(typeOf('BEGIN { $x = (int32)1 << pid; }', '(int32)1 << pid', '0.17'), 'int64');
  assert.equal(typeOf('BEGIN { $x = 1 + pid; }', '1 + pid'), 'uint64');
  assert.equal(typeOf('BEGIN { $x = (int8)1 + pid; }', '(int8)1 + pid'), 'int64');
  assert.equal(typeOf('BEGIN { $x = pid - 1; }', 'pid - 1'), 'int64');
  assert.equal(typeOf('BEGIN { $x = pid * 2; }', 'pid * 2'), 'uint64');
  assert.equal(typeOf('BEGIN { $x = pid < 2; }', 'pid < 2'), 'bool');
  assert.equal(typeOf('BEGIN { $x = pid < 2; }', 'pid < 2', '0.17'), 'uint64');
  assert.equal(typeOf('BEGIN { $x = pid && 1; }', 'pid && 1'), 'bool');
  assert.equal(typeOf('BEGIN { $x = !pid; }', '!pid'), 'bool');
  assert.equal(typeOf('BEGIN { $x = !pid; }', '!pid', '0.17'), 'uint64');
  assert.equal(typeOf('BEGIN { $x = ~(int32)1; }', '~(int32)1'), 'int32');
  assert.equal(typeOf('BEGIN { $x = -(int32)1; }', '-(int32)1', '0.17'), 'int64');
});

test('integer warnings: different signs (0.17), signed division', () => {
  assert.deepEqual(diags('BEGIN { $a = (uint32)1; $b = (int32)2; $c = $a * $b; }', '0.17'),
    [['warning', "arithmetic on integers of different signs: 'unsigned int32' and 'int32' can lead to undefined behavior", '$a * $b']]);
  assert.deepEqual(diags('BEGIN { $c = pid < 5; }', '0.17'), []);
  assert.deepEqual(diags('BEGIN { $a = (int32)1; $c = pid == $a; }', '0.17'),
    [['warning', "comparison of integers of different signs: 'unsigned int64' and 'int32' can lead to undefined behavior", 'pid == $a']]);
  assert.deepEqual(diags('BEGIN { $a = (int32)1; $c = pid / $a; }'),
    [['warning', "signed operands for '/' can lead to undefined behavior (cast to unsigned to silence warning)", 'pid / $a']]);
  assert.deepEqual(diags('BEGIN { $c = pid / 2; }'), []);
});

test('strings: literal sizes, comm, str() with the strlen setting, comparisons', () => {
  assert.equal(typeOf('BEGIN { $s = "abc"; }', '$s'), 'string[4]');
  assert.equal(typeOf('BEGIN { $s = comm; }', '$s'), 'string[16]');
  assert.equal(typeOf('kprobe:f { $s = str(arg0); }', 'str(arg0)'), 'string[64]');
  const r = parse('kprobe:f { $s = str(arg0); }');
  const info = typecheck(r.program, {}, { target: '0.26', strlen: 128 });
  assert.deepEqual([...info.vars.values()].map(typeName), ['string[128]']);
  assert.equal(typeOf('BEGIN { $b = comm == "x"; }', 'comm == "x"'), 'bool');
  assert.equal(typeOf('BEGIN { $s = "a"; $s = "abcd"; }', '$s'), 'string[5]');
  assert.deepEqual(diags('BEGIN { $x = "a" + 1; }', '0.17'), [['error', "Type mismatch for '+': comparing 'string[2]' with 'int64'", '"a" + 1']]);
  assert.deepEqual(diags('BEGIN { $x = "a" + 1; }'), [['error', "Type mismatch for '+': comparing string[2] with int8", '"a" + 1']]);
  assert.deepEqual(diags('BEGIN { $x = "a" + "b"; }', '0.17'), [['error', 'The + operator can not be used on expressions of types string[2], string[2]', '+']]);
  assert.deepEqual(diags('BEGIN { if (comm == "a-very-long-name-indeed") {} }'),
    [['warning', 'The literal is longer than the variable string (size=16), condition will always be false', 'comm == "a-very-long-name-indeed"']]);
  assert.deepEqual(diags('kprobe:f { $s = str("x"); }', '0.17'), [['error', 'str() expects an integer or a pointer type as first argument (string[2] provided)', 'str("x")']]);
  assert.deepEqual(diags(`BEGIN { $s = "${'x'.repeat(70)}"; }`, '0.17').map((d) => d[1].slice(0, 34)), ['String is too long (over 64 bytes)']);
  assert.deepEqual(diags(`BEGIN { printf("${'x'.repeat(70)}\\n"); }`, '0.17'), []);
});

test('buf(): sizes from the length literal or the array, capped at strlen', () => {
  assert.equal(typeOf('kprobe:f { $b = buf(arg0, 16); }', '$b'), 'buffer[16]');
  assert.equal(typeOf('kprobe:f { $b = buf(arg0, 100); }', '$b'), 'buffer[64]');
  assert.deepEqual(diags('kprobe:f { $b = buf(arg0, 100); }'), [['warning', 'buf() length is too long and will be shortened to 64 bytes (see BPFTRACE_STRLEN)', 'buf(arg0, 100)']]);
  assert.deepEqual(diags('kprobe:f { $b = buf(arg0); }'), [['error', 'buf() expects a length argument for non-array type uint64', 'buf(arg0)']]);
  assert.deepEqual(diags('kprobe:f { $b = buf(arg0, -1); }', '0.17'), [['error', 'buf cannot use negative length (-1)', 'buf(arg0, -1)']]);
});

test('tuples and records: element types, indexes, bpftrace messages', () => {
  assert.equal(typeOf('BEGIN { $t = (1, "ab", comm); }', '$t'), '(int8,string[3],string[16])');
  assert.equal(typeOf('BEGIN { $t = (1, "ab"); }', '$t', '0.17'), '(int64,string[3])');
  assert.equal(typeOf('BEGIN { $t = (1, "ab"); $u = $t.1; }', '$u'), 'string[3]');
  assert.deepEqual(diags('BEGIN { $x = (1,2); $y = $x.3; }', '0.17'), [['error', 'Invalid tuple index: 3. Found 2 elements in tuple.', '$x.3']]);
  assert.deepEqual(diags('BEGIN { $x = 1; $y = $x.0; }'), [['error', "Can not access index '0' on expression of type 'int8'", '$x.0']]);
  assert.equal(typeOf('BEGIN { $r = (a=1, b="x"); $v = $r.b; }', '$v'), 'string[2]');
  assert.deepEqual(diags('BEGIN { $r = (a=1, bb="x"); $v = $r.b; }'), [['error', "Record does not contain a field named 'b'", '$r.b']]);
  assert.equal(typeOf('BEGIN { $t = (1, "a"); $t = (1000, "abc"); }', '$t'), '(int16,string[4])');
  assert.deepEqual(diags('BEGIN { $t = (1, "a"); $t = ("a", 1); }'),
    [['error', "Type mismatch for $t: trying to assign value of type '(string[2],int8)' when variable already has a type '(int8,string[2])'", '=']]);
});

test('maps: key and value types across probes, promotion, bpftrace mismatch messages', () => {
  assert.equal(mapType('BEGIN { @m[comm, pid] = 1; } END { @m["x", 2] = 1000; }', '@m'), '[string[16],uint32] int16');
  assert.equal(mapType('BEGIN { @m = 1; }', '@m', '0.17'), '[] int64');
  assert.equal(mapType('BEGIN { @m[1] = pid; }', '@m', '0.17'), '[uint64] uint64');
  assert.equal(mapType('BEGIN { @m[(1, 2)] = 1; @m[3, 4] = 2; }', '@m'), '[int8,int8] int8');
  assert.deepEqual(diags('BEGIN { @x[1] = 1; @x["a"] = 1; }', '0.17'),
    [['error', 'Argument mismatch for @x: trying to access with arguments: [string[2]] when map expects arguments: [unsigned int64]', '@x["a"]']]);
  assert.deepEqual(diags('BEGIN { @x[1,comm] = 1; @x["a", 2] = 1; }', '0.17'),
    [['error', 'Argument mismatch for @x: trying to access with arguments: [string[2], unsigned int64] when map expects arguments: [unsigned int64, string[16]]', '@x["a", 2]']]);
  assert.deepEqual(diags('BEGIN { @x[1] = 1; } END { @x["a"] = 1; }'),
    [['error', "Argument mismatch for @x: trying to access with arguments: 'string[2]' when map expects arguments: 'int8'", '@x["a"]']]);
  assert.deepEqual(diags('BEGIN { @x = pid; @x = "a"; }', '0.17'),
    [['error', "Type mismatch for @x: trying to assign value of type 'string[2]' when map already contains a value of type 'unsigned int64", '@x']]);
  assert.deepEqual(diags('BEGIN { @x = pid; } END { @x = comm; }'),
    [['error', "Type mismatch for @x: trying to assign value of type 'string[16]' when map already has a type 'uint32'", '@x']]);
  // A map read before (in source order) it is written gets the final type.
  assert.equal(typeOf('END { $v = @x; } BEGIN { @x = comm; }', '$v'), 'string[16]');
});

test('aggregations: map values as { k: agg }, argument types, assignment rules', () => {
  assert.equal(mapType('kprobe:f { @c[pid] = count(); }', '@c'), '[uint32] count_t');
  assert.equal(mapType('kprobe:f { @s = sum((int32)arg0); }', '@s'), '[] sum_t');
  const { info } = check('kprobe:f { @s = sum((int32)arg0); @h = lhist(arg0, 0, 100, 10); @u = sum(arg0); }');
  assert.deepEqual(info.maps.get('@s')?.value, { k: 'agg', fn: 'sum', signed: true });
  assert.deepEqual(info.maps.get('@u')?.value, { k: 'agg', fn: 'sum', signed: false });
  assert.deepEqual(info.maps.get('@h')?.value, { k: 'agg', fn: 'lhist', signed: false, args: [0n, 100n, 10n] });
  assert.deepEqual(diags('BEGIN { @ = hist("a"); }', '0.17'), [['error', 'hist() only supports integer arguments (string provided)', 'hist("a")']]);
  assert.deepEqual(diags('BEGIN { $x = count(); }', '0.17'), [['error', 'count() should be directly assigned to a map', 'count()']]);
  assert.deepEqual(diags('kprobe:f { @ = lhist(arg0, 0, 100, 0); }'), [['error', 'lhist() step must be >= 1 (0 provided)', 'lhist(arg0, 0, 100, 0)']]);
  assert.deepEqual(diags('kprobe:f { @ = lhist(arg0, 10, 1, 1); }'), [['error', 'lhist() min must be less than max (provided min 10 and max 1)', 'lhist(arg0, 10, 1, 1)']]);
  assert.deepEqual(diags('kprobe:f { $m = 1; @ = lhist(arg0, $m, 10, 1); }'), [['error', 'lhist: invalid min value', 'lhist(arg0, $m, 10, 1)']]);
  assert.deepEqual(diags('kprobe:f { @x = count(); } kprobe:g { @x = sum(arg0); }'),
    [['error', "Type mismatch for @x: trying to assign value of type 'sum_t' when map already has a type 'count_t'", '@x']]);
  // count/sum/min/max/avg maps read as integers.
  assert.equal(typeOf('kprobe:f { @x = count(); $v = @x; }', '$v'), 'uint64');
});

test('variables: first assignment fixes the type; ints grow; mismatches in bpftrace words', () => {
  assert.equal(typeOf('BEGIN { $x = (int8)1; $x = (int32)5; }', '$x'), 'int32');
  assert.equal(typeOf('BEGIN { $x = (uint8)1; $x = (int8)5; }', '$x'), 'int16');
  assert.deepEqual(diags('BEGIN { $x = pid; $x = "a"; }', '0.17'),
    [['error', "Type mismatch for $x: trying to assign value of type 'string[2]' when variable already contains a value of type 'unsigned int64'", '=']]);
  assert.deepEqual(diags('BEGIN { let $x: uint8 = "a"; }'),
    [['error', "Type mismatch for $x: trying to assign value of type 'string[2]' when variable already has a type 'uint8'", 'let $x: uint8 = "a"']]);
  assert.equal(typeOf('BEGIN { let $x: uint16; }', '$x'), 'uint16');
});

test('ternaries and conditions', () => {
  assert.equal(typeOf('BEGIN { $y = pid < 3 ? 1 : 2; }', 'pid < 3 ? 1 : 2', '0.17'), 'int64');
  assert.equal(typeOf('BEGIN { $y = pid < 3 ? 1 : 1000; }', 'pid < 3 ? 1 : 1000'), 'int16');
  assert.equal(typeOf('BEGIN { $y = pid ? "a" : "bcd"; }', 'pid ? "a" : "bcd"'), 'string[4]');
  assert.deepEqual(diags('BEGIN { $x = 1 ? "a" : 2; }', '0.17'), [['error', "Ternary operator must return the same type: have 'string' and 'integer'", '1 ? "a" : 2']]);
  assert.deepEqual(diags('BEGIN { $x = 1 ? "a" : 2; }'), [['error', "Branches must return the same type or compatible types: have 'string[2]' and 'int8'", '1 ? "a" : 2']]);
  assert.deepEqual(diags('BEGIN { $x = "a" ? 1 : 2; }', '0.17'), [['error', 'Invalid condition in ternary: string', '"a" ? 1 : 2']]);
  assert.deepEqual(diags('BEGIN { if ("a") { } }', '0.17'), [['error', 'Invalid condition in if(): string', '"a"']]);
  assert.deepEqual(diags('BEGIN { if ("a") { } }'), [['error', 'Invalid condition: string', '"a"']]);
});

test('builtins: types per era', () => {
  const b = (name: string, target = '0.26', probe = 'kprobe:f'): string => typeOf(`${probe} { $v = ${name}; }`, name, target);
  assert.equal(b('pid'), 'uint32');
  assert.equal(b('pid', '0.17'), 'uint64');
  assert.equal(b('tid'), 'uint32');
  assert.equal(b('uid'), 'uint64');
  assert.equal(b('nsecs'), 'uint64');
  assert.equal(b('cpu'), 'uint64');
  assert.equal(b('comm'), 'string[16]');
  assert.equal(b('kstack'), 'kstack');
  assert.equal(b('ustack'), 'ustack');
  assert.equal(b('func'), 'ksym');
  assert.equal(b('func', '0.26', 'uprobe:/bin/sh:main'), 'usym');
  assert.equal(b('probe'), 'probe');
  assert.equal(b('username'), 'username');
  assert.equal(b('arg0'), 'uint64');
  assert.equal(b('retval', '0.26', 'kretprobe:f'), 'uint64');
  assert.equal(b('curtask'), 'struct task_struct *');
  assert.equal(b('cgroup'), 'uint64');
  assert.equal(b('rand'), 'uint64');
  assert.equal(b('usermode'), 'uint8');
});

test('functions: result types and argument checks', () => {
  const f = (call: string, target = '0.26'): string => typeOf(`kprobe:f { $v = ${call}; }`, call, target);
  assert.equal(f('ksym(arg0)'), 'ksym');
  assert.equal(f('usym(arg0)'), 'usym');
  assert.equal(f('kaddr("jiffies")'), 'uint64');
  assert.equal(f('uaddr("x")'), 'uint64 *');
  assert.equal(f('ntop(arg0)'), 'inet');
  assert.equal(f('reg("ip")'), 'uint64');
  assert.equal(f('strftime("%H", nsecs)'), 'timestamp');
  assert.equal(f('cgroupid("/x")'), 'uint64');
  assert.equal(f('sizeof(int32)'), 'uint64');
  assert.equal(f('strncmp(comm, "a", 1)', '0.17'), 'uint64');
  assert.equal(f('bswap((uint16)arg0)'), 'uint16');
  assert.equal(f('kstack()'), 'kstack');
  assert.equal(f('strerror(arg0)'), 'strerror');
  assert.deepEqual(diags('kprobe:f { $r = reg("xx"); }'), [['error', "'xx' is not a valid register on this architecture (x86_64)", 'reg("xx")']]);
  assert.deepEqual(diags('kprobe:f { $r = kaddr(arg0); }', '0.17'), [['error', 'kaddr() expects a string literal (integer provided)', 'kaddr(arg0)']]);
  assert.deepEqual(diags('kprobe:f { join(comm); }', '0.17'), [['error', '() only supports int or pointer arguments (string provided)', 'join(comm)']]);
  assert.deepEqual(diags('kprobe:f { printf(comm); }'), [['error', 'printf() expects a string literal (string[16] provided)', 'printf(comm)']]);
});

test('casts, indexes and pointers', () => {
  assert.equal(typeOf('kprobe:f { $p = (int16 *)arg0; }', '$p'), 'int16 *');
  assert.equal(typeOf('kprobe:f { $p = (int16 *)arg0; $v = *$p; }', '$v'), 'int16');
  assert.equal(typeOf('kprobe:f { $p = (int16 *)arg0; $v = $p[2]; }', '$v'), 'int16');
  assert.equal(typeOf('kprobe:f { $p = (int16 *)arg0; $q = $p + 1; }', '$q'), 'int16 *');
  assert.equal(typeOf('kprobe:f { $a = (uint8[8])arg0; }', '$a'), 'uint8[8]');
  assert.deepEqual(diags('kprobe:f { $x = (uint32)comm; }', '0.17'), [['error', 'Casts are not supported for type: "string[16]"', '(uint32)']]);
  assert.deepEqual(diags('kprobe:f { $x = comm[1]; }', '0.17'), [['error', 'The array index operator [] can only be used on arrays and pointers, found string.', 'comm[1]']]);
  assert.deepEqual(diags('kprobe:f { $p = (int16 *)arg0; $q = 1 - $p; }'), [['error', 'The - operator can not be used on expressions of types int8, int16 *', '-']]);
  assert.deepEqual(diags('kprobe:f { $a = (uint8[4])arg0; }'), [['error', 'Cannot cast from "uint64" to "uint8[4]"', '(uint8[4])arg0']]);
  assert.deepEqual(diags('kprobe:f { $a = (uint8[8])arg0; $b = $a[9]; }'), [['error', 'the index 9 is out of bounds for array of size 8', '$a[9]']]);
  // 0.26 indexes strings (NUL included) as int8.
  assert.equal(typeOf('kprobe:f { $x = "foo"; $c = $x[3]; }', '$c'), 'int8');
  assert.deepEqual(diags('kprobe:f { $x = "foo"; $c = $x[4]; }'), [['error', 'the index 4 is out of bounds for array of size 4', '$x[4]']]);
  assert.deepEqual(diags('kprobe:f { $x = (uint64)10 / 2; $y = (uint64)10 % 2; }'), []);
  assert.deepEqual(diags('kprobe:f { @x = (uint64)1; @y = -1 / @x; }').map((d) => d[1]), ["signed operands for '/' can lead to undefined behavior (cast to unsigned to silence warning)"]);
});

test('assignments: void calls, aggregations copied between maps (0.26), signals, non-map print', () => {
  assert.deepEqual(diags('BEGIN { $x = printf("a"); }', '0.17'), [['error', 'printf() should not be used in an assignment or as a map key', 'printf("a")']]);
  assert.deepEqual(diags('BEGIN { $x = printf("a"); @y = exit(); }'), [
    ['error', "Value 'void' cannot be assigned to a scratch variable.", '$x = printf("a")'],
    ['error', "Value 'void' cannot be assigned to a map.", '@y = exit()'],
  ]);
  assert.deepEqual(diags('BEGIN { @a[1] = count(); @b = @a[1]; }'), [[
    'error', "Map value 'count_t' cannot be assigned from one map to another. The function that returns this type must be called directly e.g. `@b = count();`.", '@b = @a[1]',
  ]]);
  const hint = check('BEGIN { @a[1] = count(); @b = @a[1]; }').info.diagnostics[0].hint;
  assert.equal(hint, 'Add a cast to integer if you want the value of the aggregate, e.g. `@b = (int64)@a;`.');
  assert.deepEqual(diags('BEGIN { @h = hist(1); $d = @h; }'), [['error', "Value 'hist_t' cannot be assigned to a scratch variable.", '$d = @h']]);
  assert.deepEqual(diags('BEGIN { @c = count(); $d = @c; }'), []);
  assert.deepEqual(diags('BEGIN { @x = count(); $y = @x + 1; }', '0.17'), [['error', "Type mismatch for '+': comparing 'count' with 'int64'", '@x + 1']]);
  assert.deepEqual(diags('BEGIN { @x = count(); $y = @x + 1; }'), []);
  assert.deepEqual(diags('kprobe:f { signal("SIGFOO"); signal(100); signal("KILL"); signal(9); }').map((d) => d[1]),
    ['SIGFOO is not a valid signal', '100 is not a valid signal, allowed range: [1,64]']);
  assert.deepEqual(diags('BEGIN { print(1, 2); @x = 1; print(@x, 2); }'), [['error', 'Non-map print() only takes 1 argument, 2 found', 'print(1, 2)']]);
});

test('0.25+ rules: predicates, loops, map keys and declarations, function returns, casts, type names', () => {
  assert.deepEqual(diags('kprobe:f / "yes" / { }'), []);
  assert.deepEqual(diags('kprobe:f / kstack / { }'), [['error', 'Invalid condition: kstack', 'kstack']]);
  assert.deepEqual(diags('kprobe:f { @h = hist(arg0); @k[@h] = 1; }'), [['error', "Value 'hist_t' cannot be used as a map key.", '@k[@h]']]);
  assert.deepEqual(diags('kprobe:f { @s = stats(arg0); let $v = @s; }'), [['error', "Value 'stats_t' cannot be assigned to a scratch variable.", 'let $v = @s']]);
  assert.deepEqual(diags('kprobe:f { @h[1] = hist(arg0); for ($kv : @h) { } }'), [['error', 'Loop expression does not support type: hist_t', '@h']]);
  assert.deepEqual(diags('kprobe:f { for ($i : 0..comm) { } }'), [['error', 'Loop range requires an integer for the end value', 'comm']]);
  assert.deepEqual(diags('kprobe:f { for ($i : 0..3) { $x = arg1; } }'), [['error', "'arg1' builtin is not allowed in a for-loop", 'arg1']]);
  assert.deepEqual(diags('let @c = hash(8); kprobe:f { @c = count(); }').map((d) => d[1]),
    ['Incompatible map types. Type from declaration: hash. Type from value/key type: percpuhash']);
  assert.deepEqual(diags('let @c = percpuhash(8); kprobe:f { @c = count(); }'), []);
  assert.deepEqual(diags('fn half($a: uint64): uint64 { return $a / 2; } fn none(): void { return 1; } fn name(): string { return 1; }').map((d) => d[1]), [
    'Function none is of type void, cannot return int8',
    'Function name is of type string, cannot return int8',
  ]);
  assert.equal(typeOf('kprobe:f { $a = (1, "x"); $b = (2, "yy"); $c = $a == $b; }', '$c'), 'bool');
  assert.equal(typeOf('kprobe:f { $a = (int8[8])1; }', '$a'), 'int8[8]');
  assert.equal(typeOf('kprobe:f { $a = (bool)comm; }', '$a'), 'bool');
  assert.deepEqual(diags('kprobe:f { $a = (bool)kstack; }'), [['error', 'Cannot cast from "kstack_bpftrace_127" to "bool"', '(bool)kstack']]);
  assert.deepEqual(diags('kprobe:f { $r = (a=1, b="x"); $r = (a=2, b=3); }'), [[
    'error', "Type mismatch for $r: trying to assign value of type 'record { .a = int8, .b = int8 }' when variable already has a type 'record { .a = int8, .b = string[2] }'", '=',
  ]]);
  assert.deepEqual(diags('kprobe:f { @h[1] = hist(arg0); print(@h[1]); }').map((d) => d[1]),
    ['Map type hist_t cannot print the value of individual keys. You must print the whole map.']);
  assert.deepEqual(diags('kprobe:f { @c = count(); @c += 5; }').map((d) => d[1]),
    ["Type mismatch for @c: trying to assign value of type 'uint64' when map already has a type 'count_t'"]);
});

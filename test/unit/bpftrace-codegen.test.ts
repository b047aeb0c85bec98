// bpftrace code generation, run on the VM: aggregations stored as bpftrace 0.17
// stores them (hist/lhist bucket rules, min's inverted storage, avg/stats slots),
// printf records decoding back to their arguments, integer semantics (sign,
// width, shifts, division), strings, loops and tracepoint fields read from a ctx.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileOk, kernel618, runProbe, runs } from './bpftrace-codegen-support';
import type { AggValue, BtValue, MapSnapshot } from '../../server/src/bpftrace/output/values';
import { compile, compileText, decodeMap, decodeRecord, verifyProbe } from '../../server/src/bpftrace/codegen';
import { parse } from '../../server/src/bpftrace/parser';

function need(t: { skip(m: string): void }): boolean {
  if (kernel618()) return true;
  console.log('SKIP: ../shared/kernel/6.18 data not present');
  t.skip('kernel 6.18 data not present');
  return false;
}

function agg(m: MapSnapshot | undefined, i = 0): AggValue {
  const v = m?.entries[i]?.value;
  assert.ok(v && 'fn' in v, `no aggregation in ${m?.name}`);
  return v;
}

function int(v: BtValue | AggValue | undefined): bigint {
  assert.ok(v && 't' in v && v.t === 'int', `not an int: ${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))}`);
  return v.v;
}

function scalarMap(maps: Map<string, MapSnapshot>, name: string): bigint {
  const m = maps.get(name);
  assert.ok(m, `no map ${name}`);
  return int(m.entries[0]?.value);
}

test('count() increments per run; sum/min/max/avg/stats keep bpftrace 0.17 slots', (t) => {
  if (!need(t)) return;
  const s = compileOk('BEGIN { @c = count(); @s[1] = sum(5); @mn = min(7); @mx = max(7); @a = avg(10); @st = stats(4); }');
  assert.equal(s.maps.find((m) => m.name === '@c')?.mapType, 'percpu_array', 'keyless count is a per-CPU array');
  assert.equal(s.maps.find((m) => m.name === '@s')?.mapType, 'percpu_hash');
  assert.equal(s.maps.find((m) => m.name === '@a')?.keySize, 16, 'avg: key + u64 slot');
  const r = runProbe(s, 0, runs(3));
  assert.deepEqual(r.faults, []);
  assert.deepEqual(agg(r.maps.get('@c')), { fn: 'count', v: 3n, signed: false });
  assert.equal((agg(r.maps.get('@s')) as { v: bigint }).v, 15n);
  assert.equal((agg(r.maps.get('@mn')) as { v: bigint }).v, 7n);
  assert.equal((agg(r.maps.get('@mx')) as { v: bigint }).v, 7n);
  const a = agg(r.maps.get('@a'));
  assert.ok(a.fn === 'avg' && a.count === 3n && a.total === 30n);
  const st = agg(r.maps.get('@st'));
  assert.ok(st.fn === 'stats' && st.count === 3n && st.total === 12n);
});

test('hist(): log2 buckets as bpftrace numbers them (1000 lands in [512, 1K))', (t) => {
  if (!need(t)) return;
  const cases: [bigint, number][] = [[-5n, 0], [0n, 1], [1n, 2], [2n, 3], [3n, 3], [511n, 10], [512n, 11], [1000n, 11], [1023n, 11], [1024n, 12], [1n << 40n, 33]];
  for (const [v, bucket] of cases) {
    const s = compileOk(`BEGIN { @h = hist(${v}); }`);
    const r = runProbe(s, 0, runs(2));
    const h = agg(r.maps.get('@h'));
    assert.ok(h.fn === 'hist');
    assert.deepEqual([...h.buckets], [[bucket, 2n]], `hist(${v})`);
  }
});

test('lhist(): linear buckets (0 below min, 1 + (v - min) / step, the last one for > max)', (t) => {
  if (!need(t)) return;
  const cases: [number, number][] = [[-1, 0], [0, 1], [9, 1], [10, 2], [55, 6], [99, 10], [100, 11], [1000, 11]];
  for (const [v, bucket] of cases) {
    const s = compileOk(`BEGIN { @l[1] = lhist(${v}, 0, 100, 10); }`);
    const r = runProbe(s, 0, runs(1));
    const l = agg(r.maps.get('@l'));
    assert.ok(l.fn === 'lhist');
    assert.deepEqual([l.min, l.max, l.step], [0n, 100n, 10n]);
    assert.deepEqual([...l.buckets], [[bucket, 1n]], `lhist(${v})`);
    assert.equal(int(r.maps.get('@l')?.entries[0].key[0]), 1n);
  }
});

test('min() stores 0xffffffff - value (bpftrace 0.17) and decodes back', (t) => {
  if (!need(t)) return;
  const s = compileOk('BEGIN { @m = min(@n); @n = @n + 3; }');
  const r = runProbe(s, 0, runs(3));
  assert.equal((agg(r.maps.get('@m')) as { v: bigint }).v, 0n, 'the smallest of 0, 3, 6');
});

test('printf records decode back to their arguments', (t) => {
  if (!need(t)) return;
  const s = compileOk('BEGIN { printf("%d %s %u %s|\\n", -5, "abc", 7, comm); exit(); }');
  const r = runProbe(s, 0, runs(1), { comm: 'worker', pid: 77 });
  assert.deepEqual(r.faults, []);
  assert.equal(r.events.length, 2);
  const e = r.events[0];
  assert.ok('kind' in e && e.kind === 'printf');
  assert.equal(e.fmt, '%d %s %u %s|\n');
  assert.equal(int(e.args[0]), -5n);
  assert.deepEqual(e.args[1], { t: 'str', v: new TextEncoder().encode('abc') });
  assert.equal(int(e.args[2]), 7n);
  assert.deepEqual(e.args[3], { t: 'str', v: new TextEncoder().encode('worker') });
  assert.deepEqual(r.events[1], { kind: 'exit' });
  assert.ok(s.formats[0].id === 0 && s.formats[0].action === 'printf');
});

test('print/clear/zero/time records carry their map and format', (t) => {
  if (!need(t)) return;
  const s = compileOk('BEGIN { @x[1] = 2; print(@x, 5); clear(@x); zero(@x); time("%H\\n"); print(5); }');
  const r = runProbe(s, 0, runs(1));
  const kinds = r.events.map((e) => ('kind' in e ? e.kind : e.error));
  assert.deepEqual(kinds, ['print', 'clear', 'zero', 'time', 'printValue']);
  const p = r.events[0];
  assert.ok('kind' in p && p.kind === 'print' && p.map.name === '@x' && p.top === 5);
  const c = r.events[1];
  assert.ok('kind' in c && c.kind === 'clear' && c.map === '@x');
  const tm = r.events[3];
  assert.ok('kind' in tm && tm.kind === 'time' && tm.fmt === '%H\n' && tm.ns > 0n);
  const pv = r.events[4];
  assert.ok('kind' in pv && pv.kind === 'printValue' && int(pv.value) === 5n);
});

test('integer semantics as bpftrace 0.17: unsigned division and right shift, widths, casts, comparisons, logic', (t) => {
  if (!need(t)) return;
  const s = compileOk(`BEGIN {
    $a = -7; $b = 2;
    @div = $a / $b; @mod = $a % $b; @shr = $a >> 1; @ushr = (uint64)$a >> 60;
    @mul = $a * 3 - 1; @bits = (0xff & ~0x0f) | (1 << 4) ^ 3;
    @narrow = (uint8)300; @snarrow = (int8)200; @u32 = (uint32)-1;
    @cmp = ($a < $b) + ($a > $b) * 10 + ((uint64)$a > 5) * 100;
    @logic = ($a && $b) + (0 || $b) * 10 + !$a * 100;
  }`);
  const r = runProbe(s, 0, runs(1));
  assert.deepEqual(r.faults, []);
  const m = (n: string): bigint => scalarMap(r.maps, n);
  // bpftrace divides, takes remainders and shifts right unsigned, whatever the types.
  const u = BigInt.asUintN(64, -7n);
  assert.equal(BigInt.asUintN(64, m('@div')), u / 2n, 'unsigned division');
  assert.equal(BigInt.asUintN(64, m('@mod')), u % 2n);
  assert.equal(BigInt.asUintN(64, m('@shr')), u >> 1n, 'logical shift');
  assert.equal(m('@ushr'), 15n, 'logical shift of a u64');
  assert.equal(m('@mul'), -22n);
  assert.equal(m('@bits'), BigInt((0xff & ~0x0f) | ((1 << 4) ^ 3)));
  assert.equal(m('@narrow'), 44n);
  assert.equal(m('@snarrow'), -56n);
  assert.equal(m('@u32'), 0xffffffffn);
  assert.equal(m('@cmp'), 101n, '0.17 compares signed only when both sides are: (uint64)$a > 5 is an unsigned comparison');
  assert.equal(m('@logic'), 11n);
});

test('control flow: if/else chains, ternary, while, unroll, compound assignment, ++', (t) => {
  if (!need(t)) return;
  const s = compileOk(`BEGIN {
    $i = 0; $sum = 0;
    while ($i < 10) { $sum += $i; $i++; if ($i == 8) { break; } }
    $j = 0; unroll(4) { $j = $j + 2; }
    $k = $sum > 20 ? 1 : 2;
    if ($k == 2) { @branch = 2; } else if ($k == 1) { @branch = 1; } else { @branch = 3; }
    @sum = $sum; @j = $j; @n++; @n += 10;
  }`);
  const r = runProbe(s, 0, runs(2));
  assert.deepEqual(r.faults, []);
  assert.equal(scalarMap(r.maps, '@sum'), 28n);
  assert.equal(scalarMap(r.maps, '@j'), 8n);
  assert.equal(scalarMap(r.maps, '@branch'), 1n);
  assert.equal(scalarMap(r.maps, '@n'), 22n);
  for (const p of s.probes) assert.equal(verifyProbe(s, p).verdict, 'accept', 'the bounded loop passes our verifier');
});

test('strings: literals, comparison, string keys and values, tuple keys', (t) => {
  if (!need(t)) return;
  const s = compileOk(`BEGIN {
    $s = "abc";
    if ($s == "abc") { @eq = 1; }
    if ($s != "abd") { @ne = 1; }
    if (comm == "xyz") { @comm = 1; }
    @by[comm, 3] = count();
    @name[1] = comm;
  }`);
  const r = runProbe(s, 0, runs(2), { comm: 'xyz' });
  assert.equal(scalarMap(r.maps, '@eq'), 1n);
  assert.equal(scalarMap(r.maps, '@ne'), 1n);
  assert.equal(scalarMap(r.maps, '@comm'), 1n);
  const by = r.maps.get('@by');
  assert.deepEqual(by?.entries[0].key[0], { t: 'str', v: new TextEncoder().encode('xyz') });
  assert.equal(int(by?.entries[0].key[1]), 3n);
  assert.equal((agg(by) as { v: bigint }).v, 2n);
  assert.deepEqual(r.maps.get('@name')?.entries[0].value, { t: 'str', v: new TextEncoder().encode('xyz') });
});

test('builtins come from the environment: pid, tid, uid, gid, cpu, nsecs', (t) => {
  if (!need(t)) return;
  const s = compileOk('BEGIN { @pid = pid; @tid = tid; @uid = uid; @gid = gid; @cpu = cpu; @t = nsecs > 0; }');
  const r = runProbe(s, 0, runs(1), { pid: 11, tgid: 22, uid: 33, gid: 44, cpu: 2 });
  assert.equal(scalarMap(r.maps, '@pid'), 22n, 'pid is the tgid');
  assert.equal(scalarMap(r.maps, '@tid'), 11n);
  assert.equal(scalarMap(r.maps, '@uid'), 33n);
  assert.equal(scalarMap(r.maps, '@gid'), 44n);
  assert.equal(scalarMap(r.maps, '@cpu'), 2n);
  assert.equal(scalarMap(r.maps, '@t'), 1n);
});

test('tracepoint fields are read at their format offsets, with their width and sign', (t) => {
  if (!need(t)) return;
  const fmt = kernel618()!.format('sched', 'sched_switch')!;
  const off = (n: string): number => fmt.fields.find((f) => f.name === n)!.offset;
  const s = compileOk('tracepoint:sched:sched_switch /args->prev_pid != 0/ { @[args->prev_comm] = count(); @state = args->prev_state; @next = args->next_pid; }');
  const ctx = new Uint8Array(fmt.size + 8);
  const dv = new DataView(ctx.buffer);
  ctx.set(new TextEncoder().encode('bash'), off('prev_comm'));
  dv.setInt32(off('prev_pid'), 7, true);
  dv.setInt32(off('next_pid'), 9, true);
  dv.setBigInt64(off('prev_state'), -1n, true);
  const r = runProbe(s, 0, [ctx, ctx, new Uint8Array(fmt.size + 8)]);
  assert.deepEqual(r.faults, []);
  const m = r.maps.get('@');
  assert.deepEqual(m?.entries[0].key, [{ t: 'str', v: new TextEncoder().encode('bash') }]);
  assert.equal((agg(m) as { v: bigint }).v, 2n, 'the predicate filtered the third event');
  assert.equal(scalarMap(r.maps, '@state'), -1n);
  assert.equal(scalarMap(r.maps, '@next'), 9n);
});

test('line table: every instruction of a probe body maps into the script', (t) => {
  if (!need(t)) return;
  const text = 'BEGIN\n{\n  @a = count();\n  printf("%d\\n", 1);\n}\n';
  const s = compileOk(text);
  const p = s.probes[0];
  assert.equal(p.lines.length, p.insns.length);
  const lines = new Set(p.lines.map((r) => (r ? text.slice(0, r.start).split('\n').length : 0)));
  assert.ok(lines.has(3) && lines.has(4), `lines ${[...lines]}`);
});

test('without type information codegen still compiles simple scripts; bad input gives diagnostics, never throws', () => {
  const empty = { exprs: new Map(), vars: new Map(), maps: new Map(), probes: new Map(), diagnostics: [] };
  const ok = compile(parse('BEGIN { @c = count(); $x = 2 * 3; printf("%d\\n", $x); }').program, empty);
  assert.deepEqual(ok.diagnostics, []);
  assert.equal(ok.probes.length, 1);
  const bad = compile(parse('BEGIN { @x = lhist(1, 0, 10, 0); } nosuchprovider:x { exit(); }').program, empty);
  assert.equal(bad.probes.length, 0);
  assert.equal(bad.diagnostics.length, 2, bad.diagnostics.map((d) => d.message).join('; '));
  assert.ok('error' in decodeRecord(ok, new Uint8Array(4)));
  const text = 'BEGIN { printf("%d\\n", nosuch); }';
  const id = compile(parse(text).program, empty);
  assert.equal(id.diagnostics[0]?.message, 'unknown identifier nosuch');
  assert.equal(id.diagnostics[0]?.range.start, text.indexOf('nosuch'), 'the diagnostic points at the identifier');
  assert.ok('error' in decodeRecord(ok, new Uint8Array(16).fill(0xff)));
});

test('decodeMap combines per-CPU copies: counts add, max/min reduce, hist buckets merge', () => {
  const empty = { exprs: new Map(), vars: new Map(), maps: new Map(), probes: new Map(), diagnostics: [] };
  const s = compile(parse('BEGIN { @c[1] = count(); @mx = max(1); @mn = min(1); @h = hist(1); }').program, empty);
  const u64 = (...vs: bigint[]): Uint8Array => {
    const b = new Uint8Array(8 * vs.length);
    vs.forEach((v, i) => new DataView(b.buffer).setBigUint64(8 * i, BigInt.asUintN(64, v), true));
    return b;
  };
  const def = (n: string) => s.maps.find((m) => m.name === n)!;
  const c = decodeMap(s, def('@c'), [{ key: u64(1n), values: [u64(2n), u64(5n), u64(0n)] }]);
  assert.equal((agg(c) as { v: bigint }).v, 7n);
  const mx = decodeMap(s, def('@mx'), [{ key: u64(0n), values: [u64(3n), u64(9n)] }]);
  assert.equal((agg(mx) as { v: bigint }).v, 9n);
  const mn = decodeMap(s, def('@mn'), [{ key: u64(0n), values: [u64(0xffffffffn - 4n), u64(0xffffffffn - 2n)] }]);
  assert.equal((agg(mn) as { v: bigint }).v, 2n, 'the largest inverted value is the minimum');
  const h = decodeMap(s, def('@h'), [{ key: u64(0n, 11n), values: [u64(1n), u64(2n)] }, { key: u64(0n, 3n), values: [u64(4n), u64(0n)] }]);
  const hv = agg(h);
  assert.ok(hv.fn === 'hist');
  assert.deepEqual([...hv.buckets], [[3, 4n], [11, 3n]]);
  assert.equal(h.keyed, false);
});

test('ringbuf output and declared LRU maps (0.26)', (t) => {
  if (!need(t)) return;
  const empty = { exprs: new Map(), vars: new Map(), maps: new Map(), probes: new Map(), diagnostics: [] };
  const rb = compile(parse('BEGIN { printf("%d\\n", 5); }').program, empty, { output: 'ringbuf' });
  assert.equal(rb.maps[rb.output.map].mapType, 'ringbuf');
  const r = runProbe(rb, 0, runs(1));
  const e = r.events[0];
  assert.ok('kind' in e && e.kind === 'printf' && int(e.args[0]) === 5n);
  assert.equal(verifyProbe(rb, rb.probes[0]).verdict, 'accept');
  const lru = compileOk('let @x = lruhash(100);\nBEGIN { @x[1] = 2; }', '0.26');
  const d = lru.maps.find((m) => m.name === '@x');
  assert.equal(d?.mapType, 'lru_hash');
  assert.equal(d?.maxEntries, 100);
});

test('str() and pointer indexing read the recorded memory behind tracepoint pointers', (t) => {
  if (!need(t)) return;
  const fmt = kernel618()!.format('syscalls', 'sys_enter_execve')!;
  const off = (n: string): number => fmt.fields.find((f) => f.name === n)!.offset;
  const s = compileOk('tracepoint:syscalls:sys_enter_execve { printf("%s %s\\n", str(args->filename), str(args->argv[1])); }');
  const ctx = new Uint8Array(fmt.size + 8);
  const dv = new DataView(ctx.buffer);
  dv.setBigUint64(off('filename'), 0x7f0000001000n, true);
  dv.setBigUint64(off('argv'), 0x7f0000002000n, true);
  const argv = new Uint8Array(16);
  new DataView(argv.buffer).setBigUint64(0, 0x7f0000001000n, true);
  new DataView(argv.buffer).setBigUint64(8, 0x7f0000003000n, true);
  const memory = [
    { addr: 0x7f0000001000n, bytes: new TextEncoder().encode('/bin/ls\0') },
    { addr: 0x7f0000002000n, bytes: argv },
    { addr: 0x7f0000003000n, bytes: new TextEncoder().encode('-la\0') },
  ];
  const r = runProbe(s, 0, [ctx], { memory });
  assert.deepEqual(r.faults, []);
  const e = r.events[0];
  assert.ok('kind' in e && e.kind === 'printf');
  assert.deepEqual(e.args.map((a) => (a.t === 'str' ? new TextDecoder().decode(a.v) : a.t)), ['/bin/ls', '-la']);
});

test('decoders never throw on arbitrary bytes', () => {
  const empty = { exprs: new Map(), vars: new Map(), maps: new Map(), probes: new Map(), diagnostics: [] };
  const s = compile(parse('BEGIN { printf("%s %d\\n", "ab", 1); print(@h); @h = hist(2); @t[(1, "x")] = 1; @a = avg(3); exit(); }').program, empty);
  let seed = 12345;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rnd(256));
  for (let i = 0; i < 2000; i++) {
    const b = bytes(rnd(80));
    if (i % 3 === 0 && b.length >= 8) { b[0] = rnd(3); b.fill(0, 1, 8); }
    if (i % 3 === 1 && b.length >= 16) { b.set([0x30, 0x75, 0, 0, 0, 0, 0, 0]); b[8] = rnd(s.formats.length + 2); b.fill(0, 9, 16); }
    const r = decodeRecord(s, b);
    assert.ok('kind' in r || typeof r.error === 'string');
    const m = s.maps[rnd(s.maps.length)];
    const snap = decodeMap(s, m, [{ key: bytes(rnd(24)), values: [bytes(rnd(12)), bytes(rnd(12))] }]);
    assert.equal(snap.name, m.name);
  }
});

test('positional parameters: numbers as ints, text through str()', (t) => {
  if (!need(t)) return;
  const r0 = compileText('BEGIN { @n = $1 + 1; @c = $#; printf("%s\\n", str($2)); }', kernel618(), { target: '0.17', params: ['41', 'hello'] });
  // (The type checker may still flag str($2); bpftrace accepts it for positional parameters.)
  assert.deepEqual(r0.diagnostics.filter((d) => d.severity === 'error' && d.source === 'codegen'), []);
  const r = runProbe(r0.script!, 0, runs(1));
  assert.equal(scalarMap(r.maps, '@n'), 42n);
  assert.equal(scalarMap(r.maps, '@c'), 2n);
  const e = r.events[0];
  assert.ok('kind' in e && e.kind === 'printf' && e.args[0].t === 'str');
  assert.equal(new TextDecoder().decode(e.args[0].v), 'hello');
});

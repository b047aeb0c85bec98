// bpftrace constructs added to code generation after its first version, run on
// the VM and checked by our verifier: sizeof/offsetof values from the type
// checker, array/string indexes known only at run time, 0.26 macros (expanded
// before checking), getopt() options, unreachable code, sargN and usdt arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileOk, kernel618, runProbe, runs, verified } from './bpftrace-codegen-support';
import { compileText, parseStapsdtNotes, parseUsdtArgs, type CompiledScript } from '../../server/src/bpftrace/codegen';
import type { BtValue, MapSnapshot } from '../../server/src/bpftrace/output/values';
import { cmdCompile, scriptArgs, usdtFromFiles } from '../../server/src/cli/cmd-compile';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function need(t: { skip(m: string): void }): boolean {
  if (kernel618()) return true;
  console.log('SKIP: ../shared/kernel/6.18 data not present');
  t.skip('kernel 6.18 data not present');
  return false;
}

function val(maps: Map<string, MapSnapshot>, name: string, key?: bigint): bigint {
  const m = maps.get(name);
  assert.ok(m, `no map ${name}`);
  const e = key === undefined ? m.entries[0] : m.entries.find((x) => x.key[0] && 'v' in x.key[0] && x.key[0].v === key);
  const v = e?.value as BtValue | undefined;
  assert.ok(v && 't' in v && v.t === 'int', `${name}: not an int`);
  return v.v;
}

test('sizeof/offsetof take the type checker\'s values (BTF structs, expressions)', (t) => {
  if (!need(t)) return;
  const btf = kernel618()?.btf;
  const id = btf?.find('task_struct');
  assert.ok(btf && id !== undefined);
  const s = compileOk('// target: 0.26\nBEGIN { @sz = sizeof(struct task_struct); @off = offsetof(struct task_struct, pid); $s = "hello"; @st = sizeof($s); }');
  const r = runProbe(s, 0, runs(1));
  assert.deepEqual(r.faults, []);
  assert.equal(val(r.maps, '@sz'), BigInt(btf.sizeof(id) ?? -1));
  assert.ok(val(r.maps, '@off') > 0n && val(r.maps, '@off') < val(r.maps, '@sz'));
  assert.equal(val(r.maps, '@st'), 6n);
  verified(s);
});

test('run-time indexes: in bounds read the element, out of bounds (or negative) read 0', (t) => {
  if (!need(t)) return;
  const s = compileOk(`// target: 0.26
BEGIN { $s = "hello"; $i = 1; @c = $s[$i]; $j = 9; @oob = $s[$j]; $n = -1; @neg = $s[$n]; @lit = $s[4]; }`);
  const r = runProbe(s, 0, runs(1));
  assert.deepEqual(r.faults, []);
  assert.equal(val(r.maps, '@c'), BigInt('e'.charCodeAt(0)));
  assert.equal(val(r.maps, '@lit'), BigInt('o'.charCodeAt(0)));
  assert.equal(val(r.maps, '@oob'), 0n);
  assert.equal(val(r.maps, '@neg'), 0n);
  verified(s);
});

test('run-time index into a BTF array read through pointers passes our verifier', (t) => {
  if (!need(t)) return;
  const s = compileOk('// target: 0.26\nkprobe:vfs_read { $k = arg2 & 15; @auxv[$k] = curtask->mm->saved_auxv[$k]; }');
  verified(s);
  assert.deepEqual(runProbe(s, 0, runs(2)).faults, []);
});

const MACROS = `// target: 0.26
macro depth() { getopt("depth", 35, "Maximum depth") }
macro flag() { getopt("errname", false, "errname") }
macro add(a, $v, @m) { $tmp = a + 1; $v = $tmp * 2; @m[1] = $v; $tmp }
macro twice(x, $v) { add(x, $v, @out) + add(x, $v, @out2) }
BEGIN {
  $w = 0;
  $tmp = 100;
  @r = twice(3, $w);
  @w = $w;
  @tmp = $tmp;
  @d = (int64)depth;
  if flag { @g = 1; } else { @g = 2; }
  printf("%s\\n", getopt("name", "dflt"));
}`;

function compileWith(text: string, options?: Record<string, string>): CompiledScript {
  const r = compileText(text, kernel618(), { target: '0.26', ...(options ? { options } : {}) });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map((d) => d.message), []);
  assert.ok(r.script);
  return r.script;
}

test('macros: nested expansion, $var/@map/expression parameters, hygienic locals, bare parameterless macros', (t) => {
  if (!need(t)) return;
  const s = compileWith(MACROS);
  const r = runProbe(s, 0, runs(1));
  assert.deepEqual(r.faults, []);
  assert.equal(val(r.maps, '@r'), 8n, 'twice(3) = add(3) + add(3) = 4 + 4');
  assert.equal(val(r.maps, '@w'), 8n, 'the $v parameter writes the caller\'s $w');
  assert.equal(val(r.maps, '@tmp'), 100n, 'the macro\'s $tmp is its own');
  assert.equal(val(r.maps, '@out', 1n), 8n, '@m renamed to the caller\'s @out');
  assert.equal(val(r.maps, '@out2', 1n), 8n);
  assert.equal(val(r.maps, '@d'), 35n, 'getopt default');
  assert.equal(val(r.maps, '@g'), 2n);
  const text = r.events[0] && 'kind' in r.events[0] && r.events[0].kind === 'printf' ? r.events[0].args[0] : undefined;
  assert.deepEqual(text, { t: 'str', v: new TextEncoder().encode('dflt') });
  verified(s);
});

test('getopt(): named options given to the compiler replace the defaults', (t) => {
  if (!need(t)) return;
  const s = compileWith(MACROS, { depth: '12', errname: '', name: 'xy' });
  const r = runProbe(s, 0, runs(1));
  assert.equal(val(r.maps, '@d'), 12n);
  assert.equal(val(r.maps, '@g'), 1n, 'a flag given without a value is true');
  const e = r.events[0];
  assert.ok(e && 'kind' in e && e.kind === 'printf');
  assert.deepEqual(e.args[0], { t: 'str', v: new TextEncoder().encode('xy') });
  const bad = compileText(MACROS, kernel618(), { target: '0.26', options: { depth: 'deep' } });
  assert.ok(bad.diagnostics.some((d) => d.severity === 'error' && /--depth expects an integer/.test(d.message)));
});

test('macro misuse gives diagnostics, never throws: arity, recursion, a non-map for @m', () => {
  const cases: [string, RegExp][] = [
    ['macro m(a) { a }\nBEGIN { @x = m(1, 2); }', /takes 1 argument, 2 provided/],
    ['macro m(a) { m(a) }\nBEGIN { @x = m(1); }', /m\(\) is recursive/],
    ['macro m(a) { n(a) + n(a) }\nmacro n(b) { m(b) + m(b) }\nBEGIN { @x = m(1); }', /is recursive \(expanded inside m -> n\)/],
    ['macro m(@q) { @q[1] = 1; }\nBEGIN { m(3); }', /expects a map for @q/],
  ];
  for (const [src, re] of cases) {
    const r = compileText(src, undefined, { target: '0.26' });
    assert.ok(r.diagnostics.some((d) => re.test(d.message)), `${src}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  }
});

test('bpfstudio compile: words after -- are getopt() options (--name=value, --flag) and positional parameters', (t) => {
  assert.deepEqual(scriptArgs(['--depth=7', '--errname', 'x', '--s=a=b']), { options: { depth: '7', errname: '', s: 'a=b' }, params: ['x'] });
  if (!need(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'bpfstudio-getopt-'));
  try {
    const f = join(dir, 'g.bt');
    writeFileSync(f, 'BEGIN { printf("%d %d\\n", getopt("depth", 35), getopt("flag")); exit(); }');
    const asm = (argv: string[]): string => {
      const out: string[] = [];
      const rc = cmdCompile([f, '--target-version', '0.26', '--asm', ...argv], { out: (s: string) => out.push(s), err: (s: string) => out.push(s) } as unknown as Parameters<typeof cmdCompile>[1]);
      assert.equal(rc, 0, out.join('\n'));
      return out.join('\n');
    };
    assert.match(asm(['--', '--depth=7', '--flag']), /r7 = 7\n[^]*r7 = 1\n/);
    assert.match(asm([]), /r7 = 35\n[^]*r7 = 0\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nothing is generated after exit()/return: the program has no unreachable instructions', (t) => {
  if (!need(t)) return;
  const s = compileOk('BEGIN { printf("before\\n"); @x = 1; exit(); printf("after\\n"); @y = 2; }\nkprobe:vfs_read { if (arg2 > 1) { exit(); } else { @a = 1; } @b = 2; }');
  const r = runProbe(s, 0, runs(1));
  assert.deepEqual(r.events.map((e) => ('kind' in e ? e.kind : 'error')), ['printf', 'exit']);
  assert.equal(r.maps.get('@y')?.entries.length ?? 0, 0);
  verified(s);
  const k = runProbe(s, 1, [new Uint8Array(512)]);
  assert.equal(val(k.maps, '@b'), 2n, 'the else branch falls through to the rest');
});

test('sargN (0.17): the u64 at sp + 8 * (N + 1) of the probed function\'s stack', (t) => {
  if (!need(t)) return;
  const s = compileOk('kprobe:vfs_read { @s0 = sarg0; @s2 = sarg2; }');
  const ctx = new Uint8Array(512);
  new DataView(ctx.buffer).setBigUint64(152, 0xffff888000001000n, true); // pt_regs.sp
  const stack = new Uint8Array(32);
  const dv = new DataView(stack.buffer);
  dv.setBigUint64(8, 111n, true);
  dv.setBigUint64(24, 333n, true);
  const r = runProbe(s, 0, [ctx], { memory: [{ addr: 0xffff888000001000n, bytes: stack }] });
  assert.deepEqual(r.faults, []);
  assert.equal(val(r.maps, '@s0'), 111n);
  assert.equal(val(r.maps, '@s2'), 333n);
  verified(s);
});

test('print(@m, top, div) without values known when compiling is refused, never ignored', () => {
  const bad = compileText('BEGIN { @m[1] = 1; print(@m, @m[1]); }', undefined, { target: '0.17' });
  assert.ok(bad.diagnostics.some((d) => d.severity === 'error'), 'an error is reported');
  const ok = compileText('BEGIN { @m[1] = 1; print(@m, 2, 1); }', undefined, { target: '0.17' });
  assert.deepEqual(ok.diagnostics.filter((d) => d.severity === 'error'), []);
  assert.ok(ok.script?.formats.some((f) => f.action === 'print' && (f as { top?: number }).top === 2));
});

test('usdt argument specs: registers of any width, memory at register + offset, constants', () => {
  assert.deepEqual(parseUsdtArgs('-4@%edi 8@-80(%rbx) 2@$5 1@(%r12)'), [
    { size: 4, signed: true, k: 'reg', reg: 'di' },
    { size: 8, signed: false, k: 'mem', reg: 'bx', off: -80 },
    { size: 2, signed: false, k: 'imm', v: 5n },
    { size: 1, signed: false, k: 'mem', reg: 'r12', off: 0 },
  ]);
  assert.equal(typeof parseUsdtArgs('8@0(%rax,%rbx,8)'), 'string', 'indexed operands are refused with a message');
  assert.deepEqual(parseStapsdtNotes(new Uint8Array(10)), [], 'not an ELF: no notes, no throw');
});

test('usdt arg0..argN: compiled from the spec, read on the VM from pt_regs and user memory', (t) => {
  if (!need(t)) return;
  const spec = '-4@%edi 8@-16(%rbx) 4@$7';
  const r = compileText('usdt:/bin/app:prov:evt { @a = arg0; @b = arg1; @c = arg2; }', kernel618(), {
    target: '0.17', usdt: (path, provider, name) => (path === '/bin/app' && provider === 'prov' && name === 'evt' ? spec : undefined),
  });
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const s = r.script!;
  const ctx = new Uint8Array(512);
  const dv = new DataView(ctx.buffer);
  dv.setBigUint64(112, 0x1_ffff_fffen, true); // pt_regs.di: low 32 bits = -2
  dv.setBigUint64(40, 0x7f0000001010n, true); // pt_regs.bx
  const mem = new Uint8Array(8);
  new DataView(mem.buffer).setBigUint64(0, 4242n, true);
  const run = runProbe(s, 0, [ctx], { memory: [{ addr: 0x7f0000001000n, bytes: mem }] });
  assert.deepEqual(run.faults, []);
  assert.equal(BigInt.asIntN(64, val(run.maps, '@a')), -2n);
  assert.equal(val(run.maps, '@b'), 4242n);
  assert.equal(val(run.maps, '@c'), 7n);
  verified(s);
  const none = compileText('usdt:/bin/app:prov:evt { @a = arg0; }', kernel618(), { target: '0.17' });
  assert.ok(none.diagnostics.some((d) => d.severity === 'warning' && /argument spec of usdt probe/.test(d.message)), 'no spec: a warning says what is read instead');
  assert.deepEqual(none.diagnostics.filter((d) => d.severity === 'error'), []);
});

test('usdt notes of a real binary (libstdc++) compile into verified programs', (t) => {
  const lib = '/lib/x86_64-linux-gnu/libstdc++.so.6';
  if (!need(t)) return;
  if (!existsSync(lib)) {
    console.log(`SKIP: ${lib} not present`);
    t.skip(`${lib} not present`);
    return;
  }
  const notes = parseStapsdtNotes(readFileSync(lib));
  assert.ok(notes.some((n) => n.provider === 'libstdcxx' && n.name === 'throw'), 'libstdcxx:throw note');
  const r = compileText(`usdt:${lib}:libstdcxx:throw { @t[arg0, arg1] = count(); }`, kernel618(), { target: '0.17', usdt: usdtFromFiles() });
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  verified(r.script!);
});

test('for ranges: a..b is half-open, empty when b <= a, bounds may be variables, break/continue work', (t) => {
  if (!need(t)) return;
  const s = compileOk(`// target: 0.26
BEGIN {
  $s = 0; for $i : 2..6 { $s += $i; } @sum = $s;
  $e = 0; for $i : 5..2 { $e++; } @empty = $e;
  $lo = 1; $hi = 10; $o = 0;
  for $i : $lo..$hi { if ($i == 3) { continue; } if ($i == 6) { break; } $o += $i; }
  @odd = $o;
}`);
  const r = runProbe(s, 0, runs(1));
  assert.deepEqual(r.faults, []);
  assert.equal(val(r.maps, '@sum'), 14n);
  assert.equal(val(r.maps, '@empty'), 0n);
  assert.equal(val(r.maps, '@odd'), 1n + 2n + 4n + 5n);
  verified(s);
});

test('syscall_name(): x86-64 names compiled in, "Unknown syscall" otherwise (negative numbers too)', (t) => {
  if (!need(t)) return;
  const s = compileOk(`// target: 0.26
BEGIN { printf("%s %s %s %s %s\\n", syscall_name(0), syscall_name(257), syscall_name(469), syscall_name(1000), syscall_name(-1)); }`);
  const r = runProbe(s, 0, runs(1));
  assert.deepEqual(r.faults, []);
  const e = r.events[0];
  assert.ok(e && 'kind' in e && e.kind === 'printf');
  assert.deepEqual(e.args.map((a) => (a.t === 'str' ? new TextDecoder().decode(a.v) : a.t)), ['read', 'openat', 'file_setattr', 'Unknown syscall', 'Unknown syscall']);
  verified(s);
});

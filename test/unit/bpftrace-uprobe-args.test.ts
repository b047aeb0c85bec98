/**
 * uprobe `args` from DWARF through the type checker, code generation, our
 * verifier and replay, on test/fixtures/uprobe/uprobe-args.c built with gcc -g
 * in a temp dir (the host reader gives KernelTypes.uprobeArgs). Messages are
 * bpftrace 0.17's, checked by hand against it on this machine (ranges as its
 * `stdin:L:C-C` columns); the replayed events are hand-made register values
 * and memory. Needs gcc (SKIP otherwise), not root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkScript } from '../../server/src/bpftrace/check';
import { compileForReplay, replay } from '../../server/src/bpftrace/replay';
import { verifyProbe } from '../../server/src/bpftrace/codegen';
import { recorderFor } from '../../server/src/bpftrace/replay-recorder';
import { parse } from '../../server/src/bpftrace/parser';
import { typeName } from '../../server/src/bpftrace/types';
import { uprobeArgs } from '../../server/src/host/kernel-info-dwarf';
import type { TraceEvent } from '../../server/src/trace/v1';
import { build } from './uprobe-build';

const dir = mkdtempSync(join(tmpdir(), 'bt-uprobe-args-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const kernel = { tracepointFields: (): undefined => undefined, uprobeArgs };

function binary(t: { skip(m: string): void }, flags = ['-g'], out = 'prog'): string | undefined {
  const b = build(dir, { name: `gcc ${flags.join(' ')}`, cc: 'gcc', flags }, out);
  if ('skip' in b) {
    console.log(`SKIP: ${b.skip}`);
    t.skip(b.skip);
    return undefined;
  }
  return b.path;
}

/** Diagnostics as 'severity start-end message' with bpftrace-style columns found from `at` in the script. */
function diags(script: string): string[] {
  return checkScript(script, '0.17', kernel).diagnostics.map((d) => `${d.severity} ${d.range.start}-${d.range.end} ${d.message}`);
}

test('uprobe args: types from DWARF', (t) => {
  const bin = binary(t);
  if (!bin) return;
  const s = `uprobe:${bin}:usept { $p = args->p; printf("%d %d %s %d %d %d\\n", $p->x, args->p->y, args->p->name, args->col, args->flag, args->v); }`;
  const r = checkScript(s, '0.17', kernel);
  assert.deepEqual(r.diagnostics, []);
  const types = [...(r.types?.exprs ?? [])].filter(([e]) => e.kind === 'Field').map(([e, ty]) => `${(e as { field: string }).field}:${typeName(ty)}`);
  assert.deepEqual(types, ['p:struct pt *', 'x:int32', 'p:struct pt *', 'y:int64', 'p:struct pt *', 'name:string[8]', 'col:uint32', 'flag:uint8', 'v:uint64']);
  // Casts look struct names up in the binary first (bpftrace 0.17's FieldAnalyser).
  const c = checkScript(`uprobe:${bin}:nested { $o = (struct outer *)arg0; printf("%d %s\\n", $o->tag, $o->in.name); }`, '0.17', kernel);
  assert.deepEqual(c.diagnostics, []);
  assert.deepEqual([...(c.types?.exprs ?? [])].filter(([e]) => e.kind === 'Field').map(([, ty]) => typeName(ty)), ['uint16', 'struct pt', 'string[8]']);
});

test('uprobe args: bpftrace 0.17 messages and ranges', (t) => {
  const bin = binary(t);
  const nodbg = binary(t, [], 'nodbg');
  if (!bin || !nodbg) return;
  const at = (s: string, sub: string): string => `${s.indexOf(sub)}-${s.indexOf(sub) + sub.length}`;
  let s = `uprobe:${bin}:add { printf("%d\\n", args->zz); }`;
  assert.deepEqual(diags(s), [`error ${at(s, 'args->zz')} Can't find function parameter zz`]);
  s = `uprobe:${bin}:nosuchfn { printf("%d\\n", args->a); }`;
  assert.deepEqual(diags(s), [`error ${at(s, 'args->a')} Can't find function parameter a`]);
  s = `uprobe:${nodbg}:add { printf("%d\\n", args->a); }`;
  assert.deepEqual(diags(s), [`error ${at(s, `uprobe:${nodbg}:add`)} No debuginfo found for ${nodbg}`]);
  s = `uprobe:${bin}:usept { printf("%d %d\\n", args->p->x, args->u->a); }`;
  assert.deepEqual(diags(s), [`error ${at(s, 'args->u->a')} Struct/union of type 'union un' does not contain a field named 'a'`]);
  s = `uprobe:${bin}:fl { printf("%d\\n", args->i); $f = args->f; }`;
  const fl = diags(s);
  assert.ok(fl.includes(`error ${at(s, 'args->f')} f has unsupported type`), fl.join('\n'));
  // Not bpftrace's: it reads register dx for i, where the ABI put it in di (the floats went to xmm0/1).
  assert.ok(fl.some((d) => d.startsWith(`warning ${at(s, 'args->i')} i: bpftrace reads argument 2 from register dx, but the System V ABI passes it in di`)), fl.join('\n'));
  s = `uretprobe:${bin}:add { printf("%d\\n", args->a); }`;
  const a = s.indexOf('args->a');
  assert.deepEqual(diags(s), [`error ${a}-${a + 4} The args builtin can only be used with tracepoint/kfunc/uprobeprobes (uretprobe used here)`]);
  s = `uprobe:${dir}/missing:add { printf("%d\\n", args->a); }`;
  assert.deepEqual(diags(s), [`error ${at(s, `uprobe:${dir}/missing:add`)} uprobe target file '${dir}/missing' does not exist or is not executable`]);
  // Wildcards: every match (functions with code) must have the same parameter names.
  s = `uprobe:${bin}:*e* { printf("%d\\n", args->a); }`;
  assert.deepEqual(diags(s), [`error ${at(s, `uprobe:${bin}:*e*`)} Probe has attach points with mixed arguments`]);
  assert.deepEqual(diags(`uprobe:${bin}:a* { printf("%d\\n", args->a); }`), []);
  s = `uprobe:${bin}:add, uprobe:${bin}:small { printf("%d\\n", args->a); }`;
  assert.deepEqual(diags(s), [`error ${s.indexOf(', ') + 1}-${s.indexOf(' {')} Probe has attach points with mixed arguments`]);
  // Refused where bpftrace reads garbage (struct by value) or fails to compile (7th argument).
  s = `uprobe:${bin}:many { printf("%d %d\\n", args->a6, args->a7); }`;
  assert.deepEqual(diags(s), [`error ${at(s, 'args->a7')} a7 is argument 7 of many: only the first 6 arguments are in registers (bpftrace 0.17 fails with "array::at: __n (which is 6) >= _Nm (which is 6)")`]);
  s = `uprobe:${bin}:byval { print(args->p); }`;
  assert.match(diags(s).join('\n'), /error \d+-\d+ p is a struct pt passed by value: bpftrace reads register di/);
});

test('uprobe args: compiled code passes our verifier and replays hand-made registers and memory', (t) => {
  const bin = binary(t);
  if (!bin) return;
  const script = `uprobe:${bin}:add { printf("%d %d %u %d %u %s\\n", args->a, args->b, args->c, args->d, args->e, str(args->s)); @d = args->d; @lt = args->d < 0; }
uprobe:${bin}:nested { printf("%d %d %s %d\\n", args->o->in.x, args->o->tag, args->o->in.name, args->o->next->tag); }
`;
  const c = compileForReplay(script, kernel, { target: '0.17' });
  assert.deepEqual(c.diagnostics, []);
  assert.ok(c.script);
  for (const p of c.script.probes) assert.equal(verifyProbe(c.script, p, {}).verdict, 'accept', p.attachPoints.join());
  const ev = (fn: string, args: Record<string, bigint>, mem: Record<string, string>): TraceEvent => ({ probe: `uprobe:${bin}:${fn}`, ts: 1000, cpu: 0, pid: 7, tid: 7, uid: 0, gid: 0, comm: 'prog', args, mem });
  const le = (v: bigint, n: number): string => Array.from({ length: n }, (_, i) => Number((BigInt.asUintN(n * 8, v) >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0')).join('');
  const name = (s: string, n: number): string => [...new TextEncoder().encode(s)].map((b) => b.toString(16).padStart(2, '0')).join('').padEnd(2 * n, '0');
  // struct outer at 0x1000: in {x, y, name[8]} @0, tag @24, next @32 -> a second outer at 0x2000 with tag 77.
  const outer = (x: bigint, tag: bigint, next: bigint, nm: string): string => le(x, 4) + le(0n, 4) + le(-8n, 8) + name(nm, 8) + le(tag, 2) + le(0n, 6) + le(next, 8);
  const events = [
    // d is a short: the register holds 0x00000000fffffffd, as gcc leaves it; bpftrace uses the whole register.
    ev('add', { a: 0xffffffffn, b: -5n, c: 200n, d: 0xfffffffdn, e: 4000000000n, s: 0x5000n }, { '0x5000': name('hi', 3) }),
    ev('nested', { o: 0x1000n }, { '0x1000': outer(7n, 9n, 0x2000n, 'inner'), '0x2000': outer(1n, 77n, 0n, 'x') }),
  ];
  let text = '';
  const g = replay(c.script, events, { format: 'text', version: '0.17', kernel: {}, program: c.program, source: script, nrCpus: 1 });
  for (let r = g.next(); !r.done; r = g.next()) text += r.value;
  assert.equal(text, 'Attaching 2 probes...\n-1 -5 200 -3 4000000000 hi\n7 9 inner 77\n\n\n@d: 4294967293\n@lt: 0\n');
});

test('uprobe args: the recorder records raw registers', () => {
  const r = recorderFor(parse('uprobe:/bin/x:f { printf("%d %s\\n", args->n, str(args->s)); }').program, {});
  assert.deepEqual(r.clauses[0]?.fields.map((f) => f.expr), ['(uint64)args->n', 'str(args->s)']);
});

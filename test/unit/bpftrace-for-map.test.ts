// `for ($kv : @map)` (bpftrace 0.21+) and `for ($i : a..b)` (0.24+) end to end.
// Each fixture in test/fixtures/bpftrace/for-map/*.bt (with NAME.trace.jsonl when
// it has probes other than BEGIN/END) compiles to bpf_for_each_map_elem / bpf_loop
// callbacks, replays on the VM printing NAME.stdout, passes our verifier, and
// loads into the running kernel where this machine allows it (one ELF object per
// program, callbacks in .text). The expected outputs were derived from
// bpftrace's documented semantics and its own runtime tests (tests/runtime/for
// upstream): the bpftrace installed here (0.17) predates for-loops, so no
// real-bpftrace comparison is possible. The VM visits hash entries in insertion order; the kernel's order
// differs (bpftrace's tests accept any order), so the outputs fix that order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileText, toEmitSpec, verifyProbe, type CompiledScript } from '../../server/src/bpftrace/codegen';
import { compileForReplay, replay } from '../../server/src/bpftrace/replay';
import { TraceReader, type TraceEvent } from '../../server/src/trace/v1';
import { emitObject } from '../../server/src/elf/emit';
import { parseObject } from '../../server/src/elf/object';
import { PSEUDO } from '../../server/src/isa/opcodes';
import { loadWithKernelAsync } from '../../server/src/host/bpftool';
import { kernelUnavailable } from '../../server/src/host/kernel-access';
import { kernel618, targetOf } from './bpftrace-codegen-support';

const DIR = join(__dirname, '..', 'fixtures', 'bpftrace', 'for-map');

interface Fixture { file: string; text: string; target: string; trace?: string; stdout: string }

function fixtures(): Fixture[] {
  return readdirSync(DIR).filter((f) => f.endsWith('.bt')).sort().map((file) => {
    const base = join(DIR, file.slice(0, -3));
    const text = readFileSync(join(DIR, file), 'utf8');
    return {
      file, text, target: targetOf(text),
      ...(existsSync(`${base}.trace.jsonl`) ? { trace: readFileSync(`${base}.trace.jsonl`, 'utf8') } : {}),
      stdout: readFileSync(`${base}.stdout`, 'utf8'),
    };
  });
}

function need(t: { skip(m: string): void }): boolean {
  if (kernel618()) return true;
  console.log('SKIP: ../shared/kernel/6.18 data not present');
  t.skip('kernel 6.18 data not present');
  return false;
}

function compiled(f: Fixture): CompiledScript {
  const r = compileText(f.text, kernel618(), { target: f.target });
  const errors = r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.source}: ${d.message}`);
  assert.deepEqual(errors, [], `${f.file} compiles`);
  assert.ok(r.script);
  return r.script;
}

/** What `bpfstudio run` prints on stdout (the 0.26 attach banner goes to stderr). */
function replayed(f: Fixture): { out: string; problems: string[] } {
  const k = kernel618();
  const kernel = { ...(k?.btf ? { btf: k.btf } : {}), tracepoint: (c: string, e: string) => k?.format(c, e) };
  const c = compileForReplay(f.text, kernel, { target: f.target });
  const problems = c.diagnostics.filter((d) => d.severity === 'error').map((d) => `compile: ${d.message}`);
  if (!c.script) return { out: '', problems };
  const events: TraceEvent[] = [];
  const reader = new TraceReader();
  (f.trace ?? '').split('\n').forEach((l, i) => {
    const x = reader.pushLine(l, i + 1);
    if (x.kind === 'event') events.push(x.event);
  });
  let out = '';
  for (const s of replay(c.script, events, {
    format: 'text', version: f.target, kernel, program: c.program, source: f.text,
    onStderr: () => undefined, onDiagnostic: (d) => problems.push(`${d.probe}: ${d.message}`),
  })) out += s;
  return { out, problems };
}

test('for-map fixtures: replay prints what bpftrace prints', (t) => {
  if (!need(t)) return;
  const all = fixtures();
  assert.ok(all.length >= 8);
  for (const f of all) {
    const r = replayed(f);
    assert.deepEqual(r.problems, [], f.file);
    assert.equal(r.out, f.stdout, `${f.file}: replay output`);
  }
});

test('for-map fixtures: callbacks follow the probe code; our verifier and the kernel accept them', async (t) => {
  if (!need(t)) return;
  const btf = kernel618()?.btf;
  let total = 0;
  const objects: { name: string; bytes: Uint8Array }[] = [];
  for (const f of fixtures()) {
    const s = compiled(f);
    s.probes.forEach((p, i) => {
      total++;
      // Every lddw src=4 points at the start of one of the probe's callbacks.
      for (const x of p.insns) {
        if (x.spec.kind === 'lddw' && x.src === PSEUDO.FUNC) assert.ok(p.subprogs?.includes(x.pc + x.imm + 1), `${f.file}: callback address`);
      }
      const v = verifyProbe(s, p, btf ? { btf } : {});
      assert.equal(v.verdict, 'accept', `our verifier rejects ${f.file} ${p.attachPoints[0]}: ${v.errors[0]?.message} (insn ${v.errors[0]?.pc})`);
      const one: CompiledScript = { ...s, probes: [p] };
      const o = emitObject(toEmitSpec(one, f.text, f.file));
      assert.deepEqual(o.diagnostics, [], `${f.file}: ELF`);
      objects.push({ name: `${f.file}.${i}`, bytes: o.bytes });
    });
  }
  const why = kernelUnavailable()?.reason;
  let kernelLine = `kernel: skipped (${why})`;
  if (why) console.log(`SKIP: kernel loading: ${why}`);
  else {
    const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-formap-'));
    try {
      const verdicts = await Promise.all(objects.map((o) => {
        const file = join(tmp, `${o.name}.o`);
        writeFileSync(file, o.bytes);
        return loadWithKernelAsync(file, { timeoutMs: 60_000 }).then((k) => ({ o, k }));
      }));
      const bad = verdicts.filter((x) => x.k.verdict !== 'accept').map((x) => `${x.o.name}: ${x.k.message}`);
      assert.deepEqual(bad, [], 'the kernel loads every program');
      kernelLine = `${verdicts.length}/${total} load into the kernel`;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  console.log(`for-map fixtures: ${total}/${total} pass our verifier, ${kernelLine}`);
});

test('for-map ELF: callbacks are static .text functions with func_info, reached by lddw + R_BPF_64_64 on .text', (t) => {
  if (!need(t)) return;
  const f = fixtures().find((x) => x.file === 'nested.bt');
  assert.ok(f);
  const s = compiled(f);
  const p = s.probes[0];
  assert.equal(p.subprogs?.length, 4, 'two loops, each with a nested loop');
  const o = emitObject(toEmitSpec({ ...s, probes: [p] }, f.text, f.file));
  const obj = parseObject(o.bytes);
  assert.ok(obj.object);
  const subs = obj.object.programs.filter((x) => x.subprog);
  assert.equal(subs.length, 4);
  assert.ok(subs.every((x) => x.section === '.text'));
  const fp = obj.object.relocations.filter((r) => r.kind === 'func_ptr');
  assert.equal(fp.length, 4);
  assert.deepEqual(new Set(fp.map((r) => r.target)), new Set(subs.map((x) => x.name)));
  // Each callback has a func_info record (the kernel wants them: "missing btf func_info").
  const fi = obj.object.btfExt?.funcInfo.find((x) => x.section === '.text');
  assert.equal(fi?.records.length, 4);
});

test('for-map errors use bpftrace\'s wording', (t) => {
  if (!need(t)) return;
  const errs = (text: string, target = '0.26'): string[] =>
    compileText(text, kernel618(), { target }).diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
  const has = (text: string, msg: string | RegExp, target = '0.26'): void => {
    const e = errs(text, target);
    assert.ok(e.some((m) => (typeof msg === 'string' ? m === msg : msg.test(m))), `${text}: ${e.join(' | ')}`);
  };
  has('BEGIN { @m = 1; for ($kv : @m) { } }', '@m has no explicit keys (scalar map), and cannot be used for iteration');
  has('BEGIN { @m[1] = hist(10); for ($kv : @m) { } }', 'Loop expression does not support type: hist_t');
  has('BEGIN { @m[1] = stats(10); for ($kv : @m) { } }', 'Loop expression does not support type: stats_t');
  has('kprobe:vfs_read { @m[1] = 1; for ($kv : @m) { $x = arg0; } }', '\'arg0\' builtin is not allowed in a for-loop');
  has('BEGIN { @m[1] = lhist(3, 0, 10, 1); for ($kv : @m) { } }', 'Loop expression does not support type: lhist_t');
  has('BEGIN { @m[1] = 1; for ($kv : @m) { } }', /for.*loops over maps.*0\.21/, '0.20');
  // Before 0.24 no jumps in the body; before 0.22 no variables of the probe, and loops in one probe only.
  has('BEGIN { @m[1] = 1; for ($kv : @m) { if ($kv.1 == 1) { break; } } }', '\'break\' statement is not allowed in a for-loop', '0.23');
  has('BEGIN { @m[1] = 1; for ($kv : @m) { return; } }', '\'return\' statement is not allowed in a for-loop', '0.21');
  has('BEGIN { @m[1] = 1; $x = 1; for ($kv : @m) { print($x); } }', 'Variables defined outside of a for-loop can not be accessed in the loop\'s scope', '0.21');
  has('BEGIN { @m[1] = 1; for ($kv : @m) { } } END { for ($kv : @m) { } }', 'Currently, for-loops can be used only in a single probe.', '0.21');
  assert.deepEqual(errs('BEGIN { @m[1] = 1; $x = 1; for ($kv : @m) { print($x); } } END { for ($kv : @m) { } }', '0.22'), []);
  assert.deepEqual(errs('BEGIN { @m[1] = avg(1); for ($kv : @m) { if ($kv.1 > 0) { continue; } } }', '0.24'), []);
  assert.deepEqual(errs('BEGIN { @m[1] = 1; for ($kv : @m) { } }'), []);
});

// Probe kinds beyond the tracing basics (test/fixtures/bpftrace/probe-kinds):
// iter (BPF_TRACE_ITER tracing programs, printf as bpf_seq_printf with the
// format in .rodata, NULL context members end the program), watchpoint and
// asyncwatchpoint (perf_event), self (raw tracepoint) and test/bench (XDP),
// as bpftrace 0.26 loads them. Each compiles, passes our verifier and —
// where this machine can load BPF — the kernel; iter:task also runs as a
// pinned iterator and must list this process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileText, toEmitSpec, verifyProbe, type CompiledScript } from '../../server/src/bpftrace/codegen';
import { emitObject } from '../../server/src/elf/emit';
import { loadWithKernel } from '../../server/src/host/bpftool';
import { kernelUnavailable } from '../../server/src/host/kernel-access';
import { kernel618, targetOf } from './bpftrace-codegen-support';

const DIR = join(__dirname, '..', 'fixtures', 'bpftrace', 'probe-kinds');

/** What each fixture must compile to: section and program type per probe. */
const EXPECT: Record<string, [string, string][]> = {
  'iter-task.bt': [['iter/task', 'tracing']],
  'iter-task-file.bt': [['iter/task_file', 'tracing']],
  'iter-task-vma.bt': [['iter/task_vma', 'tracing']],
  'watchpoint.bt': [['perf_event', 'perf_event']],
  'asyncwatchpoint.bt': [['perf_event', 'perf_event']],
  'self.bt': [['raw_tp/self_signal_SIGUSR1', 'raw_tracepoint']],
  'test-bench.bt': [['xdp', 'xdp'], ['xdp', 'xdp']],
};


function compileFixture(file: string): CompiledScript {
  const text = readFileSync(join(DIR, file), 'utf8');
  const r = compileText(text, kernel618(), { target: targetOf(text) });
  const errors = r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.source}: ${d.message}`);
  assert.deepEqual(errors, [], `${file} compiles`);
  assert.ok(r.script, file);
  return r.script;
}

/** Whether this machine can load BPF into the kernel (else a SKIP line and the test is skipped). */
function canLoad(t: { skip(m: string): void }): boolean {
  const why = kernelUnavailable()?.reason;
  if (!why) return true;
  console.log(`SKIP: kernel loading: ${why}`);
  t.skip(why);
  return false;
}

function objectFor(s: CompiledScript, i: number): Uint8Array {
  const spec = toEmitSpec({ ...s, probes: [s.probes[i]] });
  const r = emitObject(spec);
  assert.ok(r.bytes, r.diagnostics.map((d) => d.message).join('; '));
  return r.bytes;
}

test('probe kinds compile to bpftrace\'s program types and pass our verifier', (t) => {
  if (!kernel618()) {
    console.log('SKIP: ../shared/kernel/6.18 data not present');
    t.skip('kernel data not present');
    return;
  }
  const files = readdirSync(DIR).filter((f) => f.endsWith('.bt')).sort();
  assert.deepEqual(files, Object.keys(EXPECT).sort());
  let total = 0;
  for (const f of files) {
    const s = compileFixture(f);
    assert.deepEqual(s.probes.map((p) => [p.name, p.progType]), EXPECT[f], f);
    for (const p of s.probes) {
      total++;
      const v = verifyProbe(s, p, { btf: kernel618()?.btf });
      assert.equal(v.verdict, 'accept', `${f} ${p.name}: ${v.errors[0]?.message}`);
    }
  }
  console.log(`probe kinds: ${total}/${total} pass our verifier`);
});

test('iter probes: printf is bpf_seq_printf with the format in .rodata; ctx->task is checked for NULL', () => {
  if (!kernel618()) return;
  const s = compileFixture('iter-task.bt');
  const rodata = s.maps.find((m) => m.name === '.rodata');
  assert.ok(rodata?.initial, '.rodata map');
  assert.equal(new TextDecoder().decode(rodata.initial), '%s:%d\n\0');
  const insns = s.probes[0].insns;
  assert.ok(insns.some((x) => x.spec.kind === 'call' && x.imm === 126), 'calls bpf_seq_printf (#126)');
  assert.ok(!insns.some((x) => x.spec.kind === 'call' && x.imm === 25), 'no perf_event_output');
  // ctx->task read directly from the context (offset 8) and compared with 0.
  const i = insns.findIndex((x) => x.spec.name === 'ldxdw' && x.src === 6 && x.off === 8);
  assert.ok(i >= 0 && insns[i + 1].spec.name === 'jeq' && insns[i + 1].imm === 0, 'NULL check after the ctx->task load');
  // The ELF carries .rodata as a data section the lddw points into (libbpf creates the map).
  const spec = toEmitSpec(s);
  assert.deepEqual(spec.data?.map((d) => d.section), ['.rodata']);
  assert.ok(!spec.maps?.some((m) => m.name.includes('rodata')));
  assert.ok(spec.programs[0].relocs?.some((r) => r.kind === 'data' && r.target === '.rodata'));
});

test('probe kinds load into the running kernel; iter:task runs as a pinned iterator and lists this process', (t) => {
  if (!kernel618()) return;
  if (!canLoad(t)) return;
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-kinds-'));
  try {
    let pass = 0;
    let total = 0;
    for (const f of Object.keys(EXPECT)) {
      const s = compileFixture(f);
      s.probes.forEach((p, i) => {
        total++;
        const o = join(tmp, `${f}.${i}.o`);
        writeFileSync(o, objectFor(s, i));
        const k = loadWithKernel(o, { timeoutMs: 60_000 });
        if (k.verdict === 'accept') pass++;
        else console.log(`  kernel rejects ${f} ${p.name}: ${k.message}`);
      });
    }
    console.log(`probe kinds: ${pass}/${total} load into the kernel`);
    assert.equal(pass, total);
    // Run iter:task: pin the iterator, read it, expect "node:<our pid>" (comm of this process's main thread).
    const o = join(tmp, 'iter.o');
    writeFileSync(o, objectFor(compileFixture('iter-task.bt'), 0));
    const pin = `/sys/fs/bpf/bpfstudio_iter_${process.pid}`;
    const r = spawnSync('bpftool', ['iter', 'pin', o, pin], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0 || !existsSync(pin)) {
      console.log(`SKIP: bpftool iter pin failed here: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
      return;
    }
    try {
      const out = readFileSync(pin, 'utf8');
      const comm = readFileSync(`/proc/${process.pid}/comm`, 'utf8').trim();
      assert.ok(out.split('\n').includes(`${comm}:${process.pid}`), `iterator output lists ${comm}:${process.pid}`);
      assert.ok(!out.includes(':0\n:0'), 'no line for the final NULL task');
      console.log(`iter:task printed ${out.split('\n').length - 1} tasks`);
    } finally {
      rmSync(pin, { force: true });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('path() in iter:task_file: bpf_d_path on ctx->file->f_path; the kernel runs it and prints this process\'s open files', (t) => {
  if (!kernel618()) return;
  const text = `iter:task_file /ctx->task->pid == ${process.pid}/ { printf("%d:%s\\n", ctx->fd, path(ctx->file->f_path)); }`;
  const r = compileText(text, kernel618(), { target: '0.26' });
  assert.ok(r.script, r.diagnostics.map((d) => d.message).join('; '));
  const insns = r.script.probes[0].insns;
  assert.ok(insns.some((x) => x.spec.kind === 'call' && x.imm === 147), 'calls bpf_d_path (#147)');
  // &file->f_path is a struct path at a fixed offset of struct file: accepted as the kernel does (btf_struct_ids_match).
  const v = verifyProbe(r.script, r.script.probes[0], { btf: kernel618()?.btf });
  assert.equal(v.verdict, 'accept', v.errors[0]?.message);
  if (!canLoad(t)) return;
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-path-'));
  const pin = `/sys/fs/bpf/bpfstudio_path_${process.pid}`;
  try {
    const o = join(tmp, 'path.o');
    writeFileSync(o, objectFor(r.script, 0));
    const p = spawnSync('bpftool', ['iter', 'pin', o, pin], { encoding: 'utf8', timeout: 30_000 });
    if (p.status !== 0 || !existsSync(pin)) {
      console.log(`SKIP: bpftool iter pin failed here: ${(p.stderr || p.stdout).trim().split('\n').pop()}`);
      return;
    }
    const lines = readFileSync(pin, 'utf8').split('\n').filter(Boolean);
    const fds = readdirSync(`/proc/${process.pid}/fd`);
    assert.ok(lines.length > 0, 'some open files');
    // Every line is "fd:path" for one of our fds; the paths are the kernel's (d_path) names.
    let matched = 0;
    for (const l of lines) {
      const [fd, ...rest] = l.split(':');
      assert.ok(fds.includes(fd), `fd ${fd} is ours`);
      let link = '';
      try { link = readlinkSync(`/proc/${process.pid}/fd/${fd}`); } catch { continue; }
      if (rest.join(':') === link || (!link.startsWith('/') && link.includes('['))) matched++;
    }
    assert.ok(matched >= 1, lines.join('; '));
    console.log(`path(): ${lines.length} open files listed, ${matched} equal to /proc's links`);
  } finally {
    rmSync(pin, { force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
});


// The verifier corpus (test/fixtures/verifier) is well formed and still true: markers parse, the
// manifest is current, every program has a recorded kernel answer that matches its marker's
// intent, every group compiles (needs clang), and a sample of programs loaded into the running
// kernel with bpftool still gets the recorded verdict, message and instruction (needs root).
// The whole set is re-checked by `node --import tsx scripts/record-verifier.ts --check`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBpftoolOutput, parseVerifierLog, rawLoader } from '../../server/src/host/bpftool';
import { kernelUnavailable } from '../../server/src/host/kernel-access';
import {
  compile, loadGroups, loadProgram, manifestOf, MANIFEST, pool, readExpected, ROOT, sameAnswer, unitSource,
  type FixtureProgram, type Group, type ManifestEntry,
} from '../fixtures/verifier/corpus';

/** The checks the issue lists under "What it models"; each needs at least one program (R = a rejected one too). */
const CHECKS: Record<string, 'R' | 'A' | 'AR'> = {
  'cfg.jump_range': 'R', 'cfg.unreachable': 'R', 'cfg.fall_off': 'R', 'cfg.opcode': 'R', 'cfg.reserved': 'R',
  'cfg.ld_imm64': 'AR', 'cfg.call_target': 'R', 'cfg.frames': 'AR', 'cfg.stack_total': 'AR',
  'reg.uninit': 'AR', 'reg.fp_readonly': 'R',
  'scalar.bounds': 'AR', 'scalar.tnum': 'AR', 'scalar.linked': 'AR', 'scalar.jmp32': 'AR', 'ptr.arith': 'AR', 'ptr.leak': 'AR', 'ptr.compare': 'AR',
  'ctx.socket_filter': 'AR', 'ctx.kprobe': 'AR', 'ctx.tracepoint': 'AR', 'ctx.raw_tracepoint': 'AR', 'ctx.tp_btf': 'AR',
  'ctx.perf_event': 'AR', 'ctx.xdp': 'AR', 'ctx.sched_cls': 'AR', 'ctx.cgroup_skb': 'AR', 'ctx.fentry': 'R', 'ctx.modified': 'R',
  'stack.uninit': 'AR', 'stack.bounds': 'AR', 'stack.spill': 'AR', 'stack.align': 'R', 'stack.varoff': 'AR',
  'helper.map': 'AR', 'helper.args': 'AR', 'helper.probe_read': 'AR', 'helper.ringbuf': 'AR', 'helper.sk_lookup': 'AR',
  'helper.loop': 'AR', 'helper.task_btf': 'AR', 'helper.unknown': 'R', 'helper.availability': 'R', 'ref.unreleased': 'R',
  'null.check': 'AR', 'null.ids': 'AR', 'pkt.bounds': 'AR', 'pkt.meta': 'AR', 'pkt.end_arith': 'R',
  'loop.bounded': 'A', 'loop.too_large': 'R', 'loop.infinite': 'R', 'ret.range': 'AR', 'div.zero': 'AR',
  'mapval.bounds': 'AR', 'mapval.varoff': 'AR', 'call.subprog': 'AR', 'c.kprobe': 'AR', 'c.tracepoint': 'A', 'c.xdp': 'AR',
  'c.tc': 'AR', 'c.loop': 'AR', 'c.packet': 'AR', 'c.ringbuf': 'AR', 'c.core': 'AR', 'kfunc.iter': 'AR', 'kfunc.ref': 'AR',
  'kfunc.args': 'R', 'kfunc.trusted': 'AR', 'align.strict': 'AR', 'ctx.iter': 'AR', 'helper.seq': 'AR', 'helper.btf_arg': 'AR', 'kfunc.rcu': 'AR', 'mem.rdonly': 'R', 'ref.use_after_release': 'R', 'mem.bounds': 'R',
};

const groups = loadGroups();
const programs = groups.flatMap((g) => g.programs);

function hasTool(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

test('verifier corpus: markers parse, manifest is current, sizes', () => {
  assert.deepEqual(groups.flatMap((g) => g.errors), []);
  const names = new Set<string>();
  for (const p of programs) {
    const key = `${p.file}:${p.name}`;
    assert.ok(!names.has(key), `${key} declared twice`);
    names.add(key);
  }
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as { programs: ManifestEntry[] };
  assert.deepEqual(manifest.programs, manifestOf(groups), 'manifest.json is stale: run scripts/record-verifier.ts --manifest-only');
  const rejected = programs.filter((p) => p.expect === 'reject').length;
  console.log(`corpus: ${programs.length} programs in ${groups.length} groups, ${programs.length - rejected} accepted / ${rejected} rejected, ` +
    `${programs.reduce((n, p) => n + p.privileges.length, 0)} recorded runs`);
  assert.ok(programs.length >= 400, `at least 400 programs (have ${programs.length})`);
  assert.ok(rejected >= programs.length * 0.35 && rejected <= programs.length * 0.65, 'about half rejected');
});

test('verifier corpus: every check of the issue is covered (by recorded verdicts, any privilege mode)', () => {
  const seen = new Map<string, { a: number; r: number }>();
  for (const g of groups) {
    const exp = readExpected(g.file);
    for (const p of g.programs) {
      const verdicts = new Set(p.privileges.map((priv) => exp?.programs[p.name]?.[priv]?.verdict ?? p.expect));
      for (const c of p.checks) {
        const s = seen.get(c) ?? { a: 0, r: 0 };
        if (verdicts.has('accept')) s.a++;
        if (verdicts.has('reject')) s.r++;
        seen.set(c, s);
      }
    }
  }
  const missing: string[] = [];
  for (const [c, need] of Object.entries(CHECKS)) {
    const s = seen.get(c) ?? { a: 0, r: 0 };
    if (need.includes('A') && s.a === 0) missing.push(`${c}: no accepted program`);
    if (need.includes('R') && s.r === 0) missing.push(`${c}: no rejected program`);
  }
  if (process.env.VERIFIER_COVERAGE) {
    for (const c of Object.keys(CHECKS)) { const s = seen.get(c) ?? { a: 0, r: 0 }; console.log(`| ${c} | ${s.a} | ${s.r} |`); }
  }
  assert.deepEqual(missing, []);
  const unknown = [...seen.keys()].filter((c) => !(c in CHECKS));
  assert.deepEqual(unknown, [], 'check ids not in the table');
});

test('verifier corpus: every program has a recorded answer that agrees with its marker and re-parses', () => {
  const problems: string[] = [];
  for (const g of groups) {
    const exp = readExpected(g.file);
    for (const p of g.programs) {
      for (const priv of p.privileges) {
        const a = exp?.programs[p.name]?.[priv];
        const tag = `${p.file} ${p.name} [${priv}]`;
        if (!a) { problems.push(`${tag}: no recorded answer`); continue; }
        if (priv === p.privileges[0] && a.verdict !== p.expect) problems.push(`${tag}: marker expects ${p.expect}, kernel said ${a.verdict} (${a.message})`);
        if (a.verdict === 'reject' && !a.message) problems.push(`${tag}: rejected without a message`);
        if (a.verdict === 'accept' && (a.message !== null || a.insn !== null)) problems.push(`${tag}: accepted with an error`);
        if (!/^\d+\.\d+/.test(a.kernel) || !/^\d+\.\d+/.test(a.bpftool)) problems.push(`${tag}: versions missing`);
        // The recorded level-1 tail must give back the recorded message (the parser is the one the recorder used).
        if (a.verdict === 'reject' && a.kernelLog) {
          const parsed = parseVerifierLog(a.log_level1_tail.join('\n'));
          if (parsed.message !== a.message) problems.push(`${tag}: tail re-parses to ${parsed.message}`);
        }
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('verifier log parser: message, instruction and counts from bpftool output', () => {
  const out = [
    "libbpf: prog 'p': BPF program load failed: Permission denied",
    "libbpf: prog 'p': -- BEGIN PROG LOAD LOG --",
    '0: R1=ctx() R10=fp0',
    '3: (07) r2 += -4                      ; R2=fp-4',
    '7: (79) r0 = *(u64 *)(r0 +0)',
    "R0 invalid mem access 'map_value_or_null'",
    'verification time 12 usec',
    'stack depth 8',
    'processed 8 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
    '-- END PROG LOAD LOG --',
    "libbpf: prog 'p': failed to load: -13",
  ].join('\n');
  const a = parseBpftoolOutput(out, 255);
  assert.equal(a.verdict, 'reject');
  assert.equal(a.message, "R0 invalid mem access 'map_value_or_null'");
  assert.equal(a.insn, 7);
  assert.equal(a.processed, 8);
  assert.equal(a.errno, -13);
  assert.deepEqual(a.stats, { maxStatesPerInsn: 0, totalStates: 0, peakStates: 0, stackDepth: '8', verificationUs: 12 });
  const cfg = parseVerifierLog('unreachable insn 2\nprocessed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n');
  assert.deepEqual(cfg, {
    message: 'unreachable insn 2', errorLines: ['unreachable insn 2'], insn: 2, processed: 0,
    stats: { maxStatesPerInsn: 0, totalStates: 0, peakStates: 0, stackDepth: null, verificationUs: null },
  });
  const leak = parseVerifierLog('9: (95) exit\nUnreleased reference id=2 alloc_insn=4\nBPF_EXIT instruction in main prog would lead to reference leak\nprocessed 9 insns (limit 1000000)\n');
  assert.deepEqual([leak.insn, leak.errorLines.length, leak.message], [9, 2, 'BPF_EXIT instruction in main prog would lead to reference leak']);
  const noLog = parseBpftoolOutput("libbpf: prog 'f': BPF program load failed: Operation not permitted\nlibbpf: prog 'f': failed to load: -1\n", 255);
  assert.deepEqual([noLog.message, noLog.kernelLog, noLog.errno], ['BPF program load failed: Operation not permitted', false, -1]);
  assert.equal(parseBpftoolOutput('', 0).verdict, 'accept');
});

test('verifier corpus: every group file compiles with clang', async (t) => {
  if (!hasTool('clang')) { console.log('SKIP: clang not installed'); t.skip('clang not installed'); return; }
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-vc-'));
  try {
    const res = await pool(groups, 2, (g, i) => compile(join(ROOT, g.file), join(tmp, `g${i}.o`)));
    const failed = res.map((r, i) => (r.ok ? '' : `${groups[i].file}: ${r.stderr.split('\n').slice(0, 5).join('\n')}`)).filter(Boolean);
    assert.deepEqual(failed, []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

/** An even spread over the corpus (every group represented), slow programs left out; VERIFIER_SAMPLE=all takes everything. */
function sample(n: number): { g: Group; p: FixtureProgram }[] {
  const all = groups.flatMap((g) => g.programs.filter((p) => !p.slow).map((p) => ({ g, p })));
  if (process.env.VERIFIER_SAMPLE === 'all' || all.length <= n) return all;
  const step = all.length / n;
  return Array.from({ length: n }, (_, i) => all[Math.floor(i * step + step / 2)]);
}

test('verifier corpus: the running kernel still gives the recorded answers (sample)', async (t) => {
  if (!hasTool('clang')) { console.log('SKIP: clang not installed'); t.skip('clang not installed'); return; }
  const why = kernelUnavailable({ privilege: 'root' })?.reason;
  if (why) { console.log(`SKIP: kernel oracle: ${why}`); t.skip(why); return; }
  const recorded = readExpected(groups[0].file)?.programs;
  const recKernel = recorded ? Object.values(recorded)[0]?.root?.kernel ?? '' : '';
  const running = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
  const series = (v: string): string => /^\d+\.\d+/.exec(v)?.[0] ?? v;
  if (series(recKernel) !== series(running)) {
    const why2 = `answers were recorded on ${recKernel}, this kernel is ${running}: re-record with scripts/record-verifier.ts`;
    console.log(`SKIP: kernel oracle: ${why2}`); t.skip(why2); return;
  }
  const capWhy = kernelUnavailable({ privilege: 'cap_bpf' })?.reason;
  if (capWhy) console.log(`SKIP: CAP_BPF-only runs: ${capWhy}`);
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-vk-'));
  try {
    const rawWhy = rawLoader().error ?? (hasTool('llvm-objcopy') ? undefined : 'llvm-objcopy not installed');
    if (rawWhy) console.log(`SKIP: raw programs of the sample: ${rawWhy}`);
    const picks = sample(40).filter(({ p }) => !(p.raw && rawWhy));
    const diffs = await pool(picks, 2, async ({ g, p }, i) => {
      const obj = join(tmp, `u${i}.o`);
      const c = await compile(join(tmp, `u${i}.c`), obj, unitSource(g, p));
      if (!c.ok) return [`${p.file} ${p.name}: clang failed: ${c.stderr.slice(0, 300)}`];
      const out: string[] = [];
      for (const priv of p.privileges) {
        if (priv === 'cap_bpf' && capWhy) continue;
        const rec = readExpected(g.file)?.programs[p.name]?.[priv];
        const now = await loadProgram(p, obj, priv, 1);
        const d = rec ? sameAnswer(rec, now) : 'no recording';
        if (d) out.push(`${p.file} ${p.name} [${priv}]: ${d}`);
      }
      return out;
    });
    assert.deepEqual(diffs.flat(), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

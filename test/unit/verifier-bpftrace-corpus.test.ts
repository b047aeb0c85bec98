// The bpftrace section of the verifier corpus (test/fixtures/verifier/bpftrace): every script
// compiles and every `// @mutant` applies, the build is deterministic (same object bytes twice),
// manifest.json is current, every program has a recording matching its expected verdict (objects
// whose digest differs from the recording's are reported as stale and left out), verifyProbe (the
// CLI's and editor's route, no ELF) gives the recorded verdicts, the instruction editor keeps jump
// targets, and — where this machine can load BPF — a sample still gets the recorded answer from
// the running kernel. The comparison through ELF objects is in verifier-diff.test.ts. SKIP without
// the shared kernel 6.18 data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { btEntries, btKernel, BT_MANIFEST, loadBtScripts, readBtExpected, type BtScript } from '../fixtures/verifier/bpftrace/bt-corpus';
import { mutate, splice, MUTATION_KINDS } from '../fixtures/verifier/bpftrace/mutate';
import { sameAnswer } from '../fixtures/verifier/corpus';
import { verifyProbe } from '../../server/src/bpftrace/codegen';
import { loadWithKernelAsync } from '../../server/src/host/bpftool';
import { kernelUnavailable } from '../../server/src/host/kernel-access';
import { assemble } from '../../server/src/asm';
import { jumpTarget, type Insn } from '../../server/src/isa/insn';

let built: BtScript[] | undefined;
const scripts = (): BtScript[] => (built ??= loadBtScripts());

function noData(t: { skip(m: string): void }): boolean {
  if (btKernel()) return false;
  console.log('SKIP: ../shared/kernel/6.18 data not present');
  t.skip('kernel 6.18 data not present');
  return true;
}

test('bpftrace corpus: scripts compile, mutants apply, manifest current, recordings complete', (t) => {
  if (noData(t)) return;
  const all = scripts();
  assert.deepEqual(all.flatMap((s) => s.errors), []);
  const programs = all.flatMap((s) => s.programs);
  const generated = programs.filter((p) => !p.mutation);
  const mutants = programs.filter((p) => p.mutation);
  assert.ok(generated.length >= 40, `${generated.length} generated programs`);
  const manifest = JSON.parse(readFileSync(BT_MANIFEST, 'utf8')) as { programs: unknown[] };
  assert.deepEqual(manifest.programs, JSON.parse(JSON.stringify(btEntries(all))), 'manifest.json is stale: run scripts/record-verifier-bpftrace.ts --manifest-only');
  const problems: string[] = [];
  const stale: string[] = [];
  for (const s of all) {
    const exp = readBtExpected(s.file);
    for (const p of s.programs) {
      const rec = exp?.programs[p.name]?.root;
      if (!rec) { problems.push(`${s.file} ${p.name}: no recording`); continue; }
      if (rec.verdict !== p.expect) problems.push(`${s.file} ${p.name}: expected ${p.expect}, kernel said ${rec.verdict} (${rec.message})`);
      if (exp?.digests[p.name] !== p.digest) stale.push(`${s.file} ${p.name}`);
    }
  }
  // A compiler change makes recordings stale (they describe other bytes): reported, left out of the
  // comparisons, and fatal only when fewer than 40 generated programs remain current.
  if (stale.length) console.log(`  STALE (compiler output changed; run scripts/record-verifier-bpftrace.ts): ${stale.join(', ')}`);
  const current = generated.filter((p) => !stale.includes(`${p.file} ${p.name}`)).length;
  assert.ok(current >= 40, `${current} generated programs with a current recording`);
  const kinds = new Set(mutants.map((p) => p.mutation?.kind));
  const rejected = programs.filter((p) => p.expect === 'reject').length;
  console.log(`bpftrace corpus: ${programs.length} programs (${generated.length} generated, ${mutants.length} compiler-bug variants of ${kinds.size}/${Object.keys(MUTATION_KINDS).length} kinds), ${rejected} expected rejected`);
  for (const p of problems) console.log(`  ${p}`);
  assert.deepEqual(problems, []);
});

test('bpftrace corpus: the build is deterministic', (t) => {
  if (noData(t)) return;
  const again = loadBtScripts();
  const digests = (ss: BtScript[]): string[] => ss.flatMap((s) => s.programs.map((p) => `${s.file} ${p.name} ${p.digest}`));
  assert.deepEqual(digests(again), digests(scripts()));
});

test('bpftrace corpus: verifyProbe (CLI and editor route, no ELF) gives the recorded verdicts', (t) => {
  if (noData(t)) return;
  const btf = btKernel()?.btf;
  const rows = scripts().flatMap((s) => s.programs.filter((p) => readBtExpected(s.file)?.digests[p.name] === p.digest).map((p) => {
    const rec = readBtExpected(s.file)?.programs[p.name]?.root;
    const r = verifyProbe(p.script, p.code, btf ? { btf } : {});
    const message = r.verdict === 'accept' ? null : r.errors[0]?.message ?? null;
    return {
      key: `${s.file} ${p.name}`, verdictOk: r.verdict === rec?.verdict, messageOk: message === rec?.message,
      ours: `${r.verdict} ${message ?? ''}`, kernel: `${rec?.verdict} ${rec?.message ?? ''}`, processed: [r.stats.processed, rec?.processed ?? null] as const,
    };
  }));
  // Informational: instructions processed (state pruning), ours against the kernel's.
  const counted = rows.filter((r) => r.processed[1] !== null);
  const sum = (i: 0 | 1): number => counted.reduce((a, r) => a + (r.processed[i] ?? 0), 0);
  const worst = [...counted].sort((a, b) => b.processed[0] / (b.processed[1] ?? 1) - a.processed[0] / (a.processed[1] ?? 1)).slice(0, 5);
  console.log(`bpftrace corpus processed insns: same count ${counted.filter((r) => r.processed[0] === r.processed[1]).length}/${counted.length}, total ours ${sum(0)}, kernel ${sum(1)}; most above the kernel: ${worst.map((r) => `${r.key} ${r.processed[0]}/${r.processed[1]}`).join(', ')}`);
  const bad = rows.filter((r) => !r.verdictOk || !r.messageOk);
  for (const r of bad) console.log(`  ${r.key}: verifyProbe ${r.ours}, kernel ${r.kernel}`);
  console.log(`bpftrace corpus through verifyProbe: verdict ${rows.filter((r) => r.verdictOk).length}/${rows.length}, message ${rows.filter((r) => r.messageOk).length}/${rows.length}`);
  assert.deepEqual(bad.map((r) => r.key), []);
});

test('bpftrace corpus: splice keeps jump targets; mutate finds sites or says why', () => {
  const src = 'r0 = 0\nif r1 == 0 goto out\nr0 = 1\nr2 = 3\nout:\nr0 += 1\nexit\n';
  const a = assemble(src);
  assert.equal(a.diagnostics.filter((d) => d.severity === 'error').length, 0);
  const insns = a.insns as Insn[];
  const code = { insns, lines: insns.map(() => undefined) };
  const del = splice(code, 2, 2);
  assert.equal(del.insns.length, 4);
  assert.equal(jumpTarget(del.insns[1]), 2, 'jump retargeted to the instruction after the removed ones');
  const ins = splice(code, 1, 0, [insns[2], insns[3]]);
  assert.equal(jumpTarget(ins.insns[3]), ins.insns[6].pc, 'jump over an insertion still reaches out:');
  assert.equal(typeof mutate(code, 'no-null-check', 0, 0), 'string', 'no lookup: no site');
  const jumped = mutate(code, 'bad-jump', 0, 0);
  assert.ok(typeof jumped !== 'string' && jumped.insns[1].off === insns[1].off + 10000);
});

test('bpftrace corpus: a sample still gets the recorded answer from the running kernel', async (t) => {
  if (noData(t)) return;
  const why = kernelUnavailable({ privilege: 'root' })?.reason;
  if (why) { console.log(`SKIP: kernel loading: ${why}`); t.skip(why); return; }
  // Every 8th program: generated ones and variants alike.
  const sample = scripts().flatMap((s) => s.programs.map((p) => ({ s, p }))).filter((_, i) => i % 8 === 0);
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-btcorpus-'));
  const diffs: string[] = [];
  try {
    await Promise.all(sample.map(async ({ s, p }, i) => {
      const exp = readBtExpected(s.file);
      const rec = exp?.programs[p.name]?.root;
      if (!rec || exp?.digests[p.name] !== p.digest) return;
      const f = join(tmp, `s${i}.o`);
      writeFileSync(f, p.object);
      const k = await loadWithKernelAsync(f, { logLevel: 1, timeoutMs: 60_000 });
      const d = sameAnswer(rec, k);
      if (d) diffs.push(`${s.file} ${p.name}: ${d}`);
    }));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`bpftrace corpus: ${sample.length - diffs.length}/${sample.length} sampled programs get the recorded kernel answer`);
  assert.deepEqual(diffs, []);
});

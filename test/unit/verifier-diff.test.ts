// Differential test of the embedded verifier against the kernel's recorded answers for the
// verifier corpus (test/fixtures/verifier): every group file is compiled once with clang into a
// temp dir, each program is verified for each recorded privilege, and verdict, final message and
// error instruction (read from our level-1 log with the same parser used on the kernel's log) are
// compared. Prints the three agreement figures and every disagreement with its reason from
// test/fixtures/verifier/known-differences.ts; asserts lower bounds that are met today (raise them
// as the verifier improves) and that no disagreement lacks a reason. Raw programs are verified
// without func_info (the kernel got none); bpf_get_smp_processor_id() is bounded by this machine's
// possible CPUs, as in the kernel. Also compares the bpftrace section (test/fixtures/verifier/bpftrace:
// programs our bpftrace compiler generates and compiler-bug variants of them), counted in the same
// figures and printed on their own line. SKIP without clang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseObject } from '../../server/src/elf';
import { fromObject, isProgType, verify } from '../../server/src/verifier';
import { compileGroupObjects, loadGroups, readExpected, type RecordedAnswer } from '../fixtures/verifier/corpus';
import { btKernel, loadBtScripts, readBtExpected } from '../fixtures/verifier/bpftrace/bt-corpus';
import type { BpfObject, BpfProgram } from '../../server/src/elf';
import type { Privilege } from '../../server/src/host/bpftool';
import { KNOWN_DIFFERENCES } from '../fixtures/verifier/known-differences';
import { possibleCpus, sharedKernelBtf } from '../shared';

/** Include the programs marked `slow` (VERIFIER_SLOW=1). */
const WITH_SLOW = process.env.VERIFIER_SLOW === '1';

const hasClang = !spawnSync('clang', ['--version']).error;

const nrCpus = possibleCpus();

/**
 * libbpf's CO-RE failure names the local BTF type id (`<byte_off> [27] struct ...`); the recording
 * compiled each program alone while this test compiles whole group files, so ids differ.
 */
function sameMessage(ours: string | null, kernel: string | null): boolean {
  const norm = (s: string | null): string | null => s && s.replace(/^(failed to resolve CO-RE relocation <\w+>) \[\d+\]/, '$1 [N]');
  return norm(ours) === norm(kernel);
}

export interface DiffRow { key: string; verdictOk: boolean; messageOk: boolean; insnOk: boolean; why: string }

test('verifier differential: agreement with the kernel on the corpus', async (t) => {
  if (!hasClang) { console.log('SKIP: clang not found'); t.skip('clang not found'); return; }
  const groups = loadGroups();
  const btf = sharedKernelBtf();
  if (!btf) console.log('SKIP: (part) no vmlinux BTF; tracing programs are verified without it');
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-vd-'));
  try {
    const objs = await compileGroupObjects(groups, tmp);
    /** One row: our verdict, message and error instruction for prog against the recorded answer. */
    const compare = (key: string, obj: BpfObject, prog: BpfProgram, priv: Privilege, raw: boolean, rec: RecordedAnswer, progFlags = 0, rawType?: string): DiffRow => {
      // Raw programs reach the kernel without BTF (no func_info); nr_cpu_ids bounds bpf_get_smp_processor_id().
      const inp = fromObject(obj, prog, {
        privileged: priv === 'cap_bpf' ? 'cap_bpf' : 'root', logLevel: 0, btf, collectStates: false,
        ...(raw ? { funcInfo: false } : {}), ...(nrCpus ? { nrCpus } : {}), ...(progFlags ? { progFlags } : {}),
      });
      // A raw program's type is the marker's (the loader is given it), not the section name's.
      if (raw && rawType && isProgType(rawType)) inp.progType = rawType;
      const r = verify(inp);
      const verdict = r.verdict;
      const message = verdict === 'accept' ? null : r.errors[0]?.message ?? null;
      const insn = verdict === 'accept' ? null : r.errors[0]?.logInsn ?? null;
      const verdictOk = verdict === rec.verdict;
      const messageOk = verdictOk && sameMessage(message, rec.message);
      const insnOk = verdictOk && insn === rec.insn;
      let why = '';
      if (!verdictOk) why = `verdict ${verdict} (${message ?? ''} @${insn}), kernel ${rec.verdict} (${rec.message ?? ''} @${rec.insn})`;
      else if (!messageOk) why = `message ${JSON.stringify(message)} @${insn}, kernel ${JSON.stringify(rec.message)} @${rec.insn}`;
      else if (!insnOk) why = `insn ${insn}, kernel ${rec.insn}`;
      return { key, verdictOk, messageOk, insnOk, why };
    };
    const rows: DiffRow[] = [];
    let slowSkipped = 0;
    const t0 = Date.now();
    groups.forEach((g, gi) => {
      const exp = readExpected(g.file);
      const obj = objs[gi];
      for (const p of g.programs) {
        for (const priv of p.privileges) {
          const rec = exp?.programs[p.name]?.[priv];
          if (!rec) continue;
          // Slow programs (seconds each: the 1M-instruction limit and its neighbours) run with VERIFIER_SLOW=1.
          if (p.slow && !WITH_SLOW) { slowSkipped++; continue; }
          const key = `${g.file} ${p.name} [${priv}]`;
          const prog = obj?.programs.find((x) => x.name === p.name && !x.subprog);
          if (!obj || !prog) { rows.push({ key, verdictOk: false, messageOk: false, insnOk: false, why: 'not compiled / not found' }); continue; }
          rows.push(compare(key, obj, prog, priv, p.raw, rec, p.progFlags, p.type));
        }
      }
    });
    // The bpftrace section: programs our bpftrace compiler generates and their compiler-bug variants,
    // rebuilt here (deterministic); an object whose digest differs from the recording's is stale.
    const btRows = rows.length;
    for (const s of btKernel() ? loadBtScripts() : []) {
      const exp = readBtExpected(s.file);
      for (const p of s.programs) {
        const rec = exp?.programs[p.name]?.root;
        if (!rec) continue;
        const key = `${s.file} ${p.name} [root]`;
        if (exp?.digests[p.name] !== p.digest) { console.log(`  STALE ${key}: the compiler's output changed since the recording (scripts/record-verifier-bpftrace.ts)`); continue; }
        const obj = parseObject(p.object).object;
        const prog = obj?.programs.find((x) => !x.subprog);
        rows.push(obj && prog ? compare(key, obj, prog, 'root', false, rec) : { key, verdictOk: false, messageOk: false, insnOk: false, why: 'object does not parse' });
      }
    }
    if (!btKernel()) console.log('SKIP: (part) bpftrace section: ../shared/kernel/6.18 data not present');
    const bt = rows.slice(btRows);
    const btRec = bt.map((r) => r.key.split(' ')[1]);
    console.log(`  bpftrace-generated: ${bt.length} runs (${btRec.filter((x) => /^p\d+$/.test(x)).length} generated, ${btRec.filter((x) => !/^p\d+$/.test(x)).length} compiler-bug variants), `
      + `verdict ${bt.filter((r) => r.verdictOk).length}, message ${bt.filter((r) => r.messageOk).length}, insn ${bt.filter((r) => r.insnOk).length}`);
    const n = rows.length;
    const pct = (k: number): string => (100 * k / Math.max(n, 1)).toFixed(1);
    const v = rows.filter((r) => r.verdictOk).length;
    const m = rows.filter((r) => r.messageOk).length;
    const i = rows.filter((r) => r.insnOk).length;
    console.log(`verifier differential: ${n} runs, ${Date.now() - t0} ms verifying${slowSkipped ? ` (${slowSkipped} runs of slow programs left out; VERIFIER_SLOW=1 includes them)` : ''}`);
    console.log(`  verdict agreement ${pct(v)}% (${v}/${n}), identical final message ${pct(m)}% (${m}/${n}), same error insn ${pct(i)}% (${i}/${n})`);
    const unexplained: string[] = [];
    for (const r of rows) {
      if (!r.why) continue;
      const reason = KNOWN_DIFFERENCES[r.key];
      console.log(`  DIFF ${r.key}: ${r.why}`);
      console.log(`       reason: ${reason ?? 'NOT IN test/fixtures/verifier/known-differences.ts'}`);
      if (!reason) unexplained.push(r.key);
    }
    const differing = new Set(rows.filter((r) => r.why).map((r) => r.key));
    const ran = new Set(rows.map((r) => r.key));
    const stale = Object.keys(KNOWN_DIFFERENCES).filter((k) => ran.has(k) && !differing.has(k));
    for (const k of stale) console.log(`  STALE reason (now agrees, remove it): ${k}`);
    console.log(`  ${differing.size} disagreements, ${differing.size - unexplained.length} with a known reason, ${unexplained.length} unexplained`);
    assert.ok(n >= 100, 'corpus has runs');
    assert.ok(v / n >= 0.98, `verdict agreement ${pct(v)}%`);
    assert.ok(m / n >= 0.97, `message agreement ${pct(m)}%`);
    assert.ok(i / n >= 0.97, `insn agreement ${pct(i)}%`);
    assert.deepEqual(unexplained, [], 'every disagreement has a reason in known-differences.ts');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

// Records the kernel's answers for the bpftrace section of the verifier corpus
// (test/fixtures/verifier/bpftrace): compiles each script with BPF Studio's bpftrace code generator,
// applies the `// @mutant` edits, writes one ELF object per program into a temporary directory and
// loads it with bpftool at log levels 1 and 2 as root; writes <script>.expected.json (answers plus
// each object's sha256) and manifest.json. --check loads at level 1, writes nothing and reports answers
// or objects that differ from the recording. Needs root and bpftool.
//
//   node --import tsx scripts/record-verifier-bpftrace.ts [--check] [--manifest-only] [FILTER...]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWithKernelAsync, toolVersions, type Privilege } from '../server/src/host/bpftool';
import { kernelUnavailable } from '../server/src/host/kernel-access';
import { pool, reportDiffs, type RecordedAnswer } from '../test/fixtures/verifier/corpus';
import {
  btExpectedPath, btKernel, loadBtScripts, readBtExpected, targetOf, writeBtManifest, BT_DIR, type BtExpectedFile, type BtProgram,
} from '../test/fixtures/verifier/bpftrace/bt-corpus';
import { readFileSync } from 'node:fs';

const TAIL = 20;
const tail = (log: string): string[] => (log === '' ? [] : log.replace(/\n+$/, '').split('\n').slice(-TAIL));

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const check = argv.includes('--check');
  const filters = argv.filter((a) => !a.startsWith('--'));
  if (!btKernel()) { console.error('cannot compile: ../shared/kernel/6.18 data missing'); process.exit(1); }
  const all = loadBtScripts();
  const bad = all.flatMap((s) => s.errors);
  if (bad.length) { console.error(bad.join('\n')); process.exit(1); }
  if (!check) writeBtManifest(all);
  if (argv.includes('--manifest-only')) return;
  const why = kernelUnavailable({ privilege: 'root' })?.reason;
  if (why) { console.error(`cannot record: ${why}`); process.exit(1); }
  const versions = toolVersions();
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-btverifier-'));
  const match = (file: string, p: BtProgram): boolean => filters.length === 0 || filters.some((f) => file.includes(f) || p.name === f);
  const jobs = all.flatMap((s) => s.programs.filter((p) => match(s.file, p)));
  let differences = 0;
  const mismatch: string[] = [];
  try {
    const answers = await pool(jobs, 3, async (p, i) => {
      const obj = join(tmp, `b${i}.o`);
      writeFileSync(obj, p.object);
      const byPriv: Partial<Record<Privilege, RecordedAnswer>> = {};
      for (const priv of p.privileges) {
        const l1 = await loadWithKernelAsync(obj, { logLevel: 1, privilege: priv, timeoutMs: 120_000 });
        const l2 = check ? undefined : await loadWithKernelAsync(obj, { logLevel: 2, privilege: priv, timeoutMs: 120_000 });
        byPriv[priv] = {
          verdict: l1.verdict, message: l1.message, errorLines: l1.errorLines, insn: l1.insn,
          processed: l1.processed ?? l2?.processed ?? null, errno: l1.errno, stats: l2?.stats ?? l1.stats,
          kernelLog: l1.kernelLog || (l2?.kernelLog ?? false), log_level1_tail: tail(l1.log), log_level2_tail: l2 ? tail(l2.log) : [], ...versions,
        };
        const a = byPriv[priv];
        const tag = `${p.file} ${p.name} [${priv}]`;
        if (a && priv === p.privileges[0] && a.verdict !== p.expect) mismatch.push(`${tag}: expected ${p.expect}, kernel: ${a.verdict} ${a.message ?? ''}`);
        console.log(`${a?.verdict === 'accept' ? 'ACCEPT' : 'REJECT'} ${tag}${a?.message ? `: ${a.message} (insn ${a.insn})` : ''}`);
      }
      return byPriv;
    });
    const byFile = new Map<string, BtExpectedFile>();
    jobs.forEach((p, i) => {
      const old = readBtExpected(p.file);
      if (check) {
        if (old?.digests[p.name] !== p.digest) { differences++; console.log(`DIFF ${p.file} ${p.name}: object differs from the recorded one (compiler output changed)`); }
        differences += reportDiffs(`${p.file} ${p.name}`, old?.programs[p.name], answers[i]);
        return;
      }
      let f = byFile.get(p.file);
      if (!f) {
        const script = all.find((s) => s.file === p.file);
        const names = new Set(script?.programs.map((x) => x.name));
        const keep = <T>(r: Record<string, T> | undefined): Record<string, T> => Object.fromEntries(Object.entries(r ?? {}).filter(([n]) => names.has(n)));
        const text = readFileSync(join(BT_DIR, p.file.replace(/^bpftrace\//, '')), 'utf8');
        f = { source: p.file, target: targetOf(text), digests: keep(old?.digests), programs: keep(old?.programs) };
        byFile.set(p.file, f);
      }
      f.digests[p.name] = p.digest;
      f.programs[p.name] = answers[i];
    });
    for (const [file, f] of byFile) {
      const order = all.find((s) => s.file === file)?.programs.map((p) => p.name) ?? [];
      const sorted = (r: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(order.filter((n) => n in r).map((n) => [n, r[n]]));
      writeFileSync(btExpectedPath(file), JSON.stringify({ ...f, digests: sorted(f.digests), programs: sorted(f.programs) }, null, 1) + '\n');
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (mismatch.length) console.log(`\nExpected/kernel verdict mismatches (${mismatch.length}):\n${mismatch.join('\n')}`);
  console.log(`\n${jobs.length} programs${check ? `, ${differences} differences from the recording` : ' recorded'}`);
  if (check && differences > 0) process.exit(1);
}

void main();

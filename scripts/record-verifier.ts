// Re-records the kernel's answers for the verifier corpus (test/fixtures/verifier): compiles each
// program into a temporary directory, loads it with bpftool at log levels 1 and 2 under each of its
// privilege modes (raw programs through the raw BPF_PROG_LOAD helper), and writes <group>.expected.json and manifest.json. With --check it writes
// nothing, loads at level 1 only, and reports every answer that differs from the recording. Needs root, clang and bpftool.
//
//   node --import tsx scripts/record-verifier.ts [--check] [--manifest-only] [FILTER...]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolVersions, type KernelLoad, type Privilege } from '../server/src/host/bpftool';
import { kernelUnavailable } from '../server/src/host/kernel-access';
import {
  compile, expectedPath, loadGroups, loadProgram, pool, readExpected, reportDiffs, unitSource, writeManifest,
  type ExpectedFile, type FixtureProgram, type Group, type RecordedAnswer,
} from '../test/fixtures/verifier/corpus';

const TAIL = 20;

function tail(log: string): string[] {
  const lines = log.replace(/\n+$/, '').split('\n');
  return log === '' ? [] : lines.slice(-TAIL);
}

/** The answer for one program in one privilege mode: level 1 gives the verdict and the kernel's usual log; level 2 the full trace and, on success, the counts. */
async function record(obj: string, prog: FixtureProgram, privilege: Privilege, versions: { kernel: string; bpftool: string }, levelOneOnly: boolean): Promise<{ answer: RecordedAnswer; l1: KernelLoad; l2?: KernelLoad }> {
  const l1 = await loadProgram(prog, obj, privilege, 1);
  // Slow programs: no level-2 log (hundreds of MB). Raw programs also load at level 4 (statistics
  // only), whose verification time is not inflated by writing the log.
  const l2 = levelOneOnly || prog.slow ? undefined : await loadProgram(prog, obj, privilege, 2);
  const l4 = levelOneOnly || !prog.raw ? undefined : await loadProgram(prog, obj, privilege, 4);
  const answer: RecordedAnswer = {
    verdict: l1.verdict,
    message: l1.message,
    errorLines: l1.errorLines,
    insn: l1.insn,
    processed: l1.processed ?? l2?.processed ?? l4?.processed ?? null,
    errno: l1.errno,
    // Level 2 (bpftool -d asks for statistics) has them also on success; slow programs only at level 1.
    stats: l4?.stats ?? l2?.stats ?? l1.stats,
    kernelLog: l1.kernelLog || (l2?.kernelLog ?? false),
    log_level1_tail: tail(l1.log),
    log_level2_tail: l2 ? tail(l2.log) : [],
    ...versions,
  };
  return { answer, l1, l2 };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const check = argv.includes('--check');
  const manifestOnly = argv.includes('--manifest-only');
  const filters = argv.filter((a) => !a.startsWith('--'));
  const all = loadGroups();
  const bad = all.flatMap((g) => g.errors);
  if (bad.length) { console.error(bad.join('\n')); process.exit(1); }
  if (!check) writeManifest(all);
  if (manifestOnly) return;
  const why = kernelUnavailable({ privilege: 'root' })?.reason;
  if (why) { console.error(`cannot record: ${why}`); process.exit(1); }
  const groups = all.filter((g) => filters.length === 0 || filters.some((f) => g.file.includes(f) || g.programs.some((p) => p.name === f)));
  const versions = toolVersions();
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-verifier-'));
  const t0 = performance.now();
  let runs = 0;
  let differences = 0;
  const intentMismatch: string[] = [];
  try {
    type Job = { g: Group; p: FixtureProgram; i: number };
    const jobs: Job[] = groups.flatMap((g) => g.programs
      .filter((p) => filters.length === 0 || filters.some((f) => g.file.includes(f) || p.name === f))
      .map((p, i) => ({ g, p, i })));
    const results = await pool(jobs, 3, async ({ g, p }, i) => {
      const src = join(tmp, `u${i}.c`);
      const obj = join(tmp, `u${i}.o`);
      const c = await compile(src, obj, unitSource(g, p));
      if (!c.ok) { console.error(`${g.file}:${p.line}: ${p.name}: clang failed\n${c.stderr}`); return { g, p, answers: undefined }; }
      const answers: Partial<Record<Privilege, RecordedAnswer>> = {};
      for (const priv of p.privileges) {
        const { answer } = await record(obj, p, priv, versions, check);
        runs++;
        answers[priv] = answer;
        const tag = `${g.file} ${p.name} [${priv}]`;
        if (priv === p.privileges[0] && answer.verdict !== p.expect) intentMismatch.push(`${tag}: marker says ${p.expect}, kernel: ${answer.verdict} ${answer.message ?? ''}`);
        process.stdout.write(`${answer.verdict === 'accept' ? 'ACCEPT' : 'REJECT'} ${tag}${answer.message ? `: ${answer.message} (insn ${answer.insn})` : ''}\n`);
      }
      return { g, p, answers };
    });
    const byFile = new Map<string, ExpectedFile>();
    for (const { g, p, answers } of results) {
      if (!answers) continue;
      const old = readExpected(g.file);
      if (check) {
        differences += reportDiffs(`${g.file} ${p.name}`, old?.programs[p.name], answers);
        continue;
      }
      let f = byFile.get(g.file);
      if (!f) {
        // A filtered run keeps the other programs' recordings; programs no longer in the file are dropped.
        const names = new Set(g.programs.map((x) => x.name));
        const kept = Object.fromEntries(Object.entries(old?.programs ?? {}).filter(([n]) => names.has(n)));
        f = { source: g.file, programs: kept };
        byFile.set(g.file, f);
      }
      f.programs[p.name] = answers;
    }
    for (const [file, f] of byFile) {
      const order = loadGroups(file).find((g) => g.file === file)?.programs.map((p) => p.name) ?? [];
      const sorted: ExpectedFile = { source: f.source, programs: Object.fromEntries(order.filter((n) => f.programs[n]).map((n) => [n, f.programs[n]])) };
      writeFileSync(expectedPath(file), JSON.stringify(sorted, null, 1) + '\n');
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (intentMismatch.length) console.log(`\nMarker/kernel verdict mismatches (${intentMismatch.length}):\n${intentMismatch.join('\n')}`);
  console.log(`\n${runs} loads in ${secs} s${check ? `, ${differences} differences from the recording` : ''}`);
  if (check && differences > 0) process.exit(1);
}

void main();

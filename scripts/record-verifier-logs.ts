// Records the kernel's whole level-2 verifier logs (bpftool -d prog load) of the programs in
// LOG_PROGRAMS (test/fixtures/verifier/logs/log-compare.ts) as test/fixtures/verifier/logs/<name>.log,
// for test/unit/verifier-log-callbacks.test.ts. With --check it writes nothing and reports every log
// whose comparable lines differ from the recording. Needs root, clang and bpftool.
//
//   node --import tsx scripts/record-verifier-logs.ts [--check] [NAME...]
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelUnavailable } from '../server/src/host/kernel-access';
import { compile, loadGroups, loadProgram, unitSource } from '../test/fixtures/verifier/corpus';
import { LOG_PROGRAMS, comparableLog, firstDifference, logPath } from '../test/fixtures/verifier/logs/log-compare';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const names = args.filter((a) => !a.startsWith('--'));
  const why = kernelUnavailable({ privilege: 'root' })?.reason;
  if (why) { console.error(`cannot load into the kernel: ${why}`); return 1; }
  const groups = loadGroups();
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-vlogs-'));
  let bad = 0;
  try {
    for (const lp of LOG_PROGRAMS) {
      if (names.length && !names.includes(lp.name)) continue;
      const g = groups.find((x) => x.file === lp.file);
      const prog = g?.programs.find((x) => x.name === lp.name);
      if (!g || !prog) { console.error(`${lp.file} ${lp.name}: not in the corpus`); bad++; continue; }
      const obj = join(tmp, `${lp.name}.o`);
      const c = await compile(join(tmp, `${lp.name}.c`), obj, unitSource(g, prog));
      if (!c.ok) { console.error(`${lp.name}: clang failed\n${c.stderr}`); bad++; continue; }
      const k = await loadProgram(prog, obj, 'root', 2);
      if (!k.log) { console.error(`${lp.name}: the kernel wrote no log (${k.message ?? ''})`); bad++; continue; }
      const path = logPath(lp);
      if (check) {
        const d = existsSync(path) ? firstDifference(comparableLog(readFileSync(path, 'utf8')), comparableLog(k.log)) : 'no recording';
        if (d) { console.log(`DIFF ${lp.name}: ${d}`); bad++; } else console.log(`same ${lp.name}`);
      } else {
        writeFileSync(path, k.log.endsWith('\n') ? k.log : `${k.log}\n`);
        console.log(`${lp.name}: ${k.verdict}, ${k.log.split('\n').length} lines`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bad ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => { console.error(e); process.exitCode = 1; });

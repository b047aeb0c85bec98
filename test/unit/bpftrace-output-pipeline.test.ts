// The output goldens through the whole pipeline: each recorded BEGIN/END script is compiled
// (check, typecheck, codegen), run by replay on the VM with no trace events, its records and maps
// decoded and formatted, and the text compared with what bpftrace 0.17 printed. Cases whose
// construct codegen/replay do not support yet are listed, not failed; the count that matches
// exactly may not drop below the floor, so a regression anywhere in the chain shows here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileForReplay, replay } from '../../server/src/bpftrace/replay';

const DIR = 'test/fixtures/bpftrace/output';
/** Exact matches out of 136 at the last recording: all of them. */
const FLOOR = 136;

/** cat() and system() as `bpfstudio run --unsafe` does them: the file's text, the command's output (the goldens' commands are harmless). */
function readText(path: string): string | undefined {
  try { return readFileSync(path, 'utf8'); } catch { return undefined; }
}
function runCommand(cmd: string): string | undefined {
  try { return execSync(cmd, { encoding: 'utf8', shell: '/bin/sh' }); } catch { return undefined; }
}

test('output goldens replayed through compile + VM + decoder + formatter', (t) => {
  if (!existsSync(DIR)) {
    console.log(`SKIP: ${DIR} missing`);
    t.skip('goldens missing');
    return;
  }
  let exact = 0, total = 0;
  const differ: string[] = [];
  for (const f of readdirSync(DIR).filter((x) => x.endsWith('.bt')).sort()) {
    const name = f.slice(0, -3);
    const src = readFileSync(join(DIR, f), 'utf8');
    const env = (JSON.parse(readFileSync(join(DIR, `${name}.case.json`), 'utf8')) as { env?: { bootNs: string; tzOffsetMinutes: number } }).env;
    const c = compileForReplay(src, {}, { target: '0.17' });
    for (const format of ['text', 'json'] as const) {
      total++;
      const want = readFileSync(join(DIR, `${name}${format === 'json' ? '.json' : ''}.txt`), 'utf8');
      if (!c.script) {
        differ.push(`${name} (${format}): ${c.diagnostics.find((d) => d.severity === 'error')?.message ?? 'no script'}`);
        continue;
      }
      let text = '';
      const o = { format, version: '0.17', program: c.program, source: src, bootNs: BigInt(env?.bootNs ?? 0), tzOffsetMinutes: env?.tzOffsetMinutes ?? 0, cat: readText, system: runCommand };
      try {
        for (const chunk of replay(c.script, [], o)) text += chunk;
      } catch (e) {
        differ.push(`${name} (${format}): replay threw ${(e as Error).message}`);
        continue;
      }
      if (text === want) exact++;
      else differ.push(`${name} (${format}): output differs`);
    }
  }
  console.log(`bpftrace output goldens through the pipeline: ${exact}/${total} exact; differing: ${differ.join('; ') || 'none'}`);
  assert.ok(exact >= FLOOR, `${exact}/${total} exact, fewer than ${FLOOR}:\n${differ.join('\n')}`);
});

// Upstream corpus through the type checker: every tools/*.bt of the bpftrace
// repository, checked for 0.26 against the shared 6.18 kernel data, must have
// zero type errors, except scripts in tools/old/ written for kernels before
// 5.17 (they name struct members 6.18 no longer has). The tools are not
// committed; they are read from BPFTRACE_TOOLS_DIR or /tmp/bpftrace-tools.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { checkScript } from '../../server/src/bpftrace/check';
import { LineIndex } from '../../server/src/bpftrace/source';
import { kernel618 } from '../fixtures/bpftrace/types/kernel';
import { btFiles, TOOLS_DIR } from './bpftrace-tools-dir';

const DIR = TOOLS_DIR;

test('upstream tools/*.bt type-check for 0.26 against the 6.18 kernel data', (t) => {
  const files = existsSync(DIR) ? btFiles(DIR) : [];
  const k = kernel618();
  const reason = files.length === 0
    ? `no upstream bpftrace tools in ${DIR} (copy the repository's tools/ there or set BPFTRACE_TOOLS_DIR)`
    : k.reason;
  if (reason !== undefined || !k.kernel) {
    console.log(`SKIP: ${reason}`);
    t.skip(reason);
    return;
  }
  const failing: string[] = [];
  let typed = 0;
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const r = checkScript(text, '0.26', k.kernel);
    if (r.types) typed++;
    const errs = (r.types?.diagnostics ?? []).filter((d) => d.severity === 'error');
    if (errs.length > 0) failing.push(`${f}:${new LineIndex(text).format(errs[0].range)}: ${errs[0].message}`);
  }
  console.log(`bpftrace upstream tools: ${files.length - failing.length}/${files.length} type-check with zero errors for 0.26 against ../shared/kernel/6.18`);
  assert.equal(typed, files.length, 'every tool parses and is typed');
  assert.deepEqual(failing.filter((x) => !x.includes('/old/')), []);
});

test('mutated upstream tools never make the checker throw', (t) => {
  const files = existsSync(DIR) ? btFiles(DIR) : [];
  const k = kernel618();
  const reason = files.length === 0 ? `no upstream bpftrace tools in ${DIR}` : k.reason;
  if (reason !== undefined || !k.kernel) {
    console.log(`SKIP: ${reason}`);
    t.skip(reason);
    return;
  }
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  const pool = ['$x', '@m', 'comm', '"s"', '1', 'curtask', 'args', '->', '.', '(', ')', '+', '[0]', 'count()', 'str(', ',', '(uint8)', '(struct task_struct *)', '?', ':', 'kstack', '-1', 'retval', 'ctx', ''];
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const thrown: string[] = [];
  for (let i = 0; i < 150; i++) {
    const src = texts[rnd(texts.length)];
    const at = rnd(src.length);
    const mutated = src.slice(0, at) + pool[rnd(pool.length)] + src.slice(at + rnd(8));
    for (const target of ['0.17', '0.26']) {
      try {
        checkScript(mutated, target, k.kernel);
      } catch (e) {
        thrown.push(`${target} @${at}: ${(e as Error).message}`);
      }
    }
  }
  assert.deepEqual(thrown, []);
});

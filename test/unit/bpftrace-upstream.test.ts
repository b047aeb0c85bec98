// Upstream corpus: every tools/*.bt of the bpftrace repository must parse with
// zero diagnostics. The tools are not committed (never copy upstream files);
// the test reads them from BPFTRACE_TOOLS_DIR or /tmp/bpftrace-tools and skips
// with a reason when they are absent (CI has no network).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '../../server/src/bpftrace/parser';
import { LineIndex } from '../../server/src/bpftrace/source';
import { checkVersion } from '../../server/src/bpftrace/versions';
import { analyze, KernelInfo } from '../../server/src/bpftrace/semantic';
import { parseTracepointFormat } from '../../server/src/btf/tracepoint';
import { btFiles, TOOLS_DIR } from './bpftrace-tools-dir';

/** Tracepoint records from the shipped kernel data, when present. */
function shippedKernel(): KernelInfo | undefined {
  const events = '../shared/kernel/6.18/tracefs/events';
  if (!existsSync(events)) return undefined;
  return {
    tracepointFields(cat, event) {
      const p = join(events, cat, event, 'format');
      return existsSync(p) ? parseTracepointFormat(readFileSync(p, 'utf8')).format?.fields.map((f) => f.name) : undefined;
    },
  };
}

const DIR = TOOLS_DIR;

test('upstream bpftrace tools/*.bt parse with zero diagnostics and no 0.26 version errors', (t) => {
  const files = existsSync(DIR) ? btFiles(DIR) : [];
  if (files.length === 0) {
    const reason =
      `no upstream bpftrace tools in ${DIR}; to run: git clone https://github.com/bpftrace/bpftrace ` +
      `and copy its tools/ directory (*.bt, old/*.bt) to ${DIR}, or set BPFTRACE_TOOLS_DIR`;
    console.log(`SKIP: ${reason}`);
    t.skip(reason);
    return;
  }
  const failures: string[] = [];
  const semantic: string[] = [];
  const kernel = shippedKernel();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const r = parse(text);
    const li = new LineIndex(text);
    const diags = [...r.diagnostics, ...checkVersion(r.program, '0.26').filter((d) => d.severity === 'error')];
    if (diags.length > 0) failures.push(`${f}:${li.format(diags[0].range)}: ${diags[0].message}`);
    const sem = analyze(r.program, '0.26', kernel).diagnostics.filter((d) => d.severity === 'error');
    if (sem.length > 0) semantic.push(`${f}:${li.format(sem[0].range)}: ${sem[0].message}`);
  }
  console.log(`bpftrace upstream tools: ${files.length - failures.length}/${files.length} parse with zero diagnostics`);
  console.log(`bpftrace upstream tools: ${files.length - semantic.length}/${files.length} pass the first semantic pass for 0.26${kernel ? ' (tracepoint args checked against ../shared/kernel/6.18)' : ''}`);
  assert.deepEqual(failures, []);
  // tools/old/ keeps scripts for old kernels written before block scoping (0.22); they may fail it.
  assert.deepEqual(semantic.filter((x) => !x.includes('/old/')), []);
});

/** `bpfstudio conformance`: runs the bpf_conformance suite's .data files on the VM. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, basename } from 'node:path';
import { parseConformance, runConformance } from '../vm/conformance';
import { runInterp } from '../vm';
import { runJit } from '../vm/jit';
import { EXIT, Io, parse, str, UsageError } from './args';
import { engineOf } from './cmd-run';

export const CONFORMANCE_HELP = `usage: bpfstudio conformance [DIR|FILE...] [--interp|--jit] [--filter TEXT] [--verbose]

Runs bpf_conformance test files (*.data: a program, input memory and the
expected r0) on the interpreter (default) or the JIT. Prints one line per
failure and per skipped file with its reason, then 'N passed, N failed, N skipped'.
DIR defaults to ../shared/conformance/tests. Exit 1 if any file fails.`;

export function cmdConformance(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, { interp: { type: 'boolean' }, jit: { type: 'boolean' }, filter: { type: 'string' }, verbose: { type: 'boolean', short: 'v' } });
  if (values.help) { io.out(CONFORMANCE_HELP); return EXIT.OK; }
  const engine = engineOf(values);
  const run = engine === 'jit' ? runJit : runInterp;
  const roots = positionals.length ? positionals : ['../shared/conformance/tests'];
  const files: string[] = [];
  for (const r of roots) {
    let st;
    try { st = statSync(r); } catch { throw new UsageError(`${r}: no such file or directory`); }
    if (st.isDirectory()) for (const f of readdirSync(r).sort()) { if (f.endsWith('.data')) files.push(join(r, f)); }
    else files.push(r);
  }
  const filter = str(values.filter);
  let passed = 0, failed = 0, skipped = 0;
  for (const f of files) {
    if (filter && !f.includes(filter)) continue;
    const name = basename(f, '.data');
    const c = parseConformance(name, readFileSync(f, 'utf8'));
    const r = runConformance(c, run);
    if (r.status === 'pass') { passed++; if (values.verbose) io.out(`PASS ${name}`); }
    else if (r.status === 'skip') { skipped++; io.out(`SKIP ${name}: ${r.message ?? ''}`); }
    else { failed++; io.out(`FAIL ${name}: ${r.message ?? ''}`); }
  }
  io.out(`engine: ${engine}, ${files.length} files`);
  io.out(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed > 0 ? EXIT.FAILED : EXIT.OK;
}

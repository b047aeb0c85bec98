/**
 * `bpfstudio check`: checks a bpftrace script without running it (parse,
 * target-version rules, semantic checks, tracepoint targets and args fields
 * against the kernel's data) and prints compiler-style diagnostics. Non-goal:
 * code generation or loading anything into the kernel.
 */
import { checkScript, LineIndex, parseVersion } from '../bpftrace';
import { kernelInfo, resolveTargetVersion } from '../host/kernel-info';
import { uprobeOnlyKernel } from '../host/kernel-info-dwarf';
import { EXIT, Io, parse, readTextFile, str, UsageError } from './args';

export const CHECK_HELP = `usage: bpfstudio check SCRIPT.bt [--target-version VERSION] [--json]

Checks a bpftrace script as bpftrace VERSION would (0.17 or 0.26; default: the
installed bpftrace's version, else 0.26): syntax, version rules, semantics, and
tracepoint names and args fields against the kernel's tracepoint formats (the
running kernel's tracefs when readable, else the default kernel 6.18 data).
Prints FILE:LINE:COL: error|warning: MESSAGE, with hint lines below.
--json prints {file, target, kernel, diagnostics: [...]} instead.
Exit code: 1 when there are errors, 0 otherwise, 2 on bad usage.`;

interface JsonDiagnostic {
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  severity: string;
  message: string;
  hint?: string;
  source: string;
}

export function cmdCheck(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, { 'target-version': { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) { io.out(CHECK_HELP); return EXIT.OK; }
  if (positionals.length !== 1) throw new UsageError('check takes one SCRIPT.bt');
  const flag = str(values['target-version']);
  if (flag !== undefined && parseVersion(flag) === undefined) throw new UsageError(`--target-version expects a version like 0.17 or 0.26, got '${flag}'`);
  const target = resolveTargetVersion(flag);
  const file = positionals[0];
  const text = readTextFile(file);
  const kernel = kernelInfo();
  const r = checkScript(text, target, kernel ?? uprobeOnlyKernel());
  const lines = new LineIndex(text);
  const diags: JsonDiagnostic[] = r.diagnostics.map((d) => {
    const a = lines.position(d.range.start);
    const b = lines.position(d.range.end);
    return {
      line: a.line + 1, col: a.col + 1, endLine: b.line + 1, endCol: b.col + 1,
      severity: d.severity, message: d.message, ...(d.hint ? { hint: d.hint } : {}), source: d.source,
    };
  });
  if (values.json) {
    io.out(JSON.stringify({ file, target, kernel: kernel?.source ?? null, diagnostics: diags }, null, 2));
  } else {
    if (!kernel) io.err('bpfstudio check: no kernel tracepoint data found; tracepoint names and args fields are not checked');
    for (const d of diags) {
      io.out(`${file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`);
      if (d.hint) io.out(`${file}:${d.line}:${d.col}: hint: ${d.hint}`);
    }
  }
  return diags.some((d) => d.severity === 'error') ? EXIT.FAILED : EXIT.OK;
}

/**
 * One call for editors and the CLI: parse a script, check it against a target
 * bpftrace version and run the first semantic pass, returning the AST and all
 * diagnostics sorted by position. Non-goal: BTF/kernel-aware checks (they
 * need host data and come later).
 */
import { Program } from './ast';
import { parse } from './parser';
import { analyze, KernelInfo, MapInfo } from './semantic';
import { Diagnostic, Range } from './source';
import { checkVersion, compareVersions, parseVersion } from './versions';
import { toBisonStyle } from './bison';

export interface CheckResult {
  program: Program;
  diagnostics: Diagnostic[];
  comments: Range[];
  maps: Map<string, MapInfo>;
}

/**
 * Parses and checks a script for `target` (default '0.26'). Semantic checks run
 * only on a script that parses. Targets before 0.26 (bison parsers) get
 * bison-style syntax errors.
 */
export function checkScript(text: string, target = '0.26', kernel?: KernelInfo): CheckResult {
  const r = parse(text);
  const v = parseVersion(target);
  const syntax = v !== undefined && compareVersions(v, [0, 26, 0]) < 0 ? toBisonStyle(r.diagnostics, text) : r.diagnostics;
  const diagnostics = [...syntax, ...checkVersion(r.program, target)];
  let maps = new Map<string, MapInfo>();
  if (r.diagnostics.every((d) => d.severity !== 'error')) {
    const s = analyze(r.program, target, kernel);
    diagnostics.push(...s.diagnostics);
    maps = s.maps;
  }
  diagnostics.sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end);
  return { program: r.program, diagnostics, comments: r.comments, maps };
}

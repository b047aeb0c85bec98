/**
 * One call for editors and the CLI: parse a script, check it against a target
 * bpftrace version, expand macros, run the first semantic pass and the type checker (with
 * the kernel's BTF and tracepoint formats when given), returning the AST,
 * the types and all diagnostics sorted by position. Non-goal: reading kernel
 * data (host/ does).
 */
import { Program, TopItem } from './ast';
import { parse } from './parser';
import { analyze, KernelInfo, MapInfo, mapWrites } from './semantic';
import { Diagnostic, Range } from './source';
import { checkVersion, compareVersions, parseVersion, versionWalk } from './versions';
import { toBisonStyle } from './bison';
import { typecheck, TypeInfo } from './typecheck';
import { expandMacros } from './macro-expand';
import { liveDiagnostics } from './typecheck-comptime';

export interface CheckResult {
  program: Program;
  diagnostics: Diagnostic[];
  comments: Range[];
  maps: Map<string, MapInfo>;
  /** The type checker's result; undefined when the script does not parse. */
  types?: TypeInfo;
}

/** The part of a message that names the problem and its subject ("Type mismatch for @x"). */
function head(m: string): string {
  const i = m.indexOf(':');
  return i < 0 ? m : m.slice(0, i);
}

/** Type diagnostics that repeat a first-pass diagnostic (same place, same kind of problem) are dropped. */
function merge(semantic: Diagnostic[], types: Diagnostic[]): Diagnostic[] {
  const seen = new Set(semantic.map((d) => `${d.range.start}:${head(d.message)}`));
  return types.filter((d) => !seen.has(`${d.range.start}:${head(d.message)}`));
}

/**
 * Parses and checks a script for `target` (default '0.26'). Semantic and type
 * checks run only on a script that parses. Targets before 0.26 (bison
 * parsers) get bison-style syntax errors.
 */
export function checkScript(text: string, target = '0.26', kernel?: KernelInfo, opts: { strlen?: number } = {}): CheckResult {
  // The version check walks each top-level item as soon as it is parsed (its nodes still in the CPU's caches),
  // collecting the maps the program writes on the way (the first pass's own walk is then not needed).
  const writes = mapWrites();
  const walk = versionWalk(target, writes.visit);
  const walked: TopItem[] = [];
  const r = parse(text, (item, program) => {
    walked.push(item);
    walk.visit(item, program);
  });
  const v = parseVersion(target);
  const syntax = v !== undefined && compareVersions(v, [0, 26, 0]) < 0 ? toBisonStyle(r.diagnostics, text) : r.diagnostics;
  // (A parse that gave up on an internal error returns other items: check what it returned.)
  const whole = walked.length === r.program.items.length && walked.every((x, i) => x === r.program.items[i]);
  // Macro expansion below rewrites the tree: with macros, the first pass collects the writes itself.
  const written = whole && !r.program.items.some((i) => i.kind === 'Macro') ? writes.written(r.program) : undefined;
  const diagnostics = [...syntax, ...(whole ? walk.diagnostics : checkVersion(r.program, target))];
  let maps = new Map<string, MapInfo>();
  let types: TypeInfo | undefined;
  if (r.diagnostics.every((d) => d.severity !== 'error')) {
    // 0.26 macros are expanded in place first: the checks and code generation see their bodies at each call.
    diagnostics.push(...expandMacros(r.program).diagnostics);
    const s = analyze(r.program, target, kernel, { types: true, ...(written ? { written } : {}) });
    maps = s.maps;
    types = typecheck(r.program, kernel ?? {}, { target, source: text, ...opts });
    // (the first pass checks both branches of `if comptime`; the type checker only the kept one)
    diagnostics.push(...liveDiagnostics(s.diagnostics, types));
    diagnostics.push(...merge(s.diagnostics, types.diagnostics));
  }
  diagnostics.sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end);
  return { program: r.program, diagnostics, comments: r.comments, maps, ...(types ? { types } : {}) };
}

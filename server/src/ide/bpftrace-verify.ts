/**
 * The embedded verifier for bpftrace documents, as plain editor data: the
 * script is compiled (codegen's compileText) and each generated program is
 * run through our verifier; code generation errors and verifier errors become
 * diagnostics on the script range the failing instruction came from (the
 * probe's line table), with the kernel's message and the plain explanation;
 * the abstract states after each script range's last instruction feed hovers.
 * Pure and synchronous; the language server runs it in a worker.
 * Non-goals: the front end's own diagnostics (bpftrace-check.ts shows those).
 */
import { compileText, verifyProbe, type CompiledProbe, type CompiledScript } from '../bpftrace/codegen';
import type { VerifyError } from '../verifier';
import { stateHover, type AsmVerification, type RelatedLocation, type VerifierDiagnostic } from './asm-verify';
import type { TracepointCatalog } from './bpftrace-kernel';
import { rangeOf, SourceRange } from './types';

/** The verifier's states after the last instruction generated for one script range. */
export interface StateSpot { start: number; end: number; probe: string; pc: number; states: string[] }

/** A verification of a bpftrace document: the asm shape (states unused) plus states by script range. */
export interface BpftraceVerification extends AsmVerification { spots: StateSpot[] }

export interface BpftraceVerifyOptions {
  /** bpftrace version the script is compiled for. */
  target: string;
}

/** Distinct programs verified at most per document (a wildcard tracepoint compiles to one per event). */
const MAX_PROGRAMS = 64;
/** Branch decisions shown at most per error. */
const MAX_RELATED = 20;

/** The script range of instruction slot `pc` of a probe (the nearest earlier instruction with one, else the probe's attach point). */
function pcRange(probe: CompiledProbe, pc: number): { start: number; end: number } | undefined {
  let k = probe.insns.findIndex((i) => i.pc === pc);
  if (k < 0) k = probe.insns.length - 1;
  for (; k >= 0; k--) {
    const r = probe.lines[k];
    if (r) return r;
  }
  return undefined;
}

function errorDiagnostic(text: string, probe: CompiledProbe, e: VerifyError, fallback: SourceRange): VerifierDiagnostic {
  const r = pcRange(probe, e.pc);
  const lines = [`${e.message} (${probe.attachPoints[0] ?? probe.name}, slot ${e.pc})`, ...e.detail.filter((d) => d !== e.message)];
  if (e.explanation) lines.push(e.explanation);
  if (e.suggestion) lines.push(`Fix: ${e.suggestion}`);
  // The failing path's branch decisions, once per script range and direction (a loop repeats them).
  const related: RelatedLocation[] = [];
  const seen = new Set<string>();
  for (const s of [...e.path].reverse()) {
    const sr = pcRange(probe, s.pc);
    const key = sr ? `${sr.start}:${sr.end}:${s.taken}` : '';
    if (!sr || seen.has(key)) continue;
    seen.add(key);
    related.unshift({ range: rangeOf(text, sr.start, sr.end), message: s.taken ? `on the failing path this branch is taken (slot ${s.pc})` : `on the failing path this branch falls through (slot ${s.pc})` });
    if (related.length >= MAX_RELATED) break;
  }
  return { range: r ? rangeOf(text, r.start, r.end) : fallback, severity: 'error', source: 'verifier', message: lines.join('\n'), related };
}

/**
 * Where a code generation diagnostic is shown: a whole-probe range narrowed to the call it names
 * (`does not support path()`), else to the range's first line.
 */
function codegenRange(text: string, r: { start: number; end: number }, message: string): SourceRange {
  const body = text.slice(r.start, r.end);
  if (!body.includes('\n')) return rangeOf(text, r.start, r.end);
  const name = /support (\w+)\(\)/.exec(message)?.[1];
  const at = name ? new RegExp(`\\b${name}\\s*\\(`).exec(body) : null;
  if (name && at) return rangeOf(text, r.start + at.index, r.start + at.index + name.length);
  return rangeOf(text, r.start, r.start + body.indexOf('\n'));
}

/** A key equal for programs with the same instructions and type (verified once). */
function programKey(p: CompiledProbe): string {
  return `${p.progType}|${p.progType === 'tracing' ? p.name : ''}|${p.insns.map((i) => `${i.spec.name}.${i.dst}.${i.src}.${i.off}.${i.imm}.${i.imm2 ?? ''}`).join(';')}`;
}

/** Compiles and verifies a bpftrace document (the worker's whole job). Never throws on user input. */
export function verifyBpftrace(text: string, kernel: TracepointCatalog | undefined, opts: BpftraceVerifyOptions): BpftraceVerification {
  const t0 = Date.now();
  const r = compileText(text, kernel, { target: opts.target });
  const script: CompiledScript | undefined = r.script;
  const codegen = new Set(script?.diagnostics ?? []);
  const skipped = (): BpftraceVerification => ({ verdict: 'skipped', diagnostics: [], states: [], spots: [], processed: 0, progType: '', ms: Date.now() - t0 });
  // The front end's errors are the editor's own diagnostics: nothing to compile then.
  if (!script || r.diagnostics.some((d) => d.severity === 'error' && !codegen.has(d))) return skipped();
  const diagnostics: VerifierDiagnostic[] = script.diagnostics.map((d) => ({
    range: codegenRange(text, d.range, d.message), severity: d.severity, source: 'bpftrace-codegen',
    message: d.hint ? `${d.message}\n${d.hint}` : d.message, related: [],
  }));
  let processed = 0;
  let reject = script.diagnostics.some((d) => d.severity === 'error');
  const seen = new Set<string>();
  const messages = new Set<string>();
  const types = new Set<string>();
  const spots: StateSpot[] = [];
  for (const probe of script.probes) {
    const key = programKey(probe);
    if (seen.has(key)) continue;
    if (seen.size >= MAX_PROGRAMS) break;
    seen.add(key);
    types.add(probe.progType);
    const v = verifyProbe(script, probe, { collectStates: true, ...(kernel?.btf ? { btf: kernel.btf } : {}) });
    addSpots(spots, probe, v.states);
    processed += v.stats.processed;
    if (v.verdict === 'reject') reject = true;
    const item = r.program.items[probe.item];
    const fallback = rangeOf(text, item?.range.start ?? 0, item ? Math.min(item.range.end, item.range.start + 1) : 0);
    for (const e of v.errors) {
      const d = errorDiagnostic(text, probe, e, fallback);
      const k = `${d.range.start}:${d.range.end}:${e.message}`;
      if (messages.has(k)) continue; // the same error of another attach point of the same probe
      messages.add(k);
      diagnostics.push(d);
    }
  }
  return { verdict: reject ? 'reject' : 'accept', diagnostics, states: [], spots, processed, progType: [...types].join(', '), ms: Date.now() - t0 };
}

/** States after the last reached instruction of each script range of a probe (ranges another program covered already are kept). */
function addSpots(spots: StateSpot[], probe: CompiledProbe, states: (string[] | undefined)[]): void {
  const known = new Set(spots.map((s) => `${s.start}:${s.end}`));
  const last = new Map<string, StateSpot>();
  probe.insns.forEach((insn, k) => {
    const r = probe.lines[k];
    const st = states[insn.pc];
    const key = r ? `${r.start}:${r.end}` : '';
    if (!r || !st || st.length === 0 || known.has(key)) return;
    last.set(key, { start: r.start, end: r.end, probe: probe.attachPoints[0] ?? probe.name, pc: insn.pc, states: st });
  });
  spots.push(...last.values());
}

/** Hover markdown: the verifier's states after the innermost script range around `offset` that it reached. */
export function bpftraceStateHover(v: BpftraceVerification, offset: number): string | undefined {
  let best: StateSpot | undefined;
  for (const s of v.spots) {
    if (s.start <= offset && offset < s.end && (!best || s.end - s.start < best.end - best.start)) best = s;
  }
  if (!best) return undefined;
  // asm-verify's formatting, over a program whose only recorded slot is this one.
  const states: (string[] | undefined)[] = [];
  states[best.pc] = best.states;
  return stateHover({ ...v, states, progType: best.probe }, best.pc);
}

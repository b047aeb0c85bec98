/**
 * The embedded verifier for BPF assembly documents, as plain editor data: the
 * verifier input from an assembled document (program type from `.section` or
 * the setting, maps from `.map`), its errors as diagnostics (kernel message
 * plus a plain explanation, with the branch decisions of the failing path as
 * related locations) and the abstract state at an instruction as hover text.
 * Pure and synchronous; running it off the request path (a worker) and
 * cancelling it is the language server's job (lsp/verifier-host.ts).
 */
import { assemble, AsmResult, Syntax } from '../asm';
import { isProgType, sectionProgType, verify } from '../verifier';
import type { PathStep, VerifyInput, VerifyResult } from '../verifier';
import { IdeDiagnostic, rangeOf, SourceRange } from './types';

export interface AsmVerifyOptions {
  /** Program type (or libbpf section name) when the document has no `.section`. */
  programType: string;
  privileged?: 'root' | 'cap_bpf';
  syntax?: Syntax | 'auto';
}

export interface RelatedLocation { range: SourceRange; message: string }

/** A verifier diagnostic: an IdeDiagnostic plus the path that led to the error. */
export interface VerifierDiagnostic extends IdeDiagnostic { related: RelatedLocation[] }

/** Everything the editor keeps from one verification of one document version. */
export interface AsmVerification {
  /** 'skipped' when the document does not assemble (the assembler's errors come first). */
  verdict: 'accept' | 'reject' | 'skipped';
  diagnostics: VerifierDiagnostic[];
  /** states[pc]: the abstract states seen after the instruction at slot pc (kernel format, as the level-2 log prints them). */
  states: (string[] | undefined)[];
  processed: number;
  progType: string;
  ms: number;
}

/** Related locations shown at most per error (the branch decisions nearest the error). */
const MAX_RELATED = 20;

/** The document's verifier input, or why there is none; problems are warnings about the program type. */
export function asmVerifierInput(asm: AsmResult, opts: AsmVerifyOptions): { input?: VerifyInput; problems: IdeDiagnostic[] } {
  const problems: IdeDiagnostic[] = [];
  if (asm.diagnostics.some((d) => d.severity === 'error') || asm.insns.length === 0) return { problems };
  const sec = asm.section;
  let pt = sec ? sectionProgType(sec.name) : undefined;
  if (!pt) {
    pt = sectionProgType(opts.programType);
    if (!pt) {
      problems.push({
        range: { start: 0, end: 0, line: 0, col: 0, endLine: 0, endCol: 0 }, severity: 'warning', source: 'verifier',
        message: `bpfstudio.verifier.programType '${opts.programType}' is not a program type or libbpf section name; verifying as socket_filter`,
      });
      pt = { progType: 'socket_filter' };
    }
  }
  const progType = isProgType(pt.progType) ? pt.progType : 'socket_filter';
  const input: VerifyInput = {
    insns: asm.insns, progType, logLevel: 0, collectStates: true, privileged: opts.privileged ?? 'root',
    maps: asm.maps.map((m) => ({ name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags })),
    ...(pt.attachType ? { expectedAttachType: pt.attachType } : {}),
    ...(pt.target ? { attachTo: pt.target } : {}),
  };
  return { input, problems };
}

/** The range of the instruction at slot pc: its line's text without indentation and comment. */
export function insnRange(asm: AsmResult, text: string, pc: number): SourceRange {
  const k = asm.insns.findIndex((i) => i.pc === pc);
  const line = k >= 0 ? asm.lines[k] : 0;
  let start = 0;
  for (let l = 0; l < line; l++) start = text.indexOf('\n', start) + 1;
  let end = text.indexOf('\n', start);
  if (end < 0) end = text.length;
  const body = text.slice(start, end);
  const lead = body.length - body.trimStart().length;
  const trimmed = body.replace(/\s*(;|\/\/|\s#).*$/, '').trimEnd();
  return rangeOf(text, start + lead, start + Math.max(lead + 1, trimmed.length));
}

function pathRelated(asm: AsmResult, text: string, path: PathStep[]): RelatedLocation[] {
  return path.slice(-MAX_RELATED).map((s) => ({
    range: insnRange(asm, text, s.pc),
    message: s.taken ? `on the failing path this branch is taken (slot ${s.pc})` : `on the failing path this branch falls through (slot ${s.pc})`,
  }));
}

/** The verifier's errors as diagnostics on the failing instruction. */
export function verifierDiagnostics(r: VerifyResult, asm: AsmResult, text: string): VerifierDiagnostic[] {
  return r.errors.map((e) => {
    const lines = [e.message, ...e.detail.filter((d) => d !== e.message)];
    if (e.explanation) lines.push(e.explanation);
    if (e.suggestion) lines.push(`Fix: ${e.suggestion}`);
    return { range: insnRange(asm, text, e.pc), severity: 'error' as const, source: 'verifier', message: lines.join('\n'), related: pathRelated(asm, text, e.path) };
  });
}

/** Assembles and verifies a document (the worker's whole job). Never throws on user input. */
export function verifyAsm(text: string, opts: AsmVerifyOptions): AsmVerification {
  const t0 = Date.now();
  const asm = assemble(text, { syntax: opts.syntax ?? 'auto' });
  const { input, problems } = asmVerifierInput(asm, opts);
  const diag = problems.map((p) => ({ ...p, related: [] }));
  if (!input) return { verdict: 'skipped', diagnostics: diag, states: [], processed: 0, progType: '', ms: Date.now() - t0 };
  const r = verify(input);
  return {
    verdict: r.verdict, diagnostics: [...diag, ...verifierDiagnostics(r, asm, text)], states: r.states,
    processed: r.stats.processed, progType: input.progType, ms: Date.now() - t0,
  };
}

/** Splits `R1=ctx() R2=scalar(umax=4,var_off=(0x0; 0x7)) fp-8=mmmmmmmm` at top-level spaces. */
export function stateEntries(state: string): [string, string][] {
  const out: [string, string][] = [];
  let depth = 0;
  let cur = '';
  const push = (): void => {
    const t = cur.trim();
    cur = '';
    if (!t) return;
    const eq = t.indexOf('=');
    out.push(eq > 0 ? [t.slice(0, eq), t.slice(eq + 1)] : [t, '']);
  };
  for (const ch of state) {
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    if (ch === ' ' && depth === 0) push();
    else cur += ch;
  }
  push();
  return out;
}

/** Hover markdown for the abstract states after slot pc, or undefined when the verifier never reached it. */
export function stateHover(v: AsmVerification, pc: number): string | undefined {
  const states = v.states[pc];
  if (!states || states.length === 0) {
    if (v.verdict === 'skipped') return undefined;
    const why = v.verdict === 'reject' ? 'not reached before the verifier stopped at the error' : 'not reached on any explored path (dead code), or past the recording limit';
    return `**Verifier** (${v.progType}): no state at slot ${pc}: ${why}`;
  }
  const head = `**Verifier state** after slot ${pc} (${v.progType}${states.length > 1 ? `, ${states.length} states (paths)` : ''})`;
  const blocks = states.map((s) => {
    const entries = stateEntries(s);
    const w = Math.max(...entries.map(([k]) => k.length), 3);
    return '```text\n' + entries.map(([k, v2]) => `${k.padEnd(w)} ${v2}`).join('\n') + '\n```';
  });
  return [head, ...blocks].join('\n\n');
}

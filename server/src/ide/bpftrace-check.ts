/**
 * The parsed form of a bpftrace document for the editor (checkScript's result
 * for the target version and kernel, plus its tokens) and its diagnostics as
 * plain data, hints appended to the message. Non-goals: hover and completion
 * (bpftrace-hover.ts, bpftrace-complete.ts), reading kernel data (host/).
 */
import { AttachPoint, checkScript, CheckResult, Probe, tokenize, Token } from '../bpftrace';
import type { TracepointCatalog } from './bpftrace-kernel';
import { IdeDiagnostic, ModeSettings, rangeOf } from './types';

export interface BpftraceDoc {
  text: string;
  target: string;
  kernel?: TracepointCatalog;
  check: CheckResult;
  tokens: Token[];
}

export function analyzeBpftrace(text: string, settings: ModeSettings): BpftraceDoc {
  const check = checkScript(text, settings.bpftraceTarget, settings.kernel);
  return { text, target: settings.bpftraceTarget, kernel: settings.kernel, check, tokens: tokenize(text).tokens };
}

export function bpftraceDiagnostics(doc: BpftraceDoc): IdeDiagnostic[] {
  return doc.check.diagnostics.map((d) => ({
    range: rangeOf(doc.text, d.range.start, d.range.end),
    severity: d.severity,
    message: d.hint ? `${d.message}\n${d.hint}` : d.message,
    source: 'bpftrace',
  }));
}

/** The probe whose text contains `offset` (its end included, where typing happens). */
export function probeAt(doc: BpftraceDoc, offset: number): Probe | undefined {
  for (const item of doc.check.program.items) {
    if (item.kind === 'Probe' && item.range.start <= offset && offset <= item.range.end) return item;
  }
  return undefined;
}

/** The exact `tracepoint:SYSTEM:EVENT` targets of attach points (wildcards and parameters skipped). */
export function tracepointTargets(aps: AttachPoint[]): { system: string; event: string; ap: AttachPoint }[] {
  return aps
    .filter((ap) => ap.canonical === 'tracepoint' && ap.parts.length === 2 && !/[*?[$]/.test(ap.raw))
    .map((ap) => ({ system: ap.parts[0], event: ap.parts[1], ap }));
}

/**
 * Diagnostics for BPF assembly: runs the assembler on a document's text and
 * returns its errors and warnings as plain data. Non-goal (for now): verifier
 * findings, which a later stage adds under source `verifier`.
 */
import { assemble, AsmResult } from '../asm';
import { IdeDiagnostic, ModeSettings } from './types';

/** Assembles `text` with the document's syntax setting. */
export function analyzeAsm(text: string, settings: ModeSettings): AsmResult {
  return assemble(text, { syntax: settings.asmSyntax });
}

export function asmDiagnostics(result: AsmResult): IdeDiagnostic[] {
  return result.diagnostics.map((d) => ({ range: d.range, severity: d.severity, message: d.message, source: 'bpf-asm' }));
}

/** The errors as `line:col: message` (1-based), for consoles and output channels. */
export function asmErrorLines(result: AsmResult): string[] {
  return result.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => `${d.range.line + 1}:${d.range.col + 1}: ${d.message}`);
}

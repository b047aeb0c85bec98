/**
 * The one place where internal positions (0-based line/column and offsets, as
 * in the assembler's SourceRange) become LSP types and back. Nothing else in
 * the server builds a Range or a Diagnostic by hand.
 */
import { Diagnostic, DiagnosticSeverity, Hover, MarkupKind, Position, Range } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { IdeDiagnostic, IdeHover, SourceRange } from '../ide/types';

export function toRange(r: SourceRange): Range {
  return { start: { line: r.line, character: r.col }, end: { line: r.endLine, character: r.endCol } };
}

const SEVERITY: Record<IdeDiagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

export function toDiagnostic(d: IdeDiagnostic): Diagnostic {
  return { range: toRange(d.range), severity: SEVERITY[d.severity], message: d.message, source: d.source };
}

export function toHover(h: IdeHover): Hover {
  return { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: toRange(h.range) };
}

/** The offset of an LSP position in a document. */
export function toOffset(doc: TextDocument, p: Position): number {
  return doc.offsetAt(p);
}

/**
 * The one place where internal positions (0-based line/column and offsets, as
 * in the assembler's SourceRange) become LSP types and back. Nothing else in
 * the server builds a Range or a Diagnostic by hand.
 */
import {
  CompletionItem, CompletionItemKind, Diagnostic, DiagnosticSeverity, Hover, MarkupKind, Position, Range,
} from 'vscode-languageserver/node';
import type { VerifierDiagnostic } from '../ide/asm-verify';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { IdeCompletion, IdeCompletionKind, IdeDiagnostic, IdeHover, SourceRange } from '../ide/types';

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

/** A verifier diagnostic: the failing path's branch decisions become related information in the same document. */
export function toVerifierDiagnostic(d: VerifierDiagnostic, uri: string): Diagnostic {
  const out = toDiagnostic(d);
  if (d.related.length) out.relatedInformation = d.related.map((r) => ({ location: { uri, range: toRange(r.range) }, message: r.message }));
  return out;
}

export function toHover(h: IdeHover): Hover {
  return { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: toRange(h.range) };
}

const COMPLETION_KIND: Record<IdeCompletionKind, CompletionItemKind> = {
  function: CompletionItemKind.Function,
  variable: CompletionItemKind.Variable,
  module: CompletionItemKind.Module,
  event: CompletionItemKind.Event,
  field: CompletionItemKind.Field,
  keyword: CompletionItemKind.Keyword,
};

export function toCompletionItem(c: IdeCompletion): CompletionItem {
  const item: CompletionItem = { label: c.label, kind: COMPLETION_KIND[c.kind], textEdit: { range: toRange(c.replace), newText: c.label } };
  if (c.detail !== undefined) item.detail = c.detail;
  if (c.markdown !== undefined) item.documentation = { kind: MarkupKind.Markdown, value: c.markdown };
  return item;
}

/** The offset of an LSP position in a document. */
export function toOffset(doc: TextDocument, p: Position): number {
  return doc.offsetAt(p);
}

/**
 * Plain-data results of the editor features: diagnostics, hovers and completion items located by
 * offsets and 0-based line/column (the assembler's SourceRange), never by LSP
 * types. Only server/src/lsp/convert.ts turns these into protocol objects.
 */
import type { SourceRange } from '../asm';
import type { TracepointCatalog } from './bpftrace-kernel';

export type { SourceRange };

export interface IdeDiagnostic {
  range: SourceRange;
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** Which stage produced it: `bpf-asm`, `verifier`, `bpftrace`... */
  source: string;
}

export interface IdeHover {
  range: SourceRange;
  /** Markdown text. */
  markdown: string;
}

export type IdeCompletionKind = 'function' | 'variable' | 'module' | 'event' | 'field' | 'keyword';

export interface IdeCompletion {
  label: string;
  kind: IdeCompletionKind;
  /** Short text beside the label (a type, a signature). */
  detail?: string;
  /** Markdown documentation. */
  markdown?: string;
  /** The text the item replaces (the partial word before the cursor). */
  replace: SourceRange;
}

/** The settings a language mode sees for one document (from `bpfstudio.*`). */
export interface ModeSettings {
  asmSyntax: 'auto' | 'llvm' | 'conformance';
  /** The bpftrace version scripts are checked for ('0.17', '0.26', ...), already resolved from 'auto'. */
  bpftraceTarget: string;
  /** The target kernel's tracepoints, when the host could read any. */
  kernel?: TracepointCatalog;
}

export const DEFAULT_SETTINGS: ModeSettings = { asmSyntax: 'auto', bpftraceTarget: '0.26' };

/**
 * One language (bpf-asm, bpftrace, ...): parse once per document version, then
 * answer diagnostics and hovers from the parsed form. Implementations never throw.
 */
export interface LanguageMode<P = unknown> {
  readonly languageId: string;
  parse(text: string, settings: ModeSettings): P;
  diagnostics(parsed: P): IdeDiagnostic[];
  hover(parsed: P, text: string, offset: number): IdeHover | undefined;
  /** Completion items at `offset`; modes without completion leave it out. */
  completion?(parsed: P, text: string, offset: number): IdeCompletion[];
}

/** The SourceRange of `text[start, end)`, computing line and column. */
export function rangeOf(text: string, start: number, end: number): SourceRange {
  const pos = (o: number): { line: number; col: number } => {
    let line = 0;
    let lineStart = 0;
    for (let i = text.indexOf('\n'); i !== -1 && i < o; i = text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    return { line, col: o - lineStart };
  };
  const a = pos(start);
  const b = pos(end);
  return { start, end, line: a.line, col: a.col, endLine: b.line, endCol: b.col };
}

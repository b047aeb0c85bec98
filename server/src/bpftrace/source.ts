/**
 * Source positions for the bpftrace front end: offset ranges, diagnostics and a
 * line index that turns offsets into 0-based line/column pairs. Non-goal: any
 * knowledge of the language itself; LSP conversion happens in lsp/.
 */

/** Half-open offset range [start, end) into the script text. */
export interface Range {
  start: number;
  end: number;
}

export type Severity = 'error' | 'warning' | 'info';

/** A problem found in a script, placed by offsets. */
export interface Diagnostic {
  range: Range;
  severity: Severity;
  message: string;
  /** Which stage produced it: 'lex', 'syntax', 'version', 'semantic'. */
  source: string;
  /** A suggestion added to bpftrace's wording ("did you mean 'filename'?"). */
  hint?: string;
}

export function mkRange(start: number, end: number): Range {
  return { start, end };
}

/** Line starts of a text, for offset → (line, column) conversion (both 0-based). */
export class LineIndex {
  private readonly starts: number[];

  constructor(readonly text: string) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
    this.starts = starts;
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** 0-based line and column of an offset (clamped into the text). */
  position(offset: number): { line: number; col: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, col: o - this.starts[lo] };
  }

  /** Offset of a 0-based line/column (clamped). */
  offset(line: number, col: number): number {
    const l = Math.max(0, Math.min(line, this.starts.length - 1));
    const end = l + 1 < this.starts.length ? this.starts[l + 1] - 1 : this.text.length;
    return Math.min(this.starts[l] + Math.max(0, col), end);
  }

  /** bpftrace's location style: `line:col-col` (1-based) or `line:col-line:col`. */
  format(r: Range): string {
    const a = this.position(r.start);
    const b = this.position(r.end);
    if (a.line === b.line) return `${a.line + 1}:${a.col + 1}-${b.col + 1}`;
    return `${a.line + 1}:${a.col + 1}-${b.line + 1}:${b.col + 1}`;
  }
}

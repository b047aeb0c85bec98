/**
 * Token cursor under the bpftrace parser: lookahead over the pull lexer,
 * save/restore points for backtracking, and error reporting. `fail` unwinds to
 * the nearest recovery point (statement or probe) through a private signal that
 * never leaves the parser. Non-goal: any grammar rule.
 */
import { Lexer, Token } from './lexer';
import { Diagnostic, Range } from './source';

/** Internal unwinding signal; caught by the parser's recovery points only. */
export class Bail {
  constructor(readonly range: Range) {}
}

/** Lookahead ring size (a power of two, above the deepest `peek`). */
const RING = 256;
const RING_MASK = RING - 1;

export interface Mark {
  pos: number;
  prevEnd: number;
  ndiag: number;
}

export class Cursor {
  readonly diagnostics: Diagnostic[] = [];
  readonly lx: Lexer;
  /** Lexed tokens not consumed yet: `count` of them from ring[head] on (a ring: no array churn per token). */
  private readonly ring: Token[] = [];
  private head = 0;
  private count = 0;
  /** End offset of the last consumed token. */
  prevEnd = 0;

  constructor(readonly text: string) {
    this.lx = new Lexer(text, this.diagnostics);
  }

  /** The token `k` ahead (k < RING; the grammar looks at most 64 ahead). */
  peek(k = 0): Token {
    while (this.count <= k) {
      this.ring[(this.head + this.count) & RING_MASK] = this.lx.next();
      this.count++;
    }
    return this.ring[(this.head + k) & RING_MASK];
  }

  next(): Token {
    const t = this.peek();
    this.head = (this.head + 1) & RING_MASK;
    this.count--;
    this.prevEnd = t.end;
    return t;
  }

  private clear(): void {
    this.count = 0;
  }

  /** Whether the next token is the punctuator or word `text` (never a string literal). */
  at(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.text === text && t.kind !== 'string' && t.kind !== 'preproc';
  }

  /** Whether the next token is a word (identifier, keyword or builtin name). */
  atWord(k = 0): boolean {
    const kind = this.peek(k).kind;
    return kind === 'ident' || kind === 'keyword' || kind === 'builtin';
  }

  eat(text: string): Token | undefined {
    return this.at(text) ? this.next() : undefined;
  }

  /** Consumes `text` or fails with bpftrace's "expected 'X'". */
  expect(text: string, message?: string): Token {
    const t = this.eat(text);
    if (t) return t;
    return this.fail(message ?? `expected '${text}'`);
  }

  /** Start offset of the next token (its leading trivia skipped). */
  get offset(): number {
    return this.peek().start;
  }

  mark(): Mark {
    return { pos: this.count > 0 ? this.ring[this.head].start : this.lx.pos, prevEnd: this.prevEnd, ndiag: this.diagnostics.length };
  }

  /** Rewinds to a mark, dropping syntax diagnostics reported since (the lexer reports each literal once). */
  reset(m: Mark): void {
    this.clear();
    this.lx.pos = m.pos;
    this.prevEnd = m.prevEnd;
    const kept = this.diagnostics.slice(m.ndiag).filter((d) => d.source === 'lex');
    this.diagnostics.length = m.ndiag;
    this.diagnostics.push(...kept);
  }

  /** Moves the lexer to a raw offset (after a character-level scan). */
  seek(pos: number, prevEnd: number): void {
    this.clear();
    this.lx.pos = pos;
    this.prevEnd = prevEnd;
  }

  range(start: number): Range {
    return { start, end: Math.max(start, this.prevEnd) };
  }

  error(message: string, range?: Range, severity: 'error' | 'warning' = 'error'): void {
    const t = this.peek();
    const r = range ?? { start: t.start, end: t.end > t.start ? t.end : t.start };
    this.diagnostics.push({ range: r, severity, message, source: 'syntax' });
  }

  fail(message: string, range?: Range): never {
    this.error(message, range);
    throw new Bail(range ?? { start: this.peek().start, end: this.peek().end });
  }

  /**
   * Skips to a statement boundary: past a `;` at depth 0, or up to (not past) a
   * `}` closing the enclosing block. Nested brackets are skipped whole.
   */
  syncStatement(): void {
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') return;
      if (t.kind === 'punct') {
        if (t.text === '{' || t.text === '(' || t.text === '[') depth++;
        else if (t.text === '}' || t.text === ')' || t.text === ']') {
          if (depth === 0) {
            if (t.text === '}') return;
          } else depth--;
        } else if (t.text === ';' && depth === 0) {
          this.next();
          return;
        }
      }
      this.next();
    }
  }

  /** Skips to the end of the current top-level item: past the next balanced `{...}` or a `;` outside braces. */
  syncProbe(): void {
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') return;
      this.next();
      if (t.kind !== 'punct') continue;
      if (t.text === ';' && depth === 0) return;
      if (t.text === '{') depth++;
      else if (t.text === '}') {
        depth--;
        if (depth <= 0) return;
      }
    }
  }
}

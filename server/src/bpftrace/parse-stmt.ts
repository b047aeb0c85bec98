/**
 * Statement and block grammar of bpftrace: assignments (plain, compound,
 * ++/--), `let`, `_ =`, if/while/unroll/for, jumps, block imports, and blocks
 * that end in a value. A failed statement is replaced by an Error node and
 * parsing resumes at the next `;` or `}`. Non-goal: top-level items (parser.ts).
 */
import * as A from './ast';
import { Bail } from './cursor';
import { ExprParser, isLvalue, tokRange } from './parse-expr';

const COMPOUND = new Set(['+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>=']);

export abstract class StmtParser extends ExprParser {
  parseBlock(allowValue: boolean): A.Block {
    const open = this.peek();
    this.expect('{');
    const stmts: A.Stmt[] = [];
    let value: A.Expr | null = null;
    while (!this.at('}')) {
      const t = this.peek();
      if (t.kind === 'eof') {
        this.error("expected '}'", { start: open.start, end: open.end });
        return { kind: 'Block', range: this.range(open.start), stmts, value };
      }
      const before = t.start;
      if (this.looksLikeProbeStart()) {
        // `name:` or `BEGIN {` never starts a statement: the block was left open.
        this.error("expected '}'", { start: open.start, end: open.end });
        break;
      }
      if (value !== null) {
        // A trailing expression turned out not to be last.
        this.error("expected ';'", value.range);
        stmts.push({ kind: 'ExprStmt', range: value.range, expr: value });
        value = null;
      }
      try {
        const r = this.parseStatement();
        if ('trailing' in r) value = r.trailing;
        else stmts.push(r.stmt);
      } catch (e) {
        if (!(e instanceof Bail)) throw e;
        this.syncStatement();
        stmts.push({ kind: 'Error', range: this.range(before), message: this.lastMessage() });
      }
      if (this.peek().start === before && !this.at('}')) {
        this.error('unexpected input in block');
        this.next();
      }
    }
    this.eat('}');
    if (value !== null && !allowValue) {
      stmts.push(value.kind === 'If' ? value : { kind: 'ExprStmt', range: value.range, expr: value });
      value = null;
    }
    return { kind: 'Block', range: this.range(open.start), stmts, value };
  }

  /** Whether the tokens ahead start a probe (`provider:...`, `BEGIN {`, `END,`) rather than a statement. */
  private looksLikeProbeStart(): boolean {
    if (!this.atWord()) return false;
    const t = this.peek();
    const n = this.peek(1);
    if (n.kind === 'punct' && n.text === ':' && n.start === t.end) return true;
    const w = t.text;
    return (w === 'BEGIN' || w === 'END' || w === 'begin' || w === 'end') && (this.at('{', 1) || this.at(',', 1));
  }

  private lastMessage(): string {
    const d = this.diagnostics[this.diagnostics.length - 1];
    return d ? d.message : 'syntax error';
  }

  /** `;` unless a `}` follows (then the `;` is optional). */
  protected endStmt(): void {
    if (this.at('}')) return;
    this.expect(';');
  }

  private parseStatement(): { stmt: A.Stmt } | { trailing: A.Expr } {
    const t = this.peek();
    const start = t.start;
    if (t.kind === 'keyword') {
      switch (t.text) {
        case 'import': {
          this.next();
          const s = this.peek();
          if (s.kind !== 'string') return this.fail("expected string after 'import'");
          this.next();
          this.expect(';', "expected ';' after import");
          return { stmt: { kind: 'Import', range: this.range(start), path: s.str ?? '' } };
        }
        case 'while':
        case 'unroll': {
          this.next();
          const parens = this.at('(');
          const cond = this.loopHead();
          const body = this.parseBlock(false);
          const range = this.range(start);
          if (t.text === 'while') return { stmt: { kind: 'While', range, cond, parens, body } };
          return { stmt: { kind: 'Unroll', range, count: cond, parens, body } };
        }
        case 'for':
          return { stmt: this.parseFor() };
        case 'break':
        case 'continue': {
          this.next();
          this.endStmt();
          return { stmt: { kind: 'Jump', range: this.range(start), op: t.text, value: null } };
        }
        case 'return': {
          this.next();
          const value = this.at(';') || this.at('}') ? null : this.parseExpr();
          const range = this.range(start);
          this.endStmt();
          return { stmt: { kind: 'Jump', range, op: 'return', value } };
        }
        case 'let':
          return { stmt: this.parseLet() };
        case 'if': {
          const s = this.parseIf();
          // An if/else chain ending a block is the block's value (macros, block expressions).
          if (this.at('}') && hasFinalElse(s)) return { trailing: s };
          this.eat(';');
          return { stmt: s };
        }
        default:
          break;
      }
    }
    if (t.kind === 'punct' && t.text === '{') {
      const b = this.parseBlock(true);
      this.eat(';');
      return { stmt: b };
    }
    if (t.kind === 'ident' && t.text === '_' && this.at('=', 1)) {
      this.next();
      this.next();
      const expr = this.parseExpr();
      const range = this.range(start);
      this.endStmt();
      return { stmt: { kind: 'Discard', range, expr } };
    }
    if (t.kind === 'var' || t.kind === 'map') return this.parseSigiled();
    const expr = this.parseExpr();
    return this.exprEnd(expr);
  }

  /** After an expression statement: `;`, or a trailing value before `}`. */
  private exprEnd(expr: A.Expr): { stmt: A.Stmt } | { trailing: A.Expr } {
    if (this.eat(';')) return { stmt: { kind: 'ExprStmt', range: this.range(expr.range.start), expr } };
    if (this.at('}')) return { trailing: expr };
    if (expr.kind === 'If' || expr.kind === 'Block') return { stmt: { kind: 'ExprStmt', range: expr.range, expr } };
    return this.fail("expected ';'");
  }

  /** Statements starting with `$x` or `@m`: assignments, ++/--, or expressions. */
  private parseSigiled(): { stmt: A.Stmt } | { trailing: A.Expr } {
    const t = this.peek();
    const start = t.start;
    let lhs: A.Expr;
    if (t.kind === 'var') {
      this.next();
      lhs = { kind: 'Var', range: tokRange(t), name: t.text };
    } else lhs = this.parseMapWithKeys();
    const op = this.peek();
    if (op.kind === 'punct' && (op.text === '=' || COMPOUND.has(op.text)) && isLvalue(lhs)) {
      this.next();
      const value = this.parseExpr();
      const range = this.range(start);
      this.endStmt();
      return { stmt: { kind: 'Assign', range, target: lhs, op: op.text as A.AssignOp, value } };
    }
    const post = this.parsePostfix(lhs);
    if (this.at('=')) {
      const eq = this.next();
      this.parseExpr();
      const range = this.range(start);
      if (post.kind === 'TupleIndex' || post.kind === 'Field') {
        this.error(
          'Tuples and records are immutable once created. Consider creating a new value and assigning it instead.',
          range,
        );
      } else this.error('invalid assignment target', range);
      this.endStmt();
      return { stmt: { kind: 'Error', range, message: `invalid assignment at ${eq.start}` } };
    }
    return this.exprEnd(this.parseTernary(this.parseBinary(1, post)));
  }

  /** Condition of while/unroll: parenthesized expression or a unary expression. */
  private loopHead(): A.Expr {
    if (this.eat('(')) {
      const e = this.parseExpr();
      this.expect(')');
      return e;
    }
    return this.parseUnary();
  }

  private parseLet(): A.VarDecl {
    const start = this.next().start; // 'let'
    const v = this.peek();
    if (v.kind !== 'var') return this.fail("expected variable after 'let'");
    this.next();
    const variable: A.Var = { kind: 'Var', range: tokRange(v), name: v.text };
    const type = this.eat(':') ? this.parseTypeAnn() : null;
    const init = this.eat('=') ? this.parseExpr() : null;
    const range = this.range(start);
    this.endStmt();
    return { kind: 'VarDecl', range, var: variable, type, init };
  }

  private parseFor(): A.For {
    const start = this.next().start; // 'for'
    const paren = this.eat('(') !== undefined;
    const v = this.peek();
    if (v.kind !== 'var') return this.fail('expected variable in for loop');
    this.next();
    const variable: A.Var = { kind: 'Var', range: tokRange(v), name: v.text };
    this.expect(':');
    const first = this.parsePrimary();
    let iterable: A.MapRef | A.RangeExpr;
    if (this.eat('..')) {
      const to = this.parsePrimary();
      iterable = { kind: 'Range', range: this.range(first.range.start), from: first, to };
    } else if (first.kind === 'Map') iterable = first;
    else return this.fail('expected map or range in for loop', first.range);
    if (paren) this.expect(')');
    const body = this.parseBlock(false);
    return { kind: 'For', range: this.range(start), var: variable, iterable, parens: paren, body };
  }
}

/** Whether every branch of an if/else-if chain ends in a plain `else { }`. */
function hasFinalElse(n: A.If): boolean {
  if (n.else === null) return false;
  return n.else.kind === 'Block' || hasFinalElse(n.else);
}

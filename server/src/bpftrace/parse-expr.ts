/**
 * Expression and type grammar of bpftrace (recursive descent with precedence
 * climbing, levels as in bpftrace's parser: || && | ^ & ==/!= relational shifts
 * additive multiplicative, then unary, postfix and primaries; ternary lowest).
 * Casts, records, tuples and grouping are told apart the way bpftrace does.
 * Non-goal: statements and blocks (parse-stmt.ts supplies parseBlock).
 */
import * as A from './ast';
import { Cursor } from './cursor';
import { isParserBuiltin, Token } from './lexer';

const BINARY_PREC: Record<string, number> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '>': 7, '<=': 7, '>=': 7,
  '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10,
};

/** Type names bpftrace knows without a C definition. */
export const BUILTIN_TYPE_NAMES = new Set([
  'void', 'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'string',
  'buffer', 'inet', 'ksym_t', 'usym_t', 'timestamp', 'kstack_t', 'ustack_t', 'cgroup_path_t', 'strerror_t',
  'macaddr_t', 'char', 'short', 'int', 'long', 'unsigned', 'signed',
]);

export abstract class ExprParser extends Cursor {
  /** Parses `{ ... }`; `allowValue` keeps a trailing expression as the block's value. */
  abstract parseBlock(allowValue: boolean): A.Block;

  parseExpr(): A.Expr {
    return this.parseTernary();
  }

  /** Ternary level; `parsed` is an already parsed condition (statements starting with `$x`/`@m`). */
  parseTernary(parsed?: A.Expr): A.Expr {
    const cond = parsed ?? this.parseBinary(1);
    const start = cond.range.start;
    if (this.eat('?:')) {
      const els = this.parseTernary();
      return { kind: 'Ternary', range: this.range(start), cond, then: null, else: els };
    }
    if (!this.eat('?')) return cond;
    if (this.eat(':')) {
      const els = this.parseTernary();
      return { kind: 'Ternary', range: this.range(start), cond, then: null, else: els };
    }
    const then = this.parseTernary();
    this.expect(':');
    const els = this.parseTernary();
    return { kind: 'Ternary', range: this.range(start), cond, then, else: els };
  }

  /** Binary operator at the cursor, unless it ends a predicate (`/` before `{`). */
  private binop(): string | undefined {
    const t = this.peek();
    if (t.kind !== 'punct' || !(t.text in BINARY_PREC)) return undefined;
    if (t.text === '/' && this.at('{', 1)) return undefined;
    return t.text;
  }

  parseBinary(minPrec: number, left?: A.Expr): A.Expr {
    let l = left ?? this.parseUnary();
    for (;;) {
      const op = this.binop();
      if (op === undefined) return l;
      const prec = BINARY_PREC[op];
      if (prec < minPrec) return l;
      this.next();
      const r = this.parseBinary(prec + 1);
      l = { kind: 'Binary', range: this.range(l.range.start), op: op as A.BinaryOp, left: l, right: r };
    }
  }

  parseUnary(): A.Expr {
    const t = this.peek();
    const start = t.start;
    if (t.kind === 'punct') {
      if (t.text === '++' || t.text === '--') {
        this.next();
        const operand = this.parseUnary();
        if (!isLvalue(operand)) this.error('increment/decrement requires a variable or map', operand.range);
        return { kind: 'Unary', range: this.range(start), op: t.text, postfix: false, operand };
      }
      if (t.text === '&' || t.text === '&&') {
        if (t.text === '&&') return this.fail('expected expression');
        this.next();
        const n = this.peek();
        if (n.kind === 'var' || n.kind === 'map') {
          this.next();
          const operand: A.Var | A.MapRef =
            n.kind === 'var' ? { kind: 'Var', range: tokRange(n), name: n.text } : { kind: 'Map', range: tokRange(n), name: n.text };
          return { kind: 'AddrOf', range: this.range(start), operand };
        }
        return this.fail('address-of operator (&) can only be used on a map or variable');
      }
      if (t.text === '*' || t.text === '!' || t.text === '~' || t.text === '-') {
        this.next();
        const operand = this.parseUnary();
        return { kind: 'Unary', range: this.range(start), op: t.text, postfix: false, operand };
      }
    }
    return this.parsePostfix(this.parsePrimary());
  }

  parsePostfix(e: A.Expr): A.Expr {
    const start = e.range.start;
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'punct') return e;
      if (t.text === '.') {
        this.next();
        const f = this.peek();
        if (f.kind === 'int') {
          this.next();
          e = { kind: 'TupleIndex', range: this.range(start), object: e, index: Number(f.value ?? 0n) };
          continue;
        }
        if (!this.atWord()) return this.fail("expected field name after '.'");
        this.next();
        e = { kind: 'Field', range: this.range(start), object: e, arrow: false, field: f.text };
      } else if (t.text === '->') {
        this.next();
        const f = this.peek();
        if (!this.atWord()) return this.fail("expected field name after '->'");
        this.next();
        e = { kind: 'Field', range: this.range(start), object: e, arrow: true, field: f.text };
      } else if (t.text === '[') {
        this.next();
        const index = this.parseExpr();
        this.expect(']');
        e = { kind: 'Index', range: this.range(start), object: e, index };
      } else if (t.text === '++' || t.text === '--') {
        if (!isLvalue(e)) {
          this.next();
          this.error('increment/decrement requires a variable or map', tokRange(t));
          return e;
        }
        this.next();
        e = { kind: 'Unary', range: this.range(start), op: t.text, postfix: true, operand: e };
      } else return e;
    }
  }

  /** Whether the next token can begin an expression (bpftrace's cast test). */
  private canStartExpr(): boolean {
    const t = this.peek();
    switch (t.kind) {
      case 'int': case 'string': case 'var': case 'map': case 'param': case 'paramcount':
      case 'ident': case 'keyword': case 'builtin':
        return true;
      case 'punct':
        return ['(', '-', '!', '~', '*', '&', '++', '--'].includes(t.text);
      default:
        return false;
    }
  }

  parsePrimary(): A.Expr {
    const t = this.peek();
    const start = t.start;
    switch (t.kind) {
      case 'punct':
        if (t.text === '(') return this.parseParen();
        if (t.text === '{') return this.parseBlock(true);
        break;
      case 'int':
        this.next();
        return intNode(t);
      case 'string':
        this.next();
        return { kind: 'Str', range: tokRange(t), value: t.str ?? '' };
      case 'var':
        this.next();
        return { kind: 'Var', range: tokRange(t), name: t.text };
      case 'param': {
        this.next();
        const n = Number(t.text.slice(1));
        if (!(n >= 1) || !Number.isSafeInteger(n)) {
          this.error(`param ${t.text} is out of integer range [1, 9223372036854775807]`, tokRange(t));
        }
        return { kind: 'Param', range: tokRange(t), n };
      }
      case 'paramcount':
        this.next();
        return { kind: 'ParamCount', range: tokRange(t) };
      case 'map':
        return this.parseMapWithKeys();
      case 'keyword':
        return this.parseKeywordPrimary(t);
      case 'ident':
      case 'builtin': {
        this.next();
        if (this.at('(')) return this.parseCall(t);
        if (t.kind === 'builtin') return { kind: 'Builtin', range: tokRange(t), name: t.text };
        return { kind: 'Ident', range: tokRange(t), name: t.text };
      }
      default:
        break;
    }
    return this.fail('expected expression', { start, end: Math.max(t.end, start) });
  }

  private parseKeywordPrimary(t: Token): A.Expr {
    const start = t.start;
    switch (t.text) {
      case 'true':
      case 'false':
        this.next();
        return { kind: 'Bool', range: tokRange(t), value: t.text === 'true' };
      case 'if':
        return this.parseIf();
      case 'sizeof':
      case 'typeinfo':
      case 'typeof': {
        this.next();
        this.expect('(');
        const arg = this.typeOrExpr();
        this.expect(')');
        const kind = t.text === 'sizeof' ? 'Sizeof' : t.text === 'typeof' ? 'Typeof' : 'Typeinfo';
        return { kind, range: this.range(start), arg };
      }
      case 'offsetof': {
        this.next();
        this.expect('(');
        const kw = this.peek().text;
        const arg = kw === 'struct' || kw === 'union' || kw === 'enum' ? this.parseType() : this.parseExpr();
        this.expect(',');
        const fields: string[] = [];
        do {
          if (!this.atWord()) return this.fail('expected identifier');
          fields.push(this.next().text);
        } while (this.eat('.'));
        this.expect(')');
        return { kind: 'Offsetof', range: this.range(start), arg, fields };
      }
      case 'comptime': {
        this.next();
        const expr = this.parseUnary();
        return { kind: 'Comptime', range: this.range(start), expr };
      }
      default: {
        // Other keywords used as names (e.g. a call to a function called `config`).
        this.next();
        if (this.at('(')) return this.parseCall(t);
        return { kind: 'Ident', range: tokRange(t), name: t.text };
      }
    }
  }

  /** `if cond { } [else if ... | else { }]`, condition with or without parentheses. */
  parseIf(): A.If {
    const start = this.next().start; // 'if'
    let parens = false;
    let cond: A.Expr;
    if (this.at('(')) {
      parens = true;
      const m = this.mark();
      this.next();
      cond = this.parseExpr();
      this.expect(')');
      // `if (a) + b {` : the parentheses were only part of the condition.
      if (!this.at('{')) {
        this.reset(m);
        parens = false;
        cond = this.parseExpr();
      }
    } else cond = this.parseUnary();
    const then = this.parseBlock(true);
    let els: A.Block | A.If | null = null;
    if (this.eat('else')) {
      if (this.at('if')) els = this.parseIf();
      else if (this.at('{')) els = this.parseBlock(true);
      else return this.fail("expected '{' or 'if' after 'else'");
    }
    return { kind: 'If', range: this.range(start), cond, parens, then, else: els };
  }

  parseCall(name: Token): A.Call {
    this.expect('(');
    const args: A.Expr[] = [];
    if (!this.at(')')) {
      do args.push(this.parseExpr());
      while (this.eat(','));
    }
    this.expect(')');
    return { kind: 'Call', range: this.range(name.start), name: name.text, args };
  }

  parseMapWithKeys(): A.MapRef | A.MapAccess {
    const t = this.next();
    const map: A.MapRef = { kind: 'Map', range: tokRange(t), name: t.text };
    if (!this.eat('[')) return map;
    const keys: A.Expr[] = [];
    do keys.push(this.parseExpr());
    while (this.eat(','));
    this.expect(']');
    return { kind: 'MapAccess', range: this.range(t.start), map, keys };
  }

  private parseParen(): A.Expr {
    const start = this.next().start; // '('
    if (this.eat(')')) return { kind: 'Tuple', range: this.range(start), elems: [] };
    // Record: (name = e, ...)
    if (this.atWord() && this.at('=', 1) && !isParserBuiltin(this.peek().text)) {
      const fields: A.RecordField[] = [];
      const seen = new Set<string>();
      do {
        const n = this.peek();
        if (!this.atWord()) return this.fail('expected identifier');
        this.next();
        this.expect('=');
        const value = this.parseExpr();
        const range = this.range(n.start);
        if (seen.has(n.text)) this.error(`Named argument list already contains name: ${n.text}`, range);
        seen.add(n.text);
        fields.push({ kind: 'RecordField', range, name: n.text, value });
      } while (this.eat(',') && !this.at(')'));
      this.expect(')');
      return { kind: 'Record', range: this.range(start), fields };
    }
    const cast = this.tryCast(start);
    if (cast) return cast;
    const first = this.parseExpr();
    if (!this.eat(',')) {
      this.expect(')');
      return first;
    }
    const elems = [first];
    while (!this.at(')')) {
      elems.push(this.parseExpr());
      if (!this.eat(',')) break;
    }
    this.expect(')');
    return { kind: 'Tuple', range: this.range(start), elems };
  }

  /** `(type) expr`: a type, `)`, and something that starts an expression; else rewinds. */
  private tryCast(start: number): A.Cast | undefined {
    const m = this.mark();
    let type: A.TypeAnn | undefined;
    if (this.at('typeof') && this.at('(', 1)) {
      const ts = this.next().start;
      this.next();
      const arg = this.typeOrExpr();
      if (!this.eat(')')) {
        this.reset(m);
        return undefined;
      }
      type = { kind: 'Typeof', range: this.range(ts), arg };
    } else if (this.atWord() && !isParserBuiltin(this.peek().text)) {
      type = this.tryType();
    }
    if (type === undefined || !this.at(')')) {
      this.reset(m);
      return undefined;
    }
    this.next();
    if (!this.canStartExpr()) {
      this.reset(m);
      return undefined;
    }
    const expr = this.parseUnary();
    return { kind: 'Cast', range: this.range(start), type, expr };
  }

  /** A type without reporting errors, or undefined (cursor then undefined too: callers reset). */
  private tryType(): A.TypeRef | undefined {
    const m = this.mark();
    try {
      return this.parseType();
    } catch {
      this.reset(m);
      return undefined;
    }
  }

  /** `int8`, `struct x`, followed by `*` and `[N]` suffixes in any order. */
  parseType(): A.TypeRef {
    const t = this.peek();
    if (!this.atWord()) return this.fail('expected type name');
    this.next();
    let name = t.text;
    if (name === 'struct' || name === 'union' || name === 'enum') {
      if (!this.atWord()) return this.fail('expected identifier');
      name += ' ' + this.next().text;
    }
    const suffixes: ('*' | number | null)[] = [];
    for (;;) {
      if (this.eat('*')) suffixes.push('*');
      else if (this.eat('[')) {
        const n = this.peek();
        if (n.kind === 'int') {
          this.next();
          suffixes.push(Number(n.value ?? 0n));
        } else suffixes.push(null);
        this.expect(']');
      } else break;
    }
    return { kind: 'TypeRef', range: this.range(t.start), name, suffixes };
  }

  /**
   * Inside `sizeof(...)`, `typeof(...)`, `typeinfo(...)`: a type when it reads
   * as one and is followed by `)`; a lone unknown name stays an identifier.
   */
  typeOrExpr(): A.TypeRef | A.Expr {
    const t = this.peek();
    if (this.atWord() && !isParserBuiltin(t.text) && !(t.kind === 'keyword' && !['struct', 'union', 'enum'].includes(t.text))) {
      const m = this.mark();
      const type = this.tryType();
      if (type && this.at(')')) {
        const known = /^(struct|union|enum) /.test(type.name) || BUILTIN_TYPE_NAMES.has(type.name);
        if (known || type.suffixes.length > 0) return type;
        return { kind: 'Ident', range: type.range, name: type.name };
      }
      this.reset(m);
    }
    return this.parseExpr();
  }

  /** Type annotation of `let` and `fn`: a type, or `typeof(...)`. */
  parseTypeAnn(): A.TypeAnn {
    if (this.at('typeof')) {
      const start = this.next().start;
      this.expect('(');
      const arg = this.typeOrExpr();
      this.expect(')');
      return { kind: 'Typeof', range: this.range(start), arg };
    }
    return this.parseType();
  }
}

export function tokRange(t: Token): { start: number; end: number } {
  return { start: t.start, end: t.end };
}

export function intNode(t: Token): A.Int {
  const n: A.Int = { kind: 'Int', range: tokRange(t), text: t.text, value: t.value };
  if (t.suffix !== undefined) n.suffix = t.suffix;
  return n;
}

export function isLvalue(e: A.Expr): e is A.Var | A.MapRef | A.MapAccess {
  return e.kind === 'Var' || e.kind === 'Map' || e.kind === 'MapAccess';
}

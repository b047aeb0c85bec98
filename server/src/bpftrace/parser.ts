/**
 * bpftrace parser entry point and top-level grammar: preprocessor lines, C
 * definitions, `config`, `import`, `macro`, `fn`, map declarations and probes
 * (attach points, predicate, body). Never throws: every problem is a diagnostic
 * with a range, and parsing resumes at the next probe. Non-goals: semantic
 * checks and version checks (versions.ts).
 */
import * as A from './ast';
import { canonicalProvider, scanAttachPoint, splitAttachPoint } from './attach';
import { Bail } from './cursor';
import { Range, Diagnostic } from './source';
import { StmtParser } from './parse-stmt';
import { tokRange, intNode } from './parse-expr';
import { isParserBuiltin } from './lexer';

export interface ParseResult {
  program: A.Program;
  diagnostics: Diagnostic[];
  /** Comment ranges, for editors. */
  comments: Range[];
}

class TopParser extends StmtParser {
  /** Set once a probe, macro, fn or map declaration has been seen. */
  private sawMain = false;

  constructor(
    text: string,
    private readonly onItem?: (item: A.TopItem, program: A.Program) => void,
  ) {
    super(text);
  }

  parseProgram(): A.Program {
    const items: A.TopItem[] = [];
    const program: A.Program = { kind: 'Program', range: { start: 0, end: this.text.length }, items };
    while (this.peek().kind !== 'eof') {
      const before = this.peek().start;
      const n = items.length;
      try {
        const item = this.parseTopItem();
        if (item) items.push(item);
      } catch (e) {
        if (!(e instanceof Bail)) throw e;
        this.syncProbe();
        const d = this.diagnostics[this.diagnostics.length - 1];
        items.push({ kind: 'Error', range: this.range(before), message: d ? d.message : 'syntax error' });
      }
      if (this.onItem && items.length > n) this.onItem(items[n], program);
      if (this.peek().start === before && this.peek().kind !== 'eof') {
        this.error('unexpected input');
        this.next();
      }
    }
    return program;
  }

  private parseTopItem(): A.TopItem | undefined {
    const t = this.peek();
    if (t.kind === 'punct' && ['}', ')', ']', ';', '='].includes(t.text)) {
      this.error('unexpected input');
      this.next();
      return undefined;
    }
    if (t.kind === 'preproc') {
      this.next();
      if (this.sawMain) this.error('C definitions must appear before probes and functions', tokRange(t));
      return { kind: 'Preproc', range: tokRange(t), text: t.text };
    }
    if ((t.text === 'struct' || t.text === 'union' || t.text === 'enum') && t.kind === 'ident' && this.looksLikeCDefinition()) {
      const def = this.parseCDefinition();
      if (this.sawMain) this.error('C definitions must appear before probes and functions', def.range);
      return def;
    }
    if (t.kind === 'keyword') {
      if (t.text === 'config' && this.at('=', 1)) {
        const c = this.parseConfig();
        if (this.sawMain) this.error('config must appear before probes and functions', c.range);
        return c;
      }
      if (t.text === 'import' && this.peek(1).kind === 'string') {
        this.next();
        const s = this.next();
        const range = this.range(t.start);
        this.expect(';', "expected ';' after import");
        if (this.sawMain) this.error('root imports must appear before probes and functions', range);
        return { kind: 'Import', range, path: s.str ?? '' };
      }
      if (t.text === 'macro' && this.atWord(1)) return this.main(this.parseMacro());
      if (t.text === 'fn' && this.atWord(1)) return this.main(this.parseFn());
      if (t.text === 'let') {
        if (this.peek(1).kind === 'map') return this.main(this.parseMapDecl());
        this.fail('root-level let statements need to be map declarations, e.g. let @a = hash(2);');
      }
    }
    return this.main(this.parseProbe());
  }

  private main<T extends A.TopItem>(item: T): T {
    this.sawMain = true;
    return item;
  }

  /** After struct/union/enum: names and balanced groups up to `{` (not `:` `/` `,` `;`). */
  private looksLikeCDefinition(): boolean {
    for (let k = 1; k < 64; k++) {
      const t = this.peek(k);
      if (t.kind === 'eof') return false;
      if (t.text === '{' && t.kind === 'punct') return true;
      if (t.kind === 'punct' && [':', '/', ',', ';', '::'].includes(t.text)) return false;
    }
    return false;
  }

  private parseCDefinition(): A.CDefinition {
    const kw = this.next();
    const nameTok = this.peek();
    const name = this.atWord() && nameTok.text !== '__attribute__' ? nameTok.text : '';
    while (!this.at('{')) this.next();
    let depth = 0;
    for (;;) {
      const t = this.next();
      if (t.kind === 'eof') this.fail("expected '}'", tokRange(kw));
      if (t.text === '{' && t.kind === 'punct') depth++;
      else if (t.text === '}' && t.kind === 'punct' && --depth === 0) break;
    }
    while (this.at('__attribute__')) {
      this.next();
      if (!this.at('(') || !this.at('(', 1)) this.fail("__attribute__ syntax error, expected '(('");
      let d = 0;
      do {
        const t = this.next();
        if (t.kind === 'eof') this.fail("__attribute__ syntax error, mismatched '(' and ')'");
        if (t.text === '(') d++;
        else if (t.text === ')') d--;
      } while (d > 0);
    }
    const range = this.range(kw.start);
    this.eat(';');
    return { kind: 'CDefinition', range, keyword: kw.text as 'struct' | 'union' | 'enum', name, text: this.text.slice(range.start, range.end) };
  }

  private parseConfig(): A.Config {
    const start = this.next().start;
    this.expect('=');
    this.expect('{');
    const entries: A.ConfigEntry[] = [];
    while (!this.at('}')) {
      const k = this.peek();
      if (!this.atWord()) this.fail('expected config key');
      this.next();
      this.expect('=');
      const v = this.peek();
      let value: A.ConfigEntry['value'];
      if (v.kind === 'string') value = { kind: 'Str', range: tokRange(v), value: v.str ?? '' };
      else if (v.text === 'true' || v.text === 'false') value = { kind: 'Bool', range: tokRange(v), value: v.text === 'true' };
      else if (v.kind === 'int') {
        if (v.value === undefined) this.error('invalid integer in config', tokRange(v));
        value = intNode(v);
      } else if (this.atWord()) value = { kind: 'Ident', range: tokRange(v), name: v.text };
      else this.fail('expected string, int, boolean, or ident');
      this.next();
      entries.push({ kind: 'ConfigEntry', range: this.range(k.start), key: k.text, value });
      if (!this.at('}')) this.expect(';');
    }
    this.next();
    return { kind: 'Config', range: this.range(start), entries };
  }

  private parseMacro(): A.Macro {
    const start = this.next().start;
    const name = this.next().text;
    this.expect('(');
    const params: A.Macro['params'] = [];
    if (!this.at(')')) {
      do {
        const p = this.peek();
        if (p.kind === 'var') params.push({ kind: 'Var', range: tokRange(p), name: p.text });
        else if (p.kind === 'map') params.push({ kind: 'Map', range: tokRange(p), name: p.text });
        else if (p.kind === 'builtin' && isParserBuiltin(p.text)) this.fail(`builtin '${p.text}' can't be used as a macro argument`);
        else if (this.atWord()) params.push({ kind: 'Ident', range: tokRange(p), name: p.text });
        else this.fail('expected macro argument ($var, @map, or identifier)');
        this.next();
      } while (this.eat(','));
    }
    this.expect(')');
    const body = this.parseBlock(true);
    return { kind: 'Macro', range: this.range(start), name, params, body };
  }

  private parseFn(): A.Fn {
    const start = this.next().start;
    const name = this.next().text;
    this.expect('(');
    const params: A.FnParam[] = [];
    if (!this.at(')')) {
      do {
        const v = this.peek();
        if (v.kind !== 'var') this.fail('expected variable in function argument');
        this.next();
        this.expect(':');
        const type = this.parseTypeAnn();
        params.push({ kind: 'FnParam', range: this.range(v.start), var: { kind: 'Var', range: tokRange(v), name: v.text }, type });
      } while (this.eat(','));
    }
    this.expect(')');
    this.expect(':');
    const ret = this.parseTypeAnn();
    const body = this.parseBlock(false);
    return { kind: 'Fn', range: this.range(start), name, params, ret, body };
  }

  private parseMapDecl(): A.MapDecl {
    const start = this.next().start; // let
    const m = this.next();
    const map: A.MapRef = { kind: 'Map', range: tokRange(m), name: m.text };
    this.expect('=');
    if (!this.atWord()) this.fail('expected map type name');
    const mapKind = this.next().text;
    this.expect('(');
    const n = this.peek();
    if (n.kind !== 'int' || n.value === undefined) this.fail('expected positive integer for map declaration max entries');
    this.next();
    this.expect(')');
    const range = this.range(start);
    this.eat(';');
    return { kind: 'MapDecl', range, map, mapKind, maxEntries: n.value };
  }

  /** One attach point and its `name=` prefix (or null). */
  private parseAttachPoint(): [A.AttachPoint, string | null] {
    const start = this.offset;
    const end = scanAttachPoint(this.text, start);
    if (end === start) this.fail('expected attach point');
    this.seek(end, end);
    const s = splitAttachPoint(this.text.slice(start, end));
    const canonical = canonicalProvider(s.provider);
    // The attach point proper starts after a `name=` prefix.
    const apStart = s.name === null ? start : start + s.name.length + 1;
    const raw = this.text.slice(apStart, end);
    const range = { start: apStart, end };
    if (canonical === '') this.error(`Invalid provider: '${s.provider}'`, range);
    return [{ kind: 'AttachPoint', range, raw, provider: s.provider, canonical, parts: s.parts }, s.name];
  }

  private parseProbe(): A.Probe {
    const start = this.offset;
    const [first, name] = this.parseAttachPoint();
    const aps = [first];
    while (this.eat(',')) {
      if (this.at('/') || this.at('{')) break; // trailing comma
      const [ap, apName] = this.parseAttachPoint();
      if (apName !== null) this.error('only the first attach point of a probe can carry a name', ap.range);
      aps.push(ap);
    }
    let predicate: A.Expr | null = null;
    if (this.eat('/')) {
      predicate = this.parseExpr();
      this.expect('/', "expected '/' to close predicate");
    }
    if (!this.at('{')) this.fail("expected '{'");
    const body = this.parseBlock(false);
    return { kind: 'Probe', range: this.range(start), name, attachPoints: aps, predicate, body };
  }
}

/**
 * Parses a bpftrace script. Never throws. `onItem` sees each top-level item
 * as soon as it is parsed (with the program it goes into), while its nodes
 * are still in the CPU's caches: checkScript runs the version check there.
 */
export function parse(text: string, onItem?: (item: A.TopItem, program: A.Program) => void): ParseResult {
  const p = new TopParser(text, onItem);
  let program: A.Program;
  try {
    program = p.parseProgram();
  } catch (e) {
    // Only an internal fault (or a nesting deep enough to exhaust the stack) gets here.
    const msg = e instanceof RangeError ? 'expression nesting too deep' : `internal parser error: ${String(e)}`;
    p.diagnostics.push({ range: { start: p.prevEnd, end: p.prevEnd }, severity: 'error', message: msg, source: 'syntax' });
    program = { kind: 'Program', range: { start: 0, end: text.length }, items: [] };
  }
  const diagnostics = [...p.diagnostics].sort((a, b) => a.range.start - b.range.start);
  return { program, diagnostics, comments: p.lx.comments };
}

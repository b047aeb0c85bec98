/**
 * bpftrace lexer: a pull tokenizer over the script text that the parser can
 * reposition (for backtracking and for the raw attach-point scan). It never
 * throws; malformed literals and comments become diagnostics in bpftrace's
 * words. Non-goals: attach-point syntax (see attach.ts) and C macro expansion.
 */
import { Diagnostic, Range } from './source';

export type TokKind =
  | 'int'
  | 'string'
  | 'ident'
  | 'keyword'
  | 'builtin'
  | 'var' // $name
  | 'map' // @name or a bare @
  | 'param' // $1
  | 'paramcount' // $#
  | 'punct'
  | 'preproc' // a whole `#...` line
  | 'invalid'
  | 'eof';

export interface Token {
  kind: TokKind;
  /** Source text of the token. */
  text: string;
  start: number;
  end: number;
  /** Integers: value after suffix scaling (durations in ns); undefined when invalid. */
  value?: bigint;
  /** Integers: the suffix (u, ul, ull, l, ll, ns, us, ms, s, m, h, d). */
  suffix?: string;
  /** Strings: the decoded value. */
  str?: string;
}

/**
 * A token of four fields; integers and strings (one token in ten) have their
 * own shapes with the literal's fields (smaller tokens: the lexer allocates
 * one per token, most of them punctuation).
 */
function tok(kind: TokKind, text: string, start: number, end: number): Token {
  return { kind, text, start, end };
}

export const KEYWORDS = new Set([
  'if', 'else', 'while', 'unroll', 'for', 'return', 'break', 'continue', 'let', 'fn', 'macro',
  'import', 'config', 'sizeof', 'offsetof', 'typeof', 'typeinfo', 'comptime', 'true', 'false',
]);

/** Identifiers bpftrace treats as builtins (0.17 and 0.26 spellings). */
export const BUILTIN_NAMES = new Set([
  'args', 'ctx', 'kstack', 'ustack', 'nsecs', 'pid', 'tid', 'cgroup', 'comm', 'cpid', 'cpu', 'curtask',
  'elapsed', 'func', 'gid', 'jiffies', 'ncpus', 'numaid', 'probe', 'rand', 'retval', 'uid', 'usermode',
  'username',
]);

/**
 * The narrower set bpftrace 0.26's parser itself treats as builtins (no casts,
 * record fields or macro parameters with these names); the rest are stdlib names.
 */
const PARSER_BUILTINS = new Set(['args', 'ctx', 'kstack', 'nsecs', 'pid', 'tid', 'ustack']);

/** `argN` or `sargN`. */
function isArgName(name: string): boolean {
  const i = name.charCodeAt(0) === 115 ? 1 : 0; // s
  if (name.length < i + 4 || name.charCodeAt(i) !== 97 || name.charCodeAt(i + 1) !== 114 || name.charCodeAt(i + 2) !== 103) return false; // arg
  for (let j = i + 3; j < name.length; j++) if (!isDigit(name.charCodeAt(j))) return false;
  return true;
}

export function isParserBuiltin(name: string): boolean {
  return PARSER_BUILTINS.has(name) || name.startsWith('__builtin_') || isArgName(name);
}

export function isBuiltinName(name: string): boolean {
  return BUILTIN_NAMES.has(name) || name.startsWith('__builtin_') || isArgName(name);
}

/** Punctuators, longest first within each leading character. */
const PUNCTS = [
  '<<=', '>>=',
  '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '==', '!=', '<=', '>=', '<<', '>>', '&&', '||',
  '++', '--', '->', '..', '::', '?:',
  '+', '-', '*', '/', '%', '&', '|', '^', '!', '~', '<', '>', '=', '?', ':', '.', ',', ';', '(', ')',
  '{', '}', '[', ']',
];
/** Punctuators by leading character code (all are ASCII), longest first. */
const PUNCT_BY_CHAR: (string[] | undefined)[] = new Array(128).fill(undefined);
for (const p of PUNCTS) {
  const c = p.charCodeAt(0);
  const l = PUNCT_BY_CHAR[c];
  if (l) l.push(p);
  else PUNCT_BY_CHAR[c] = [p];
}

const DURATION_NS: Record<string, bigint> = {
  ns: 1n, us: 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
};
const U64_MAX = (1n << 64n) - 1n;
/** The same scales as numbers (all exact), for scanInt's fast path. */
const DURATION_NS_NUM: Record<string, number> = Object.fromEntries(Object.entries(DURATION_NS).map(([k, v]) => [k, Number(v)]));
/** Maximum value per C integer suffix (LP64). */
const SUFFIX_MAX: Record<string, bigint> = {
  '': U64_MAX, u: (1n << 32n) - 1n, ul: U64_MAX, ull: U64_MAX, l: (1n << 63n) - 1n, ll: (1n << 63n) - 1n,
};
/** Suffix maxima that are exact as numbers (`u`); the others exceed every exactly representable value. */
const SUFFIX_MAX_NUM: Record<string, number> = { u: 2 ** 32 - 1 };

export function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
export function isIdentChar(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

export class Lexer {
  /** Comments seen so far (each once, even when the parser re-lexes). */
  readonly comments: Range[] = [];
  pos = 0;
  /** Highest offset already lexed: diagnostics and comments before it are not recorded again. */
  private seen = 0;

  constructor(
    readonly text: string,
    readonly diagnostics: Diagnostic[] = [],
  ) {}

  private diag(start: number, end: number, message: string): void {
    if (start < this.seen) return;
    this.diagnostics.push({ range: { start, end }, severity: 'error', message, source: 'lex' });
  }

  /** Skips trivia from `this.pos`, recording comments and unterminated-comment errors. */
  private trivia(): void {
    const t = this.text;
    const n = t.length;
    let pos = this.pos;
    while (pos < n) {
      const c = t.charCodeAt(pos);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11) pos++;
      else if (c === 47 && t.charCodeAt(pos + 1) === 47) {
        const e = t.indexOf('\n', pos);
        const end = e < 0 ? n : e;
        if (pos >= this.seen) this.comments.push({ start: pos, end });
        pos = end;
      } else if (c === 47 && t.charCodeAt(pos + 1) === 42) {
        const e = t.indexOf('*/', pos + 2);
        const end = e < 0 ? n : e + 2;
        if (pos >= this.seen) this.comments.push({ start: pos, end });
        if (e < 0) this.diag(pos, n, 'end of file during comment');
        pos = end;
      } else if (c === 35 && pos === 0 && t.charCodeAt(1) === 33) {
        const e = t.indexOf('\n', pos);
        const end = e < 0 ? n : e;
        if (pos >= this.seen) this.comments.push({ start: pos, end });
        pos = end;
      } else break;
    }
    this.pos = pos;
  }

  /** The next token from `this.pos`; advances past it. */
  next(): Token {
    this.trivia();
    const tok = this.scan();
    this.pos = tok.end;
    if (tok.end > this.seen) this.seen = tok.end;
    return tok;
  }

  private scan(): Token {
    const t = this.text;
    const s = this.pos;
    if (s >= t.length) return tok('eof', '', s, s);
    const c = t.charCodeAt(s);
    if (isIdentStart(c)) {
      let e = s + 1;
      while (e < t.length && isIdentChar(t.charCodeAt(e))) e++;
      const text = t.slice(s, e);
      const kind: TokKind = KEYWORDS.has(text) ? 'keyword' : isBuiltinName(text) ? 'builtin' : 'ident';
      return tok(kind, text, s, e);
    }
    if (isDigit(c)) return this.scanInt(s);
    if (c === 34) return this.scanString(s);
    if (c === 36) {
      // $
      const d = t.charCodeAt(s + 1);
      if (d === 35) return tok('paramcount', '$#', s, s + 2);
      if (isDigit(d)) {
        let e = s + 1;
        while (e < t.length && isDigit(t.charCodeAt(e))) e++;
        return tok('param', t.slice(s, e), s, e);
      }
      if (isIdentStart(d)) {
        let e = s + 2;
        while (e < t.length && isIdentChar(t.charCodeAt(e))) e++;
        return tok('var', t.slice(s, e), s, e);
      }
      this.diag(s, s + 1, "expected identifier after '$'");
      return tok('invalid', '$', s, s + 1);
    }
    if (c === 64) {
      // @
      let e = s + 1;
      if (isIdentStart(t.charCodeAt(e))) {
        e++;
        while (e < t.length && isIdentChar(t.charCodeAt(e))) e++;
      }
      return tok('map', t.slice(s, e), s, e);
    }
    if (c === 35 && t.charCodeAt(s + 1) !== 33) {
      let e = s;
      // A preprocessor line runs to the end of the line, with backslash continuations.
      for (;;) {
        const nl = t.indexOf('\n', e);
        if (nl < 0) {
          e = t.length;
          break;
        }
        let q = nl - 1;
        if (t.charCodeAt(q) === 13) q--;
        if (t.charCodeAt(q) === 92) {
          e = nl + 1;
          continue;
        }
        e = nl;
        break;
      }
      let end = e;
      while (end > s && /\s/.test(t[end - 1])) end--;
      return tok('preproc', t.slice(s, end), s, end);
    }
    const list = c < 128 ? PUNCT_BY_CHAR[c] : undefined;
    if (list) {
      for (let i = 0; i < list.length; i++) {
        const p = list[i];
        if (p.length === 1 || t.startsWith(p, s)) return tok('punct', p, s, s + p.length);
      }
    }
    const cp = t.codePointAt(s) ?? c;
    const len = cp > 0xffff ? 2 : 1;
    this.diag(s, s + len, 'invalid character');
    return tok('invalid', t.slice(s, s + len), s, s + len);
  }

  private scanInt(s: number): Token {
    const t = this.text;
    let e = s;
    let base = 10;
    let digits = '';
    const c1 = t.charCodeAt(s + 1);
    if (t.charCodeAt(s) === 48 && (c1 === 120 || c1 === 88)) {
      base = 16;
      e = s + 2;
      while (e < t.length && (isHex(t.charCodeAt(e)) || t.charCodeAt(e) === 95)) e++;
      digits = t.slice(s + 2, e);
    } else if (t.charCodeAt(s) === 48 && (c1 === 98 || c1 === 66) && (t[s + 2] === '0' || t[s + 2] === '1')) {
      base = 2;
      e = s + 2;
      while (e < t.length && /[01_]/.test(t[e])) e++;
      digits = t.slice(s + 2, e);
    } else {
      while (e < t.length && (isDigit(t.charCodeAt(e)) || t.charCodeAt(e) === 95)) e++;
      digits = t.slice(s, e);
      if (digits.length > 1 && digits.charCodeAt(0) === 48 && /^[0-7_]+$/.test(digits)) base = 8;
    }
    if (digits.endsWith('_')) this.diag(e - 1, e, 'trailing underscore in integer literal');
    let exp: string | undefined;
    if (base === 10 && (t[e] === 'e' || t[e] === 'E') && isDigit(t.charCodeAt(e + 1))) {
      let q = e + 1;
      while (q < t.length && (isDigit(t.charCodeAt(q)) || t.charCodeAt(q) === 95)) q++;
      exp = t.slice(e + 1, q);
      e = q;
    }
    // Suffix: a run of identifier characters.
    let q = e;
    while (q < t.length && isIdentChar(t.charCodeAt(q))) q++;
    const suffix = t.slice(e, q);
    const text = t.slice(s, q);
    const it: Token = { kind: 'int', text, start: s, end: q, value: undefined, suffix: undefined };
    if (suffix !== '') it.suffix = suffix;
    if (suffix !== '' && !Object.hasOwn(DURATION_NS, suffix) && !Object.hasOwn(SUFFIX_MAX, suffix)) {
      this.diag(e, q, `invalid integer suffix '${suffix}'`);
      return it;
    }
    const clean = digits.includes('_') ? digits.replace(/_/g, '') : digits;
    if (clean === '') {
      this.diag(s, q, `invalid integer: ${text}`);
      return it;
    }
    if (base === 10 && exp === undefined && clean.length <= 15) {
      // Exact in doubles: scale and check the bound there when the result stays exact (else the bigint path below).
      const scaled = Number(clean) * (DURATION_NS_NUM[suffix] ?? 1);
      const max = SUFFIX_MAX_NUM[suffix] ?? Infinity;
      if (scaled <= Number.MAX_SAFE_INTEGER && scaled <= max) {
        it.value = BigInt(scaled);
        return it;
      }
    }
    let v = BigInt(base === 16 ? '0x' + clean : base === 2 ? '0b' + clean : base === 8 ? '0o' + clean : clean);
    if (exp !== undefined) {
      if (v <= 0n || v >= 10n) {
        this.diag(s, q, `coefficient part of scientific literal must be 1-9: ${text}`);
        return it;
      }
      const p = BigInt(exp.replace(/_/g, ''));
      v = p > 20n ? U64_MAX + 1n : v * 10n ** p;
    }
    const scale = DURATION_NS[suffix] ?? 1n;
    const max = SUFFIX_MAX[suffix] ?? U64_MAX;
    if (v > max / scale) {
      this.diag(s, q, `overflow error, maximum value is ${max}: ${text}`);
      return it;
    }
    it.value = v * scale;
    return it;
  }

  private scanString(s: number): Token {
    const t = this.text;
    let e = s + 1;
    let out = '';
    for (;;) {
      if (e >= t.length || t.charCodeAt(e) === 10) {
        this.diag(s, e, 'unterminated string');
        break;
      }
      const c = t.charCodeAt(e);
      if (c === 34) {
        e++;
        break;
      }
      if (c !== 92) {
        const run = e;
        for (; e < t.length; e++) {
          const d = t.charCodeAt(e);
          if (d === 34 || d === 92 || d === 10) break;
        }
        out += t.slice(run, e);
        continue;
      }
      const esc = t[e + 1];
      if (esc === undefined || esc === '\n') {
        e++;
        continue; // reported as unterminated on the next turn
      }
      if (esc === 'n') out += '\n';
      else if (esc === 't') out += '\t';
      else if (esc === 'r') out += '\r';
      else if (esc === '"') out += '"';
      else if (esc === '\\') out += '\\';
      else if (esc >= '0' && esc <= '7') {
        let q = e + 1;
        while (q < e + 4 && q < t.length && t[q] >= '0' && t[q] <= '7') q++;
        const oct = t.slice(e + 1, q);
        const v = parseInt(oct, 8);
        if (v > 255) this.diag(e, q, `octal escape sequence out of range '\\${oct}'`);
        out += String.fromCharCode(v & 255);
        e = q;
        continue;
      } else if (esc === 'x' || esc === 'X') {
        let q = e + 2;
        while (q < e + 4 && q < t.length && isHex(t.charCodeAt(q))) q++;
        if (q === e + 2) this.diag(e, q, 'invalid hex escape sequence');
        else out += String.fromCharCode(parseInt(t.slice(e + 2, q), 16));
        e = q;
        continue;
      } else {
        this.diag(e, e + 2, `invalid escape character '\\${esc}'`);
      }
      e += 2;
    }
    return { kind: 'string', text: t.slice(s, e), start: s, end: e, str: out };
  }
}

export interface LexResult {
  tokens: Token[];
  comments: Range[];
  diagnostics: Diagnostic[];
}

/** Tokenizes a whole text (the final `eof` token included). */
export function tokenize(text: string): LexResult {
  const lx = new Lexer(text);
  const tokens: Token[] = [];
  for (;;) {
    const tok = lx.next();
    tokens.push(tok);
    if (tok.kind === 'eof') break;
  }
  return { tokens, comments: lx.comments, diagnostics: lx.diagnostics };
}

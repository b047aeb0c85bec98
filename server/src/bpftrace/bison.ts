/**
 * Syntax errors in the words of bpftrace's bison parser (releases before
 * 0.26): "syntax error, unexpected <token>", with bison's token names. Only
 * the generic "expected ..." errors are rephrased; messages bpftrace 0.26
 * shares with older releases are kept. Non-goal: bison's "expecting" lists.
 */
import { Lexer, Token } from './lexer';
import { Diagnostic } from './source';

/** Identifiers bpftrace 0.17's lexer turns into BUILTIN tokens. */
const BUILTINS_017 = new Set([
  'args', 'cgroup', 'comm', 'cpid', 'numaid', 'cpu', 'ctx', 'curtask', 'elapsed', 'func', 'gid', 'nsecs', 'pid',
  'probe', 'rand', 'retval', 'tid', 'uid', 'username',
]);
const CALLS_017 = new Set([
  'avg', 'buf', 'cat', 'cgroupid', 'clear', 'count', 'delete', 'exit', 'hist', 'join', 'kaddr', 'kptr', 'ksym', 'lhist',
  'macaddr', 'max', 'min', 'ntop', 'override', 'print', 'printf', 'cgroup_path', 'reg', 'signal', 'sizeof', 'stats',
  'str', 'strerror', 'strftime', 'strncmp', 'strcontains', 'sum', 'system', 'time', 'uaddr', 'uptr', 'usym', 'zero',
  'path', 'unwatch', 'bswap', 'skboutput', 'pton', 'debugf',
]);
const KEYWORDS_017 = new Set(['if', 'else', 'unroll', 'while', 'for', 'return', 'continue', 'break']);

/** bison's name for the token at `t` (as bpftrace 0.17's lexer would classify it). */
export function bisonTokenName(t: Token, text: string): string {
  switch (t.kind) {
    case 'eof': return 'end of file';
    case 'int': return 'integer';
    case 'string': return 'string';
    case 'var': return 'variable';
    case 'map': return 'map';
    case 'param': return 'positional parameter';
    case 'paramcount': return '$#';
    case 'preproc': return 'preprocessor directive';
    case 'punct': {
      if (t.text === '/' && /^\/\s*[/{]/.test(text.slice(t.start))) return 'end predicate';
      if (t.text === ',') return '","';
      if (t.text === '?:') return '?';
      if (t.text === '..' || t.text === '::') return t.text[0];
      return t.text;
    }
    default: {
      const w = t.text;
      if (KEYWORDS_017.has(w)) return w;
      if (/^s?arg\d$/.test(w) || BUILTINS_017.has(w)) return 'builtin';
      if (w === 'kstack' || w === 'ustack') return 'call_builtin';
      if (CALLS_017.has(w)) return 'call';
      if (w === 'bpftrace' || w === 'perf') return 'stack_mode';
      return 'identifier';
    }
  }
}

/** Rephrases generic syntax errors as bison did ("syntax error, unexpected X"). */
export function toBisonStyle(diags: Diagnostic[], text: string): Diagnostic[] {
  return diags.map((d) => {
    if (d.source !== 'syntax' || !/^(expected |unexpected input)/.test(d.message)) return d;
    // An unclosed block is reported at its '{'; bison met the end of the file.
    if (d.message === "expected '}'") return { ...d, message: 'syntax error, unexpected end of file' };
    const lx = new Lexer(text);
    lx.pos = d.range.start;
    const t = lx.next();
    return { ...d, message: `syntax error, unexpected ${bisonTokenName(t, text)}` };
  });
}

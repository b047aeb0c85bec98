/**
 * Guesses which of the two syntaxes a file is written in, from its first
 * decisive lines: `%r` registers and table mnemonics first on the line mean the
 * conformance syntax; `=`, `goto`, `if` and `*(` mean the LLVM syntax.
 */
import { specsByName } from '../isa';
import { commentStart, linePrefix } from './lexer';
import type { Syntax } from './types';

const AMBIGUOUS = new Set(['exit', 'call', 'lock', 'callx']);

export function detectSyntax(count: number, line: (k: number) => string): Syntax {
  let conf = 0;
  let llvm = 0;
  let seen = 0;
  for (let k = 0; k < count && seen < 200; k++) {
    const raw = line(k);
    const text = raw.slice(linePrefix(raw).at, commentStart(raw, true)).trim();
    if (!text) continue;
    if (text.includes('%r')) { conf += 2; seen++; continue; }
    if (/(^|[^=!<>])=|\bgoto\b|^if\b|\*\(|\bll$/.test(text)) { llvm++; seen++; continue; }
    const first = /^[a-z][a-z0-9]*/.exec(text.replace(/^[\w.$]+:\s*/, ''))?.[0];
    if (first && !AMBIGUOUS.has(first) && specsByName(first).length > 0) { conf++; seen++; continue; }
    if (first === 'lock' && /\[/.test(text)) { conf++; seen++; continue; }
    if (first === 'call' && /^call\s+(local|runtime|helper|kfunc\s)/.test(text)) { conf++; seen++; }
  }
  return conf > llvm ? 'conformance' : 'llvm';
}

/**
 * Line-level lexing shared by both assembly syntaxes: comment stripping,
 * llvm-objdump / bpftool line prefixes, and a small tokenizer whose tokens
 * carry their column in the line. Non-goal: any knowledge of instructions.
 */

export type TokKind = 'ident' | 'num' | 'op';

export interface Tok {
  kind: TokKind;
  text: string;
  /** Column of the first character in the line. */
  s: number;
  /** Column after the last character. */
  e: number;
}

/** A parse failure located by columns in one line. */
export interface LineError { message: string; s: number; e: number }

const OPS = [
  's>>=', '<<=', '>>=', 's/=', 's%=', 's>=', 's<=', 's>', 's<',
  '+=', '-=', '*=', '/=', '%=', '|=', '&=', '^=', '==', '!=', '>=', '<=', '>>', '<<',
  '>', '<', '=', '&', '*', '(', ')', '[', ']', ',', '+', '-', ':', '#', '|', '^', '/', '%', '!', '@', '{', '}',
];

/** Operators by first character, longest first. */
const OPS_BY_CHAR = new Map<string, string[]>();
for (const o of [...OPS].sort((a, b) => b.length - a.length)) {
  if (o[0] === 's') continue;
  const l = OPS_BY_CHAR.get(o[0]);
  if (l) l.push(o);
  else OPS_BY_CHAR.set(o[0], [o]);
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 36; // A-Z a-z _ . $
}
function isIdentChar(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Tokenizes `line` between columns `from` and `to`. Unknown characters become one-character op tokens. */
export function tokenize(line: string, from: number, to: number): Tok[] {
  const toks: Tok[] = [];
  let i = from;
  while (i < to) {
    const c = line.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13) { i++; continue; }
    if (isDigit(c)) {
      let j = i + 1;
      if (c === 48 && (line[j] === 'x' || line[j] === 'X')) {
        j++;
        while (j < to && isHex(line.charCodeAt(j))) j++;
      } else {
        while (j < to && isDigit(line.charCodeAt(j))) j++;
      }
      // A number glued to letters (`12ab`) is one bad token; keep it whole for the message.
      while (j < to && isIdentChar(line.charCodeAt(j))) j++;
      toks.push({ kind: 'num', text: line.slice(i, j), s: i, e: j });
      i = j;
      continue;
    }
    if (c === 115 /* s */ && i + 1 < to && '<>/%'.includes(line[i + 1])) {
      const op = OPS.find((o) => o[0] === 's' && line.startsWith(o, i));
      if (op) { toks.push({ kind: 'op', text: op, s: i, e: i + op.length }); i += op.length; continue; }
    }
    if (isIdentStart(c) || (c === 37 /* % */ && i + 1 < to && isIdentStart(line.charCodeAt(i + 1)))) {
      let j = i + 1;
      while (j < to && isIdentChar(line.charCodeAt(j))) j++;
      toks.push({ kind: 'ident', text: line.slice(i, j), s: i, e: j });
      i = j;
      continue;
    }
    const op = OPS_BY_CHAR.get(line[i])?.find((o) => o.length === 1 || line.startsWith(o, i)) ?? line[i];
    toks.push({ kind: 'op', text: op, s: i, e: i + op.length });
    i += op.length;
  }
  return toks;
}

/**
 * Column where a comment starts, or the line length. `;` and `//` always start
 * a comment. `#` does in the conformance syntax; in the LLVM syntax only at the
 * start of the text or after white space (`call bpf_map_lookup_elem#1` keeps it).
 */
export function commentStart(line: string, hashAnywhere: boolean): number {
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === ';') return i;
    if (ch === '/' && line[i + 1] === '/') return i;
    if (ch === '#' && (hashAnywhere || i === 0 || line[i - 1] === ' ' || line[i - 1] === '\t')) return i;
  }
  return line.length;
}

export interface Prefix {
  /** Column where the instruction text begins. */
  at: number;
  /** Raw instruction bytes shown by llvm-objdump (8 or 16), if any. */
  bytes?: Uint8Array;
  /** Opcode shown by bpftool in parentheses, if any. */
  opcode?: number;
}

const OBJDUMP_PREFIX = /^\s*\d+:\s+((?:[0-9a-f]{2} ){7}[0-9a-f]{2}(?: (?:[0-9a-f]{2} ){7}[0-9a-f]{2})?)?\s*/;
const BPFTOOL_PREFIX = /^\s*\d+:\s+\(([0-9a-f]{2})\)\s*/;

/**
 * Recognises the slot-number prefix of `llvm-objdump -d` (`  12:\tb7 00 ... 00\t`)
 * and of `bpftool prog dump xlated` (`  12: (b7) `), so pasted dumps assemble.
 */
export function linePrefix(line: string): Prefix {
  if (!/^\s*\d/.test(line)) return { at: 0 };
  const b = BPFTOOL_PREFIX.exec(line);
  if (b) return { at: b[0].length, opcode: parseInt(b[1], 16) };
  const m = OBJDUMP_PREFIX.exec(line);
  if (!m) return { at: 0 };
  const out: Prefix = { at: m[0].length };
  if (m[1]) out.bytes = Uint8Array.from(m[1].split(' ').map((h) => parseInt(h, 16)));
  return out;
}

/** Lines of llvm-objdump output that carry no instruction (file header, section banner, relocation). */
export function isDumpNoise(line: string): boolean {
  const c = line.charCodeAt(0);
  if (c === 32 || c === 9) return line.includes('R_BPF_') && /^\s*[0-9a-f]+:\s+R_BPF_\w+/.test(line);
  if (!line.includes(':')) return false;
  return /^\S.*:\s+file format /.test(line)
    || /^Disassembly of section /.test(line)
    || /^\s*[0-9a-f]+:\s+R_BPF_\w+/.test(line);
}

/** bpftool's function header, `int prog(struct xdp_md * ctx):`; returns the function name. */
export function bpftoolFunction(line: string): { name: string; s: number; e: number } | undefined {
  if (!line.endsWith(':') || !line.includes('(')) return undefined;
  const m = /^[A-Za-z_][\w \t*]*?\b([A-Za-z_]\w*)\s*\(.*\)\s*:$/.exec(line);
  if (!m) return undefined;
  const s = m[0].indexOf(m[1] + '(') >= 0 ? m[0].indexOf(m[1] + '(') : m[0].lastIndexOf(m[1]);
  return { name: m[1], s, e: s + m[1].length };
}

/** The symbol header line of llvm-objdump, `0000000000000060 <LBB1_2>:`; returns the symbol. */
export function dumpSymbol(line: string): { name: string; s: number; e: number } | undefined {
  if (line.charCodeAt(0) > 102 || !line.trimEnd().endsWith(':')) return undefined;
  const m = /^([0-9a-f]{8,16}) <([^<>]+)>:\s*$/.exec(line);
  if (!m) return undefined;
  const s = m[1].length + 2;
  return { name: m[2], s, e: s + m[2].length };
}

/**
 * Hover for BPF assembly: on an instruction line, the instruction's name, its
 * documentation and encoding from the opcode table; on a register, its role in
 * the calling convention; on a label, its slot. Plain data only.
 */
import { AsmResult, describeInsn } from '../asm';
import { helperName, Insn, specsByName } from '../isa';
import { IdeHover, rangeOf } from './types';

const REGISTER_ROLES: Record<number, string> = {
  0: 'return value of helpers and of the program',
  1: 'argument 1 (the context or memory pointer at entry)',
  2: 'argument 2', 3: 'argument 3', 4: 'argument 4', 5: 'argument 5',
  6: 'callee-saved', 7: 'callee-saved', 8: 'callee-saved', 9: 'callee-saved',
  10: 'read-only frame pointer (top of the 512-byte stack)',
};

/** Markdown for one instruction from the assembler's description of it. */
function insnMarkdown(insn: Insn): string {
  const d = describeInsn(insn);
  let md = `**${d.name}** — ${d.doc}\n\n\`${d.hex}\` · opcode 0x${d.opcode.toString(16).padStart(2, '0')} · slot ${insn.pc} · CPU v${d.cpu}`;
  md += `\n\nLLVM: \`${d.llvm}\` · conformance: \`${d.conformance}\``;
  if (insn.spec.kind === 'call' && insn.spec.callKind === 'helper') {
    const h = helperName(insn.imm);
    if (h) md += `\n\nhelper #${insn.imm} \`${h}\``;
  }
  return md;
}

/** The identifier-like word around `offset` (registers, labels, mnemonics). */
/** The run of `word` characters around `offset` (default: identifiers, `$` and `.`). */
export function wordAt(text: string, offset: number, word = /[\w.$]/): { start: number; end: number; word: string } | undefined {
  const isWord = (c: string | undefined): boolean => c !== undefined && word.test(c);
  let start = offset;
  let end = offset;
  while (start > 0 && isWord(text[start - 1])) start--;
  while (end < text.length && isWord(text[end])) end++;
  return start < end ? { start, end, word: text.slice(start, end) } : undefined;
}

export function asmHover(result: AsmResult, text: string, offset: number): IdeHover | undefined {
  if (offset < 0 || offset > text.length) return undefined;
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let lineEnd = text.indexOf('\n', offset);
  if (lineEnd === -1) lineEnd = text.length;
  const line = rangeOf(text, lineStart, lineStart).line;
  const w = wordAt(text, offset);

  if (w && /^[rw](10|[0-9])$/.test(w.word)) {
    const n = Number(w.word.slice(1));
    const view = w.word[0] === 'w' ? ' (lower 32 bits)' : '';
    return { range: rangeOf(text, w.start, w.end), markdown: `**${w.word}**${view} — ${REGISTER_ROLES[n]}` };
  }
  // A mnemonic that is also a label name (the conformance syntax knows `exit` as both) reads as the instruction.
  if (w && result.labels.has(w.word) && specsByName(w.word).length === 0) {
    return { range: rangeOf(text, w.start, w.end), markdown: `label **${w.word}** → slot ${result.labels.get(w.word)}` };
  }
  const k = result.lines.indexOf(line);
  if (k === -1) return undefined;
  const parts: string[] = [];
  for (let i = k; i < result.insns.length && result.lines[i] === line; i++) parts.push(insnMarkdown(result.insns[i]));
  const range = w ? rangeOf(text, w.start, w.end) : rangeOf(text, lineStart, lineEnd);
  return { range, markdown: parts.join('\n\n---\n\n') };
}


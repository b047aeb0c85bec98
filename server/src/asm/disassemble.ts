/**
 * Whole-program disassembly: one instruction per line in either syntax, with
 * optional `L<pc>:` labels on jump and call targets (the text assembles back to
 * the same bytes). Default: relative offsets, no labels.
 */
import { Insn, jumpTarget } from '../isa';
import { formatInsn } from './format';
import type { DisasmOptions } from './types';

export function disassemble(insns: readonly Insn[], opts: DisasmOptions = {}): string {
  const syntax = opts.syntax ?? 'llvm';
  let names: Map<number, string> | undefined;
  if (opts.labels) {
    const starts = new Set(insns.map((i) => i.pc));
    names = new Map();
    for (const i of insns) {
      const t = jumpTarget(i);
      if (t !== undefined && starts.has(t)) names.set(t, `L${t}`);
    }
  }
  const out: string[] = [];
  for (const i of insns) {
    const l = names?.get(i.pc);
    if (l !== undefined) out.push(`${l}:`);
    out.push(formatInsn(i, { syntax, ...(names ? { labels: names } : {}) }));
  }
  return out.length ? out.join('\n') + '\n' : '';
}

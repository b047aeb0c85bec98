/**
 * Hover for maps declared with `.map` in BPF assembly: on a map's name (in
 * `map[NAME]`, `NAME ll` or the declaration itself), its type, sizes, flags,
 * index and declaration line. Plain data; the directive parsing is asm's.
 */
import type { AsmResult } from '../asm';
import { rangeOf, type IdeHover } from './types';
import { wordAt } from './hover';

export function asmMapHover(asm: AsmResult, text: string, offset: number): IdeHover | undefined {
  const w = wordAt(text, offset, /[\w$]/);
  if (!w) return undefined;
  const i = asm.maps.findIndex((m) => m.name === w.word);
  if (i < 0) return undefined;
  const m = asm.maps[i];
  const flags = m.flags ? ` · flags 0x${m.flags.toString(16)}` : '';
  return {
    range: rangeOf(text, w.start, w.end),
    markdown: `map **${m.name}** — ${m.typeName.toLowerCase()} (BPF_MAP_TYPE_${m.typeName} = ${m.type}) · key ${m.keySize} B · value ${m.valueSize} B · max_entries ${m.maxEntries}${flags}\n\n`
      + `declared on line ${m.line + 1}; \`map[${m.name}]\` loads it as \`map[fd:${i}]\``,
  };
}

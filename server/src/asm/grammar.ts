/**
 * Builds the TextMate grammar for BPF assembly (scope source.bpf-asm, both
 * syntaxes) from the opcode table, so the highlighted mnemonics are exactly
 * the table's names. The committed syntaxes/bpf-asm.tmLanguage.json is this
 * object; test/unit/asm-grammar.test.ts checks they agree (and rewrites the
 * file when UPDATE_GRAMMAR=1).
 */
import { OPCODES } from '../isa';

interface Rule { name?: string; match?: string; captures?: Record<string, { name: string }>; include?: string }

/** Every word of every table mnemonic (`lock fetch add32` gives lock, fetch, add32), plus the suite's aliases. */
export function mnemonicWords(): string[] {
  const words = new Set<string>();
  for (const s of OPCODES) for (const w of s.name.split(' ')) words.add(w);
  for (const w of ['swap16', 'swap32', 'swap64', 'ld_pseudo', 'runtime', 'helper']) words.add(w);
  // Longest first so alternation prefers `add32` over `add`.
  return [...words].sort((a, b) => b.length - a.length || a.localeCompare(b));
}

const KEYWORDS = ['call', 'callx', 'exit', 'goto', 'gotol', 'if', 'lock', 'll', 'local', 'fetch', 'kfunc', 'runtime', 'helper'];

export function buildGrammar(): Record<string, unknown> {
  const S = 'bpf-asm';
  const rules: Record<string, { patterns: Rule[] }> = {
    comments: {
      patterns: [
        { name: `comment.line.semicolon.${S}`, match: ';.*$' },
        { name: `comment.line.double-slash.${S}`, match: '//.*$' },
        { name: `comment.line.number-sign.${S}`, match: '(?:^|(?<=\\s))#.*$' },
      ],
    },
    prefixes: {
      patterns: [
        { // llvm-objdump: `      12:\tb7 00 00 00 00 00 00 00\t`
          match: '^\\s*(\\d+):(\\s+(?:[0-9a-f]{2} ){7}[0-9a-f]{2}(?: (?:[0-9a-f]{2} ){7}[0-9a-f]{2})?)?(?=\\s)',
          captures: { 1: { name: `constant.numeric.slot.${S}` }, 2: { name: `comment.raw-bytes.${S}` } },
        },
        { // bpftool: `  12: (b7) `
          match: '^\\s*(\\d+):\\s+(\\([0-9a-f]{2}\\))',
          captures: { 1: { name: `constant.numeric.slot.${S}` }, 2: { name: `comment.opcode.${S}` } },
        },
        { // llvm-objdump symbol header: `0000000000000060 <LBB1_2>:`
          match: '^([0-9a-f]{8,16})\\s+<([^<>]+)>:',
          captures: { 1: { name: `constant.numeric.address.${S}` }, 2: { name: `entity.name.function.${S}` } },
        },
        { name: `comment.line.banner.${S}`, match: '^(?:Disassembly of section .*|\\S.*:\\s+file format .*)$' },
      ],
    },
    directives: {
      patterns: [
        // `.map NAME, TYPE, key=K, ...` and `.section NAME` (directives.ts); other directives (clang -S) as directives too.
        { match: '^\\s*(\\.map)\\s+([A-Za-z_$][\\w$]*)', captures: { 1: { name: `keyword.other.directive.${S}` }, 2: { name: `entity.name.map.${S}` } } },
        { match: '^\\s*(\\.[A-Za-z_][\\w.]*)\\b(?!:)', captures: { 1: { name: `keyword.other.directive.${S}` } } },
        { name: `variable.parameter.map-attribute.${S}`, match: '\\b(?:key|value|max_entries|flags|key_size|value_size|map_flags)(?=\\s*=)' },
      ],
    },
    labels: {
      patterns: [
        { match: '^\\s*([A-Za-z_.$][\\w.$]*)(:)', captures: { 1: { name: `entity.name.label.${S}` }, 2: { name: `punctuation.separator.${S}` } } },
        { match: '\\b(goto|gotol|ja|ja32|local)\\s+([A-Za-z_.$][\\w.$]*)\\b', captures: { 1: { name: `keyword.control.${S}` }, 2: { name: `entity.name.label.reference.${S}` } } },
        { match: '(<)([A-Za-z_.$][\\w.$+]*)(>)', captures: { 2: { name: `entity.name.label.reference.${S}` } } },
        { match: ',\\s*([A-Za-z_.$][\\w.$]*)\\s*$', captures: { 1: { name: `entity.name.label.reference.${S}` } } },
      ],
    },
    keywords: { patterns: [{ name: `keyword.control.${S}`, match: `\\b(?:${KEYWORDS.join('|')})\\b` }] },
    mnemonics: {
      patterns: [
        { name: `keyword.other.mnemonic.${S}`, match: `\\b(?:${mnemonicWords().join('|')})\\b` },
        { name: `support.function.atomic.${S}`, match: '\\b(?:atomic_fetch_(?:add|or|and|xor)|xchg_64|xchg32_32|cmpxchg_64|cmpxchg32_32)\\b' },
      ],
    },
    registers: { patterns: [{ name: `variable.language.register.${S}`, match: '%?\\b[rw](?:10|[0-9])\\b' }] },
    types: { patterns: [{ name: `storage.type.${S}`, match: '\\b[us](?:8|16|32|64)\\b' }] },
    pseudo: {
      patterns: [
        { name: `support.variable.pseudo.${S}`, match: '\\b(?:map|btf|func|skb)(?=\\[)' },
        { name: `support.variable.pseudo.${S}`, match: '\\b(?:fd|id|idx)(?=:)' },
        { name: `support.function.helper.${S}`, match: '\\bbpf_\\w+' },
      ],
    },
    numbers: {
      patterns: [
        { name: `constant.numeric.offset.${S}`, match: '\\bpc[+-]\\d+\\b' },
        { name: `constant.numeric.hex.${S}`, match: '[-+]?\\b0[xX][0-9a-fA-F]+\\b' },
        { name: `constant.numeric.decimal.${S}`, match: '[-+]?\\b\\d+\\b' },
      ],
    },
    operators: { patterns: [{ name: `keyword.operator.${S}`, match: 's?(?:>>=|<<=|[-+*/%|&^]=|==|!=|>=|<=|>|<)|s[/%]=|=|&' }] },
  };
  const order = ['comments', 'prefixes', 'directives', 'labels', 'keywords', 'mnemonics', 'registers', 'types', 'pseudo', 'numbers', 'operators'];
  return {
    $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
    name: 'BPF Assembly',
    scopeName: 'source.bpf-asm',
    comment: 'Generated by server/src/asm/grammar.ts from the opcode table; do not edit by hand (UPDATE_GRAMMAR=1 node scripts/run-tests.mjs asm-grammar).',
    fileTypes: ['bpf.s', 'bpfasm'],
    patterns: order.map((k) => ({ include: `#${k}` })),
    repository: rules,
  };
}

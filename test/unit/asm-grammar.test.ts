// The committed TextMate grammar equals what server/src/asm/grammar.ts builds from the opcode table
// (UPDATE_GRAMMAR=1 rewrites it), its regexes compile, and they classify sample lines of both syntaxes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPCODES } from '../../server/src/isa';
import { buildGrammar, mnemonicWords } from '../../server/src/asm/grammar';

const FILE = join(__dirname, '..', '..', 'syntaxes', 'bpf-asm.tmLanguage.json');

interface Rule { name?: string; match?: string; captures?: Record<string, { name: string }> }

test('syntaxes/bpf-asm.tmLanguage.json is the generated grammar', () => {
  const want = JSON.stringify(buildGrammar(), null, 2) + '\n';
  if (process.env.UPDATE_GRAMMAR) writeFileSync(FILE, want);
  assert.equal(readFileSync(FILE, 'utf8'), want, 'regenerate with UPDATE_GRAMMAR=1');
});

function rules(): Rule[] {
  const g = buildGrammar() as { scopeName: string; repository: Record<string, { patterns: Rule[] }> };
  assert.equal(g.scopeName, 'source.bpf-asm');
  return Object.values(g.repository).flatMap((r) => r.patterns);
}

/** Scopes of the first rule (in grammar order) matching at each position, a rough TextMate emulation. */
function scopesOf(line: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  const rs = rules().map((r) => ({ r, re: new RegExp(r.match ?? '$^', 'y') }));
  while (i < line.length) {
    let hit = false;
    for (const { r, re } of rs) {
      re.lastIndex = i;
      const m = re.exec(line);
      if (!m || m[0].length === 0) continue;
      if (r.name) out.set(m[0].trim(), r.name);
      for (const [k, c] of Object.entries(r.captures ?? {})) if (m[Number(k)]) out.set(m[Number(k)].trim(), c.name);
      i += m[0].length;
      hit = true;
      break;
    }
    if (!hit) i++;
  }
  return out;
}

test('grammar regexes compile and every table mnemonic is highlighted', () => {
  for (const r of rules()) if (r.match) assert.doesNotThrow(() => new RegExp(r.match!), r.match);
  const words = new Set(mnemonicWords());
  for (const s of OPCODES) for (const w of s.name.split(' ')) assert.ok(words.has(w), w);
  const conf = scopesOf('  lock fetch add32 [%r10-8], %r1 # comment');
  assert.match(conf.get('add32') ?? '', /mnemonic/);
  assert.match(conf.get('%r10') ?? '', /register/);
  assert.match(conf.get('# comment') ?? '', /comment/);
  const ll = scopesOf('      12:\tb7 00 00 00 00 00 00 00\tif r1 s> 0x5 goto LBB0_3 ; c');
  assert.match(ll.get('12') ?? '', /slot/);
  assert.match(ll.get('b7 00 00 00 00 00 00 00') ?? '', /raw-bytes/);
  assert.match(ll.get('if') ?? '', /keyword.control/);
  assert.match(ll.get('0x5') ?? '', /hex/);
  assert.match(ll.get('LBB0_3') ?? '', /label.reference/);
  assert.match(ll.get('s>') ?? '', /operator/);
  const ld = scopesOf('r1 = *(u64 *)(r10 - 8)');
  assert.match(ld.get('u64') ?? '', /storage.type/);
  assert.match(scopesOf('loop:').get('loop') ?? '', /entity.name.label/);
  assert.match(scopesOf('call bpf_map_lookup_elem#1').get('bpf_map_lookup_elem') ?? '', /helper/);
});

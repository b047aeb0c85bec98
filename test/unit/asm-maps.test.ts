// `.map` and `.section` directives of the assembler: declarations, references by
// name in every spelling, and a located diagnostic for each kind of mistake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble, formatInsn } from '../../server/src/asm';
import { MAP_TYPES } from '../../server/src/elf/maps';
import { PSEUDO } from '../../server/src/isa';

/** The diagnostic whose range covers the last occurrence of `needle` in `text`. */
function diagAt(text: string, needle: string) {
  const r = assemble(text);
  const at = text.lastIndexOf(needle);
  assert.ok(at >= 0, needle);
  const d = r.diagnostics.find((x) => x.range.start <= at && at < x.range.end);
  assert.ok(d, `a diagnostic covers '${needle}' in ${JSON.stringify(text)}: ${JSON.stringify(r.diagnostics)}`);
  return d;
}

test('declared maps are numbered in order and referred to by name', () => {
  const text = [
    '.section xdp',
    '.map counts, hash, key=4, value=8, max_entries=1024',
    '.map events, BPF_MAP_TYPE_RINGBUF, max_entries=0x10000',
    '.map arr, 2, key_size=4, value_size=16, map_flags=0x400',
    '  r1 = map[counts]',
    '  r2 = events ll',
    '  r3 = map[arr][0]+8',
    '  r4 = map[fd:1]',
    '  r0 = 0',
    '  exit',
  ].join('\n');
  const r = assemble(text);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.maps.map((m) => [m.name, m.typeName, m.keySize, m.valueSize, m.maxEntries, m.flags]), [
    ['counts', 'HASH', 4, 8, 1024, 0],
    ['events', 'RINGBUF', 0, 0, 0x10000, 0],
    ['arr', 'ARRAY', 4, 16, 1, 0x400],
  ]);
  assert.equal(r.maps[1].type, MAP_TYPES.indexOf('RINGBUF'));
  assert.equal(r.section?.name, 'xdp');
  const [a, b, c, d] = r.insns;
  assert.deepEqual([a.src, a.imm], [PSEUDO.MAP_FD, 0]);
  assert.deepEqual([b.src, b.imm], [PSEUDO.MAP_FD, 1]);
  assert.deepEqual([c.src, c.imm, c.imm2], [PSEUDO.MAP_VALUE, 2, 8]);
  assert.deepEqual([d.src, d.imm], [PSEUDO.MAP_FD, 1]);
  assert.equal(formatInsn(a), 'r1 = map[fd:0]');
  // The text of the declared-name line names the map in the declaration's range.
  const m = r.maps[0];
  assert.equal(text.split('\n')[m.line].slice(m.s, m.e), 'counts');
});

test('the conformance syntax refers to declared maps the same way', () => {
  const r = assemble('.map m, array, key=4, value=4\n.map n, hash, key=8, value=8\nlddw %r1, map[n]\nmov %r0, 0\nexit\n', { syntax: 'conformance' });
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual([r.insns[0].src, r.insns[0].imm], [PSEUDO.MAP_FD, 1]);
});

test('a map may be used before its declaration', () => {
  const r = assemble('  r1 = map[later]\n  r0 = 0\n  exit\n.map later, array, key=4, value=4\n');
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.insns[0].imm, 0);
});

test('mistakes in directives and references are located diagnostics', () => {
  const cases: [string, string, RegExp][] = [
    ['.map m, hsh, key=4, value=4', 'hsh', /unknown map type 'hsh': did you mean 'hash'/],
    ['.map m, hash, key=4, vlaue=4', 'vlaue', /unknown map attribute 'vlaue' \(did you mean 'value'\?\)/],
    ['.map m, hash, key=4', 'm', /needs value=SIZE/],
    ['.map m, hash, key=4, value=x', 'x', /unsigned 32-bit number after 'value='/],
    ['.map m, hash, key=4, value=4, key=8', 'key=8', /'key' is given twice/],
    ['.map r1, hash, key=4, value=4', 'r1', /expected a map name/],
    ['.map m hash, key=4, value=4', 'hash', /expected ',' after the map name, found 'hash'/],
    ['.map m, array, key=4, value=4\n.map m, hash, key=4, value=4', 'm, hash', /already declared on line 1/],
    ['  r1 = map[cuonts]\n  exit\n.map counts, hash, key=4, value=4', 'cuonts', /unknown map 'cuonts' \(did you mean 'counts'\?\)/],
    ['  w1 = m ll\n  exit\n.map m, hash, key=4, value=4', 'w1', /64-bit register/],
    ['.section sockett\n  exit', 'sockett', /not a libbpf program section name/],
  ];
  for (const [text, needle, re] of cases) {
    const d = diagAt(text, needle.split(',')[0].split('=')[0]);
    assert.match(d.message, re, text);
  }
  const noSuggest = assemble('.map m, zzzzzz, key=4, value=4');
  assert.match(noSuggest.diagnostics[0].message, /one of hash, array/);
});

test('clang -S directives stay ignored; .section takes quoted names and skips data sections', () => {
  const r = assemble([
    '\t.text',
    '\t.globl\tprog',
    '\t.p2align\t3',
    '\t.section\t"kprobe/do_sys_open","ax",@progbits',
    '\t.type\tprog,@function',
    'prog:',
    '\tr0 = 0',
    '\texit',
    '\t.section\t.maps,"aw",@progbits',
    '\t.section\tlicense,"aw",@progbits',
  ].join('\n'));
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.section?.name, 'kprobe/do_sys_open');
  const two = assemble('.section xdp\n.section socket\n  r0 = 0\n  exit');
  assert.match(two.diagnostics[0]?.message ?? '', /one program per file/);
});

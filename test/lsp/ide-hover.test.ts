// Hovers and value formatting as plain data (server/src/ide), in-process:
// each case marks the cursor with `|` in the text and names what the hover must say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeAsm } from '../../server/src/ide/diagnostics';
import { asmHover } from '../../server/src/ide/hover';
import { DEFAULT_SETTINGS } from '../../server/src/ide/types';
import { formatFault, formatReg, parseHexBytes } from '../../server/src/ide/vm-format';
import { specFor } from '../../server/src/isa';

function hoverAt(marked: string): { md: string; covered: string } | undefined {
  const offset = marked.indexOf('|');
  assert.ok(offset >= 0, 'case has a cursor marker');
  const text = marked.slice(0, offset) + marked.slice(offset + 1);
  const h = asmHover(analyzeAsm(text, DEFAULT_SETTINGS), text, offset);
  return h && { md: h.markdown, covered: text.slice(h.range.start, h.range.end) };
}

const CASES: Array<[string, string, RegExp | string]> = [
  ['instruction (conformance mnemonic)', '  mov %r0, 1\n  ex|it\n', specFor('exit')!.doc],
  ['instruction (LLVM operator)', '  r0 = 1\n  r0 +|= 2\n  exit\n', specFor('add', false)!.doc],
  ['register', '  r0 = 1\n  |r10 = 2\n', /frame pointer/],
  ['32-bit register view', '  w|3 = 1\n  exit\n', /lower 32 bits/],
  ['label', '  goto out\nou|t:\n  exit\n', /slot 1/],
  ['helper call', '  call bpf_ktime_get_ns|\n  exit\n', /bpf_ktime_get_ns/],
];

for (const [name, marked, expect] of CASES) {
  test(`hover: ${name}`, () => {
    const h = hoverAt(marked);
    assert.ok(h, 'a hover');
    if (typeof expect === 'string') assert.ok(h.md.includes(expect), h.md);
    else assert.match(h.md, expect);
    assert.ok(h.covered.length > 0);
  });
}

test('hover: nothing on a comment line', () => {
  assert.equal(hoverAt('# a com|ment\n  exit\n'), undefined);
});

test('hover: lddw shows both slots of its encoding', () => {
  const h = hoverAt('  r1 = 0x1122334455667788 l|l\n  exit\n');
  assert.ok(h);
  assert.match(h.md, /18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11/);
});

test('formatReg: hex and signed decimal', () => {
  assert.equal(formatReg(42n), '0x2a (42)');
  assert.equal(formatReg(-1n), '0xffffffffffffffff (-1)');
  assert.equal(formatReg(0xffffffffffffffffn), '0xffffffffffffffff (-1)');
});

test('formatFault names pc, address, size and region', () => {
  const s = formatFault({ kind: 'memory', pc: 3, message: 'invalid read', addr: 0x10n, size: 8, region: 'stack of frame 0' });
  assert.equal(s, 'memory fault: invalid read [pc 3, address 0x10, size 8, region stack of frame 0]');
});

test('parseHexBytes accepts spaced, packed and 0x forms; rejects the rest', () => {
  for (const s of ['01 02 ff', '0102ff', '0x01,0x02,0xff']) {
    const r = parseHexBytes(s);
    assert.ok('bytes' in r, s);
    assert.deepEqual(Array.from(r.bytes), [1, 2, 255]);
  }
  assert.ok('error' in parseHexBytes('01 2'));
  assert.ok('error' in parseHexBytes('zz'));
});

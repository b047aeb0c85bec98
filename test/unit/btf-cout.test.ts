// The C printer's byte-level pieces: COut (numbers, UTF-8, mark/take, chunking) and the ___N name
// counting by string bytes (NameCounter), including equal names stored at different string offsets
// (BTF whose strings were not deduplicated) and names that are not ASCII.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COut } from '../../server/src/btf/cout';
import { BtfBuilder } from '../../server/src/btf/write';
import { Btf, parseBtf } from '../../server/src/btf';
import { dumpC, dumpCNamed, dumpCStream } from '../../server/src/btf/cprint';
import { cTypeText } from '../../server/src/btf/cdecl';

test('COut: decimal numbers, UTF-8 text, mark/take', () => {
  const o = new COut();
  for (const v of [0, 7, 10, 99, 100, 4294967295, -1, -2147483648, 4294967296, 2 ** 53 - 1]) {
    o.num(v);
    o.c(32);
  }
  o.s('é→😀 ');
  const m = o.mark();
  o.s('tail');
  assert.equal(o.take(m), 'tail');
  assert.equal(o.text(), `0 7 10 99 100 4294967295 -1 -2147483648 4294967296 ${2 ** 53 - 1} é→😀 `);
});

test('COut: chunks are cut only on flushIfFull and join to the same text', () => {
  const chunks: string[] = [];
  const o = new COut((c) => chunks.push(c));
  let want = '';
  for (let i = 0; i < 20000; i++) {
    const line = `line ${i} ü\n`;
    o.s(line);
    want += line;
    o.flushIfFull();
  }
  o.flush();
  assert.ok(chunks.length > 2, `${chunks.length} chunks`);
  assert.equal(chunks.join(''), want);
});

/** Replaces the first `from` string in the blob's bytes with `to` (same length). */
function patchString(bytes: Uint8Array, from: string, to: string): void {
  const f = new TextEncoder().encode(`\0${from}\0`);
  const t = new TextEncoder().encode(`\0${to}\0`);
  for (let i = 0; i + f.length <= bytes.length; i++) {
    if (f.every((c, j) => bytes[i + j] === c)) {
      bytes.set(t, i);
      return;
    }
  }
  assert.fail(`${from} not found`);
}

test('name counting compares bytes: equal names at different string offsets get ___N', () => {
  const b = new BtfBuilder();
  const int = b.addInt('int', 4, { signed: true });
  b.addStruct('foo', 4, [{ name: 'a', type: int, bitOffset: 0 }]);
  b.addStruct('fop', 4, [{ name: 'b', type: int, bitOffset: 0 }]);
  b.addEnum('e1', 4, [{ name: 'VAL', value: 1 }]);
  b.addEnum('e2', 4, [{ name: 'VAM', value: 2 }]);
  const bytes = b.encode();
  // Two more copies of 'foo' and 'VAL' at their own offsets, as a non-deduplicating producer leaves them.
  patchString(bytes, 'fop', 'foo');
  patchString(bytes, 'VAM', 'VAL');
  const btf = new Btf(parseBtf(bytes).btf!);
  assert.notEqual(btf.nameOff(2), btf.nameOff(3), 'names at different offsets');
  const { text, printedName } = dumpCNamed(btf);
  assert.match(text, /struct foo \{\n\tint a;\n\};/);
  assert.match(text, /struct foo___2 \{\n\tint b;\n\};/);
  assert.match(text, /VAL = 1,/);
  assert.match(text, /VAL___2 = 2,/);
  assert.equal(printedName(3), 'foo___2');
});

test('names that are not ASCII are printed as UTF-8 and counted by bytes', () => {
  const b = new BtfBuilder();
  const int = b.addInt('int', 4, { signed: true });
  const s = b.addStruct('café', 4, [{ name: 'größe', type: int, bitOffset: 0 }]);
  b.addTypedef('café_t', s);
  b.addFwd('café');
  const btf = new Btf(parseBtf(b.encode()).btf!);
  const text = dumpC(btf);
  assert.match(text, /struct café \{\n\tint größe;\n\};/);
  assert.match(text, /typedef struct café café_t;/);
  const chunks: string[] = [];
  dumpCStream(btf, (c) => chunks.push(c));
  assert.equal(chunks.join(''), text);
  assert.equal(cTypeText(btf, s + 1, 'x'), 'café_t x');
});

test('split BTF: names from the base and the split part both print and count', () => {
  const base = new BtfBuilder();
  const int = base.addInt('int', 4, { signed: true });
  base.addStruct('dup', 4, [{ name: 'x', type: int, bitOffset: 0 }]);
  const baseRaw = parseBtf(base.encode()).btf!;
  const split = new BtfBuilder({ base: baseRaw });
  split.addStruct('dup', 8, [{ name: 'y', type: int, bitOffset: 0 }, { name: 'z', type: int, bitOffset: 32 }]);
  const r = parseBtf(split.encode(), { base: baseRaw });
  assert.ok(r.btf, JSON.stringify(r.diagnostics));
  const text = dumpC(new Btf(r.btf));
  assert.match(text, /struct dup \{\n\tint x;\n\};/);
  assert.match(text, /struct dup___2 \{\n\tint y;\n\tint z;\n\};/);
});

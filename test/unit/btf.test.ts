import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parseBtf, Btf, KIND, decodeType } from '../../server/src/btf';

const VMLINUX = '../shared/kernel/6.18/vmlinux.btf';

/** A small blob from 32-bit words and a string table, in either byte order. */
function blob(words: number[], strings: string, le = true, base = false): Uint8Array {
  const str = new TextEncoder().encode(strings);
  const typeLen = words.length * 4;
  const out = new Uint8Array(24 + typeLen + str.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, le);
  out[2] = 1;
  dv.setUint32(4, 24, le);
  dv.setUint32(8, 0, le);
  dv.setUint32(12, typeLen, le);
  dv.setUint32(16, typeLen, le);
  dv.setUint32(20, str.length, le);
  words.forEach((w, i) => dv.setUint32(24 + 4 * i, w >>> 0, le));
  out.set(str, 24 + typeLen);
  void base;
  return out;
}
const info = (kind: number, vlen: number, kflag = false): number => ((kflag ? 1 : 0) << 31) | (kind << 24) | vlen;

// strings: 0 "", 1 "int", 5 "s", 7 "a", 9 "b", 11 "u"
const STR = '\0int\0s\0a\0b\0u\0';
const SMALL = [
  1, info(KIND.INT, 0), 4, (1 << 24) | 32, // [1] int
  5, info(KIND.STRUCT, 2, true), 8, // [2] struct s { int a:3; union {int b;}; }
  7, 1, (3 << 24) | 0,
  0, 3, 32,
  0, info(KIND.UNION, 1), 4, // [3] anonymous union
  9, 1, 0,
  0, info(KIND.PTR, 0), 2, // [4] struct s *
];

test('small blob in both byte orders: kinds, bitfields, anonymous members', () => {
  for (const le of [true, false]) {
    const r = parseBtf(blob(SMALL, STR, le));
    assert.deepEqual(r.diagnostics, []);
    const b = new Btf(r.btf!);
    assert.equal(b.count, 5);
    assert.equal(b.kind(2), KIND.STRUCT);
    const s = b.type(2);
    assert.ok(s.kind === KIND.STRUCT);
    assert.deepEqual(s.members.map((m) => [m.name, m.bitOffset, m.bitSize]), [['a', 0, 3], ['', 32, 0]]);
    const f = b.findMember(2, 'b');
    assert.equal(f?.bitOffset, 32);
    assert.deepEqual(f?.path.map((p) => p.parent), [2, 3]);
    assert.equal(b.sizeof(4), 8);
    assert.equal(b.alignof(2), 4);
    assert.deepEqual(b.lookup('s'), [2]);
  }
});

test('malformed blobs give diagnostics naming the offset, never a throw', () => {
  const good = blob(SMALL, STR);
  const cases: [Uint8Array, RegExp][] = [
    [good.slice(0, 10), /truncated header/],
    [(() => { const b = good.slice(); b[0] = 0; return b; })(), /bad magic/],
    [good.slice(0, good.length - 3), /truncated string section/],
    [blob([1, info(25, 0), 4], STR), /unknown kind 25/],
    [blob([1, info(KIND.STRUCT, 9), 4], STR), /vlen 9 overruns/],
    [blob([99, info(KIND.INT, 0), 4, 32], STR), /string offset 99 out of range/],
    [blob([0, info(KIND.PTR, 0), 7], STR), /dangling type id 7/],
    [blob([1, info(KIND.INT, 0), 4], STR), /truncated|overruns/],
  ];
  for (const [bytes, re] of cases) {
    const r = parseBtf(bytes);
    assert.ok(r.diagnostics.some((d) => re.test(d.message) && d.offset >= 0 && d.offset <= bytes.length), `${re}: ${JSON.stringify(r.diagnostics)}`);
  }
  // A record cut short by one word: record past the end.
  const r = parseBtf(blob(SMALL.slice(0, SMALL.length - 1), STR));
  assert.ok(r.diagnostics.length > 0);
});

test('random mutations of a valid blob never throw', () => {
  const good = blob(SMALL, STR);
  let seed = 12345;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8);
  for (let i = 0; i < 5000; i++) {
    const b = good.slice();
    for (let k = 0; k < 1 + (rnd() % 4); k++) b[rnd() % b.length] = rnd() & 0xff;
    const r = parseBtf(b);
    if (r.btf) {
      const g = new Btf(r.btf);
      for (let id = 0; id < g.count + 2; id++) { g.type(id); g.sizeof(id); g.alignof(id); g.resolve(id); g.findMember(id, 'b'); }
    }
  }
});

test('split BTF continues type ids and string offsets from the base', () => {
  const base = parseBtf(blob(SMALL, STR)).btf!;
  // The split blob's string offsets start at the base's string length.
  const splitStr = 'm\0';
  const words = [
    base.strLen, info(KIND.STRUCT, 1), 8, // [5] struct m { struct s *a; }
    7, 4, 0,
  ];
  const r = parseBtf(blob(words, splitStr), { base });
  assert.deepEqual(r.diagnostics, []);
  const b = new Btf(r.btf!);
  assert.equal(b.count, 6);
  assert.equal(b.name(5), 'm');
  assert.equal(b.name(2), 's');
  const m = b.type(5);
  assert.ok(m.kind === KIND.STRUCT);
  assert.equal(m.members[0].name, 'a');
  assert.equal(b.kind(b.resolve(m.members[0].type)), KIND.PTR);
  assert.equal(b.find('s', KIND.STRUCT), 2);
});

test('vmlinux.btf: parses cleanly, every type decodes, known facts hold', (t) => {
  if (!existsSync(VMLINUX)) { console.log(`SKIP: ${VMLINUX} missing`); t.skip('vmlinux.btf missing'); return; }
  const r = parseBtf(readFileSync(VMLINUX));
  assert.deepEqual(r.diagnostics, []);
  const b = new Btf(r.btf!);
  assert.equal(b.count - 1, 126572);
  const kinds = new Set<number>();
  for (let id = 1; id < b.count; id++) kinds.add(decodeType(r.btf!, id).kind);
  assert.ok(kinds.has(KIND.ENUM64) && kinds.has(KIND.FUNC) && kinds.has(KIND.DATASEC));
  const inode = b.find('inode', KIND.STRUCT)!;
  const wh = b.findMember(inode, 'i_write_hint')!;
  assert.equal(b.sizeof(wh.type), 1); // the 1-byte enum rw_hint
  assert.equal(b.kind(b.resolve(wh.type)), KIND.ENUM);
  // i_nlink lives in an anonymous union: found through it, with a two-step path.
  const nl = b.findMember(inode, 'i_nlink')!;
  assert.equal(nl.path.length, 2);
  assert.equal(nl.path[0].member.name, '');
  const ts = b.find('task_struct', KIND.STRUCT)!;
  assert.equal(b.sizeof(ts), b.sizeOrType(ts));
  assert.ok(b.findMember(ts, '__state') !== undefined);
  assert.equal(b.findMember(ts, 'state'), undefined);
  // typedef chains: u32 -> __u32 -> unsigned int
  const u32 = b.find('u32', KIND.TYPEDEF)!;
  assert.equal(b.name(b.resolve(u32)), 'unsigned int');
  assert.equal(b.sizeof(u32), 4);
  assert.ok(b.compatible(u32, b.find('__u32', KIND.TYPEDEF)!));
  assert.ok(!b.compatible(u32, b.find('s32', KIND.TYPEDEF)!));
  // prefix search for completion: sorted, filtered by kind, every hit really matches
  const hits = b.search('task_', KIND.STRUCT, 500);
  assert.ok(hits.some((h) => h.name === 'task_struct'));
  assert.ok(hits.every((h) => h.name.startsWith('task_') && b.kind(h.id) === KIND.STRUCT && b.name(h.id) === h.name));
  assert.deepEqual(hits.map((h) => h.name), [...hits.map((h) => h.name)].sort());
  assert.equal(b.search('task_', undefined, 3).length, 3);
});

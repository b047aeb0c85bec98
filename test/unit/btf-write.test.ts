import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parseBtf, Btf, KIND, decodeType } from '../../server/src/btf';
import { BtfBuilder, LINKAGE } from '../../server/src/btf/write';
import { copyTypes } from '../../server/src/btf/copy';
import { cTypeText } from '../../server/src/btf/cdecl';
import { dumpC } from '../../server/src/btf/cprint';

const VMLINUX = '../shared/kernel/6.18/vmlinux.btf';

function sample(bigEndian: boolean): Uint8Array {
  const b = new BtfBuilder({ bigEndian });
  const int = b.addInt('int', 4, { signed: true });
  const u8 = b.addInt('unsigned char', 1, { char: true });
  const s = b.addStruct('pair', 8, [{ name: 'a', type: int, bitOffset: 0 }, { name: 'f', type: u8, bitOffset: 32, bitSize: 3 }]);
  const p = b.addPtr(s);
  const proto = b.addFuncProto(int, [{ name: 'ctx', type: p }]);
  b.addFunc('prog', proto, LINKAGE.GLOBAL);
  const arr = b.addArray(int, int, 4);
  const v = b.addVar('counts', arr, LINKAGE.GLOBAL);
  b.addDatasec('.bss', 16, [{ type: v, offset: 0, size: 16 }]);
  b.addEnum('e', 8, [{ name: 'BIG', value: 1n << 40n }, { name: 'NEG', value: -1n }], true);
  b.addDeclTag('tag', s, 1);
  b.addString('int'); // deduplicated
  return b.encode();
}

test('builder: every added type reads back, in both byte orders', () => {
  for (const be of [false, true]) {
    const bytes = sample(be);
    const r = parseBtf(bytes);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.btf!.littleEndian, !be);
    const g = new Btf(r.btf!);
    const s = g.type(g.find('pair')!);
    assert.ok(s.kind === KIND.STRUCT && s.bitfields);
    assert.deepEqual(s.members.map((m) => [m.name, m.bitOffset, m.bitSize]), [['a', 0, 0], ['f', 32, 3]]);
    const f = g.type(g.find('prog', KIND.FUNC)!);
    assert.ok(f.kind === KIND.FUNC && f.linkage === LINKAGE.GLOBAL);
    const proto = g.type(f.type);
    assert.ok(proto.kind === KIND.FUNC_PROTO && proto.params[0].name === 'ctx');
    assert.equal(g.sizeof(g.find('counts', KIND.VAR)!), 16);
    const e = g.type(g.find('e')!);
    assert.ok(e.kind === KIND.ENUM64 && e.signed);
    assert.deepEqual(e.values.map((x) => x.value), [1n << 40n, -1n]);
    // 'int' appears once in the string section
    const strs = new TextDecoder().decode(bytes.subarray(r.btf!.strStart, r.btf!.strStart + r.btf!.strLen)).split('\0');
    assert.equal(strs.filter((x) => x === 'int').length, 1);
  }
});

test('builder: split BTF on top of a base', () => {
  const base = parseBtf(sample(false)).btf!;
  const b = new BtfBuilder({ base });
  const ptr = b.addPtr(3); // struct pair * from the base
  b.addStruct('mod_s', 8, [{ name: 'p', type: ptr, bitOffset: 0 }]);
  const r = parseBtf(b.encode(), { base });
  assert.deepEqual(r.diagnostics, []);
  const g = new Btf(r.btf!);
  assert.equal(g.find('mod_s'), base.count + 1);
  assert.equal(g.name(g.resolve(g.sizeOrType(g.members(g.find('mod_s')!)[0].type))), 'pair');
});

test('vmlinux.btf: re-encoding every type gives the same types, and the same bytes with the original strings', (t) => {
  if (!existsSync(VMLINUX)) { console.log(`SKIP: ${VMLINUX} missing`); t.skip('vmlinux.btf missing'); return; }
  const bytes = readFileSync(VMLINUX);
  const raw = parseBtf(bytes).btf!;
  const seeded = new BtfBuilder({ strings: bytes.subarray(raw.strStart, raw.strStart + raw.strLen) });
  const fresh = new BtfBuilder();
  for (let id = 1; id < raw.count; id++) {
    const ty = decodeType(raw, id);
    seeded.add(ty);
    fresh.add(ty);
  }
  const same = seeded.encode();
  assert.equal(same.length, bytes.length);
  assert.ok(Buffer.from(same).equals(bytes), 'byte-identical re-encoding');
  const again = parseBtf(fresh.encode());
  assert.deepEqual(again.diagnostics, []);
  assert.equal(again.btf!.count, raw.count);
  for (let id = 1; id < raw.count; id++) {
    const a = decodeType(raw, id);
    const b = decodeType(again.btf!, id);
    if (JSON.stringify(a, big) !== JSON.stringify(b, big)) assert.fail(`type ${id} differs: ${JSON.stringify(a, big)} vs ${JSON.stringify(b, big)}`);
  }
});

test('vmlinux.btf re-encoded big-endian: same types and the same C header', (t) => {
  if (!existsSync(VMLINUX)) { console.log(`SKIP: ${VMLINUX} missing`); t.skip('vmlinux.btf missing'); return; }
  const bytes = readFileSync(VMLINUX);
  const raw = parseBtf(bytes).btf!;
  const be = new BtfBuilder({ bigEndian: true, strings: bytes.subarray(raw.strStart, raw.strStart + raw.strLen) });
  for (let id = 1; id < raw.count; id++) be.add(decodeType(raw, id));
  const r = parseBtf(be.encode());
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.btf!.littleEndian, false);
  for (let id = 1; id < raw.count; id += 7) {
    assert.equal(JSON.stringify(decodeType(r.btf!, id), big), JSON.stringify(decodeType(raw, id), big), `type ${id}`);
  }
  assert.equal(dumpC(new Btf(r.btf!)), dumpC(new Btf(raw)));
});

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

test('copyTypes: a kernel struct and everything it reaches, renumbered, same layout and C text', (t) => {
  if (!existsSync(VMLINUX)) { console.log(`SKIP: ${VMLINUX} missing`); t.skip('vmlinux.btf missing'); return; }
  const src = new Btf(parseBtf(readFileSync(VMLINUX)).btf!);
  const root = src.find('sk_buff', KIND.STRUCT)!;
  const b = new BtfBuilder();
  b.addInt('int', 4, { signed: true }); // something already there: ids must shift
  const map = copyTypes(src, [root], b);
  const r = parseBtf(b.encode());
  assert.deepEqual(r.diagnostics, []);
  const dst = new Btf(r.btf!);
  assert.equal(dst.count, map.size + 1); // void + int + the closure (map holds 0 -> 0 too)
  const nid = map.get(root)!;
  assert.equal(dst.name(nid), 'sk_buff');
  assert.equal(dst.sizeof(nid), src.sizeof(root));
  // every copied type prints the same C declaration in both graphs
  for (const [from, to] of map) {
    if (from === 0) continue;
    assert.equal(cTypeText(dst, to, 'x'), cTypeText(src, from, 'x'), `type ${from}`);
    assert.equal(dst.sizeof(to), src.sizeof(from));
  }
  const f = dst.findMember(nid, 'protocol')!;
  assert.equal(f.bitOffset, src.findMember(root, 'protocol')!.bitOffset);
});

// CO-RE TYPE_MATCHES (bpf_core_type_matches) on hand-built local and target BTF: clang 14 cannot
// emit this relocation, so the rules are checked directly (typesMatch) and through resolveCore with
// a relocation record made by hand. Rules as libbpf's bpf_core_types_match documents them: names
// (essential, after typedefs), kinds, ints by width and sign, enum names as a subset with equal
// size, struct members by name with matching types, pointers (names and kinds only behind them),
// arrays by length, function prototypes by arity and types; positive and negative cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BtfBuilder } from '../../server/src/btf/write';
import { Btf, parseBtf } from '../../server/src/btf';
import { typesMatch } from '../../server/src/elf/core-match';
import { CORE, resolveCore } from '../../server/src/elf/core';
import type { BpfObject } from '../../server/src/elf';

interface Side { btf: Btf; id: number }

/** Builds one BTF with `make` and returns it with the id `make` returns (the type under test). */
function side(make: (b: BtfBuilder, base: { int: number; uint: number; long: number; char: number }) => number): Side {
  const b = new BtfBuilder();
  const base = {
    int: b.addInt('int', 4, { signed: true }),
    uint: b.addInt('unsigned int', 4),
    long: b.addInt('long', 8, { signed: true }),
    char: b.addInt('char', 1, { signed: true, char: true }),
  };
  const id = make(b, base);
  const r = parseBtf(b.encode());
  assert.deepEqual(r.diagnostics, [], 'hand-built BTF parses');
  return { btf: new Btf(r.btf!), id };
}

function matches(l: Side, t: Side): boolean {
  return typesMatch(l.btf, l.id, t.btf, t.id);
}

const m = (name: string, type: number, bitOffset = 0): { name: string; type: number; bitOffset: number } => ({ name, type, bitOffset });

test('type matches: structs by member name with matching types; offsets, order and extra target members do not matter', () => {
  const local = side((b, t) => b.addStruct('task', 16, [m('pid', t.int), m('flags', t.long, 64)]));
  assert.ok(matches(local, side((b, t) => b.addStruct('task', 16, [m('pid', t.int), m('flags', t.long, 64)]))), 'identical');
  assert.ok(matches(local, side((b, t) => b.addStruct('task', 40, [m('x', t.char), m('flags', t.long, 64), m('y', t.long, 128), m('pid', t.int, 192)]))), 'reordered, moved, extra members');
  assert.ok(matches(side((b, t) => b.addStruct('task___v2', 4, [m('pid', t.int)])), side((b, t) => b.addStruct('task', 4, [m('pid', t.int)]))), 'local flavour suffix');
  assert.ok(!matches(local, side((b, t) => b.addStruct('task', 8, [m('pid', t.int)]))), 'a local member missing (target has fewer members)');
  assert.ok(!matches(local, side((b, t) => b.addStruct('task', 16, [m('pid', t.int), m('flag', t.long, 64)]))), 'a local member missing by name');
  assert.ok(!matches(local, side((b, t) => b.addStruct('task', 16, [m('pid', t.long), m('flags', t.long, 64)]))), 'member int vs long');
  assert.ok(!matches(local, side((b, t) => b.addUnion('task', 8, [m('pid', t.int), m('flags', t.long)]))), 'struct vs union');
});

test('type matches: typedefs and qualifiers are skipped; the names under them must still match', () => {
  const local = side((b, t) => {
    const u32 = b.addTypedef('u32', t.uint);
    return b.addStruct('s', 4, [m('v', b.addVolatile(b.addConst(u32)))]);
  });
  assert.ok(matches(local, side((b, t) => b.addStruct('s', 4, [m('v', t.uint)]))), 'const volatile u32 vs unsigned int');
  assert.ok(matches(local, side((b, t) => b.addStruct('s', 4, [m('v', b.addTypedef('__u32', t.uint))]))), 'typedef names themselves are not compared');
  const inner = (name: string) => side((b, t) => b.addStruct('outer', 4, [m('in', b.addStruct(name, 4, [m('x', t.int)]))]));
  assert.ok(matches(inner('bar'), inner('bar')), 'nested struct of the same name');
  assert.ok(matches(inner('bar___old'), inner('bar')), 'nested struct: essential names');
  assert.ok(!matches(inner('bar'), inner('baz')), 'nested struct of another name');
});

test('type matches: ints by bit width and signedness', () => {
  const mk = (bits: number, signed: boolean): Side => side((b) => b.addStruct('s', 8, [m('v', b.addInt('myint', 8, { signed, bits }))]));
  assert.ok(matches(mk(64, true), mk(64, true)));
  assert.ok(!matches(mk(64, true), mk(64, false)), 'signedness differs');
  assert.ok(!matches(mk(64, true), mk(32, true)), 'width differs');
  assert.ok(!matches(side((b, t) => b.addStruct('s', 4, [m('v', t.int)])), side((b) => b.addStruct('s', 4, [m('v', b.addEnum('int', 4, [{ name: 'A', value: 0 }]))]))), 'int vs enum');
  assert.ok(!matches(side((b) => b.addFloat('double', 8)), side((b) => b.addFloat('double', 8))), 'floats never match (libbpf has no rule for them)');
});

test('type matches: enums need every local name in the target and the same size; values may differ', () => {
  const local = side((b) => b.addEnum('state', 4, [{ name: 'RUNNING', value: 0 }, { name: 'STOPPED', value: 4 }]));
  assert.ok(matches(local, side((b) => b.addEnum('state', 4, [{ name: 'DEAD', value: 0 }, { name: 'STOPPED', value: 1 }, { name: 'RUNNING', value: 2 }]))), 'subset, other values');
  assert.ok(matches(local, side((b) => b.addEnum('state', 4, [{ name: 'RUNNING___x', value: 0 }, { name: 'STOPPED', value: 1 }]))), 'enumerator flavour suffix in the target');
  assert.ok(matches(local, side((b) => b.addEnum('state', 4, [{ name: 'RUNNING', value: 0 }, { name: 'STOPPED', value: 4 }], false, true))), 'enum vs enum64 of the same size');
  assert.ok(!matches(local, side((b) => b.addEnum('state', 4, [{ name: 'RUNNING', value: 0 }, { name: 'DEAD', value: 1 }]))), 'a local name missing');
  assert.ok(!matches(local, side((b) => b.addEnum('state', 4, [{ name: 'RUNNING', value: 0 }]))), 'target has fewer enumerators');
  assert.ok(!matches(local, side((b) => b.addEnum('state', 8, [{ name: 'RUNNING', value: 0 }, { name: 'STOPPED', value: 4 }], false, true))), 'size differs');
});

test('type matches: behind a pointer only names and kinds count (struct, union, forward declarations)', () => {
  const ptrTo = (mk: (b: BtfBuilder, t: { int: number; long: number }) => number): Side => side((b, t) => b.addStruct('s', 8, [m('p', b.addPtr(mk(b, t)))]));
  const local = ptrTo((b, t) => b.addStruct('bar', 4, [m('x', t.int)]));
  assert.ok(matches(local, ptrTo((b, t) => b.addStruct('bar', 16, [m('y', t.long), m('z', t.long, 64)]))), 'pointee members are not compared');
  assert.ok(matches(local, ptrTo((b) => b.addFwd('bar'))), 'struct vs forward declared struct');
  assert.ok(matches(ptrTo((b) => b.addFwd('bar')), ptrTo((b, t) => b.addStruct('bar', 4, [m('x', t.int)]))), 'forward declared struct vs struct');
  assert.ok(!matches(ptrTo((b) => b.addFwd('bar')), ptrTo((b, t) => b.addUnion('bar', 4, [m('x', t.int)]))), 'forward struct vs union');
  assert.ok(!matches(local, ptrTo((b) => b.addFwd('bar', true))), 'struct vs forward declared union');
  assert.ok(!matches(local, ptrTo((b, t) => b.addStruct('baz', 4, [m('x', t.int)]))), 'pointee named differently');
  assert.ok(!matches(local, side((b, t) => b.addStruct('s', 8, [m('p', t.long)]))), 'pointer vs long');
  // Not behind a pointer, a forward declaration only matches a forward declaration.
  assert.ok(!matches(side((b) => b.addFwd('bar')), side((b, t) => b.addStruct('bar', 4, [m('x', t.int)]))), 'fwd vs struct by value');
  assert.ok(matches(side((b) => b.addFwd('bar', true)), side((b) => b.addFwd('bar', true))), 'fwd union vs fwd union');
  // A self-referential list walks through the pointer without recursing forever.
  const list = (): Side => side((b) => {
    const fwdNext = b.next;
    b.addPtr(fwdNext + 1);
    return b.addStruct('list_head', 16, [m('next', fwdNext), m('prev', fwdNext, 64)]);
  });
  assert.ok(matches(list(), list()), 'self-referential struct');
});

test('type matches: arrays by length and element type', () => {
  const arr = (n: number, elem: 'int' | 'long'): Side => side((b, t) => b.addStruct('s', 64, [m('a', b.addArray(t[elem], t.int, n))]));
  assert.ok(matches(arr(4, 'int'), arr(4, 'int')));
  assert.ok(!matches(arr(4, 'int'), arr(8, 'int')), 'length differs');
  assert.ok(!matches(arr(4, 'int'), arr(4, 'long')), 'element differs');
});

test('type matches: function prototypes by arity, parameter and return types', () => {
  const cb = (ret: 'int' | 'long', params: ('int' | 'long')[]): Side => side((b, t) => {
    const proto = b.addFuncProto(t[ret], params.map((p, i) => ({ name: `a${i}`, type: t[p] })));
    return b.addStruct('ops', 8, [m('cb', b.addPtr(proto))]);
  });
  assert.ok(matches(cb('int', ['long', 'int']), cb('int', ['long', 'int'])));
  assert.ok(!matches(cb('int', ['long', 'int']), cb('int', ['long'])), 'arity differs');
  assert.ok(!matches(cb('int', ['long', 'int']), cb('int', ['long', 'long'])), 'a parameter differs');
  assert.ok(!matches(cb('int', ['long']), cb('long', ['long'])), 'return type differs');
});

test('type matches: members are found by name only, not through anonymous members', () => {
  const flat = side((b, t) => b.addStruct('s', 4, [m('x', t.int)]));
  const nested = side((b, t) => b.addStruct('s', 4, [m('', b.addUnion('', 4, [m('x', t.int)]))]));
  assert.ok(!matches(flat, nested), 'x inside an anonymous union is not a member named x');
  assert.ok(matches(nested, nested), 'anonymous member vs anonymous member of matching type');
  assert.ok(!matches(nested, side((b, t) => b.addStruct('s', 4, [m('', b.addUnion('u', 4, [m('x', t.int)]))]))), 'anonymous local vs named target type');
});

test('type matches: a chain deeper than libbpf allows does not match', () => {
  const deep = (): Side => side((b, t) => {
    let id = t.int;
    for (let i = 0; i < 40; i++) id = b.addPtr(id);
    return id;
  });
  assert.ok(!matches(deep(), deep()));
  const shallow = (): Side => side((b, t) => b.addPtr(b.addPtr(t.int)));
  assert.ok(matches(shallow(), shallow()));
});

test('type matches through resolveCore: a hand-made TYPE_MATCHES relocation gives 1, or 0 (absent)', () => {
  const local = side((b, t) => b.addStruct('task', 8, [m('pid', t.int), m('tgid', t.int, 32)]));
  const good = side((b, t) => b.addStruct('task', 12, [m('tgid', t.int), m('pid', t.int, 32), m('x', t.int, 64)]));
  const bad = side((b, t) => b.addStruct('task', 8, [m('pid', t.long)]));
  const obj = {
    btf: local.btf,
    programs: [{ name: 'p', section: 'tp/x', insns: [], lines: [], coreRelos: [{ pc: 0, kind: CORE.TYPE_MATCHES, kindName: 'type_matches', access: '0', typeId: local.id }] }],
  } as unknown as BpfObject;
  const ok = resolveCore(obj, good.btf)[0];
  assert.equal(ok.status, 'ok', ok.message);
  assert.equal(ok.targetValue, 1);
  const no = resolveCore(obj, bad.btf)[0];
  assert.equal(no.status, 'absent', no.message);
  assert.equal(no.targetValue, 0);
});

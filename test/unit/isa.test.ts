import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPCODES, lookupSpec, decode, encode, specFor, mkInsn, imm64 } from '../../server/src/isa';

test('every spec is found again by lookupSpec from its own discriminators', () => {
  for (const s of OPCODES) {
    const got = lookupSpec(s.code, s.srcIs ?? 0, s.offIs ?? 0, s.immIs ?? 0);
    assert.equal(got, s, `lookup of ${s.name} (0x${s.code.toString(16)}) gave ${got?.name}`);
  }
});

test('spec names with the same source form are unique', () => {
  const seen = new Set<string>();
  for (const s of OPCODES) {
    const k = `${s.name}/${s.srcReg}`;
    assert.ok(!seen.has(k), `duplicate ${k}`);
    seen.add(k);
  }
});

test('decode/encode round trip of every spec', () => {
  for (const s of OPCODES) {
    const insn = mkInsn(s, { dst: s.fields.dst ? 3 : 0, src: s.fields.src ? (s.kind === 'lddw' ? 0 : 4) : s.srcIs ?? 0, off: s.fields.off ? -7 : s.offIs ?? 0, imm: s.fields.imm ? 0x1234 : s.immIs ?? 0 });
    if (s.kind === 'lddw') insn.imm2 = -1;
    for (const bigEndian of [false, true]) {
      const bytes = encode([insn], { bigEndian });
      const d = decode(bytes, { bigEndian });
      assert.deepEqual(d.diagnostics, [], `${s.name}: ${JSON.stringify(d.diagnostics)}`);
      assert.equal(d.insns.length, 1);
      assert.equal(d.insns[0].spec, s);
      assert.deepEqual(encode(d.insns, { bigEndian }), bytes);
    }
  }
});

test('invalid encodings become diagnostics with the slot index', () => {
  const bytes = new Uint8Array(8 * 4);
  bytes[0] = 0xb7; // mov r0, 0
  bytes[8] = 0xff; // unknown opcode
  bytes[16] = 0x95; bytes[16 + 4] = 1; // exit with imm != 0
  bytes[24] = 0x18; // lddw without a second half
  const d = decode(bytes);
  assert.deepEqual(d.invalid, [1, 2, 3]);
  assert.match(d.diagnostics[0].message, /unknown opcode 0xff/);
  assert.match(d.diagnostics[1].message, /reserved field imm/);
  assert.match(d.diagnostics[2].message, /second half/);
  assert.equal(d.insns.length, 1);
});

test('lddw carries 64 bits', () => {
  const s = specFor('lddw')!;
  const insn = mkInsn(s, { dst: 1, imm: 0x55667788, imm2: 0x11223344 });
  assert.equal(imm64(insn), 0x1122334455667788n);
});

/**
 * btfWalk (server/src/verifier/btf-access.ts), the one BTF struct walk of the verifier, shared by
 * loads through BTF pointers and the helpers' BTF argument checks: btf_struct_walk's descent into
 * named and anonymous structs and unions, the first member covering the offset deciding, holes,
 * bitfields, offsets inside a member. On hand-built BTF.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BtfBuilder } from '../../server/src/btf/write';
import { Btf, parseBtf } from '../../server/src/btf';
import { btfWalk } from '../../server/src/verifier/btf-access';

function build(): { btf: Btf; file: number; path: number } {
  const b = new BtfBuilder();
  const long = b.addInt('long', 8, { signed: true });
  const int = b.addInt('int', 4, { signed: true });
  const inode = b.addStruct('inode', 8, [{ name: 'i_ino', type: long, bitOffset: 0 }]);
  const pinode = b.addPtr(inode);
  const path = b.addStruct('path', 16, [{ name: 'mnt', type: long, bitOffset: 0 }, { name: 'dentry', type: pinode, bitOffset: 64 }]);
  // union { long u; struct inode *p; }: the first member decides.
  const u = b.addUnion('', 8, [{ name: 'u', type: long, bitOffset: 0 }, { name: 'p', type: pinode, bitOffset: 0 }]);
  const file = b.addStruct('file', 64, [
    { name: 'f_flags', type: long, bitOffset: 0 },
    { name: '', type: u, bitOffset: 64 },
    { name: 'f_path', type: path, bitOffset: 128 },
    { name: 'f_inode', type: pinode, bitOffset: 256 },
    { name: 'f_mode', type: int, bitOffset: 320, bitSize: 3 },
    // 41..47: a hole; 48..63: nothing.
  ], true);
  const r = parseBtf(b.encode());
  assert.deepEqual(r.diagnostics, [], 'hand-built BTF parses');
  assert.ok(r.btf);
  return { btf: new Btf(r.btf), file, path };
}

test('btfWalk: named nested structs are entered, the member at the offset ends the walk', () => {
  const { btf, file, path } = build();
  // &file->f_path: a struct path at 16, whose first member is mnt.
  assert.deepEqual(btfWalk(btf, file, 16), { path: [{ id: file, off: 16 }, { id: path, off: 0 }], member: { name: 'mnt', type: btf.members(path)[0].type, off: 0 } });
  // file->f_path.dentry: a pointer member reached through the named struct.
  const w = btfWalk(btf, file, 24);
  assert.equal(w.member?.name, 'dentry');
  assert.equal(w.member?.off, 0);
  assert.deepEqual(w.path.map((p) => btf.name(p.id)), ['file', 'path']);
  assert.equal(btfWalk(btf, file, 32).member?.name, 'f_inode');
});

test('btfWalk: the first member covering the offset decides (a union\'s first member), inside a member, holes, bitfields, past the end', () => {
  const { btf, file } = build();
  const w = btfWalk(btf, file, 8);
  assert.equal(w.path.length, 2, 'the anonymous union is entered');
  assert.equal(w.member?.name, 'u', 'the union\'s first member, not the pointer behind it');
  assert.deepEqual(btfWalk(btf, file, 4).member, { name: 'f_flags', type: btf.members(file)[0].type, off: 4 });
  assert.equal(btfWalk(btf, file, 40).member, undefined, 'a bitfield is skipped');
  assert.equal(btfWalk(btf, file, 44).member, undefined, 'a hole');
  assert.deepEqual(btfWalk(btf, file, 200), { path: [{ id: file, off: 200 }] }, 'past the end');
});

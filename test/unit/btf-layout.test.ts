import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parseBtf, Btf, KIND } from '../../server/src/btf';
import { structLayout, formatLayout } from '../../server/src/btf/layout';
import { BtfBuilder } from '../../server/src/btf/write';

const VMLINUX = '../shared/kernel/6.18/vmlinux.btf';

test('hand-built struct: holes, bit holes, padding, rows', () => {
  const bb = new BtfBuilder();
  const char = bb.addInt('char', 1, { signed: true, char: true });
  const u32 = bb.addInt('unsigned int', 4);
  const long = bb.addInt('long', 8, { signed: true });
  // struct s { char c; /* 7 hole */ long l; unsigned a:3; /* 29 bits */ unsigned b; /* 8 pad */ }  size 32
  const s = bb.addStruct('s', 32, [
    { name: 'c', type: char, bitOffset: 0 },
    { name: 'l', type: long, bitOffset: 64 },
    { name: 'a', type: u32, bitOffset: 128, bitSize: 3 },
    { name: 'b', type: u32, bitOffset: 160 },
  ]);
  const b = new Btf(parseBtf(bb.encode()).btf!);
  const l = structLayout(b, s)!;
  assert.equal(l.holes, 1);
  assert.equal(l.sumHoles, 7);
  assert.equal(l.bitHoles, 1);
  assert.equal(l.sumBitHoles, 29);
  assert.equal(l.padding, 8);
  assert.deepEqual(l.rows.map((r) => r.kind), ['member', 'hole', 'member', 'member', 'bithole', 'member']);
  const text = formatLayout(l);
  assert.match(text, /\/\* XXX 7 bytes hole, try to pack \*\//);
  assert.match(text, /unsigned int\s+a:3;\s+\/\*\s+16: 0\s+4 \*\//);
  assert.match(text, /\/\* size: 32, cachelines: 1, members: 4 \*\//);
  assert.equal(structLayout(b, char), undefined);
});

test('vmlinux: every struct accounts for every bit, and known holes are where BTF puts them', (t) => {
  if (!existsSync(VMLINUX)) { console.log(`SKIP: ${VMLINUX} missing`); t.skip('vmlinux.btf missing'); return; }
  const b = new Btf(parseBtf(readFileSync(VMLINUX)).btf!);
  let checked = 0;
  const bad: string[] = [];
  for (let id = 1; id < b.count; id++) {
    if (b.kind(id) !== KIND.STRUCT) continue;
    const l = structLayout(b, id)!;
    // Members laid end to end (no overlap in a struct) plus holes and padding make the size.
    const bits = l.sumMemberBits + 8 * l.sumHoles + l.sumBitHoles + 8 * l.padding;
    if (Math.ceil(bits / 8) !== l.size) bad.push(`${l.name || id}: ${bits} bits vs ${l.size} bytes`);
    checked++;
  }
  assert.ok(checked > 5000);
  assert.deepEqual(bad.slice(0, 10), []);

  // The hole in struct inode before i_rwsem, computed from BTF directly.
  const inode = b.find('inode', KIND.STRUCT)!;
  const ms = b.members(inode);
  const k = ms.findIndex((m) => m.name === 'i_rwsem');
  const prev = ms[k - 1];
  const hole = ms[k].bitOffset / 8 - (prev.bitOffset / 8 + b.sizeof(prev.type)!);
  assert.ok(hole > 0, 'inode has a hole before i_rwsem on this kernel');
  const rows = structLayout(b, inode)!.rows;
  const at = rows.findIndex((r) => r.kind === 'member' && r.name === 'i_rwsem');
  assert.deepEqual(rows[at - 1], { kind: 'hole', depth: 1, bytes: hole, offset: ms[k].bitOffset / 8 - hole });
  assert.match(formatLayout(structLayout(b, inode)!), new RegExp(`XXX ${hole} bytes hole, try to pack \\*/\\n\\n\\tstruct rw_semaphore\\s+i_rwsem;`));

  // Member rows carry BTF's offsets; the bit hole after task_struct's first bitfield run.
  const ts = b.find('task_struct', KIND.STRUCT)!;
  const tl = structLayout(b, ts)!;
  for (const r of tl.rows) {
    if (r.kind !== 'member' || r.depth !== 1 || r.bitSize !== undefined) continue;
    assert.equal(r.offset * 8, b.findMember(ts, r.name)!.bitOffset, r.name);
  }
  const hot = b.findMember(ts, 'sched_task_hot')!;
  const next = b.findMember(ts, 'sched_remote_wakeup')!;
  const gap = next.bitOffset - (hot.bitOffset + hot.bitSize);
  const i = tl.rows.findIndex((r) => r.kind === 'member' && r.name === 'sched_task_hot');
  assert.deepEqual(tl.rows[i + 1], { kind: 'bithole', depth: 1, bits: gap });
  assert.equal(tl.cachelines, Math.ceil(b.sizeof(ts)! / 64));

  const lh = structLayout(b, b.find('list_head', KIND.STRUCT)!)!;
  assert.equal(lh.holes + lh.bitHoles + lh.padding, 0);
});

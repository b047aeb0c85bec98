import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parseBtf, Btf, KIND, decodeType } from '../../server/src/btf';
import { BtfBuilder, type TypeSpec } from '../../server/src/btf/write';
import { dumpC } from '../../server/src/btf/cprint';
import { structLayout, formatLayout } from '../../server/src/btf/layout';

const VMLINUX = '../shared/kernel/6.18/vmlinux.btf';
/** FUZZ_CASES=50000 for the full run (the default keeps the suite fast). */
const CASES = Number(process.env.FUZZ_CASES ?? 1500);

/** The first `n` types of the kernel's BTF, references beyond them turned into void: a small real blob. */
function seedBlob(n: number): Uint8Array {
  const raw = parseBtf(readFileSync(VMLINUX)).btf!;
  const b = new BtfBuilder();
  const fix = (id: number): number => (id <= n ? id : 0);
  for (let id = 1; id <= n; id++) {
    const t = decodeType(raw, id) as TypeSpec & { id?: number };
    delete t.id;
    if ('type' in t) (t as { type: number }).type = fix(t.type);
    if (t.kind === KIND.ARRAY) t.indexType = fix(t.indexType);
    if (t.kind === KIND.STRUCT || t.kind === KIND.UNION) for (const m of t.members) m.type = fix(m.type);
    if (t.kind === KIND.FUNC_PROTO) for (const p of t.params) p.type = fix(p.type);
    if (t.kind === KIND.DATASEC) for (const v of t.vars) v.type = fix(v.type);
    b.add(t);
  }
  return b.encode();
}

test(`fuzz: ${CASES} mutations of a real BTF blob parse, decode, dump and lay out without throwing`, (t) => {
  if (!existsSync(VMLINUX)) { console.log(`SKIP: ${VMLINUX} missing`); t.skip('vmlinux.btf missing'); return; }
  const seed = seedBlob(400);
  const clean = parseBtf(seed);
  assert.deepEqual(clean.diagnostics, []);
  let rng = 0x9e3779b9;
  const rnd = (n: number): number => {
    rng ^= rng << 13; rng ^= rng >>> 17; rng ^= rng << 5;
    return (rng >>> 0) % n;
  };
  let parsed = 0;
  let rejected = 0;
  const t0 = performance.now();
  let worst = 0;
  for (let c = 0; c < CASES; c++) {
    const b = seed.slice();
    const words = (b.length - 24) >> 2;
    const kind = rnd(5);
    for (let k = 0, n = 1 + rnd(6); k < n; k++) {
      if (kind === 0) b[rnd(b.length)] = rnd(256); // byte noise
      else if (kind === 1) b[24 + 4 * rnd(words) + 3] = rnd(2) ? 0x80 | rnd(32) : rnd(32); // kind / kind_flag byte
      else if (kind === 2) new DataView(b.buffer).setUint32(24 + 4 * rnd(words), rnd(500), true); // a small id or size
      else if (kind === 3) new DataView(b.buffer).setUint32(24 + 4 * rnd(words), rnd(2) ? 0xffffffff : rnd(0x10000), true);
      else b[4 + rnd(20)] = rnd(256); // header
    }
    const input = kind === 4 && rnd(4) === 0 ? b.subarray(0, rnd(b.length)) : b;
    const s0 = performance.now();
    const r = parseBtf(input);
    for (const d of r.diagnostics) {
      assert.ok(d.offset >= 0 && d.offset <= input.length && d.message.length > 0, JSON.stringify(d));
    }
    if (r.btf === undefined) {
      rejected++;
      assert.ok(r.diagnostics.length > 0, 'a rejected blob says why');
      continue;
    }
    parsed++;
    const g = new Btf(r.btf);
    const text = dumpC(g);
    assert.ok(text.startsWith('#ifndef __VMLINUX_H__'));
    for (let id = 0; id < Math.min(g.count, 60); id++) {
      g.type(id); g.sizeof(id); g.alignof(id); g.findMember(id, 'next');
      const l = structLayout(g, id);
      if (l !== undefined) formatLayout(l);
    }
    worst = Math.max(worst, performance.now() - s0);
  }
  console.log(`fuzz: ${CASES} cases, ${parsed} parsed (dumped and laid out), ${rejected} rejected with a diagnostic; ${((performance.now() - t0) / 1000).toFixed(1)} s, slowest case ${worst.toFixed(1)} ms`);
  assert.ok(worst < 2000, 'no case takes long');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parseBtf } from '../../server/src/btf';
import { encodeBundle, decodeBundle } from '../../server/src/btf/bundle';
import { parseTracepointFormat } from '../../server/src/btf/tracepoint';
import { readTracepointFormats } from '../../server/src/host/btf-files';
import { brotli, loadBundle } from '../../server/src/host/btf-bundle';

const VMLINUX = '../shared/kernel/6.18/vmlinux.btf';
const EVENTS = '../shared/kernel/6.18/tracefs/events';

test('bundle: kernel BTF and every tracepoint layout survive encode/decode', (t) => {
  if (!existsSync(VMLINUX) || !existsSync(EVENTS)) { console.log('SKIP: kernel data missing'); t.skip('kernel data missing'); return; }
  const btf = readFileSync(VMLINUX);
  const tracepoints = readTracepointFormats(EVENTS).files.map((f) => ({ system: f.system, format: parseTracepointFormat(f.text).format! }));
  const raw = encodeBundle({ btf, tracepoints, meta: { kernel: '6.18' } });
  const r = decodeBundle(raw);
  assert.deepEqual(r.diagnostics, []);
  const b = r.bundle!;
  assert.ok(Buffer.from(b.btf).equals(btf));
  assert.deepEqual(parseBtf(b.btf).diagnostics, []);
  assert.equal(b.meta.kernel, '6.18');
  assert.equal(b.tracepoints.length, tracepoints.length);
  for (let i = 0; i < tracepoints.length; i++) {
    const a = tracepoints[i].format;
    const c = b.tracepoints[i].format;
    assert.equal(c.name, a.name);
    assert.equal(c.id, a.id);
    // every field as parsed from the file, including the declaration text rebuilt from type and name
    assert.deepEqual(c.fields.map((f) => [f.name, f.type, f.decl, f.offset, f.size, f.signed, f.arrayLen, f.dynamic]),
      a.fields.map((f) => [f.name, f.type, f.decl, f.offset, f.size, f.signed, f.arrayLen, f.dynamic]), a.name);
  }
});

test('bundle: malformed containers give diagnostics; a compressed one loads', () => {
  assert.match(decodeBundle(new Uint8Array(4)).diagnostics[0].message, /not a BPF Studio kernel bundle/);
  const ok = encodeBundle({ btf: new Uint8Array([1, 2, 3]), tracepoints: [], meta: {} });
  const cut = ok.slice(0, 20);
  assert.match(decodeBundle(cut).diagnostics[0].message, /runs past the end/);
  const loaded = loadBundle(brotli(ok));
  assert.deepEqual([...loaded.bundle!.btf], [1, 2, 3]);
  assert.match(loadBundle(new Uint8Array([1, 2, 3])).error!, /does not decompress/);
});

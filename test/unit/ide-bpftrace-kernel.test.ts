// Where the bpftrace features get kernel data (server/src/host/kernel-info.ts):
// a tracefs-like events directory first, then a default-kernel bundle, then the
// shared 6.18 tree; missing or corrupt sources fall through and never throw.
// Also the shared suggestion helper (server/src/util/suggest.ts) behind the hints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKernelInfo, resolveTargetVersion } from '../../server/src/host/kernel-info';
import { brotli } from '../../server/src/host/btf-bundle';
import { encodeBundle } from '../../server/src/btf/bundle';
import { parseTracepointFormat } from '../../server/src/btf/tracepoint';
import { editDistance, nearestName } from '../../server/src/util/suggest';

const FORMAT = 'name: sys_enter_frob\nID: 7\nformat:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n\tfield:long knob;\toffset:8;\tsize:8;\tsigned:1;\n\nprint fmt: "k"\n';

const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-ki-'));

function eventsDir(name: string): string {
  const dir = join(tmp, name, 'events');
  mkdirSync(join(dir, 'frobs', 'sys_enter_frob'), { recursive: true });
  writeFileSync(join(dir, 'frobs', 'sys_enter_frob', 'format'), FORMAT);
  writeFileSync(join(dir, 'enable'), '0\n'); // tracefs has plain files beside the subsystems
  return dir;
}

test('kernel info: tracefs first, then bundles, then the shared tree; nothing gives undefined', () => {
  const live = eventsDir('live');
  const shared = eventsDir('shared');
  const missing = join(tmp, 'missing');
  const corrupt = join(tmp, 'corrupt.bundle');
  writeFileSync(corrupt, 'not brotli');
  const bundle = join(tmp, 'k.bundle');
  const format = parseTracepointFormat(FORMAT.replace('sys_enter_frob', 'sys_enter_bundled')).format!;
  writeFileSync(bundle, brotli(encodeBundle({ btf: new Uint8Array(0), tracepoints: [{ system: 'frobs', format }], meta: { kernel: '9.9' } })));

  const a = loadKernelInfo({ tracefs: [missing, live], bundles: [bundle], shared: [shared] });
  assert.equal(a?.source, live);
  assert.deepEqual(a?.tracepointFields('frobs', 'sys_enter_frob'), ['common_type', 'knob']);

  const b = loadKernelInfo({ tracefs: [missing], bundles: [missing, corrupt, bundle], shared: [shared] });
  assert.match(b?.source ?? '', /^default kernel 9\.9/);
  assert.deepEqual(b?.events('frobs'), ['sys_enter_bundled']);

  const c = loadKernelInfo({ tracefs: [missing], bundles: [corrupt], shared: [missing, shared] });
  assert.equal(c?.source, shared);
  assert.equal(c?.format('frobs', 'sys_enter_frob')?.fields[1].type, 'long');

  assert.equal(loadKernelInfo({ tracefs: [missing], bundles: [corrupt], shared: [missing, tmp] }), undefined);
});

test('target version: explicit wins, auto asks the installed bpftrace or says 0.26', () => {
  assert.equal(resolveTargetVersion('0.17'), '0.17');
  const auto = resolveTargetVersion('auto');
  assert.match(auto, /^\d+\.\d+$/);
  assert.equal(resolveTargetVersion(undefined), auto);
});

test('suggest: edit distance and the nearest name within a typo budget', () => {
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('filenme', 'filename'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(nearestName('filenme', ['dfd', 'filename', 'flags']), 'filename');
  assert.equal(nearestName('zzzzzz', ['dfd', 'filename']), undefined);
  assert.equal(nearestName('ab', ['ab', 'ac'], { skipExact: true }), 'ac');
  assert.equal(nearestName('ab', ['ac', 'ad']), 'ac', 'ties go to the first candidate');
  assert.equal(nearestName('abcdef', ['abcxyz'], { maxDistance: 2 }), undefined);
});

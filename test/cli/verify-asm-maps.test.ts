// Self-contained assembly files on the command line: `verify` and `asm -o`
// take maps and the program section from `.map` / `.section` directives, and
// a bad directive is reported as FILE:LINE:COL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distFile, ROOT } from '../lsp/dist';

const cli = distFile('cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-vam-'));

function bpfstudio(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const PROG = [
  '.section xdp',
  '.map stats, percpu_array, key=4, value=8, max_entries=2',
  '  r6 = *(u32 *)(r1 + 4)',
  '  r1 = 0',
  '  *(u32 *)(r10 - 4) = r1',
  '  r2 = r10',
  '  r2 += -4',
  '  r1 = map[stats]',
  '  call bpf_map_lookup_elem',
  '  if r0 == 0 goto out',
  '  r1 = *(u64 *)(r0 + 0)',
  'out:',
  '  r0 = 2',
  '  exit',
  '',
].join('\n');

test('verify uses the declared map and section (xdp: the ctx is xdp_md)', () => {
  const f = join(tmp, 'stats.s');
  writeFileSync(f, PROG);
  const r = bpfstudio(['verify', f, '--log-level', '2']);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /R1=map_ptr\(map=stats,ks=4,vs=8\)/, 'the map has the declared name and sizes');
  assert.match(r.out, /R6=pkt_end\(/, 'xdp_md->data_end: the program is verified as xdp');
  assert.match(r.out, /accepted/);
  // The same file without its map declaration is rejected at the reference.
  const g = join(tmp, 'nomap.s');
  writeFileSync(g, PROG.replace(/^\.map.*\n/m, ''));
  const bad = bpfstudio(['verify', g]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /nomap\.s:7:\d+: error: unknown map 'stats'/);
});

test('asm -o writes the declared maps and section into the object', () => {
  const f = join(tmp, 'stats2.s');
  writeFileSync(f, PROG);
  const o = join(tmp, 'stats2.o');
  const r = bpfstudio(['asm', f, '-o', o]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /section 'xdp'.*1 maps/);
  const d = bpfstudio(['obj', o]);
  assert.match(d.out, /^ {2}stats +PERCPU_ARRAY +key +4 +value +8 +max_entries +2/m);
  assert.match(d.out, /xdp +XDP/);
});

test('a bad directive is a located error', () => {
  const f = join(tmp, 'bad.s');
  writeFileSync(f, '.map m, hash, key=4\n  r0 = 0\n  exit\n');
  const r = bpfstudio(['verify', f]);
  assert.equal(r.code, 1);
  assert.match(r.err, /bad\.s:1:6: error: map 'm' needs value=SIZE/);
});

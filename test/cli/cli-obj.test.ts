// The object commands of the bpfstudio CLI end to end: asm -o OUT.o (checked by
// our reader and, where root may load BPF, by the kernel through bpftool),
// obj, disasm FILE.o, core, and btf dump/layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');
const shippedBtf = join(root, '..', 'shared', 'kernel', '6.18', 'vmlinux.btf');
if (!existsSync(cli)) spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });

function bpfstudio(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-cli-obj-'));
const countSrc = join(root, 'test', 'fixtures', 'cli', 'count-xdp.bpf.s');

test('asm -o OUT.o writes an object our reader describes, with maps, BTF and line info', () => {
  const o = join(tmp, 'count.o');
  const r = bpfstudio(['asm', countSrc, '-o', o, '--section', 'xdp', '--map', 'array:4:8:1']);
  assert.equal(r.code, 0, r.err);
  const d = bpfstudio(['obj', o]);
  assert.equal(d.code, 0, d.err);
  assert.match(d.out, /^\s+count_xdp\s+xdp\s+XDP\/XDP\s+11 insns/m);
  assert.match(d.out, /Maps \(1\)/);
  assert.match(d.out, /map_0/);
  const dis = bpfstudio(['disasm', o]);
  assert.equal(dis.code, 0, dis.err);
  assert.match(dis.out, /; call bpf_map_lookup_elem {2}\[count-xdp\.bpf\.s:7\]/);
  assert.match(dis.out, /R_BPF_64_64\s+map map_0/);
  // A map reference with no --map is an error naming the instruction.
  const bad = bpfstudio(['asm', countSrc, '-o', join(tmp, 'bad.o')]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /instruction 4 refers to map 0, but only 0 --map given/);
  assert.equal(bpfstudio(['asm', countSrc, '-o', o, '--map', 'nosuch:4:8']).code, 2);
});

test('the kernel loads and runs what asm -o writes', (t) => {
  const why = process.getuid?.() !== 0 ? 'not root' : !have('bpftool') ? 'bpftool not installed' : !existsSync('/sys/fs/bpf') ? 'no /sys/fs/bpf' : '';
  if (why) { console.log(`SKIP: kernel load of asm -o output: ${why}`); t.skip(why); return; }
  const o = join(tmp, 'count-load.o');
  assert.equal(bpfstudio(['asm', countSrc, '-o', o, '--section', 'xdp', '--map', 'array:4:8:1']).code, 0);
  const pin = `/sys/fs/bpf/bpfstudio_cli_${process.pid}`;
  const load = spawnSync('bpftool', ['prog', 'load', o, pin], { encoding: 'utf8' });
  if (load.status !== 0 && /Operation not permitted/.test(load.stderr)) { console.log('SKIP: loading BPF not permitted here'); t.skip('EPERM'); return; }
  try {
    assert.equal(load.status, 0, load.stderr);
    const pkt = join(tmp, 'pkt.bin');
    writeFileSync(pkt, Buffer.alloc(64));
    const run = spawnSync('bpftool', ['prog', 'run', 'pinned', pin, 'data_in', pkt, 'repeat', '3'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout + run.stderr, /Return value: 0/);
    const maps = /map_ids (\d+)/.exec(spawnSync('bpftool', ['prog', 'show', 'pinned', pin], { encoding: 'utf8' }).stdout)?.[1];
    assert.ok(maps, 'the loaded program uses a map');
    const dump = spawnSync('bpftool', ['map', 'dump', 'id', String(maps)], { encoding: 'utf8' }).stdout;
    assert.match(dump, /value: 03 00 00 00 00 00 00 00/, 'three runs counted');
  } finally {
    rmSync(pin, { force: true });
  }
});

test('btf dump writes a vmlinux.h and btf layout prints holes', { skip: !existsSync(shippedBtf) && 'no shipped BTF' }, () => {
  const h = bpfstudio(['btf', 'dump', shippedBtf]);
  assert.equal(h.code, 0, h.err);
  assert.match(h.out, /^#ifndef __VMLINUX_H__/);
  assert.match(h.out, /^struct task_struct \{$/m);
  const l = bpfstudio(['btf', 'layout', 'struct sk_buff', shippedBtf]);
  assert.equal(l.code, 0, l.err);
  assert.match(l.out, /size: \d+/);
  assert.equal(bpfstudio(['btf', 'layout', 'no_such_struct_xyz', shippedBtf]).code, 1);
  assert.equal(bpfstudio(['btf', 'frob']).code, 2);
});

test('core resolves CO-RE relocations of a clang object against the shipped BTF', (t) => {
  if (!have('clang')) { console.log('SKIP: core: clang not installed'); t.skip('no clang'); return; }
  if (!existsSync(shippedBtf)) { console.log('SKIP: core: no shipped BTF'); t.skip('no BTF'); return; }
  const c = join(tmp, 'core.bpf.c');
  writeFileSync(c, [
    '// Reads task->pid and the old task->state (renamed __state in 5.14) through CO-RE.',
    'struct task_struct { int pid; long state; } __attribute__((preserve_access_index));',
    '__attribute__((section("raw_tp/sched_switch"), used))',
    'int prog(struct task_struct **ctx) {',
    '  struct task_struct *t = ctx[1];',
    '  return t->pid + (int)t->state;',
    '}',
    'char _license[] __attribute__((section("license"), used)) = "GPL";',
  ].join('\n'));
  const o = join(tmp, 'core.o');
  const cc = spawnSync('clang', ['-O2', '-g', '-target', 'bpf', '-c', c, '-o', o], { encoding: 'utf8' });
  assert.equal(cc.status, 0, cc.stderr);
  const r = bpfstudio(['core', o, '--btf', shippedBtf]);
  assert.equal(r.code, 1, 'the state relocation fails on 6.18');
  assert.match(r.out, /pid/);
  assert.match(r.out, /has no field 'state' in the target kernel's BTF.*did you mean '__state'\?/);
  assert.ok(readFileSync(o).length > 0);
});

test('the build ships the default kernel bundle: BTF and tracepoint formats', { skip: !existsSync(shippedBtf) && 'no shipped BTF to build it from' }, async () => {
  const { loadBundle } = await import('../../server/src/host/btf-bundle');
  const { parseBtf, Btf } = await import('../../server/src/btf');
  const file = join(root, 'dist', 'kernel-6.18.bundle');
  assert.ok(existsSync(file), 'npm run build makes dist/kernel-6.18.bundle');
  const b = loadBundle(readFileSync(file));
  assert.ok(b.bundle, b.error);
  const btf = new Btf(parseBtf(b.bundle.btf).btf!);
  assert.equal(btf.count, new Btf(parseBtf(readFileSync(shippedBtf)).btf!).count);
  assert.ok(btf.find('task_struct') !== undefined);
  assert.ok(b.bundle.tracepoints.length >= 2000, `${b.bundle.tracepoints.length} tracepoints`);
  console.log(`default kernel bundle: ${readFileSync(file).length} bytes compressed, ${b.bundle.tracepoints.length} tracepoints`);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../server/src/asm';
import { emitObject, parseObject, type EmitSpec, type EmitProgram, type EmitMap } from '../../server/src/elf';
import { buildFixtures, objdumpCmd, tool, scratchDir } from '../fixtures/elf/build';

const objdump = objdumpCmd();

function asm(text: string): ReturnType<typeof assemble>['insns'] {
  const r = assemble(text);
  assert.deepEqual(r.diagnostics, []);
  return r.insns;
}

function demoSpec(bigEndian = false): EmitSpec {
  return {
    bigEndian,
    fileName: 'demo.bpf.s',
    programs: [
      {
        name: 'count_pkts', section: 'xdp',
        insns: asm('r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = 0 ll\ncall 1\nif r0 == 0 goto +3\nr1 = *(u64 *)(r0 + 0)\nr1 += 1\n*(u64 *)(r0 + 0) = r1\ncall pc+1\nexit\n'),
        relocs: [{ pc: 4, kind: 'map', target: 'counts' }, { pc: 11, kind: 'call', target: 'ret_pass' }],
        lines: [{ pc: 0, lineNum: 1, text: 'u32 key = 0;' }, { pc: 4, lineNum: 2, text: 'v = bpf_map_lookup_elem(&counts, &key);' }, { pc: 11, lineNum: 5, text: 'return ret_pass();' }],
      },
      { name: 'ret_pass', section: '.text', insns: asm('r0 = 2\nexit\n') },
      { name: 'sock_all', section: 'socket', insns: asm('r0 = 0\nexit\n') },
    ],
    maps: [
      { name: 'counts', type: 2, keySize: 4, valueSize: 8, maxEntries: 4 },
      { name: 'seen', type: 1, keySize: 8, valueSize: 8, maxEntries: 128, flags: 1 },
    ],
    license: 'Dual MIT/GPL',
    version: 0x60c00,
  };
}

test('emitObject: the object reads back as the same programs, maps, relocations and line info', () => {
  for (const be of [false, true]) {
    const spec = demoSpec(be);
    const r = emitObject(spec);
    assert.deepEqual(r.diagnostics, []);
    const p = parseObject(r.bytes);
    assert.deepEqual(p.diagnostics, []);
    const o = p.object!;
    assert.equal(o.littleEndian, !be);
    assert.equal(o.license, 'Dual MIT/GPL');
    assert.equal(o.kernelVersion, 0x60c00);
    assert.deepEqual(o.programs.map((x) => [x.name, x.section, x.insns.length, x.progTypeName ?? 'sub']).sort(),
      spec.programs.map((x) => [x.name, x.section, x.insns.length, x.section === 'xdp' ? 'XDP' : x.section === 'socket' ? 'SOCKET_FILTER' : 'sub']).sort());
    assert.deepEqual(o.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags]),
      spec.maps!.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags ?? 0]));
    assert.deepEqual(o.relocations.map((x) => [x.program, x.pc, x.kind, x.map ?? x.target]),
      [['count_pkts', 4, 'map', 'counts'], ['count_pkts', 11, 'subprog_call', 'ret_pass']]);
    const prog = o.programs.find((x) => x.name === 'count_pkts')!;
    assert.deepEqual(prog.lines.map((l) => [l.pc, l.lineNum, l.line, l.fileName]), spec.programs[0].lines!.map((l) => [l.pc, l.lineNum, l.text, 'demo.bpf.s']));
    for (const x of o.programs) assert.equal(o.btf!.name(x.funcTypeId!), x.name);
  }
});

test('emitObject: llvm-objdump and bpftool read the object', (t) => {
  if (!objdump || tool('bpftool', ['version']) === undefined) {
    console.log('SKIP: llvm-objdump or bpftool missing');
    t.skip('llvm-objdump or bpftool missing');
    return;
  }
  const dir = scratchDir();
  const file = join(dir, 'demo.o');
  writeFileSync(file, emitObject(demoSpec()).bytes);
  const rel = tool(objdump, ['-r', file]) ?? '';
  assert.match(rel, /RELOCATION RECORDS FOR \[xdp\]:\n.*\n0000000000000020 R_BPF_64_64 +counts\n0000000000000058 R_BPF_64_32 +\.text/);
  const btf = tool('bpftool', ['btf', 'dump', 'file', file]) ?? '';
  assert.match(btf, /DATASEC '\.maps' size=72 vlen=2/);
  assert.match(btf, /FUNC 'count_pkts' type_id=\d+ linkage=global/);
});

test('emitObject: problems in the spec are diagnostics', () => {
  const spec = demoSpec();
  spec.programs[0].relocs = [{ pc: 4, kind: 'map', target: 'nope' }, { pc: 1, kind: 'map', target: 'counts' }, { pc: 6, kind: 'call', target: 'x' }, { pc: 99, kind: 'map', target: 'counts' }];
  const r = emitObject(spec);
  assert.deepEqual(r.diagnostics.map((d) => d.message.replace(/^count_pkts: relocation at pc \d+: /, '')),
    ['no map named nope', 'a map reference needs an lddw, found stxw', 'a subprogram call needs a local call (src=1), found call', 'no instruction starts there']);
  assert.ok(parseObject(r.bytes).object);
});

/** Loads an object with bpftool into a fresh pin directory; returns the error text or a reason to skip. */
function load(file: string, pinDir: string): { ok: boolean; out: string; skip?: string } {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { ok: false, out: '', skip: 'not root: loading BPF needs CAP_BPF' };
  if (tool('bpftool', ['version']) === undefined) return { ok: false, out: '', skip: 'bpftool is not installed' };
  if (!existsSync('/sys/fs/bpf')) return { ok: false, out: '', skip: '/sys/fs/bpf is not mounted' };
  const r = spawnSync('bpftool', ['prog', 'loadall', file, pinDir], { encoding: 'utf8' });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  if (r.status !== 0 && /Operation not permitted|permission denied|EPERM|Read-only file system/i.test(out)) return { ok: false, out, skip: `loading not permitted here: ${out.trim().split('\n').pop()}` };
  return { ok: r.status === 0, out };
}

test('emitObject: bpftool prog loadall loads the object (kernel verifier)', (t) => {
  const dir = scratchDir();
  const file = join(dir, 'demo.o');
  writeFileSync(file, emitObject(demoSpec()).bytes);
  const pin = `/sys/fs/bpf/bpfstudio_elf_test_${process.pid}`;
  try {
    const r = load(file, pin);
    if (r.skip) { console.log(`SKIP: ${r.skip}`); t.skip(r.skip); return; }
    assert.ok(r.ok, r.out);
    const show = tool('bpftool', ['prog', 'show', 'pinned', `${pin}/count_pkts`]) ?? '';
    assert.match(show, /xdp +name count_pkts .* gpl/);
    assert.match(show, /map_ids \d+/);
    assert.match(tool('bpftool', ['prog', 'show', 'pinned', `${pin}/sock_all`]) ?? '', /socket_filter +name sock_all/);
    const xl = tool('bpftool', ['prog', 'dump', 'xlated', 'pinned', `${pin}/count_pkts`, 'linum']) ?? '';
    assert.match(xl, /; v = bpf_map_lookup_elem\(&counts, &key\); \[file:demo\.bpf\.s line_num:2/);
  } finally {
    rmSync(pin, { recursive: true, force: true });
  }
});

test('emitObject: clang-built programs re-emitted by our writer load too', (t) => {
  const built = buildFixtures();
  if (built.skip) { console.log(`SKIP: ${built.skip}`); t.skip(built.skip); return; }
  const net = parseObject(built.fixtures.find((f) => f.name === 'net')!.bytes).object!;
  const picked = net.programs.filter((p) => ['xdp_pass', 'tc_mark', 'sock_filter', 'cls_legacy'].includes(p.name));
  const used = new Set(picked.flatMap((p) => p.relocations.map((r) => r.map)));
  const maps: EmitMap[] = net.maps.filter((m) => used.has(m.name)).map((m) => ({ name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags }));
  const programs: EmitProgram[] = picked.map((p) => ({
    name: p.name, section: p.section, insns: p.insns,
    relocs: p.relocations.map((r) => ({ pc: r.pc!, kind: 'map' as const, target: r.map! })),
    lines: p.lines.map((l) => ({ pc: l.pc, lineNum: l.lineNum, col: l.col, text: l.line })),
  }));
  const r = emitObject({ programs, maps, fileName: 'net.bpf.c' });
  assert.deepEqual(r.diagnostics, []);
  const back = parseObject(r.bytes).object!;
  assert.deepEqual(back.programs.map((p) => p.insns.length).sort(), picked.map((p) => p.insns.length).sort());
  const dir = scratchDir();
  const file = join(dir, 'net-re.o');
  writeFileSync(file, r.bytes);
  const pin = `/sys/fs/bpf/bpfstudio_elf_test_net_${process.pid}`;
  try {
    const l = load(file, pin);
    if (l.skip) { console.log(`SKIP: ${l.skip}`); t.skip(l.skip); return; }
    assert.ok(l.ok, l.out);
    for (const p of picked) assert.ok(existsSync(`${pin}/${p.name}`), `${p.name} pinned`);
  } finally {
    rmSync(pin, { recursive: true, force: true });
  }
});

function dataSpec(): EmitSpec {
  const ro = new Uint8Array(8);
  ro[4] = 42;
  return {
    programs: [{
      name: 'answer', section: 'socket',
      insns: asm('r1 = 0 ll\nr0 = *(u32 *)(r1 + 0)\nr2 = 0 ll\nr3 = *(u64 *)(r2 + 0)\nr3 += 1\n*(u64 *)(r2 + 0) = r3\nexit\n'),
      relocs: [{ pc: 0, kind: 'data', target: '.rodata', offset: 4 }, { pc: 3, kind: 'data', target: '.bss' }],
    }],
    data: [
      { section: '.rodata', bytes: ro, variables: [{ name: 'pad', offset: 0, size: 4 }, { name: 'answer_value', offset: 4, size: 4 }] },
      { section: '.bss', size: 8, variables: [{ name: 'runs', offset: 0, size: 8 }] },
    ],
  };
}

test('emitObject: global data sections read back as data maps with their variables and relocations', () => {
  const r = emitObject(dataSpec());
  assert.deepEqual(r.diagnostics, []);
  const o = parseObject(r.bytes).object!;
  assert.deepEqual(o.maps.map((m) => [m.name, m.origin, m.valueSize, m.variables?.map((v) => `${v.name}@${v.offset}:${v.size}`).join(' ')]),
    [['.rodata', 'data', 8, 'pad@0:4 answer_value@4:4'], ['.bss', 'data', 8, 'runs@0:8']]);
  assert.deepEqual(o.relocations.map((x) => [x.pc, x.kind, x.map, x.dataOffset]), [[0, 'data', '.rodata', 4], [3, 'data', '.bss', 0]]);
  const bad = dataSpec();
  bad.programs[0].relocs = [{ pc: 0, kind: 'data', target: '.rodata', offset: 8 }, { pc: 3, kind: 'data', target: '.nope' }];
  bad.data!.push({ section: '.mydata', size: 4 });
  assert.deepEqual(emitObject(bad).diagnostics.map((d) => d.message), [
    'data section .mydata: libbpf only maps .data, .rodata and .bss (and their .NAME variants)',
    'answer: relocation at pc 0: offset 8 is outside .rodata (8 bytes)',
    'answer: relocation at pc 3: no data section named .nope',
  ]);
});

test('emitObject: a program reading .rodata through a data relocation runs in the kernel (bpftool prog run)', (t) => {
  const file = join(scratchDir(), 'data.o');
  writeFileSync(file, emitObject(dataSpec()).bytes);
  const pin = `/sys/fs/bpf/bpfstudio_elf_test_data_${process.pid}`;
  try {
    const r = load(file, pin);
    if (r.skip) { console.log(`SKIP: ${r.skip}`); t.skip(r.skip); return; }
    assert.ok(r.ok, r.out);
    const pkt = join(scratchDir(), 'pkt');
    writeFileSync(pkt, new Uint8Array(64));
    const run = spawnSync('bpftool', ['prog', 'run', 'pinned', `${pin}/answer`, 'data_in', pkt, 'repeat', '2'], { encoding: 'utf8' });
    const out = (run.stdout ?? '') + (run.stderr ?? '');
    if (run.status !== 0) { const why = `bpftool prog run failed here: ${out.trim().split('\n').pop()}`; console.log(`SKIP: ${why}`); t.skip(why); return; }
    assert.match(out, /Return value: 42\b/);
  } finally {
    rmSync(pin, { recursive: true, force: true });
  }
});

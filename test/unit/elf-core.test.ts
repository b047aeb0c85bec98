import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { parseObject, resolveCore, describeCore, essentialName, suggestName, type BpfObject } from '../../server/src/elf';
import { parseBtf, Btf } from '../../server/src/btf';
import { BtfBuilder } from '../../server/src/btf/write';
import { buildFixtures, tool } from '../fixtures/elf/build';

const built = buildFixtures();
const RUNNING = '/sys/kernel/btf/vmlinux';
const SHIPPED = '../shared/kernel/6.18/vmlinux.btf';

function skip(t: { skip: (m: string) => void }, why: string): void {
  console.log(`SKIP: ${why}`);
  t.skip(why);
}

function loadBtf(path: string): Btf {
  const r = parseBtf(new Uint8Array(readFileSync(path)));
  assert.ok(r.btf);
  return new Btf(r.btf);
}

function obj(name: string): BpfObject {
  const f = built.fixtures.find((x) => x.name === name)!;
  const r = parseObject(f.bytes);
  assert.ok(r.object);
  return r.object;
}

test('core: every CO-RE relocation resolves as libbpf resolves it against the running kernel (bpftool -d log)', (t) => {
  if (built.skip) return skip(t, built.skip);
  if (!existsSync(RUNNING)) return skip(t, `${RUNNING} not found: no running-kernel BTF to compare with libbpf`);
  if (tool('bpftool', ['version']) === undefined) return skip(t, 'bpftool is not installed');
  const target = loadBtf(RUNNING);
  let compared = 0;
  for (const f of built.fixtures) {
    const o = obj(f.name);
    const ours = resolveCore(o, target);
    if (ours.length === 0) continue;
    const pin = `/sys/fs/bpf/bpfstudio_core_${process.pid}_${f.name}`;
    const r = spawnSync('bpftool', ['-d', 'prog', 'loadall', f.object, pin], { encoding: 'utf8' });
    rmSync(pin, { recursive: true, force: true });
    const log = (r.stdout ?? '') + (r.stderr ?? '');
    if (/legacy map definitions/.test(log)) continue; // libbpf 1.x refuses the object before CO-RE (uprobe.bpf.c keeps a legacy map on purpose)
    if (!/CO-RE relocating|relo #\d+: (patched|substituting)/.test(log)) return skip(t, `libbpf did not get to CO-RE relocation here: ${log.trim().split('\n').pop()}`);
    const theirs = new Map<string, string>();
    for (const m of log.matchAll(/prog '(\w+)': relo #\d+: patched insn #(\d+) \([^)]*\) (?:imm64|imm|off) (-?\d+) -> (-?\d+)/g)) theirs.set(`${m[1]}:${m[2]}`, `${m[3]} -> ${m[4]}`);
    for (const m of log.matchAll(/prog '(\w+)': relo #\d+: substituting insn #(\d+) w\/ invalid insn/g)) theirs.set(`${m[1]}:${m[2]}`, 'poison');
    const mine = new Map(ours.map((x) => [`${x.program}:${x.pc}`, x.status === 'failed' ? 'poison' : `${x.insnValue} -> ${x.targetValue}`]));
    assert.deepEqual(mine, theirs, f.name);
    compared += mine.size;
  }
  assert.ok(compared >= 25, `${compared} relocations compared with libbpf`);
});

test('core: a field the target kernel lacks becomes a C-level message on the source line', (t) => {
  if (built.skip) return skip(t, built.skip);
  if (!existsSync(SHIPPED)) return skip(t, `${SHIPPED} not found`);
  const rs = resolveCore(obj('core'), loadBtf(SHIPPED), { targetName: '6.18' });
  const failed = rs.filter((x) => x.status === 'failed');
  assert.equal(failed.length, 1);
  assert.equal(failed[0].message, "t->state: struct task_struct has no field 'state' in the target kernel's BTF (6.18); did you mean '__state'?");
  assert.equal(failed[0].program, 'core_broken');
  const src = readFileSync(built.fixtures.find((f) => f.name === 'core')!.source, 'utf8').split('\n');
  assert.ok(failed[0].line && src[failed[0].line.lineNum - 1].trim() === failed[0].line.line.trim());
  // exists-style relocations of missing things are absent (0), not failures
  const absent = rs.filter((x) => x.status === 'absent').map((x) => x.local).sort();
  assert.deepEqual(absent, ['enum gone_enum::GONE_VALUE', 'struct task_struct___old.state']);
  const text = describeCore(rs);
  assert.match(text, /core_fields\+\d+ +field_byte_offset +struct task_struct\.pid +16 -> \d+ +=/);
  assert.match(text, /FAILED: t->state/);
});

/** Local and target BTFs built by hand: `struct s { int a; int b; }` locally. */
function pair(targetMembers: [string, number][][], localField = 'b'): { local: Btf; target: Btf; obj: BpfObject } {
  const lb = new BtfBuilder();
  const int = lb.addInt('int', 4, { signed: true });
  const s = lb.addStruct('s', 8, [{ name: 'a', type: int, bitOffset: 0 }, { name: localField, type: int, bitOffset: 32 }]);
  const local = new Btf(parseBtf(lb.encode()).btf!);
  const tb = new BtfBuilder();
  const tint = tb.addInt('int', 4, { signed: true });
  targetMembers.forEach((ms, k) => tb.addStruct(k === 0 ? 's' : `s___v${k}`, 4 * ms.length, ms.map(([name, off]) => ({ name, type: tint, bitOffset: off }))));
  const target = new Btf(parseBtf(tb.encode()).btf!);
  const prog = {
    name: 'p', section: 'kprobe/x', sectionIndex: 1, offset: 0, size: 16, subprog: false, global: true, attachTarget: 'x', sleepable: false,
    insns: [],
    lines: [{ pc: 0, fileName: 'x.c', line: 'return p->b;', lineNum: 3, col: 1 }],
    coreRelos: [{ pc: 0, typeId: s, access: '0:1', kind: 0, kindName: 'field_byte_offset' }],
    relocations: [],
  };
  const obj = { btf: local, programs: [prog] } as unknown as BpfObject;
  return { local, target, obj };
}

test('core: candidates by essential name; agreeing flavors resolve, disagreeing ones are ambiguous', () => {
  const one = pair([[['x', 0], ['a', 32], ['b', 64]]]);
  const r1 = resolveCore(one.obj, one.target)[0];
  assert.equal(r1.status, 'ok');
  assert.equal(r1.targetValue, 8);
  const agree = pair([[['b', 32]], [['a', 0], ['b', 32]]]);
  const r2 = resolveCore(agree.obj, agree.target)[0];
  assert.equal(r2.candidates, 2);
  assert.equal(r2.targetValue, 4);
  const clash = pair([[['b', 32]], [['b', 0]]]);
  const r3 = resolveCore(clash.obj, clash.target)[0];
  assert.equal(r3.status, 'failed');
  assert.match(r3.message!, /ambiguous/);
  const missing = pair([[['a', 0], ['bb', 32]]]);
  const r4 = resolveCore(missing.obj, missing.target, { targetName: 'test' })[0];
  assert.equal(r4.message, "p->b: struct s has no field 'b' in the target kernel's BTF (test); did you mean 'bb'?");
});

test('core: essential names and suggestions', () => {
  assert.equal(essentialName('task_struct___old'), 'task_struct');
  assert.equal(essentialName('a___b___c'), 'a___b');
  assert.equal(essentialName('plain'), 'plain');
  assert.equal(essentialName('x____y'), 'x____y');
  assert.equal(suggestName('state', ['__state', 'stack', 'flags']), '__state');
  assert.equal(suggestName('flgas', ['flags', 'pid']), 'flags');
  assert.equal(suggestName('zzz', ['flags', 'pid']), undefined);
});

test('core: cyclic target BTF (a struct containing itself anonymously, a pointer to itself) resolves quickly, no throw', () => {
  const { obj } = pair([[['a', 0]]]);
  const tb = new BtfBuilder();
  const int = tb.addInt('int', 4, { signed: true });
  // [2] struct s { <anon> struct s; <anon> struct s; ... int a; } -- 40 anonymous self-members
  const members = Array.from({ length: 40 }, () => ({ name: '', type: 2, bitOffset: 0 }));
  tb.addStruct('s', 4, [...members, { name: 'a', type: int, bitOffset: 0 }]);
  tb.addPtr(3); // [3] a pointer to itself
  const target = new Btf(parseBtf(tb.encode()).btf!);
  const t0 = performance.now();
  const r = resolveCore(obj, target)[0];
  assert.ok(performance.now() - t0 < 500, 'bounded time');
  assert.equal(r.status, 'failed');
  assert.match(r.message!, /has no field 'b'/);
  assert.match(describeCore([r]), /FAILED/);
});

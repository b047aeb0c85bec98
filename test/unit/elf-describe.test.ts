import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseObject, describeObject, disasmObject, type BpfObject } from '../../server/src/elf';
import { buildFixtures, objdumpCmd, tool, type BuiltFixture } from '../fixtures/elf/build';

const built = buildFixtures();
const objdump = objdumpCmd();

function skipIf(t: { skip: (m: string) => void }, why: string | undefined): boolean {
  if (why === undefined) return false;
  console.log(`SKIP: ${why}`);
  t.skip(why);
  return true;
}

function obj(f: BuiltFixture): BpfObject {
  const r = parseObject(f.bytes);
  assert.ok(r.object);
  return r.object;
}

test('describeObject names every program, map, relocation and CO-RE record', (t) => {
  if (skipIf(t, built.skip)) return;
  for (const f of built.fixtures) {
    const o = obj(f);
    const text = describeObject(o);
    for (const p of o.programs) assert.match(text, new RegExp(`^  ${p.name} +${p.section.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} .* ${p.insns.length} insns`, 'm'), p.name);
    for (const m of o.maps) assert.match(text, new RegExp(`^  ${m.name.replace(/\./g, '\\.')} +${m.typeName} `, 'm'), m.name);
    assert.match(text, new RegExp(`^Relocations \\(${o.relocations.length}\\):`, 'm'));
    const core = o.programs.reduce((n, p) => n + p.coreRelos.length, 0);
    if (core > 0) assert.match(text, new RegExp(`^CO-RE relocations \\(${core}\\):`, 'm'));
  }
  const kp = describeObject(obj(built.fixtures.find((f) => f.name === 'kprobe')!));
  assert.match(kp, /field_byte_offset +struct task_struct\.real_parent/);
  assert.match(kp, /enumval_value +enum pid_type::PIDTYPE_PGID/);
});

test('disasmObject: instructions read as llvm-objdump -d reads them, source lines from line_info', (t) => {
  if (skipIf(t, built.skip) || skipIf(t, objdump ? undefined : 'llvm-objdump is not installed')) return;
  let compared = 0;
  for (const f of built.fixtures) {
    const o = obj(f);
    const src = readFileSync(f.source, 'utf8').split('\n');
    const theirs = new Map<string, string>();
    let cur = '';
    const names = new Set(o.programs.map((p) => p.name));
    for (const l of (tool(objdump!, ['-d', '--no-show-raw-insn', f.object]) ?? '').split('\n')) {
      const h = /^[0-9a-f]{16} <(.*)>:$/.exec(l);
      if (h && names.has(h[1])) { cur = h[1]; continue; }
      const m = /^\s+(\d+):\t(.*)$/.exec(l);
      if (m && cur) theirs.set(`${cur}:${m[1]}`, m[2].replace(/ <[^\s<>]+>$/, '').trim());
    }
    const text = disasmObject(o);
    let prog = '';
    for (const l of text.split('\n')) {
      const h = /^(\S+): {2}; /.exec(l);
      if (h) { prog = h[1]; continue; }
      const s = /^; (.*) {2}\[(.*):(\d+)\]$/.exec(l);
      if (s) {
        assert.equal(s[2], `${f.name}.bpf.c`);
        assert.equal(s[1], src[Number(s[3]) - 1].trim());
        continue;
      }
      const m = /^\s+(\d+):\t(.*)$/.exec(l);
      if (!m) continue;
      // llvm-objdump counts pcs from the start of the section
      const base = o.programs.find((p) => p.name === prog)!.offset / 8;
      const want = theirs.get(`${prog}:${base + Number(m[1])}`);
      assert.ok(want !== undefined, `${prog}:${m[1]} exists in llvm-objdump's output`);
      if (/^call /.test(want)) continue; // local calls print as `call pc+N` here (documented in asm/format.ts)
      assert.equal(m[2], want, `${f.name} ${prog}:${m[1]}`);
      compared++;
    }
  }
  assert.ok(compared > 200, `${compared} instructions compared`);
});

test('disasmObject: one program by name, without source', (t) => {
  if (skipIf(t, built.skip)) return;
  const o = obj(built.fixtures.find((f) => f.name === 'tracepoint')!);
  const text = disasmObject(o, { program: 'tp_openat', source: false });
  assert.doesNotMatch(text, /^; /m);
  assert.match(text, /^tp_openat: /m);
  assert.doesNotMatch(text, /^tp_exec: /m);
  assert.match(text, /R_BPF_64_32\tcall bump/);
  assert.match(text, /R_BPF_64_64\tdata \.rodata\+0 \(target_pid\)/);
  assert.equal(text.split('\n').filter((l) => /^\s+\d+:\t/.test(l)).length, o.programs.find((p) => p.name === 'tp_openat')!.insns.length);
});

// elf/emit.ts function-address relocations ('func'): a callback in .text loaded
// by `lddw` is written as clang writes it (src=0, imm = byte offset in .text,
// R_BPF_64_64 against the .text section symbol), reads back as a func_ptr
// relocation with the callback's func_info, and loads into the running kernel
// (bpf_loop and bpf_for_each_map_elem callbacks need BTF func_info there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../../server/src/asm';
import { emitObject, parseObject, type EmitSpec } from '../../server/src/elf';
import { loadWithKernelAsync } from '../../server/src/host/bpftool';
import { kernelUnavailable } from '../../server/src/host/kernel-access';

function asm(text: string): ReturnType<typeof assemble>['insns'] {
  const r = assemble(text);
  assert.deepEqual(r.diagnostics, []);
  return r.insns;
}

/** bpf_loop(4, cb_add, &counter, 0) then bpf_for_each_map_elem(&m, cb_stop, &counter, 0); two callbacks in .text. */
function spec(): EmitSpec {
  return {
    fileName: 'callbacks.s',
    programs: [
      {
        name: 'cb_add', section: '.text', params: ['index', 'ctx'],
        insns: asm('r1 = *(u64 *)(r2 + 0)\nr1 += 1\n*(u64 *)(r2 + 0) = r1\nr0 = 0\nexit\n'),
      },
      {
        name: 'cb_stop', section: '.text', params: ['map', 'key', 'value', 'ctx'],
        insns: asm('r0 = 1\nexit\n'),
      },
      {
        name: 'prog', section: 'tracepoint/syscalls/sys_enter_getpid',
        insns: asm([
          'r1 = 0', '*(u64 *)(r10 - 8) = r1',
          'r1 = 4', 'r2 = 0 ll', 'r3 = r10', 'r3 += -8', 'r4 = 0', 'call 181',
          'r1 = 0 ll', 'r2 = 0 ll', 'r3 = r10', 'r3 += -8', 'r4 = 0', 'call 164',
          'r0 = 0', 'exit', '',
        ].join('\n')),
        relocs: [{ pc: 3, kind: 'func', target: 'cb_add' }, { pc: 9, kind: 'map', target: 'm' }, { pc: 11, kind: 'func', target: 'cb_stop' }],
      },
    ],
    maps: [{ name: 'm', type: 1, keySize: 8, valueSize: 8, maxEntries: 4 }],
  };
}

test('emitObject: function addresses read back as func_ptr relocations to static .text callbacks with func_info', () => {
  const r = emitObject(spec());
  assert.deepEqual(r.diagnostics, []);
  const p = parseObject(r.bytes);
  assert.deepEqual(p.diagnostics, []);
  const o = p.object!;
  const fp = o.relocations.filter((x) => x.kind === 'func_ptr');
  assert.deepEqual(fp.map((x) => [x.program, x.pc, x.target, x.targetOffset]), [['prog', 3, 'cb_add', 0], ['prog', 11, 'cb_stop', 40]]);
  // As clang leaves the instruction: src=0 and the byte offset in .text as imm (libbpf sets src=4).
  const prog = o.programs.find((x) => x.name === 'prog')!;
  const ld = prog.insns.find((x) => x.pc === 11)!;
  assert.equal(ld.src, 0);
  assert.equal(ld.imm, 40);
  for (const name of ['cb_add', 'cb_stop']) {
    const sub = o.programs.find((x) => x.name === name)!;
    assert.ok(sub.subprog);
    assert.equal(o.btf!.name(sub.funcTypeId!), name);
  }
  const fi = o.btfExt?.funcInfo.find((x) => x.section === '.text');
  assert.equal(fi?.records.length, 2);
});

test('emitObject: bad function-address relocations are diagnostics', () => {
  const s = spec();
  s.programs[2].relocs = [{ pc: 3, kind: 'func', target: 'nope' }, { pc: 2, kind: 'func', target: 'cb_add' }];
  const msgs = emitObject(s).diagnostics.map((d) => d.message);
  assert.ok(msgs.some((m) => /no subprogram named nope in \.text/.test(m)), msgs.join('; '));
  assert.ok(msgs.some((m) => /a function address needs an lddw/.test(m)), msgs.join('; '));
});

test('emitObject: the callbacks object loads into the kernel', async (t) => {
  const why = kernelUnavailable()?.reason;
  if (why) {
    console.log(`SKIP: kernel loading: ${why}`);
    t.skip(why);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bpfstudio-elfcb-'));
  try {
    const file = join(dir, 'callbacks.o');
    writeFileSync(file, emitObject(spec()).bytes);
    const k = await loadWithKernelAsync(file, { timeoutMs: 60_000 });
    assert.equal(k.verdict, 'accept', k.message ?? 'rejected');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Linked scalars with a constant delta (the 6.18 kernel's BPF_ADD_CONST; reg.ts, alu.ts, jumps.ts,
// prune.ts): the level-2 log prints `id=N+K` / `id=N-K` where the kernel does, a copy of a linked
// register starts a new link, at most six live registers are synced (the rest lose their id), and
// every link line of the kernel's recorded level-2 logs of the corpus group scalar/linked.c appears
// in ours. The expected lines below were printed by the running 6.18 kernel (bpftool -d prog load).
// The corpus part needs clang (SKIP otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../../server/src/asm';
import { fromObject, verify, type VerifyResult } from '../../server/src/verifier';
import { compileGroupObjects, loadGroups, readExpected } from '../fixtures/verifier/corpus';

function run(lines: string[]): VerifyResult {
  const a = assemble(lines.join('\n'));
  assert.deepEqual(a.diagnostics.map((d) => d.message), [], 'assembles');
  return verify({ insns: a.insns, progType: 'socket_filter', maps: [], logLevel: 2 });
}

/** The log line of instruction pc (`pc: (op) ...`). */
function insnLine(r: VerifyResult, pc: number): string {
  return r.log.split('\n').find((l) => l.startsWith(`${pc}: (`)) ?? '';
}

test('linked scalars: deltas print as the kernel does, a copy or a second delta drops the link', () => {
  const r = run([
    'call bpf_get_prandom_u32', 'r6 = r0', 'r6 += 5', 'r7 = r6', 'r1 = 0', 'r1 += 0', 'r2 = r0', 'r2 += 0',
    'w3 = w0', 'w3 -= 7', 'r4 = r7', 'r4 += 2147483647', 'r5 = r7', 'r5 -= -2147483648', 'r8 = r0', 'r8 += -4', 'exit',
  ]);
  assert.equal(r.verdict, 'accept');
  const kernel: Record<number, string> = {
    2: 'R6=scalar(id=1+5)',
    3: 'R6=scalar(id=2) R7=scalar(id=2)',
    5: 'R1=0',
    7: 'R2=scalar(id=1+0)',
    8: 'R0=scalar(id=1) R3=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))',
    9: 'R3=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))',
    11: 'R4=scalar(id=2+2147483647)',
    13: 'R5=scalar()',
    15: 'R8=scalar(id=1-4)',
  };
  for (const [pc, state] of Object.entries(kernel)) assert.ok(insnLine(r, Number(pc)).endsWith(`; ${state}`), `${pc}: ${insnLine(r, Number(pc))}`);
});

test('linked scalars: a comparison syncs at most six live copies, the others lose their id', () => {
  const copies = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `r${i} = r0`);
  const r = run(['call bpf_get_prandom_u32', ...copies, 'if r0 > 5 goto +8', ...copies.map((_, i) => `r9 = r${i + 1}`),
    ...copies.map((_, i) => `r0 = r${i + 1}`), 'exit']);
  assert.equal(r.verdict, 'accept');
  const bounded = 'scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=5,var_off=(0x0; 0x7))';
  assert.ok(insnLine(r, 14).endsWith(`; R5=${bounded} R9=${bounded}`), insnLine(r, 14));
  assert.ok(insnLine(r, 15).endsWith('; R6=scalar(id=2) R9=scalar(id=2)'), insnLine(r, 15));
  assert.ok(insnLine(r, 17).endsWith('; R8=scalar(id=4) R9=scalar(id=4)'), insnLine(r, 17));
});

test('linked scalars: a fill copies the spill\'s id (a narrowing fill only when the value fits) and gives none', () => {
  const narrow = run([
    'call bpf_get_prandom_u32', 'w0 = w0', '*(u64 *)(r10 - 8) = r0', 'r6 = *(u32 *)(r10 - 8)', 'r1 = r0', 'r1 &= 0xff',
    '*(u64 *)(r10 - 16) = r1', 'r7 = *(u8 *)(r10 - 16)', 'r8 = *(u32 *)(r10 - 16)', 'call bpf_get_prandom_u32',
    '*(u64 *)(r10 - 24) = r0', 'r9 = *(u32 *)(r10 - 24)', 'exit',
  ]);
  const u32 = 'smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)';
  const u8 = 'smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff)';
  const kernel: Record<number, string> = {
    3: `R6=scalar(id=1,${u32}) R10=fp0 fp-8=scalar(id=1,${u32})`,
    7: `R7=scalar(id=2,${u8}) R10=fp0 fp-16=scalar(id=2,${u8})`,
    8: `R8=scalar(id=2,${u8}) R10=fp0 fp-16=scalar(id=2,${u8})`,
    11: `R9=scalar(${u32}) R10=fp0 fp-24=scalar(id=3)`,
  };
  for (const [pc, state] of Object.entries(kernel)) assert.ok(insnLine(narrow, Number(pc)).endsWith(`; ${state}`), `${pc}: ${insnLine(narrow, Number(pc))}`);
  // The seventh copy (the spill) loses its id at the comparison; filling it gives none.
  const full = run(['call bpf_get_prandom_u32', 'r1 = r0', 'r2 = r0', 'r3 = r0', 'r4 = r0', 'r5 = r0', '*(u64 *)(r10 - 8) = r0',
    'if r0 > 5 goto +0', 'r6 = *(u64 *)(r10 - 8)', 'r7 = r6', 'r0 = r1', 'r0 = r2', 'r0 = r3', 'r0 = r4', 'r0 = r5', 'exit']);
  assert.ok(insnLine(full, 8).endsWith('; R6=scalar() R10=fp0 fp-8=scalar()'), insnLine(full, 8));
  assert.ok(insnLine(full, 9).endsWith('; R6=scalar(id=2) R7=scalar(id=2)'), insnLine(full, 9));
});

test('linked scalars: the kernel\'s level-2 link lines of scalar/linked.c appear in our logs', async (t) => {
  if (spawnSync('clang', ['--version']).error) { console.log('SKIP: clang not found'); t.skip('clang not found'); return; }
  const [group] = loadGroups('scalar/linked.c');
  const exp = readExpected(group.file);
  assert.ok(exp, 'recorded answers');
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-linked-'));
  try {
    const [obj] = await compileGroupObjects([group], tmp);
    assert.ok(obj, 'compiles');
    const missing: string[] = [];
    let compared = 0;
    for (const p of group.programs) {
      const prog = obj.programs.find((x) => x.name === p.name && !x.subprog);
      assert.ok(prog, p.name);
      for (const priv of p.privileges) {
        const rec = exp.programs[p.name]?.[priv];
        if (!rec) continue;
        // Instruction lines with their state comment and branch states; not the state line the kernel
        // repeats after precision backtracking (not modelled).
        const lines = rec.log_level2_tail.filter((l) => /id=\d+[+-]\d+/.test(l) && (/^\d+: \(\w\w\) .*; /.test(l) || /^from \d+ to \d+: /.test(l)));
        const ours = new Set(verify(fromObject(obj, prog, { privileged: priv, logLevel: 2, collectStates: false })).log.split('\n'));
        for (const l of lines) { compared++; if (!ours.has(l)) missing.push(`${p.name} [${priv}]: ${l}`); }
      }
    }
    console.log(`linked scalars: ${compared} kernel link lines compared`);
    assert.ok(compared >= 20, `enough lines to compare (${compared})`);
    assert.deepEqual(missing, []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

/**
 * Whole level-2 verifier logs against the 6.18 kernel's recorded logs (test/fixtures/verifier/logs,
 * scripts/record-verifier-logs.ts) for callback helpers (bpf_for_each_map_elem, bpf_loop,
 * bpf_find_vma, bpf_user_ringbuf_drain, bpf_timer) and bpf-to-bpf calls: every line must be the
 * kernel's — the `func#N @pc` and `Live regs before insn:` preamble, instruction and state lines,
 * `from X to Y:` dumps, caller/callee and
 * `returning from callee:` / `to caller at N:` blocks, `N: safe` — except the line classes the
 * embedded verifier does not model (log-compare.ts). Also the note btf_prepare_func_args logs for a
 * main program's `void *ctx` (as the kernel logs it for c/kfunc-checks.c). SKIP without clang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseObject } from '../../server/src/elf';
import { fromObject, verify } from '../../server/src/verifier';
import { compile, loadGroups, unitSource } from '../fixtures/verifier/corpus';
import { LOG_PROGRAMS, alignState, comparableLog, firstDifference, logPath } from '../fixtures/verifier/logs/log-compare';
import { sharedKernelBtf } from '../shared';

const hasClang = !spawnSync('clang', ['--version']).error;

test('verifier log: level-2 logs of callback programs and bpf-to-bpf calls equal the kernel\'s, line for line', async (t) => {
  if (!hasClang) { console.log('SKIP: clang not found'); t.skip('clang not found'); return; }
  const btf = sharedKernelBtf();
  if (!btf) { console.log('SKIP: no vmlinux BTF (../shared/kernel/6.18)'); t.skip('no vmlinux BTF'); return; }
  const groups = loadGroups();
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-vlog-'));
  try {
    const failures: string[] = [];
    let lines = 0;
    for (const lp of LOG_PROGRAMS) {
      const kernelLog = readFileSync(logPath(lp), 'utf8');
      const g = groups.find((x) => x.file === lp.file);
      const prog = g?.programs.find((x) => x.name === lp.name);
      assert.ok(g && prog, `${lp.file} ${lp.name} is in the corpus`);
      const o = join(tmp, `${lp.name}.o`);
      const c = await compile(join(tmp, `${lp.name}.c`), o, unitSource(g, prog));
      assert.ok(c.ok, `${lp.name} compiles: ${c.stderr}`);
      const obj = parseObject(new Uint8Array(readFileSync(o))).object;
      const p = obj?.programs.find((x) => x.name === lp.name && !x.subprog);
      assert.ok(obj && p, `${lp.name}: object parses`);
      // The processor count bounds bpf_get_smp_processor_id(); none of these programs call it.
      const input = fromObject(obj, p, { privileged: 'root', logLevel: 2, btf, collectStates: false });
      if (lp.noBtf) input.lineInfo = [];
      const r = verify(input);
      const kernel = comparableLog(kernelLog);
      const ours = comparableLog(r.log);
      lines += kernel.length;
      const d = firstDifference(kernel, ours);
      if (d) failures.push(`${lp.file} ${lp.name}: ${d}`);
    }
    console.log(`  level-2 logs: ${LOG_PROGRAMS.length - failures.length}/${LOG_PROGRAMS.length} equal to the kernel's (${lines} comparable kernel lines)`);
    assert.deepEqual(failures, []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('verifier log comparison: dropped line classes (not the preamble), masked addresses, and a state comment put back on its instruction', () => {
  const kernel = [
    'func#0 @0', 'Live regs before insn:', '      0: .......... (b7) r1 = 0', '  1  11: .1........ (95) exit',
    '0: R1=ctx() R10=fp0', '1: (63) *(u32 *)(r10 -4) = r1',
    'mark_precise: frame0: last_idx 1 first_idx 0 subseq_idx -1 ', '(0) frame 0 insn 1 +written -8', 'frame 0: propagating r1',
    '2: R1=0 R10=fp0 fp-8=0000????', '4: (18) r1 = 0xffff888101234567       ; R1=map_ptr(map=arr,ks=4,vs=8)',
    'verification time 12 usec', 'stack depth 8', 'processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0', '',
  ].join('\n');
  assert.deepEqual(comparableLog(kernel), [
    'func#0 @0', 'Live regs before insn:', '      0: .......... (b7) r1 = 0', '  1  11: .1........ (95) exit',
    '0: R1=ctx() R10=fp0',
    '1: (63) *(u32 *)(r10 -4) = r1         ; R1=0 R10=fp0 fp-8=0000????',
    '4: (18) r1 = 0xffffXXXXXXXXXXXX       ; R1=map_ptr(map=arr,ks=4,vs=8)',
  ]);
  // Without a dropped line in between, a state line stays on its own (after `from X to Y:` or a call's dumps).
  assert.deepEqual(comparableLog('1: (85) call pc+1\n3: frame1: R1=1 R10=fp0'), ['1: (85) call pc+1', '3: frame1: R1=1 R10=fp0']);
  // Nothing printable scratched: the kernel's comment is an empty `;`.
  assert.deepEqual(comparableLog('3: (85) call bpf_tail_call#12\nmark_precise: frame0: regs=r3\n4:'), [alignState('3: (85) call bpf_tail_call#12', '')]);
  assert.match(alignState('3: (85) call bpf_tail_call#12', ''), /#12 {9};$/);
  // `N: safe` (pruned) is not a state comment, dropped lines before it or not.
  assert.deepEqual(comparableLog('63: (85) call bpf_get_current_comm#16\nmark_precise: frame0: regs=r0\n64: safe'), ['63: (85) call bpf_get_current_comm#16', '64: safe']);
  assert.equal(alignState('10: (85) call bpf_for_each_map_elem#164', ' R0=scalar()'), '10: (85) call bpf_for_each_map_elem#164       ; R0=scalar()');
  assert.match(firstDifference(['a', 'b'], ['a', 'c']) ?? '', /^line 2:\n {2}kernel: b\n {2}ours: {3}c$/);
  assert.equal(firstDifference(['a'], ['a']), undefined);
});

/**
 * Compiles a small C program (with c/cbpf.h) in a temp directory and gives its verifier input for
 * program `name`; undefined (with a SKIP line) without clang.
 */
async function inputFor(t: { skip(msg: string): void }, source: string, name: string, opts: Parameters<typeof fromObject>[2] = {}): Promise<ReturnType<typeof fromObject> | undefined> {
  if (!hasClang) { console.log('SKIP: clang not found'); t.skip('clang not found'); return undefined; }
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-vlog-'));
  try {
    const o = join(tmp, 'u.o');
    const c = await compile(join(tmp, 'u.c'), o, `#include "c/cbpf.h"\n${source}`);
    assert.ok(c.ok, c.stderr);
    const obj = parseObject(new Uint8Array(readFileSync(o))).object;
    const p = obj?.programs.find((x) => x.name === name && !x.subprog);
    assert.ok(obj && p, `${name} compiled`);
    return fromObject(obj, p, opts);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

test('verifier log: a main program whose prototype has a pointer it cannot size gets btf_prepare_func_args\' note before its first state', async (t) => {
  const note = "arg#0 reference type('UNKNOWN ') size cannot be determined: -22";
  for (const level of [1, 2] as const) {
    // At level 1 the kernel keeps the log of a rejected program only (a verified one is emptied): read past the context.
    const src = level === 1 ? 'SEC("xdp") int f(void *ctx) { return *(volatile int *)((char *)ctx + 64); }\n' : 'SEC("xdp") int f(void *ctx) { return 2; }\n';
    const input = await inputFor(t, src, 'f', { logLevel: level });
    if (!input) return;
    const lines = verify(input).log.split('\n');
    const at = lines.indexOf(note);
    assert.ok(at >= 0, `level ${level}: the note is logged`);
    assert.equal(lines[at + 1], '0: R1=ctx() R10=fp0', `level ${level}: right before the first state (after the level-2 listing)`);
    if (level === 2) assert.ok(lines.indexOf('Live regs before insn:') < at && lines[0] === 'func#0 @0');
  }
  const typed = await inputFor(t, 'SEC("xdp") int f(struct xdp_md *ctx) { return 2; }\n', 'f', { logLevel: 2 });
  assert.ok(typed && !verify(typed).log.split('\n').includes(note), 'the context struct is typed: no note');
});

test('object layout: subprograms are appended depth first as libbpf relocates calls (so pcs and func#N match the kernel\'s)', async (t) => {
  // m calls a then c; a calls b (.text holds a, c, b): libbpf appends a, then b (a's callee, at once), then c.
  const input = await inputFor(t, `static __attribute__((noinline)) int b(int x) { return x * 22; }
static __attribute__((noinline)) int a(int x) { return b(x) * 11; }
static __attribute__((noinline)) int c(int x) { return x * 33; }
SEC("socket") int m(struct __sk_buff *skb) { return a(skb->len) + c(skb->protocol); }
`, 'm');
  if (!input) return;
  const bytes = input.bytes ?? new Uint8Array(0);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  /** The pc of the first instruction with this immediate (each subprogram multiplies by its own constant). */
  const pcOf = (imm: number): number => {
    for (let i = 0; i < bytes.length / 8; i++) if (dv.getInt32(i * 8 + 4, true) === imm && dv.getUint8(i * 8) !== 0x85) return i;
    return -1;
  };
  const [pa, pb, pc] = [pcOf(11), pcOf(22), pcOf(33)];
  assert.ok(pa > 0 && pb > 0 && pc > 0, `found the subprograms: ${pa} ${pb} ${pc}`);
  assert.ok(pa < pb && pb < pc, `depth first: a ${pa} < b ${pb} < c ${pc}`);
  assert.equal(input.funcStarts?.length, 3);
});

test('verifier log: a static call whose registers do not match the BTF prototype logs the mismatch once (btf_check_subprog_call) and goes on', async (t) => {
  // clang propagates the constant argument into f (unrolled), so R1 at the call is still the context.
  const input = await inputFor(t, `static __attribute__((noinline)) int f(int n) { int s = 0; for (int i = 0; i < n; i++) s += i * (int)bpf_get_prandom_u32(); return s; }
SEC("socket") int m(struct __sk_buff *skb) { return f(20) & 1; }
`, 'm', { logLevel: 2 });
  if (!input) return;
  const r = verify(input);
  assert.equal(r.verdict, 'accept', r.errors[0]?.message);
  const lines = r.log.split('\n');
  const at = lines.indexOf('R1 is not a scalar');
  assert.ok(at > 0, 'the mismatch is logged');
  assert.match(lines[at - 1], /^\d+: \(85\) call pc\+\d+$/, 'at the call');
  assert.equal(lines[at + 1], 'caller:', 'before the frame dumps');
  assert.equal(lines.filter((l) => l === 'R1 is not a scalar').length, 1);
});

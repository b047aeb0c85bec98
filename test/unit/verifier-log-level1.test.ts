// Our level-1 verifier log against the kernel's over the whole verifier corpus (test/fixtures/verifier).
// At level 1 the 6.18 kernel keeps only the path being explored (pop_stack goes back to where the
// branch was pushed) and empties the log of a verified program, so what remains is the failing
// path of a rejected program, or the statistics line of an accepted one. Rejected programs (and raw
// accepted ones) are compared with the recorded `log_level1_tail` (last 20 lines; kernel addresses
// masked); for accepted programs loaded with bpftool (libbpf prints no log on success) the kernel's
// level-1 log is rebuilt from the recording's counts and the level-2 tail's last `Func#N ... is safe`
// line (both checked with libbpf at level 1 on 6.18.44). Prints the figures and the first differences;
// asserts floors met today. SKIP without clang. Also three small programs against the kernel's whole
// level-1 logs (recorded here), and level 2 keeps the paths level 1 cuts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../../server/src/asm';
import { fromObject, isProgType, verify } from '../../server/src/verifier';
import { compileGroupObjects, loadGroups, readExpected, type RecordedAnswer } from '../fixtures/verifier/corpus';
import { possibleCpus, sharedKernelBtf } from '../shared';

const TAIL = 20;
const hasClang = !spawnSync('clang', ['--version']).error;

/**
 * Map and kernel addresses differ from run to run (and ours are made up); kfunc and BTF type ids
 * come from the BTF given (the shared 6.18 snapshot, not the recording kernel's).
 */
const mask = (l: string): string => l.replace(/0xffff[0-9a-f]{12}/g, '0xADDR').replace(/(call \w+)#\d{5,}/g, '$1#ID').replace(/btf_id \d+/g, 'btf_id ID')
  // libbpf's CO-RE failure names the local type id of the object it was given.
  .replace(/^(failed to resolve CO-RE relocation <\w+>) \[\d+\]/, '$1 [N]');
/**
 * Source comments are left out on both sides: the recording compiled each program alone (its own
 * line numbers; the naked-asm units have no line info at all), this test whole group files.
 */
const isLineInfo = (l: string): boolean => l.startsWith('; ') && / @ \S+:\d+$/.test(l);

function lines(log: string): string[] {
  return log === '' ? [] : log.replace(/\n+$/, '').split('\n');
}

/** The kernel's level-1 log of an accepted program: the last verified global function's line, then the statistics. */
function acceptedLog(rec: RecordedAnswer): string[] | undefined {
  const s = rec.stats;
  if (rec.processed === null || !s) return undefined;
  const func = rec.log_level2_tail.filter((l) => /^Func#\d+ .* is safe for any args/.test(l)).pop();
  const stats = `processed ${rec.processed} insns (limit 1000000) max_states_per_insn ${s.maxStatesPerInsn} total_states ${s.totalStates} peak_states ${s.peakStates} mark_read 0`;
  return func ? [func, stats] : [stats];
}


/** The kernel's level-1 logs of small programs (6.18.44, loaded raw with loadRawWithKernel at log level 1). */
const PAD = ['r1 = 0', 'r1 = 0', 'r1 = 0', 'r1 = 0', 'r1 = 0', 'r1 = 0', 'r1 = 0', 'r1 = 0'];
const KERNEL_LEVEL1: { name: string; text: string[]; log: string[] }[] = [
  {
    // The second path fails: the first one is cut, leaving the pushing line's first pad space.
    name: 'failing taken branch',
    text: ['call bpf_get_prandom_u32', 'if r0 > 5 goto +2', 'r0 = 0', 'exit', 'r0 = r3', 'exit'],
    log: [
      '0: R1=ctx() R10=fp0',
      '0: (85) call bpf_get_prandom_u32#7    ; R0=scalar()',
      '1: (25) if r0 > 0x5 goto pc+2 4: R0=scalar(umin=6) R10=fp0',
      '4: (bf) r0 = r3',
      'R3 !read_ok',
      'processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
    ],
  },
  {
    // Verified: only the statistics remain.
    name: 'accepted',
    text: ['call bpf_get_prandom_u32', 'if r0 > 5 goto +2', 'r0 = 0', 'exit', 'r0 = 1', 'exit'],
    log: ['processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0'],
  },
  {
    // The fall-through of 24 is pruned at once ('25: safe'), so popping 28 returns the log to the end of
    // line 24 (prev_log_pos): the popped state is printed as that line's comment, not as '28: ...'.
    name: 'pruned right after the push',
    text: ['call bpf_get_prandom_u32', 'r6 = r0', 'call bpf_get_prandom_u32', 'r7 = r0', 'r8 = 0', ...PAD, 'if r6 > 5 goto +1', 'r8 = 1', ...PAD, 'r1 = 0',
      'if r7 > 3 goto +3', 'if r7 > 1 goto +0', 'r0 = 0', 'exit', 'if r8 == 0 goto +1', 'exit', 'r0 = r9', 'exit'],
    log: [
      '0: R1=ctx() R10=fp0',
      '0: (85) call bpf_get_prandom_u32#7    ; R0=scalar()',
      '1: (bf) r6 = r0                       ; R0=scalar(id=1) R6=scalar(id=1)',
      '2: (85) call bpf_get_prandom_u32#7    ; R0=scalar()',
      '3: (bf) r7 = r0                       ; R0=scalar(id=2) R7=scalar(id=2)',
      '4: (b7) r8 = 0                        ; R8=0',
      '5: (b7) r1 = 0                        ; R1=0',
      '6: (b7) r1 = 0                        ; R1=0',
      '7: (b7) r1 = 0                        ; R1=0',
      '8: (b7) r1 = 0                        ; R1=0',
      '9: (b7) r1 = 0                        ; R1=0',
      '10: (b7) r1 = 0                       ; R1=0',
      '11: (b7) r1 = 0                       ; R1=0',
      '12: (b7) r1 = 0                       ; R1=0',
      '13: (25) if r6 > 0x5 goto pc+1 15: R0=scalar(id=2) R1=0 R6=scalar(id=1,umin=6) R7=scalar(id=2) R8=0 R10=fp0',
      '15: (b7) r1 = 0                       ; R1=0',
      '16: (b7) r1 = 0                       ; R1=0',
      '17: (b7) r1 = 0                       ; R1=0',
      '18: (b7) r1 = 0                       ; R1=0',
      '19: (b7) r1 = 0                       ; R1=0',
      '20: (b7) r1 = 0                       ; R1=0',
      '21: (b7) r1 = 0                       ; R1=0',
      '22: (b7) r1 = 0                       ; R1=0',
      '23: (b7) r1 = 0                       ; R1=0',
      '24: (25) if r7 > 0x3 goto pc+3        ; R0=scalar(id=2,umin=4) R1=0 R6=scalar(id=1,umin=6) R7=scalar(id=2,umin=4) R8=0 R10=fp0',
      '28: (15) if r8 == 0x0 goto pc+1       ; R8=0',
      '30: (bf) r0 = r9',
      'R9 !read_ok',
      'processed 45 insns (limit 1000000) max_states_per_insn 0 total_states 3 peak_states 3 mark_read 0',
    ],
  },
];

for (const c of KERNEL_LEVEL1) {
  test(`verifier log level 1 equals the kernel's: ${c.name}; level 2 keeps every path`, () => {
    const a = assemble(c.text.join('\n'));
    assert.deepEqual(a.diagnostics.map((d) => d.message), []);
    const one = verify({ insns: a.insns, progType: 'socket_filter', logLevel: 1 });
    assert.deepEqual(lines(one.log), c.log);
    const two = verify({ insns: a.insns, progType: 'socket_filter', logLevel: 2 });
    assert.equal(two.verdict, one.verdict);
    // Level 2 keeps the paths level 1 cut: every instruction of level 1 is there, and more exits.
    const all = lines(two.log);
    const insnOf = (l: string): string | undefined => /^(\d+: \([0-9a-f]{2}\))/.exec(l)?.[1];
    for (const l of c.log) { const k = insnOf(l); if (k) assert.ok(all.some((x) => x.startsWith(k)), k); }
    const exits = (ls: string[]): number => ls.filter((l) => insnOf(l)?.endsWith('(95)')).length;
    assert.ok(exits(all) > exits(c.log), 'level 2 shows the paths that exited');
  });
}

test('verifier log level 1: the kernel\'s path-only log over the corpus', async (t) => {
  if (!hasClang) { console.log('SKIP: clang not found'); t.skip('clang not found'); return; }
  const groups = loadGroups();
  const btf = sharedKernelBtf();
  if (!btf) console.log('SKIP: (part) no vmlinux BTF; tracing programs are verified without it');
  const nrCpus = possibleCpus();
  const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-vl1-'));
  try {
    const objs = await compileGroupObjects(groups, tmp);
    const rej = { n: 0, eq: 0 };
    const acc = { n: 0, eq: 0 };
    const diffs: string[] = [];
    groups.forEach((g, gi) => {
      const exp = readExpected(g.file);
      for (const p of g.programs) {
        if (p.slow) continue;
        const prog = objs[gi]?.programs.find((x) => x.name === p.name && !x.subprog);
        for (const priv of p.privileges) {
          const rec = exp?.programs[p.name]?.[priv];
          if (!rec || !prog || !rec.kernelLog) continue;
          const recTail = rec.log_level1_tail;
          const want = (recTail.length ? recTail : rec.verdict === 'accept' ? acceptedLog(rec) : undefined)?.filter((l) => !isLineInfo(l)).map(mask);
          if (!want) continue;
          const inp = fromObject(objs[gi] as NonNullable<typeof objs[number]>, prog, {
            privileged: priv === 'cap_bpf' ? 'cap_bpf' : 'root', logLevel: 1, btf, collectStates: false,
            ...(p.raw ? { funcInfo: false } : {}), ...(nrCpus ? { nrCpus } : {}), ...(p.progFlags ? { progFlags: p.progFlags } : {}),
          });
          // Raw programs reach the kernel as bare instructions: no line info either.
          if (p.raw) { inp.lineInfo = undefined; if (isProgType(p.type)) inp.progType = p.type; }
          const ours = lines(verify(inp).log).filter((l) => !isLineInfo(l)).map(mask);
          // A whole recorded log is compared whole; a cut one (TAIL lines) with as many of our last lines.
          const got = recTail.length === TAIL ? ours.slice(-want.length) : ours;
          const c = rec.verdict === 'accept' ? acc : rej;
          c.n++;
          const k = got.findIndex((l, i) => l !== want[i]);
          if (k < 0 && got.length === want.length) { c.eq++; continue; }
          const at = k < 0 ? Math.min(got.length, want.length) : k;
          diffs.push(`${g.file} ${p.name} [${priv}] (${rec.verdict}) line ${at + 1} of ${want.length}:\n    ours:   ${got[at] ?? '<end>'}\n    kernel: ${want[at] ?? '<end>'}`);
        }
      }
    });
    console.log(`level-1 tails equal ${rej.eq}/${rej.n} (rejected and raw programs), level-1 logs of accepted programs equal ${acc.eq}/${acc.n}`);
    for (const d of diffs.filter((x) => process.env.L1_ALL || !x.includes("(accept)")).slice(0, Number(process.env.L1_SHOW ?? 15))) console.log(`  DIFF ${d}`);
    if (diffs.length > 15) console.log(`  ... ${diffs.length - 15} more`);
    // Floors met today (913/936 and 673/710): raise them as the log improves.
    assert.ok(rej.n >= 930 && acc.n >= 700, `runs compared: ${rej.n} rejected, ${acc.n} accepted`);
    assert.ok(rej.eq >= 924, `level-1 tails equal ${rej.eq}/${rej.n}`);
    assert.ok(acc.eq >= 685, `accepted level-1 logs equal ${acc.eq}/${acc.n}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

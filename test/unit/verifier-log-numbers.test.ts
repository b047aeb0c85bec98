// Numbers in the level-2 log as the 6.18 kernel prints them: constants decimal within the s16
// range, hex beyond (recorded from `bpftool -d prog load` on this kernel for the same program).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../server/src/asm';
import { verify } from '../../server/src/verifier';

const KERNEL_618 = [
  '0: (b7) r1 = 10000                    ; R1=10000',
  '1: (b7) r2 = 32768                    ; R2=0x8000',
  '2: (b7) r3 = -32768                   ; R3=-32768',
  '3: (b7) r4 = -32769                   ; R4=0xffffffffffff7fff',
  '5: (57) r5 &= 32767                   ; R5=scalar(smin=smin32=0,smax=umax=smax32=umax32=32767,var_off=(0x0; 0x7fff))',
  '8: (b7) r0 = 0                        ; R0=0',
];

test('log numbers: decimal in [-32768, 32767], hex outside, as 6.18 prints them', () => {
  const a = assemble(['r1 = 10000', 'r2 = 32768', 'r3 = -32768', 'r4 = -32769', 'r5 = *(u32 *)(r10 - 8)', 'r5 &= 32767',
    'r6 = r5', 'r6 += 1', 'r0 = 0', 'exit'].join('\n'));
  assert.deepEqual(a.diagnostics, []);
  const r = verify({ insns: a.insns, progType: 'socket_filter', logLevel: 2 });
  assert.equal(r.verdict, 'accept');
  const lines = r.log.split('\n');
  for (const want of KERNEL_618) assert.ok(lines.includes(want), `missing: ${want}\nlog:\n${r.log}`);
});

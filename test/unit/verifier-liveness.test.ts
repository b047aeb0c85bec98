// Stack slot liveness in pruning (verifier/liveness.ts, prune.ts cleanDeadSlots): a slot that no
// path reads again does not have to match, so paths that leave different bytes in it meet at a
// join; one that is read later still has to. Also the log buffer (verifier/log-buffer.ts): positions
// survive rotation, truncation cuts back exactly, and only about the last 16 MiB is kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../server/src/asm';
import { verify, type VerifyResult } from '../../server/src/verifier';
import { LOG_LIMIT, LogBuffer } from '../../server/src/verifier/log-buffer';

/**
 * One path writes 4 bytes of fp-16 (misc), the other leaves it unwritten; they join at the
 * `r0 = 0` after the branch, then `tail` runs. Eight moves first so a checkpoint is taken at the join.
 */
function joinProgram(tail: string): string {
  return [
    ...Array.from({ length: 8 }, () => 'r3 = 0'),
    'call bpf_get_prandom_u32',
    'if r0 == 0 goto +3',
    'r1 = 7',
    '*(u32 *)(r10 - 16) = r1',
    'goto +1',
    'r2 = 0',
    'r0 = 0',
    tail,
    'exit',
  ].join('\n');
}

function run(text: string): VerifyResult {
  const a = assemble(text);
  assert.deepEqual(a.diagnostics.map((d) => d.message), [], 'assembles');
  // CAP_BPF only: an unwritten slot does not match a written one (root would read it as misc).
  // Level 2: the whole trace (level 1 keeps nothing of an accepted program's).
  return verify({ insns: a.insns, progType: 'socket_filter', logLevel: 2, privileged: 'cap_bpf' });
}

test('liveness: a slot never read again does not keep paths apart at a join', () => {
  const dead = run(joinProgram('r0 = 0'));
  assert.equal(dead.verdict, 'accept');
  assert.match(dead.log, /^14: safe$/m, dead.log);
});

test('liveness: a slot read after the join still has to match', () => {
  // The read of fp-16 fails on the path that never wrote it: the join must not hide that path.
  const live = run(joinProgram('r0 = *(u32 *)(r10 - 16)'));
  assert.equal(live.verdict, 'reject');
  assert.match(live.errors[0].message, /invalid read from stack/);
});

test('log buffer: truncation back to a position, the last character removed, text in order', () => {
  const b = new LogBuffer();
  b.push('a\n');
  const mark = b.length;
  b.push('bbb\n');
  b.push('cc');
  assert.equal(b.text(), 'a\nbbb\ncc');
  b.truncate(b.length - 1);
  assert.equal(b.text(), 'a\nbbb\nc');
  b.truncate(mark);
  assert.equal(b.text(), 'a\n');
  assert.equal(b.length, mark);
});

test('log buffer: only about the last LOG_LIMIT characters are kept, positions stay absolute', () => {
  const b = new LogBuffer();
  const line = 'x'.repeat(99) + '\n';
  const n = Math.ceil((2 * LOG_LIMIT) / line.length);
  for (let i = 0; i < n; i++) b.push(i === n - 1 ? 'last\n' : line);
  assert.equal(b.length, (n - 1) * line.length + 5);
  const t = b.text();
  assert.ok(t.length <= LOG_LIMIT + 3 * 2048 * line.length, `${t.length} kept`);
  assert.ok(t.length >= LOG_LIMIT - 2048 * line.length, `${t.length} kept`);
  assert.ok(t.endsWith(line + 'last\n'));
  // Truncating to a position still inside the kept tail.
  b.truncate(b.length - 5);
  assert.ok(b.text().endsWith(line));
});

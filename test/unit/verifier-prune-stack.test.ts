// State pruning over stack slots (prune.ts stacksafe with analysis.ts needStack): a spilled scalar
// whose value never reaches a decision is imprecise, so paths that spilled different constants
// meet at a join and the second is pruned, as the 6.18 kernel does; a spilled scalar that later
// becomes a pointer offset stays precise, so the out-of-bounds path is still verified and refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../server/src/asm';
import { verify, type VerifyResult } from '../../server/src/verifier';

const HASH = { type: 'hash', keySize: 4, valueSize: 48, maxEntries: 16, name: 'hmap' };
const ARRAY = { type: 'array', keySize: 4, valueSize: 48, maxEntries: 16, name: 'arr' };

/** Two paths spill 8 or 64 to fp-16, then a lookup in map fd 0 and `use` of r1 = fp-16 on the value in r0. */
function program(use: string): string {
  return [
    'call bpf_get_prandom_u32',
    'if r0 == 0 goto +3',
    'r1 = 8',
    '*(u64 *)(r10 - 16) = r1',
    'goto +2',
    'r1 = 64',
    '*(u64 *)(r10 - 16) = r1',
    'r1 = 0',
    '*(u32 *)(r10 - 4) = r1',
    'r2 = r10',
    'r2 += -4',
    'r1 = map[fd:0]',
    'call bpf_map_lookup_elem',
    `if r0 == 0 goto +${use.split('\n').length + 3}`,
    'r1 = *(u64 *)(r10 - 16)',
    use,
    'r0 = 0',
    'exit',
    'r0 = 0',
    'exit',
  ].join('\n');
}

function run(text: string, maps = [HASH]): VerifyResult {
  const a = assemble(text);
  assert.deepEqual(a.diagnostics.map((d) => d.message), [], 'assembles');
  // Level 2: the whole trace (level 1 keeps nothing of an accepted program's).
  return verify({ insns: a.insns, progType: 'socket_filter', maps, logLevel: 2 });
}

test('prune: paths spilling different imprecise constants meet at the join', () => {
  const stored = run(program('*(u64 *)(r0 + 0) = r1'));
  const compared = run(program('if r1 > 63 goto +0'));
  assert.equal(stored.verdict, 'accept');
  assert.equal(compared.verdict, 'accept');
  // The same instruction count up to the use; only the imprecise spill lets the second path stop at the join.
  assert.ok(stored.stats.processed < compared.stats.processed, `${stored.stats.processed} < ${compared.stats.processed}`);
  assert.match(stored.log, /safe/);
});

test('prune: a spilled scalar that becomes a pointer offset stays precise', () => {
  const r = run(program('r0 += r1\nr0 = *(u8 *)(r0 + 0)'));
  assert.equal(r.verdict, 'reject');
  assert.match(r.errors[0].message, /invalid access to map value|outside of the allowed memory range/);
});

test('prune: a constant stack key of an array lookup stays precise', () => {
  // Keys 0 and 99 spilled at fp-8: key 99 is out of range, so its lookup may return NULL.
  // (Eight moves first, so the verifier's heuristics put a checkpoint at the join.)
  const text = [
    ...Array.from({ length: 8 }, () => 'r3 = 0'),
    'call bpf_get_prandom_u32',
    'if r0 == 0 goto +3',
    'r1 = 0',
    '*(u64 *)(r10 - 8) = r1',
    'goto +2',
    'r1 = 99',
    '*(u64 *)(r10 - 8) = r1',
    'r2 = r10',
    'r2 += -8',
    'r1 = map[fd:0]',
    'call bpf_map_lookup_elem',
    'r0 = *(u8 *)(r0 + 0)',
    'r0 = 0',
    'exit',
  ].join('\n');
  const r = run(text, [{ ...ARRAY, keySize: 8 }]);
  assert.equal(r.verdict, 'reject');
  assert.match(r.errors[0].message, /map_value_or_null/);
});

/**
 * Callback-calling helpers in the embedded verifier, on small assembled programs: the callback
 * frames bpf_for_each_map_elem and bpf_timer_set_callback set up, return ranges, the map types a
 * walk accepts, func_info and static-linkage requirements, and the bpf_timer argument checks.
 * The kernel's own answers for the same cases are in the corpus (c/callbacks.c, diff test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../server/src/asm';
import { verify } from '../../server/src/verifier';
import type { VerifierMap, VerifyInput, VerifyResult } from '../../server/src/verifier';

const HASH: VerifierMap = { type: 'hash', keySize: 4, valueSize: 48, maxEntries: 16, name: 'hmap' };
const RINGBUF: VerifierMap = { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096, name: 'rb' };
/** An array whose value starts with a struct bpf_timer (16 bytes) followed by a u64. */
const TIMERS: VerifierMap = { type: 'array', keySize: 4, valueSize: 24, maxEntries: 1, name: 'tmap', btf: true, timerOff: 0 };

function run(text: string, opts: Partial<VerifyInput> = {}): { r: VerifyResult } {
  const a = assemble(text);
  assert.deepEqual(a.diagnostics.map((d) => d.message), [], 'assembles');
  return { r: verify({ insns: a.insns, progType: 'socket_filter', maps: [HASH, RINGBUF, TIMERS], logLevel: 1, ...opts }) };
}

/** Walks map[fd:MAP] with the callback at `cb:` (slot WALK_CB), ctx = fp-8 (a u64 set to 0). */
const WALK_CB = 12;
function walk(map: number, cb: string): string {
  return `r1 = 0
*(u64 *)(r10 - 8) = r1
r1 = map[fd:${map}]
r2 = func[cb]
r3 = r10
r3 += -8
r4 = 0
call bpf_for_each_map_elem
r0 = 0
exit
cb:
${cb}`;
}

const SUM = 'r0 = *(u64 *)(r3 + 0)\nr1 = *(u64 *)(r4 + 0)\nr1 += r0\n*(u64 *)(r4 + 0) = r1\nr0 = 0\nexit';

test('for_each_map_elem: the callback gets (map, key, value, ctx) in a frame of its own and may write the caller\'s stack', () => {
  const { r } = run(walk(0, SUM));
  assert.equal(r.verdict, 'accept', r.errors[0]?.message);
  const cbStates = r.states[WALK_CB] ?? [];
  assert.ok(cbStates.length > 0, 'the callback was verified');
  const s = cbStates[0];
  assert.match(s, /frame1:/);
  assert.match(s, /R1=map_ptr/);
  assert.match(s, /R2=map_key/);
  assert.match(s, /R3=map_value/);
  assert.match(s, /R4=fp\[0\]-8/);
  assert.doesNotMatch(s, /R5=/, 'R5 is not initialised');
});

test('for_each_map_elem: return range, key writes, value bounds, map types, func_info, static callbacks', () => {
  const cases: { name: string; text: string; opts?: Partial<VerifyInput>; msg: string | RegExp }[] = [
    { name: 'returns 2', text: walk(0, 'r0 = 2\nexit'), msg: 'At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]' },
    { name: 'returns a pointer', text: walk(0, 'r0 = r3\nexit'), msg: 'R0 not a scalar value' },
    { name: 'writes the key', text: walk(0, 'r1 = 1\n*(u32 *)(r2 + 0) = r1\nr0 = 0\nexit'), msg: 'write to change key R2 not allowed' },
    { name: 'reads past the value', text: walk(0, 'r0 = *(u64 *)(r3 + 48)\nr0 = 0\nexit'), msg: /^invalid access to map value, value_size=48 off=48 size=8|outside of the allowed memory range/ },
    { name: 'a ringbuf', text: walk(1, 'r0 = 0\nexit'), msg: 'callback function not allowed for map' },
    { name: 'no func_info', text: walk(0, 'r0 = 0\nexit'), opts: { funcInfo: false }, msg: 'missing btf func_info' },
    { name: 'a global callback', text: walk(0, 'r0 = 0\nexit'), opts: { globalFuncs: [{ pc: WALK_CB, name: 'cb', args: [] }] }, msg: 'callback function not static' },
  ];
  for (const c of cases) {
    const { r } = run(c.text, c.opts);
    assert.equal(r.verdict, 'reject', c.name);
    const m = r.errors[0].message;
    if (typeof c.msg === 'string') assert.equal(m, c.msg, c.name);
    else assert.match(m, c.msg, c.name);
    assert.ok(r.errors[0].explanation.length > 0 && !/cannot prove this instruction safe/.test(r.errors[0].explanation) || c.name === 'reads past the value', `${c.name}: a specific explanation`);
  }
});

/** Looks up tmap[0], inits its timer (R1 = value + OFF), sets the callback at `cb:` (slot TIMER_CB). */
const TIMER_CB = 21;
function timer(cb: string, off = 0): string {
  return `r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[fd:2]
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = r0
r1 = r6
r1 += ${off}
r2 = map[fd:2]
r3 = 1
call bpf_timer_init
r1 = r6
r2 = func[cb]
call bpf_timer_set_callback
out:
r0 = 0
exit
cb:
${cb}`;
}

test('bpf_timer_set_callback: the callback is verified on its own in frame 0 and must return 0', () => {
  const ok = run(timer('r0 = *(u64 *)(r3 + 16)\nr0 = 0\nexit'));
  assert.equal(ok.r.verdict, 'accept', ok.r.errors[0]?.message);
  const cbStates = ok.r.states[TIMER_CB] ?? [];
  assert.ok(cbStates.length > 0, 'the callback was verified');
  assert.doesNotMatch(cbStates[0], /frame1/, 'async callbacks start a call chain of their own');
  assert.match(cbStates[0], /R1=map_ptr.*R2=map_key.*R3=map_value/);
  const bad = run(timer('r0 = 1\nexit'));
  assert.equal(bad.r.errors[0]?.message, 'At async callback return the register R0 has smin=1 smax=1 should have been in [0, 0]');
  const off = run(timer('r0 = 0\nexit', 16));
  assert.equal(off.r.errors[0]?.message, "off 16 doesn't point to 'struct bpf_timer' that is at 0");
  const direct = run(timer('r0 = *(u64 *)(r3 + 8)\nr0 = 0\nexit'));
  assert.equal(direct.r.errors[0]?.message, 'bpf_timer cannot be accessed directly by load/store');
  const noTimer = run(timer('r0 = 0\nexit'), { maps: [HASH, RINGBUF, { ...TIMERS, timerOff: undefined }] });
  assert.equal(noTimer.r.errors[0]?.message, "map 'tmap' has no valid bpf_timer");
  const kprobe = run(timer('r0 = 0\nexit'), { progType: 'kprobe' });
  assert.equal(kprobe.r.errors[0]?.message, 'tracing progs cannot use bpf_timer yet');
});

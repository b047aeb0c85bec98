/** Consistency of the helper prototype table and the ctx table (names, spellings, layouts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { helperId } from '../../server/src/isa';
import { HELPER_PROTOS, PROG_TYPE_SETS } from '../../server/src/verifier/protos/table';
import { parseArg } from '../../server/src/verifier/protos/types';
import { CTX_TABLE } from '../../server/src/verifier/ctx/table';
import { PROG_TYPES, sectionProgType } from '../../server/src/verifier/progtypes';

const ARG_BASES = new Set([
  'ARG_DONTCARE', 'ARG_ANYTHING', 'ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_VALUE', 'ARG_PTR_TO_MEM',
  'ARG_PTR_TO_ARENA', 'ARG_CONST_SIZE', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_PTR_TO_CTX', 'ARG_PTR_TO_SOCK_COMMON',
  'ARG_PTR_TO_BTF_ID_SOCK_COMMON', 'ARG_PTR_TO_BTF_ID', 'ARG_PTR_TO_PERCPU_BTF_ID', 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK',
  'ARG_PTR_TO_CONST_STR', 'ARG_PTR_TO_TIMER', 'ARG_PTR_TO_KPTR', 'ARG_PTR_TO_DYNPTR', 'ARG_PTR_TO_SOCKET',
  'ARG_PTR_TO_SPIN_LOCK', 'ARG_PTR_TO_RINGBUF_MEM', 'ARG_PTR_TO_LONG', 'ARG_PTR_TO_INT', 'ARG_PTR_TO_FIXED_SIZE_MEM',
  'ARG_CONST_ALLOC_SIZE_OR_ZERO', 'ARG_PTR_TO_CALLBACK_CTX',
]);

test('every helper prototype names a kernel helper once, with well-formed args', () => {
  const seen = new Set<string>();
  for (const p of HELPER_PROTOS) {
    assert.ok(helperId(p.name) !== undefined, `unknown helper ${p.name}`);
    assert.ok(!seen.has(p.name), `duplicate ${p.name}`);
    seen.add(p.name);
    assert.ok(p.args.length <= 5, p.name);
    for (const a of p.args) assert.ok(ARG_BASES.has(parseArg(a).base), `${p.name}: ${a}`);
    if (p.ret === 'RET_PTR_TO_MEM_OR_NULL') assert.ok(p.retSizeArg !== undefined, `${p.name}: retSizeArg`);
    assert.ok(p.sets.length > 0, `${p.name}: no sets`);
  }
});

test('every set a helper lists is consulted by some program type', () => {
  const used = new Set(Object.values(PROG_TYPE_SETS).flat());
  for (const p of HELPER_PROTOS) for (const s of p.sets) assert.ok(used.has(s), `${p.name}: set ${s} unused`);
});

test('ctx layouts: fields inside the struct, sorted, not overlapping', () => {
  for (const [t, l0] of Object.entries(CTX_TABLE)) {
    assert.ok((PROG_TYPES as readonly string[]).includes(t), t);
    const l = typeof l0 === 'function' ? l0(undefined) : l0;
    if (!l) continue;
    let end = 0;
    for (const f of l.fields) {
      assert.ok(f.off >= end, `${t}.${f.name} overlaps`);
      assert.ok(f.off + f.size <= l.size, `${t}.${f.name} outside`);
      end = f.off + f.size;
    }
  }
});

test('section names map to program types', () => {
  assert.deepEqual(sectionProgType('xdp'), { progType: 'xdp', attachType: 'xdp' });
  assert.equal(sectionProgType('kprobe/do_sys_open')?.progType, 'kprobe');
  assert.deepEqual(sectionProgType('tp_btf/sched_switch'), { progType: 'tracing', attachType: 'trace_raw_tp', target: 'sched_switch' });
  assert.equal(sectionProgType('cgroup/sendmsg6')?.attachType, 'cgroup_udp6_sendmsg');
  assert.equal(sectionProgType('nonsense'), undefined);
});

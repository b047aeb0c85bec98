// The kfunc facts the verifier keeps beside BTF (server/src/verifier/kfunc-table.ts) are consistent
// with the 6.18 kernel BTF (every listed kfunc is a FUNC there; acquire kfuncs return struct
// pointers; iterator kfuncs come in new/next/destroy triples over a `struct bpf_iter_<type>`
// first argument), and kfunc calls are checked in the verifier: availability per program type,
// reference leaks and iterator state, on small assembled programs. SKIP without the kernel BTF.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Btf, KIND, parseBtf } from '../../server/src/btf';
import { KF, kfuncAllowed, kfuncInfo } from '../../server/src/verifier/kfunc-table';
import { verify } from '../../server/src/verifier';
import { mkInsn, specFor, type Insn } from '../../server/src/isa';
import { SHARED } from '../shared';

const BTF_PATH = `${SHARED}/kernel/6.18/vmlinux.btf`;
const rawBtf = existsSync(BTF_PATH) ? parseBtf(new Uint8Array(readFileSync(BTF_PATH))).btf : undefined;
const btf = rawBtf ? new Btf(rawBtf) : undefined;

const NAMES = [
  'bpf_task_acquire', 'bpf_task_release', 'bpf_task_from_pid', 'bpf_cgroup_acquire', 'bpf_cgroup_release', 'bpf_rcu_read_lock',
  'bpf_rcu_read_unlock', 'bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_destroy', 'bpf_iter_bits_new',
  'bpf_iter_bits_next', 'bpf_iter_bits_destroy', 'bpf_obj_drop_impl', 'bpf_cast_to_kern_ctx',
];

function skipNoBtf(t: { skip: (m: string) => void }): boolean {
  if (btf) return false;
  console.log(`SKIP: ${BTF_PATH} not found`);
  t.skip('no kernel BTF');
  return true;
}

test('kfunc table: listed kfuncs are BTF functions with matching shapes', (t) => {
  if (skipNoBtf(t) || !btf) return;
  for (const name of NAMES) {
    const id = btf.find(name, KIND.FUNC);
    assert.ok(id !== undefined, `${name} is a FUNC in the kernel BTF`);
    const info = kfuncInfo(name);
    const proto = btf.type(btf.sizeOrType(id));
    assert.equal(proto.kind, KIND.FUNC_PROTO);
    if (proto.kind !== KIND.FUNC_PROTO) continue;
    if (info.flags & KF.ACQUIRE) {
      const ret = btf.resolve(proto.type);
      assert.equal(btf.kind(ret), KIND.PTR, `${name} returns a pointer`);
      assert.equal(btf.kind(btf.resolve(btf.sizeOrType(ret))), KIND.STRUCT, `${name} returns a struct pointer`);
    }
    if (info.flags & (KF.ITER_NEW | KF.ITER_NEXT | KF.ITER_DESTROY)) {
      const arg0 = btf.resolve(proto.params[0].type);
      const st = btf.resolve(btf.sizeOrType(arg0));
      assert.match(btf.name(st), /^bpf_iter_/, `${name} takes the iterator first`);
      const base = name.replace(/_(new|next|destroy)$/, '');
      for (const k of ['new', 'next', 'destroy']) assert.ok(btf.find(`${base}_${k}`, KIND.FUNC) !== undefined, `${base}_${k} exists`);
    }
  }
  assert.equal(kfuncAllowed(kfuncInfo('bpf_task_from_pid'), 'socket_filter'), false);
  assert.equal(kfuncAllowed(kfuncInfo('bpf_task_from_pid'), 'sched_cls'), true);
  assert.equal(kfuncAllowed(kfuncInfo('bpf_iter_num_new'), 'socket_filter'), true);
});

function I(name: string, f: Partial<Insn> = {}, src = false): Insn {
  const spec = specFor(name, src);
  assert.ok(spec, `opcode ${name}`);
  return mkInsn(spec, f);
}

function kcall(name: string): Insn {
  return I('call kfunc', { imm: btf?.find(name, KIND.FUNC) ?? 0 });
}

test('kfunc calls: availability, reference leak, iterator convergence', (t) => {
  if (skipNoBtf(t)) return;
  const fromPid = [I('mov', { dst: 1, imm: 1 }), kcall('bpf_task_from_pid'), I('mov', { dst: 0, imm: 0 }), I('exit')];
  const socket = verify({ insns: fromPid, progType: 'socket_filter', btf, logLevel: 0 });
  assert.equal(socket.errors[0]?.message, 'calling kernel function bpf_task_from_pid is not allowed');
  const tc = verify({ insns: fromPid, progType: 'sched_cls', btf, logLevel: 1 });
  assert.equal(tc.errors[0]?.message, 'BPF_EXIT instruction in main prog would lead to reference leak');
  assert.match(tc.log, /Unreleased reference id=\d+ alloc_insn=1/);
  // it = fp-8; bpf_iter_num_new(&it, 0, 1000); while (bpf_iter_num_next(&it)) r6 += 1; destroy; return 0
  const loop = [
    I('mov', { dst: 6, imm: 0 }),
    I('mov', { dst: 1, src: 10 }, true), I('add', { dst: 1, imm: -8 }), I('mov', { dst: 2, imm: 0 }), I('mov', { dst: 3, imm: 1000 }),
    kcall('bpf_iter_num_new'),
    I('mov', { dst: 1, src: 10 }, true), I('add', { dst: 1, imm: -8 }), kcall('bpf_iter_num_next'),
    I('jeq', { dst: 0, imm: 0, off: 2 }), I('add', { dst: 6, imm: 1 }), I('ja', { off: -6 }),
    I('mov', { dst: 1, src: 10 }, true), I('add', { dst: 1, imm: -8 }), kcall('bpf_iter_num_destroy'),
    I('mov', { dst: 0, imm: 0 }), I('exit'),
  ];
  const ok = verify({ insns: loop, progType: 'sched_cls', btf, logLevel: 0, collectStates: false });
  assert.equal(ok.verdict, 'accept', ok.errors[0]?.message);
  assert.ok(ok.stats.processed < 2000, `iterator loop converges (${ok.stats.processed} insns)`);
  const noDestroy = loop.slice(0, 12).concat([I('mov', { dst: 0, imm: 0 }), I('exit')]);
  const leak = verify({ insns: noDestroy, progType: 'sched_cls', btf, logLevel: 0 });
  assert.equal(leak.errors[0]?.message, 'BPF_EXIT instruction in main prog would lead to reference leak');
});

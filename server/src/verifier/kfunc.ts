/**
 * Kfunc calls (the kernel's check_kfunc_call and check_kfunc_args): the
 * prototype from the kernel BTF (FUNC -> FUNC_PROTO), availability and flags
 * from kfunc-table.ts, argument checks with the kernel's messages (scalars,
 * trusted/RCU and possibly-NULL pointers, BTF struct pointers, memory,
 * iterators), reference acquire/release, RCU read sections, and the return
 * value typed from BTF. The iterator next() fork is driven by verifier.ts
 * through the returned `iterNext`. Non-goal: dynptrs, graph (list/rbtree)
 * kfuncs, bpf_obj_new/drop, callbacks, sleepable-program tracking.
 */
import { KIND, KIND_NAMES, type Btf } from '../btf';
import { Reject, type Env } from './env';
import { KF, kfuncAllowed, kfuncInfo } from './kfunc-table';
import { IterRef, processIterArg } from './kfunc-iter';
import { releaseReference } from './helper-call';
import { checkMemReg, checkPtrOffReg, regTypeStr } from './mem';
import { F, Reg, T, isNull, markKnownZero, markNotInit, markUnknown, typeStr } from './reg';
import { tisConst } from './tnum';
import type { ProgType } from './progtypes';

export interface KfuncOutcome { iterNext?: IterRef }

interface Param { name: string; type: number }

interface Meta {
  name: string;
  flags: number;
  refObjId: number;
  releaseRegno: number;
  iter?: IterRef;
}

/** Types of registers the kernel maps to BTF structs (reg2btf_ids). */
const SOCK_STRUCTS: Partial<Record<T, string>> = {
  [T.SOCKET]: 'sock', [T.SOCK_COMMON]: 'sock_common', [T.TCP_SOCK]: 'tcp_sock', [T.XDP_SOCK]: 'xdp_sock',
};

/** The kernel-side context struct of each program type (bpf_cast_to_kern_ctx; BPF_PROG_TYPE's kern_ctx_type). */
const KERN_CTX: Partial<Record<ProgType, string>> = {
  socket_filter: 'sk_buff', sched_cls: 'sk_buff', sched_act: 'sk_buff', cgroup_skb: 'sk_buff', lwt_in: 'sk_buff',
  lwt_out: 'sk_buff', lwt_xmit: 'sk_buff', lwt_seg6local: 'sk_buff', sk_skb: 'sk_buff', xdp: 'xdp_buff', cgroup_sock: 'sock',
  cgroup_sock_addr: 'bpf_sock_addr_kern', sock_ops: 'bpf_sock_ops_kern', cgroup_device: 'bpf_cgroup_dev_ctx', sk_msg: 'sk_msg',
  flow_dissector: 'bpf_flow_dissector', kprobe: 'pt_regs', perf_event: 'bpf_perf_event_data_kern', cgroup_sysctl: 'bpf_sysctl_kern',
  cgroup_sockopt: 'bpf_sockopt_kern', sk_reuseport: 'sk_reuseport_kern', sk_lookup: 'bpf_sk_lookup_kern', netfilter: 'bpf_nf_ctx',
};

const isScalarKind = (k: number): boolean => k === KIND.INT || k === KIND.ENUM || k === KIND.ENUM64;

/** __btf_type_is_scalar_struct: a struct made (recursively, arrays included) of scalars. */
function scalarStruct(btf: Btf, id: number, depth: number): boolean {
  if (btf.kind(id) !== KIND.STRUCT) return false;
  for (const m of btf.members(id)) {
    let t = btf.resolve(m.type);
    while (btf.kind(t) === KIND.ARRAY) t = btf.resolve(btf.arrayType(t));
    if (btf.kind(t) === KIND.STRUCT) {
      if (depth >= 2 || !scalarStruct(btf, t, depth + 1)) return false;
      continue;
    }
    if (!isScalarKind(btf.kind(t))) return false;
  }
  return true;
}

function isTrustedReg(r: Reg): boolean {
  if (r.refObjId) return true;
  if (r.flags & F.UNTRUSTED) return false;
  if (SOCK_STRUCTS[r.type] !== undefined) return true;
  return (r.flags & F.TRUSTED) !== 0;
}

function checkArg(env: Env, btf: Btf, meta: Meta, params: Param[], i: number, pc: number): void {
  const regno = i + 1;
  const r = env.regs[regno];
  const p = params[i];
  env.scratch.reg(regno);
  const t = btf.resolve(p.type);
  if (p.name.endsWith('__ign')) return;
  const kind = btf.kind(t);
  if (isScalarKind(kind)) {
    if (r.type !== T.SCALAR) env.fail(`R${regno} is not a scalar`);
    if ((p.name.endsWith('__k') || p.name.endsWith('__szk')) && !tisConst(r.var)) env.fail(`R${regno} must be a known constant`);
    return;
  }
  if (kind !== KIND.PTR) env.fail(`Unrecognized arg#${i} type ${KIND_NAMES[kind]}`);
  const trusted = (meta.flags & (KF.TRUSTED_ARGS | KF.RELEASE)) !== 0;
  const rcu = (meta.flags & KF.RCU) !== 0;
  const nullable = p.name.endsWith('__nullable');
  if ((trusted || rcu) && (isNull(r) || (r.flags & F.MAYBE_NULL)) && !nullable) env.fail(`Possibly NULL pointer passed to trusted arg${i}`);
  if (r.refObjId) {
    meta.refObjId = r.refObjId;
    if (meta.flags & KF.RELEASE) meta.releaseRegno = regno;
  }
  const ref = btf.resolve(btf.sizeOrType(t));
  const refKind = btf.kind(ref);
  const refName = btf.name(ref);
  // get_kfunc_ptr_arg_type
  const isCtx = (refKind === KIND.STRUCT && !!env.ctx?.struct && refName === env.ctx.struct) || (meta.name === 'bpf_cast_to_kern_ctx' && i === 0);
  if (isCtx) {
    if (r.type !== T.CTX) env.fail(`arg#${i} expected pointer to ctx, but got ${regTypeStr(r)}`);
    checkPtrOffReg(env, r, regno, false);
    return;
  }
  if (nullable && isNull(r)) return;
  if (refKind === KIND.STRUCT && refName.startsWith('bpf_iter_')) {
    const kindOf = meta.flags & KF.ITER_NEW ? 'new' : meta.flags & KF.ITER_DESTROY ? 'destroy' : 'other';
    const res = processIterArg(env, regno, refName.slice('bpf_iter_'.length), btf.sizeof(ref) ?? 8, kindOf, pc, (id) => releaseReference(env, id));
    if (res.refObjId) meta.refObjId = res.refObjId;
    if (res.iter) meta.iter = res.iter;
    return;
  }
  if (refKind === KIND.STRUCT && refName === 'bpf_dynptr') return;
  if (r.type === T.BTF_ID || SOCK_STRUCTS[r.type] !== undefined) {
    if (refKind !== KIND.STRUCT) env.fail(`kernel function ${meta.name} args#${i} pointer type ${KIND_NAMES[refKind]} ${refName} is not supported`);
    if ((trusted || rcu) && !isTrustedReg(r)) {
      if (!rcu) env.fail(`R${regno} must be referenced or trusted`);
      if (!(r.flags & F.RCU)) env.fail(`R${regno} must be a rcu pointer`);
    }
    if ((meta.flags & KF.RELEASE) && r.refObjId) {
      if (r.off || !tisConst(r.var) || r.var.value) env.fail(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
    } else {
      checkPtrOffReg(env, r, regno, true);
    }
    if (r.type === T.BTF_ID && (r.flags & F.UNTRUSTED) && !(r.flags & F.RCU)) {
      env.fail(`arg#${i} is ${regTypeStr(r)} expected ${typeStr(T.BTF_ID, r.flags & F.TRUSTED)} or socket`);
    }
    const have = r.type === T.BTF_ID ? r.btfName : SOCK_STRUCTS[r.type] ?? '';
    if (have && have !== refName && !(r.off === 0 && firstMemberIs(btf, have, refName) && !trusted)) {
      env.fail(`kernel function ${meta.name} args#${i} expected pointer to STRUCT ${refName} but R${regno} has a pointer to STRUCT ${have}`);
    }
    return;
  }
  const next = params[i + 1];
  const memSize = !!next && (next.name.endsWith('__sz') || next.name.endsWith('__szk'));
  const isVoid = ref === 0;
  if (!isScalarKind(refKind) && !scalarStruct(btf, ref, 0) && (memSize ? !isVoid : true)) {
    env.fail(`arg#${i} pointer type ${KIND_NAMES[refKind]} ${refName} must point to ${memSize ? 'void, ' : ''}scalar, or struct with scalar`);
  }
  if (memSize) {
    const sz = env.regs[regno + 1];
    if (sz.type !== T.SCALAR) env.fail(`R${regno + 1} is not a scalar`);
    if (sz.smin < 0n) env.fail(`R${regno + 1} min value is negative, either use unsigned or 'var &= const'`);
    if (sz.umax >= 1n << 29n) env.fail(`R${regno + 1} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
    if (!(isNull(r) && sz.umax === 0n)) {
      try {
        checkMemReg(env, regno, Number(sz.umax));
      } catch (e) {
        if (e instanceof Reject) env.fail(`arg#${i} arg#${i + 1} memory, len pair leads to invalid memory access`);
        throw e;
      }
    }
    return;
  }
  const size = btf.sizeof(ref);
  if (size === undefined) env.fail(`arg#${i} reference type('${KIND_NAMES[refKind]} ${refName}') size cannot be determined: -22`);
  checkMemReg(env, regno, size);
}

function firstMemberIs(btf: Btf, outer: string, inner: string): boolean {
  let id = btf.find(outer, KIND.STRUCT);
  for (let d = 0; id !== undefined && d < 8; d++) {
    const ms = btf.members(id);
    if (!ms.length || ms[0].bitOffset !== 0) return false;
    id = btf.resolve(ms[0].type);
    if (btf.kind(id) !== KIND.STRUCT) return false;
    if (btf.name(id) === inner) return true;
  }
  return false;
}

const ZERO_CALLS = new WeakSet<Env>();

/** fixup_kfunc_call: a reachable kfunc call with imm 0 survived verification. */
export function kfuncFixupError(env: Env): string | undefined {
  return ZERO_CALLS.has(env) ? 'invalid kernel function call not eliminated in verifier pass' : undefined;
}

/** check_kfunc_call for `call` with src_reg 2 and imm = the kernel BTF id of the kfunc. */
export function checkKfuncCall(env: Env, btfId: number, pc: number): KfuncOutcome {
  const btf = env.btf;
  const regs = env.regs;
  const out: KfuncOutcome = {};
  if (btfId === 0) {
    // check_kfunc_call skips imm 0 (registers untouched); fixup_kfunc_call rejects the program later.
    ZERO_CALLS.add(env);
    return out;
  }
  if (!btf || btf.kind(btfId) !== KIND.FUNC) {
    // Without BTF nothing is known about the kfunc (the pre-pass rejects unknown ids when BTF is given).
    for (let i = 0; i <= 5; i++) { markNotInit(regs[i]); env.scratch.reg(i); }
    markUnknown(regs[0]);
    return out;
  }
  const name = btf.name(btfId);
  const proto = btf.sizeOrType(btfId);
  const info = kfuncInfo(name);
  if (!kfuncAllowed(info, env.progType)) env.fail(`calling kernel function ${name} is not allowed`);
  if ((info.flags & KF.SLEEPABLE) && !env.sleepable) env.fail(`program must be sleepable to call sleepable kfunc ${name}`);
  const pt = btf.type(proto);
  const params: Param[] = pt.kind === KIND.FUNC_PROTO ? pt.params : [];
  const meta: Meta = { name, flags: info.flags, refObjId: 0, releaseRegno: 0 };
  for (let i = 0; i < params.length && i < 5; i++) {
    if (params[i].type === 0) break;
    checkArg(env, btf, meta, params, i, pc);
  }
  if ((meta.flags & KF.RELEASE) && !meta.releaseRegno) env.fail(`release kernel function ${name} expects refcounted PTR_TO_BTF_ID`);
  const st = env.state;
  if (name === 'bpf_rcu_read_lock') {
    if (st.rcuLock) env.fail(`nested rcu read lock (kernel function ${name})`);
    st.rcuLock = true;
  } else if (name === 'bpf_rcu_read_unlock') {
    if (!st.rcuLock) env.fail(`unmatched rcu read unlock (kernel function ${name})`);
    for (const f of st.frames) {
      const demote = (r: Reg | undefined): void => { if (r && (r.flags & F.RCU)) r.flags = (r.flags & ~(F.RCU | F.MAYBE_NULL)) | F.UNTRUSTED; };
      f.regs.forEach(demote);
      f.spilled.forEach(demote);
    }
    st.rcuLock = false;
  } else if (st.rcuLock && (meta.flags & KF.SLEEPABLE)) {
    env.fail(`kernel func ${name} is sleepable within rcu_read_lock region`);
  }
  if (meta.releaseRegno) {
    if (!releaseReference(env, regs[meta.releaseRegno].refObjId)) env.fail(`kfunc ${name}#${btfId} reference has not been acquired before`);
  }
  // bpf_rdonly_cast(obj, btf_id__k): the type id argument, read before the arguments are clobbered.
  const castId = name === 'bpf_rdonly_cast' && tisConst(regs[2].var) ? Number(regs[2].var.value) : -1;
  for (let i = 0; i <= 5; i++) { markNotInit(regs[i]); env.scratch.reg(i); }
  const r0 = regs[0];
  const ret = btf.resolve(btf.sizeOrType(proto));
  const retKind = btf.kind(ret);
  if ((meta.flags & KF.ACQUIRE) && !(retKind === KIND.PTR && btf.kind(btf.resolve(btf.sizeOrType(ret))) === KIND.STRUCT)) {
    env.fail('acquire kernel function does not return PTR_TO_BTF_ID');
  }
  if (isScalarKind(retKind)) {
    markUnknown(r0);
  } else if (retKind === KIND.PTR) {
    const target = btf.resolve(btf.sizeOrType(ret));
    const tk = btf.kind(target);
    const kern = name === 'bpf_cast_to_kern_ctx' ? KERN_CTX[env.progType] : undefined;
    const cast = castId > 0 && castId < btf.count && btf.kind(btf.resolve(castId)) === KIND.STRUCT ? btf.name(btf.resolve(castId)) : undefined;
    if (kern || cast) {
      // The kernel's context struct, trusted; or an untrusted view of any kernel struct.
      markKnownZero(r0);
      r0.type = T.BTF_ID;
      r0.btfName = kern ?? cast ?? '';
      r0.flags = kern ? F.TRUSTED : F.UNTRUSTED;
    } else if (target === 0 || name === 'bpf_rdonly_cast' || name === 'bpf_cast_to_kern_ctx' || name.startsWith('bpf_dynptr_slice')) {
      markUnknown(r0);
    } else if (tk !== KIND.STRUCT) {
      const size = btf.sizeof(target);
      if (!size) env.fail(`kernel function ${name} returns pointer type ${KIND_NAMES[tk]} ${btf.name(target)} is not supported`);
      markKnownZero(r0);
      r0.type = T.MEM;
      r0.flags = F.RDONLY;
      r0.memSize = size;
      if (meta.refObjId) r0.refObjId = meta.refObjId;
    } else {
      markKnownZero(r0);
      r0.type = T.BTF_ID;
      r0.btfName = btf.name(target);
      if (name === 'bpf_get_kmem_cache') r0.flags = F.UNTRUSTED;
      else if (meta.flags & KF.RCU_PROTECTED) r0.flags = F.RCU;
      if (meta.flags & KF.ITER_NEXT) r0.flags |= F.TRUSTED;
    }
    if (r0.type !== T.SCALAR) {
      if (meta.flags & KF.RET_NULL) { r0.flags |= F.MAYBE_NULL; r0.id = env.newId(); }
      if (meta.flags & KF.ACQUIRE) {
        const id = env.newId();
        st.refs.push({ id, insn: pc });
        if (meta.flags & KF.RET_NULL) r0.id = id;
        r0.refObjId = id;
      }
    }
  }
  if ((meta.flags & KF.ITER_NEXT) && meta.iter) out.iterNext = meta.iter;
  return out;
}

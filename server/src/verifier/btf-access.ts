/**
 * Loads through BTF pointers (the kernel's check_ptr_to_btf_access for reads):
 * bounds from the struct's BTF size, pointer fields to structs loaded as BTF
 * pointers with the kernel's trust flags (allowlisted trusted and RCU fields,
 * `__rcu` tags, untrusted staying untrusted), other fields as scalars.
 * Anonymous struct/union members are looked through. Non-goal: writes, named nested struct/array
 * member typing.
 */
import type { Env } from './env';
import { KIND, type Btf } from '../btf';
import { F, Reg, T, markKnownZero, markUnknown } from './reg';
import { tisConst, tstr } from './tnum';

/** Pointer fields the kernel trusts when walked (BTF_TYPE_SAFE_TRUSTED / _RCU / _RCU_OR_NULL / _TRUSTED_OR_NULL, 6.18). */
const SAFE: Record<string, Record<string, 'trusted' | 'trusted_or_null' | 'rcu' | 'rcu_or_null'>> = {
  task_struct: { cpus_ptr: 'rcu', cgroups: 'rcu', real_parent: 'rcu', group_leader: 'rcu' },
  cgroup: { kn: 'rcu' }, css_set: { dfl_cgrp: 'rcu' }, cgroup_subsys_state: { cgroup: 'rcu' },
  mm_struct: { exe_file: 'rcu_or_null' }, sk_buff: { sk: 'rcu_or_null' }, request_sock: { sk: 'rcu_or_null' },
  bpf_iter_meta: { seq: 'trusted' }, bpf_iter__task: { task: 'trusted' }, linux_binprm: { file: 'trusted' },
  file: { f_inode: 'trusted' }, dentry: { d_inode: 'trusted' },
  socket: { sk: 'trusted_or_null' }, vm_area_struct: { vm_mm: 'trusted_or_null', vm_file: 'trusted_or_null' },
};

/**
 * The flags of a pointer loaded from a BTF struct field (check_ptr_to_btf_access): untrusted stays
 * untrusted; from a trusted or RCU pointer, allowlisted fields are trusted or RCU, other `__rcu`
 * fields RCU and maybe NULL, the rest plain.
 */
function walkedFlags(env: Env, btf: Btf, base: Pick<Reg, 'flags' | 'refObjId' | 'btfName'>, field: string, pointee: number): number {
  if (base.flags & F.UNTRUSTED) return F.UNTRUSTED;
  const trusted = base.refObjId !== 0 || (base.flags & (F.TRUSTED | F.RCU)) !== 0;
  if (!trusted) return 0;
  const safe = SAFE[base.btfName]?.[field];
  if (safe === 'trusted') return F.TRUSTED;
  if (safe === 'trusted_or_null') return F.TRUSTED | F.MAYBE_NULL;
  // in_rcu_cs: non-sleepable programs always, sleepable ones inside bpf_rcu_read_lock().
  if ((base.flags & F.MAYBE_NULL) || (env.sleepable && !env.state.rcuLock)) return 0;
  if (safe === 'rcu') return F.RCU;
  let rcuTag = false;
  for (let t = pointee, n = 0; n < 16 && t; n++) {
    const k = btf.kind(t);
    if (k === KIND.TYPE_TAG && btf.name(t) === 'rcu') rcuTag = true;
    if (k !== KIND.TYPE_TAG && k !== KIND.CONST && k !== KIND.VOLATILE && k !== KIND.RESTRICT && k !== KIND.TYPEDEF) break;
    t = btf.sizeOrType(t);
  }
  if (safe === 'rcu_or_null' || rcuTag) return F.RCU | F.MAYBE_NULL;
  return 0;
}

/**
 * The pointer-to-struct member at bit offset `bit` of struct/union `sid`, looking through anonymous
 * struct and union members as btf_struct_walk does (bpf_iter_meta.seq sits in __bpf_md_ptr's
 * anonymous union): its name, its pointer's target type (tags kept) and the resolved pointee.
 */
function pointerMemberAt(btf: Btf, sid: number, bit: number, depth: number): { name: string; target: number; pointee: number } | undefined {
  if (depth > 8) return undefined;
  for (const m of btf.members(sid)) {
    if (m.bitSize) continue;
    const t = btf.resolve(m.type);
    const k = btf.kind(t);
    if (m.name === '' && (k === KIND.STRUCT || k === KIND.UNION)) {
      const size = (btf.sizeof(t) ?? 0) * 8;
      if (bit >= m.bitOffset && bit < m.bitOffset + size) {
        const inner = pointerMemberAt(btf, t, bit - m.bitOffset, depth + 1);
        if (inner) return inner;
      }
      continue;
    }
    if (m.bitOffset !== bit) continue;
    // The first member at the offset decides, as in the kernel's walk: a non-pointer one is a scalar.
    if (k !== KIND.PTR) return undefined;
    const target = btf.sizeOrType(t);
    const pointee = btf.resolve(target);
    return btf.kind(pointee) === KIND.STRUCT ? { name: m.name, target, pointee } : undefined;
  }
  return undefined;
}

/** check_ptr_to_btf_access for reads: bounds from the struct's BTF size; pointer members to structs stay BTF pointers. */
export function btfAccess(env: Env, regno: number, r: Reg, off: number, size: number, vr: number, write: boolean): void {
  if (!env.allowPtrLeaks) env.fail(`'struct ${r.btfName}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN`);
  if (!env.gpl) env.fail(`Cannot access kernel 'struct ${r.btfName}' from non-GPL compatible program`);
  if (off < 0) env.fail(`R${regno} is ptr_${r.btfName} invalid negative access: off=${off}`);
  if (!tisConst(r.var) || r.var.value !== 0n) env.fail(`R${regno} is ptr_${r.btfName} invalid variable offset: off=${off}, var_off=${tstr(r.var)}`);
  if (write) env.fail('only read is supported');
  const btf = env.btf;
  const sid = btf && r.btfName ? btf.find(r.btfName, KIND.STRUCT) : undefined;
  if (btf && sid !== undefined) {
    const total = btf.sizeof(sid) ?? 0;
    if (off + size > total) env.fail(`access beyond struct ${r.btfName} at off ${off} size ${size}`);
    if (vr >= 0) {
      // The destination may be the base register itself: keep what the walk depends on.
      const base = { flags: r.flags, refObjId: r.refObjId, btfName: r.btfName };
      markUnknown(env.regs[vr]);
      if (size !== 8) return;
      const m = pointerMemberAt(btf, sid, off * 8, 0);
      if (!m) return;
      const d = env.regs[vr];
      markKnownZero(d);
      d.type = T.BTF_ID;
      d.btfName = btf.name(m.pointee);
      d.flags = walkedFlags(env, btf, base, m.name, m.target);
      if (d.flags & F.MAYBE_NULL) d.id = env.newId();
    }
    return;
  }
  if (vr >= 0) markUnknown(env.regs[vr]);
}

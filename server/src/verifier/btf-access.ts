/**
 * Loads through BTF pointers (the kernel's check_ptr_to_btf_access for reads):
 * bounds from the struct's BTF size, pointer fields to structs loaded as BTF
 * pointers with the kernel's trust flags (allowlisted trusted and RCU fields,
 * `__rcu` tags, untrusted staying untrusted), other fields as scalars.
 * Nested struct and union members are walked into (btfWalk, shared with the helper argument
 * checks). Non-goal: writes, array member typing.
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

/** Where btf_struct_walk stops: the structs and unions entered and the member reached. */
export interface BtfWalk {
  /** The struct or union started from, then each one entered, with the byte offset looked for within it. */
  path: { id: number; off: number }[];
  /** The first member covering the offset that is not a struct or union (undefined in a hole or past the end). */
  member?: { name: string; type: number; off: number };
}

/**
 * btf_struct_walk's descent from struct or union `sid` to byte `off`: the first member covering
 * the offset decides (bitfields and empty members skipped); a struct or union member is entered
 * (named or anonymous: bpf_iter_meta.seq sits in __bpf_md_ptr's anonymous union, `&file->f_path`
 * is a struct path at 64 of struct file), anything else ends the walk there.
 */
export function btfWalk(btf: Btf, sid: number, off: number): BtfWalk {
  const path = [{ id: sid, off }];
  let id = sid;
  for (let depth = 0; depth < 32; depth++) {
    let entered = false;
    for (const m of btf.members(id)) {
      if (m.bitSize) continue;
      const start = m.bitOffset / 8;
      const t = btf.resolve(m.type);
      if (off < start || off >= start + (btf.sizeof(t) ?? 0)) continue;
      const k = btf.kind(t);
      off -= start;
      if (k !== KIND.STRUCT && k !== KIND.UNION) return { path, member: { name: m.name, type: m.type, off } };
      id = t;
      path.push({ id, off });
      entered = true;
      break;
    }
    if (!entered) break;
  }
  return { path };
}

/** The pointer-to-struct member at byte `off` of struct/union `sid` (btfWalk): its name, its pointer's target type (tags kept) and the resolved pointee. */
function pointerMemberAt(btf: Btf, sid: number, off: number): { name: string; target: number; pointee: number } | undefined {
  const m = btfWalk(btf, sid, off).member;
  if (!m || m.off !== 0) return undefined;
  const t = btf.resolve(m.type);
  if (btf.kind(t) !== KIND.PTR) return undefined;
  const target = btf.sizeOrType(t);
  const pointee = btf.resolve(target);
  return btf.kind(pointee) === KIND.STRUCT ? { name: m.name, target, pointee } : undefined;
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
      const m = pointerMemberAt(btf, sid, off);
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

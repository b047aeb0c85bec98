/**
 * The kfunc facts BTF does not carry: per-kfunc flags (KF_ACQUIRE, KF_RELEASE,
 * KF_RET_NULL, KF_TRUSTED_ARGS, KF_RCU, KF_ITER_*, KF_SLEEPABLE ...) and the
 * kfunc set each belongs to, with the program types each set is registered for
 * in Linux 6.18 (kernel/bpf/helpers.c, kernel/bpf/btf.c). Prototypes come from
 * the kernel BTF. Non-goal: the networking/HID/... sets; a kfunc not listed
 * here is checked with no flags and allowed in every program type.
 */
import type { ProgType } from './progtypes';

export const KF = {
  ACQUIRE: 1 << 0, RELEASE: 1 << 1, RET_NULL: 1 << 2, TRUSTED_ARGS: 1 << 4, SLEEPABLE: 1 << 5, DESTRUCTIVE: 1 << 6,
  RCU: 1 << 7, ITER_NEW: 1 << 8, ITER_NEXT: 1 << 9, ITER_DESTROY: 1 << 10, RCU_PROTECTED: 1 << 11,
} as const;

/** 'common': registered for BPF_PROG_TYPE_UNSPEC (every program type); 'generic': the hooks below. */
export type KfuncSet = 'common' | 'generic';

export interface KfuncInfo { flags: number; set: KfuncSet }

/** Program types whose kfunc hook has the generic set (tracing, tc, xdp, struct_ops, syscall, cgroup hooks). */
const GENERIC_TYPES = new Set<ProgType>([
  'tracing', 'tracepoint', 'perf_event', 'lsm', 'sched_cls', 'xdp', 'struct_ops', 'syscall',
  'cgroup_skb', 'cgroup_sock', 'cgroup_device', 'cgroup_sock_addr', 'cgroup_sockopt', 'cgroup_sysctl', 'sock_ops',
]);

const { ACQUIRE, RELEASE, RET_NULL, TRUSTED_ARGS, SLEEPABLE, RCU, ITER_NEW, ITER_NEXT, ITER_DESTROY, RCU_PROTECTED } = KF;

const GENERIC: Record<string, number> = {
  bpf_obj_new_impl: ACQUIRE | RET_NULL, bpf_percpu_obj_new_impl: ACQUIRE | RET_NULL,
  bpf_obj_drop_impl: RELEASE, bpf_percpu_obj_drop_impl: RELEASE, bpf_refcount_acquire_impl: ACQUIRE | RET_NULL | RCU,
  bpf_list_push_front_impl: 0, bpf_list_push_back_impl: 0, bpf_list_pop_front: ACQUIRE | RET_NULL, bpf_list_pop_back: ACQUIRE | RET_NULL,
  bpf_list_front: RET_NULL, bpf_list_back: RET_NULL,
  bpf_task_acquire: ACQUIRE | RCU | RET_NULL, bpf_task_release: RELEASE,
  bpf_rbtree_remove: ACQUIRE | RET_NULL, bpf_rbtree_add_impl: 0, bpf_rbtree_first: RET_NULL,
  bpf_rbtree_root: RET_NULL, bpf_rbtree_left: RET_NULL, bpf_rbtree_right: RET_NULL,
  bpf_cgroup_acquire: ACQUIRE | RCU | RET_NULL, bpf_cgroup_release: RELEASE, bpf_cgroup_ancestor: ACQUIRE | RCU | RET_NULL,
  bpf_cgroup_from_id: ACQUIRE | RET_NULL, bpf_task_under_cgroup: RCU, bpf_task_get_cgroup1: ACQUIRE | RCU | RET_NULL,
  bpf_task_from_pid: ACQUIRE | RET_NULL, bpf_task_from_vpid: ACQUIRE | RET_NULL,
  bpf_throw: 0, bpf_send_signal_task: TRUSTED_ARGS,
};

const COMMON: Record<string, number> = {
  bpf_cast_to_kern_ctx: 0, bpf_rdonly_cast: 0, bpf_rcu_read_lock: 0, bpf_rcu_read_unlock: 0,
  bpf_dynptr_slice: RET_NULL, bpf_dynptr_slice_rdwr: RET_NULL,
  bpf_iter_num_new: ITER_NEW, bpf_iter_num_next: ITER_NEXT | RET_NULL, bpf_iter_num_destroy: ITER_DESTROY,
  bpf_iter_task_vma_new: ITER_NEW | RCU, bpf_iter_task_vma_next: ITER_NEXT | RET_NULL, bpf_iter_task_vma_destroy: ITER_DESTROY,
  bpf_iter_css_task_new: ITER_NEW | TRUSTED_ARGS, bpf_iter_css_task_next: ITER_NEXT | RET_NULL, bpf_iter_css_task_destroy: ITER_DESTROY,
  bpf_iter_css_new: ITER_NEW | TRUSTED_ARGS | RCU_PROTECTED, bpf_iter_css_next: ITER_NEXT | RET_NULL, bpf_iter_css_destroy: ITER_DESTROY,
  bpf_iter_task_new: ITER_NEW | TRUSTED_ARGS | RCU_PROTECTED, bpf_iter_task_next: ITER_NEXT | RET_NULL, bpf_iter_task_destroy: ITER_DESTROY,
  bpf_iter_bits_new: ITER_NEW, bpf_iter_bits_next: ITER_NEXT | RET_NULL, bpf_iter_bits_destroy: ITER_DESTROY,
  bpf_dynptr_adjust: 0, bpf_dynptr_is_null: 0, bpf_dynptr_is_rdonly: 0, bpf_dynptr_size: 0, bpf_dynptr_clone: 0,
  bpf_preempt_disable: 0, bpf_preempt_enable: 0, bpf_copy_from_user_str: SLEEPABLE, bpf_get_kmem_cache: RET_NULL,
  bpf_local_irq_save: 0, bpf_local_irq_restore: 0,
};

const TABLE = new Map<string, KfuncInfo>([
  ...Object.entries(GENERIC).map(([n, flags]): [string, KfuncInfo] => [n, { flags, set: 'generic' }]),
  ...Object.entries(COMMON).map(([n, flags]): [string, KfuncInfo] => [n, { flags, set: 'common' }]),
]);

/** Flags and set of a kfunc by name; unknown kfuncs get no flags and the common set. */
export function kfuncInfo(name: string): KfuncInfo {
  return TABLE.get(name) ?? { flags: 0, set: 'common' };
}

/** btf_kfunc_id_set_contains: the program type's hook has the kfunc's set. */
export function kfuncAllowed(info: KfuncInfo, progType: ProgType): boolean {
  return info.set === 'common' || GENERIC_TYPES.has(progType);
}

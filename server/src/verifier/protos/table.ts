/**
 * The helper prototype table (facts from the 6.18 kernel's bpf_func_proto
 * definitions) and, per program type, the helper sets it consults. Set
 * membership is checked against the running kernel (availability fixture in
 * test/fixtures/verifier-tables). See protos/types.ts for the format. Data only.
 */
import type { ArgText, HelperProto, HelperSet, ProgTypeSets } from './types';

/** The three capability-gated parts of bpf_base_func_proto, consulted last by every program type. */
const BASE: readonly HelperSet[] = ['base', 'base_cap_bpf', 'base_perfmon'];
/** Network program types fall through bpf_sk_base_func_proto into bpf_base_func_proto. */
const SK_BASE: readonly HelperSet[] = ['sk_base', ...BASE];
/** Tracing program types fall through bpf_tracing_func_proto into bpf_base_func_proto. */
const TRACE_BASE: readonly HelperSet[] = ['tracing_common', ...BASE];

/**
 * Per program type: the helper sets consulted, most specific first (the kernel's *_func_proto chain).
 * Where the kernel's chain gives a type a helper through a `.allowed` callback or an attach-type test
 * (syscall programs reach tracing_prog_func_proto but are refused sk_storage and d_path), the
 * helper lists the type's own set instead (e.g. 'syscall'), so plain set membership stays exact.
 */
export const PROG_TYPE_SETS: ProgTypeSets = {
  socket_filter: ['sk_filter', ...SK_BASE],
  kprobe: ['kprobe', ...TRACE_BASE],
  tracepoint: ['tracepoint', ...TRACE_BASE],
  perf_event: ['perf_event', ...TRACE_BASE],
  raw_tracepoint: ['raw_tp', ...TRACE_BASE],
  raw_tracepoint_writable: ['raw_tp', ...TRACE_BASE],
  tracing: ['tracing', 'raw_tp', ...TRACE_BASE],
  lsm: ['lsm', 'tracing', 'raw_tp', ...TRACE_BASE],
  sched_cls: ['tc', ...SK_BASE],
  sched_act: ['tc', ...SK_BASE],
  xdp: ['xdp', ...SK_BASE],
  cgroup_skb: ['cg_skb', 'sk_filter', ...SK_BASE],
  cgroup_sock: ['sock_filter', 'cgroup_common', ...BASE],
  cgroup_sock_addr: ['sock_addr', 'cgroup_common', ...SK_BASE],
  cgroup_device: ['cgroup_dev', 'cgroup_common', ...BASE],
  cgroup_sysctl: ['sysctl', 'cgroup_common', ...BASE],
  cgroup_sockopt: ['sockopt', 'cgroup_common', ...BASE],
  sock_ops: ['sock_ops', ...SK_BASE],
  sk_skb: ['sk_skb', ...SK_BASE],
  sk_msg: ['sk_msg', ...SK_BASE],
  lwt_in: ['lwt', ...SK_BASE],
  lwt_out: ['lwt', ...SK_BASE],
  lwt_xmit: ['lwt', ...SK_BASE],
  lwt_seg6local: ['lwt', ...SK_BASE],
  flow_dissector: ['flow_dissector', ...SK_BASE],
  sk_lookup: ['sk_lookup', ...SK_BASE],
  sk_reuseport: ['sk_reuseport', ...BASE],
  syscall: ['syscall', ...TRACE_BASE],
  struct_ops: ['struct_ops', 'tracing', ...TRACE_BASE],
  ext: [],
  lirc_mode2: [...BASE],
  netfilter: [...SK_BASE],
};

/**
 * Helpers bpf_sk_base_func_proto hands out only with CAP_PERFMON (the skc_to_* casts): in the
 * CAP_BPF-only mode they are unavailable to network programs although 'sk_base' lists them.
 */
export const SK_BASE_NEEDS_PERFMON: ReadonlySet<string> = new Set([
  'skc_to_tcp6_sock', 'skc_to_tcp_sock', 'skc_to_tcp_timewait_sock', 'skc_to_tcp_request_sock',
  'skc_to_udp6_sock', 'skc_to_unix_sock', 'skc_to_mptcp_sock',
]);

/**
 * Helpers with `.might_sleep` (the schema has no field for it): only sleepable programs may call
 * them, others get "helper call might sleep in a non-sleepable prog".
 */
export const MIGHT_SLEEP: ReadonlySet<string> = new Set(['copy_from_user', 'copy_from_user_task']);

// Argument spellings used often (kernel: ARG_PTR_TO_MEM | MEM_RDONLY, ARG_PTR_TO_UNINIT_MEM, ...).
const CTX: ArgText = 'ARG_PTR_TO_CTX';
const ANY: ArgText = 'ARG_ANYTHING';
const MAP: ArgText = 'ARG_CONST_MAP_PTR';
const KEY: ArgText = 'ARG_PTR_TO_MAP_KEY';
const MEM_RO: ArgText = 'ARG_PTR_TO_MEM | MEM_RDONLY';
const MEM_RO_NULL: ArgText = 'ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY';
const UNINIT: ArgText = 'ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE';
const SIZE: ArgText = 'ARG_CONST_SIZE';
const SIZE0: ArgText = 'ARG_CONST_SIZE_OR_ZERO';
const BTF: ArgText = 'ARG_PTR_TO_BTF_ID';
const BTF_NULL: ArgText = 'ARG_PTR_TO_BTF_ID | PTR_MAYBE_NULL';
const SOCK_COMMON: ArgText = 'ARG_PTR_TO_SOCK_COMMON';
const BTF_SOCK: ArgText = 'ARG_PTR_TO_BTF_ID_SOCK_COMMON';
const VALUE_NULL: ArgText = 'ARG_PTR_TO_MAP_VALUE | PTR_MAYBE_NULL';
const STACK_NULL: ArgText = 'ARG_PTR_TO_STACK | PTR_MAYBE_NULL';
/** ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED: an aligned out-parameter (what ARG_PTR_TO_LONG became). */
const OUT_FIXED: ArgText = 'ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED';
const DYNPTR_RO: ArgText = 'ARG_PTR_TO_DYNPTR | MEM_RDONLY';
const TIMER: ArgText = 'ARG_PTR_TO_TIMER';

// Sets of network program types that share a helper.
/** Socket lookups: tc, xdp, sk_skb, cg_skb, sock_addr. */
const SK_LOOKUP_SETS: readonly HelperSet[] = ['tc', 'xdp', 'sk_skb', 'cg_skb', 'sock_addr'];
/**
 * The skb-writing helpers of tc that lwt_xmit also has. The schema has one 'lwt' set for the
 * lwt_in/lwt_out common part (lwt_out_func_proto), so lwt_xmit's extra helpers are not modelled.
 */
const TC_LWT: readonly HelperSet[] = ['tc'];
/** Every tracing program type (each has its own proto variant in the kernel). */
const TRACE_TYPES: readonly HelperSet[] = ['kprobe', 'tracepoint', 'perf_event', 'raw_tp', 'syscall'];
/** tp_btf/fentry/iter and syscall programs (tracing_prog_func_proto). */
const BTF_TRACING: readonly HelperSet[] = ['tracing', 'syscall'];
/** The syncookie and fib helpers of tc and xdp. */
const TC_XDP: readonly HelperSet[] = ['tc', 'xdp'];
/** The sock_ops/sock_addr socket-option helpers. */
const SOCKOPT_SETS: readonly HelperSet[] = ['sock_addr', 'sock_ops'];

/** The helpers whose only variant takes nothing and returns an integer, by set. */
function noArgs(name: string, sets: readonly HelperSet[], gplOnly = false): HelperProto {
  return { name, ret: 'RET_INTEGER', args: [], sets, ...(gplOnly ? { gplOnly } : {}) };
}

/** probe_read-style copies: (dst, size, unsafe_ptr), gpl_only. */
function probeRead(name: string, sets: readonly HelperSet[]): HelperProto {
  return { name, ret: 'RET_INTEGER', args: [UNINIT, SIZE0, ANY], gplOnly: true, sets };
}

/** skc_to_* casts: a BTF sock_common pointer in, a BTF pointer to `struct` or NULL out. */
function skcTo(name: string, struct: string): HelperProto {
  return { name, ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: [BTF_SOCK], retBtfStruct: struct, sets: ['sk_base', ...BTF_TRACING] };
}

/** Helper prototypes, keyed by name (without `bpf_`). */
export const HELPER_PROTOS: readonly HelperProto[] = [
  // --- maps ---
  { name: 'map_lookup_elem', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [MAP, KEY], pktAccess: true, sets: ['base'] },
  { name: 'map_update_elem', ret: 'RET_INTEGER', args: [MAP, KEY, 'ARG_PTR_TO_MAP_VALUE', ANY], pktAccess: true, sets: ['base'] },
  { name: 'map_delete_elem', ret: 'RET_INTEGER', args: [MAP, KEY], pktAccess: true, sets: ['base'] },
  { name: 'map_push_elem', ret: 'RET_INTEGER', args: [MAP, 'ARG_PTR_TO_MAP_VALUE', ANY], pktAccess: true, sets: ['base'] },
  { name: 'map_pop_elem', ret: 'RET_INTEGER', args: [MAP, 'ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE'], sets: ['base'] },
  { name: 'map_peek_elem', ret: 'RET_INTEGER', args: [MAP, 'ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE'], sets: ['base'] },
  { name: 'map_lookup_percpu_elem', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [MAP, KEY, ANY], pktAccess: true, sets: ['base'] },
  { name: 'for_each_map_elem', ret: 'RET_INTEGER', args: [MAP, 'ARG_PTR_TO_FUNC', STACK_NULL, ANY], sets: ['base_cap_bpf'] },
  { name: 'tail_call', ret: 'RET_VOID', args: [CTX, MAP, ANY], sets: ['base'] },
  { name: 'get_local_storage', ret: 'RET_PTR_TO_MAP_VALUE', args: [MAP, ANY], sets: ['cg_skb', 'cgroup_common', 'sock_ops'] },
  {
    name: 'sk_storage_get', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [MAP, BTF_SOCK, VALUE_NULL, ANY],
    sets: ['tc', 'cg_skb', 'sock_filter', 'sock_addr', 'sock_ops', 'sk_msg', 'sockopt', 'tracing'],
  },
  { name: 'sk_storage_delete', ret: 'RET_INTEGER', args: [MAP, BTF_SOCK], sets: ['tc', 'cg_skb', 'sock_addr', 'sock_ops', 'sk_msg', 'sockopt', 'tracing'] },
  {
    name: 'task_storage_get', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [MAP, BTF_NULL, VALUE_NULL, ANY],
    argBtfStruct: [undefined, 'task_struct'], sets: ['base_cap_bpf'],
  },
  { name: 'task_storage_delete', ret: 'RET_INTEGER', args: [MAP, BTF_NULL], argBtfStruct: [undefined, 'task_struct'], sets: ['base_cap_bpf'] },
  {
    name: 'cgrp_storage_get', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [MAP, BTF_NULL, VALUE_NULL, ANY],
    argBtfStruct: [undefined, 'cgroup'], sets: ['base_cap_bpf'],
  },
  { name: 'cgrp_storage_delete', ret: 'RET_INTEGER', args: [MAP, BTF_NULL], argBtfStruct: [undefined, 'cgroup'], sets: ['base_cap_bpf'] },
  {
    name: 'inode_storage_get', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [MAP, BTF_NULL, VALUE_NULL, ANY],
    argBtfStruct: [undefined, 'inode'], sets: ['lsm'],
  },
  { name: 'inode_storage_delete', ret: 'RET_INTEGER', args: [MAP, BTF_NULL], argBtfStruct: [undefined, 'inode'], sets: ['lsm'] },
  { name: 'current_task_under_cgroup', ret: 'RET_INTEGER', args: [MAP, ANY], sets: ['base_cap_bpf'] },
  { name: 'skb_under_cgroup', ret: 'RET_INTEGER', args: [CTX, MAP, ANY], sets: ['tc', 'lwt'] },
  { name: 'kptr_xchg', ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: ['ARG_PTR_TO_KPTR', 'ARG_PTR_TO_BTF_ID | PTR_MAYBE_NULL | OBJ_RELEASE'], acquire: true, sets: ['base_cap_bpf'] },
  { name: 'per_cpu_ptr', ret: 'RET_PTR_TO_MEM_OR_BTF_ID_OR_NULL', args: ['ARG_PTR_TO_PERCPU_BTF_ID', ANY], sets: ['base_cap_bpf'] },
  { name: 'this_cpu_ptr', ret: 'RET_PTR_TO_MEM_OR_BTF_ID', args: ['ARG_PTR_TO_PERCPU_BTF_ID'], sets: ['base_cap_bpf'] },

  // --- time, ids, misc ---
  noArgs('ktime_get_ns', ['base']),
  noArgs('ktime_get_boot_ns', ['base']),
  noArgs('ktime_get_tai_ns', ['base']),
  noArgs('ktime_get_coarse_ns', ['sk_base', 'sock_filter', 'sysctl', 'sk_reuseport']),
  noArgs('jiffies64', ['base_cap_bpf']),
  noArgs('get_prandom_u32', ['base']),
  noArgs('get_smp_processor_id', ['base']),
  noArgs('get_numa_node_id', ['base']),
  noArgs('get_current_pid_tgid', ['base']),
  noArgs('get_current_uid_gid', ['base_cap_bpf']),
  noArgs('get_current_cgroup_id', ['base_cap_bpf']),
  { name: 'get_current_ancestor_cgroup_id', ret: 'RET_INTEGER', args: [ANY], sets: ['base_cap_bpf'] },
  { name: 'get_ns_current_pid_tgid', ret: 'RET_INTEGER', args: [ANY, ANY, UNINIT, SIZE], sets: ['base'] },
  // The base variant (current task) takes no argument; tc's takes the skb (ARG_PTR_TO_CTX).
  noArgs('get_cgroup_classid', ['base_cap_bpf']),
  { name: 'get_current_comm', ret: 'RET_INTEGER', args: [UNINIT, SIZE], sets: ['base_perfmon'] },
  noArgs('get_current_task', ['base_perfmon'], true),
  { name: 'get_current_task_btf', ret: 'RET_PTR_TO_BTF_ID_TRUSTED', args: [], retBtfStruct: 'task_struct', gplOnly: true, sets: ['base_perfmon'] },
  { name: 'task_pt_regs', ret: 'RET_PTR_TO_BTF_ID', args: [BTF], argBtfStruct: ['task_struct'], retBtfStruct: 'pt_regs', gplOnly: true, sets: ['base_perfmon'] },
  { name: 'strncmp', ret: 'RET_INTEGER', args: [MEM_RO, SIZE, 'ARG_PTR_TO_CONST_STR'], sets: ['base'] },
  { name: 'strtol', ret: 'RET_INTEGER', args: [MEM_RO, SIZE, ANY, OUT_FIXED], argSize: [undefined, undefined, undefined, 8], sets: ['base'] },
  { name: 'strtoul', ret: 'RET_INTEGER', args: [MEM_RO, SIZE, ANY, OUT_FIXED], argSize: [undefined, undefined, undefined, 8], sets: ['base'] },
  { name: 'loop', ret: 'RET_INTEGER', args: [ANY, 'ARG_PTR_TO_FUNC', STACK_NULL, ANY], sets: ['base_cap_bpf'] },
  { name: 'spin_lock', ret: 'RET_VOID', args: ['ARG_PTR_TO_SPIN_LOCK'], sets: ['base_cap_bpf'] },
  { name: 'spin_unlock', ret: 'RET_VOID', args: ['ARG_PTR_TO_SPIN_LOCK'], sets: ['base_cap_bpf'] },
  { name: 'timer_init', ret: 'RET_INTEGER', args: [TIMER, MAP, ANY], gplOnly: true, sets: ['base_cap_bpf'] },
  { name: 'timer_set_callback', ret: 'RET_INTEGER', args: [TIMER, 'ARG_PTR_TO_FUNC'], gplOnly: true, sets: ['base_cap_bpf'] },
  { name: 'timer_start', ret: 'RET_INTEGER', args: [TIMER, ANY, ANY], gplOnly: true, sets: ['base_cap_bpf'] },
  { name: 'timer_cancel', ret: 'RET_INTEGER', args: [TIMER], gplOnly: true, sets: ['base_cap_bpf'] },
  { name: 'send_signal', ret: 'RET_INTEGER', args: [ANY], sets: ['base_perfmon'] },
  { name: 'send_signal_thread', ret: 'RET_INTEGER', args: [ANY], sets: ['base_perfmon'] },

  // --- output, printing ---
  { name: 'trace_printk', ret: 'RET_INTEGER', args: [MEM_RO, SIZE], gplOnly: true, sets: ['base_perfmon'] },
  { name: 'trace_vprintk', ret: 'RET_INTEGER', args: [MEM_RO, SIZE, MEM_RO_NULL, SIZE0], gplOnly: true, sets: ['base_perfmon'] },
  {
    name: 'snprintf', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_WRITE', SIZE0, 'ARG_PTR_TO_CONST_STR', MEM_RO_NULL, SIZE0],
    gplOnly: true, sets: ['base_perfmon'],
  },
  { name: 'snprintf_btf', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_MEM | MEM_WRITE', SIZE, MEM_RO, SIZE, ANY], sets: ['base_perfmon'] },
  {
    name: 'perf_event_output', ret: 'RET_INTEGER', args: [CTX, MAP, ANY, MEM_RO, SIZE0], gplOnly: true,
    sets: [...TRACE_TYPES, 'sk_filter', 'tc', 'xdp', 'lwt', 'sock_filter', 'sock_addr', 'sock_ops', 'sk_skb', 'sk_msg',
      'cgroup_dev', 'sysctl', 'sockopt', 'sk_lookup'],
  },
  {
    name: 'skb_output', ret: 'RET_INTEGER', args: [BTF, MAP, ANY, MEM_RO, SIZE0], argBtfStruct: ['sk_buff'], gplOnly: true,
    sets: BTF_TRACING,
  },
  {
    name: 'xdp_output', ret: 'RET_INTEGER', args: [BTF, MAP, ANY, MEM_RO, SIZE0], argBtfStruct: ['xdp_buff'], gplOnly: true,
    sets: BTF_TRACING,
  },
  { name: 'ringbuf_output', ret: 'RET_INTEGER', args: [MAP, MEM_RO, SIZE0, ANY], sets: ['base'] },
  { name: 'ringbuf_reserve', ret: 'RET_PTR_TO_MEM_OR_NULL', args: [MAP, 'ARG_CONST_ALLOC_SIZE_OR_ZERO', ANY], retSizeArg: 2, acquire: true, sets: ['base'] },
  { name: 'ringbuf_submit', ret: 'RET_VOID', args: ['ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE', ANY], sets: ['base'] },
  { name: 'ringbuf_discard', ret: 'RET_VOID', args: ['ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE', ANY], sets: ['base'] },
  { name: 'ringbuf_query', ret: 'RET_INTEGER', args: [MAP, ANY], sets: ['base'] },
  {
    name: 'ringbuf_reserve_dynptr', ret: 'RET_INTEGER', args: [MAP, ANY, ANY, 'ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | MEM_UNINIT | MEM_WRITE'],
    sets: ['base_cap_bpf'],
  },
  { name: 'ringbuf_submit_dynptr', ret: 'RET_VOID', args: ['ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | OBJ_RELEASE', ANY], sets: ['base_cap_bpf'] },
  { name: 'ringbuf_discard_dynptr', ret: 'RET_VOID', args: ['ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | OBJ_RELEASE', ANY], sets: ['base_cap_bpf'] },
  { name: 'user_ringbuf_drain', ret: 'RET_INTEGER', args: [MAP, 'ARG_PTR_TO_FUNC', STACK_NULL, ANY], sets: ['base_cap_bpf'] },
  { name: 'dynptr_from_mem', ret: 'RET_INTEGER', args: [UNINIT, SIZE0, ANY, 'ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_LOCAL | MEM_UNINIT | MEM_WRITE'], sets: ['base_cap_bpf'] },
  { name: 'dynptr_read', ret: 'RET_INTEGER', args: [UNINIT, SIZE0, DYNPTR_RO, ANY, ANY], sets: ['base_cap_bpf'] },
  { name: 'dynptr_write', ret: 'RET_INTEGER', args: [DYNPTR_RO, ANY, MEM_RO, SIZE0, ANY], sets: ['base_cap_bpf'] },
  { name: 'dynptr_data', ret: 'RET_PTR_TO_DYNPTR_MEM_OR_NULL', args: [DYNPTR_RO, ANY, 'ARG_CONST_ALLOC_SIZE_OR_ZERO'], retSizeArg: 3, sets: ['base_cap_bpf'] },

  // --- tracing: memory reads, stacks, perf ---
  probeRead('probe_read', ['tracing_common']),
  probeRead('probe_read_str', ['tracing_common']),
  probeRead('probe_read_user', ['base_perfmon']),
  probeRead('probe_read_kernel', ['base_perfmon']),
  probeRead('probe_read_user_str', ['base_perfmon']),
  probeRead('probe_read_kernel_str', ['base_perfmon']),
  { name: 'copy_from_user', ret: 'RET_INTEGER', args: [UNINIT, SIZE0, ANY], sets: ['base_perfmon'] },
  {
    name: 'copy_from_user_task', ret: 'RET_INTEGER', args: [UNINIT, SIZE0, ANY, BTF, ANY], argBtfStruct: [undefined, undefined, undefined, 'task_struct'],
    gplOnly: true, sets: ['base_perfmon'],
  },
  // Refused by the kernel under lockdown=integrity (LOCKDOWN_BPF_WRITE_USER).
  { name: 'probe_write_user', ret: 'RET_INTEGER', args: [ANY, MEM_RO, SIZE], gplOnly: true, sets: ['tracing_common'] },
  // Only with CONFIG_BPF_KPROBE_OVERRIDE.
  { name: 'override_return', ret: 'RET_INTEGER', args: [CTX, ANY], gplOnly: true, sets: ['kprobe'] },
  { name: 'get_stackid', ret: 'RET_INTEGER', args: [CTX, MAP, ANY], gplOnly: true, sets: ['tracing_common'] },
  { name: 'get_stack', ret: 'RET_INTEGER', args: [CTX, UNINIT, SIZE0, ANY], gplOnly: true, sets: ['tracing_common'] },
  { name: 'get_task_stack', ret: 'RET_INTEGER', args: [BTF, UNINIT, SIZE0, ANY], argBtfStruct: ['task_struct'], sets: ['base_perfmon'] },
  { name: 'get_func_ip', ret: 'RET_INTEGER', args: [CTX], gplOnly: true, sets: ['tracing_common'] },
  { name: 'get_attach_cookie', ret: 'RET_INTEGER', args: [CTX], sets: ['kprobe', 'tracepoint', 'perf_event', 'raw_tp'] },
  {
    name: 'get_func_arg', ret: 'RET_INTEGER', args: [CTX, ANY, OUT_FIXED], argSize: [undefined, undefined, 8], sets: ['tracing'],
    attachTypes: ['trace_fentry', 'trace_fexit', 'modify_return'],
  },
  {
    name: 'get_func_ret', ret: 'RET_INTEGER', args: [CTX, OUT_FIXED], argSize: [undefined, 8], sets: ['tracing'],
    attachTypes: ['trace_fexit', 'modify_return'],
  },
  { name: 'get_func_arg_cnt', ret: 'RET_INTEGER', args: [CTX], sets: ['tracing'], attachTypes: ['trace_fentry', 'trace_fexit', 'modify_return'] },
  { name: 'perf_event_read', ret: 'RET_INTEGER', args: [MAP, ANY], gplOnly: true, sets: ['base_perfmon'] },
  { name: 'perf_event_read_value', ret: 'RET_INTEGER', args: [MAP, ANY, UNINIT, SIZE], gplOnly: true, sets: ['base_perfmon'] },
  { name: 'perf_prog_read_value', ret: 'RET_INTEGER', args: [CTX, UNINIT, SIZE], gplOnly: true, sets: ['perf_event'] },
  { name: 'read_branch_records', ret: 'RET_INTEGER', args: [CTX, 'ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_WRITE', SIZE0, ANY], gplOnly: true, sets: ['perf_event'] },
  { name: 'get_branch_snapshot', ret: 'RET_INTEGER', args: [UNINIT, SIZE0], gplOnly: true, sets: ['base_perfmon'] },
  {
    name: 'find_vma', ret: 'RET_INTEGER', args: [BTF, ANY, 'ARG_PTR_TO_FUNC', STACK_NULL, ANY], argBtfStruct: ['task_struct'],
    sets: ['base_perfmon'],
  },
  {
    name: 'd_path', ret: 'RET_INTEGER', args: [BTF, 'ARG_PTR_TO_MEM | MEM_WRITE', SIZE0], argBtfStruct: ['path'],
    sets: ['tracing'], attachTypes: ['trace_fentry', 'trace_fexit', 'modify_return', 'lsm_mac', 'trace_iter'],
  },
  { name: 'sock_from_file', ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: [BTF], argBtfStruct: ['file'], retBtfStruct: 'socket', sets: BTF_TRACING },
  {
    name: 'seq_printf', ret: 'RET_INTEGER', args: [BTF, MEM_RO, SIZE, MEM_RO_NULL, SIZE0], argBtfStruct: ['seq_file'], gplOnly: true,
    sets: ['tracing'], attachTypes: ['trace_iter'],
  },
  { name: 'seq_write', ret: 'RET_INTEGER', args: [BTF, MEM_RO, SIZE0], argBtfStruct: ['seq_file'], gplOnly: true, sets: ['tracing'], attachTypes: ['trace_iter'] },
  { name: 'seq_printf_btf', ret: 'RET_INTEGER', args: [BTF, MEM_RO, SIZE0, ANY], argBtfStruct: ['seq_file'], gplOnly: true, sets: ['tracing'], attachTypes: ['trace_iter'] },
  { name: 'bprm_opts_set', ret: 'RET_INTEGER', args: [BTF, ANY], argBtfStruct: ['linux_binprm'], sets: ['lsm'] },

  // --- syscall programs ---
  { name: 'sys_bpf', ret: 'RET_INTEGER', args: [ANY, MEM_RO, SIZE], sets: ['syscall'] },
  { name: 'btf_find_by_name_kind', ret: 'RET_INTEGER', args: [MEM_RO, SIZE, ANY, ANY], sets: ['syscall'] },
  { name: 'sys_close', ret: 'RET_INTEGER', args: [ANY], sets: ['syscall'] },
  { name: 'kallsyms_lookup_name', ret: 'RET_INTEGER', args: [MEM_RO, SIZE, ANY, OUT_FIXED], argSize: [undefined, undefined, undefined, 8], sets: ['syscall'] },

  // --- skb: bytes, checksums, metadata ---
  { name: 'skb_load_bytes', ret: 'RET_INTEGER', args: [CTX, ANY, UNINIT, SIZE], sets: ['sk_filter', 'tc', 'sk_skb', 'flow_dissector', 'lwt', 'sk_reuseport'] },
  { name: 'skb_load_bytes_relative', ret: 'RET_INTEGER', args: [CTX, ANY, UNINIT, SIZE, ANY], sets: ['sk_filter', 'tc', 'sk_reuseport'] },
  { name: 'skb_store_bytes', ret: 'RET_INTEGER', args: [CTX, ANY, MEM_RO, SIZE, ANY], changesPktData: true, sets: ['tc', 'sk_skb'] },
  { name: 'l3_csum_replace', ret: 'RET_INTEGER', args: [CTX, ANY, ANY, ANY, ANY], changesPktData: true, sets: TC_LWT },
  { name: 'l4_csum_replace', ret: 'RET_INTEGER', args: [CTX, ANY, ANY, ANY, ANY], changesPktData: true, sets: TC_LWT },
  { name: 'csum_diff', ret: 'RET_INTEGER', args: [MEM_RO_NULL, SIZE0, MEM_RO_NULL, SIZE0, ANY], pktAccess: true, sets: ['tc', 'xdp', 'lwt'] },
  { name: 'csum_update', ret: 'RET_INTEGER', args: [CTX, ANY], sets: TC_LWT },
  { name: 'csum_level', ret: 'RET_INTEGER', args: [CTX, ANY], sets: TC_LWT },
  { name: 'get_hash_recalc', ret: 'RET_INTEGER', args: [CTX], sets: ['tc', 'lwt'] },
  { name: 'set_hash_invalid', ret: 'RET_INTEGER', args: [CTX], sets: TC_LWT },
  { name: 'set_hash', ret: 'RET_INTEGER', args: [CTX, ANY], sets: ['tc'] },
  { name: 'get_route_realm', ret: 'RET_INTEGER', args: [CTX], sets: ['tc', 'lwt'] },
  { name: 'skb_cgroup_classid', ret: 'RET_INTEGER', args: [CTX], sets: ['tc'] },
  { name: 'skb_cgroup_id', ret: 'RET_INTEGER', args: [CTX], sets: ['tc', 'cg_skb'] },
  { name: 'skb_ancestor_cgroup_id', ret: 'RET_INTEGER', args: [CTX, ANY], sets: ['tc', 'cg_skb'] },
  { name: 'skb_ecn_set_ce', ret: 'RET_INTEGER', args: [CTX], sets: ['tc', 'cg_skb'] },
  { name: 'skb_set_tstamp', ret: 'RET_INTEGER', args: [CTX, ANY, ANY], sets: ['tc'] },
  { name: 'get_socket_uid', ret: 'RET_INTEGER', args: [CTX], sets: ['sk_filter', 'tc', 'sk_skb'] },
  // Network variants take the ctx; the tracing variant takes a BTF sock_common (ARG_PTR_TO_BTF_ID_SOCK_COMMON).
  { name: 'get_socket_cookie', ret: 'RET_INTEGER', args: [CTX], sets: ['sk_filter', 'tc', 'sk_skb', 'sock_filter', 'sock_addr', 'sock_ops', 'sk_reuseport', ...BTF_TRACING] },
  { name: 'get_netns_cookie', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX | PTR_MAYBE_NULL'], sets: ['sk_filter', 'tc', 'sock_filter', 'sock_addr', 'sock_ops', 'sk_msg', 'sockopt'] },
  { name: 'skb_get_tunnel_key', ret: 'RET_INTEGER', args: [CTX, UNINIT, SIZE, ANY], sets: TC_LWT },
  { name: 'skb_set_tunnel_key', ret: 'RET_INTEGER', args: [CTX, MEM_RO, SIZE, ANY], sets: TC_LWT },
  { name: 'skb_get_tunnel_opt', ret: 'RET_INTEGER', args: [CTX, UNINIT, SIZE], sets: TC_LWT },
  { name: 'skb_set_tunnel_opt', ret: 'RET_INTEGER', args: [CTX, MEM_RO, SIZE], sets: TC_LWT },
  { name: 'skb_get_xfrm_state', ret: 'RET_INTEGER', args: [CTX, ANY, UNINIT, SIZE, ANY], sets: ['tc'] },

  // --- skb: reshaping (invalidate packet pointers) ---
  { name: 'skb_vlan_push', ret: 'RET_INTEGER', args: [CTX, ANY, ANY], changesPktData: true, sets: ['tc'] },
  { name: 'skb_vlan_pop', ret: 'RET_INTEGER', args: [CTX], changesPktData: true, sets: ['tc'] },
  { name: 'skb_change_proto', ret: 'RET_INTEGER', args: [CTX, ANY, ANY], changesPktData: true, sets: ['tc'] },
  { name: 'skb_change_type', ret: 'RET_INTEGER', args: [CTX, ANY], sets: ['tc'] },
  { name: 'skb_change_tail', ret: 'RET_INTEGER', args: [CTX, ANY, ANY], changesPktData: true, sets: ['tc', 'sk_skb'] },
  { name: 'skb_change_head', ret: 'RET_INTEGER', args: [CTX, ANY, ANY], changesPktData: true, sets: ['tc', 'sk_skb'] },
  { name: 'skb_pull_data', ret: 'RET_INTEGER', args: [CTX, ANY], changesPktData: true, sets: ['tc', 'sk_skb', 'lwt'] },
  { name: 'skb_adjust_room', ret: 'RET_INTEGER', args: [CTX, ANY, ANY, ANY], changesPktData: true, sets: ['tc', 'sk_skb'] },
  { name: 'lwt_push_encap', ret: 'RET_INTEGER', args: [CTX, ANY, MEM_RO, SIZE], changesPktData: true, sets: ['lwt'] },

  // --- redirects ---
  { name: 'redirect', ret: 'RET_INTEGER', args: [ANY, ANY], sets: ['tc', 'xdp'] },
  { name: 'redirect_map', ret: 'RET_INTEGER', args: [MAP, ANY, ANY], sets: ['xdp'] },
  { name: 'clone_redirect', ret: 'RET_INTEGER', args: [CTX, ANY, ANY], changesPktData: true, sets: TC_LWT },
  { name: 'redirect_neigh', ret: 'RET_INTEGER', args: [ANY, MEM_RO_NULL, SIZE0, ANY], sets: ['tc'] },
  { name: 'redirect_peer', ret: 'RET_INTEGER', args: [ANY, ANY], sets: ['tc'] },
  { name: 'fib_lookup', ret: 'RET_INTEGER', args: [CTX, 'ARG_PTR_TO_MEM | MEM_WRITE', SIZE, ANY], gplOnly: true, sets: TC_XDP },
  {
    name: 'check_mtu', ret: 'RET_INTEGER', args: [CTX, ANY, 'ARG_PTR_TO_FIXED_SIZE_MEM | MEM_WRITE | MEM_ALIGNED', ANY, ANY],
    argSize: [undefined, undefined, 4], gplOnly: true, sets: TC_XDP,
  },

  // --- xdp ---
  { name: 'xdp_adjust_head', ret: 'RET_INTEGER', args: [CTX, ANY], changesPktData: true, sets: ['xdp'] },
  { name: 'xdp_adjust_meta', ret: 'RET_INTEGER', args: [CTX, ANY], changesPktData: true, sets: ['xdp'] },
  { name: 'xdp_adjust_tail', ret: 'RET_INTEGER', args: [CTX, ANY], changesPktData: true, sets: ['xdp'] },
  { name: 'xdp_get_buff_len', ret: 'RET_INTEGER', args: [CTX], sets: ['xdp', ...BTF_TRACING] },
  { name: 'xdp_load_bytes', ret: 'RET_INTEGER', args: [CTX, ANY, UNINIT, SIZE], sets: ['xdp'] },
  { name: 'xdp_store_bytes', ret: 'RET_INTEGER', args: [CTX, ANY, MEM_RO, SIZE], sets: ['xdp'] },

  // --- sockets ---
  {
    name: 'sk_lookup_tcp', ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: [CTX, MEM_RO, SIZE, ANY, ANY],
    pktAccess: true, acquire: true, sets: SK_LOOKUP_SETS,
  },
  {
    name: 'sk_lookup_udp', ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: [CTX, MEM_RO, SIZE, ANY, ANY],
    pktAccess: true, acquire: true, sets: SK_LOOKUP_SETS,
  },
  {
    name: 'skc_lookup_tcp', ret: 'RET_PTR_TO_SOCK_COMMON_OR_NULL', args: [CTX, MEM_RO, SIZE, ANY, ANY],
    pktAccess: true, acquire: true, sets: SK_LOOKUP_SETS,
  },
  { name: 'sk_release', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE'], sets: [...SK_LOOKUP_SETS, 'sk_lookup'] },
  { name: 'sk_fullsock', ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: [SOCK_COMMON], sets: ['tc', 'cg_skb'] },
  { name: 'tcp_sock', ret: 'RET_PTR_TO_TCP_SOCK_OR_NULL', args: [SOCK_COMMON], sets: ['tc', 'cg_skb', 'sock_ops', 'sockopt'] },
  { name: 'get_listener_sock', ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: [SOCK_COMMON], sets: ['tc', 'cg_skb'] },
  { name: 'sk_cgroup_id', ret: 'RET_INTEGER', args: [BTF_SOCK], sets: ['cg_skb'] },
  { name: 'sk_ancestor_cgroup_id', ret: 'RET_INTEGER', args: [BTF_SOCK, ANY], sets: ['cg_skb'] },
  // tc's variant; sk_lookup's takes 'ARG_PTR_TO_SOCKET | PTR_MAYBE_NULL' as arg 2.
  { name: 'sk_assign', ret: 'RET_INTEGER', args: [CTX, BTF_SOCK, ANY], sets: ['tc', 'sk_lookup'] },
  { name: 'sk_select_reuseport', ret: 'RET_INTEGER', args: [CTX, MAP, KEY, ANY], sets: ['sk_reuseport'] },
  {
    name: 'tcp_check_syncookie', ret: 'RET_INTEGER', args: [BTF_SOCK, MEM_RO, SIZE, MEM_RO, SIZE],
    pktAccess: true, gplOnly: true, sets: TC_XDP,
  },
  {
    name: 'tcp_gen_syncookie', ret: 'RET_INTEGER', args: [BTF_SOCK, MEM_RO, SIZE, MEM_RO, SIZE],
    pktAccess: true, gplOnly: true, sets: TC_XDP,
  },
  {
    name: 'tcp_raw_gen_syncookie_ipv4', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_FIXED_SIZE_MEM', MEM_RO, SIZE],
    argSize: [20], gplOnly: true, sets: TC_XDP,
  },
  {
    name: 'tcp_raw_gen_syncookie_ipv6', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_FIXED_SIZE_MEM', MEM_RO, SIZE],
    argSize: [40], gplOnly: true, sets: TC_XDP,
  },
  {
    name: 'tcp_raw_check_syncookie_ipv4', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_FIXED_SIZE_MEM', 'ARG_PTR_TO_FIXED_SIZE_MEM'],
    argSize: [20, 20], gplOnly: true, sets: TC_XDP,
  },
  {
    name: 'tcp_raw_check_syncookie_ipv6', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_FIXED_SIZE_MEM', 'ARG_PTR_TO_FIXED_SIZE_MEM'],
    argSize: [40, 20], gplOnly: true, sets: TC_XDP,
  },
  skcTo('skc_to_tcp6_sock', 'tcp6_sock'),
  skcTo('skc_to_tcp_sock', 'tcp_sock'),
  skcTo('skc_to_tcp_timewait_sock', 'tcp_timewait_sock'),
  skcTo('skc_to_tcp_request_sock', 'tcp_request_sock'),
  skcTo('skc_to_udp6_sock', 'udp6_sock'),
  skcTo('skc_to_unix_sock', 'unix_sock'),
  // Unlike the other casts, its argument is ARG_PTR_TO_SOCK_COMMON (no BTF pointers).
  { ...skcTo('skc_to_mptcp_sock', 'mptcp_sock'), args: [SOCK_COMMON] },
  { name: 'tcp_send_ack', ret: 'RET_INTEGER', args: [BTF, ANY], argBtfStruct: ['tcp_sock'], sets: ['struct_ops'] },

  // --- sock_ops, sock_addr, cgroup hooks ---
  { name: 'setsockopt', ret: 'RET_INTEGER', args: [CTX, ANY, ANY, MEM_RO, SIZE], sets: SOCKOPT_SETS },
  { name: 'getsockopt', ret: 'RET_INTEGER', args: [CTX, ANY, ANY, UNINIT, SIZE], sets: SOCKOPT_SETS },
  { name: 'sock_ops_cb_flags_set', ret: 'RET_INTEGER', args: [CTX, ANY], sets: ['sock_ops'] },
  { name: 'sock_map_update', ret: 'RET_INTEGER', args: [CTX, MAP, KEY, ANY], sets: ['sock_ops'] },
  { name: 'sock_hash_update', ret: 'RET_INTEGER', args: [CTX, MAP, KEY, ANY], sets: ['sock_ops'] },
  { name: 'load_hdr_opt', ret: 'RET_INTEGER', args: [CTX, 'ARG_PTR_TO_MEM | MEM_WRITE', SIZE, ANY], sets: ['sock_ops'] },
  { name: 'store_hdr_opt', ret: 'RET_INTEGER', args: [CTX, MEM_RO, SIZE, ANY], sets: ['sock_ops'] },
  { name: 'reserve_hdr_opt', ret: 'RET_INTEGER', args: [CTX, ANY, ANY], sets: ['sock_ops'] },
  { name: 'bind', ret: 'RET_INTEGER', args: [CTX, MEM_RO, SIZE], sets: ['sock_addr'] },
  noArgs('get_retval', ['cgroup_common']),
  { name: 'set_retval', ret: 'RET_INTEGER', args: [ANY], sets: ['cgroup_common'] },
  { name: 'sysctl_get_name', ret: 'RET_INTEGER', args: [CTX, 'ARG_PTR_TO_MEM | MEM_WRITE', SIZE, ANY], sets: ['sysctl'] },
  { name: 'sysctl_get_current_value', ret: 'RET_INTEGER', args: [CTX, UNINIT, SIZE], sets: ['sysctl'] },
  { name: 'sysctl_get_new_value', ret: 'RET_INTEGER', args: [CTX, UNINIT, SIZE], sets: ['sysctl'] },
  { name: 'sysctl_set_new_value', ret: 'RET_INTEGER', args: [CTX, MEM_RO, SIZE], sets: ['sysctl'] },

  // --- sk_skb, sk_msg ---
  { name: 'sk_redirect_map', ret: 'RET_INTEGER', args: [CTX, MAP, ANY, ANY], sets: ['sk_skb'] },
  { name: 'sk_redirect_hash', ret: 'RET_INTEGER', args: [CTX, MAP, KEY, ANY], sets: ['sk_skb'] },
  { name: 'msg_redirect_map', ret: 'RET_INTEGER', args: [CTX, MAP, ANY, ANY], sets: ['sk_msg'] },
  { name: 'msg_redirect_hash', ret: 'RET_INTEGER', args: [CTX, MAP, KEY, ANY], sets: ['sk_msg'] },
  { name: 'msg_apply_bytes', ret: 'RET_INTEGER', args: [CTX, ANY], sets: ['sk_msg'] },
  { name: 'msg_cork_bytes', ret: 'RET_INTEGER', args: [CTX, ANY], sets: ['sk_msg'] },
  { name: 'msg_pull_data', ret: 'RET_INTEGER', args: [CTX, ANY, ANY, ANY], changesPktData: true, sets: ['sk_msg'] },
  { name: 'msg_push_data', ret: 'RET_INTEGER', args: [CTX, ANY, ANY, ANY], changesPktData: true, sets: ['sk_msg'] },
  { name: 'msg_pop_data', ret: 'RET_INTEGER', args: [CTX, ANY, ANY, ANY], changesPktData: true, sets: ['sk_msg'] },
];

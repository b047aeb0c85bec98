/**
 * The helper prototype table (facts from the 6.18 kernel's bpf_func_proto
 * definitions) and, per program type, the helper sets it consults. See
 * protos/types.ts for the format and how to add an entry. Data only.
 */
import type { HelperProto, HelperSet, ProgTypeSets } from './types';

/** The three capability-gated parts of bpf_base_func_proto, consulted last by every program type. */
const BASE: readonly HelperSet[] = ['base', 'base_cap_bpf', 'base_perfmon'];
/** Network program types fall through bpf_sk_base_func_proto into bpf_base_func_proto. */
const SK_BASE: readonly HelperSet[] = ['sk_base', ...BASE];
/** Tracing program types fall through bpf_tracing_func_proto into bpf_base_func_proto. */
const TRACE_BASE: readonly HelperSet[] = ['tracing_common', ...BASE];

/** Per program type: the helper sets consulted, most specific first (the kernel's *_func_proto chain). */
export const PROG_TYPE_SETS: ProgTypeSets = {
  socket_filter: ['sk_filter', ...SK_BASE],
  kprobe: ['kprobe', ...TRACE_BASE],
  tracepoint: ['tracepoint', ...TRACE_BASE],
  perf_event: ['perf_event', ...TRACE_BASE],
  raw_tracepoint: ['raw_tp', ...TRACE_BASE],
  raw_tracepoint_writable: ['raw_tp', ...TRACE_BASE],
  tracing: ['tracing', 'raw_tp', ...TRACE_BASE],
  lsm: ['lsm', 'tracing', ...TRACE_BASE],
  sched_cls: ['tc', ...SK_BASE],
  sched_act: ['tc', ...SK_BASE],
  xdp: ['xdp', ...SK_BASE],
  cgroup_skb: ['cg_skb', 'sk_filter', ...SK_BASE],
  cgroup_sock: ['sock_filter', 'cgroup_common', ...SK_BASE],
  cgroup_sock_addr: ['sock_addr', 'cgroup_common', ...SK_BASE],
  cgroup_device: ['cgroup_dev', 'cgroup_common', ...BASE],
  cgroup_sysctl: ['sysctl', 'cgroup_common', ...BASE],
  cgroup_sockopt: ['sockopt', 'cgroup_common', ...SK_BASE],
  sock_ops: ['sock_ops', ...SK_BASE],
  sk_skb: ['sk_skb', ...SK_BASE],
  sk_msg: ['sk_msg', ...SK_BASE],
  lwt_in: ['lwt', ...SK_BASE],
  lwt_out: ['lwt', ...SK_BASE],
  lwt_xmit: ['lwt', ...SK_BASE],
  lwt_seg6local: ['lwt', ...SK_BASE],
  flow_dissector: ['flow_dissector', ...SK_BASE],
  sk_lookup: ['sk_lookup', ...SK_BASE],
  sk_reuseport: ['sk_reuseport', ...SK_BASE],
  syscall: ['syscall', 'tracing', ...TRACE_BASE],
  struct_ops: ['struct_ops', 'tracing', ...TRACE_BASE],
  ext: [],
  lirc_mode2: [...BASE],
  netfilter: [...SK_BASE],
};

/** Network types that can look sockets up (tc, xdp, sk_skb, cg_skb, sock_addr). */
const SK_LOOKUP_SETS: readonly HelperSet[] = ['tc', 'xdp', 'sk_skb', 'cg_skb', 'sock_addr'];

/** Helper prototypes, keyed by name (without `bpf_`). */
export const HELPER_PROTOS: readonly HelperProto[] = [
  {
    name: 'map_lookup_elem', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL',
    args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY'], pktAccess: true, sets: ['base'],
  },
  {
    name: 'map_update_elem', ret: 'RET_INTEGER',
    args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_VALUE', 'ARG_ANYTHING'], pktAccess: true, sets: ['base'],
  },
  {
    name: 'map_delete_elem', ret: 'RET_INTEGER',
    args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY'], pktAccess: true, sets: ['base'],
  },
  { name: 'ktime_get_ns', ret: 'RET_INTEGER', args: [], sets: ['base'] },
  { name: 'get_prandom_u32', ret: 'RET_INTEGER', args: [], sets: ['base'] },
  { name: 'get_smp_processor_id', ret: 'RET_INTEGER', args: [], sets: ['base'] },
  { name: 'tail_call', ret: 'RET_VOID', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING'], sets: ['base'] },
  {
    name: 'trace_printk', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'],
    gplOnly: true, sets: ['base_perfmon', 'tracing_common'],
  },
  { name: 'get_current_pid_tgid', ret: 'RET_INTEGER', args: [], sets: ['tracing_common', 'base_cap_bpf'] },
  {
    name: 'probe_read_kernel', ret: 'RET_INTEGER',
    args: ['ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'],
    gplOnly: true, sets: ['base_perfmon', 'tracing_common'],
  },
  {
    name: 'ringbuf_reserve', ret: 'RET_PTR_TO_MEM_OR_NULL',
    args: ['ARG_CONST_MAP_PTR', 'ARG_CONST_ALLOC_SIZE_OR_ZERO', 'ARG_ANYTHING'], retSizeArg: 2, acquire: true,
    sets: ['base_cap_bpf'],
  },
  { name: 'ringbuf_submit', ret: 'RET_VOID', args: ['ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE', 'ARG_ANYTHING'], sets: ['base_cap_bpf'] },
  { name: 'ringbuf_discard', ret: 'RET_VOID', args: ['ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE', 'ARG_ANYTHING'], sets: ['base_cap_bpf'] },
  {
    name: 'ringbuf_output', ret: 'RET_INTEGER',
    args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], sets: ['base_cap_bpf'],
  },
  {
    name: 'sk_lookup_tcp', ret: 'RET_PTR_TO_SOCKET_OR_NULL',
    args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE', 'ARG_ANYTHING', 'ARG_ANYTHING'],
    pktAccess: true, acquire: true, sets: SK_LOOKUP_SETS,
  },
  {
    name: 'sk_lookup_udp', ret: 'RET_PTR_TO_SOCKET_OR_NULL',
    args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE', 'ARG_ANYTHING', 'ARG_ANYTHING'],
    pktAccess: true, acquire: true, sets: SK_LOOKUP_SETS,
  },
  { name: 'sk_release', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE'], sets: SK_LOOKUP_SETS },
  {
    name: 'get_current_comm', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE', 'ARG_CONST_SIZE'],
    sets: ['tracing_common'],
  },
  {
    name: 'perf_event_output', ret: 'RET_INTEGER',
    args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO'],
    sets: ['kprobe', 'tracepoint', 'perf_event', 'sk_filter', 'tc', 'xdp', 'cg_skb'],
  },
  {
    name: 'loop', ret: 'RET_INTEGER',
    args: ['ARG_ANYTHING', 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK | PTR_MAYBE_NULL', 'ARG_ANYTHING'], sets: ['base_cap_bpf'],
  },
  {
    name: 'get_current_task_btf', ret: 'RET_PTR_TO_BTF_ID_TRUSTED', args: [], retBtfStruct: 'task_struct', gplOnly: true,
    sets: ['tracing_common'],
  },
];

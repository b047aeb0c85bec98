/**
 * Program types and expected attach types in the kernel's vocabulary (enum
 * bpf_prog_type / bpf_attach_type, lower case without the BPF_PROG_TYPE_ /
 * BPF_ prefix), and the mapping from libbpf section names. Pure data; the
 * verifier, the helper table and the ctx table all key on `ProgType`.
 */

/** enum bpf_prog_type, lower case, prefix dropped (`BPF_PROG_TYPE_SCHED_CLS` -> `sched_cls`). */
export type ProgType =
  | 'socket_filter' | 'kprobe' | 'sched_cls' | 'sched_act' | 'tracepoint' | 'xdp' | 'perf_event'
  | 'cgroup_skb' | 'cgroup_sock' | 'lwt_in' | 'lwt_out' | 'lwt_xmit' | 'sock_ops' | 'sk_skb'
  | 'cgroup_device' | 'sk_msg' | 'raw_tracepoint' | 'cgroup_sock_addr' | 'lwt_seg6local'
  | 'lirc_mode2' | 'sk_reuseport' | 'flow_dissector' | 'cgroup_sysctl' | 'raw_tracepoint_writable'
  | 'cgroup_sockopt' | 'tracing' | 'struct_ops' | 'ext' | 'lsm' | 'sk_lookup' | 'syscall' | 'netfilter';

export const PROG_TYPES: readonly ProgType[] = [
  'socket_filter', 'kprobe', 'sched_cls', 'sched_act', 'tracepoint', 'xdp', 'perf_event',
  'cgroup_skb', 'cgroup_sock', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sock_ops', 'sk_skb',
  'cgroup_device', 'sk_msg', 'raw_tracepoint', 'cgroup_sock_addr', 'lwt_seg6local',
  'lirc_mode2', 'sk_reuseport', 'flow_dissector', 'cgroup_sysctl', 'raw_tracepoint_writable',
  'cgroup_sockopt', 'tracing', 'struct_ops', 'ext', 'lsm', 'sk_lookup', 'syscall', 'netfilter',
];

export function isProgType(s: string): s is ProgType {
  return (PROG_TYPES as readonly string[]).includes(s);
}

/**
 * enum bpf_attach_type, lower case, prefix dropped (`BPF_TRACE_FENTRY` -> `trace_fentry`,
 * `BPF_CGROUP_INET_INGRESS` -> `cgroup_inet_ingress`). Free-form string: only the ones the
 * verifier distinguishes are listed in `ATTACH_TYPES`.
 */
export type AttachType = string;

export const ATTACH_TYPES = [
  'cgroup_inet_ingress', 'cgroup_inet_egress', 'cgroup_inet_sock_create', 'cgroup_inet4_bind', 'cgroup_inet6_bind',
  'cgroup_inet4_connect', 'cgroup_inet6_connect', 'cgroup_udp4_sendmsg', 'cgroup_udp6_sendmsg',
  'cgroup_udp4_recvmsg', 'cgroup_udp6_recvmsg', 'cgroup_getsockopt', 'cgroup_setsockopt', 'cgroup_sysctl',
  'cgroup_device', 'trace_raw_tp', 'trace_fentry', 'trace_fexit', 'modify_return', 'trace_iter', 'lsm_mac',
  'xdp_devmap', 'xdp_cpumap', 'xdp', 'sk_lookup', 'trace_kprobe_multi', 'trace_uprobe_multi', 'netfilter',
  'sk_skb_stream_parser', 'sk_skb_stream_verdict', 'sk_skb_verdict', 'sk_msg_verdict', 'flow_dissector',
  'tcx_ingress', 'tcx_egress',
] as const;

/** A libbpf SEC() name prefix and what it means for loading. */
export interface SectionDef {
  prefix: string;
  progType: ProgType;
  attachType?: AttachType;
}

/**
 * libbpf's section_defs (the subset people write); the longest matching prefix wins.
 * `kprobe/foo` -> kprobe; `tp_btf/sched_switch` -> tracing + trace_raw_tp (attach target `sched_switch`).
 */
export const SECTION_DEFS: readonly SectionDef[] = [
  { prefix: 'socket', progType: 'socket_filter' },
  { prefix: 'sk_reuseport', progType: 'sk_reuseport' },
  { prefix: 'kprobe', progType: 'kprobe' },
  { prefix: 'uprobe', progType: 'kprobe' },
  { prefix: 'kretprobe', progType: 'kprobe' },
  { prefix: 'uretprobe', progType: 'kprobe' },
  { prefix: 'ksyscall', progType: 'kprobe' },
  { prefix: 'kretsyscall', progType: 'kprobe' },
  { prefix: 'usdt', progType: 'kprobe' },
  { prefix: 'kprobe.multi', progType: 'kprobe', attachType: 'trace_kprobe_multi' },
  { prefix: 'kretprobe.multi', progType: 'kprobe', attachType: 'trace_kprobe_multi' },
  { prefix: 'uprobe.multi', progType: 'kprobe', attachType: 'trace_uprobe_multi' },
  { prefix: 'tc', progType: 'sched_cls' },
  { prefix: 'classifier', progType: 'sched_cls' },
  { prefix: 'tcx/ingress', progType: 'sched_cls', attachType: 'tcx_ingress' },
  { prefix: 'tcx/egress', progType: 'sched_cls', attachType: 'tcx_egress' },
  { prefix: 'action', progType: 'sched_act' },
  { prefix: 'tracepoint', progType: 'tracepoint' },
  { prefix: 'tp', progType: 'tracepoint' },
  { prefix: 'raw_tracepoint', progType: 'raw_tracepoint' },
  { prefix: 'raw_tp', progType: 'raw_tracepoint' },
  { prefix: 'raw_tracepoint.w', progType: 'raw_tracepoint_writable' },
  { prefix: 'raw_tp.w', progType: 'raw_tracepoint_writable' },
  { prefix: 'tp_btf', progType: 'tracing', attachType: 'trace_raw_tp' },
  { prefix: 'fentry', progType: 'tracing', attachType: 'trace_fentry' },
  { prefix: 'fmod_ret', progType: 'tracing', attachType: 'modify_return' },
  { prefix: 'fexit', progType: 'tracing', attachType: 'trace_fexit' },
  { prefix: 'fentry.s', progType: 'tracing', attachType: 'trace_fentry' },
  { prefix: 'fexit.s', progType: 'tracing', attachType: 'trace_fexit' },
  { prefix: 'iter', progType: 'tracing', attachType: 'trace_iter' },
  { prefix: 'freplace', progType: 'ext' },
  { prefix: 'lsm', progType: 'lsm', attachType: 'lsm_mac' },
  { prefix: 'lsm.s', progType: 'lsm', attachType: 'lsm_mac' },
  { prefix: 'xdp', progType: 'xdp', attachType: 'xdp' },
  { prefix: 'xdp.frags', progType: 'xdp', attachType: 'xdp' },
  { prefix: 'xdp/devmap', progType: 'xdp', attachType: 'xdp_devmap' },
  { prefix: 'xdp/cpumap', progType: 'xdp', attachType: 'xdp_cpumap' },
  { prefix: 'perf_event', progType: 'perf_event' },
  { prefix: 'lwt_in', progType: 'lwt_in' },
  { prefix: 'lwt_out', progType: 'lwt_out' },
  { prefix: 'lwt_xmit', progType: 'lwt_xmit' },
  { prefix: 'lwt_seg6local', progType: 'lwt_seg6local' },
  { prefix: 'sockops', progType: 'sock_ops' },
  { prefix: 'sk_skb', progType: 'sk_skb' },
  { prefix: 'sk_skb/stream_parser', progType: 'sk_skb', attachType: 'sk_skb_stream_parser' },
  { prefix: 'sk_skb/stream_verdict', progType: 'sk_skb', attachType: 'sk_skb_stream_verdict' },
  { prefix: 'sk_msg', progType: 'sk_msg', attachType: 'sk_msg_verdict' },
  { prefix: 'lirc_mode2', progType: 'lirc_mode2' },
  { prefix: 'flow_dissector', progType: 'flow_dissector', attachType: 'flow_dissector' },
  { prefix: 'cgroup_skb/ingress', progType: 'cgroup_skb', attachType: 'cgroup_inet_ingress' },
  { prefix: 'cgroup_skb/egress', progType: 'cgroup_skb', attachType: 'cgroup_inet_egress' },
  { prefix: 'cgroup/skb', progType: 'cgroup_skb' },
  { prefix: 'cgroup/sock', progType: 'cgroup_sock', attachType: 'cgroup_inet_sock_create' },
  { prefix: 'cgroup/sock_create', progType: 'cgroup_sock', attachType: 'cgroup_inet_sock_create' },
  { prefix: 'cgroup/dev', progType: 'cgroup_device', attachType: 'cgroup_device' },
  { prefix: 'cgroup/bind4', progType: 'cgroup_sock_addr', attachType: 'cgroup_inet4_bind' },
  { prefix: 'cgroup/bind6', progType: 'cgroup_sock_addr', attachType: 'cgroup_inet6_bind' },
  { prefix: 'cgroup/connect4', progType: 'cgroup_sock_addr', attachType: 'cgroup_inet4_connect' },
  { prefix: 'cgroup/connect6', progType: 'cgroup_sock_addr', attachType: 'cgroup_inet6_connect' },
  { prefix: 'cgroup/sendmsg4', progType: 'cgroup_sock_addr', attachType: 'cgroup_udp4_sendmsg' },
  { prefix: 'cgroup/sendmsg6', progType: 'cgroup_sock_addr', attachType: 'cgroup_udp6_sendmsg' },
  { prefix: 'cgroup/recvmsg4', progType: 'cgroup_sock_addr', attachType: 'cgroup_udp4_recvmsg' },
  { prefix: 'cgroup/recvmsg6', progType: 'cgroup_sock_addr', attachType: 'cgroup_udp6_recvmsg' },
  { prefix: 'cgroup/sysctl', progType: 'cgroup_sysctl', attachType: 'cgroup_sysctl' },
  { prefix: 'cgroup/getsockopt', progType: 'cgroup_sockopt', attachType: 'cgroup_getsockopt' },
  { prefix: 'cgroup/setsockopt', progType: 'cgroup_sockopt', attachType: 'cgroup_setsockopt' },
  { prefix: 'struct_ops', progType: 'struct_ops' },
  { prefix: 'sk_lookup', progType: 'sk_lookup', attachType: 'sk_lookup' },
  { prefix: 'syscall', progType: 'syscall' },
  { prefix: 'netfilter', progType: 'netfilter', attachType: 'netfilter' },
];

/**
 * Program type, attach type and attach target (the part after the first `/` for tracing
 * sections) of a libbpf section name, or a bare program type name; undefined if unknown.
 * libbpf matches `prefix` exactly or followed by `/` (or `+` forms); we accept both.
 */
export function sectionProgType(sec: string): { progType: ProgType; attachType?: AttachType; target?: string } | undefined {
  let best: SectionDef | undefined;
  for (const d of SECTION_DEFS) {
    if (sec === d.prefix || sec.startsWith(d.prefix + '/')) {
      if (!best || d.prefix.length > best.prefix.length) best = d;
    }
  }
  if (!best) return isProgType(sec) ? { progType: sec } : undefined;
  const rest = sec.length > best.prefix.length ? sec.slice(best.prefix.length + 1) : undefined;
  return { progType: best.progType, ...(best.attachType ? { attachType: best.attachType } : {}), ...(rest ? { target: rest } : {}) };
}

/**
 * Program types and expected attach types in the kernel's vocabulary (enum
 * bpf_prog_type / bpf_attach_type, lower case without the BPF_PROG_TYPE_ /
 * BPF_ prefix), and libbpf section names mapped onto them. Pure data; the
 * verifier, the helper table and the ctx table all key on `ProgType`.
 */

import { matchSection } from '../elf/sections';

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

/**
 * Program type, attach type and attach target of a libbpf section name (through
 * the one libbpf section table, elf/sections.ts), or a bare program type name;
 * undefined if unknown. `tp_btf/sched_switch` -> tracing + trace_raw_tp, target `sched_switch`.
 */
export function sectionProgType(sec: string): { progType: ProgType; attachType?: AttachType; target?: string } | undefined {
  const m = matchSection(sec);
  if (!m) return isProgType(sec) ? { progType: sec } : undefined;
  const progType = m.def.progType.toLowerCase();
  if (!isProgType(progType)) return undefined;
  const attachType = m.def.attachType?.toLowerCase();
  return { progType, ...(attachType ? { attachType } : {}), ...(m.target ? { target: m.target } : {}) };
}

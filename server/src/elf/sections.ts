/**
 * libbpf's section-name conventions as a table of facts: which program type
 * and expected attach type a `SEC("...")` name selects, and whether the name
 * carries an attach target (`kprobe/do_sys_open`) or marks the program
 * sleepable. Matching follows libbpf 1.x: exact names, or `prefix` / `prefix/...`
 * for entries marked `extra`. No attaching and no kernel probing here.
 */

/** enum bpf_prog_type (uapi/linux/bpf.h). */
export const PROG_TYPES: readonly string[] = [
  'UNSPEC', 'SOCKET_FILTER', 'KPROBE', 'SCHED_CLS', 'SCHED_ACT', 'TRACEPOINT', 'XDP', 'PERF_EVENT',
  'CGROUP_SKB', 'CGROUP_SOCK', 'LWT_IN', 'LWT_OUT', 'LWT_XMIT', 'SOCK_OPS', 'SK_SKB', 'CGROUP_DEVICE',
  'SK_MSG', 'RAW_TRACEPOINT', 'CGROUP_SOCK_ADDR', 'LWT_SEG6LOCAL', 'LIRC_MODE2', 'SK_REUSEPORT',
  'FLOW_DISSECTOR', 'CGROUP_SYSCTL', 'RAW_TRACEPOINT_WRITABLE', 'CGROUP_SOCKOPT', 'TRACING', 'STRUCT_OPS',
  'EXT', 'LSM', 'SK_LOOKUP', 'SYSCALL', 'NETFILTER',
];

/** enum bpf_attach_type (uapi/linux/bpf.h). */
export const ATTACH_TYPES: readonly string[] = [
  'CGROUP_INET_INGRESS', 'CGROUP_INET_EGRESS', 'CGROUP_INET_SOCK_CREATE', 'CGROUP_SOCK_OPS',
  'SK_SKB_STREAM_PARSER', 'SK_SKB_STREAM_VERDICT', 'CGROUP_DEVICE', 'SK_MSG_VERDICT', 'CGROUP_INET4_BIND',
  'CGROUP_INET6_BIND', 'CGROUP_INET4_CONNECT', 'CGROUP_INET6_CONNECT', 'CGROUP_INET4_POST_BIND',
  'CGROUP_INET6_POST_BIND', 'CGROUP_UDP4_SENDMSG', 'CGROUP_UDP6_SENDMSG', 'LIRC_MODE2', 'FLOW_DISSECTOR',
  'CGROUP_SYSCTL', 'CGROUP_UDP4_RECVMSG', 'CGROUP_UDP6_RECVMSG', 'CGROUP_GETSOCKOPT', 'CGROUP_SETSOCKOPT',
  'TRACE_RAW_TP', 'TRACE_FENTRY', 'TRACE_FEXIT', 'MODIFY_RETURN', 'LSM_MAC', 'TRACE_ITER',
  'CGROUP_INET4_GETPEERNAME', 'CGROUP_INET6_GETPEERNAME', 'CGROUP_INET4_GETSOCKNAME', 'CGROUP_INET6_GETSOCKNAME',
  'XDP_DEVMAP', 'CGROUP_INET_SOCK_RELEASE', 'XDP_CPUMAP', 'SK_LOOKUP', 'XDP', 'SK_SKB_VERDICT',
  'SK_REUSEPORT_SELECT', 'SK_REUSEPORT_SELECT_OR_MIGRATE', 'PERF_EVENT', 'TRACE_KPROBE_MULTI', 'LSM_CGROUP',
  'STRUCT_OPS', 'NETFILTER', 'TCX_INGRESS', 'TCX_EGRESS', 'TRACE_UPROBE_MULTI', 'CGROUP_UNIX_CONNECT',
  'CGROUP_UNIX_SENDMSG', 'CGROUP_UNIX_RECVMSG', 'CGROUP_UNIX_GETPEERNAME', 'CGROUP_UNIX_GETSOCKNAME',
  'NETKIT_PRIMARY', 'NETKIT_PEER', 'TRACE_KPROBE_SESSION', 'TRACE_UPROBE_SESSION',
];

export function progTypeId(name: string): number {
  return PROG_TYPES.indexOf(name);
}

export function attachTypeId(name: string): number {
  return ATTACH_TYPES.indexOf(name);
}

export interface SectionDef {
  /** The name as written in SEC(), without libbpf's trailing `+`. */
  name: string;
  /** BPF_PROG_TYPE_ name without the prefix. */
  progType: string;
  /** BPF_ name of the expected attach type without the prefix, or undefined for 0/none. */
  attachType?: string;
  /** `name/...` is accepted too, and the part after the slash is the attach target. */
  extra: boolean;
  sleepable: boolean;
  /** The target is a BTF function or tracepoint name checked at load time. */
  attachBtf: boolean;
  /** Attach type is optional at load time (libbpf loads without it when the kernel rejects it). */
  attachOptional: boolean;
  /** XDP programs that accept multi-buffer packets. */
  xdpFrags: boolean;
}

type Flag = 'extra' | 'sleep' | 'btf' | 'opt' | 'frags';

function def(name: string, progType: string, attachType: string | undefined, ...flags: Flag[]): SectionDef {
  return {
    name, progType, attachType,
    extra: flags.includes('extra'),
    sleepable: flags.includes('sleep'),
    attachBtf: flags.includes('btf'),
    attachOptional: flags.includes('opt'),
    xdpFrags: flags.includes('frags'),
  };
}

/** In libbpf's order: the first match wins. */
export const SECTION_DEFS: readonly SectionDef[] = [
  def('socket', 'SOCKET_FILTER', undefined),
  def('sk_reuseport/migrate', 'SK_REUSEPORT', 'SK_REUSEPORT_SELECT_OR_MIGRATE'),
  def('sk_reuseport', 'SK_REUSEPORT', 'SK_REUSEPORT_SELECT'),
  def('kprobe', 'KPROBE', undefined, 'extra'),
  def('uprobe', 'KPROBE', undefined, 'extra'),
  def('uprobe.s', 'KPROBE', undefined, 'extra', 'sleep'),
  def('kretprobe', 'KPROBE', undefined, 'extra'),
  def('uretprobe', 'KPROBE', undefined, 'extra'),
  def('uretprobe.s', 'KPROBE', undefined, 'extra', 'sleep'),
  def('kprobe.multi', 'KPROBE', 'TRACE_KPROBE_MULTI', 'extra'),
  def('kretprobe.multi', 'KPROBE', 'TRACE_KPROBE_MULTI', 'extra'),
  def('kprobe.session', 'KPROBE', 'TRACE_KPROBE_SESSION', 'extra'),
  def('uprobe.multi', 'KPROBE', 'TRACE_UPROBE_MULTI', 'extra'),
  def('uretprobe.multi', 'KPROBE', 'TRACE_UPROBE_MULTI', 'extra'),
  def('uprobe.multi.s', 'KPROBE', 'TRACE_UPROBE_MULTI', 'extra', 'sleep'),
  def('uretprobe.multi.s', 'KPROBE', 'TRACE_UPROBE_MULTI', 'extra', 'sleep'),
  def('uprobe.session', 'KPROBE', 'TRACE_UPROBE_SESSION', 'extra'),
  def('uprobe.session.s', 'KPROBE', 'TRACE_UPROBE_SESSION', 'extra', 'sleep'),
  def('ksyscall', 'KPROBE', undefined, 'extra'),
  def('kretsyscall', 'KPROBE', undefined, 'extra'),
  def('usdt', 'KPROBE', undefined, 'extra'),
  def('usdt.s', 'KPROBE', undefined, 'extra', 'sleep'),
  def('tc/ingress', 'SCHED_CLS', 'TCX_INGRESS'),
  def('tc/egress', 'SCHED_CLS', 'TCX_EGRESS'),
  def('tcx/ingress', 'SCHED_CLS', 'TCX_INGRESS'),
  def('tcx/egress', 'SCHED_CLS', 'TCX_EGRESS'),
  def('netkit/primary', 'SCHED_CLS', 'NETKIT_PRIMARY'),
  def('netkit/peer', 'SCHED_CLS', 'NETKIT_PEER'),
  def('tc', 'SCHED_CLS', undefined),
  def('classifier', 'SCHED_CLS', undefined),
  def('action', 'SCHED_ACT', undefined),
  def('tracepoint', 'TRACEPOINT', undefined, 'extra'),
  def('tp', 'TRACEPOINT', undefined, 'extra'),
  def('raw_tracepoint', 'RAW_TRACEPOINT', undefined, 'extra'),
  def('raw_tp', 'RAW_TRACEPOINT', undefined, 'extra'),
  def('raw_tracepoint.w', 'RAW_TRACEPOINT_WRITABLE', undefined, 'extra'),
  def('raw_tp.w', 'RAW_TRACEPOINT_WRITABLE', undefined, 'extra'),
  def('tp_btf', 'TRACING', 'TRACE_RAW_TP', 'extra', 'btf'),
  def('fentry', 'TRACING', 'TRACE_FENTRY', 'extra', 'btf'),
  def('fmod_ret', 'TRACING', 'MODIFY_RETURN', 'extra', 'btf'),
  def('fexit', 'TRACING', 'TRACE_FEXIT', 'extra', 'btf'),
  def('fentry.s', 'TRACING', 'TRACE_FENTRY', 'extra', 'btf', 'sleep'),
  def('fmod_ret.s', 'TRACING', 'MODIFY_RETURN', 'extra', 'btf', 'sleep'),
  def('fexit.s', 'TRACING', 'TRACE_FEXIT', 'extra', 'btf', 'sleep'),
  def('freplace', 'EXT', undefined, 'extra', 'btf'),
  def('lsm', 'LSM', 'LSM_MAC', 'extra', 'btf'),
  def('lsm.s', 'LSM', 'LSM_MAC', 'extra', 'btf', 'sleep'),
  def('lsm_cgroup', 'LSM', 'LSM_CGROUP', 'extra', 'btf'),
  def('iter', 'TRACING', 'TRACE_ITER', 'extra', 'btf'),
  def('iter.s', 'TRACING', 'TRACE_ITER', 'extra', 'btf', 'sleep'),
  def('syscall', 'SYSCALL', undefined, 'sleep'),
  def('xdp.frags/devmap', 'XDP', 'XDP_DEVMAP', 'frags'),
  def('xdp/devmap', 'XDP', 'XDP_DEVMAP'),
  def('xdp.frags/cpumap', 'XDP', 'XDP_CPUMAP', 'frags'),
  def('xdp/cpumap', 'XDP', 'XDP_CPUMAP'),
  def('xdp.frags', 'XDP', 'XDP', 'frags'),
  def('xdp', 'XDP', 'XDP', 'opt'),
  def('perf_event', 'PERF_EVENT', undefined),
  def('lwt_in', 'LWT_IN', undefined),
  def('lwt_out', 'LWT_OUT', undefined),
  def('lwt_xmit', 'LWT_XMIT', undefined),
  def('lwt_seg6local', 'LWT_SEG6LOCAL', undefined),
  def('sockops', 'SOCK_OPS', 'CGROUP_SOCK_OPS', 'opt'),
  def('sk_skb/stream_parser', 'SK_SKB', 'SK_SKB_STREAM_PARSER', 'opt'),
  def('sk_skb/stream_verdict', 'SK_SKB', 'SK_SKB_STREAM_VERDICT', 'opt'),
  def('sk_skb/verdict', 'SK_SKB', 'SK_SKB_VERDICT', 'opt'),
  def('sk_skb', 'SK_SKB', undefined),
  def('sk_msg', 'SK_MSG', 'SK_MSG_VERDICT', 'opt'),
  def('lirc_mode2', 'LIRC_MODE2', 'LIRC_MODE2', 'opt'),
  def('flow_dissector', 'FLOW_DISSECTOR', 'FLOW_DISSECTOR', 'opt'),
  def('cgroup_skb/ingress', 'CGROUP_SKB', 'CGROUP_INET_INGRESS', 'opt'),
  def('cgroup_skb/egress', 'CGROUP_SKB', 'CGROUP_INET_EGRESS', 'opt'),
  def('cgroup/skb', 'CGROUP_SKB', undefined),
  def('cgroup/sock_create', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE'),
  def('cgroup/sock_release', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_RELEASE'),
  def('cgroup/sock', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE', 'opt'),
  def('cgroup/post_bind4', 'CGROUP_SOCK', 'CGROUP_INET4_POST_BIND'),
  def('cgroup/post_bind6', 'CGROUP_SOCK', 'CGROUP_INET6_POST_BIND'),
  def('cgroup/bind4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_BIND'),
  def('cgroup/bind6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_BIND'),
  def('cgroup/connect4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_CONNECT'),
  def('cgroup/connect6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_CONNECT'),
  def('cgroup/connect_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_CONNECT'),
  def('cgroup/sendmsg4', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP4_SENDMSG'),
  def('cgroup/sendmsg6', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP6_SENDMSG'),
  def('cgroup/sendmsg_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_SENDMSG'),
  def('cgroup/recvmsg4', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP4_RECVMSG'),
  def('cgroup/recvmsg6', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP6_RECVMSG'),
  def('cgroup/recvmsg_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_RECVMSG'),
  def('cgroup/getpeername4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_GETPEERNAME'),
  def('cgroup/getpeername6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_GETPEERNAME'),
  def('cgroup/getpeername_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_GETPEERNAME'),
  def('cgroup/getsockname4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_GETSOCKNAME'),
  def('cgroup/getsockname6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_GETSOCKNAME'),
  def('cgroup/getsockname_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_GETSOCKNAME'),
  def('cgroup/sysctl', 'CGROUP_SYSCTL', 'CGROUP_SYSCTL'),
  def('cgroup/getsockopt', 'CGROUP_SOCKOPT', 'CGROUP_GETSOCKOPT'),
  def('cgroup/setsockopt', 'CGROUP_SOCKOPT', 'CGROUP_SETSOCKOPT'),
  def('cgroup/dev', 'CGROUP_DEVICE', 'CGROUP_DEVICE', 'opt'),
  def('struct_ops', 'STRUCT_OPS', undefined, 'extra'),
  def('struct_ops.s', 'STRUCT_OPS', undefined, 'extra', 'sleep'),
  def('sk_lookup', 'SK_LOOKUP', 'SK_LOOKUP'),
  def('netfilter', 'NETFILTER', 'NETFILTER'),
];

export interface SectionMatch {
  def: SectionDef;
  /** For `extra` entries: the text after `name/` (e.g. the kprobe's function), possibly empty. */
  target: string;
}

/** The section definition libbpf would pick for a section name, or undefined (libbpf: "unrecognized"). */
export function matchSection(name: string): SectionMatch | undefined {
  for (const d of SECTION_DEFS) {
    if (name === d.name) return { def: d, target: '' };
    if (d.extra && name.length > d.name.length && name.startsWith(d.name) && name[d.name.length] === '/') {
      return { def: d, target: name.slice(d.name.length + 1) };
    }
  }
  return undefined;
}

/**
 * Context layouts per program type (facts: struct layouts from the 6.18
 * vmlinux BTF; rules from the kernel's *_is_valid_access callbacks, checked
 * against the running kernel: test/fixtures/verifier-tables/ctx-access.json).
 * Format and how to add a type: ctx/types.ts. Data only.
 *
 * Size rules as used here: 'exact' = the element size at an element start; 'narrow' = any
 * power of two up to the element size, aligned, inside one element; 'any' = any aligned size
 * inside the field; a list = those sizes, starting at an element boundary (bpf_sock's
 * family: 1, 2 or 4 bytes, all at offset 4).
 */
import type { AttachType } from '../progtypes';
import type { CtxField, CtxLayout, CtxTable } from './types';

const NO: Partial<CtxField> = { read: false, write: false };

/**
 * struct __sk_buff (6.18 BTF, 192 bytes) with the reads most skb program types allow (tc's);
 * `over` adjusts fields per type; `rest` applies to every field `over` does not name.
 */
function skbFields(over: Readonly<Record<string, Partial<CtxField>>>, rest: Partial<CtxField> = {}): CtxField[] {
  const base: CtxField[] = [
    { name: 'len', off: 0, size: 4, read: 'narrow', write: false },
    { name: 'pkt_type', off: 4, size: 4, read: 'narrow', write: false },
    { name: 'mark', off: 8, size: 4, read: 'narrow', write: false },
    { name: 'queue_mapping', off: 12, size: 4, read: 'narrow', write: false },
    { name: 'protocol', off: 16, size: 4, read: 'narrow', write: false },
    { name: 'vlan_present', off: 20, size: 4, read: 'narrow', write: false },
    { name: 'vlan_tci', off: 24, size: 4, read: 'narrow', write: false },
    { name: 'vlan_proto', off: 28, size: 4, read: 'narrow', write: false },
    { name: 'priority', off: 32, size: 4, read: 'narrow', write: false },
    { name: 'ingress_ifindex', off: 36, size: 4, read: 'narrow', write: false },
    { name: 'ifindex', off: 40, size: 4, read: 'narrow', write: false },
    { name: 'tc_index', off: 44, size: 4, read: 'narrow', write: false },
    { name: 'cb', off: 48, size: 20, elem: 4, read: 'any', write: 'any' },
    { name: 'hash', off: 68, size: 4, read: 'narrow', write: false },
    { name: 'tc_classid', off: 72, size: 4, read: 'narrow', write: false },
    { name: 'data', off: 76, size: 4, read: 'exact', write: false, regType: 'pkt' },
    { name: 'data_end', off: 80, size: 4, read: 'exact', write: false, regType: 'pkt_end' },
    { name: 'napi_id', off: 84, size: 4, read: 'narrow', write: false },
    { name: 'family', off: 88, size: 4, read: 'narrow', write: false },
    { name: 'remote_ip4', off: 92, size: 4, read: 'exact', write: false },
    { name: 'local_ip4', off: 96, size: 4, read: 'exact', write: false },
    { name: 'remote_ip6', off: 100, size: 16, elem: 4, read: 'exact', write: false },
    { name: 'local_ip6', off: 116, size: 16, elem: 4, read: 'exact', write: false },
    { name: 'remote_port', off: 132, size: 4, read: 'narrow', write: false },
    { name: 'local_port', off: 136, size: 4, read: 'narrow', write: false },
    { name: 'data_meta', off: 140, size: 4, read: 'exact', write: false, regType: 'pkt_meta' },
    { name: 'flow_keys', off: 144, size: 8, read: false, write: false },
    { name: 'tstamp', off: 152, size: 8, read: 'exact', write: false },
    { name: 'wire_len', off: 160, size: 4, read: 'narrow', write: false },
    { name: 'gso_segs', off: 164, size: 4, read: 'narrow', write: false },
    { name: 'sk', off: 168, size: 8, read: 'exact', write: false, regType: 'sock_common_or_null' },
    { name: 'gso_size', off: 176, size: 4, read: 'narrow', write: false },
    { name: 'tstamp_type', off: 180, size: 1, read: 'exact', write: false },
    { name: 'hwtstamp', off: 184, size: 8, read: 'exact', write: false },
  ];
  return base.map((f) => ({ ...f, ...(over[f.name] ?? rest) }));
}

/** The socket-address fields of __sk_buff that only cgroup_skb and sk_skb may read. */
const SKB_SOCK_FIELDS_NO = { family: NO, remote_ip4: NO, local_ip4: NO, remote_ip6: NO, local_ip6: NO, remote_port: NO, local_port: NO };

/** sk_filter_is_valid_access: no packet pointers, no socket fields, no timestamps; writes only to cb[]. */
const SOCKET_FILTER: CtxLayout = {
  struct: '__sk_buff', size: 192,
  fields: skbFields({
    ...SKB_SOCK_FIELDS_NO,
    tc_classid: NO, data: NO, data_meta: NO, data_end: NO, tstamp: NO, wire_len: NO, tstamp_type: NO, hwtstamp: NO,
  }),
};

/** tc_cls_act_is_valid_access: packet pointers; writes to mark, queue_mapping, priority, tc_index, tc_classid, cb, tstamp. */
const TC: CtxLayout = {
  struct: '__sk_buff', size: 192,
  fields: skbFields({
    ...SKB_SOCK_FIELDS_NO,
    mark: { write: 'exact' }, queue_mapping: { write: 'exact' }, priority: { write: 'exact' }, tc_index: { write: 'exact' },
    tc_classid: { write: 'exact' }, tstamp: { write: 'exact' },
  }),
};

/** cg_skb_is_valid_access: packet and socket fields readable; writes to mark, priority, cb, tstamp. */
const CGROUP_SKB: CtxLayout = {
  struct: '__sk_buff', size: 192,
  fields: skbFields({
    mark: { write: 'exact' }, priority: { write: 'exact' }, tstamp: { write: 'exact' },
    tc_classid: NO, data_meta: NO, wire_len: NO, tstamp_type: NO,
  }),
};

/** sk_skb_is_valid_access: packet and socket fields; no mark, cb read-only; writes to priority and tc_index. */
const SK_SKB: CtxLayout = {
  struct: '__sk_buff', size: 192,
  fields: skbFields({
    priority: { write: 'exact' }, tc_index: { write: 'exact' }, cb: { write: false },
    mark: NO, tc_classid: NO, data_meta: NO, tstamp: NO, wire_len: NO, tstamp_type: NO, hwtstamp: NO,
  }),
};

/** flow_dissector_is_valid_access: data, data_end and flow_keys only. */
const FLOW_DISSECTOR: CtxLayout = {
  struct: '__sk_buff', size: 192,
  fields: skbFields({ data: {}, data_end: {}, flow_keys: { read: 'exact', regType: 'flow_keys' } }, NO),
};

/** lwt_is_valid_access (lwt_in/out/xmit/seg6local): packet pointers, no socket fields; writes to mark, priority, cb. */
const LWT: CtxLayout = {
  struct: '__sk_buff', size: 192,
  fields: skbFields({
    ...SKB_SOCK_FIELDS_NO,
    mark: { write: 'exact' }, priority: { write: 'exact' },
    tc_classid: NO, data_meta: NO, tstamp: NO, wire_len: NO, tstamp_type: NO, hwtstamp: NO,
  }),
};

/** xdp_is_valid_access: read-only, u32 only; egress_ifindex only for devmap programs. */
const XDP: CtxLayout = {
  struct: 'xdp_md', size: 24,
  fields: [
    { name: 'data', off: 0, size: 4, read: 'exact', write: false, regType: 'pkt' },
    { name: 'data_end', off: 4, size: 4, read: 'exact', write: false, regType: 'pkt_end' },
    { name: 'data_meta', off: 8, size: 4, read: 'exact', write: false, regType: 'pkt_meta' },
    { name: 'ingress_ifindex', off: 12, size: 4, read: 'exact', write: false },
    { name: 'rx_queue_index', off: 16, size: 4, read: 'exact', write: false },
    { name: 'egress_ifindex', off: 20, size: 4, read: 'exact', write: false, attachTypes: ['xdp_devmap'] },
  ],
};

/** kprobe_prog_is_valid_access: any aligned read inside struct pt_regs (x86_64: 168 bytes). */
const KPROBE: CtxLayout = {
  struct: 'pt_regs', size: 168, fields: [],
  rest: { lo: 0, hi: 168, read: [1, 2, 4, 8], write: [] },
};

/**
 * tp_prog_is_valid_access: read-only, off >= 8 (the common header is hidden), below
 * PERF_MAX_TRACE_SIZE (8192). (The kernel also accepts negative offsets: its `off < sizeof(void *)`
 * test is unsigned. Not modelled.)
 */
const TRACEPOINT: CtxLayout = {
  struct: '', size: 0, fields: [],
  rest: { lo: 8, hi: 8192, read: [1, 2, 4, 8], write: [] },
};

/** raw_tp_prog_is_valid_access: u64 args[12], read-only, any aligned size. */
const RAW_TP: CtxLayout = {
  struct: 'bpf_raw_tracepoint_args', size: 96, fields: [], maxArgs: 12,
  rest: { lo: 0, hi: 96, read: [1, 2, 4, 8], write: [] },
};

/** pe_prog_is_valid_access: regs read as u64 only; sample_period and addr narrow reads. */
const PERF_EVENT: CtxLayout = {
  struct: 'bpf_perf_event_data', size: 184,
  fields: [
    { name: 'regs', off: 0, size: 168, elem: 8, read: 'exact', write: false },
    { name: 'sample_period', off: 168, size: 8, read: 'narrow', write: false },
    { name: 'addr', off: 176, size: 8, read: 'narrow', write: false },
  ],
};

/** tracing_prog_is_valid_access + btf_ctx_access: u64 slots typed by the target's BTF prototype. */
const TRACING: CtxLayout = { struct: '', size: 96, fields: [], btfArgs: true, maxArgs: 12 };

const CREATE: AttachType[] = ['cgroup_inet_sock_create', 'cgroup_inet_sock_release'];
const POST_BIND4: AttachType[] = ['cgroup_inet4_post_bind'];
const POST_BIND6: AttachType[] = ['cgroup_inet6_post_bind'];
/** A read-only u32 of bpf_sock readable as 1, 2 or 4 bytes at its start. */
function sockU32(name: string, off: number): CtxField {
  return { name, off, size: 4, read: [1, 2, 4], write: false };
}

/**
 * bpf_sock_is_valid_access + sock_filter_is_valid_access (cgroup/sock_create, post_bind4/6): the
 * writable bound_dev_if/mark/priority only at socket creation, source address and port only
 * after bind. dst_port is a __be16 that may be read as 1, 2 or 4 bytes (the u32 slot).
 */
const CGROUP_SOCK: CtxLayout = {
  struct: 'bpf_sock', size: 80,
  fields: [
    { name: 'bound_dev_if', off: 0, size: 4, read: 'exact', write: 'exact', attachTypes: CREATE },
    sockU32('family', 4),
    sockU32('type', 8),
    sockU32('protocol', 12),
    { name: 'mark', off: 16, size: 4, read: 'exact', write: 'exact', attachTypes: CREATE },
    { name: 'priority', off: 20, size: 4, read: 'exact', write: 'exact', attachTypes: CREATE },
    { name: 'src_ip4', off: 24, size: 4, read: 'narrow', write: false, attachTypes: POST_BIND4 },
    { name: 'src_ip6', off: 28, size: 16, elem: 4, read: 'narrow', write: false, attachTypes: POST_BIND6 },
    { name: 'src_port', off: 44, size: 4, read: [1, 2, 4], write: false, attachTypes: [...POST_BIND4, ...POST_BIND6] },
    { name: 'dst_port', off: 48, size: 4, read: [1, 2, 4], write: false },
    { name: 'dst_ip4', off: 52, size: 4, read: 'narrow', write: false },
    { name: 'dst_ip6', off: 56, size: 16, elem: 4, read: 'narrow', write: false },
    sockU32('state', 72),
    sockU32('rx_queue_mapping', 76),
  ],
};

const V4: AttachType[] = [
  'cgroup_inet4_bind', 'cgroup_inet4_connect', 'cgroup_udp4_sendmsg', 'cgroup_udp4_recvmsg', 'cgroup_inet4_getpeername', 'cgroup_inet4_getsockname',
];
const V6: AttachType[] = [
  'cgroup_inet6_bind', 'cgroup_inet6_connect', 'cgroup_udp6_sendmsg', 'cgroup_udp6_recvmsg', 'cgroup_inet6_getpeername', 'cgroup_inet6_getsockname',
];

/**
 * sock_addr_is_valid_access: the user address of the hook's family is readable and writable
 * (IPv6 words as 4 or 8 bytes), the message source address only in sendmsg; sk is a socket.
 */
const SOCK_ADDR: CtxLayout = {
  struct: 'bpf_sock_addr', size: 72,
  fields: [
    { name: 'user_family', off: 0, size: 4, read: 'exact', write: false },
    { name: 'user_ip4', off: 4, size: 4, read: 'narrow', write: 'exact', attachTypes: V4 },
    { name: 'user_ip6', off: 8, size: 16, elem: 4, read: 'any', write: [4, 8], attachTypes: V6 },
    { name: 'user_port', off: 24, size: 4, read: 'narrow', write: 'exact' },
    { name: 'family', off: 28, size: 4, read: 'exact', write: false },
    { name: 'type', off: 32, size: 4, read: 'exact', write: false },
    { name: 'protocol', off: 36, size: 4, read: 'exact', write: false },
    { name: 'msg_src_ip4', off: 40, size: 4, read: 'narrow', write: 'exact', attachTypes: ['cgroup_udp4_sendmsg'] },
    { name: 'msg_src_ip6', off: 44, size: 16, elem: 4, read: 'any', write: [4, 8], attachTypes: ['cgroup_udp6_sendmsg'] },
    { name: 'sk', off: 64, size: 8, read: 'exact', write: false, regType: 'sock' },
  ],
};

/** u32 read-only fields of bpf_sock_ops from `off`, in BTF order. */
function sockOpsU32(off: number, names: readonly string[]): CtxField[] {
  return names.map((name, i) => ({ name, off: off + 4 * i, size: 4, read: 'exact', write: false }));
}

/**
 * sock_ops_is_valid_access: u32/u64 reads at the field size only; `reply` (args[0]) and
 * sk_txhash writable; args[1..3] read-only; sk and the skb data pointers typed.
 */
const SOCK_OPS: CtxLayout = {
  struct: 'bpf_sock_ops', size: 224,
  fields: [
    { name: 'op', off: 0, size: 4, read: 'exact', write: false },
    { name: 'reply', off: 4, size: 4, read: 'exact', write: 'exact' },
    { name: 'args', off: 8, size: 12, elem: 4, read: 'exact', write: false },
    ...sockOpsU32(20, ['family', 'remote_ip4', 'local_ip4']),
    { name: 'remote_ip6', off: 32, size: 16, elem: 4, read: 'exact', write: false },
    { name: 'local_ip6', off: 48, size: 16, elem: 4, read: 'exact', write: false },
    ...sockOpsU32(64, [
      'remote_port', 'local_port', 'is_fullsock', 'snd_cwnd', 'srtt_us', 'bpf_sock_ops_cb_flags', 'state', 'rtt_min',
      'snd_ssthresh', 'rcv_nxt', 'snd_nxt', 'snd_una', 'mss_cache', 'ecn_flags', 'rate_delivered', 'rate_interval_us',
      'packets_out', 'retrans_out', 'total_retrans', 'segs_in', 'data_segs_in', 'segs_out', 'data_segs_out', 'lost_out',
      'sacked_out',
    ]),
    { name: 'sk_txhash', off: 164, size: 4, read: 'exact', write: 'exact' },
    { name: 'bytes_received', off: 168, size: 8, read: 'exact', write: false },
    { name: 'bytes_acked', off: 176, size: 8, read: 'exact', write: false },
    { name: 'sk', off: 184, size: 8, read: 'exact', write: false, regType: 'sock_or_null' },
    { name: 'skb_data', off: 192, size: 8, read: 'exact', write: false, regType: 'pkt' },
    { name: 'skb_data_end', off: 200, size: 8, read: 'exact', write: false, regType: 'pkt_end' },
    { name: 'skb_len', off: 208, size: 4, read: 'exact', write: false },
    { name: 'skb_tcp_flags', off: 212, size: 4, read: [1, 2, 4], write: false },
    { name: 'skb_hwtstamp', off: 216, size: 8, read: 'exact', write: false },
  ],
};

/** sk_msg_is_valid_access: read-only at the field size; data/data_end are packet pointers, sk a socket. */
const SK_MSG: CtxLayout = {
  struct: 'sk_msg_md', size: 80,
  fields: [
    { name: 'data', off: 0, size: 8, read: 'exact', write: false, regType: 'pkt' },
    { name: 'data_end', off: 8, size: 8, read: 'exact', write: false, regType: 'pkt_end' },
    { name: 'family', off: 16, size: 4, read: 'exact', write: false },
    { name: 'remote_ip4', off: 20, size: 4, read: 'exact', write: false },
    { name: 'local_ip4', off: 24, size: 4, read: 'exact', write: false },
    { name: 'remote_ip6', off: 28, size: 16, elem: 4, read: 'exact', write: false },
    { name: 'local_ip6', off: 44, size: 16, elem: 4, read: 'exact', write: false },
    { name: 'remote_port', off: 60, size: 4, read: 'exact', write: false },
    { name: 'local_port', off: 64, size: 4, read: 'exact', write: false },
    { name: 'size', off: 68, size: 4, read: 'exact', write: false },
    { name: 'sk', off: 72, size: 8, read: 'exact', write: false, regType: 'sock' },
  ],
};

/** cgroup_dev_is_valid_access: read-only; access_type narrow, major/minor u32 only. */
const CGROUP_DEVICE: CtxLayout = {
  struct: 'bpf_cgroup_dev_ctx', size: 12,
  fields: [
    { name: 'access_type', off: 0, size: 4, read: 'narrow', write: false },
    { name: 'major', off: 4, size: 4, read: 'exact', write: false },
    { name: 'minor', off: 8, size: 4, read: 'exact', write: false },
  ],
};

/** sysctl_is_valid_access: `write` read-only, file_pos readable and writable (u32). */
const CGROUP_SYSCTL: CtxLayout = {
  struct: 'bpf_sysctl', size: 8,
  fields: [
    { name: 'write', off: 0, size: 4, read: 'narrow', write: false },
    { name: 'file_pos', off: 4, size: 4, read: 'narrow', write: 'exact' },
  ],
};

/**
 * cg_sockopt_is_valid_access: optval/optval_end are packet-like bounds, sk a socket; level and
 * optname writable in setsockopt, retval only in getsockopt, optlen in both.
 */
function cgroupSockopt(attach: AttachType | undefined): CtxLayout {
  const set = attach === 'cgroup_setsockopt';
  return {
    struct: 'bpf_sockopt', size: 40,
    fields: [
      { name: 'sk', off: 0, size: 8, read: 'exact', write: false, regType: 'sock' },
      { name: 'optval', off: 8, size: 8, read: 'exact', write: false, regType: 'pkt' },
      { name: 'optval_end', off: 16, size: 8, read: 'exact', write: false, regType: 'pkt_end' },
      { name: 'level', off: 24, size: 4, read: 'exact', write: set ? 'exact' : false },
      { name: 'optname', off: 28, size: 4, read: 'exact', write: set ? 'exact' : false },
      { name: 'optlen', off: 32, size: 4, read: 'exact', write: 'exact' },
      { name: 'retval', off: 36, size: 4, read: 'exact', write: 'exact', attachTypes: ['cgroup_getsockopt'] },
    ],
  };
}

/** sk_lookup_is_valid_access: read-only; remote_port is a __be16 readable through its u32 slot. */
const SK_LOOKUP: CtxLayout = {
  struct: 'bpf_sk_lookup', size: 72,
  fields: [
    { name: 'sk', off: 0, size: 8, read: 'exact', write: false, regType: 'sock_or_null' },
    { name: 'family', off: 8, size: 4, read: 'narrow', write: false },
    { name: 'protocol', off: 12, size: 4, read: 'narrow', write: false },
    { name: 'remote_ip4', off: 16, size: 4, read: 'narrow', write: false },
    { name: 'remote_ip6', off: 20, size: 16, elem: 4, read: 'narrow', write: false },
    { name: 'remote_port', off: 36, size: 4, read: 'narrow', write: false },
    { name: 'local_ip4', off: 40, size: 4, read: 'narrow', write: false },
    { name: 'local_ip6', off: 44, size: 16, elem: 4, read: 'narrow', write: false },
    { name: 'local_port', off: 60, size: 4, read: 'narrow', write: false },
    { name: 'ingress_ifindex', off: 64, size: 4, read: 'narrow', write: false },
  ],
};

/** sk_reuseport_is_valid_access: read-only; packet pointers, the socket and the migrating socket. */
const SK_REUSEPORT: CtxLayout = {
  struct: 'sk_reuseport_md', size: 56,
  fields: [
    { name: 'data', off: 0, size: 8, read: 'exact', write: false, regType: 'pkt' },
    { name: 'data_end', off: 8, size: 8, read: 'exact', write: false, regType: 'pkt_end' },
    { name: 'len', off: 16, size: 4, read: 'narrow', write: false },
    { name: 'eth_protocol', off: 20, size: 4, read: [2, 4], write: false },
    { name: 'ip_protocol', off: 24, size: 4, read: 'narrow', write: false },
    { name: 'bind_inany', off: 28, size: 4, read: 'narrow', write: false },
    { name: 'hash', off: 32, size: 4, read: 'exact', write: false },
    { name: 'sk', off: 40, size: 8, read: 'exact', write: false, regType: 'sock' },
    { name: 'migrating_sk', off: 48, size: 8, read: 'exact', write: false, regType: 'sock_or_null' },
  ],
};

/** A read-only u32 of bpf_tcp_sock (u32 reads only). */
function tcpU32(off: number, names: readonly string[]): CtxField[] {
  return names.map((name, i) => ({ name, off: off + 4 * i, size: 4, read: 'exact', write: false }));
}

/**
 * Layouts of the socket structs a program reads through a pointer (PTR_TO_SOCKET / _SOCK_COMMON from
 * skb->sk or bpf_sk_fullsock: bpf_sock_is_valid_access; PTR_TO_TCP_SOCK from bpf_tcp_sock:
 * bpf_tcp_sock_is_valid_access). Refusals print "R%d invalid sock access off=%d size=%d" (tcp_sock:
 * "invalid tcp_sock access"); any store prints "R%d cannot write into sock". Optional data for the
 * verifier (the schema keys CTX_TABLE by program type only).
 */
export const SOCK_PTR_LAYOUTS: Readonly<Record<'bpf_sock' | 'bpf_tcp_sock', CtxLayout>> = {
  bpf_sock: {
    struct: 'bpf_sock', size: 80,
    fields: CGROUP_SOCK.fields.map(({ attachTypes: _a, ...f }) => ({ ...f, write: false as const })),
  },
  bpf_tcp_sock: {
    struct: 'bpf_tcp_sock', size: 112,
    fields: [
      ...tcpU32(0, [
        'snd_cwnd', 'srtt_us', 'rtt_min', 'snd_ssthresh', 'rcv_nxt', 'snd_nxt', 'snd_una', 'mss_cache', 'ecn_flags',
        'rate_delivered', 'rate_interval_us', 'packets_out', 'retrans_out', 'total_retrans', 'segs_in', 'data_segs_in',
        'segs_out', 'data_segs_out', 'lost_out', 'sacked_out',
      ]),
      { name: 'bytes_received', off: 80, size: 8, read: 'exact', write: false },
      { name: 'bytes_acked', off: 88, size: 8, read: 'exact', write: false },
      ...tcpU32(96, ['dsack_dups', 'delivered', 'delivered_ce', 'icsk_retransmits']),
    ],
  },
};

export const CTX_TABLE: CtxTable = {
  socket_filter: SOCKET_FILTER,
  sched_cls: TC,
  sched_act: TC,
  cgroup_skb: CGROUP_SKB,
  sk_skb: SK_SKB,
  flow_dissector: FLOW_DISSECTOR,
  xdp: XDP,
  kprobe: KPROBE,
  tracepoint: TRACEPOINT,
  raw_tracepoint: RAW_TP,
  raw_tracepoint_writable: RAW_TP,
  perf_event: PERF_EVENT,
  tracing: TRACING,
  lsm: TRACING,
  cgroup_sock: CGROUP_SOCK,
  cgroup_sock_addr: SOCK_ADDR,
  sock_ops: SOCK_OPS,
  sk_msg: SK_MSG,
  lwt_in: LWT,
  lwt_out: LWT,
  lwt_xmit: LWT,
  lwt_seg6local: LWT,
  cgroup_device: CGROUP_DEVICE,
  cgroup_sysctl: CGROUP_SYSCTL,
  cgroup_sockopt: cgroupSockopt,
  sk_lookup: SK_LOOKUP,
  sk_reuseport: SK_REUSEPORT,
};

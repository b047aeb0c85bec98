/**
 * Context layouts per program type (facts: struct layouts from the 6.18
 * vmlinux BTF; rules from the kernel's *_is_valid_access callbacks). Format and
 * how to add a type: ctx/types.ts. Data only.
 */
import type { CtxField, CtxLayout, CtxTable } from './types';

/** struct __sk_buff (6.18 BTF, 192 bytes), with the rules all skb program types share (bpf_skb_is_valid_access). */
function skbFields(over: Readonly<Record<string, Partial<CtxField>>>): CtxField[] {
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
    { name: 'cb', off: 48, size: 20, elem: 4, read: 'any', write: 'exact' },
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
    { name: 'tstamp_type', off: 180, size: 1, read: false, write: false },
    { name: 'hwtstamp', off: 184, size: 8, read: 'exact', write: false },
  ];
  return base.map((f) => ({ ...f, ...(over[f.name] ?? {}) }));
}

const NO: Partial<CtxField> = { read: false, write: false };

/** sk_filter_is_valid_access: no packet pointers, no socket fields, writes only to cb[]. */
const SOCKET_FILTER: CtxLayout = {
  struct: '__sk_buff', size: 192,
  fields: skbFields({
    tc_classid: NO, data: NO, data_meta: NO, data_end: NO,
    family: NO, remote_ip4: NO, local_ip4: NO, remote_ip6: NO, local_ip6: NO, remote_port: NO, local_port: NO,
    tstamp: NO, wire_len: NO, hwtstamp: NO,
  }),
};

/** tc_cls_act_is_valid_access: packet pointers; writes to mark, tc_index, priority, tc_classid, cb, tstamp, queue_mapping. */
const TC: CtxLayout = {
  struct: '__sk_buff', size: 192,
  fields: skbFields({
    mark: { write: 'exact' }, tc_index: { write: 'exact' }, priority: { write: 'exact' },
    tc_classid: { write: 'exact' }, queue_mapping: { write: 'exact' }, tstamp: { write: 'exact' },
    family: NO, remote_ip4: NO, local_ip4: NO, remote_ip6: NO, local_ip6: NO, remote_port: NO, local_port: NO,
    tstamp_type: { read: [1], write: [1] },
  }),
};

/** xdp_is_valid_access: read-only, u32 only; egress_ifindex only for devmap programs. */
function xdp(): CtxLayout {
  return {
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
}

/** kprobe_prog_is_valid_access: any aligned read inside struct pt_regs (x86_64: 168 bytes). */
const KPROBE: CtxLayout = {
  struct: 'pt_regs', size: 168, fields: [],
  rest: { lo: 0, hi: 168, read: [1, 2, 4, 8], write: [] },
};

/** tp_prog_is_valid_access: read-only, off >= 8 (the common header is hidden), below PERF_MAX_TRACE_SIZE. */
const TRACEPOINT: CtxLayout = {
  struct: '', size: 0, fields: [],
  rest: { lo: 8, hi: 8192, read: [1, 2, 4, 8], write: [] },
};

/** raw_tp_prog_is_valid_access: u64 args[12], read-only. */
const RAW_TP: CtxLayout = {
  struct: 'bpf_raw_tracepoint_args', size: 96, fields: [], maxArgs: 12,
  rest: { lo: 0, hi: 96, read: [1, 2, 4, 8], write: [] },
};

/** tracing_prog_is_valid_access + btf_ctx_access: u64 slots typed by the target's BTF prototype. */
const TRACING: CtxLayout = { struct: '', size: 96, fields: [], btfArgs: true, maxArgs: 12 };

export const CTX_TABLE: CtxTable = {
  socket_filter: SOCKET_FILTER,
  sched_cls: TC,
  sched_act: TC,
  xdp: xdp(),
  kprobe: KPROBE,
  tracepoint: TRACEPOINT,
  raw_tracepoint: RAW_TP,
  tracing: TRACING,
  lsm: TRACING,
};

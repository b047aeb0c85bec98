/**
 * The schema of context (`r1` at entry) access rules per program type, the
 * data form of the kernel's `*_is_valid_access()` callbacks (net/core/filter.c,
 * kernel/trace/bpf_trace.c). Data only; verifier/ctx-access.ts applies it.
 *
 * HOW TO ADD A PROGRAM TYPE (for whoever fills ctx/table.ts):
 *  1. Read the kernel's `xxx_is_valid_access(off, size, type, prog, info)` for the type.
 *  2. Take the ctx struct layout (offsets, sizes) from the 6.18 BTF, never from memory:
 *     `bpftool btf dump file /work/shared/kernel/6.18/vmlinux.btf format c` or server/src/btf
 *     (`Btf` -> find the struct -> members with bit offsets). Record `struct` and `size`.
 *  3. For a struct with named fields (__sk_buff, xdp_md, bpf_sock_addr, bpf_sock_ops, ...) list
 *     each field (or field group that behaves alike, e.g. `cb` = cb[0..4] as one 20-byte field
 *     with `elem: 4`) as a CtxField: which sizes may be read (`read`), written (`write`), and
 *     the register type a load produces (`regType`: data -> 'pkt', data_end -> 'pkt_end', ...).
 *     Offsets no field covers (padding) are refused.
 *  4. For a "flat" context (pt_regs for kprobe, a tracepoint record, raw_tp u64 args,
 *     bpf_perf_event_data) use `rest` instead of (or in addition to) fields: a window
 *     [lo, hi) where any aligned read of the listed sizes is allowed.
 *  5. fentry/fexit/tp_btf/lsm read their arguments through BTF (`btfArgs: true`); the verifier
 *     resolves the attach function's prototype itself.
 *  6. Every rejection prints the kernel's "invalid bpf_context access off=%d size=%d".
 *  Check tricky cases against the real kernel on this machine (bpftool prog load).
 */
import type { Width } from '../../isa';
import type { AttachType, ProgType } from '../progtypes';

/**
 * What a load from the field produces (the kernel's `info->reg_type`); default 'scalar'.
 * pkt / pkt_meta / pkt_end: PTR_TO_PACKET / PTR_TO_PACKET_META / PTR_TO_PACKET_END.
 * sock_common_or_null: PTR_TO_SOCK_COMMON_OR_NULL (__sk_buff->sk); sock_or_null: PTR_TO_SOCKET_OR_NULL
 * (bpf_sock_addr->sk is PTR_TO_SOCKET); flow_keys: PTR_TO_FLOW_KEYS; btf_id: PTR_TO_BTF_ID of `btfStruct`.
 */
export type CtxRegType =
  | 'scalar' | 'pkt' | 'pkt_meta' | 'pkt_end' | 'sock_common_or_null' | 'sock_or_null' | 'sock'
  | 'flow_keys' | 'btf_id' | 'btf_id_or_null';

/**
 * Which access sizes are allowed on a field (offset must also be a multiple of the size,
 * `off % size == 0`, which the kernel checks first for every access):
 * - false: never.
 * - 'exact': only the element size (`elem`, default the field's size), e.g. data/data_end (u32 only).
 * - 'narrow': the kernel's bpf_ctx_narrow_access_ok: any power of two <= the element size
 *   (1, 2, 4 on a u32; 1..8 on a u64), at an aligned offset inside the field.
 * - 'any': any aligned 1/2/4/8 access that stays inside the field (e.g. __sk_buff cb[]).
 * - a list of explicit sizes.
 */
export type CtxSizes = false | 'exact' | 'narrow' | 'any' | readonly Width[];

export interface CtxField {
  /** C member name as in the struct (for hovers: `skb->len`). */
  readonly name: string;
  readonly off: number;
  /** Bytes the field covers (a whole array for `cb[5]`: 20). */
  readonly size: number;
  /** Element size when the field is an array or a group of same-typed members (cb: 4). */
  readonly elem?: number;
  readonly read: CtxSizes;
  readonly write: CtxSizes;
  /** What a read produces; default 'scalar'. */
  readonly regType?: CtxRegType;
  /** For regType btf_id*: the BTF struct. */
  readonly btfStruct?: string;
  /** Only with these expected attach types (e.g. xdp_md.egress_ifindex: xdp_devmap); otherwise refused. */
  readonly attachTypes?: readonly AttachType[];
}

/** A window of a flat context where any aligned read of the given sizes is allowed. */
export interface CtxWindow {
  readonly lo: number;
  /** Exclusive end: off + size must be <= hi. */
  readonly hi: number;
  readonly read: readonly Width[];
  readonly write: readonly Width[];
}

export interface CtxLayout {
  /** The ctx struct seen by the program (`__sk_buff`, `xdp_md`, `pt_regs`, ...; '' for a raw record). */
  readonly struct: string;
  /** sizeof(struct); 0 when bounded only by `rest`. */
  readonly size: number;
  /** Named fields; looked up first. */
  readonly fields: readonly CtxField[];
  /** Accesses not inside any field fall here; refused if absent. */
  readonly rest?: CtxWindow;
  /** Arguments are u64 slots typed by the attach target's BTF prototype (fentry/fexit/tp_btf/lsm). */
  readonly btfArgs?: boolean;
  /** Max number of u64 argument slots (MAX_BPF_FUNC_ARGS = 12) for btfArgs / raw_tp. */
  readonly maxArgs?: number;
}

/** Program type -> layout; a function when the layout depends on the expected attach type. */
export type CtxTable = Readonly<Partial<Record<ProgType, CtxLayout | ((attach: AttachType | undefined) => CtxLayout)>>>;

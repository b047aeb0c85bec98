/**
 * The schema of helper prototypes, in the kernel's own vocabulary (struct
 * bpf_func_proto in include/linux/bpf.h): argument and return types, flags,
 * and per-program-type availability as "helper sets" mirroring the kernel's
 * *_func_proto() functions. Data only; the checks live in verifier/helpers.ts.
 *
 * HOW TO ADD A HELPER (for whoever fills protos/table.ts):
 *  1. Find the kernel's `const struct bpf_func_proto bpf_xxx_proto = { ... }` (kernel/bpf/helpers.c,
 *     kernel/trace/bpf_trace.c, net/core/filter.c, kernel/bpf/ringbuf.c, ...).
 *  2. Write one `HelperProto` with `name` = the helper name without `bpf_` (exactly as in
 *     isa/helpers.ts HELPER_NAMES, which is the kernel's enum bpf_func_id from vmlinux BTF),
 *     `ret` = `.ret_type`, `args` = `.arg1_type` .. `.arg5_type` as strings, flags joined with
 *     ` | ` just as in the kernel source: `'ARG_PTR_TO_MEM | MEM_RDONLY'`. Trailing ARG_DONTCARE
 *     args are omitted. ARG_PTR_TO_UNINIT_MEM is spelled `'ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE'`
 *     (its 6.18 definition); ARG_PTR_TO_FIXED_SIZE_MEM needs `argSize`.
 *  3. `gplOnly` = `.gpl_only`, `pktAccess` = `.pkt_access`. `retBtfStruct` names the struct of a
 *     RET_PTR_TO_BTF_ID* return (`.ret_btf_id` -> e.g. 'task_struct'); `argBtfStruct[i]` the struct
 *     of an ARG_PTR_TO_BTF_ID argument i (0-based).
 *  4. `sets`: the helper sets (below) whose *_func_proto switch lists the helper. Look at which
 *     `case BPF_FUNC_xxx:` it appears under: bpf_base_func_proto (split by the capability test that
 *     guards it: 'base', 'base_cap_bpf', 'base_perfmon'), bpf_tracing_func_proto ('tracing_common'),
 *     kprobe_prog_func_proto ('kprobe'), tp_prog_func_proto ('tracepoint'), ..., sk_filter_func_proto
 *     ('sk_filter'), tc_cls_act_func_proto ('tc'), xdp_func_proto ('xdp'), cg_skb_func_proto
 *     ('cg_skb'), ... Which sets each program type consults, and in which order, is PROG_TYPE_SETS in
 *     protos/table.ts (the kernel's fall-through to bpf_base_func_proto / bpf_sk_base_func_proto /
 *     bpf_tracing_func_proto).
 *  5. Run `node scripts/run-tests.mjs verifier-protos`: it checks every name and spelling.
 */
import type { ProgType } from '../progtypes';

/** Base argument types (enum bpf_arg_type). */
export type ArgBase =
  | 'ARG_DONTCARE'
  | 'ARG_ANYTHING'
  | 'ARG_CONST_MAP_PTR'
  | 'ARG_PTR_TO_MAP_KEY'
  | 'ARG_PTR_TO_MAP_VALUE'
  | 'ARG_PTR_TO_MEM'
  | 'ARG_PTR_TO_ARENA'
  | 'ARG_CONST_SIZE'
  | 'ARG_CONST_SIZE_OR_ZERO'
  | 'ARG_PTR_TO_CTX'
  | 'ARG_PTR_TO_SOCK_COMMON'
  | 'ARG_PTR_TO_BTF_ID_SOCK_COMMON'
  | 'ARG_PTR_TO_BTF_ID'
  | 'ARG_PTR_TO_PERCPU_BTF_ID'
  | 'ARG_PTR_TO_FUNC'
  | 'ARG_PTR_TO_STACK'
  | 'ARG_PTR_TO_CONST_STR'
  | 'ARG_PTR_TO_TIMER'
  | 'ARG_PTR_TO_KPTR'
  | 'ARG_PTR_TO_DYNPTR'
  | 'ARG_PTR_TO_SOCKET'
  | 'ARG_PTR_TO_SPIN_LOCK'
  | 'ARG_PTR_TO_RINGBUF_MEM'
  | 'ARG_PTR_TO_LONG'
  | 'ARG_PTR_TO_INT'
  | 'ARG_PTR_TO_FIXED_SIZE_MEM'
  | 'ARG_CONST_ALLOC_SIZE_OR_ZERO'
  | 'ARG_PTR_TO_CALLBACK_CTX';

/**
 * Type flags that modify an argument (enum bpf_type_flag), written after the base with ` | `.
 * PTR_MAYBE_NULL: NULL (a known-zero scalar) is accepted. MEM_RDONLY: the helper only reads
 * the memory (read-only memory is accepted; the bytes must be initialised). MEM_UNINIT +
 * MEM_WRITE: the helper writes the memory (it may be uninitialised stack; it becomes
 * STACK_MISC). MEM_ALIGNED: ARG_PTR_TO_FIXED_SIZE_MEM must be aligned. OBJ_RELEASE: the helper
 * releases the reference this argument carries (ringbuf submit/discard, sk_release).
 * DYNPTR_TYPE_*: which dynptr kind; MEM_FIXED_SIZE: used with ARG_PTR_TO_FIXED_SIZE_MEM.
 */
export type ArgFlag =
  | 'PTR_MAYBE_NULL' | 'MEM_RDONLY' | 'MEM_UNINIT' | 'MEM_WRITE' | 'MEM_ALIGNED' | 'MEM_FIXED_SIZE'
  | 'OBJ_RELEASE' | 'MEM_ALLOC' | 'DYNPTR_TYPE_LOCAL' | 'DYNPTR_TYPE_RINGBUF' | 'MEM_PERCPU' | 'MEM_USER';

/** An argument as written in the kernel source: a base, optionally ` | FLAG` up to three times. */
export type ArgText =
  | ArgBase
  | `${ArgBase} | ${ArgFlag}`
  | `${ArgBase} | ${ArgFlag} | ${ArgFlag}`
  | `${ArgBase} | ${ArgFlag} | ${ArgFlag} | ${ArgFlag}`;

/**
 * Return types (enum bpf_return_type). The `_OR_NULL` names stand for the kernel's
 * `PTR_MAYBE_NULL | RET_PTR_TO_...` combinations so a table entry is one string.
 * - RET_PTR_TO_MAP_VALUE_OR_NULL: map value of the map passed as ARG_CONST_MAP_PTR (value_size from it).
 * - RET_PTR_TO_MEM_OR_NULL: memory of `retSizeArg`'s constant size (bpf_ringbuf_reserve, arg 2).
 * - RET_PTR_TO_MEM_OR_BTF_ID(_OR_NULL): per-cpu/ksym memory; RET_PTR_TO_BTF_ID(_OR_NULL): pointer to
 *   the BTF struct `retBtfStruct` (e.g. 'task_struct' for get_current_task_btf).
 * - RET_PTR_TO_SOCKET_OR_NULL / TCP_SOCK / SOCK_COMMON: bpf_sock / bpf_tcp_sock / bpf_sock (common).
 */
export type RetType =
  | 'RET_INTEGER'
  | 'RET_VOID'
  | 'RET_PTR_TO_MAP_VALUE'
  | 'RET_PTR_TO_MAP_VALUE_OR_NULL'
  | 'RET_PTR_TO_SOCKET_OR_NULL'
  | 'RET_PTR_TO_TCP_SOCK_OR_NULL'
  | 'RET_PTR_TO_SOCK_COMMON_OR_NULL'
  | 'RET_PTR_TO_MEM_OR_NULL'
  | 'RET_PTR_TO_DYNPTR_MEM_OR_NULL'
  | 'RET_PTR_TO_MEM_OR_BTF_ID'
  | 'RET_PTR_TO_MEM_OR_BTF_ID_OR_NULL'
  | 'RET_PTR_TO_BTF_ID'
  | 'RET_PTR_TO_BTF_ID_OR_NULL'
  | 'RET_PTR_TO_BTF_ID_TRUSTED';

/**
 * Helper sets: one per kernel *_func_proto function (or per capability branch of one). A program
 * type consults its sets in the order PROG_TYPE_SETS gives (protos/table.ts); the first set that
 * has the helper wins (only availability matters, the prototype itself is per helper).
 * Kernel-side capability gating: 'base' is always there; 'base_cap_bpf' needs bpf_capable();
 * 'base_perfmon' needs perfmon_capable() (we model both privilege modes: 'root' has all, 'cap_bpf'
 * lacks perfmon).
 */
export type HelperSet =
  | 'base'            // bpf_base_func_proto, unconditional part (map ops, ktime, prandom, tail_call, ...)
  | 'base_cap_bpf'    // bpf_base_func_proto, after `if (!bpf_token_capable(token, CAP_BPF))` (spin locks, ringbuf, timers, loop, ...)
  | 'base_perfmon'    // bpf_base_func_proto, after `if (!bpf_token_capable(token, CAP_PERFMON))` (probe_read_kernel, get_current_task, ...)
  | 'tracing_common'  // bpf_tracing_func_proto (kprobe, tracepoint, perf_event, raw_tp, tracing fall through here)
  | 'kprobe'          // kprobe_prog_func_proto
  | 'tracepoint'      // tp_prog_func_proto
  | 'perf_event'      // pe_prog_func_proto
  | 'raw_tp'          // raw_tp_prog_func_proto
  | 'tracing'         // tracing_prog_func_proto (fentry/fexit/tp_btf/iter)
  | 'lsm'             // bpf_lsm_func_proto
  | 'sk_base'         // bpf_sk_base_func_proto (network programs fall through here, then to base)
  | 'sk_filter'       // sk_filter_func_proto
  | 'tc'              // tc_cls_act_func_proto
  | 'xdp'             // xdp_func_proto
  | 'cg_skb'          // cg_skb_func_proto
  | 'sock_filter'     // sock_filter_func_proto (cgroup_sock)
  | 'sock_addr'       // sock_addr_func_proto
  | 'sock_ops'        // sock_ops_func_proto
  | 'sk_skb'          // sk_skb_func_proto
  | 'sk_msg'          // sk_msg_func_proto
  | 'lwt'             // lwt_out_func_proto / lwt_in / lwt_xmit (common part)
  | 'flow_dissector'  // flow_dissector_func_proto
  | 'sk_lookup'       // sk_lookup_func_proto
  | 'sk_reuseport'    // sk_reuseport_func_proto
  | 'cgroup_common'   // cgroup_common_func_proto (cgroup_* program types)
  | 'cgroup_dev'      // cgroup_dev_func_proto
  | 'sysctl'          // sysctl_func_proto
  | 'sockopt'         // cg_sockopt_func_proto
  | 'syscall'         // syscall_prog_func_proto
  | 'struct_ops';     // bpf_struct_ops/tcp congestion ops protos (partial)

/** One helper's prototype (struct bpf_func_proto) plus where it is available. */
export interface HelperProto {
  /** Name without `bpf_`, as in isa/helpers.ts HELPER_NAMES (its index is the helper id). */
  readonly name: string;
  readonly ret: RetType;
  /** arg1..arg5 (trailing ARG_DONTCARE omitted). */
  readonly args: readonly ArgText[];
  /** `.gpl_only`: refused in non-GPL programs ("cannot call GPL-restricted function from non-GPL compatible program"). */
  readonly gplOnly?: boolean;
  /** `.pkt_access`: may take packet pointers as memory arguments. */
  readonly pktAccess?: boolean;
  /** For RET_PTR_TO_BTF_ID*: the struct pointed to (`.ret_btf_id`). */
  readonly retBtfStruct?: string;
  /** For RET_PTR_TO_MEM_OR_NULL: 1-based argument whose constant value is the memory size (ringbuf_reserve: 2). */
  readonly retSizeArg?: number;
  /** For ARG_PTR_TO_BTF_ID args: struct per 0-based argument index (`.arg1_btf_id`...). */
  readonly argBtfStruct?: readonly (string | undefined)[];
  /** For ARG_PTR_TO_FIXED_SIZE_MEM: size per 0-based argument index (`.arg1_size`...). */
  readonly argSize?: readonly (number | undefined)[];
  /** The returned pointer holds a reference that must be released (is_acquire_function: sk_lookup_*, ringbuf_reserve, ...). */
  readonly acquire?: boolean;
  /** bpf_helper_changes_pkt_data(): the call invalidates every packet pointer. */
  readonly changesPktData?: boolean;
  /** Which helper sets list it (see HelperSet); a helper no set lists is unavailable everywhere. */
  readonly sets: readonly HelperSet[];
  /** Restricted to these expected attach types within its sets (rare; e.g. get_func_ret: fexit/fmod_ret). */
  readonly attachTypes?: readonly string[];
}

/** Which helper sets a program type consults (the kernel's *_func_proto chain, in order). */
export type ProgTypeSets = Readonly<Partial<Record<ProgType, readonly HelperSet[]>>>;

/** A parsed argument: base type and flags. */
export interface ArgSpec {
  readonly base: ArgBase;
  readonly flags: ReadonlySet<ArgFlag>;
}

/** Splits `'ARG_PTR_TO_MEM | MEM_RDONLY'` into base and flags. */
export function parseArg(text: ArgText): ArgSpec {
  const parts = text.split('|').map((s) => s.trim());
  return { base: parts[0] as ArgBase, flags: new Set(parts.slice(1) as ArgFlag[]) };
}

/**
 * The verifier: an abstract interpreter modelled on the Linux 6.18 verifier
 * that gives the kernel's verdict, message and instruction, plus explanations,
 * per-pc states and a kernel-format log. Pure: no I/O, never throws.
 *
 * Modelled: the pre-pass checks (call targets, jump ranges, last instruction,
 * LD_IMM64 halves and map references, unknown opcodes, unreachable code);
 * registers with tnums and signed/unsigned 64/32-bit bounds and the kernel's
 * ALU transfer functions, branch refinement and linked scalar ids; pointer
 * types (ctx, stack, map pointer/value/key, packet/meta/end, memory and ringbuf
 * memory, sockets, BTF pointers, functions) with the pointer-arithmetic rules;
 * NULL checks by id; per-byte stack slot types with spills and fills; map
 * value, packet, ctx (tables), memory and BTF-pointer accesses (trusted, RCU
 * and untrusted walks); helper calls through the prototype table with
 * per-program-type availability (array lookups with a constant in-range key
 * are not NULL); reference tracking;
 * kfunc calls through the kernel BTF (availability by kfunc set, the flags
 * table in kfunc-table.ts, argument checks, acquire/release, RCU read
 * sections, BTF-typed returns) and open-coded iterators (stack iterator
 * state, loop convergence at next() with widening of differing scalars);
 * sleepable programs (helpers and kfuncs that might sleep, RCU sections);
 * bpf-to-bpf calls (8 frames, combined stack); global (BTF_FUNC_GLOBAL)
 * subprograms checked at calls against their BTF prototype and verified
 * alone afterwards; helper callbacks (bpf_loop, bpf_for_each_map_elem,
 * bpf_find_vma, bpf_user_ringbuf_drain: callback frames with the kernel's
 * arguments and [0, 1] returns, widening at the callsite; bpf_timer_set_callback:
 * an async path of its own returning 0) and the bpf_timer argument checks
 * (the value's timer offset from map BTF); map pointer reads; return
 * ranges; path exploration with pruning (static liveness, approximate
 * precision), infinite-loop detection and the 1M-instruction limit; root vs
 * CAP_BPF-only (pointer leaks/comparisons, uninitialised stack, Spectre v1
 * checks on pointer arithmetic and speculative paths).
 *
 * Left out: kfuncs outside kfunc-table.ts are checked with no flags; graph
 * (list/rbtree), bpf_obj_new/drop, dynptr and callback kfuncs; iterator
 * widening takes precision from a static analysis (value uses, not
 * comparisons) and widens every scalar past loop depth 64, so a precise
 * counter the kernel unrolls to the 1M limit converges here; BTF type
 * walking for PTR_TO_BTF_ID loads beyond pointer members (other reads give
 * scalars), dynptrs (only a user_ringbuf_drain callback's dynptr_ptr, which
 * dynptr helpers accept), spin locks, kptrs, arena, argument decl tags
 * of global subprograms (__arg_ctx, __arg_nonnull ...), precise precision
 * backtracking (a static approximation is used, so state counts differ from
 * the kernel's), may_goto, and the `P` precision marks in the log.
 */
export type * from './types';
export { verify } from './verifier';
export { explain } from './explain';
export { printInsn } from './insn-print';
export { sectionProgType, isProgType, PROG_TYPES } from './progtypes';
export type { ProgType, AttachType } from './progtypes';
export { fromObject } from './from-object';

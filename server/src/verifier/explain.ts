/**
 * Plain-language explanations and suggested fixes for the kernel's verifier
 * messages. The kernel's words are kept as they are; this adds help beside
 * them. Matched by pattern; unknown messages get a generic text.
 */

interface Help { re: RegExp; explanation: string; suggestion: string }

const TABLE: Help[] = [
  { re: /invalid mem access '(map_value_or_null|\w+_or_null)'/, explanation: 'The register may be NULL here: a helper such as bpf_map_lookup_elem() returns NULL when there is no such element, and the program dereferences it without checking.', suggestion: 'Check the pointer first: `if (!val) return 0;` before reading or writing through it.' },
  { re: /invalid mem access 'scalar'/, explanation: 'The register holds a number, not a pointer the verifier knows, so it cannot be dereferenced.', suggestion: 'Dereference only pointers from the context, the stack, map lookups or helpers; read kernel memory with bpf_probe_read_kernel().' },
  { re: /invalid mem access/, explanation: 'This kind of pointer cannot be dereferenced directly.', suggestion: 'Use the helper meant for this object, or check the pointer type.' },
  { re: /!read_ok/, explanation: 'The register is read before anything was written to it on this path (after a call, r1-r5 are clobbered; r0 must be set before exit).', suggestion: 'Set the register before using it; after a helper call reload arguments you still need from callee-saved registers r6-r9.' },
  { re: /^unreachable insn/, explanation: 'No path of the program reaches this instruction; the kernel refuses dead code.', suggestion: 'Remove the instruction or fix the jump that should lead to it.' },
  { re: /^jump out of range/, explanation: 'A jump goes outside the program (or outside its function).', suggestion: 'Fix the jump offset or label.' },
  { re: /^last insn is not an exit or jmp/, explanation: 'Execution could fall off the end of the program or of a function.', suggestion: 'End every function with `exit` (or an unconditional jump).' },
  { re: /^infinite loop detected/, explanation: 'The verifier came back to this instruction with exactly the same state, so the loop can never end.', suggestion: 'Make sure the loop variable changes and is compared against a bound on every iteration.' },
  { re: /^BPF program is too large/, explanation: 'Exploring every path took more than 1,000,000 instruction steps (loops are unrolled by the verifier).', suggestion: 'Reduce loop bounds, use bpf_loop(), or split the work with tail calls.' },
  { re: /^invalid access to map value/, explanation: 'The access may fall outside the map value (offset plus size exceeds value_size or is negative).', suggestion: 'Bounds-check the offset against the value size before the access.' },
  { re: /min value is outside of the allowed memory range/, explanation: 'With the smallest possible offset, the access is outside the object.', suggestion: 'Check the lower bound of the index (e.g. `if (i < 0) return 0;`) or use an unsigned index.' },
  { re: /max value is outside of the allowed memory range/, explanation: 'With the largest possible offset, the access runs past the end of the object.', suggestion: 'Add an upper bound check such as `if (i >= N) return 0;` where N keeps the access inside the object.' },
  { re: /unbounded memory access/, explanation: 'The offset has no known upper bound, so the access could go anywhere.', suggestion: 'Bound the variable first: `if (i < N)` or `i &= N - 1`.' },
  { re: /min value is negative/, explanation: 'The offset could be negative.', suggestion: 'Use an unsigned type for the index or check `if (i >= 0)`.' },
  { re: /math between .* pointer and register with unbounded min value/, explanation: 'A value with no lower bound is added to a pointer.', suggestion: 'Check the value range before adding it to the pointer.' },
  { re: /pointer arithmetic on .* prohibited, null-check it first/, explanation: 'Arithmetic on a pointer that may still be NULL.', suggestion: 'Check the pointer against NULL before computing with it.' },
  { re: /pointer arithmetic/, explanation: 'This arithmetic is not allowed on this kind of pointer.', suggestion: 'Only add or subtract bounded values to pointers that support it (stack, map values, packet, context).' },
  { re: /pointer comparison prohibited/, explanation: 'Without CAP_PERFMON, pointers cannot be compared (it could leak addresses).', suggestion: 'Compare scalar values instead, or load the program with CAP_PERFMON.' },
  { re: /leaks addr/, explanation: 'A pointer value would be exposed (stored or returned) where the program is not allowed to leak kernel addresses.', suggestion: 'Store or return numbers, not pointers.' },
  { re: /^invalid read from stack/, explanation: 'The stack bytes read here were never written on this path, or the read is outside the stack.', suggestion: 'Initialise the stack variable (e.g. `= {}`) before passing it or reading it.' },
  { re: /^invalid (variable-offset )?write to stack/, explanation: 'The write goes outside the 512-byte stack frame.', suggestion: 'Keep stack offsets between -512 and -1 from r10.' },
  { re: /misaligned stack access/, explanation: 'Stack accesses must be aligned to their size.', suggestion: 'Align the offset to the access size.' },
  { re: /^invalid bpf_context access/, explanation: 'This offset or size is not a readable/writable field of the context for this program type.', suggestion: 'Access context fields with their declared sizes; use helpers or BPF_CORE_READ for other data.' },
  { re: /^dereference of modified ctx ptr/, explanation: 'The context pointer was moved before the access; the kernel rewrites ctx accesses and needs the original pointer.', suggestion: 'Access ctx fields as `*(u32 *)(r1 + off)` with the unmodified pointer.' },
  { re: /^invalid access to packet/, explanation: 'The packet access is not proven to be inside the packet.', suggestion: 'Compare `data + offset + size` with `data_end` before the access.' },
  { re: /offset is outside of the packet/, explanation: 'The packet access is not proven to be inside the packet.', suggestion: 'Compare `data + offset + size` with `data_end` before the access.' },
  { re: /^program of this type cannot use helper/, explanation: 'This helper is not available to this program type (or needs more privileges).', suggestion: 'Use a helper available to this program type, or change the program type.' },
  { re: /^invalid func/, explanation: 'No helper has this id.', suggestion: 'Check the helper id/name.' },
  { re: /type=.* expected=/, explanation: 'The argument passed to the helper is not the kind of pointer or value the helper expects.', suggestion: 'Pass the argument type the helper prototype asks for (e.g. a map for arg 1 of map helpers, a stack pointer for keys).' },
  { re: /^calling kernel function .* is not allowed/, explanation: 'This kfunc is not registered for this program type (task and cgroup kfuncs, for example, are for tracing, tc, xdp, cgroup and syscall programs).', suggestion: 'Call it from a program type that may use it, or use a helper available here.' },
  { re: /^expected an initialized iter_/, explanation: 'The iterator passed here was never created with bpf_iter_*_new() on this path, was already destroyed, or its stack slot was overwritten.', suggestion: 'Create the iterator with bpf_iter_*_new() first, and do not write to its stack memory.' },
  { re: /^expected uninitialized iter_/, explanation: 'bpf_iter_*_new() is given an iterator that is still live; it would leak the first one.', suggestion: 'Destroy the iterator with bpf_iter_*_destroy() before creating it again, or use a second one.' },
  { re: /expected pointer to an iterator on stack/, explanation: 'Iterators must live on the BPF stack.', suggestion: 'Declare the iterator as a local variable.' },
  { re: /^Possibly NULL pointer passed to trusted arg/, explanation: 'The kfunc needs a valid pointer, but this one may be NULL (acquiring kfuncs such as bpf_task_from_pid() return NULL on failure).', suggestion: 'Check the pointer against NULL before passing it.' },
  { re: /^release kernel function .* expects refcounted/, explanation: 'A release kfunc is given a pointer the program does not own a reference to.', suggestion: 'Release only pointers returned by the matching acquire kfunc (bpf_task_acquire(), bpf_task_from_pid(), ...).' },
  { re: /must point to (void, )?scalar, or struct with scalar/, explanation: 'The argument is not a pointer the verifier knows to be of the kfunc\'s parameter type (a released or plain integer value, or memory of the wrong kind).', suggestion: 'Pass a pointer of the parameter\'s BTF type, e.g. one returned by an acquire kfunc or from the program context.' },
  { re: /rcu read lock|bpf_rcu_read_lock-ed region|rcu read unlock/, explanation: 'bpf_rcu_read_lock() and bpf_rcu_read_unlock() must pair up on every path, without nesting.', suggestion: 'Unlock exactly once on every path before returning.' },
  { re: /^failed to find kernel BTF type ID of/, explanation: 'The attach target named in the section (tp_btf/, fentry/, lsm/) does not exist in the kernel\'s BTF; libbpf stops before loading.', suggestion: 'Check the function or tracepoint name against the kernel (bpftool btf dump file /sys/kernel/btf/vmlinux).' },
  { re: /^failed to resolve CO-RE relocation/, explanation: 'A field or type the program reads with CO-RE does not exist in the kernel\'s BTF; libbpf poisons the instruction.', suggestion: 'Guard the access with bpf_core_field_exists(), or use the field name of this kernel version.' },
  { re: /^Caller passes invalid args into func/, explanation: 'A global function is checked against its BTF prototype at each call: an argument does not match the declared type.', suggestion: 'Pass values of the declared types (pointers to memory of the pointee size, the context, or scalars), or make the function static.' },
  { re: /^Unreleased reference/, explanation: 'A reference acquired on this path (a socket lookup, a ringbuf reservation) is never released before exit.', suggestion: 'Call the matching release helper (bpf_sk_release, bpf_ringbuf_submit/discard) on every path.' },
  { re: /^div by zero/, explanation: 'Division or modulo by the constant 0.', suggestion: 'Divide by a non-zero constant.' },
  { re: /^invalid shift/, explanation: 'The shift amount is not between 0 and the operand width minus one.', suggestion: 'Use a shift of 0-63 (64-bit) or 0-31 (32-bit).' },
  { re: /uses reserved fields/, explanation: 'A field of the instruction that must be zero is not.', suggestion: 'Fix the instruction encoding.' },
  { re: /^unknown opcode/, explanation: 'The opcode is not a BPF instruction.', suggestion: 'Fix the instruction encoding.' },
  { re: /frame pointer is read only/, explanation: 'r10 is the frame pointer and cannot be written.', suggestion: 'Copy r10 into another register and change that one.' },
  { re: /^At callback return the register R0/, explanation: 'A callback of bpf_loop, bpf_for_each_map_elem, bpf_find_vma or bpf_user_ringbuf_drain must return 0 (go on) or 1 (stop).', suggestion: 'Return 0 or 1, e.g. `return done ? 1 : 0;`.' },
  { re: /^At async callback return the register R0/, explanation: 'A bpf_timer callback runs later, on its own, and must return 0.', suggestion: 'End the timer callback with `return 0;`.' },
  { re: /^R0 not a scalar value/, explanation: 'A callback returns a pointer; callbacks return a number (0 or 1).', suggestion: 'Return 0 or 1 from the callback.' },
  { re: /^verifier bug: callback unexpected regs/, explanation: 'The 6.18 verifier stops with an internal error when a callback (bpf_loop, bpf_for_each_map_elem...) makes a tail call: tail calls cannot be made from callbacks.', suggestion: 'Make the tail call from the main program, after the helper returns (e.g. record the decision in the callback context).' },
  { re: /^callback function not allowed for map/, explanation: 'bpf_for_each_map_elem walks only array, per-CPU array and hash maps (plain, per-CPU and LRU).', suggestion: 'Walk one of those map types, or iterate keys with a bounded loop.' },
  { re: /^callback function not static/, explanation: 'Callbacks passed to helpers must be static functions (global functions are verified alone, without the caller\'s context).', suggestion: 'Declare the callback `static`.' },
  { re: /^missing btf func_info/, explanation: 'Callback functions need the program\'s BTF function info, which raw or BTF-less objects do not carry.', suggestion: 'Compile with -g so the object has BTF and load it through libbpf.' },
  { re: /^write to change key/, explanation: 'The key pointer a map callback receives points into the map and is read-only.', suggestion: 'Copy the key to the stack if you need to change it.' },
  { re: /bpf_timer/, explanation: 'A bpf_timer lives in a map value declared with BTF, is used only through the timer helpers with a pointer to exactly its field, and cannot be used by kprobe, tracepoint, perf_event or raw tracepoint programs.', suggestion: 'Pass `&val->timer` from a lookup in the map declared with `struct bpf_timer`, and the same map to bpf_timer_init().' },
  { re: /^only read from \w+ is supported|^'struct \w+' access is allowed only to|^map_ptr access not supported/, explanation: 'A map pointer can only be read (fields of the kernel\'s map struct), and only with CAP_PERFMON.', suggestion: 'Do not write through a map pointer; keep data in map values.' },
  { re: /^only read is supported/, explanation: 'Kernel objects reached through BTF pointers (a task, a vma) are read-only to this program type.', suggestion: 'Copy the field into the stack or a map value and change the copy.' },
  { re: /^At program exit the register R0/, explanation: 'This program type requires a specific range of return values.', suggestion: 'Return one of the allowed values (see the range in the message).' },
  { re: /call stack of .* frames is too deep/, explanation: 'Calls nest deeper than 8 frames.', suggestion: 'Reduce the nesting of function calls.' },
  { re: /combined stack size/, explanation: 'The stack frames of nested calls together exceed 512 bytes.', suggestion: 'Use less stack per function, or move large buffers to a per-CPU array map.' },
  { re: /invalid size of register (fill|spill)/, explanation: 'A pointer spilled to the stack must be stored and reloaded as a whole 8-byte value.', suggestion: 'Use 8-byte stores and loads for pointers on the stack.' },
  { re: /bpf_ld_imm64|ldimm64/, explanation: 'A 64-bit immediate load is malformed.', suggestion: 'Both halves of `lddw` must be present and well formed.' },
];

export function explain(message: string): { explanation: string; suggestion: string } {
  for (const h of TABLE) if (h.re.test(message)) return { explanation: h.explanation, suggestion: h.suggestion };
  return { explanation: 'The kernel verifier cannot prove this instruction safe.', suggestion: 'Read the state before the instruction in the log to see what the verifier knows.' };
}

// Type checker against the shared 6.18 kernel data: tracepoint args from
// tracefs formats, fentry/fexit and rawtracepoint arguments from BTF, struct
// member chains, casts to kernel structs, did-you-mean hints, probe contexts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../../server/src/bpftrace/parser';
import { typecheck, TypeInfo } from '../../server/src/bpftrace/typecheck';
import { typeName } from '../../server/src/bpftrace/types';
import { checkScript } from '../../server/src/bpftrace/check';
import { kernel618, kernelOrSkip } from '../fixtures/bpftrace/types/kernel';

function run(t: TestContext, src: string, target = '0.26'): { info: TypeInfo; ok: boolean } {
  const kernel = kernelOrSkip(t);
  const r = parse(src);
  assert.deepEqual(r.diagnostics.map((d) => d.message), [], `parse: ${src}`);
  return { info: typecheck(r.program, kernel ?? {}, { target }), ok: kernel !== undefined };
}

function typeOf(info: TypeInfo, src: string, text: string): string {
  for (const [e, ty] of info.exprs) if (src.slice(e.range.start, e.range.end) === text) return typeName(ty);
  for (const [v, ty] of info.vars) if (src.slice(v.range.start, v.range.end) === text) return typeName(ty);
  throw new Error(`no expression '${text}'`);
}

function diags(info: TypeInfo, src: string): [string, string, string, string?][] {
  return info.diagnostics.map((d) => [d.severity, d.message, src.slice(d.range.start, d.range.end), ...(d.hint ? [d.hint] : [])] as [string, string, string, string?]);
}

test('tracepoint args: field types from the format, ProbeCtx with offsets and sizes', (t) => {
  const src = 'tracepoint:syscalls:sys_enter_openat { $f = str(args.filename); $d = args.dfd; $m = args.mode; } tracepoint:sched:sched_switch { $c = args.prev_comm; $p = args.prev_pid; }';
  const { info, ok } = run(t, src);
  if (!ok) return;
  assert.equal(typeOf(info, src, 'args.filename'), 'int8 *');
  assert.equal(typeOf(info, src, 'args.dfd'), 'int64'); // `int dfd` of size 8 is declared as a signed 64-bit field
  assert.equal(typeOf(info, src, 'args.mode'), 'uint64');
  assert.equal(typeOf(info, src, 'args.prev_comm'), 'string[16]');
  assert.equal(typeOf(info, src, 'args.prev_pid'), 'int32');
  assert.equal(typeOf(info, src, 'args'), 'struct _tracepoint_syscalls_sys_enter_openat *');
  const ctx = [...info.probes.values()][0];
  assert.equal(ctx.provider, 'tracepoint');
  const fname = ctx.args?.find((a) => a.name === 'filename');
  assert.deepEqual(fname && { offset: fname.offset, size: fname.size }, { offset: 24, size: 8 });
  const field = [...info.fields].find(([f]) => f.field === 'filename')?.[1];
  assert.equal(field?.via, 'args');
  assert.equal(field?.offset, 24);
  assert.deepEqual(diags(info, src), []);
});

test('tracepoint args: unknown fields with did-you-mean; __data_loc fields', (t) => {
  const src = 'tracepoint:syscalls:sys_enter_openat { $f = args.filenme; } tracepoint:sched:sched_process_exec { $n = str(args.filename); }';
  const { info, ok } = run(t, src);
  if (!ok) return;
  assert.deepEqual(diags(info, src), [
    ['error', "Struct/union of type 'struct _tracepoint_syscalls_sys_enter_openat' does not contain a field named 'filenme'", 'args.filenme', "did you mean 'filename'?"],
  ]);
  assert.equal(typeOf(info, src, 'args.filename'), 'int8 *');
  const ctx = [...info.probes.values()][1];
  assert.equal(ctx.args?.find((a) => a.name === 'filename')?.dynamic, 'data_loc');
  const old = run(t, 'tracepoint:sched:sched_process_exec { $n = args->filename; }', '0.17');
  assert.equal(typeOf(old.info, 'tracepoint:sched:sched_process_exec { $n = args->filename; }', '$n'), 'uint32');
});

test('curtask and struct chains through pointers, anonymous members and arrays', (t) => {
  const src = 'kprobe:vfs_read { $a = curtask->mm->mmap_base; $b = curtask->comm; $c = curtask->pidd; $d = curtask->real_parent->tgid; $e = curtask->__state; }';
  const { info, ok } = run(t, src, '0.17');
  if (!ok) return;
  assert.equal(typeOf(info, src, 'curtask->mm'), 'struct mm_struct *');
  assert.equal(typeOf(info, src, '$a'), 'uint64');
  assert.equal(typeOf(info, src, '$b'), 'string[16]');
  assert.equal(typeOf(info, src, '$d'), 'int32');
  assert.equal(typeOf(info, src, '$e'), 'uint32');
  assert.deepEqual(diags(info, src), [
    ['error', "Struct/union of type 'struct task_struct' does not contain a field named 'pidd'", 'curtask->pidd', "did you mean 'pid'?"],
  ]);
  const tgid = [...info.fields].find(([f]) => f.field === 'tgid')?.[1];
  assert.equal(tgid?.via, 'struct');
  assert.ok(tgid !== undefined && tgid.offset > 0);
  // An anonymous union member: struct sk_buff's `len` is reached through nested anonymous members.
  const s2 = 'kprobe:vfs_read { $s = (struct sk_buff *)arg0; $l = $s->len; $d = $s->dev->name; }';
  const r2 = run(t, s2);
  assert.equal(typeOf(r2.info, s2, '$l'), 'uint32');
  assert.equal(typeOf(r2.info, s2, '$d'), 'string[16]');
  assert.deepEqual(diags(r2.info, s2), []);
});

test('casts to kernel structs: unknown names with did-you-mean, struct values, -> and . per era', (t) => {
  const src = 'kprobe:vfs_read { $r = (struct task_strct *)arg0; $s = (struct task_struct)arg0; $t = curtask.pid; }';
  const { info, ok } = run(t, src, '0.17');
  if (!ok) return;
  assert.deepEqual(diags(info, src), [
    ['error', "Unknown struct/union: 'struct task_strct'", '(struct task_strct *)', "did you mean 'struct task_struct'?"],
    ['error', 'Cannot cast to struct type "struct task_struct"', '(struct task_struct)'],
    ['error', "Can not access field 'pid' on type 'struct task_struct *'. Try dereferencing it first, or using '->'", 'curtask.'],
  ]);
  const s2 = 'kprobe:vfs_read { $t = curtask.pid; }';
  assert.deepEqual(diags(run(t, s2).info, s2), []);
});

test('fentry/fexit: args and retval from BTF; missing functions warn', (t) => {
  const src = 'fentry:vfs_read { $f = args.file; $n = args.count; $x = args.cnt; } fexit:vfs_read { $r = retval; } fentry:no_such_function_x { }';
  const { info, ok } = run(t, src);
  if (!ok) return;
  assert.equal(typeOf(info, src, 'args.file'), 'struct file *');
  assert.equal(typeOf(info, src, 'args.count'), 'uint64');
  assert.equal(typeOf(info, src, 'retval'), 'int64');
  const ctx = [...info.probes.values()][0];
  assert.deepEqual(ctx.args?.map((a) => [a.name, a.offset]), [['file', 0], ['buf', 8], ['count', 16], ['pos', 24]]);
  assert.deepEqual(diags(info, src), [
    ['error', "Can't find function parameter cnt", 'args.cnt', "did you mean 'count'?"],
    ['warning', 'No BTF found for no_such_function_x', 'fentry:no_such_function_x'],
  ]);
});

test('rawtracepoint: args from BTF without the leading ctx', (t) => {
  const src = 'rawtracepoint:sched_switch { $p = args.prev; $q = args.preempt; }';
  const { info, ok } = run(t, src);
  if (!ok) return;
  assert.equal(typeOf(info, src, 'args.prev'), 'struct task_struct *');
  assert.equal(typeOf(info, src, 'args.preempt'), 'bool');
  assert.deepEqual([...info.probes.values()][0].args?.map((a) => a.name), ['preempt', 'prev', 'next', 'prev_state']);
});

test('checkScript reports type errors with the first pass, without repeating its diagnostics', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const r = checkScript('tracepoint:syscalls:sys_enter_openat { $f = args.filenme; $x = curtask->pidd; @x = 1; @x = "a"; }', '0.26', kernel);
  assert.deepEqual(r.diagnostics.map((d) => d.message), [
    "Struct/union of type 'struct _tracepoint_syscalls_sys_enter_openat' does not contain a field named 'filenme'",
    "Struct/union of type 'struct task_struct' does not contain a field named 'pidd'",
    "Type mismatch for @x: trying to assign value of type 'string[2]' when map already has a type 'int8'",
  ]);
  assert.ok(r.types);
});

test('several attach points: each context is kept; a field missing in one is an error', (t) => {
  const src = 'fentry:vfs_read, fentry:vfs_write { $n = args.count; $b = args.buf; } fentry:vfs_read, fentry:vfs_open { $x = args.count; }';
  const { info, ok } = run(t, src);
  if (!ok) return;
  const [both, mixed] = [...info.probes.values()];
  // The kernel builds with -funsigned-char: BTF's `char` is unsigned.
  assert.deepEqual(both.attach?.map((c) => c.args?.find((a) => a.name === 'buf')?.type), [
    { k: 'ptr', to: { k: 'int', bits: 8, signed: false } }, { k: 'ptr', to: { k: 'int', bits: 8, signed: false } },
  ]);
  assert.equal(mixed.attach?.length, 2);
  assert.deepEqual(diags(info, src).map((d) => d.slice(0, 3)), [['error', "Can't find function parameter count", 'args.count']]);
});

test('probe targets missing from BTF are warnings with did-you-mean', (t) => {
  const src = 'kprobe:vfs_red { } kretprobe:vfs_read { } kprobe:vfs_read+4 { } fentry:vfs_wrte { } rawtracepoint:sched_swtch { }';
  const { info, ok } = run(t, src);
  if (!ok) return;
  assert.deepEqual(diags(info, src), [
    ['warning', "kprobe target not found in the kernel's BTF: vfs_red", 'kprobe:vfs_red', "did you mean 'vfs_read'?"],
    ['warning', 'No BTF found for vfs_wrte', 'fentry:vfs_wrte', "did you mean 'vfs_write'?"],
    ['warning', 'No BTF found for rawtracepoint sched_swtch', 'rawtracepoint:sched_swtch', "did you mean 'sched_switch'?"],
  ]);
});

test('sizeof and offsetof: values from BTF in consts, unknown members with did-you-mean', (t) => {
  const src = 'BEGIN { $a = sizeof(struct task_struct); $b = offsetof(struct task_struct, pid); $c = offsetof(struct task_struct, pidd); $f = sizeof(uint32); $g = offsetof(struct task_struct, se.load); $h = sizeof(comm); }';
  const { info, ok } = run(t, src);
  if (!ok) return;
  const btf = kernel618().kernel!.btf;
  const task = btf.find('task_struct')!;
  const value = (text: string): bigint | undefined => {
    for (const [e, v] of info.consts) if (src.slice(e.range.start, e.range.end) === text) return v;
    return undefined;
  };
  assert.equal(value('sizeof(struct task_struct)'), BigInt(btf.sizeof(task)!));
  assert.equal(value('offsetof(struct task_struct, pid)'), BigInt(btf.findMember(task, 'pid')!.bitOffset / 8));
  const se = btf.findMember(task, 'se')!;
  assert.equal(value('offsetof(struct task_struct, se.load)'), BigInt((se.bitOffset + btf.findMember(se.type, 'load')!.bitOffset) / 8));
  assert.equal(value('sizeof(uint32)'), 4n);
  assert.equal(value('sizeof(comm)'), 16n);
  assert.equal(typeOf(info, src, '$a'), 'uint64');
  assert.deepEqual(diags(info, src), [
    ['error', "'struct task_struct' has no field named 'pidd'", 'offsetof(struct task_struct, pidd)', "did you mean 'pid'?"],
  ]);
});

test('bitfields: byte offset, bit offset and width for codegen', (t) => {
  const src = 'kprobe:vfs_read { $s = (struct sk_buff *)arg0; $t = $s->pkt_type; $l = $s->len; }';
  const { info, ok } = run(t, src);
  if (!ok) return;
  const btf = kernel618().kernel!.btf;
  const skb = btf.find('sk_buff')!;
  const m = btf.findMember(skb, 'pkt_type')!;
  const ref = [...info.fields].find(([f]) => f.field === 'pkt_type')?.[1];
  assert.equal(ref?.via, 'struct');
  assert.ok(m.bitSize > 0, 'pkt_type is a bitfield in 6.18');
  assert.equal((ref?.offset ?? 0) * 8 + (ref?.bitOffset ?? 0), m.bitOffset);
  assert.equal(ref?.bitSize, m.bitSize);
  assert.equal(typeOf(info, src, '$t'), 'uint8');
  const len = [...info.fields].find(([f]) => f.field === 'len')?.[1];
  assert.equal(len?.bitSize, undefined);
});

test('`.` through pointers: an error up to 0.24, automatic from 0.25', (t) => {
  const src = 'kprobe:vfs_read { $t = curtask.pid; }';
  const { info, ok } = run(t, src, '0.24');
  if (!ok) return;
  assert.deepEqual(diags(info, src).map((d) => d[1]), ["Can not access field 'pid' on type 'struct task_struct *'. Try dereferencing it first, or using '->'"]);
  assert.deepEqual(diags(run(t, src, '0.25').info, src), []);
});

test('ctx: pt_regs for kprobes, the iterator struct for iter, perf-event data for profile', (t) => {
  const src = 'kprobe:vfs_read { $a = ctx; } iter:task { $b = ctx->task; } profile:hz:99 { $c = ctx; } BEGIN { $d = ctx; }';
  const { info, ok } = run(t, src);
  if (!ok) return;
  assert.equal(typeOf(info, src, '$a'), 'struct pt_regs *');
  assert.equal(typeOf(info, src, '$b'), 'struct task_struct *');
  assert.equal(typeOf(info, src, '$c'), 'struct bpf_perf_event_data *');
  assert.equal(typeOf(info, src, '$d'), 'none *');
});

test('wildcard tracepoints: one context per match; a field must exist in each', (t) => {
  const src = 'tracepoint:syscalls:sys_enter_openat* { $f = str(args.filename); } tracepoint:syscalls:sys_enter_open* { $g = args.filename; }';
  const { info, ok } = run(t, src);
  if (!ok) return;
  const [first, second] = [...info.probes.values()];
  assert.deepEqual(first.attach?.map((c) => c.target), ['syscalls:sys_enter_openat', 'syscalls:sys_enter_openat2']);
  assert.equal(first.target, 'syscalls:sys_enter_openat');
  assert.equal(typeOf(info, src, 'args.filename'), 'int8 *');
  assert.ok((second.attach?.length ?? 0) >= 3);
  const errs = diags(info, src).filter((d) => d[0] === 'error');
  assert.equal(errs.length, 1);
  assert.match(errs[0][1], /^Struct\/union of type 'struct _tracepoint_syscalls_sys_enter_open_by_handle_at' does not contain a field named 'filename'$/);
});

test('socket_cookie() takes a struct sock pointer', (t) => {
  const src = 'fentry:tcp_shutdown { $a = socket_cookie(args.sk); $b = socket_cookie(args.how); $c = socket_cookie(curtask); }';
  const { info, ok } = run(t, src);
  if (!ok) return;
  assert.equal(typeOf(info, src, '$a'), 'uint64');
  assert.deepEqual(diags(info, src).map((d) => d[1]), [
    'socket_cookie() only supports pointer arguments (int provided)',
    "socket_cookie() only supports 'struct sock *' as the argument ('struct task_struct *' provided)",
  ]);
});

// bpftrace completion and hover against the shared kernel 6.18 data (tracefs
// formats and vmlinux BTF): struct members after `->`/`.` of BTF-typed
// expressions (curtask, casts, fentry args, variables, chains), also while the
// text does not parse yet; kernel function, raw tracepoint and struct names;
// the pahole-like layout in hovers. Expected members and offsets are read from
// the BTF itself (findMember), not written down. `|` marks the cursor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KIND } from '../../server/src/btf/format';
import { loadKernelInfo } from '../../server/src/host/kernel-info';
import { analyzeBpftrace } from '../../server/src/ide/bpftrace-check';
import { bpftraceCompletion } from '../../server/src/ide/bpftrace-complete';
import { bpftraceHover } from '../../server/src/ide/bpftrace-hover';
import { MAX_NAMES } from '../../server/src/ide/bpftrace-names';
import type { IdeCompletion } from '../../server/src/ide/types';

const EVENTS = join(__dirname, '..', '..', '..', 'shared', 'kernel', '6.18', 'tracefs', 'events');
const kernel = existsSync(EVENTS) ? loadKernelInfo({ tracefs: [], bundles: [], shared: [EVENTS] }) : undefined;
const btf = kernel?.btf;
const MISSING = 'SKIP: shared kernel 6.18 data (tracefs formats + vmlinux.btf) not found at ' + EVENTS;

function complete(src: string, target = '0.17'): IdeCompletion[] {
  const offset = src.indexOf('|');
  const text = src.replace('|', '');
  const doc = analyzeBpftrace(text, { asmSyntax: 'auto', bpftraceTarget: target, kernel });
  return bpftraceCompletion(doc, text, offset);
}

/** The members of BTF struct `name` a completion must offer, with their byte offsets (from findMember). */
function expectMembers(items: IdeCompletion[], struct: string, names: string[]): void {
  const id = btf!.find(struct, KIND.STRUCT)!;
  assert.ok(id, struct);
  const labels = new Set(items.map((i) => i.label));
  for (const n of names) {
    assert.ok(labels.has(n), `${n} offered for struct ${struct}: ${[...labels].slice(0, 20).join(', ')}...`);
    const m = btf!.findMember(id, n)!;
    const item = items.find((i) => i.label === n)!;
    assert.match(item.detail ?? '', new RegExp(`\\(\\+${Math.floor(m.bitOffset / 8)}\\)$`), `${n}: ${item.detail}`);
    assert.equal(item.kind, 'field');
  }
  assert.equal(items.filter((i) => i.label === names[0]).length, 1, 'no duplicates');
}

test('members after curtask-> (parsed text, partial word and text that does not parse)', (t) => {
  if (!btf) { console.log(MISSING); return t.skip(MISSING); }
  for (const src of [
    'kprobe:vfs_read { $x = curtask->pi|d; }',
    'kprobe:vfs_read { $x = curtask->|',
    'kprobe:vfs_read { printf("%d\\n", curtask->|\n}\n',
    'kprobe:vfs_read { printf("%d\\n", curtask->|); }',
    'BEGIN { @a = 1; }\nkprobe:vfs_read\n{\n  if (pid > 1) {\n    @x[curtask->|',
    'BEGIN { @y = (1 + ); }\nkprobe:vfs_read { $x = curtask->|',
  ]) {
    const items = complete(src);
    expectMembers(items, 'task_struct', ['pid', 'tgid', 'comm', 'mm', 'real_parent']);
    const pid = items.find((i) => i.label === 'pid')!;
    assert.match(pid.markdown ?? '', /pid_t pid/);
    assert.match(pid.detail ?? '', /^pid_t /);
    const comm = items.find((i) => i.label === 'comm')!;
    assert.match(comm.markdown ?? '', /char\s+comm\[16\]/);
  }
  // The replaced range is the partial word.
  const [item] = complete('kprobe:vfs_read { $x = curtask->tg|; }').filter((i) => i.label === 'tgid');
  assert.deepEqual([item.replace.start, item.replace.end], ['kprobe:vfs_read { $x = curtask->'.length, 'kprobe:vfs_read { $x = curtask->tg'.length]);
});

test('members after casts, variables, chains, `.` on embedded structs and fentry args', (t) => {
  if (!btf) { console.log(MISSING); return t.skip(MISSING); }
  expectMembers(complete('kprobe:tcp_connect { $f = ((struct sock *)arg0)->|'), 'sock', ['__sk_common', 'sk_rcvbuf']);
  expectMembers(complete('kprobe:tcp_connect { $f = ((struct sock *)arg0)->__sk_common.|; }'), 'sock_common', ['skc_family', 'skc_state']);
  expectMembers(complete('kprobe:vfs_read { $t = (struct task_struct *)curtask; $m = $t->mm->|'), 'mm_struct', ['pgd', 'map_count']);
  expectMembers(complete('kprobe:vfs_read { $t = (struct task_struct *)curtask;\n  printf("%d\\n", $t->real_parent->|);\n}'), 'task_struct', ['pid']);
  // fentry: args-> lists the function's parameters, then members of their types.
  const args = complete('fentry:tcp_sendmsg { $x = args->|', '0.26');
  assert.deepEqual(args.map((i) => i.label), ['sk', 'msg', 'size']);
  assert.equal(args[0].detail, 'struct sock *');
  expectMembers(complete('fentry:tcp_sendmsg { $x = args->sk->|', '0.26'), 'sock', ['sk_type', '__sk_common']);
  // fexit retval, rawtracepoint arguments (0.26), kfunc args. (0.17), nested embedded structs.
  expectMembers(complete('fexit:sock_alloc_file { $x = retval->|', '0.26'), 'file', ['f_mode', 'f_op']);
  const raw = complete('rawtracepoint:sched_switch { $x = args->|', '0.26').map((i) => i.label);
  assert.ok(raw.includes('prev') && raw.includes('next'), raw.join(', '));
  expectMembers(complete('rawtracepoint:sched_switch { $x = args->next->|', '0.26'), 'task_struct', ['pid']);
  assert.deepEqual(complete('kfunc:tcp_sendmsg { $x = args.|').map((i) => i.label), ['sk', 'msg', 'size']);
  expectMembers(complete('kprobe:vfs_read { $x = ((struct file *)arg0)->f_path.dentry->|'), 'dentry', ['d_name', 'd_inode']);
  // offsetof(struct X, member): members of the named struct.
  expectMembers(complete('BEGIN { printf("%d\\n", offsetof(struct task_struct, |', '0.26'), 'task_struct', ['pid', 'comm']);
  expectMembers(complete('BEGIN { $o = offsetof(struct  sock, sk_ty|); }', '0.26'), 'sock', ['sk_type']);
  // Tracepoint args keep the record fields; a non-struct receiver offers nothing.
  assert.ok(complete('tracepoint:syscalls:sys_enter_openat { $x = args->|').some((i) => i.label === 'filename'));
  assert.deepEqual(complete('kprobe:vfs_read { $x = pid->|'), []);
});

test("the script's own struct definitions win over the kernel's (completion and hover)", () => {
  const def = 'struct file { int a; char name[16]; struct { int x; } inner; unsigned long long *p; };';
  const items = complete(`${def}\nkprobe:vfs_read { $p = (struct file *)arg0; $x = $p->|`);
  assert.deepEqual(items.map((i) => i.label), ['a', 'name', 'inner', 'p']);
  assert.equal(items[1].detail, 'char name[16]');
  const text = `${def}\nkprobe:vfs_read { $p = (struct file *)arg0; $x = $p->a; }`;
  const doc = analyzeBpftrace(text, { asmSyntax: 'auto', bpftraceTarget: '0.17', kernel });
  const h = bpftraceHover(doc, text, text.indexOf('$p->') + 1)?.markdown ?? '';
  assert.ok(h.includes(def.slice(0, -1)), h.slice(0, 200));
  assert.doesNotMatch(h, /f_mode/);
  assert.match(bpftraceHover(doc, text, text.indexOf('struct file *') + 8)?.markdown ?? '', /^\*\*struct file\*\* \(defined in the script\)/);
});

test('kernel function, raw tracepoint and struct names (prefix search, capped)', (t) => {
  if (!btf) { console.log(MISSING); return t.skip(MISSING); }
  for (const p of ['kprobe', 'kretprobe', 'kr', 'fentry', 'fexit', 'kfunc']) {
    const items = complete(`${p}:tcp_v4_con|`);
    assert.ok(items.length > 0 && items.every((i) => i.label.startsWith('tcp_v4_con')), `${p}: ${items.map((i) => i.label).join(', ')}`);
    const connect = items.find((i) => i.label === 'tcp_v4_connect');
    assert.ok(connect, p);
    assert.match(connect.detail ?? '', /^int tcp_v4_connect\(struct sock \*sk, .*\)$/);
  }
  const all = complete('kprobe:|');
  assert.equal(all.length, MAX_NAMES);
  assert.ok(all.every((i, k) => k === 0 || all[k - 1].label <= i.label), 'sorted');
  const second = complete('BEGIN { }\nkprobe:vfs_read,kprobe:vfs_wri|');
  assert.ok(second.some((i) => i.label === 'vfs_write'));
  const raw = complete('rawtracepoint:sched_sw|');
  assert.ok(raw.some((i) => i.label === 'sched_switch'), raw.map((i) => i.label).join(', '));
  assert.ok(raw.every((i) => i.label.startsWith('sched_sw')));
  const iters = complete('iter:ta|', '0.26').map((i) => i.label);
  assert.ok(iters.includes('task') && iters.includes('task_file') && iters.includes('task_vma'), iters.join(', '));
  assert.ok(!iters.includes('task_new') && !iters.includes('task_next'), 'open-coded iterator kfuncs are not targets');
  const structs = complete('kprobe:vfs_read { $t = (struct task_st|');
  assert.ok(structs.some((i) => i.label === 'task_struct' && /\(\d+ bytes\)/.test(i.detail ?? '')));
  assert.ok(complete('kprobe:vfs_read { $u = (union bpf_at|').some((i) => i.label === 'bpf_attr'));
  // uprobe targets are binaries: nothing offered.
  assert.deepEqual(complete('uprobe:|'), []);
});

test('$variables of the probe and @maps of the script, with types', () => {
  const text = 'BEGIN { $gone = 1; }\nkprobe:vfs_read { @bytes[comm] = sum(arg2); $t = curtask; $len = arg2; @x = $|; }\nEND { @later = 1; }';
  const vars = complete(text);
  assert.deepEqual(vars.map((i) => i.label), ['$len', '$t']);
  assert.equal(vars.find((i) => i.label === '$t')?.detail, 'struct task_struct *');
  assert.deepEqual([vars[0].replace.end - vars[0].replace.start], [1], 'replaces the `$` typed');
  const maps = complete(text.replace('@x = $|', '@x = @|'));
  assert.deepEqual(maps.map((i) => i.label), ['@bytes', '@later', '@x']);
  assert.match(maps.find((i) => i.label === '@bytes')?.detail ?? '', /^@bytes\[string\[16\]\]: sum/);
  // Mid-typing (no parse): names from the tokens.
  assert.deepEqual(complete('kprobe:vfs_read { $abc = 1; @m[1] = 2; if ($|').map((i) => i.label), ['$abc']);
});

test('hover: struct-typed expressions show their layout like pahole', (t) => {
  if (!btf) { console.log(MISSING); return t.skip(MISSING); }
  const text = 'kprobe:tcp_connect {\n  $s = (struct sock *)arg0;\n  printf("%d %d\\n", curtask->pid, $s->__sk_common.skc_family);\n}\n';
  const doc = analyzeBpftrace(text, { asmSyntax: 'auto', bpftraceTarget: '0.17', kernel });
  const onCurtask = bpftraceHover(doc, text, text.indexOf('curtask') + 2)!;
  assert.match(onCurtask.markdown, /struct task_struct \*/);
  const id = btf.find('task_struct', KIND.STRUCT)!;
  const pidOff = btf.findMember(id, 'pid')!.bitOffset / 8;
  assert.match(onCurtask.markdown, /```c\nstruct task_struct \{/);
  assert.match(onCurtask.markdown, new RegExp(`pid;\\s+/\\*\\s+${pidOff}\\s+4 \\*/`));
  const onCast = bpftraceHover(doc, text, text.indexOf('*)arg0'))!;
  assert.match(onCast.markdown, /`\(struct sock \*\)arg0`: `struct sock \*`\n\n```c\nstruct sock \{/);
  const onName = bpftraceHover(doc, text, text.indexOf('struct sock') + 8)!;
  assert.match(onName.markdown, /^\*\*struct sock\*\* \(kernel BTF\)\n\n```c\nstruct sock \{/);
  assert.equal(onName.markdown.match(/```c/g)?.length, 1, 'one layout');
  const onEmbedded = bpftraceHover(doc, text, text.indexOf('__sk_common') + 3)!;
  assert.match(onEmbedded.markdown, /struct sock_common \{/);
  // Not a struct: no layout.
  const onPid = bpftraceHover(doc, text, text.indexOf('->pid') + 3)!;
  assert.doesNotMatch(onPid?.markdown ?? '', /```c/);
});

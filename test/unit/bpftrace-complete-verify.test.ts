// The embedded verifier on bpftrace scripts as plain data (ide/bpftrace-verify.ts),
// against the shared kernel 6.18 data: a valid script compiles and every program
// is accepted; a construct code generation does not support becomes a codegen
// diagnostic; a script with front-end errors is skipped (those are the editor's
// own diagnostics); a wildcard tracepoint's identical programs are verified once;
// hovers show the verifier's states after a statement's code.
// (The rejected-program case runs through the language server: test/lsp/bpftrace-editor.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadKernelInfo } from '../../server/src/host/kernel-info';
import { bpftraceStateHover, verifyBpftrace } from '../../server/src/ide/bpftrace-verify';

const EVENTS = join(__dirname, '..', '..', '..', 'shared', 'kernel', '6.18', 'tracefs', 'events');
const kernel = existsSync(EVENTS) ? loadKernelInfo({ tracefs: [], bundles: [], shared: [EVENTS] }) : undefined;
const MISSING = 'SKIP: shared kernel 6.18 data not found at ' + EVENTS;

test('bpftrace verification: accept, codegen diagnostics, skipped on front-end errors', (t) => {
  if (!kernel?.btf) { console.log(MISSING); return t.skip(MISSING); }
  const ok = verifyBpftrace('kprobe:vfs_read\n{\n  @bytes[comm] = sum(arg2);\n  $t = (struct task_struct *)curtask;\n  printf("%d\\n", $t->real_parent->pid);\n}\n', kernel, { target: '0.17' });
  assert.equal(ok.verdict, 'accept', JSON.stringify(ok.diagnostics));
  assert.deepEqual(ok.diagnostics, []);
  assert.ok(ok.processed > 10);
  assert.equal(ok.progType, 'kprobe');
  // The states after the printf's code: the stack pointer is always there; after the map update R0 holds its result.
  const okText = 'kprobe:vfs_read\n{\n  @bytes[comm] = sum(arg2);\n  $t = (struct task_struct *)curtask;\n  printf("%d\\n", $t->real_parent->pid);\n}\n';
  const hover = bpftraceStateHover(ok, okText.indexOf('printf') + 2);
  assert.match(hover ?? '', /^\*\*Verifier state\*\* after slot \d+ \(kprobe:vfs_read/);
  assert.match(hover ?? '', /R10\s+fp0/);
  assert.notEqual(bpftraceStateHover(ok, okText.indexOf('@bytes') + 2), hover, 'another statement, other states');

  const text = 'BEGIN { @n = 0; }\n\nkprobe:vfs_open\n{\n  printf("%s\\n", path(arg0));\n}\n';
  const cg = verifyBpftrace(text, kernel, { target: '0.17' });
  assert.equal(cg.verdict, 'reject');
  assert.equal(cg.diagnostics.length, 1, JSON.stringify(cg.diagnostics));
  const d = cg.diagnostics[0];
  assert.equal(d.source, 'bpftrace-codegen');
  assert.match(d.message, /does not support path\(\)/);
  // On the call (code generation's range, or narrowed to the call's name when it spans the probe).
  assert.equal(d.range.start, text.indexOf('path('));
  assert.ok(d.range.end >= d.range.start + 4 && d.range.end <= text.indexOf('));') + 1, JSON.stringify(d.range));

  const broken = verifyBpftrace('kprobe:vfs_read { printf("%d\\n", args.nosuch); }', kernel, { target: '0.17' });
  assert.equal(broken.verdict, 'skipped');
  assert.deepEqual(broken.diagnostics, []);
});

test('bpftrace verification: wildcard tracepoints verify each distinct program once', (t) => {
  if (!kernel?.btf) { console.log(MISSING); return t.skip(MISSING); }
  const events = kernel.events('sched').filter((e) => e.startsWith('sched_'));
  assert.ok(events.length > 5);
  const one = verifyBpftrace('tracepoint:sched:sched_switch { @[probe] = count(); }', kernel, { target: '0.17' });
  const all = verifyBpftrace('tracepoint:sched:sched_* { @[probe] = count(); }', kernel, { target: '0.17' });
  assert.equal(one.verdict, 'accept');
  assert.equal(all.verdict, 'accept', JSON.stringify(all.diagnostics));
  // Each event's program differs (its probe name), so each is verified: more work than one.
  assert.ok(all.processed > one.processed, `${all.processed} > ${one.processed}`);
  // Without the probe name the programs are identical: verified once.
  const same1 = verifyBpftrace('tracepoint:sched:sched_switch { @c = count(); }', kernel, { target: '0.17' });
  const sameAll = verifyBpftrace('tracepoint:sched:sched_* { @c = count(); }', kernel, { target: '0.17' });
  assert.equal(sameAll.verdict, 'accept');
  assert.equal(sameAll.processed, same1.processed);
});

// The type checker in the editor and the CLI: hovers show expression types,
// diagnostics carry type errors, the host pairs tracepoint formats with BTF.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { cmdCheck } from '../../server/src/cli/cmd-check';
import type { Io } from '../../server/src/cli/args';
import { analyzeBpftrace, bpftraceDiagnostics } from '../../server/src/ide/bpftrace-check';
import { bpftraceHover } from '../../server/src/ide/bpftrace-hover';
import { tracepointCatalog } from '../../server/src/ide/bpftrace-kernel';
import { DEFAULT_SETTINGS } from '../../server/src/ide/types';
import { loadKernelInfo } from '../../server/src/host/kernel-info';
import { KERNEL_DIR, kernelOrSkip } from '../fixtures/bpftrace/types/kernel';

function hoverAt(text: string, needle: string, delta = 0, kernel = tracepointCatalog('none', [])): string | undefined {
  const doc = analyzeBpftrace(text, { ...DEFAULT_SETTINGS, kernel });
  const i = text.indexOf(needle);
  assert.ok(i >= 0);
  return bpftraceHover(doc, text, i + delta)?.markdown;
}

test('hover shows the type of variables, maps and calls', () => {
  const text = 'kprobe:f { $s = str(arg0); @m[comm] = count(); $t = ($s, 1); print($t.0); }';
  assert.equal(hoverAt(text, '$s'), '`$s`: `string[64]`');
  assert.equal(hoverAt(text, '@m'), '`@m`: `count_t`');
  assert.equal(hoverAt(text, '$t.0', 3), '`$t.0`: `string[64]`');
  assert.equal(hoverAt(text, '$t ='), '`$t`: `(string[64],int8)`');
  // Builtins keep their documentation; the type is appended.
  const comm = hoverAt(text, 'comm') ?? '';
  assert.match(comm, /^\*\*comm\*\*/);
  assert.match(comm, /`comm`: `string\[16\]`$/);
});

test('hover on a BTF field chain shows the member type', (t) => {
  const k = kernelOrSkip(t);
  if (!k) return;
  const kernel = { ...tracepointCatalog('6.18', []), btf: k.btf };
  const text = 'kprobe:f { $x = curtask->mm->mmap_base; }';
  assert.equal(hoverAt(text, 'mmap_base', 0, kernel), '`curtask->mm->mmap_base`: `uint64`');
  // (A struct's hover may go on with its layout.)
  assert.ok(hoverAt(text, 'mm->', 0, kernel)?.startsWith('`curtask->mm`: `struct mm_struct *`'));
  const diags = bpftraceDiagnostics(analyzeBpftrace('kprobe:vfs_read { $x = curtask->mm->mmap_bas; }', { ...DEFAULT_SETTINGS, kernel }));
  assert.deepEqual(diags.map((d) => d.message), ["Struct/union of type 'struct mm_struct' does not contain a field named 'mmap_bas'\ndid you mean 'mmap_base'?"]);
});

test('host kernel info: the shared tree gives tracepoints and the BTF beside them', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const info = loadKernelInfo({ tracefs: [], bundles: [], shared: [join(KERNEL_DIR, 'tracefs', 'events')] });
  assert.ok(info?.btf, 'BTF loaded with the shared tracepoints');
  assert.ok(info?.tracepoint?.('syscalls', 'sys_enter_openat'));
  assert.ok(info?.btf?.find('task_struct'));
});

test('bpfstudio check prints type errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-types-'));
  const file = join(dir, 'x.bt');
  writeFileSync(file, 'BEGIN {\n  @x = pid;\n  @x = comm;\n  $y = "a" + 1;\n}\n');
  const out: string[] = [];
  const rc = cmdCheck([file, '--target-version', '0.26'], { out: (s: string) => out.push(s), err: () => undefined } as unknown as Io);
  assert.equal(rc, 1);
  assert.deepEqual(out.filter((l) => l.includes(': error: ')).map((l) => l.slice(file.length)), [
    ":3:3: error: Type mismatch for @x: trying to assign value of type 'string[16]' when map already has a type 'uint32'",
    ":4:8: error: Type mismatch for '+': comparing string[2] with int8",
  ]);
});

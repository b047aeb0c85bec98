// `bpfstudio check` end to end through the bundled dist/cli.js: a good script
// exits 0 silently, a bad one exits 1 with FILE:LINE:COL diagnostics and hint
// lines, --json carries the same facts, bad usage exits 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distFile } from '../lsp/dist';

const cli = distFile('cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-check-'));

function check(args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'check', ...args], { cwd: tmp, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function script(name: string, text: string): string {
  writeFileSync(join(tmp, name), text);
  return name;
}

const GOOD = script('good.bt', 'tracepoint:syscalls:sys_enter_openat\n{\n  @[comm] = count();\n  printf("%s\\n", str(args->filename));\n}\n');
const BAD = script('bad.bt', '// two mistakes\ntracepoint:syscalls:sys_enter_openat\n{\n  printf("%s %d\\n", str(args->filenme), nosuch(1));\n}\n');

test('check: a good script exits 0 and prints nothing', () => {
  const r = check([GOOD, '--target-version', '0.26']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '');
});

test('check: a bad script exits 1 with FILE:LINE:COL diagnostics and hints', () => {
  const r = check([BAD, '--target-version', '0.26']);
  assert.equal(r.code, 1, r.err);
  const lines = r.out.trim().split('\n');
  const col = 'printf("%s %d\\n", str('.length + 3;
  assert.ok(lines.includes(`bad.bt:4:${col}: error: Struct/union of type 'struct _tracepoint_syscalls_sys_enter_openat' does not contain a field named 'filenme'`), r.out);
  assert.ok(lines.includes(`bad.bt:4:${col}: hint: did you mean 'filename'?`), r.out);
  assert.ok(lines.some((l) => /^bad\.bt:4:\d+: error: .*nosuch/.test(l)), r.out);
  for (const l of lines) assert.match(l, /^bad\.bt:\d+:\d+: (error|warning|hint): /);

  const j = check([BAD, '--json', '--target-version', '0.26']);
  assert.equal(j.code, 1);
  const parsed = JSON.parse(j.out) as { target: string; kernel: string | null; diagnostics: { line: number; col: number; severity: string; hint?: string }[] };
  assert.equal(parsed.target, '0.26');
  assert.ok(parsed.kernel, 'kernel data found');
  const field = parsed.diagnostics.find((d) => d.hint !== undefined);
  assert.deepEqual([field?.line, field?.col, field?.severity, field?.hint], [4, col, 'error', "did you mean 'filename'?"]);
});

test('check: the target version decides (let needs 0.22); warnings alone exit 0', () => {
  const withLet = script('let.bt', 'BEGIN { let $x = 1; printf("%d\\n", $x); }\n');
  assert.equal(check([withLet, '--target-version', '0.26']).code, 0);
  const old = check([withLet, '--target-version', '0.17']);
  assert.equal(old.code, 1);
  assert.match(old.out, /^let\.bt:1:9: error: .*0\.22/m);
  const warn = check([script('warn.bt', 'tracepoint:syscalls:sys_enter_frobnicate { exit(); }\n'), '--target-version', '0.26']);
  assert.equal(warn.code, 0, warn.out + warn.err);
  assert.match(warn.out, /^warn\.bt:1:1: warning: Tracepoint not found: syscalls:sys_enter_frobnicate/m);
});

test('check: help and usage errors', () => {
  const h = check(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /usage: bpfstudio check SCRIPT\.bt/);
  assert.equal(check([]).code, 2);
  assert.equal(check([GOOD, '--target-version', 'new']).code, 2);
  assert.equal(check([GOOD, '--frob']).code, 2);
  const missing = check(['nope.bt']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /nope\.bt: cannot read: ENOENT/);
});

// `bpfstudio compile` end to end through the bundled dist/cli.js: --help, an
// object file that parses back with one program per attach point and the
// script's maps, --asm listing with source lines, errors exit 1, usage 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distFile } from '../lsp/dist';
import { parseObject } from '../../server/src/elf/object';

const cli = distFile('cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-compile-'));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'compile', ...args], { cwd: tmp, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function script(name: string, text: string): string {
  writeFileSync(join(tmp, name), text);
  return name;
}

const GOOD = script('good.bt', 'tracepoint:syscalls:sys_enter_openat\n{\n  @[comm] = count();\n  printf("%s\\n", str(args->filename));\n}\nkprobe:vfs_read { @h = hist(arg2); }\n');

test('compile --help exits 0 and describes -o and --asm', () => {
  const r = run(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.out, /usage: bpfstudio compile SCRIPT\.bt/);
  assert.match(r.out, /-o OUT\.o/);
  assert.match(r.out, /--asm/);
});

test('compile -o writes an object with one program per attach point and the maps', () => {
  const r = run([GOOD, '-o', 'good.o']);
  assert.equal(r.code, 0, r.out + r.err);
  const f = join(tmp, 'good.o');
  assert.ok(existsSync(f));
  const o = parseObject(new Uint8Array(readFileSync(f)));
  assert.ok(o.object, 'parses');
  assert.deepEqual(o.object.programs.map((p) => p.section), ['tracepoint/syscalls/sys_enter_openat', 'kprobe/vfs_read']);
  const maps = o.object.maps.map((m) => m.name);
  for (const m of ['__perf_out', 'AT_', 'AT_h', 'scratch']) assert.ok(maps.includes(m), `map ${m} in ${maps.join(',')}`);
});

test('compile --asm lists sections, source lines and instructions', () => {
  const r = run([GOOD, '--asm']);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /; tracepoint:syscalls:sys_enter_openat {2}section tracepoint\/syscalls\/sys_enter_openat {2}\(tracepoint, \d+ insns\)/);
  assert.match(r.out, /; @\[comm\] = count\(\); @ good\.bt:3/);
  assert.match(r.out, /call bpf_get_current_comm#16/);
  assert.match(r.out, /\(18\) r1 = map\[@h\]/);
  assert.match(r.out, /call bpf_perf_event_output#25/);
  assert.match(r.out, /; map\[\d\] @h percpu_hash key=16 value=8 max_entries=4096/);
});

test('compile: script errors exit 1 with FILE:LINE:COL; bad usage exits 2', () => {
  const bad = script('bad.bt', 'BEGIN\n{\n  printf("%d\\n", nosuch(1));\n}\n');
  const r = run([bad]);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /^bad\.bt:3:\d+: error: /m);
  assert.equal(run([]).code, 2);
  assert.equal(run(['missing.bt']).code, 2);
  assert.equal(run([GOOD, '--target-version', 'x']).code, 2);
});

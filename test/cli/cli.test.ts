// The bpfstudio CLI end to end: spawns the bundled dist/cli.js (built by
// `npm test` before the tests run; built here when missing) and checks output
// and exit codes of every command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');
const conformanceDir = join(root, '..', 'shared', 'conformance', 'tests');

if (!existsSync(cli)) spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });

function bpfstudio(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', input, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-cli-'));

test('help and usage errors', () => {
  const h = bpfstudio(['--help']);
  assert.equal(h.code, 0);
  for (const c of ['asm', 'disasm', 'run', 'conformance', 'bench', 'lsp', 'dap']) assert.match(h.out, new RegExp(`^  ${c} `, 'm'));
  for (const c of ['asm', 'disasm', 'run', 'conformance', 'bench', 'lsp', 'dap', 'demo']) {
    const r = bpfstudio([c, '--help']);
    assert.equal(r.code, 0, c);
    assert.match(r.out, new RegExp(`usage: bpfstudio ${c}`), c);
  }
  assert.equal(bpfstudio(['frobnicate']).code, 2);
  assert.equal(bpfstudio(['run']).code, 2);
  const missing = bpfstudio(['run', join(tmp, 'nope.bpf.s')]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /nope\.bpf\.s: cannot read: ENOENT/);
  assert.equal(bpfstudio(['run', 'examples/fib.bpf.s', '--budget', 'lots']).code, 2);
});

test('asm --hex, disasm and run agree (fib(90))', () => {
  const hex = bpfstudio(['asm', 'examples/fib.bpf.s', '--hex']);
  assert.equal(hex.code, 0, hex.err);
  const lines = hex.out.trim().split('\n');
  assert.equal(lines.length, 11);
  for (const l of lines) assert.match(l, /^([0-9a-f]{2} ){7}[0-9a-f]{2}$/);
  const hexFile = join(tmp, 'fib.hex');
  writeFileSync(hexFile, hex.out);
  const dis = bpfstudio(['disasm', hexFile, '--text']);
  assert.equal(dis.code, 0, dis.err);
  const back = join(tmp, 'fib-back.bpf.s');
  writeFileSync(back, dis.out);
  const again = bpfstudio(['asm', back, '--hex']);
  assert.equal(again.out, hex.out, 'disassembly reassembles to the same bytes');
  for (const f of ['examples/fib.bpf.s', hexFile]) {
    for (const e of ['--interp', '--jit']) {
      const r = bpfstudio(['run', f, e]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out.trim(), '0x27f80ddaa1ba7878', `${f} ${e}`);
    }
  }
  const raw = join(tmp, 'fib.bin');
  assert.equal(bpfstudio(['asm', 'examples/fib.bpf.s', '-o', raw]).code, 0);
  assert.equal(readFileSync(raw).length, 11 * 8);
  assert.equal(bpfstudio(['run', raw]).out.trim(), '0x27f80ddaa1ba7878');
});

test('run with --mem, both syntaxes', () => {
  for (const e of ['--interp', '--jit']) {
    const r = bpfstudio(['run', 'examples/sum-bytes.bpf.s', '--mem', '01 02 03 04 f0', e]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), '0xfa');
  }
});

test('assembler errors are FILE:LINE:COL and exit 1', () => {
  const f = join(tmp, 'bad.bpf.s');
  writeFileSync(f, 'r0 = 1\nr0 = frob r1\nexit\nr11 = 2\n');
  const r = bpfstudio(['asm', f]);
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`${f.replace(/[.]/g, '\\.')}:2:\\d+: error: `));
  assert.match(r.err, new RegExp(`${f.replace(/[.]/g, '\\.')}:4:\\d+: error: `));
});

test('runtime faults name the instruction and exit 1; runaway loops hit the budget', () => {
  const f = join(tmp, 'fault.bpf.s');
  writeFileSync(f, 'r1 = 0\nr0 = *(u64 *)(r1 +0)\nexit\n');
  for (const e of ['--interp', '--jit']) {
    const r = bpfstudio(['run', f, e]);
    assert.equal(r.code, 1);
    assert.match(r.err, /fault at instruction 1: .*0x0/);
  }
  const loop = join(tmp, 'loop.bpf.s');
  writeFileSync(loop, 'l:\ngoto l\n');
  for (const e of ['--interp', '--jit']) {
    const r = bpfstudio(['run', loop, e, '--budget', '1000']);
    assert.equal(r.code, 1);
    assert.match(r.err, /budget/);
  }
});

test('invalid encodings in hex input are reported with their slot', () => {
  const f = join(tmp, 'bad.hex');
  writeFileSync(f, 'b7 00 00 00 01 00 00 00\nff 00 00 00 00 00 00 00\n95 00 00 00 00 00 00 00\n');
  const r = bpfstudio(['disasm', f]);
  assert.equal(r.code, 1);
  assert.match(r.err, /instruction 1 \(byte offset 8\): error: unknown opcode 0xff/);
});

test('conformance suite passes on both engines', { skip: !existsSync(conformanceDir) && 'no ../shared/conformance' }, () => {
  for (const e of ['--interp', '--jit']) {
    const r = bpfstudio(['conformance', conformanceDir, e]);
    const last = r.out.trim().split('\n').pop() ?? '';
    const m = /^(\d+) passed, (\d+) failed, (\d+) skipped$/.exec(last);
    assert.ok(m, `last line: ${last}`);
    const [passed, failed] = [Number(m[1]), Number(m[2])];
    console.log(`conformance ${e}: ${last}`);
    assert.ok(passed >= 312, `${e}: ${r.out}`);
    assert.equal(failed, 0, r.out);
  }
});

test('demo (npm start) finds port 53 on both engines; the example file matches', () => {
  const r = bpfstudio(['demo']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /interpreter: r0 = 53 /);
  assert.match(r.out, /JIT: r0 = 53 /);
  const src = bpfstudio(['demo', '--source']).out;
  assert.equal(readFileSync(join(root, 'examples', 'udp-dport.bpf.s'), 'utf8'), src);
});

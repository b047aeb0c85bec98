// `bpfstudio verify --kernel` end to end through dist/cli.js: a program both
// verifiers accept, one both reject (same message and instruction), a
// disagreement (a stand-in bpftool that rejects what ours accepts), an object
// with two programs, and the paths where the kernel cannot be asked (bpftool
// missing, privileges dropped with setpriv). Loads need root and bpftool;
// without them those tests print SKIP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distFile, ROOT } from '../lsp/dist';

const cli = distFile('cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'bpfstudio-vk-'));
chmodSync(tmp, 0o755);

function bpfstudio(args: string[], env: Record<string, string> = {}, wrap: string[] = [], at: { cli: string; cwd: string } = { cli, cwd: ROOT }) {
  const cmd = wrap.length ? wrap[0] : process.execPath;
  const argv = wrap.length ? [...wrap.slice(1), process.execPath, at.cli, ...args] : [at.cli, ...args];
  const r = spawnSync(cmd, argv, { cwd: at.cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  chmodSync(p, 0o644);
  return p;
}

interface KernelJson { status: string; verdict?: string; message?: string | null; insn?: number | null; agree?: boolean; reason?: string; needs?: string;
  comparison?: { verdict: { agree: boolean }; message: { agree: boolean } | null; insn: { agree: boolean } | null } }
interface VerifyJson { program: string; verdict: string; errors: { message: string }[]; kernel?: KernelJson }

function json(out: string): VerifyJson[] {
  // One pretty-printed object per program.
  return out.split(/\n(?=\{)/).filter((s) => s.trim()).map((s) => JSON.parse(s) as VerifyJson);
}

/** A program that declares one map, looks up key 0 in it (r0: the value or NULL), then runs `rest`. */
function lookup(name: string, head: string[], rest: string[]): string {
  return file(name, [
    ...head,
    '  r1 = 0',
    '  *(u32 *)(r10 - 4) = r1',
    '  r2 = r10',
    '  r2 += -4',
    '  r1 = map[m]',
    '  call bpf_map_lookup_elem',
    ...rest,
    '  r0 = 0',
    '  exit',
    '',
  ].join('\n'));
}

// A NULL-checked read of the value: fine everywhere.
const ACCEPTED = lookup('ok.s', ['.section socket', '.map m, array, key=4, value=8, max_entries=4'],
  ['  if r0 == 0 goto out', '  r1 = *(u64 *)(r0 + 0)', 'out:']);

// The map value pointer is used without the NULL check.
const REJECTED = lookup('nonull.s', ['.section socket', '.map m, hash, key=4, value=8, max_entries=16'], ['  r1 = *(u64 *)(r0 + 0)']);

/** Why this machine cannot load BPF programs (as the CLI itself reports it), or undefined. */
function cannotLoad(): string | undefined {
  const r = bpfstudio(['verify', ACCEPTED, '--kernel', '--json', '--log-level', '0']);
  const k = json(r.out)[0]?.kernel;
  return k?.status === 'unavailable' ? `${k.reason}` : undefined;
}
const unavailable = cannotLoad();

/** True (after printing SKIP) when this machine cannot load programs. */
function cannotLoadHere(t: { skip(msg: string): void }): boolean {
  if (!unavailable) return false;
  console.log(`SKIP: kernel loading not possible here: ${unavailable}`);
  t.skip(unavailable);
  return true;
}

function noPinsLeft(): void {
  let left: string[] = [];
  try { left = readdirSync('/sys/fs/bpf').filter((n) => n.startsWith(`bpfstudio_`)); } catch { /* no bpffs */ }
  assert.deepEqual(left, [], 'programs are unpinned after loading');
}

test('accepted by both: the kernel answer and the agreement are reported', (t) => {
  if (cannotLoadHere(t)) return;
  const txt = bpfstudio(['verify', ACCEPTED, '--kernel', '--log-level', '0']);
  assert.equal(txt.code, 0, txt.out + txt.err);
  assert.match(txt.out, /: accepted \(\d+ insns processed\)/);
  assert.match(txt.out, /^kernel: accepted/m);
  assert.match(txt.out, /^ {2}agree: verdict \(accept\)$/m);
  assert.doesNotMatch(txt.out, /DISAGREE/);
  const [j] = json(bpfstudio(['verify', ACCEPTED, '--kernel', '--json', '--log-level', '0']).out);
  assert.equal(j.verdict, 'accept');
  assert.equal(j.kernel?.status, 'loaded');
  assert.equal(j.kernel?.verdict, 'accept');
  assert.equal(j.kernel?.agree, true);
  noPinsLeft();
});

test('rejected by both: same message and instruction', (t) => {
  if (cannotLoadHere(t)) return;
  const txt = bpfstudio(['verify', REJECTED, '--kernel', '--log-level', '0']);
  assert.equal(txt.code, 1, txt.out + txt.err);
  assert.match(txt.out, /rejected at insn 7: R0 invalid mem access 'map_value_or_null'/);
  assert.match(txt.out, /^kernel: rejected at insn 7: R0 invalid mem access 'map_value_or_null' \(errno -13\)$/m);
  assert.match(txt.out, /^ {2}agree: verdict \(reject\), message, insn \(7\)$/m);
  // The same program as hex bytes with --map: wrapped in an object with its map just the same.
  const hex = join(tmp, 'nonull.hex');
  const asm = bpfstudio(['asm', REJECTED, '--hex']);
  writeFileSync(hex, asm.out);
  chmodSync(hex, 0o644);
  const fromHex = bpfstudio(['verify', hex, '--kernel', '--log-level', '0', '--map', 'hash:4:8:16']);
  assert.match(fromHex.out, /^ {2}agree: verdict \(reject\), message, insn \(7\)$/m, fromHex.out + fromHex.err);
  const [j] = json(bpfstudio(['verify', REJECTED, '--kernel', '--json']).out);
  assert.equal(j.kernel?.verdict, 'reject');
  assert.equal(j.kernel?.message, j.errors[0].message);
  assert.equal(j.kernel?.insn, 7);
  assert.deepEqual([j.kernel?.comparison?.verdict.agree, j.kernel?.comparison?.message?.agree, j.kernel?.comparison?.insn?.agree], [true, true, true]);
  noPinsLeft();
});

test('--prog-flags and map value loads go through the raw loader: strict alignment as the kernel checks it', (t) => {
  if (cannotLoadHere(t)) return;
  // A 4-byte packet read at offset 15 (NET_IP_ALIGN 2 + 15 is not 4-aligned), bounds-checked.
  const pkt = file('align.s', ['.section xdp', 'r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r4 = r2', 'r4 += 19',
    'if r4 > r3 goto l', 'r0 = *(u32 *)(r2 + 15)', 'l:', 'r0 = 2', 'exit', ''].join('\n'));
  const loose = json(bpfstudio(['verify', pkt, '--kernel', '--json', '--log-level', '0']).out)[0];
  assert.equal(loose.verdict, 'accept');
  assert.equal(loose.kernel?.verdict, 'accept', 'without BPF_F_STRICT_ALIGNMENT x86 allows it');
  const strict = bpfstudio(['verify', pkt, '--kernel', '--log-level', '0', '--prog-flags', '1']);
  assert.equal(strict.code, 1, strict.out + strict.err);
  assert.match(strict.out, /^kernel: rejected at insn 5: misaligned packet access off 2\+0\+0\+15 size 4 \(errno -13\)$/m);
  assert.match(strict.out, /^ {2}agree: verdict \(reject\), message, insn \(5\)$/m);
  // A variable offset (r5 & 6) prints as a tnum in both.
  const varOff = file('align-var.s', ['.section xdp', 'r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r4 = r2', 'r4 += 40',
    'if r4 > r3 goto l', 'r5 = *(u8 *)(r2 + 0)', 'r5 &= 6', 'r2 += r5', 'r4 = r2', 'r4 += 20', 'if r4 > r3 goto l',
    'r0 = *(u32 *)(r2 + 14)', 'l:', 'r0 = 2', 'exit', ''].join('\n'));
  const [v] = json(bpfstudio(['verify', varOff, '--kernel', '--json', '--log-level', '0', '--prog-flags', '1']).out);
  assert.equal(v.kernel?.message, 'misaligned packet access off 2+(0x0; 0x6)+0+14 size 4');
  assert.equal(v.kernel?.agree, true, JSON.stringify(v));
  // lddw map[..][0]+off: an object cannot carry it, the raw loader creates the map and passes its fd.
  const mv = file('mapval.s', ['.section xdp', '.map vals, array, key=4, value=16, max_entries=1', 'r1 = map[vals][0]+20',
    'r0 = *(u32 *)(r1 + 0)', 'r0 = 2', 'exit', ''].join('\n'));
  const [m] = json(bpfstudio(['verify', mv, '--kernel', '--json', '--log-level', '0']).out);
  assert.equal(m.kernel?.status, 'loaded', JSON.stringify(m.kernel));
  assert.equal(m.kernel?.message, 'invalid access to map value pointer, value_size=16 off=20');
  assert.equal(m.kernel?.agree, true);
  noPinsLeft();
});

test('--cap-bpf-only loads with CAP_BPF alone (capsh): a pointer leak root may do is refused by both', (t) => {
  if (cannotLoadHere(t)) return;
  // Stores the frame pointer into the map value.
  const leak = lookup('leak.s', ['.map m, array, key=4, value=8, max_entries=1'], ['  if r0 == 0 goto out', '  *(u64 *)(r0 + 0) = r10', 'out:']);
  const [root] = json(bpfstudio(['verify', leak, '--kernel', '--json', '--log-level', '0']).out);
  assert.equal(root.verdict, 'accept');
  assert.equal(root.kernel?.verdict, 'accept');
  const [capBpf] = json(bpfstudio(['verify', leak, '--kernel', '--json', '--log-level', '0', '--cap-bpf-only']).out);
  if (capBpf.kernel?.status === 'unavailable') { const why = capBpf.kernel.reason ?? ''; console.log(`SKIP: ${why}`); t.skip(why); return; }
  assert.equal(capBpf.verdict, 'reject');
  assert.equal(capBpf.kernel?.verdict, 'reject');
  assert.equal(capBpf.kernel?.message, 'R10 leaks addr into map');
  assert.equal(capBpf.kernel?.agree, true);
  noPinsLeft();
});

test('a disagreement is spelled out (a stand-in bpftool rejects what ours accepts)', (t) => {
  if (cannotLoadHere(t)) return;
  // Prints what libbpf prints for a refused program, with a message our verifier never gives.
  const fake = file('fake-bpftool', [
    '#!/bin/sh',
    'if [ "$1" = version ]; then echo "bpftool v7.1.0 (stand-in)"; exit 0; fi',
    'echo "libbpf: prog \'ok\': BPF program load failed: Permission denied"',
    'echo "libbpf: prog \'ok\': -- BEGIN PROG LOAD LOG --"',
    'echo "0: R1=ctx() R10=fp0"',
    'echo "3: (07) r2 += -4"',
    'echo "stand-in kernel says no"',
    'echo "processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0"',
    'echo "-- END PROG LOAD LOG --"',
    'echo "libbpf: prog \'ok\': failed to load: -13"',
    'exit 255',
    '',
  ].join('\n'));
  chmodSync(fake, 0o755);
  const txt = bpfstudio(['verify', ACCEPTED, '--kernel', '--log-level', '0'], { BPFSTUDIO_BPFTOOL: fake });
  assert.equal(txt.code, 1, 'a kernel rejection fails the command');
  assert.match(txt.out, /: accepted/);
  assert.match(txt.out, /^kernel: rejected at insn 3: stand-in kernel says no \(errno -13\)$/m);
  assert.match(txt.out, /^ {2}agree: nothing$/m);
  assert.match(txt.out, /^ {2}DISAGREE: verdict: ours accept, kernel reject$/m);
  const [j] = json(bpfstudio(['verify', ACCEPTED, '--kernel', '--json', '--log-level', '0'], { BPFSTUDIO_BPFTOOL: fake }).out);
  assert.equal(j.kernel?.agree, false);
  assert.equal(j.kernel?.comparison?.verdict.agree, false);
});

test('an object with two programs: the kernel answer is split per program', (t) => {
  if (cannotLoadHere(t)) return;
  const c = file('two.bpf.c', [
    '#define SEC(n) __attribute__((section(n), used))',
    'SEC("socket") int good(void *ctx) { return 0; }',
    'SEC("socket") int bad(void *ctx) { int r; asm volatile("r0 = r2" : "=r"(r)); return r; }',
    'char LICENSE[] SEC("license") = "GPL";',
    '',
  ].join('\n'));
  const o = join(tmp, 'two.bpf.o');
  const cc = spawnSync('clang', ['-O2', '-g', '-target', 'bpf', '-c', c, '-o', o], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) { const why = `clang -target bpf failed: ${cc.error?.message ?? cc.stderr}`; console.log(`SKIP: ${why}`); t.skip(why); return; }
  const out = json(bpfstudio(['verify', o, '--kernel', '--json', '--log-level', '0']).out);
  const good = out.find((p) => p.program.startsWith('good'));
  const bad = out.find((p) => p.program.startsWith('bad'));
  assert.ok(good && bad, JSON.stringify(out));
  assert.equal(bad.verdict, 'reject');
  assert.equal(bad.kernel?.verdict, 'reject');
  assert.match(bad.kernel?.message ?? '', /R2 !read_ok/);
  assert.equal(bad.kernel?.comparison?.message?.agree, true);
  assert.equal(good.verdict, 'accept');
  // libbpf loads the programs in order and stops at the refused one.
  assert.ok(good.kernel?.status === 'loaded' || good.kernel?.status === 'unknown', JSON.stringify(good.kernel));
  if (good.kernel?.status === 'loaded') assert.equal(good.kernel.verdict, 'accept');
  noPinsLeft();
});

test('no bpftool: the kernel is not asked, the reason and the need are printed, no crash', () => {
  const missing = join(tmp, 'no-such-bpftool');
  const txt = bpfstudio(['verify', REJECTED, '--kernel', '--log-level', '0'], { BPFSTUDIO_BPFTOOL: missing });
  assert.equal(txt.code, 1, 'exit status follows our verdict');
  assert.match(txt.out, /rejected at insn 7/);
  assert.match(txt.out, new RegExp(`^kernel: not checked: bpftool cannot run \\(${missing.replace(/[/.]/g, '\\$&')}: ENOENT\\)$`, 'm'));
  assert.match(txt.out, /^ {2}loading needs: bpftool on PATH .*BPFSTUDIO_BPFTOOL/m);
  assert.doesNotMatch(txt.err, /bug|Error:/i);
  const [j] = json(bpfstudio(['verify', ACCEPTED, '--kernel', '--json', '--log-level', '0'], { BPFSTUDIO_BPFTOOL: missing }).out);
  assert.equal(j.kernel?.status, 'unavailable');
  assert.match(j.kernel?.needs ?? '', /bpftool/);
  assert.equal(bpfstudio(['verify', ACCEPTED, '--kernel', '--log-level', '0'], { BPFSTUDIO_BPFTOOL: missing }).code, 0);
});

test('without privileges (setpriv to nobody, no capabilities): says what loading would need', (t) => {
  const sp = spawnSync('setpriv', ['--version'], { encoding: 'utf8' });
  if (sp.error || process.getuid?.() !== 0) {
    const why = sp.error ? 'setpriv (util-linux) not installed' : 'not root: cannot switch to another user';
    console.log(`SKIP: ${why}`); t.skip(why); return;
  }
  const drop = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all'];
  // The checkout may sit under a directory only root can enter (a fresh clone in mktemp -d): nobody
  // runs a copy of the bundled CLI from the world-readable temporary directory instead.
  const copy = join(tmp, 'cli.js');
  copyFileSync(cli, copy);
  chmodSync(copy, 0o644);
  const txt = bpfstudio(['verify', ACCEPTED, '--kernel', '--log-level', '0'], {}, drop, { cli: copy, cwd: tmp });
  assert.equal(txt.code, 0, txt.out + txt.err);
  assert.match(txt.out, /: accepted/);
  assert.match(txt.out, /^kernel: not checked: .*(neither CAP_BPF nor CAP_SYS_ADMIN|cannot run)/m);
  assert.match(txt.out, /^ {2}loading needs: /m);
});

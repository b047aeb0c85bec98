/**
 * uprobe args from DWARF against real bpftrace 0.17: builds
 * test/fixtures/uprobe/uprobe-args.c with gcc -g in a temp dir, runs a script
 * reading `args->…` (ints of every size and sign, strings, struct members
 * through pointers, nested structs) with real bpftrace while a second bpftrace
 * records the raw argument registers and the memory they point to (-f json
 * tuples, buf() for structs), replays the recording through our type checker
 * (DWARF from the same binary), codegen and VM, and compares the outputs.
 * Prints a SKIP line where root, bpftrace, gcc or unshare are missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileForReplay, replay } from '../../server/src/bpftrace/replay';
import { uprobeArgs } from '../../server/src/host/kernel-info-dwarf';
import type { TraceEvent } from '../../server/src/trace/v1';
import { build, hasTool } from './uprobe-build';
import { verdict } from '../fixtures/bpftrace-real/replay-fixture';
import { toEmitSpec } from '../../server/src/bpftrace/codegen';
import { emitObject } from '../../server/src/elf/emit';
import { loadWithKernel } from '../../server/src/host/bpftool';

function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (bpftrace needs root)';
  if (!hasTool('bpftrace')) return 'bpftrace is not installed';
  if (!hasTool('gcc')) return 'gcc is missing (builds the traced program)';
  if (spawnSync('unshare', ['--help']).status !== 0) return 'unshare (util-linux) is missing';
  return undefined;
}

/** The script under test; BIN is the traced binary. */
const SCRIPT = (bin: string): string => `uprobe:${bin}:add
{
  printf("add a=%d b=%d c=%u d=%d e=%u s=%s\\n", args->a, args->b, args->c, args->d, args->e, str(args->s));
  @a[args->a] = count(); @d = sum(args->d); @e = max(args->e); @b = min(args->b);
}
uprobe:${bin}:usept
{
  printf("usept x=%d y=%d name=%s col=%d flag=%d v=%d\\n", args->p->x, args->p->y, args->p->name, args->col, args->flag, args->v);
  @col[args->col] = count();
  if (args->flag) { @odd = sum(args->p->x); }
  $q = (struct pt *)arg0; @last = $q->y + ((struct pt *)arg0)->x;
}
uprobe:${bin}:small
{
  printf("small %d %u %d %u %d %u\\n", args->a, args->b, args->c, args->d, args->e, args->f);
  @c = sum(args->c); @h = hist(args->b);
}
uprobe:${bin}:nested
{
  printf("nested %d %d %s %s\\n", args->o->in.x, args->o->tag, args->o->in.name, str(args->cp));
  @n = sum(args->o->in.y);
}
`;

/** What the recorder prints per probe after the event identity: u = raw register, s = string at that register, b = N bytes at it. */
type Rec = { name: string; kind: 'u' } | { name: string; kind: 's' } | { name: string; kind: 'b'; size: number };
const RECORD: Record<string, Rec[]> = {
  add: ['a', 'b', 'c', 'd', 'e'].map((name): Rec => ({ name, kind: 'u' })).concat([{ name: 's', kind: 'u' }, { name: 's', kind: 's' }]),
  usept: [{ name: 'p', kind: 'u' }, { name: 'p', kind: 'b', size: 24 }, { name: 'col', kind: 'u' }, { name: 'flag', kind: 'u' }, { name: 'v', kind: 'u' }],
  small: ['a', 'b', 'c', 'd', 'e', 'f'].map((name): Rec => ({ name, kind: 'u' })),
  nested: [{ name: 'o', kind: 'u' }, { name: 'o', kind: 'b', size: 40 }, { name: 'cp', kind: 'u' }, { name: 'cp', kind: 's' }],
};
const IDENTITY = 'probe, nsecs, cpu, pid, tid, uid, gid, comm';

function recorderScript(bin: string): string {
  return Object.entries(RECORD).map(([fn, recs]) => {
    const exprs = recs.map((r) => (r.kind === 'u' ? `(uint64)args->${r.name}` : r.kind === 's' ? `str(args->${r.name})` : `buf(args->${r.name}, ${r.size})`));
    return `uprobe:${bin}:${fn} { print((${IDENTITY}, ${exprs.join(', ')})); }`;
  }).join('\n') + '\n';
}

/** buf() text in bpftrace's JSON: printable bytes as themselves, others as \xNN. */
function bufBytes(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === 'x') {
      out.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else out.push(s.charCodeAt(i));
  }
  return Uint8Array.from(out);
}

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

/** The recorder's JSON lines as trace events (registers in args, strings and structs in mem at their addresses). */
function toEvents(lines: string[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const line of lines) {
    if (!line.startsWith('{"type": "value"')) continue;
    // Integers past 2^53 as strings, so JSON.parse keeps them exact.
    const j = JSON.parse(line.replace(/([[,])(-?\d{16,})(?=[,\]])/g, '$1"$2"')) as { data: unknown[] };
    const d = j.data;
    const probe = String(d[0]);
    const fn = probe.slice(probe.lastIndexOf(':') + 1);
    const ev: TraceEvent = {
      probe, ts: BigInt(d[1] as number), cpu: Number(d[2]), pid: Number(d[3]), tid: Number(d[4]), uid: Number(d[5]), gid: Number(d[6]), comm: String(d[7]), args: {}, mem: {},
    };
    (RECORD[fn] ?? []).forEach((r, i) => {
      const v = d[8 + i];
      if (r.kind === 'u') ev.args[r.name] = BigInt(v as string | number);
      else {
        const bytes = r.kind === 's' ? new TextEncoder().encode(`${String(v)}\0`) : bufBytes(String(v));
        const addr = BigInt(ev.args[r.name] ?? 0);
        if (ev.mem) ev.mem[`0x${addr.toString(16)}`] = hex(bytes);
      }
    });
    out.push(ev);
  }
  return out.sort((a, b) => (BigInt(a.ts) < BigInt(b.ts) ? -1 : BigInt(a.ts) > BigInt(b.ts) ? 1 : 0));
}

interface Running { proc: ChildProcess; out: string[]; err: string[]; done: Promise<void> }

function start(args: string[]): Running {
  const cmd = existsSync('/sys/kernel/tracing/events') ? args : ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'mount -t tracefs nodev /sys/kernel/tracing && exec "$@"', 'sh', ...args];
  const proc = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const err: string[] = [];
  proc.stdout?.setEncoding('utf8').on('data', (x: string) => out.push(x));
  proc.stderr?.setEncoding('utf8').on('data', (x: string) => err.push(x));
  return { proc, out, err, done: new Promise((res) => proc.on('close', () => res())) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function attached(r: Running, re: RegExp): Promise<boolean> {
  for (let t = 0; t < 30000; t += 50) {
    if (re.test(r.out.join(''))) return true;
    if (r.proc.exitCode !== null) return false;
    await sleep(50);
  }
  return false;
}

async function stop(r: Running): Promise<void> {
  if (r.proc.exitCode === null) r.proc.kill('SIGINT');
  const k = setTimeout(() => r.proc.kill('SIGKILL'), 15000);
  await r.done;
  clearTimeout(k);
}

for (const v of [{ name: 'gcc -g', cc: 'gcc', flags: ['-g'] }, { name: 'clang-14 -gdwarf-4', cc: 'clang-14', flags: ['-gdwarf-4'] }]) test(`uprobe args from DWARF (${v.name}): replay of a recording prints what real bpftrace 0.17 printed; the kernel loads our programs`, async (t) => {
  const why = unavailable();
  if (why) {
    console.log(`SKIP: uprobe DWARF args vs real bpftrace: ${why}`);
    t.skip(why);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bt-uprobe-'));
  try {
    const b = build(dir, v, 'uprobe-args');
    if ('skip' in b) {
      console.log(`SKIP: ${b.skip}`);
      t.skip(b.skip);
      return;
    }
    const bin = b.path;
    const script = SCRIPT(bin);
    writeFileSync(join(dir, 'real.bt'), script);
    writeFileSync(join(dir, 'rec.bt'), recorderScript(bin));
    const real = start(['bpftrace', join(dir, 'real.bt')]);
    const rec = start(['bpftrace', '-f', 'json', join(dir, 'rec.bt')]);
    try {
      const ok = (await attached(real, /Attaching \d+ probes/)) && (await attached(rec, /attached_probes/));
      if (!ok) {
        const msg = `bpftrace did not attach: ${real.err.join('')}${rec.err.join('')}`.replace(/ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK[^\n]*\n/g, '');
        console.log(`SKIP: ${msg.split('\n')[0]}`);
        t.skip('bpftrace could not attach');
        return;
      }
      // bpftrace prints its banner before the uprobes are in place: give them time (the machine may be loaded).
      await sleep(1000);
      const w = spawnSync('taskset', ['-c', '0', bin, '5'], { encoding: 'utf8' });
      assert.equal(w.status, 0, w.stderr);
      await sleep(500);
    } finally {
      await stop(real);
      await stop(rec);
    }
    const events = toEvents(rec.out.join('').split('\n'));
    assert.equal(events.length, 20, `recorded ${events.length} events; recorder stderr: ${rec.err.join('')}`);
    const c = compileForReplay(script, { uprobeArgs } as Parameters<typeof compileForReplay>[1], { target: '0.17' });
    assert.deepEqual(c.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.ok(c.script);
    let text = '';
    const g = replay(c.script, events, { format: 'text', version: '0.17', kernel: {}, program: c.program, source: script, nrCpus: 1 });
    for (let r = g.next(); !r.done; r = g.next()) text += r.value;
    const want = real.out.join('');
    const verdictOf = verdict(text, want);
    const lines = want.split('\n').length - 1;
    const same = text.split('\n').filter((l, i) => l === want.split('\n')[i]).length;
    console.log(`uprobe DWARF args (${v.name}) vs real bpftrace 0.17: ${events.length} events, ${lines} output lines, verdict ${verdictOf} (${same} lines identical in place)`);
    assert.notEqual(verdictOf, 'mismatch', `replay:\n${text}\nbpftrace:\n${want}`);
    // Our programs for the same script, through our ELF writer, into the kernel.
    const script2 = c.script;
    let loaded = 0;
    for (let i = 0; i < script2.probes.length; i++) {
      const f = join(dir, `p${i}.o`);
      const obj = emitObject(toEmitSpec({ ...script2, probes: [script2.probes[i]] }, script, 'uprobe.bt'));
      assert.deepEqual(obj.diagnostics, []);
      writeFileSync(f, obj.bytes);
      const k = loadWithKernel(f, { timeoutMs: 60_000 });
      assert.equal(k.verdict, 'accept', `${script2.probes[i].attachPoints[0]}: ${k.message}`);
      loaded++;
    }
    console.log(`uprobe DWARF args (${v.name}): ${loaded}/${script2.probes.length} compiled programs loaded by the kernel`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

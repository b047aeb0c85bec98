/**
 * Replay of trace events through bpftrace probe programs, with hand-assembled
 * programs (so it does not depend on the bpftrace compiler): tracepoint
 * records laid out from the shared 6.18 format files, pt_regs from the BTF,
 * u64 argument arrays, the environment, attach-point matching, maps kept
 * across events, -EFAULT for unrecorded memory, BEGIN/END, exit() and timers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../server/src/asm';
import { parseTracepointFormat, type TpFormat } from '../../server/src/btf/tracepoint';
import { Btf, parseBtf } from '../../server/src/btf';
import { buildInputs, ptRegsLayout, tracepointRecord, type CtxKernel } from '../../server/src/bpftrace/ctx';
import { attachMatcher, globMatch, matchesAttach, timerPeriodNs } from '../../server/src/bpftrace/replay-match';
import { replayWith, type ReplayCodec, type ReplayDiagnostic, type ReplayOptions } from '../../server/src/bpftrace/replay';
import type { CompiledScript, BtMapDef } from '../../server/src/bpftrace/codegen/model';
import type { OutputEvent } from '../../server/src/bpftrace/output/values';
import type { TraceEvent } from '../../server/src/trace/v1';
import { needFile, SHARED as SHARED_ROOT } from '../shared';

const SHARED = `${SHARED_ROOT}/kernel/6.18`;
const EVENTS = join(SHARED, 'tracefs', 'events');

const kernel: CtxKernel = {
  tracepoint(cat, ev): TpFormat | undefined {
    const f = join(EVENTS, cat, ev, 'format');
    return existsSync(f) ? parseTracepointFormat(readFileSync(f, 'utf8')).format : undefined;
  },
};

function ev(probe: string, args: TraceEvent['args'], extra: Partial<TraceEvent> = {}): TraceEvent {
  return { probe, ts: 1000, cpu: 1, pid: 300, tid: 301, uid: 1000, gid: 1000, comm: 'cat', args, ...extra };
}

const u64 = (b: Uint8Array, off: number): bigint => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);

test('tracepoint record: offsets and sizes from the format, common fields from the event', (t) => {
  if (!needFile(t, EVENTS)) return;
  const fmt = kernel.tracepoint!('syscalls', 'sys_enter_openat')!;
  const rec = tracepointRecord(fmt, ev('tracepoint:syscalls:sys_enter_openat', { __syscall_nr: 257, dfd: 4294967196, filename: '0x7f0000000000' as never, flags: 524288, mode: 0 }));
  assert.ok(rec instanceof Uint8Array);
  const dv = new DataView(rec.buffer);
  assert.equal(dv.getUint16(0, true), fmt.id);
  assert.equal(dv.getInt32(4, true), 301, 'common_pid is the thread id');
  assert.equal(dv.getInt32(8, true), 257);
  assert.equal(u64(rec, 16), 0xffffff9cn, 'zero-extended dfd keeps the kernel bytes');
  assert.equal(u64(rec, 32), 524288n);
  const neg = tracepointRecord(fmt, ev('x', { dfd: -100 }));
  assert.ok(neg instanceof Uint8Array);
  assert.equal(u64(neg, 16), 0xffffffffffffff9cn, 'a negative value is two\'s complement over the field size');
  const bad = tracepointRecord(fmt, ev('x', { fd: 1 }));
  assert.ok(!(bad instanceof Uint8Array) && /args\.fd.*no field fd.*dfd/.test(bad.error));
});

test('tracepoint record: char arrays and __data_loc strings come from recorded memory', (t) => {
  if (!needFile(t, EVENTS)) return;
  const sw = kernel.tracepoint!('sched', 'sched_switch')!;
  const mem = { '0x7f0000000000': Buffer.from('bash\0').toString('hex'), '0x7f0000000010': Buffer.from('swapper/1\0').toString('hex') };
  const r = tracepointRecord(sw, ev('t', { prev_comm: '0x7f0000000000' as never, next_comm: '0x7f0000000010' as never, prev_pid: 7, prev_state: -1 }, { mem }));
  assert.ok(r instanceof Uint8Array);
  assert.equal(Buffer.from(r.subarray(8, 12)).toString(), 'bash');
  assert.equal(r[12], 0);
  assert.equal(Buffer.from(r.subarray(40, 49)).toString(), 'swapper/1');
  assert.equal(new DataView(r.buffer).getBigInt64(32, true), -1n);
  const ex = kernel.tracepoint!('sched', 'sched_process_exec')!;
  const r2 = tracepointRecord(ex, ev('t', { filename: '0x7f0000000010' as never, pid: 5 }, { mem }));
  assert.ok(r2 instanceof Uint8Array);
  const loc = new DataView(r2.buffer).getUint32(8, true);
  const off = loc & 0xffff;
  const len = loc >>> 16;
  assert.equal(len, 10);
  assert.ok(off >= ex.size);
  assert.equal(Buffer.from(r2.subarray(off, off + len - 1)).toString(), 'swapper/1');
  const missing = tracepointRecord(ex, ev('t', { filename: '0x1234' as never }));
  assert.ok(!(missing instanceof Uint8Array) && /not recorded/.test(missing.error));
});

test('pt_regs from the kernel BTF agree with the x86_64 layout; args and retval land in registers', (t) => {
  const f = join(SHARED, 'vmlinux.btf');
  if (!needFile(t, f)) return;
  const p = parseBtf(new Uint8Array(readFileSync(f)));
  assert.ok(p.btf);
  const btf = new Btf(p.btf);
  const fromBtf = ptRegsLayout(btf);
  const fixed = ptRegsLayout();
  assert.equal(fromBtf.size, 168);
  assert.deepEqual([...fromBtf.offsets], [...fixed.offsets]);
  const r = buildInputs('kretprobe', undefined, ev('kretprobe:vfs_read', { arg0: 3, arg1: '0x7ffc00001000' as never, si: 9 }, { retval: -14 }), { btf });
  assert.ok('ctx' in r);
  assert.equal(u64(r.ctx, fixed.offsets.get('di')!), 3n);
  assert.equal(u64(r.ctx, fixed.offsets.get('si')!), 9n, 'a register named after argN wins (later key)');
  assert.equal(u64(r.ctx, fixed.offsets.get('ax')!), BigInt.asUintN(64, -14n));
  const bad = buildInputs('kprobe', undefined, ev('kprobe:f', { zz: 1 }), {});
  assert.ok('error' in bad && /args\.zz/.test(bad.error));
  const perf = buildInputs('profile', undefined, ev('profile:hz:99', { ip: '0xffffffff81000000' as never, sample_period: 7 }), {});
  assert.ok('ctx' in perf);
  assert.equal(perf.ctx.length, 184);
  assert.equal(u64(perf.ctx, 168), 7n);
});

test('u64 argument arrays (fentry, fexit with retval, rawtracepoint) and the environment', () => {
  const info = { provider: 'fentry', args: [{ name: 'fd', type: { k: 'int', bits: 32, signed: true } as const, offset: 0, size: 8 }, { name: 'count', type: { k: 'int', bits: 64, signed: false } as const, offset: 8, size: 8 }] };
  const r = buildInputs('fexit', { ...info, provider: 'fexit' }, ev('fexit:vfs_write', { count: 4096, fd: -1 }, { retval: 4096 }), {});
  assert.ok('ctx' in r);
  assert.equal(r.ctx.length, 24);
  assert.equal(u64(r.ctx, 0), BigInt.asUintN(64, -1n));
  assert.equal(u64(r.ctx, 8), 4096n);
  assert.equal(u64(r.ctx, 16), 4096n);
  const raw = buildInputs('rawtracepoint', undefined, ev('rawtracepoint:sys_enter', { arg1: 257 }), {});
  assert.ok('ctx' in raw);
  assert.equal(raw.ctx.length, 16);
  assert.equal(u64(raw.ctx, 8), 257n);
  assert.ok('error' in buildInputs('fentry', info, ev('fentry:vfs_write', { buf: 1 }), {}));
  const env = r.env;
  assert.equal(env.tgid, 300, 'bpftrace pid = tgid');
  assert.equal(env.pid, 301, 'bpftrace tid = kernel pid');
  assert.equal(env.comm, 'cat');
  assert.equal(env.cpu, 1);
  assert.equal(env.timeNs, 1000n);
});

test('attach point matching: aliases, wildcards, binaries by base name, timer periods', () => {
  const m = (a: string, p: string): boolean => matchesAttach(attachMatcher(a), p);
  assert.ok(m('tracepoint:syscalls:sys_enter_openat', 'tracepoint:syscalls:sys_enter_openat'));
  assert.ok(m('t:syscalls:sys_enter_open*', 'tracepoint:syscalls:sys_enter_openat'));
  assert.ok(m('tracepoint:syscalls:sys_enter_*', 'tracepoint:syscalls:sys_enter_openat'));
  assert.ok(!m('tracepoint:syscalls:sys_exit_*', 'tracepoint:syscalls:sys_enter_openat'));
  assert.ok(!m('kprobe:sys_enter_openat', 'tracepoint:syscalls:sys_enter_openat'));
  assert.ok(m('k:vfs_*', 'kprobe:vfs_read'));
  assert.ok(m('uprobe:bash:readline', 'uprobe:/usr/bin/bash:readline'));
  assert.ok(m('uretprobe:/bin/bash:readline', 'uretprobe:/usr/bin/bash:readline'));
  assert.ok(!m('uprobe:/bin/bash:readline', 'uprobe:/usr/bin/bash:rl_getc'));
  assert.ok(globMatch('a*b*c', 'axxbyyc') && !globMatch('a*b*c', 'axxbyy') && globMatch('*', ''));
  assert.equal(timerPeriodNs('interval:s:1'), 1_000_000_000n);
  assert.equal(timerPeriodNs('i:ms:100'), 100_000_000n);
  assert.equal(timerPeriodNs('profile:hz:99'), 10_101_010n);
  assert.equal(timerPeriodNs('interval:1s'), 1_000_000_000n);
  assert.equal(timerPeriodNs('tracepoint:a:b'), undefined);
});

// --- replay with hand-assembled programs and a small codec -----------------------------------------

function asm(text: string): ReturnType<typeof assemble>['insns'] {
  const r = assemble(text, { syntax: 'llvm' });
  const errs = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errs.length, 0, errs.map((d) => `${d.range.line + 1}: ${d.message}`).join('\n'));
  return r.insns;
}

/** @[pid] = count(): lookup, then atomic add or insert 1. Map 0 is the hash, map 1 the perf output. */
/** The common part: the key (r0) at r10-8, lookup, then atomic add or insert 1 into map 0. */
const COUNT_R0 = `
  *(u64 *)(r10 - 8) = r0
  r1 = map[fd:0]
  r2 = r10
  r2 += -8
  call 1
  if r0 == 0 goto insert
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1
  goto out
insert:
  r1 = 1
  *(u64 *)(r10 - 16) = r1
  r1 = map[fd:0]
  r2 = r10
  r2 += -8
  r3 = r10
  r3 += -16
  r4 = 0
  call 2
out:
  r0 = 0
  exit
`;

const COUNT_BY_PID = `
  call 14
  r0 >>= 32
` + COUNT_R0;

/** bpf_perf_event_output(ctx, map 1, BPF_F_CURRENT_CPU, the top `n` bytes of the stack), then exit 0 (ctx in r6). */
const emitStack = (n: number): string => `
  r1 = r6
  r2 = map[fd:1]
  r3 = 0xffffffff ll
  r4 = r10
  r4 += -${n}
  r5 = ${n}
  call 25
  r0 = 0
  exit
`;

/** printf-like record: [u64 id 0][u64 dfd][s64 probe_read_user_str ret][64-byte str(filename)]. */
const OPENAT_PRINTF = `
  r6 = r1
  r1 = 0
  *(u64 *)(r10 - 88) = r1
  r1 = *(u64 *)(r6 + 16)
  *(u64 *)(r10 - 80) = r1
  r1 = r10
  r1 += -64
  r2 = 64
  r3 = *(u64 *)(r6 + 24)
  call 114
  *(u64 *)(r10 - 72) = r0
` + emitStack(88);

/** Sends record id 1 (exit). */
const EXIT_PROG = `
  r6 = r1
  r1 = 1
  *(u64 *)(r10 - 8) = r1
` + emitStack(8);

/** Sends record id 2 with ktime (for BEGIN/END/interval markers). */
const MARK = `
  r6 = r1
  r1 = 2
  *(u64 *)(r10 - 16) = r1
  call 5
  *(u64 *)(r10 - 8) = r0
` + emitStack(16);

const MAPS: BtMapDef[] = [
  { name: '@', mapType: 'hash', keySize: 8, valueSize: 8, maxEntries: 64, key: [{ k: 'int', bits: 64, signed: false }], value: { k: 'agg', fn: 'count', signed: false } },
  { name: '__perf_out', mapType: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 128, key: [], value: { k: 'none' } },
];

function script(probes: { ap: string[]; text: string }[]): CompiledScript {
  return {
    probes: probes.map((p, item) => ({ name: p.ap[0], attachPoints: p.ap, progType: 'tracepoint', insns: asm(p.text), lines: [], item })),
    maps: MAPS, formats: [], diagnostics: [],
    types: { exprs: new Map(), vars: new Map(), maps: new Map(), probes: new Map(), diagnostics: [] },
    output: { kind: 'perf', map: 1 },
  };
}

const codec: ReplayCodec = {
  decodeRecord(_s, b): OutputEvent | { error: string } {
    const id = u64(b, 0);
    if (id === 1n) return { kind: 'exit' };
    if (id === 2n) return { kind: 'printf', fmt: 'mark %d\n', args: [{ t: 'int', v: u64(b, 8), signed: false }] };
    if (id !== 0n) return { error: `unknown id ${id}` };
    const s = b.subarray(24, 88);
    const nul = s.indexOf(0);
    return { kind: 'printf', fmt: 'dfd=%d ret=%d %s\n', args: [
      { t: 'int', v: BigInt.asIntN(32, u64(b, 8)), signed: true }, { t: 'int', v: BigInt.asIntN(64, u64(b, 16)), signed: true }, { t: 'str', v: s.subarray(0, nul < 0 ? 64 : nul) },
    ] };
  },
  decodeMap(_s, map, entries) {
    return { name: map.name, keyed: true, entries: [...entries].map((e) => ({ key: [{ t: 'int', v: u64(e.key, 0), signed: false }], value: { fn: 'count', v: e.values.reduce((n, v) => n + u64(v, 0), 0n), signed: false } })) };
  },
  formatEvent(e) {
    if (e.kind === 'attached') return `Attaching ${e.probes} probes...\n`;
    if (e.kind !== 'printf') return `<${e.kind}>\n`;
    let i = 0;
    return e.fmt.replace(/%[ds]/g, () => {
      const a = e.args[i++];
      return a.t === 'int' ? String(a.v) : a.t === 'str' ? Buffer.from(a.v).toString() : '?';
    });
  },
  formatMapsAtExit(maps) {
    return maps.map((m) => m.entries.map((e) => `${m.name}[${(e.key[0] as { v: bigint }).v}]: ${(e.value as { v: bigint }).v}\n`).sort().join('')).join('\n');
  },
};

const FILE_A = '0x7f0000000000';
const openat = (pid: number, ts: number, filename: string, extra: Partial<TraceEvent> = {}): TraceEvent =>
  ev('tracepoint:syscalls:sys_enter_openat', { __syscall_nr: 257, dfd: 4294967196, filename: FILE_A as never, flags: 0, mode: 0 },
    { pid, tid: pid, ts, mem: { [FILE_A]: Buffer.from(filename + '\0').toString('hex') }, ...extra });

function run(s: CompiledScript, events: TraceEvent[], extra: Partial<ReplayOptions> = {}): { text: string; diags: ReplayDiagnostic[]; stats: unknown } {
  const diags: ReplayDiagnostic[] = [];
  const chunks: string[] = [];
  const g = replayWith(s, events, codec, { format: 'text', kernel, onDiagnostic: (d) => diags.push(d), ...extra });
  let r = g.next();
  while (!r.done) { chunks.push(r.value); r = g.next(); }
  return { text: chunks.join(''), diags, stats: r.value };
}

test('replay: maps persist across events and probes; ctx, env and recorded strings reach the program', (t) => {
  if (!needFile(t, EVENTS)) return;
  const s = script([
    { ap: ['tracepoint:syscalls:sys_enter_openat'], text: COUNT_BY_PID },
    { ap: ['t:syscalls:sys_enter_open*'], text: OPENAT_PRINTF },
  ]);
  const events = [
    openat(10, 100, '/etc/passwd'),
    openat(11, 200, '/etc/hosts'),
    { ...openat(12, 300, ''), mem: {} }, // never recorded for pid 12: the helper returns -EFAULT, no fault
    { ...openat(10, 400, ''), mem: {} }, // pid 10 recorded it before: its memory is still readable
    ev('tracepoint:syscalls:sys_exit_openat', { ret: 3 }),
  ];
  const { text, diags, stats } = run(s, events);
  assert.deepEqual(diags, []);
  assert.equal(text, [
    'Attaching 2 probes...',
    'dfd=-100 ret=12 /etc/passwd',
    'dfd=-100 ret=11 /etc/hosts',
    'dfd=-100 ret=-14 ',
    'dfd=-100 ret=12 /etc/passwd',
    '@[10]: 2',
    '@[11]: 1',
    '@[12]: 1',
    '',
  ].join('\n'));
  assert.deepEqual(stats, { events: 5, runs: 8, unmatched: 1, steps: (stats as { steps: number }).steps, exited: false, rebuilds: 0 });
  const only = run(s, events, { eventMemoryOnly: true });
  assert.match(only.text, /ret=-14 \n.*ret=-14 \n@\[10\]/s, 'eventMemoryOnly: only the event\'s own memory');
});

test('replay: BEGIN first, END last, exit() stops event processing, intervals fire from timestamps', (t) => {
  if (!needFile(t, EVENTS)) return;
  const s = script([
    { ap: ['BEGIN'], text: MARK },
    { ap: ['interval:ms:100'], text: MARK },
    { ap: ['tracepoint:syscalls:sys_enter_openat'], text: COUNT_BY_PID },
    { ap: ['tracepoint:syscalls:sys_enter_close'], text: EXIT_PROG },
    { ap: ['END'], text: MARK },
  ]);
  const events = [
    openat(10, 1_000_000_000, '/a'),
    openat(10, 1_250_000_000, '/b'),
    ev('tracepoint:syscalls:sys_enter_close', { fd: 3 }, { ts: 1_260_000_000 }),
    openat(12, 1_900_000_000, '/c'),
  ];
  const { text, diags, stats } = run(s, events);
  assert.deepEqual(diags, []);
  assert.equal(text, [
    'Attaching 5 probes...',
    'mark 1000000000',
    'mark 1100000000',
    'mark 1200000000',
    'mark 1260000000',
    '@[10]: 2',
    '',
  ].join('\n'));
  assert.equal((stats as { exited: boolean }).exited, true);
});

test('replay: a faulting program and a bad event are reported, replay goes on', (t) => {
  if (!needFile(t, EVENTS)) return;
  const s = script([
    { ap: ['tracepoint:syscalls:sys_enter_openat'], text: 'r1 = *(u64 *)(r1 + 4096)\nr0 = 0\nexit' },
    { ap: ['tracepoint:syscalls:sys_enter_openat'], text: COUNT_BY_PID },
  ]);
  const { text, diags } = run(s, [openat(10, 1, '/a'), ev('tracepoint:syscalls:sys_enter_openat', { nope: 1 }), openat(10, 2, '/a')]);
  assert.equal(text, 'Attaching 2 probes...\n@[10]: 2\n');
  assert.equal(diags.length, 4);
  assert.match(diags[0].message, /fault at instruction 0: .*read of 8 bytes/);
  assert.equal(diags[0].event, 1);
  assert.match(diags[2].message, /args\.nope/);
  assert.equal(diags[2].event, 2);
});

/** @[kstack-id] in a percpu hash: get_stackid into map 2, then count per stack id on the event's CPU. */
const COUNT_BY_STACK = `
  r6 = r1
  r1 = r6
  r2 = map[fd:2]
  r3 = 0
  call 27
` + COUNT_R0;

test('replay: many events with recorded memory rebuild the VM; maps (per-CPU, stack traces) carry over', (t) => {
  if (!needFile(t, EVENTS)) return;
  const s = script([
    { ap: ['tracepoint:syscalls:sys_enter_openat'], text: COUNT_BY_STACK },
    { ap: ['tracepoint:syscalls:sys_enter_openat'], text: OPENAT_PRINTF },
  ]);
  s.maps = [
    { ...MAPS[0], mapType: 'percpu_hash' },
    MAPS[1],
    { name: 'stack_k', mapType: 'stack_trace', keySize: 4, valueSize: 8 * 8, maxEntries: 1024, key: [], value: { k: 'none' } },
  ];
  const stacks = [[0xffffffff81000010n, 0xffffffff81000020n], [0xffffffff81000030n]];
  const N = 600;
  const events = Array.from({ length: N }, (_, i) => openat(10, i + 1, `/f${i}`, {
    cpu: i % 3, mem: { [`0x${(0x7f0000000000 + i * 64).toString(16)}`]: Buffer.from(`/f${i}\0`).toString('hex') },
    args: { __syscall_nr: 257, dfd: 4294967196, filename: `0x${(0x7f0000000000 + i * 64).toString(16)}` as never, flags: 0, mode: 0 },
    kstack: stacks[i % 2].map((addr) => ({ addr, sym: `f${addr.toString(16)}` })),
  }));
  const totals = new Map<string, bigint>();
  const c2: ReplayCodec = {
    ...codec,
    decodeMap(_s, map, entries) {
      for (const e of entries) {
        if (map.name === '@') totals.set(`${u64(e.key, 0)}`, e.values.reduce((n, v) => n + u64(v, 0), 0n) * 1000n + BigInt(e.values.length));
      }
      return { name: map.name, keyed: true, entries: [] };
    },
    formatMapsAtExit: () => '',
  };
  const diags: ReplayDiagnostic[] = [];
  const g = replayWith(s, events, c2, { format: 'text', kernel, onDiagnostic: (d) => diags.push(d), nrCpus: 3, rebuildAfter: 128 });
  let lines = 0;
  let r = g.next();
  let last = '';
  while (!r.done) { lines++; last = r.value; r = g.next(); }
  assert.deepEqual(diags, []);
  assert.equal(lines, 1 + N);
  assert.equal(last, `dfd=-100 ret=${String(N - 1).length + 3} /f${N - 1}\n`);
  assert.ok(r.value.rebuilds >= 4, `rebuilds: ${r.value.rebuilds}`);
  // Two stack ids, each counted N/2 times across 3 CPUs' copies.
  assert.deepEqual([...totals.values()].sort(), [BigInt(N / 2) * 1000n + 3n, BigInt(N / 2) * 1000n + 3n]);
});

test('replay never throws on odd but well-formed events (seeded mutations of a recorded trace)', (t) => {
  if (!needFile(t, EVENTS)) return;
  const s = script([
    { ap: ['tracepoint:syscalls:sys_enter_openat'], text: COUNT_BY_PID },
    { ap: ['t:syscalls:sys_enter_open*'], text: OPENAT_PRINTF },
    { ap: ['kprobe:do_sys_*'], text: OPENAT_PRINTF },
    { ap: ['profile:hz:99'], text: COUNT_BY_PID },
    { ap: ['END'], text: COUNT_BY_PID },
  ]);
  let seed = 12345;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
  const probes = ['tracepoint:syscalls:sys_enter_openat', 'tracepoint:syscalls:sys_enter_openat2', 'kprobe:do_sys_open', 'profile:hz:99', 'tracepoint:', 'x', 'tracepoint:nosuch:event', 'uprobe:/bin/sh:main'];
  const ints: (number | bigint)[] = [0, 1, -1, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, 0xffffffffffffffffn, -(2n ** 63n), 0x7f0000000000, 257];
  const events: TraceEvent[] = [];
  for (let i = 0; i < 400; i++) {
    const args: TraceEvent['args'] = {};
    for (const k of ['dfd', 'filename', 'flags', 'mode', 'arg0', 'arg1', 'di', 'ip', 'nosuch', '__syscall_nr'].filter(() => rnd(3) === 0)) args[k] = ints[rnd(ints.length)];
    const mem: Record<string, string> = {};
    if (rnd(2)) mem[`0x${(0x7f0000000000 + rnd(4) * 8).toString(16)}`] = 'ff'.repeat(rnd(40));
    events.push({ probe: probes[rnd(probes.length)], ts: rnd(2) ? i * 1000 : 0xffffffffffffffffn, cpu: rnd(5) ? rnd(4) : 1n << 40n, pid: rnd(3), tid: rnd(3), uid: 0, gid: 0, comm: rnd(2) ? 'x' : 'a'.repeat(40), args, mem, ...(rnd(4) === 0 ? { retval: ints[rnd(ints.length)], kstack: [{ addr: 0xffffffff81000000n + BigInt(rnd(3)) }] } : {}) });
  }
  const r = run(s, events);
  assert.ok(r.text.startsWith('Attaching 5 probes...\n'));
  assert.ok(r.diags.length > 0);
});

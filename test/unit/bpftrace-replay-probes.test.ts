/**
 * Replay of compiled scripts (parse, types, codegen, VM, formatter) for probe
 * types this machine cannot attach for real: kprobe/kretprobe registers
 * (pt_regs from the kernel BTF), fentry/fexit arguments by their BTF names,
 * profile events with recorded stacks, and
 * interval probes fired from the trace's timestamps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Btf, parseBtf } from '../../server/src/btf';
import { compileForReplay, replay, type ReplayDiagnostic, type ReplayKernel } from '../../server/src/bpftrace/replay';
import type { TraceEvent } from '../../server/src/trace/v1';
import { sharedFormats, SHARED_EVENTS } from '../fixtures/bpftrace-real/replay-fixture';

const BTF_FILE = join(SHARED_EVENTS, '..', '..', 'vmlinux.btf');
let btf: Btf | undefined;

function kernel(t: { skip(m: string): void }): ReplayKernel | undefined {
  for (const f of [BTF_FILE, SHARED_EVENTS]) {
    if (!existsSync(f)) {
      console.log(`SKIP: ${f} not present`);
      t.skip(`${f} not present`);
      return undefined;
    }
  }
  if (!btf) {
    const p = parseBtf(new Uint8Array(readFileSync(BTF_FILE)));
    assert.ok(p.btf);
    btf = new Btf(p.btf);
  }
  return { btf, tracepoint: sharedFormats() };
}

const base = { cpu: 0, pid: 42, tid: 43, uid: 0, gid: 0, comm: 'app' };
const STR_A = '0x7f0000001000';
const mem = (s: string): Record<string, string> => ({ [STR_A]: Buffer.from(s + '\0').toString('hex') });

function run(k: ReplayKernel, script: string, events: TraceEvent[]): { text: string; diags: string[] } {
  const c = compileForReplay(script, k, { target: '0.17' });
  const errors = c.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
  assert.deepEqual(errors, []);
  assert.ok(c.script);
  const diags: string[] = [];
  let text = '';
  const onDiagnostic = (d: ReplayDiagnostic): void => { diags.push(`${d.event}: ${d.message}`); };
  for (const s of replay(c.script, events, { format: 'text', version: '0.17', kernel: k, program: c.program, source: script, onDiagnostic })) text += s;
  return { text, diags };
}

test('kprobe/kretprobe: argN and retval through x86_64 pt_regs', (t) => {
  const k = kernel(t);
  if (!k) return;
  const r = run(k, 'kprobe:do_sys_openat2 { printf("%d %s %d\\n", arg0, str(arg1), pid); } kretprobe:do_sys_openat2 { @ret[retval] = count(); }', [
    { probe: 'kprobe:do_sys_openat2', ts: 1, ...base, args: { arg0: -100, arg1: STR_A as never }, mem: mem('/etc/hosts') },
    { probe: 'kretprobe:do_sys_openat2', ts: 2, ...base, args: {}, retval: 3 },
    { probe: 'kretprobe:do_sys_openat2', ts: 3, ...base, args: {}, retval: -2 },
    { probe: 'kretprobe:do_sys_openat2', ts: 4, ...base, args: {}, retval: 3 },
  ]);
  assert.deepEqual(r.diags, []);
  assert.equal(r.text, 'Attaching 2 probes...\n-100 /etc/hosts 42\n\n\n@ret[-2]: 1\n@ret[3]: 2\n');
});

test('kfunc/kretfunc (fentry/fexit): arguments by their BTF names in u64 slots, the return value after them', (t) => {
  const k = kernel(t);
  if (!k) return;
  const r = run(k, 'kfunc:do_sys_openat2 { printf("%d %s\\n", args->dfd, str(args->filename)); } kretfunc:do_sys_openat2 { printf("ret %d\\n", retval); }', [
    { probe: 'kfunc:do_sys_openat2', ts: 1, ...base, args: { dfd: -100, filename: STR_A as never }, mem: mem('/tmp/x') },
    { probe: 'kretfunc:do_sys_openat2', ts: 2, ...base, args: { dfd: -100 }, retval: 5 },
  ]);
  assert.deepEqual(r.diags, []);
  assert.equal(r.text, 'Attaching 2 probes...\n-100 /tmp/x\nret 5\n\n\n');
});

test('profile events with recorded stacks print symbolized kstacks; interval fires from timestamps', (t) => {
  const k = kernel(t);
  if (!k) return;
  const stack = [{ addr: '0xffffffff81000010', sym: 'do_idle+16' }, { addr: '0xffffffff81000100', sym: 'cpu_startup_entry+32' }];
  const prof = (ts: number, cpu: number): TraceEvent => ({ probe: 'profile:hz:99', ts, ...base, cpu, args: {}, kstack: stack.map((f) => ({ addr: BigInt(f.addr), sym: f.sym })) });
  const r = run(k, 'profile:hz:99 { @[kstack] = count(); } interval:ms:100 { @ticks = count(); }', [
    prof(1_000_000_000, 0), prof(1_050_000_000, 1), prof(1_250_000_000, 0),
  ]);
  assert.deepEqual(r.diags, []);
  assert.equal(r.text, 'Attaching 2 probes...\n\n\n@[\n    do_idle+16\n    cpu_startup_entry+32\n]: 3\n@ticks: 2\n');
});

// Re-records test/fixtures/verifier-tables/ctx-access.json: for each probed program type (CTX_PROBES),
// loads `r0 = *(uN *)(r1 + off); r0 = 0; exit` and `r2 = 0; *(uN *)(r1 + off) = r2; r0 = 0; exit` with
// bpftool for every aligned (off, size) in the probed window and records which the verifier accepts.
// Rejections other than the usual "invalid bpf_context access" (or, through a socket pointer, "invalid
// sock access" / "cannot write into sock") are kept with their message. Needs root and bpftool.
//
//   node --import tsx scripts/record-ctx-access.ts [--out FILE] [KEY...]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolVersions } from '../server/src/host/bpftool';
import { kernelUnavailable } from '../server/src/host/kernel-access';
import { pool } from '../test/fixtures/verifier/corpus';
import { EXIT, MOV0, probe, type Raw } from '../test/fixtures/verifier-tables/probe';

/**
 * key -> section and the byte window [lo, hi) probed (plus extra single offsets). `via`: the access goes
 * through a socket pointer instead of r1 (tc: skb->sk, NULL-checked, passed to the helper `via`, whose
 * NULL-checked result is read): struct bpf_sock through bpf_sk_fullsock (95), bpf_tcp_sock through
 * bpf_tcp_sock (96).
 */
const CTX_PROBES: Readonly<Record<string, { section: string; lo: number; hi: number; extra?: number[]; via?: number }>> = {
  'ptr:bpf_sock': { section: 'tc', lo: -8, hi: 88, via: 95 },
  'ptr:bpf_tcp_sock': { section: 'tc', lo: -8, hi: 120, via: 96 },
  socket_filter: { section: 'socket', lo: -8, hi: 200 },
  sched_cls: { section: 'tc', lo: -8, hi: 200 },
  cgroup_skb: { section: 'cgroup_skb/ingress', lo: -8, hi: 200 },
  sk_skb: { section: 'sk_skb/stream_verdict', lo: -8, hi: 200 },
  flow_dissector: { section: 'flow_dissector', lo: -8, hi: 200 },
  xdp: { section: 'xdp', lo: -8, hi: 32 },
  'xdp/devmap': { section: 'xdp/devmap', lo: -8, hi: 32 },
  kprobe: { section: 'kprobe/do_nanosleep', lo: -8, hi: 176 },
  tracepoint: { section: 'tracepoint/syscalls/sys_enter_nanosleep', lo: -8, hi: 24, extra: [2048, 4096, 8176, 8184, 8188, 8190, 8191, 8192, 8200] },
  raw_tracepoint: { section: 'raw_tp/sys_enter', lo: -8, hi: 104 },
  perf_event: { section: 'perf_event', lo: -8, hi: 192 },
  cgroup_sock: { section: 'cgroup/sock_create', lo: -8, hi: 88 },
  'cgroup_sock/post_bind4': { section: 'cgroup/post_bind4', lo: -8, hi: 88 },
  'cgroup_sock_addr/connect4': { section: 'cgroup/connect4', lo: -8, hi: 80 },
  'cgroup_sock_addr/sendmsg6': { section: 'cgroup/sendmsg6', lo: -8, hi: 80 },
  'cgroup_sock_addr/bind4': { section: 'cgroup/bind4', lo: -8, hi: 80 },
  'cgroup_sock_addr/sendmsg4': { section: 'cgroup/sendmsg4', lo: -8, hi: 80 },
  'cgroup_sock_addr/connect6': { section: 'cgroup/connect6', lo: -8, hi: 80 },
  sock_ops: { section: 'sockops', lo: -8, hi: 232 },
  sk_msg: { section: 'sk_msg', lo: -8, hi: 88 },
  lwt_in: { section: 'lwt_in', lo: -8, hi: 200 },
  lwt_xmit: { section: 'lwt_xmit', lo: -8, hi: 200 },
  cgroup_device: { section: 'cgroup/dev', lo: -8, hi: 16 },
  cgroup_sysctl: { section: 'cgroup/sysctl', lo: -8, hi: 16 },
  'cgroup_sockopt/getsockopt': { section: 'cgroup/getsockopt', lo: -8, hi: 48 },
  'cgroup_sockopt/setsockopt': { section: 'cgroup/setsockopt', lo: -8, hi: 48 },
  sk_lookup: { section: 'sk_lookup', lo: -8, hi: 80 },
  sk_reuseport: { section: 'sk_reuseport', lo: -8, hi: 64 },
};

/** The usual refusals (ctx, or a socket pointer: "R1 invalid sock access off=4 size=8", "R1 cannot write into sock"). */
const ORDINARY = /^(invalid bpf_context access off=|R\d+ invalid (sock|tcp_sock) access off=|R\d+ cannot write into (sock|tcp_sock)$)/;

const LDX: Record<number, number> = { 1: 0x71, 2: 0x69, 4: 0x61, 8: 0x79 };
const STX: Record<number, number> = { 1: 0x73, 2: 0x6b, 4: 0x63, 8: 0x7b };

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const outIdx = argv.indexOf('--out');
  const out = outIdx >= 0 ? argv[outIdx + 1] : join('test', 'fixtures', 'verifier-tables', 'ctx-access.json');
  const only = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--out');
  const why = kernelUnavailable({ privilege: 'root' })?.reason;
  if (why) { console.error(`cannot record: ${why}`); process.exit(1); }
  const dir = mkdtempSync(join(tmpdir(), 'bpfstudio-ctx-'));
  type Job = { key: string; section: string; off: number; size: number; write: boolean; via?: number };
  const jobs: Job[] = [];
  for (const [key, p] of Object.entries(CTX_PROBES)) {
    if (only.length && !only.includes(key)) continue;
    const offs = [...Array.from({ length: p.hi - p.lo }, (_, i) => p.lo + i), ...(p.extra ?? [])];
    for (const off of offs) for (const size of [1, 2, 4, 8]) {
      if (off % size !== 0) continue;
      for (const write of [false, true]) jobs.push({ key, section: p.section, off, size, write, ...(p.via ? { via: p.via } : {}) });
    }
  }
  const t0 = performance.now();
  const results = await pool(jobs, 10, async (j) => {
    const access: Raw[] = j.write ? [[0xb7, 2, 0, 0, 0], [STX[j.size], 1, 2, j.off, 0]] : [[LDX[j.size], 0, 1, j.off, 0]];
    const words: Raw[] = j.via === undefined ? [...access, MOV0, EXIT] : [
      [0x79, 1, 1, 168, 0], // r1 = skb->sk
      [0x15, 1, 0, 3 + access.length, 0], // if r1 == 0 goto out
      [0x85, 0, 0, 0, j.via], // r0 = helper(r1)
      [0x15, 0, 0, 1 + access.length, 0], // if r0 == 0 goto out
      [0xbf, 1, 0, 0, 0], // r1 = r0
      ...access,
      MOV0, EXIT,
    ];
    const r = await probe(dir, `${j.key}-${j.write ? 'w' : 'r'}${j.off}-${j.size}`, j.section, words);
    return { j, ok: r.verdict === 'accept', message: r.message };
  });
  rmSync(dir, { recursive: true, force: true });
  type Rec = { section: string; lo: number; hi: number; extra: number[]; read: Record<string, number[]>; write: Record<string, number[]>; messages: Record<string, string> };
  const types: Record<string, Rec> = {};
  for (const { j, ok, message } of results) {
    const p = CTX_PROBES[j.key];
    const t = (types[j.key] ??= { section: p.section, lo: p.lo, hi: p.hi, extra: p.extra ?? [], read: {}, write: {}, messages: {} });
    const side = j.write ? t.write : t.read;
    if (ok) (side[j.off] ??= []).push(j.size);
    else if (!ORDINARY.test(message ?? '')) t.messages[`${j.write ? 'w' : 'r'}:${j.off}:${j.size}`] = message ?? '';
  }
  const doc = {
    _recorded: {
      how: 'scripts/record-ctx-access.ts: `r0 = *(uN *)(r1 + off)` and `*(uN *)(r1 + off) = r2` per aligned (off, size) in [lo, hi) and extra, '
        + 'bpftool prog load (log level 1); read/write list the accepted sizes per offset; messages keep rejections other than "invalid bpf_context access"',
      ...toolVersions(),
      loads: jobs.length,
      seconds: Math.round((performance.now() - t0) / 1000),
    },
    types,
  };
  writeFileSync(out, JSON.stringify(doc) + '\n');
  console.log(`${jobs.length} loads -> ${out}`);
}

void main();

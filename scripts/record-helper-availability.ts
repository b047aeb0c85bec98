// Re-records test/fixtures/verifier-tables/availability.json: for every helper id and every probed
// program type (PROBE_SECTIONS), loads `call N; r0 = 0; exit` with bpftool and reads whether the
// verifier refuses the helper for the type ("program of this type cannot use helper", "unknown func",
// "helper call is not allowed in probe") or goes on to check its arguments (available). Network types
// are also probed with CAP_BPF only (no CAP_PERFMON / CAP_SYS_ADMIN); gpl-only-ness is read by loading
// each available helper once more under a non-GPL license. Needs root and bpftool.
//
//   node --import tsx scripts/record-helper-availability.ts [--out FILE]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HELPER_NAMES } from '../server/src/isa';
import { toolVersions, type KernelLoad, type Privilege } from '../server/src/host/bpftool';
import { kernelUnavailable } from '../server/src/host/kernel-access';
import { pool } from '../test/fixtures/verifier/corpus';
import { EXIT, MOV0, PROBE_SECTIONS, probe } from '../test/fixtures/verifier-tables/probe';

/** Probed again without CAP_PERFMON and CAP_SYS_ADMIN: every type that loads with CAP_BPF + CAP_NET_ADMIN. */
const CAP_BPF_PROBES = [
  'socket_filter', 'sched_cls', 'xdp', 'cgroup_skb', 'cgroup_sock', 'cgroup_sock_addr/connect4', 'sock_ops', 'sk_skb', 'sk_msg',
  'flow_dissector', 'cgroup_device', 'cgroup_sysctl', 'cgroup_sockopt/getsockopt', 'sk_lookup', 'lwt_xmit', 'lwt_in', 'sk_reuseport',
];

type Cell = 'yes' | 'no' | 'not_allowed' | 'error';

function classify(r: KernelLoad): { cell: Cell; message: string | null } {
  const m = r.message ?? '';
  if (/program of this type cannot use helper|unknown func /.test(m)) return { cell: 'no', message: m };
  if (/helper call is not allowed in probe/.test(m)) return { cell: 'not_allowed', message: m };
  if (!r.kernelLog && r.verdict === 'reject') return { cell: 'error', message: m };
  return { cell: 'yes', message: r.message };
}

async function main(): Promise<void> {
  const outIdx = process.argv.indexOf('--out');
  const out = outIdx > 0 ? process.argv[outIdx + 1] : join('test', 'fixtures', 'verifier-tables', 'availability.json');
  const why = kernelUnavailable({ privilege: 'cap_bpf' })?.reason;
  if (why) { console.error(`cannot record: ${why}`); process.exit(1); }
  const dir = mkdtempSync(join(tmpdir(), 'bpfstudio-avail-'));
  const ids = HELPER_NAMES.map((n, i) => ({ n, i })).filter((x) => x.i > 0 && x.n);
  const jobs: { key: string; section: string; privilege: Privilege; id: number; name: string }[] = [];
  const probes: [string, string, Privilege][] = [
    ...Object.entries(PROBE_SECTIONS).map(([k, s]) => [k, s, 'root'] as [string, string, Privilege]),
    ...CAP_BPF_PROBES.map((k) => [`${k}@cap_bpf`, PROBE_SECTIONS[k], 'cap_bpf'] as [string, string, Privilege]),
  ];
  for (const [key, section, privilege] of probes) for (const { n, i } of ids) jobs.push({ key, section, privilege, id: i, name: n });
  const t0 = performance.now();
  const results = await pool(jobs, 8, async (j) => {
    const r = await probe(dir, `${j.key}-${j.id}`, j.section, [[0x85, 0, 0, 0, j.id], MOV0, EXIT], { privilege: j.privilege });
    return { j, ...classify(r) };
  });
  const types: Record<string, { section: string; privilege: Privilege; helpers: Record<string, boolean> }> = {};
  const notes: Record<string, string> = {};
  for (const { j, cell, message } of results) {
    const t = (types[j.key] ??= { section: j.section, privilege: j.privilege, helpers: {} });
    if (cell === 'error') { notes[`${j.key}/${j.name}`] = `load failed without a verifier log: ${message}`; continue; }
    t.helpers[j.name] = cell === 'yes';
    if (cell === 'not_allowed') notes[`${j.key}/${j.name}`] = message ?? '';
  }
  // gpl_only: one more load per helper, in the first probed type that has it, under a non-GPL license.
  const gplJobs = ids.flatMap(({ n, i }) => {
    const key = Object.keys(PROBE_SECTIONS).find((k) => types[k]?.helpers[n]);
    return key ? [{ key, id: i, name: n }] : [];
  });
  const gpl = await pool(gplJobs, 8, async (j) => {
    const r = await probe(dir, `gpl-${j.key}-${j.id}`, PROBE_SECTIONS[j.key], [[0x85, 0, 0, 0, j.id], MOV0, EXIT], { license: 'Proprietary' });
    return { name: j.name, gplOnly: /cannot call GPL-restricted function/.test(r.message ?? '') };
  });
  const gplOnly: Record<string, boolean> = {};
  for (const g of gpl) gplOnly[g.name] = g.gplOnly;
  rmSync(dir, { recursive: true, force: true });
  const doc = {
    _recorded: {
      how: 'scripts/record-helper-availability.ts: `call N; r0 = 0; exit` per (helper, section), bpftool prog load (log level 1); '
        + 'false = "program of this type cannot use helper" / "unknown func" / "helper call is not allowed in probe"; '
        + 'gplOnly: a non-GPL load says "cannot call GPL-restricted function"',
      ...toolVersions(),
      seconds: Math.round((performance.now() - t0) / 1000),
    },
    types, gplOnly, notes,
  };
  writeFileSync(out, JSON.stringify(doc, null, 1) + '\n');
  console.log(`${results.length + gpl.length} loads, ${Object.keys(notes).length} notes -> ${out}`);
}

void main();

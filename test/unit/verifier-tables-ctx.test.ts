/**
 * The ctx table against the 6.18 BTF (struct sizes, member names, offsets and sizes) and against
 * the kernel: every (offset, size, read/write) probe recorded in
 * test/fixtures/verifier-tables/ctx-access.json (scripts/record-ctx-access.ts) is predicted from
 * the table and compared with what the kernel's verifier accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Btf, KIND, parseBtf } from '../../server/src/btf';
import { CTX_TABLE, SOCK_PTR_LAYOUTS } from '../../server/src/verifier/ctx/table';
import type { CtxField, CtxLayout, CtxSizes } from '../../server/src/verifier/ctx/types';
import { sectionProgType, type AttachType, type ProgType } from '../../server/src/verifier/progtypes';

interface CtxFixture {
  _recorded: { how: string; kernel: string; loads: number };
  types: Record<string, {
    section: string; lo: number; hi: number; extra: number[];
    read: Record<string, number[]>; write: Record<string, number[]>; messages: Record<string, string>;
  }>;
}

const FIXTURE = join(__dirname, '..', 'fixtures', 'verifier-tables', 'ctx-access.json');
const VMLINUX = join(__dirname, '..', '..', '..', 'shared', 'kernel', '6.18', 'vmlinux.btf');
const fx = JSON.parse(readFileSync(FIXTURE, 'utf8')) as CtxFixture;

/** Sections sectionProgType does not map to the attach type the probe used. */
const EXTRA_SECTIONS: Readonly<Record<string, { progType: ProgType; attachType?: AttachType }>> = {
  'cgroup/post_bind4': { progType: 'cgroup_sock', attachType: 'cgroup_inet4_post_bind' },
};

/** Ports declared __be16 followed by 2 bytes of padding that the kernel lets programs read as a u32. */
const BE16_IN_U32 = ['bpf_sock.dst_port', 'bpf_sk_lookup.remote_port'];

/** Probe results the table does not model, with the reason (asserted to still differ). */
const KNOWN: readonly { key: string; probe: RegExp; why: string }[] = [
  { key: 'tracepoint', probe: /^r:-\d+:/, why: "negative offsets pass tp_prog_is_valid_access's unsigned `off < sizeof(void *)` test" },
  { key: 'cgroup_sock', probe: /^r:49:1$/, why: 'bpf_sock.dst_port: a 1-byte read of its second byte is allowed; the list form cannot say so' },
  { key: 'cgroup_sock/post_bind4', probe: /^r:49:1$/, why: 'bpf_sock.dst_port, as above' },
  { key: 'ptr:bpf_sock', probe: /^r:49:1$/, why: 'bpf_sock.dst_port, as above' },
  { key: 'sk_reuseport', probe: /^r:22:2$/, why: 'sk_reuseport_md.eth_protocol: the 2-byte read of its upper half is allowed; the list form cannot say so' },
];

function layoutFor(progType: ProgType, attach: AttachType | undefined): CtxLayout | undefined {
  const l = CTX_TABLE[progType];
  return typeof l === 'function' ? l(attach) : l;
}

function sizeOk(s: CtxSizes, f: CtxField, off: number, size: number): boolean {
  if (s === false || off + size > f.off + f.size) return false;
  const elem = f.elem ?? f.size;
  const inElem = (off - f.off) % elem;
  if (s === 'exact') return size === elem && inElem === 0;
  if (s === 'narrow') return size <= elem && inElem + size <= elem;
  if (s === 'any') return true;
  return s.includes(size as 1 | 2 | 4 | 8) && inElem === 0;
}

/** What the table says about one aligned access (the reference reading of ctx/types.ts). */
export function predictCtx(l: CtxLayout, attach: AttachType | undefined, off: number, size: number, write: boolean): boolean {
  if (off < 0 || off % size !== 0) return false;
  const f = l.fields.find((x) => off >= x.off && off < x.off + x.size);
  if (f) {
    if (f.attachTypes && (attach === undefined || !f.attachTypes.includes(attach))) return false;
    return sizeOk(write ? f.write : f.read, f, off, size);
  }
  const w = l.rest;
  if (!w) return false;
  return off >= w.lo && off + size <= w.hi && (write ? w.write : w.read).includes(size as 1 | 2 | 4 | 8);
}

test('ctx tables cover the program types the issue names', () => {
  for (const t of ['socket_filter', 'kprobe', 'tracepoint', 'raw_tracepoint', 'tracing', 'perf_event', 'xdp', 'sched_cls', 'sched_act', 'cgroup_skb'] as const) {
    assert.ok(CTX_TABLE[t], `no ctx layout for ${t}`);
  }
  const tracing = layoutFor('tracing', 'trace_fentry');
  assert.ok(tracing?.btfArgs, 'fentry/fexit/tp_btf read their arguments through BTF');
});

test('ctx layouts agree with the 6.18 BTF struct layouts', (t) => {
  if (!existsSync(VMLINUX)) { console.log(`SKIP: ${VMLINUX} missing`); t.skip('vmlinux.btf missing'); return; }
  const btf = new Btf(parseBtf(new Uint8Array(readFileSync(VMLINUX))).btf!);
  let checked = 0;
  const all = [...Object.entries(CTX_TABLE), ...Object.entries(SOCK_PTR_LAYOUTS).map(([k, l]) => [`ptr:${k}`, l] as const)];
  for (const [progType, l0] of all) {
    const l = typeof l0 === 'function' ? l0(undefined) : l0;
    if (!l || !l.struct) continue;
    const id = btf.find(l.struct, KIND.STRUCT);
    assert.ok(id !== undefined, `${progType}: struct ${l.struct} not in BTF`);
    const size = btf.sizeof(id);
    if (l.struct !== 'bpf_raw_tracepoint_args') assert.equal(l.size, size, `${progType}: sizeof(struct ${l.struct})`);
    for (const f of l.fields) {
      const m = btf.findMember(id, f.name);
      assert.ok(m, `${progType}: ${l.struct} has no member ${f.name}`);
      const moff = m.bitOffset / 8;
      const msize = btf.sizeof(m.type) ?? 0;
      // A table field lies inside its member, except a __be16 port read through its u32 slot.
      const end = BE16_IN_U32.includes(`${l.struct}.${f.name}`) ? moff + 4 : moff + msize;
      assert.ok(f.off >= moff && f.off + f.size <= end, `${progType}: ${f.name} [${f.off}, ${f.off + f.size}) outside BTF member [${moff}, ${end})`);
      if (f.elem !== undefined) assert.equal(f.size % f.elem, 0, `${progType}: ${f.name} elem`);
      checked++;
    }
  }
  assert.ok(checked > 100, `only ${checked} fields checked`);
});

test('ctx access agrees with the kernel recording', () => {
  let probes = 0;
  let known = 0;
  const wrong: string[] = [];
  for (const [key, rec] of Object.entries(fx.types)) {
    const sec = EXTRA_SECTIONS[rec.section] ?? sectionProgType(rec.section);
    assert.ok(sec, `${key}: unknown section ${rec.section}`);
    // `ptr:STRUCT` probes read through a socket pointer, not the ctx.
    const ptr = key.startsWith('ptr:') ? SOCK_PTR_LAYOUTS[key.slice(4) as keyof typeof SOCK_PTR_LAYOUTS] : undefined;
    const l = ptr ?? layoutFor(sec.progType, sec.attachType);
    assert.ok(l, `${key}: no ctx layout for ${sec.progType}`);
    const offs = [...Array.from({ length: rec.hi - rec.lo }, (_, i) => rec.lo + i), ...rec.extra];
    for (const off of offs) for (const size of [1, 2, 4, 8]) {
      if (off % size !== 0) continue;
      for (const write of [false, true]) {
        probes++;
        const kernel = ((write ? rec.write : rec.read)[off] ?? []).includes(size);
        const ours = predictCtx(l, ptr ? undefined : sec.attachType, off, size, write);
        const id = `${write ? 'w' : 'r'}:${off}:${size}`;
        const k = KNOWN.find((x) => x.key === key && x.probe.test(id));
        if (k) { if (ours !== kernel) { known++; continue; } wrong.push(`${key} ${id}: listed as known (${k.why}) but agrees`); continue; }
        if (ours !== kernel) wrong.push(`${key} ${id}: table ${ours}, kernel ${kernel}`);
      }
    }
  }
  console.log(`ctx probes: ${probes} compared, ${probes - wrong.length - known} agree, ${known} known differences`);
  assert.deepEqual(wrong, []);
});

test('every kernel rejection in the recording is the usual ctx/sock access message', () => {
  // 4-byte reads of the upper half of bpf_tcp_sock's u64 counters pass the access check but fail the
  // kernel's rewrite: a refusal all the same, with another message.
  const odd: Record<string, Record<string, string>> = {
    'ptr:bpf_tcp_sock': {
      'r:84:4': 'verifier bug: error during ctx access conversion (0)', 'r:92:4': 'verifier bug: error during ctx access conversion (0)',
    },
  };
  for (const [key, rec] of Object.entries(fx.types)) assert.deepEqual(rec.messages, odd[key] ?? {}, key);
});

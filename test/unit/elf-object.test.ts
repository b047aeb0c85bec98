import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parseObject, type BpfObject } from '../../server/src/elf/object';
import { matchSection, PROG_TYPES, ATTACH_TYPES } from '../../server/src/elf/sections';
import { MAP_TYPES } from '../../server/src/elf/maps';
import { parseBtf, Btf, KIND } from '../../server/src/btf';
import { buildFixtures, objdumpCmd, tool, bpftoolBtf, type BuiltFixture, type DumpedType } from '../fixtures/elf/build';

const built = buildFixtures();
const objdump = objdumpCmd();
const haveBpftool = tool('bpftool', ['version']) !== undefined;
const VMLINUX = '../shared/kernel/6.18/vmlinux.btf';

function skipIf(t: { skip: (m: string) => void }, why: string | undefined): boolean {
  if (why === undefined) return false;
  console.log(`SKIP: ${why}`);
  t.skip(why);
  return true;
}

const objects = new Map<string, BpfObject>();
function obj(f: BuiltFixture): BpfObject {
  let o = objects.get(f.name);
  if (!o) {
    const r = parseObject(f.bytes);
    assert.deepEqual(r.diagnostics, [], f.name);
    assert.ok(r.object);
    o = r.object;
    objects.set(f.name, o);
  }
  return o;
}

interface ObjSym { value: number; flags: string; section: string; size: number; name: string }
function objdumpSyms(file: string): ObjSym[] {
  const text = tool(objdump!, ['-t', file]) ?? '';
  const out: ObjSym[] = [];
  for (const l of text.split('\n')) {
    const m = /^([0-9a-f]{16}) (.{7}) (\S+)\s+([0-9a-f]{16}) (.*)$/.exec(l);
    if (m) out.push({ value: parseInt(m[1], 16), flags: m[2], section: m[3], size: parseInt(m[4], 16), name: m[5] });
  }
  return out;
}

test('sections: libbpf section names select the documented program and attach types', () => {
  // Facts from libbpf's program_types documentation.
  const cases: [string, string | undefined, string | undefined, string][] = [
    ['kprobe/do_unlinkat', 'KPROBE', undefined, 'do_unlinkat'],
    ['kretprobe/do_unlinkat', 'KPROBE', undefined, 'do_unlinkat'],
    ['uprobe//bin/bash:readline', 'KPROBE', undefined, '/bin/bash:readline'],
    ['uprobe.s/x', 'KPROBE', undefined, 'x'],
    ['usdt', 'KPROBE', undefined, ''],
    ['kprobe.multi/vfs_*', 'KPROBE', 'TRACE_KPROBE_MULTI', 'vfs_*'],
    ['tracepoint/syscalls/sys_enter_openat', 'TRACEPOINT', undefined, 'syscalls/sys_enter_openat'],
    ['tp/sched/sched_switch', 'TRACEPOINT', undefined, 'sched/sched_switch'],
    ['raw_tracepoint/sys_enter', 'RAW_TRACEPOINT', undefined, 'sys_enter'],
    ['raw_tp.w/x', 'RAW_TRACEPOINT_WRITABLE', undefined, 'x'],
    ['tp_btf/sched_switch', 'TRACING', 'TRACE_RAW_TP', 'sched_switch'],
    ['fentry/do_unlinkat', 'TRACING', 'TRACE_FENTRY', 'do_unlinkat'],
    ['fexit/do_unlinkat', 'TRACING', 'TRACE_FEXIT', 'do_unlinkat'],
    ['fmod_ret/x', 'TRACING', 'MODIFY_RETURN', 'x'],
    ['fentry.s/x', 'TRACING', 'TRACE_FENTRY', 'x'],
    ['freplace/x', 'EXT', undefined, 'x'],
    ['lsm/file_open', 'LSM', 'LSM_MAC', 'file_open'],
    ['lsm_cgroup/x', 'LSM', 'LSM_CGROUP', 'x'],
    ['iter/task', 'TRACING', 'TRACE_ITER', 'task'],
    ['xdp', 'XDP', 'XDP', ''],
    ['xdp.frags', 'XDP', 'XDP', ''],
    ['xdp/devmap', 'XDP', 'XDP_DEVMAP', ''],
    ['xdp.frags/cpumap', 'XDP', 'XDP_CPUMAP', ''],
    ['tc', 'SCHED_CLS', undefined, ''],
    ['tc/ingress', 'SCHED_CLS', 'TCX_INGRESS', ''],
    ['tcx/egress', 'SCHED_CLS', 'TCX_EGRESS', ''],
    ['classifier', 'SCHED_CLS', undefined, ''],
    ['action', 'SCHED_ACT', undefined, ''],
    ['socket', 'SOCKET_FILTER', undefined, ''],
    ['sk_skb/stream_parser', 'SK_SKB', 'SK_SKB_STREAM_PARSER', ''],
    ['sk_skb/stream_verdict', 'SK_SKB', 'SK_SKB_STREAM_VERDICT', ''],
    ['sk_skb', 'SK_SKB', undefined, ''],
    ['sk_msg', 'SK_MSG', 'SK_MSG_VERDICT', ''],
    ['cgroup/ingress', undefined, undefined, ''],
    ['cgroup_skb/ingress', 'CGROUP_SKB', 'CGROUP_INET_INGRESS', ''],
    ['cgroup/sock_create', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE', ''],
    ['cgroup/connect4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_CONNECT', ''],
    ['cgroup/sendmsg6', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP6_SENDMSG', ''],
    ['cgroup/getsockopt', 'CGROUP_SOCKOPT', 'CGROUP_GETSOCKOPT', ''],
    ['cgroup/dev', 'CGROUP_DEVICE', 'CGROUP_DEVICE', ''],
    ['cgroup/sysctl', 'CGROUP_SYSCTL', 'CGROUP_SYSCTL', ''],
    ['perf_event', 'PERF_EVENT', undefined, ''],
    ['struct_ops/tcp_init', 'STRUCT_OPS', undefined, 'tcp_init'],
    ['syscall', 'SYSCALL', undefined, ''],
    ['sk_lookup', 'SK_LOOKUP', 'SK_LOOKUP', ''],
    ['flow_dissector', 'FLOW_DISSECTOR', 'FLOW_DISSECTOR', ''],
    ['lwt_xmit', 'LWT_XMIT', undefined, ''],
    ['sockops', 'SOCK_OPS', 'CGROUP_SOCK_OPS', ''],
    ['netfilter', 'NETFILTER', 'NETFILTER', ''],
    ['kprobex/foo', undefined, undefined, ''],
    ['xdp/foo', undefined, undefined, ''],
    ['tracepoint', 'TRACEPOINT', undefined, ''],
  ];
  for (const [name, prog, attach, target] of cases) {
    const m = matchSection(name);
    assert.equal(m?.def.progType, prog, name);
    if (m) {
      assert.equal(m.def.attachType, attach, name);
      assert.equal(m.target, target, name);
    }
  }
  assert.equal(matchSection('fentry.s/x')?.def.sleepable, true);
  assert.equal(matchSection('xdp.frags')?.def.xdpFrags, true);
});

test('sections: program, attach and map type numbers agree with the kernel BTF enums', (t) => {
  if (skipIf(t, existsSync(VMLINUX) ? undefined : `${VMLINUX} not found`)) return;
  const r = parseBtf(new Uint8Array(readFileSync(VMLINUX)));
  assert.ok(r.btf);
  const btf = new Btf(r.btf);
  const check = (enumName: string, prefix: string, table: readonly string[]): void => {
    const id = btf.find(enumName, KIND.ENUM);
    assert.ok(id !== undefined, enumName);
    const values = new Map(btf.typeAs(id, KIND.ENUM)!.values.map((v) => [v.name, Number(v.value)]));
    table.forEach((name, i) => {
      const v = values.get(prefix + name);
      if (v !== undefined) assert.equal(v, i, `${prefix}${name}`);
    });
    // every name known to this kernel appears in our table
    const known = table.filter((n) => values.has(prefix + n)).length;
    assert.ok(known >= table.length - 3, `${enumName}: ${known}/${table.length} names found in the kernel`);
  };
  check('bpf_prog_type', 'BPF_PROG_TYPE_', PROG_TYPES);
  check('bpf_attach_type', 'BPF_', ATTACH_TYPES);
  check('bpf_map_type', 'BPF_MAP_TYPE_', MAP_TYPES);
});

test('object: programs and subprograms match the FUNC symbols, instruction counts match llvm-objdump -d', (t) => {
  if (skipIf(t, built.skip) || skipIf(t, objdump ? undefined : 'llvm-objdump is not installed')) return;
  let programs = 0;
  for (const f of built.fixtures) {
    const o = obj(f);
    const funcs = objdumpSyms(f.object).filter((s) => s.flags.endsWith('F'));
    assert.deepEqual(o.programs.map((p) => `${p.section}:${p.name}:${p.size}`).sort(), funcs.map((s) => `${s.section}:${s.name}:${s.size}`).sort(), f.name);
    const dis = tool(objdump!, ['-d', '--no-show-raw-insn', f.object]) ?? '';
    const counts = new Map<string, number>();
    let cur = '';
    for (const l of dis.split('\n')) {
      const h = /^[0-9a-f]{16} <(.*)>:$/.exec(l);
      if (h && funcs.some((y) => y.name === h[1])) { cur = h[1]; counts.set(cur, 0); continue; }
      if (cur && /^\s+\d+:\t/.test(l)) counts.set(cur, counts.get(cur)! + 1);
    }
    for (const p of o.programs) {
      assert.equal(p.insns.length, counts.get(p.name), `${f.name}: ${p.name}`);
      assert.equal(p.subprog, p.section === '.text');
      if (!p.subprog) assert.ok(p.progTypeName, `${p.name} has a program type`);
      assert.equal(p.insns[0].pc, 0);
      programs++;
    }
  }
  assert.ok(programs >= 25, `${programs} programs`);
});

test('object: the fixtures cover the program types the issue names', (t) => {
  if (skipIf(t, built.skip)) return;
  const seen = new Set<string>();
  for (const f of built.fixtures) for (const p of obj(f).programs) if (p.def) seen.add(p.def.name);
  for (const want of ['kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'usdt', 'tracepoint', 'tp', 'raw_tracepoint', 'raw_tp', 'tp_btf', 'xdp', 'tc', 'socket', 'fentry', 'fexit', 'lsm', 'iter', 'classifier']) {
    assert.ok(seen.has(want), `a fixture has a ${want} program`);
  }
  const xdp = built.fixtures.flatMap((f) => obj(f).programs).filter((p) => p.section === 'xdp');
  assert.equal(xdp.length, 2, 'two programs in one section');
});

/** Map facts computed from bpftool's BTF dump: the __uint values and __type sizes. */
function bpftoolMaps(types: Map<number, DumpedType>): Map<string, Record<string, number>> {
  const size = (id: number): number => {
    const ty = types.get(id)!;
    if (ty.attrs.size !== undefined) return Number(ty.attrs.size);
    if (ty.kind === 'TYPEDEF' || ty.kind === 'CONST' || ty.kind === 'VOLATILE') return size(Number(ty.attrs.type_id));
    if (ty.kind === 'PTR') return 8;
    if (ty.kind === 'ARRAY') return Number(ty.attrs.nr_elems) * size(Number(ty.attrs.type_id));
    throw new Error(`size of ${ty.kind}`);
  };
  const out = new Map<string, Record<string, number>>();
  const ds = [...types.values()].find((x) => x.kind === 'DATASEC' && x.name === '.maps');
  for (const item of ds?.items ?? []) {
    const v = types.get(Number(item.attrs.type_id))!;
    const st = types.get(Number(v.attrs.type_id))!;
    const facts: Record<string, number> = {};
    for (const mem of st.items) {
      const ptr = types.get(Number(mem.attrs.type_id))!;
      const target = types.get(Number(ptr.attrs.type_id))!;
      if (mem.name === 'key' || mem.name === 'value') facts[`${mem.name}_size`] = size(target.id);
      else if (mem.name === 'values') facts.value_size = 4;
      else facts[mem.name] = Number(target.attrs.nr_elems);
    }
    out.set(v.name, facts);
  }
  return out;
}

test('object: BTF-defined maps match bpftool btf dump', (t) => {
  if (skipIf(t, built.skip) || skipIf(t, haveBpftool ? undefined : 'bpftool is not installed')) return;
  const kinds = new Set<string>();
  for (const f of built.fixtures) {
    const o = obj(f);
    const facts = bpftoolMaps(bpftoolBtf(f.object)!);
    const ours = o.maps.filter((m) => m.origin === 'btf');
    assert.deepEqual(ours.map((m) => m.name).sort(), [...facts.keys()].sort(), f.name);
    for (const m of ours) {
      const x = facts.get(m.name)!;
      assert.equal(m.type, x.type, `${m.name} type`);
      assert.equal(m.maxEntries, x.max_entries ?? 0, `${m.name} max_entries`);
      assert.equal(m.keySize, x.key_size ?? 0, `${m.name} key size`);
      assert.equal(m.valueSize, x.value_size ?? 0, `${m.name} value size`);
      kinds.add(m.typeName);
    }
  }
  for (const k of ['HASH', 'ARRAY', 'PERCPU_ARRAY', 'PERCPU_HASH', 'LRU_HASH', 'LRU_PERCPU_HASH', 'RINGBUF', 'PERF_EVENT_ARRAY', 'PROG_ARRAY', 'STACK_TRACE', 'QUEUE', 'ARRAY_OF_MAPS']) {
    assert.ok(kinds.has(k), `a fixture has a ${k} map`);
  }
  const net = obj(built.fixtures.find((f) => f.name === 'net')!);
  const outer = net.maps.find((m) => m.name === 'outer')!;
  assert.equal(outer.inner?.typeName, 'ARRAY');
  assert.deepEqual(outer.init, [{ slot: 0, target: 'inner_a' }]);
});

test('object: legacy maps, global data maps, license and version', (t) => {
  if (skipIf(t, built.skip) || skipIf(t, objdump ? undefined : 'llvm-objdump is not installed')) return;
  for (const f of built.fixtures) {
    const o = obj(f);
    const src = readFileSync(f.source, 'utf8');
    assert.equal(o.license, /SEC\("license"\) = "([^"]*)"/.exec(src)?.[1], f.name);
    const ver = /SEC\("version"\) = (0x[0-9a-f]+)/.exec(src);
    assert.equal(o.kernelVersion, ver ? parseInt(ver[1], 16) : undefined);
    const syms = objdumpSyms(f.object);
    for (const m of o.maps.filter((x) => x.origin === 'data')) {
      const secSyms = syms.filter((s) => s.section === m.section && s.flags.endsWith('O'));
      for (const s of secSyms) {
        const v = m.variables?.find((x) => x.name === s.name);
        assert.ok(v, `${m.name} has variable ${s.name}`);
        assert.equal(v.offset, s.value);
        assert.equal(v.size, s.size);
      }
      assert.equal(m.maxEntries, 1);
    }
    for (const m of o.maps.filter((x) => x.origin === 'legacy')) {
      const s = syms.find((y) => y.name === m.name)!;
      assert.equal(s.section, 'maps');
      assert.equal(m.type, 1);
      assert.equal(m.keySize, 4);
      assert.equal(m.valueSize, 8);
      assert.equal(m.maxEntries, 64);
    }
  }
  const tp = obj(built.fixtures.find((f) => f.name === 'tracepoint')!);
  assert.deepEqual(tp.maps.filter((m) => m.origin === 'data').map((m) => m.name).sort(), ['.bss', '.data', '.data.counters', '.rodata']);
});

test('object: every code relocation is classified, consistent with the symbol it names', (t) => {
  if (skipIf(t, built.skip) || skipIf(t, objdump ? undefined : 'llvm-objdump is not installed')) return;
  const kinds = new Set<string>();
  for (const f of built.fixtures) {
    const o = obj(f);
    const syms = objdumpSyms(f.object);
    const text = tool(objdump!, ['-r', f.object]) ?? '';
    const codeSecs = new Set(o.programs.map((p) => p.section));
    let n = 0;
    let cur = '';
    for (const l of text.split('\n')) {
      const h = /^RELOCATION RECORDS FOR \[(.*)\]:/.exec(l);
      if (h) { cur = h[1]; continue; }
      const m = /^([0-9a-f]{16})\s+\S+\s+(\S+)/.exec(l);
      if (!m || !codeSecs.has(cur)) continue;
      n++;
      const off = parseInt(m[1], 16);
      const r = o.relocations.find((x) => x.section === cur && x.offset === off);
      assert.ok(r, `${f.name}: relocation ${cur}+${off}`);
      const s = syms.find((y) => y.name === m[2]);
      const where = s?.section ?? m[2];
      const expect = where === '.maps' || where === 'maps' ? ['map']
        : where === '*UND*' ? ['kfunc', 'kconfig', 'ksym']
          : where === '.text' || m[2] === '.text' ? ['subprog_call', 'func_ptr']
            : /^\.(data|rodata|bss)/.test(where) ? ['data'] : ['?'];
      assert.ok(expect.includes(r.kind), `${f.name}: ${cur}+${off} ${m[2]} (${where}) classified ${r.kind}`);
      kinds.add(r.kind);
      if (r.kind === 'data') assert.equal(r.dataOffset, s!.value);
      if (r.kind === 'map') assert.equal(r.map, m[2]);
    }
    assert.equal(o.relocations.length, n, f.name);
  }
  assert.deepEqual([...kinds].sort(), ['data', 'func_ptr', 'kconfig', 'kfunc', 'map', 'subprog_call']);
});

test('object: externs are the undefined symbols', (t) => {
  if (skipIf(t, built.skip) || skipIf(t, objdump ? undefined : 'llvm-objdump is not installed')) return;
  for (const f of built.fixtures) {
    const und = objdumpSyms(f.object).filter((s) => s.section === '*UND*').map((s) => s.name).sort();
    assert.deepEqual(obj(f).externs.map((e) => e.name).sort(), und);
  }
  const up = obj(built.fixtures.find((f) => f.name === 'uprobe')!);
  const src = readFileSync(built.fixtures.find((f) => f.name === 'uprobe')!.source, 'utf8');
  for (const e of up.externs) {
    const decl = new RegExp(`extern [^;]*\\b${e.name}\\b[^;]*(__ksym|__kconfig)[^;]*;`).exec(src);
    assert.ok(decl, e.name);
    assert.equal(e.kind === 'kconfig', decl[1] === '__kconfig', e.name);
    assert.equal(e.weak, /__weak/.test(decl[0]), e.name);
  }
});

test('object: line_info gives the source text of the line it names', (t) => {
  if (skipIf(t, built.skip)) return;
  let lines = 0;
  for (const f of built.fixtures) {
    const src = readFileSync(f.source, 'utf8').split('\n');
    for (const p of obj(f).programs) {
      assert.ok(p.lines.length > 0, `${p.name} has line info`);
      assert.equal(p.lines[0].pc, 0, `${p.name}: first line at pc 0`);
      assert.ok(p.funcTypeId !== undefined, `${p.name} has func_info`);
      for (const l of p.lines) {
        assert.ok(l.fileName.endsWith(`${f.name}.bpf.c`), l.fileName);
        if (l.lineNum === 0) {
          assert.equal(l.line, '', 'line 0 (compiler-generated code) has no text');
          continue;
        }
        assert.equal(l.line.trim(), src[l.lineNum - 1].trim(), `${f.name}:${l.lineNum}`);
        assert.ok(l.pc < p.size / 8);
        lines++;
      }
    }
  }
  assert.ok(lines > 100, `${lines} lines`);
});

/** The last named member an access string reaches, walked through bpftool's view of the types. */
function lastField(types: Map<number, DumpedType>, root: number, idx: number[]): string | undefined {
  let t = types.get(root);
  let name: string | undefined;
  for (const i of idx.slice(1)) {
    while (t && ['TYPEDEF', 'CONST', 'VOLATILE', 'RESTRICT'].includes(t.kind)) t = types.get(Number(t.attrs.type_id));
    if (!t) return undefined;
    if (t.kind === 'STRUCT' || t.kind === 'UNION') {
      const m = t.items[i];
      if (m.name !== '' && m.name !== '(anon)') name = m.name;
      t = types.get(Number(m.attrs.type_id));
    } else if (t.kind === 'ARRAY') {
      t = types.get(Number(t.attrs.type_id));
    }
  }
  return name;
}

test('object: func_info names the program, CO-RE records name the fields the source reads', (t) => {
  if (skipIf(t, built.skip) || skipIf(t, haveBpftool ? undefined : 'bpftool is not installed')) return;
  let relos = 0;
  for (const f of built.fixtures) {
    const o = obj(f);
    const types = bpftoolBtf(f.object)!;
    for (const p of o.programs) assert.equal(types.get(p.funcTypeId!)?.name, p.name);
    const src = readFileSync(f.source, 'utf8');
    // fields the source reads through CO-RE macros
    const want = new Set<string>();
    for (const m of src.matchAll(/CORE_(?:READ_INTO\([^,]+,|FIELD_\w+\()\s*(?:\([^)]*\)\s*)?\w+,\s*(\w+)(?:\[\d+\])?\)/g)) want.add(m[1]);
    const got = new Set<string>();
    const kinds = new Map<string, number>();
    for (const p of o.programs) {
      for (const c of p.coreRelos) {
        relos++;
        kinds.set(c.kindName, (kinds.get(c.kindName) ?? 0) + 1);
        const ty = types.get(c.typeId)!;
        const idx = c.access.split(':').map(Number);
        const field = lastField(types, c.typeId, idx);
        if (field !== undefined) got.add(field);
        if (ty.kind === 'ENUM') assert.ok(src.includes(ty.items[idx[0]].name));
      }
    }
    for (const w of want) assert.ok(got.has(w), `${f.name}: a CO-RE relocation for field ${w}`);
    for (const g of got) assert.ok(want.has(g) || src.includes(`->${g}`), `${f.name}: field ${g} is read in the source`);
    const count = (re: RegExp): number => (src.match(re) ?? []).length;
    assert.equal(kinds.get('field_exists') ?? 0, count(/CORE_FIELD_EXISTS\(/g), `${f.name} field_exists`);
    assert.equal(kinds.get('enumval_value') ?? 0, count(/CORE_ENUM_VALUE\(/g), `${f.name} enumval_value`);
    assert.equal(kinds.get('type_size') ?? 0, count(/CORE_TYPE_SIZE\(/g), `${f.name} type_size`);
  }
  assert.ok(relos >= 10, `${relos} CO-RE relocations`);
});

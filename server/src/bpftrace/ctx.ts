/**
 * The VM inputs of one recorded trace event for one bpftrace probe: the
 * context bytes laid out as the kernel hands them to the program (tracepoint
 * record from the format file, u64 argument array for fentry/fexit and raw
 * tracepoints, x86_64 pt_regs for kprobes/uprobes/BEGIN/END, perf_event data
 * for profile/interval), and the helper environment (pid, comm, time, cpu,
 * recorded memory, stacks). Pure; never throws. Non-goals: matching events to
 * probes (replay-match.ts) and running programs (replay-vm.ts).
 */
import type { Btf } from '../btf/types';
import { KIND } from '../btf/format';
import type { TpField, TpFormat } from '../btf/tracepoint';
import { memRegions, type TraceEvent, type TraceInt } from '../trace/v1';
import type { VmEnv } from '../vm/types';
import { canonicalProvider, splitAttachPoint } from './attach';
import type { SType } from './types';

/** What replay needs to know about the kernel (a subset of typecheck's KernelTypes). */
export interface CtxKernel {
  btf?: Btf;
  tracepoint?(category: string, event: string): TpFormat | undefined;
}

/** A probe's context as the type checker describes it (typecheck's ProbeCtx, structurally). */
export interface CtxInfo {
  provider: string;
  args?: { name: string; type: SType; offset: number; size: number }[];
  retval?: SType;
}

export interface EventInputs {
  ctx: Uint8Array;
  env: Partial<VmEnv>;
}

/** x86_64 struct pt_regs (arch/x86/include/asm/ptrace.h), used when no BTF is given. */
const PT_REGS_X86_64 = [
  'r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di',
  'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss',
];
/** Function arguments in registers, x86_64 SysV order (arg0 = di). */
const ARG_REGS = ['di', 'si', 'dx', 'cx', 'r8', 'r9'];
/** bpf_perf_event_data after its pt_regs: sample_period, addr. */
const PERF_EXTRA = ['sample_period', 'addr'];

export type CtxLayout = 'tracepoint' | 'u64args' | 'pt_regs' | 'perf_event';

/** How a provider's programs see their context. */
export function ctxLayoutOf(provider: string): CtxLayout {
  switch (provider) {
    case 'tracepoint': return 'tracepoint';
    case 'rawtracepoint': case 'fentry': case 'fexit': case 'iter': return 'u64args';
    case 'profile': case 'interval': case 'software': case 'hardware': return 'perf_event';
    default: return 'pt_regs'; // kprobe, kretprobe, uprobe, uretprobe, usdt, BEGIN/END (uprobes on bpftrace), watchpoints
  }
}

const big = (v: TraceInt): bigint => (typeof v === 'bigint' ? v : BigInt(v));

function putInt(out: Uint8Array, off: number, size: number, v: bigint): void {
  let u = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size && off + i < out.length; i++) {
    out[off + i] = Number(u & 0xffn);
    u >>= 8n;
  }
}

/** Register offsets of pt_regs: from BTF when it has the struct, else the x86_64 layout. */
export function ptRegsLayout(btf?: Btf): { offsets: Map<string, number>; size: number } {
  const offsets = new Map<string, number>();
  const id = btf?.find('pt_regs', KIND.STRUCT);
  if (btf && id !== undefined) {
    // cs and ss sit in anonymous unions on recent kernels (FRED): findMember looks through them.
    for (const r of PT_REGS_X86_64) {
      const m = btf.findMember(id, r);
      if (m && m.bitSize === 0) offsets.set(r, m.bitOffset / 8);
    }
    const size = btf.sizeof(id);
    if (offsets.size > 0 && size !== undefined) return { offsets, size };
    offsets.clear();
  }
  PT_REGS_X86_64.forEach((r, i) => offsets.set(r, i * 8));
  return { offsets, size: PT_REGS_X86_64.length * 8 };
}

/** Splits "tracepoint:syscalls:sys_enter_openat" (or an alias like "t:…") into provider and parts. */
export function parseProbeName(text: string): { provider: string; parts: string[] } {
  const s = splitAttachPoint(text);
  return { provider: canonicalProvider(s.provider) || s.provider.toLowerCase(), parts: s.parts };
}

function isIntField(f: TpField): boolean {
  return f.dynamic === undefined && f.arrayLen === undefined && f.size > 0 && f.size <= 8;
}

/** Recorded bytes behind an address-valued arg (strings and arrays the converter placed in `mem`). */
function bytesAt(ev: TraceEvent, addr: bigint, max: number): Uint8Array | undefined {
  for (const r of memRegions(ev)) {
    const off = addr - r.addr;
    if (off >= 0n && off < BigInt(r.bytes.length)) return r.bytes.subarray(Number(off), Math.min(r.bytes.length, Number(off) + max));
  }
  return undefined;
}

/** The NUL-terminated string (NUL included) recorded at `addr`, or undefined. */
function cStringAt(ev: TraceEvent, addr: bigint): Uint8Array | undefined {
  const b = bytesAt(ev, addr, 1 << 16);
  if (!b) return undefined;
  const nul = b.indexOf(0);
  return nul >= 0 ? b.subarray(0, nul + 1) : b;
}

/**
 * A tracepoint record as the kernel writes it: common_* fields (type = the
 * format's ID, pid = the event's tid unless given), every field at its
 * offset and size (two's complement, so -100 and 4294967196 give the kernel's
 * bytes for a signed or unsigned field alike), char arrays and __data_loc
 * strings copied from the event's recorded memory at the address the arg holds.
 */
export function tracepointRecord(fmt: TpFormat, ev: TraceEvent): Uint8Array | { error: string } {
  const byName = new Map(fmt.fields.map((f) => [f.name, f]));
  for (const k of Object.keys(ev.args)) {
    if (!byName.has(k)) return { error: `field "args.${k}": tracepoint ${fmt.name} has no field ${k} (fields: ${fmt.fields.filter((f) => !f.common).map((f) => f.name).join(', ')})` };
  }
  const dyn: { f: TpField; bytes: Uint8Array }[] = [];
  for (const f of fmt.fields) {
    const v = ev.args[f.name];
    if (f.dynamic !== undefined && v !== undefined) {
      const s = cStringAt(ev, big(v));
      if (!s) return { error: `field "args.${f.name}": ${f.name} is a ${f.dynamic} field; its value must be the address of bytes recorded in "mem" (0x${big(v).toString(16)} is not recorded)` };
      dyn.push({ f, bytes: s });
    }
  }
  const fixed = (fmt.size + 7) & ~7;
  const total = fixed + dyn.reduce((n, d) => n + d.bytes.length, 0);
  const out = new Uint8Array((total + 7) & ~7);
  let tail = fixed;
  for (const f of fmt.fields) {
    const v = ev.args[f.name];
    if (f.dynamic !== undefined) {
      const d = dyn.find((x) => x.f === f);
      if (!d) continue;
      const off = f.dynamic === 'data_loc' ? tail : tail - (f.offset + f.size);
      putInt(out, f.offset, 4, (BigInt(d.bytes.length) << 16n) | BigInt(off));
      out.set(d.bytes, tail);
      tail += d.bytes.length;
    } else if (v !== undefined && isIntField(f)) {
      putInt(out, f.offset, f.size, big(v));
    } else if (v !== undefined) {
      const b = bytesAt(ev, big(v), f.size);
      if (!b) return { error: `field "args.${f.name}": ${f.decl} is an array; its value must be the address of its bytes in "mem" (0x${big(v).toString(16)} is not recorded)` };
      out.set(b, f.offset);
    } else if (f.name === 'common_type') {
      putInt(out, f.offset, f.size, BigInt(Math.max(0, fmt.id)));
    } else if (f.name === 'common_pid') {
      putInt(out, f.offset, f.size, big(ev.tid));
    }
  }
  return out;
}

/** A record from the type checker's field list when no format file is at hand. */
function recordFromArgs(args: NonNullable<CtxInfo['args']>, ev: TraceEvent): Uint8Array | { error: string } {
  const byName = new Map(args.map((a) => [a.name, a]));
  for (const k of Object.keys(ev.args)) if (!byName.has(k)) return { error: `field "args.${k}": the probe's context has no field ${k}` };
  const size = args.reduce((m, a) => Math.max(m, a.offset + a.size), 0);
  const out = new Uint8Array((size + 7) & ~7);
  for (const a of args) {
    const v = ev.args[a.name];
    if (v === undefined) continue;
    if (a.size <= 8) putInt(out, a.offset, a.size, big(v));
    else {
      const b = bytesAt(ev, big(v), a.size);
      if (b) out.set(b, a.offset);
    }
  }
  return out;
}

/** u64 argument array (fentry/fexit, raw tracepoints): args by name (type checker order), or arg0, arg1, …; fexit's retval after the arguments. */
function u64Args(info: CtxInfo | undefined, ev: TraceEvent, provider: string): Uint8Array | { error: string } {
  const names = info?.args?.map((a) => a.name) ?? [];
  const slotOf = new Map(info?.args?.map((a) => [a.name, Math.floor(a.offset / 8)]) ?? []);
  const slots = new Map<number, bigint>();
  for (const [k, v] of Object.entries(ev.args)) {
    let i = slotOf.get(k) ?? -1;
    if (i < 0) {
      const m = /^arg(\d+)$/.exec(k);
      if (!m || Number(m[1]) > 63) return { error: `field "args.${k}": not an argument of this probe (use ${names.length ? names.join(', ') + ' or ' : ''}arg0, arg1, …)` };
      i = Number(m[1]);
    }
    slots.set(i, big(v));
  }
  let n = Math.max(...[...slotOf.values()].map((i) => i + 1), ...[...slots.keys()].map((i) => i + 1), 0);
  if (provider === 'fexit') {
    if (ev.retval !== undefined) slots.set(n, big(ev.retval));
    n++;
  }
  const out = new Uint8Array(Math.max(8, n * 8));
  for (const [i, v] of slots) putInt(out, i * 8, 8, v);
  return out;
}

/** pt_regs (plus bpf_perf_event_data's sample_period and addr when `perf`): registers by name, argN as the SysV argument registers, retval in ax. */
function ptRegs(ev: TraceEvent, btf: Btf | undefined, perf: boolean, info?: CtxInfo): Uint8Array | { error: string } {
  const { offsets, size } = ptRegsLayout(btf);
  const all = new Map(offsets);
  if (perf) PERF_EXTRA.forEach((n, i) => all.set(n, size + i * 8));
  const out = new Uint8Array(size + (perf ? PERF_EXTRA.length * 8 : 0));
  for (const [k, v] of Object.entries(ev.args)) {
    const m = /^arg(\d+)$/.exec(k);
    // uprobe args by name (DWARF): the type checker placed each in its argument register's pt_regs slot.
    const named = info?.args?.find((a) => a.name === k);
    const reg = named ? PT_REGS_X86_64[named.offset / 8] : m ? ARG_REGS[Number(m[1])] : k;
    const off = reg === undefined ? undefined : all.get(reg);
    if (off === undefined) {
      return { error: `field "args.${k}": not a register (${[...all.keys()].join(', ')}) or argument (arg0..arg${ARG_REGS.length - 1})` };
    }
    putInt(out, off, 8, big(v));
  }
  const ax = all.get('ax');
  if (ev.retval !== undefined && ax !== undefined) putInt(out, ax, 8, big(ev.retval));
  return out;
}

/** The helper environment of an event: bpftrace's pid is the kernel's tgid and tid its pid. */
export function eventEnv(ev: TraceEvent): Partial<VmEnv> {
  const ts = big(ev.ts);
  const env: Partial<VmEnv> = {
    pid: Number(big(ev.tid) & 0xffffffffn),
    tgid: Number(big(ev.pid) & 0xffffffffn),
    uid: Number(big(ev.uid) & 0xffffffffn),
    gid: Number(big(ev.gid) & 0xffffffffn),
    comm: ev.comm,
    timeNs: ts,
    bootTimeNs: ts,
    cpu: Number(ev.cpu),
    memory: memRegions(ev),
    kstack: (ev.kstack ?? []).map((f) => big(f.addr)),
    ustack: (ev.ustack ?? []).map((f) => big(f.addr)),
  };
  if (ev.cgroup !== undefined) env.cgroupId = big(ev.cgroup);
  return env;
}

/**
 * Context bytes and environment of `ev` for a probe whose provider is
 * `provider` (canonical). The event's own probe name picks the tracepoint
 * format (so wildcard probes get each event's layout).
 */
export function buildInputs(provider: string, ctxInfo: CtxInfo | undefined, ev: TraceEvent, kernel: CtxKernel): EventInputs | { error: string } {
  const layout = ctxLayoutOf(provider);
  let ctx: Uint8Array | { error: string };
  if (layout === 'tracepoint') {
    const { parts } = parseProbeName(ev.probe);
    const fmt = parts.length >= 2 ? kernel.tracepoint?.(parts[0], parts[1]) : undefined;
    if (fmt) ctx = tracepointRecord(fmt, ev);
    else if (ctxInfo?.args) ctx = recordFromArgs(ctxInfo.args, ev);
    else return { error: `field "probe": no format known for ${ev.probe} (kernel tracepoint data missing)` };
  } else if (layout === 'u64args') {
    ctx = u64Args(ctxInfo, ev, provider);
  } else {
    ctx = ptRegs(ev, kernel.btf, layout === 'perf_event', ctxInfo);
  }
  if (!(ctx instanceof Uint8Array)) return ctx;
  return { ctx, env: eventEnv(ev) };
}

/** The contract's entry point: inputs of `ev` for a compiled probe (its first attach point gives the provider). */
export function eventInputs(probe: { attachPoints: readonly string[] }, ctxInfo: CtxInfo | undefined, ev: TraceEvent, kernel: CtxKernel): EventInputs | { error: string } {
  const provider = ctxInfo?.provider ?? parseProbeName(probe.attachPoints[0] ?? ev.probe).provider;
  return buildInputs(provider, ctxInfo, ev, kernel);
}

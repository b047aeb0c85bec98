/**
 * Builtins and probe arguments: pid/tid/uid/gid/nsecs/cpu/comm/curtask...
 * through their helpers, argN/retval/func per probe type (x86-64 pt_regs
 * offsets for kprobes and uprobes, u64 slots for raw tracepoints and fentry),
 * tracepoint record fields at the offsets the type checker gives, and field
 * chains through kernel pointers (bpf_probe_read_kernel, offsets from BTF).
 * Non-goals: USDT argument specs, DWARF uprobe args, other architectures.
 */
import type * as A from '../ast';
import { type SType, sizeOf } from '../types';
import { Gen, type Loc, R_ACC, R_CTX, R_TMP, at, chunks, isScalar } from './gen';
import { mem as memOf, probeRead, scalar } from './expr';
import { genUsdtArg, parseUsdtArgs } from './usdt';
import { compareVersions, parseVersion } from '../versions';

/** x86-64 struct pt_regs offsets. */
const PT_REGS: Record<string, number> = {
  r15: 0, r14: 8, r13: 16, r12: 24, bp: 32, bx: 40, r11: 48, r10: 56, r9: 64, r8: 72, ax: 80, cx: 88, dx: 96,
  si: 104, di: 112, orig_ax: 120, ip: 128, cs: 136, flags: 144, sp: 152, ss: 160,
};
const ARG_REGS = ['di', 'si', 'dx', 'cx', 'r8', 'r9'];

export function ptRegsOffset(name: string): number | undefined {
  return PT_REGS[name];
}

function regProviders(p: string): boolean {
  return p === 'kprobe' || p === 'kretprobe' || p === 'uprobe' || p === 'uretprobe' || p === 'usdt' || p === 'profile' || p === 'interval' || p === 'begin' || p === 'end';
}

function isUser(g: Gen): boolean {
  return g.provider === 'uprobe' || g.provider === 'uretprobe' || g.provider === 'usdt';
}

/**
 * argN of a usdt probe, from the binary's SDT note for it. Without the note (no binary at
 * hand: editors, replay) the argument is read from the calling-convention register, with a
 * warning: replay lays recorded arguments out that way, a real probe site may not.
 */
function usdtArg(g: Gen, e: A.Builtin, i: number): boolean {
  const parts = g.attach?.parts ?? [];
  const [path, provider, name] = parts.length >= 3 ? parts : [parts[0], undefined, parts[1]];
  const spec = path && name ? g.opts.usdt?.(path, provider, name) : undefined;
  if (spec === undefined) {
    const message = `${e.name}: the argument spec of usdt probe ${parts.join(':')} is not known (it comes from the binary's .note.stapsdt); reading the calling-convention register instead`;
    if (!g.diags.some((d) => d.message === message && d.range.start === e.range.start)) g.diags.push({ range: e.range, severity: 'warning', message, source: 'codegen' });
    return false;
  }
  const args = parseUsdtArgs(spec);
  if (typeof args === 'string') g.error(e.range, args);
  const a = args[i];
  if (!a) g.error(e.range, `usdt probe ${parts.join(':')} has ${args.length} argument${args.length === 1 ? '' : 's'}, ${e.name} is not one`);
  genUsdtArg(g, a, PT_REGS);
  return true;
}

/** Scalar builtins into r7. */
/** Probe kinds whose `args` is a record of the function's arguments (bpftrace 0.19+). */
const RECORD_ARGS = new Set(['fentry', 'fexit', 'uprobe', 'rawtracepoint']);

export function genBuiltin(g: Gen, e: A.Builtin, t: SType): void {
  const n = e.name;
  const m = /^arg(\d+)$/.exec(n);
  if (m) {
    const i = Number(m[1]);
    if (g.provider === 'rawtracepoint') { g.e.ldx(8, R_ACC, R_CTX, 8 * i); return; }
    if (g.provider === 'fentry' || g.provider === 'fexit') {
      g.e.ldx(8, R_ACC, R_CTX, 8 * i);
      return;
    }
    if (g.provider === 'usdt' && usdtArg(g, e, i)) return;
    if (!regProviders(g.provider) || i >= ARG_REGS.length) g.error(e.range, `${n} is not available in ${g.provider} probes`);
    g.e.ldx(8, R_ACC, R_CTX, PT_REGS[ARG_REGS[i]]);
    return;
  }
  const sa = /^sarg(\d+)$/.exec(n);
  if (sa) {
    // Stack arguments (x86-64): the u64 at sp + 8 * (N + 1), above the return address.
    if (!['kprobe', 'kretprobe', 'uprobe', 'uretprobe'].includes(g.provider)) g.error(e.range, `${n} is not available in ${g.provider} probes`);
    const m2 = g.mark();
    g.e.ldx(8, R_ACC, R_CTX, PT_REGS.sp);
    g.e.alu('add', R_ACC, { k: 8 * (Number(sa[1]) + 1) });
    const l = g.allocStack(8);
    g.storeImm(8, l, 0);
    probeRead(g, l, 8, isUser(g), false);
    g.load(8, R_ACC, l);
    g.release(m2);
    return;
  }
  switch (n) {
    case 'pid': case 'tid':
      g.e.call('get_current_pid_tgid');
      g.e.mov(R_ACC, 0);
      if (n === 'pid') g.e.alu('rsh', R_ACC, { k: 32 });
      else g.e.alu('mov', R_ACC, { r: R_ACC }, false);
      return;
    case 'uid': case 'gid': case 'username':
      g.e.call('get_current_uid_gid');
      g.e.mov(R_ACC, 0);
      if (n === 'gid') g.e.alu('rsh', R_ACC, { k: 32 });
      else g.e.alu('mov', R_ACC, { r: R_ACC }, false);
      return;
    case 'nsecs': g.e.call('ktime_get_boot_ns'); g.e.mov(R_ACC, 0); return;
    case 'cpu': g.e.call('get_smp_processor_id'); g.e.mov(R_ACC, 0); return;
    case 'curtask': g.e.call('get_current_task'); g.e.mov(R_ACC, 0); return;
    case 'rand': g.e.call('get_prandom_u32'); g.e.mov(R_ACC, 0); return;
    case 'cgroup': g.e.call('get_current_cgroup_id'); g.e.mov(R_ACC, 0); return;
    case 'numaid': g.e.call('get_numa_node_id'); g.e.mov(R_ACC, 0); return;
    case 'jiffies': g.e.call('jiffies64'); g.e.mov(R_ACC, 0); return;
    case 'probe': g.e.movi(R_ACC, g.probeIndex); return;
    case 'ppid': {
      const m = g.mark();
      parentField(g, 'tgid', e.range);
      const l = g.allocStack(8);
      g.storeImm(8, l, 0);
      probeRead(g, l, 4, false, false);
      g.load(4, R_ACC, l);
      g.release(m);
      return;
    }
    case 'elapsed': {
      // nsecs minus the start time userspace put in the `elapsed` array (0 when absent).
      const m = g.mark();
      const key = g.allocStack(8);
      g.storeImm(8, key, 0);
      g.ldMap(1, g.script.elapsedMap());
      g.addr(key, 2);
      g.e.call('map_lookup_elem');
      g.e.movi(R_TMP, 0);
      const miss = g.e.newLabel();
      g.e.jmp('jeq', 0, { k: 0 }, miss);
      g.e.ldx(8, R_TMP, 0, 0);
      g.e.bind(miss);
      g.e.call('ktime_get_boot_ns');
      g.e.mov(R_ACC, 0);
      g.e.alu('sub', R_ACC, { r: R_TMP });
      g.release(m);
      return;
    }
    case 'args':
      // bpftrace 0.19+ makes function args a record value (print(args) shows `{ .n = 0x..., .c = 120 }`):
      // not built here, so refused rather than handing out the context pointer.
      if (RECORD_ARGS.has(g.provider) && compareVersions(parseVersion(g.opts.target ?? '0.17') ?? [0, 17, 0], [0, 19, 0]) >= 0) {
        g.error(e.range, 'code generation does not support args as a whole value (a record of the arguments since bpftrace 0.19); use its fields (args.NAME)');
      }
      g.e.mov(R_ACC, R_CTX);
      return;
    case 'ctx': g.e.mov(R_ACC, R_CTX); return;
    case 'retval':
      if (g.provider === 'kretprobe' || g.provider === 'uretprobe') { g.e.ldx(8, R_ACC, R_CTX, PT_REGS.ax); g.normalize(t); return; }
      if (g.provider === 'fexit') {
        const nargs = g.ctx?.args?.length ?? 0;
        g.e.ldx(8, R_ACC, R_CTX, 8 * nargs);
        g.normalize(t);
        return;
      }
      return g.error(e.range, `retval is not available in ${g.provider} probes`);
    case 'func':
      if (g.provider === 'fentry' || g.provider === 'fexit') { g.e.call('get_func_ip'); g.e.mov(R_ACC, 0); return; }
      if (regProviders(g.provider)) { g.e.ldx(8, R_ACC, R_CTX, PT_REGS.ip); return; }
      return g.error(e.range, `func is not available in ${g.provider} probes`);
    case 'kstack': case 'ustack':
      genStack(g, n === 'kstack' ? 'k' : 'u');
      return;
    default:
      if (!isScalar(t)) g.error(e.range, `${n} is not a scalar`);
      g.error(e.range, `code generation does not support the builtin ${n}`);
  }
}

/** r7 = bpf_get_stackid(ctx, stack map, flags); ustack packs the pid in the upper half (bpftrace 0.17). */
export function genStack(g: Gen, which: 'k' | 'u', pack = true): void {
  const idx = g.script.stackMap(which);
  g.e.mov(1, R_CTX);
  g.ldMap(2, idx);
  g.e.movi(3, which === 'u' ? 256 : 0);
  g.e.call('get_stackid');
  g.e.mov(R_ACC, 0);
  if (which === 'u' && pack) {
    g.e.call('get_current_pid_tgid');
    g.e.alu('lsh', 0, { k: 32 });
    g.e.alu('or', R_ACC, { r: 0 });
  }
}

/** r7 = address of `field` in curtask->real_parent (BTF offsets). */
function parentField(g: Gen, field: string, range: A.Expr['range']): void {
  const task: SType = { k: 'cstruct', name: 'task_struct', union: false, size: 0 };
  const parentOff = memberOffset(g, task, 'real_parent', range);
  const off = memberOffset(g, task, field, range);
  g.e.call('get_current_task');
  g.e.mov(R_ACC, 0);
  g.e.alu('add', R_ACC, { k: parentOff });
  const m = g.mark();
  const l = g.allocStack(8);
  g.storeImm(8, l, 0);
  probeRead(g, l, 8, false, false);
  g.load(8, R_ACC, l);
  g.e.alu('add', R_ACC, { k: off });
  g.release(m);
}

/** A stack value in memory: the stack id, then (16-byte stacks) the pid — user stacks are per process. */
export function stackValue(g: Gen, which: 'k' | 'u', t: SType): Loc {
  const l = g.alloc(sizeOf(t));
  g.zero(l, sizeOf(t));
  genStack(g, which, false);
  g.store(8, l, R_ACC);
  if (sizeOf(t) >= 16) {
    g.e.call('get_current_pid_tgid');
    g.e.alu('rsh', 0, { k: 32 });
    g.store(8, at(l, 8), 0);
  }
  return l;
}

/** Copies `size` bytes of the context at `off` to l with aligned direct loads. */
function copyFromCtx(g: Gen, l: Loc, off: number, size: number): void {
  for (const { o, s } of chunks(size, [off, l.off])) {
    g.e.ldx(s, 0, R_CTX, off + o);
    g.store(s, at(l, o), 0);
  }
}

type CtxArg = { type: SType; offset: number; size: number; dynamic?: 'data_loc' | 'rel_loc' };

/** A probe argument (tracepoint field, fentry arg) by name, from the type checker's ProbeCtx. */
function ctxArg(g: Gen, e: A.Field): CtxArg | undefined {
  // This attach point's own context first: attach points of one probe can lay out their args differently.
  return g.ctx?.args?.find((a) => a.name === e.field) ?? g.typer.info.fields?.get(e)?.arg;
}

/** r7 = address of a __data_loc / __rel_loc field's data (inside the context). */
function dynamicAddr(g: Gen, a: CtxArg): void {
  g.e.ldx(4, R_ACC, R_CTX, a.offset);
  g.e.alu('and', R_ACC, { k: 0xffff });
  if (a.dynamic === 'rel_loc') g.e.alu('add', R_ACC, { k: a.offset + 4 });
  g.e.alu('add', R_ACC, { r: R_CTX });
}

/** Extracts a bitfield from the value loaded in r7. */
function bitfield(g: Gen, bitOffset: number, bitSize: number): void {
  if (bitOffset) g.e.alu('rsh', R_ACC, { k: bitOffset });
  if (bitSize < 64) {
    g.e.movi(1, (1n << BigInt(bitSize)) - 1n);
    g.e.alu('and', R_ACC, { r: 1 });
  }
}

/** Member offset (bytes) of `field` in the struct pointed to / held by type t, from BTF. */
function memberOffset(g: Gen, t: SType, field: string, range: A.Expr['range']): number {
  const st = t.k === 'ptr' ? t.to : t;
  if (st.k !== 'cstruct') return g.error(range, `cannot access field ${field} of a ${st.k}`);
  const btf = g.opts.btf;
  if (!btf) g.error(range, `field ${field}: no kernel BTF to find ${st.name}`);
  const id = st.btfId ?? btf.find(st.name.replace(/^(struct|union)\s+/, ''));
  const fm = id !== undefined ? btf.findMember(btf.resolve(id), field) : undefined;
  if (!fm) g.error(range, `${st.name} has no field ${field}`);
  if (fm.bitOffset % 8 !== 0 || fm.bitSize) g.error(range, `bit field ${field} is not supported`);
  return fm.bitOffset / 8;
}

/** r7 = the kernel (or user) address of a field chain's value. */
function fieldAddr(g: Gen, e: A.Expr): boolean {
  if (e.kind === 'Field') {
    const ot = g.ty(e.object);
    if (e.arrow || ot.k === 'ptr') {
      scalar(g, e.object);
    } else {
      fieldAddr(g, e.object);
    }
    const fr = g.typer.info.fields?.get(e);
    g.e.alu('add', R_ACC, { k: fr?.via === 'struct' ? fr.offset : memberOffset(g, ot, e.field, e.range) });
    return ot.k === 'ptr' && ot.user === true;
  }
  if (e.kind === 'Unary' && e.op === '*') {
    scalar(g, e.operand);
    const ot = g.ty(e.operand);
    return ot.k === 'ptr' && ot.user === true;
  }
  return g.error(e.range, 'cannot take the address of this expression');
}

/**
 * Field reads: `args.f`/`args->f` from the probe context, `p->f` and `s.f` through pointers.
 * Scalars go to r7; with `wantMem`, non-scalar values are read into memory and the Loc is returned.
 */
export function genField(g: Gen, e: A.Field | A.Builtin, t: SType, wantMem = false): Loc | undefined {
  if (e.kind === 'Builtin') return builtinMem(g, e, t);
  const fr = g.typer.info.fields?.get(e);
  if (fr?.via === 'record') {
    const base = memOf(g, e.object);
    if (!wantMem && isScalar(t)) { g.loadScalar(R_ACC, at(base, fr.offset), t); return undefined; }
    return at(base, fr.offset);
  }
  if (fr?.via === 'args' || (e.object.kind === 'Builtin' && e.object.name === 'args')) {
    const a = ctxArg(g, e);
    if (!a) return g.error(e.range, `no argument ${e.field} in this probe's context`);
    if (a.dynamic) {
      dynamicAddr(g, a);
      if (!wantMem && isScalar(t)) return undefined;
      const l = g.alloc(sizeOf(t));
      g.zero(l, sizeOf(t));
      probeRead(g, l, sizeOf(t), false, true);
      return l;
    }
    if (!wantMem && isScalar(t)) {
      const s = a.size >= 8 ? 8 : a.size >= 4 ? 4 : a.size >= 2 ? 2 : 1;
      g.e.ldx(s, R_ACC, R_CTX, a.offset);
      if (a.type.k === 'int' && s < 8) g.e.extend(R_ACC, s * 8, a.type.signed);
      if (g.provider !== 'uprobe') g.normalize(t); // uprobe args (DWARF): the whole register, as bpftrace 0.17 reads it
      return undefined;
    }
    const l = g.alloc(sizeOf(t));
    const n = Math.min(sizeOf(t), a.size);
    copyFromCtx(g, l, a.offset, n);
    if (sizeOf(t) > n) g.zero(at(l, n), sizeOf(t) - n);
    return l;
  }
  const user = fieldAddr(g, e) || isUser(g);
  const size = sizeOf(t);
  if (!wantMem && isScalar(t)) {
    const m = g.mark();
    const l = g.allocStack(8);
    g.storeImm(8, l, 0);
    probeRead(g, l, fr?.bitSize ? 8 : Math.min(8, size), user, false);
    if (fr?.bitSize) {
      g.load(8, R_ACC, l);
      bitfield(g, fr.bitOffset ?? 0, fr.bitSize);
    } else g.loadScalar(R_ACC, l, t);
    g.release(m);
    return undefined;
  }
  const l = g.alloc(size);
  g.zero(l, size);
  probeRead(g, l, size, user, false);
  return l;
}

/** Non-scalar builtins: comm, and usym-typed func. */
function builtinMem(g: Gen, e: A.Builtin, t: SType): Loc {
  if (e.name === 'comm') {
    const l = g.alloc(16);
    g.zero(l, 16);
    g.addr(l, 1);
    g.e.movi(2, 16);
    g.e.call('get_current_comm');
    return l;
  }
  if (e.name === 'pcomm') {
    const l = g.alloc(16);
    g.zero(l, 16);
    parentField(g, 'comm', e.range);
    probeRead(g, l, 16, false, true);
    return l;
  }
  if (e.name === 'func' && t.k === 'special' && t.kind === 'usym') {
    const l = g.alloc(16);
    g.e.ldx(8, R_ACC, R_CTX, PT_REGS.ip);
    g.store(8, l, R_ACC);
    g.e.call('get_current_pid_tgid');
    g.e.alu('rsh', 0, { k: 32 });
    g.store(8, at(l, 8), 0);
    return l;
  }
  if (e.name === 'ustack' || e.name === 'kstack') return stackValue(g, e.name === 'ustack' ? 'u' : 'k', t);
  if (isScalar(t)) {
    genBuiltin(g, e, t);
    const l = g.allocStack(8);
    g.store(8, l, R_ACC);
    return l;
  }
  return g.error(e.range, `code generation does not support the builtin ${e.name}`);
}

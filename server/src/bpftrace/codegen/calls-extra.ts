/**
 * Builtins and functions added after the first code generator: signals by
 * name, pton/macaddr, strcontains/strstr/strlen as bounded loops, the
 * ppid()/pcomm()/leader_*() function forms, ncpus/cpid/usermode, and the 0.26
 * introspection calls folded at compile time (is_*, default_str_length,
 * has_cpid, kfunc_exist). Non-goals: helpers this code generator has no
 * model for (path, skboutput, unwatch, write_user, percpu_kaddr, find, len).
 */
import type * as A from '../ast';
import { type SType, sizeOf } from '../types';
import { KIND } from '../../btf';
import { Gen, type Loc, R_ACC, R_CTX } from './gen';
import type { Reg } from './emitter';
import { mem, probeRead, scalar, writeBytes } from './expr';
import { genBuiltin, genField, ptRegsOffset } from './ctxargs';
import { genCallStmt } from './calls';

/** Linux signal numbers (x86-64) by name, as bpftrace resolves `signal("SIGKILL")`. */
const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18,
  SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27,
  SIGWINCH: 28, SIGIO: 29, SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31,
};

/** signal()/signal_thread(): a name ("SIGKILL", "KILL") or a number; bpf_send_signal(_thread). */
export function genSignal(g: Gen, e: A.Call): void {
  const a = e.args[0] ?? g.error(e.range, `${e.name}() needs an argument`);
  if (a.kind === 'Str') {
    const n = SIGNALS[a.value] ?? SIGNALS[`SIG${a.value}`];
    if (n === undefined) g.error(a.range, `${e.name}() invalid signal name: ${a.value}`);
    g.e.movi(1, n);
  } else {
    scalar(g, a);
    g.e.mov(1, R_ACC);
  }
  g.e.call(e.name === 'signal_thread' ? 'send_signal_thread' : 'send_signal');
}

function strArg(g: Gen, e: A.Call, i: number): string {
  const a = e.args[i];
  return a?.kind === 'Str' ? a.value : g.error(a?.range ?? e.range, `${e.name}() expects a string literal`);
}

/** Compile-time answers of the 0.26 introspection functions (undefined: not one of them). */
export function introspect(g: Gen, e: A.Call): bigint | undefined {
  const t = e.args[0] ? g.ty(e.args[0]) : undefined;
  switch (e.name) {
    case 'is_integer': return t?.k === 'int' ? 1n : 0n;
    case 'is_unsigned_integer': return t?.k === 'int' && !t.signed ? 1n : 0n;
    case 'is_ptr': return t?.k === 'ptr' ? 1n : 0n;
    case 'is_str': return t?.k === 'string' ? 1n : 0n;
    case 'is_array': return t?.k === 'array' ? 1n : 0n;
    case 'is_literal': return e.args[0] && ['Int', 'Str', 'Bool'].includes(e.args[0].kind) ? 1n : 0n;
    case 'default_str_length': return 64n;
    case 'has_cpid': return g.opts.resolve?.('cpid', '') !== undefined ? 1n : 0n;
    case 'kfunc_exist': return g.opts.btf?.find(strArg(g, e, 0), KIND.FUNC) !== undefined ? 1n : 0n;
    default: return undefined;
  }
}

/** Scalar results of the calls of this file into r7; false when e is none of them. */
export function genExtraValue(g: Gen, e: A.Call, t: SType): boolean {
  const c = introspect(g, e);
  if (c !== undefined) {
    g.e.movi(R_ACC, c);
    return true;
  }
  switch (e.name) {
    case 'signal': case 'signal_thread':
      genSignal(g, e);
      g.e.movi(R_ACC, 0);
      return true;
    case 'override':
      scalar(g, e.args[0] ?? g.error(e.range, 'override() needs an argument'));
      g.e.mov(1, R_CTX);
      g.e.mov(2, R_ACC);
      g.e.call('override_return');
      g.e.movi(R_ACC, 0);
      return true;
    case 'ppid': case 'leader_tid':
      genBuiltin(g, { kind: 'Builtin', range: e.range, name: e.name === 'ppid' ? 'ppid' : 'pid' }, t);
      return true;
    case 'strcontains': case 'strstr':
      search(g, e, e.name === 'strstr');
      return true;
    case 'strlen':
      strlen(g, e);
      return true;
    case 'memcmp':
      memcmp(g, e);
      return true;
    case 'len': {
      // len(@m) (0.26 stdlib's fallback without bpf_map_sum_elem_count): bpf_for_each_map_elem with an empty callback counts the elements.
      const a = e.args[0];
      const sm = a?.kind === 'Map' ? g.script.scriptMap(a.name) : undefined;
      if (!a || !sm || sm.def.keyed === false) return g.error(e.range, 'call to len() expects a map with explicit keys (non-scalar map)');
      const { gen: c, index } = g.callback();
      c.e.cur = e.range;
      c.e.movi(0, 0);
      c.e.exit();
      g.ldMap(1, sm.index);
      g.e.ldFunc(2, index);
      g.e.movi(3, 0);
      g.e.movi(4, 0);
      g.e.call('for_each_map_elem');
      g.e.mov(R_ACC, 0);
      return true;
    }
    case 'static_assert': case 'assert_str':
      // Compile-time checks (the type checker reports a failing static_assert): no code.
      g.e.movi(R_ACC, 0);
      return true;
    case 'assert': {
      // 0.26 stdlib: if (!cond) { errorf("assert failed: %s", msg); exit(1); }
      const [cond, msg] = e.args;
      if (!cond || !msg) g.error(e.range, 'assert() needs a condition and a message');
      const ok = g.e.newLabel();
      scalar(g, cond);
      g.e.jmp('jne', R_ACC, { k: 0 }, ok);
      const fmt: A.Str = { kind: 'Str', range: msg.range, value: 'assert failed: %s' };
      genCallStmt(g, { kind: 'Call', range: e.range, name: 'errorf', args: [fmt, msg] });
      genCallStmt(g, { kind: 'Call', range: e.range, name: 'exit', args: [] });
      g.e.bind(ok);
      g.e.movi(R_ACC, 0);
      return true;
    }
    default:
      return false;
  }
}

/** In-memory results of the calls of this file; undefined when e is none of them. */
export function genExtraMem(g: Gen, e: A.Call, t: SType): Loc | undefined {
  switch (e.name) {
    case 'pton': return pton(g, e, t);
    case 'macaddr': {
      // 6 bytes: copied from an array value (a tracepoint's u8[6]), read through a pointer otherwise.
      const a = e.args[0] ?? g.error(e.range, 'macaddr() needs an argument');
      const l = g.alloc(8);
      g.zero(l, 8);
      const at0 = g.ty(a);
      if (at0.k === 'array' || at0.k === 'string') g.copy(l, mem(g, a), Math.min(6, sizeOf(at0)));
      else {
        scalar(g, a);
        probeRead(g, l, 6, g.provider === 'uprobe' || g.provider === 'uretprobe' || g.provider === 'usdt', false);
      }
      return l;
    }
    case 'path': return dPath(g, e, t);
    case 'pcomm':
      return genField(g, { kind: 'Builtin', range: e.range, name: 'pcomm' }, { k: 'string', size: 16 }, true) as Loc;
    case 'leader_comm': return leaderComm(g, e);
    default: return undefined;
  }
}

/** ncpus, cpid, usermode (builtins the host or the context answers). */
export function genExtraBuiltin(g: Gen, e: A.Builtin | A.Ident): boolean {
  switch (e.name) {
    case 'ncpus': case 'cpid': {
      const v = g.opts.resolve?.(e.name, '');
      if (v === undefined) {
        g.diags.push({ range: e.range, severity: 'warning', message: `${e.name}: ${e.name === 'ncpus' ? 'the number of possible CPUs' : 'the child\'s pid (-c)'} is known only where the script runs; ${e.name === 'ncpus' ? 1 : 0} is used`, source: 'codegen' });
      }
      g.e.movi(R_ACC, v ?? (e.name === 'ncpus' ? 1n : 0n));
      return true;
    }
    case 'usermode': {
      // x86-64: the saved CS selector's privilege level (3 = user mode); special probes run in user mode.
      const cs = ptRegsOffset('cs');
      const regs = ['kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'usdt', 'profile', 'interval', 'software', 'hardware', 'watchpoint', 'asyncwatchpoint'];
      if (!regs.includes(g.provider) || cs === undefined) {
        g.e.movi(R_ACC, g.provider === 'begin' || g.provider === 'end' || g.provider === 'self' ? 1 : 0);
        return true;
      }
      // (cs & 3) == 3 without a branch: ((cs & 3) + 1) >> 2.
      g.e.ldx(8, R_ACC, R_CTX, cs);
      g.e.alu('and', R_ACC, { k: 3 });
      g.e.alu('add', R_ACC, { k: 1 });
      g.e.alu('rsh', R_ACC, { k: 2 });
      return true;
    }
    default:
      return false;
  }
}

/**
 * path(p): bpf_d_path(&path, buf, size) — the kernel allows it in iter programs and in fentry/fexit of its allowlisted
 * functions. The argument is a `struct path` in kernel memory (`ctx->file->f_path`) or a pointer to one.
 */
function dPath(g: Gen, e: A.Call, t: SType): Loc {
  const a = e.args[0] ?? g.error(e.range, 'path() needs an argument');
  if (!['iter', 'fentry', 'fexit'].includes(g.provider)) {
    g.error(e.range, `code generation does not support path() in ${g.provider} probes (bpf_d_path is only available to fentry/fexit/iter programs)`);
  }
  const size = t.k === 'string' ? t.size : 64;
  const l = g.alloc(size);
  g.zero(l, size);
  kernelAddr(g, a);
  g.e.mov(1, R_ACC);
  g.addr(l, 2);
  g.e.movi(3, size);
  g.e.call('d_path');
  return l;
}

/** r7 = the kernel address of a struct-typed expression (`p->member`, `s.member` inside one) or the value of a pointer. */
function kernelAddr(g: Gen, a: A.Expr): void {
  const t = g.ty(a);
  if (t.k === 'ptr') { scalar(g, a); return; }
  if (a.kind !== 'Field') g.error(a.range, 'path() expects a struct path (a member such as file->f_path) or a pointer to one');
  const fr = g.typer.info.fields?.get(a);
  if (fr?.via !== 'struct') g.error(a.range, `path(): cannot take the address of ${a.field}`);
  kernelAddr(g, a.object);
  g.e.alu('add', R_ACC, { k: fr.offset });
}

/** pton("1.2.3.4") / pton("::1"): the address bytes (uint8[4] / uint8[16]), known at compile time. */
function pton(g: Gen, e: A.Call, t: SType): Loc {
  const s = strArg(g, e, 0);
  const bytes = s.includes(':') ? ipv6(s) : ipv4(s);
  if (!bytes) return g.error(e.range, `pton() expects an IPv4 or IPv6 address literal (${s})`);
  const l = g.alloc(Math.max(sizeOf(t), bytes.length));
  writeBytes(g, l, bytes);
  return l;
}

function ipv4(s: string): Uint8Array | undefined {
  const p = s.split('.');
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return undefined;
  return Uint8Array.from(p.map(Number));
}

function ipv6(s: string): Uint8Array | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const part of h.split(':')) {
      if (part.includes('.')) {
        const v4 = ipv4(part);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) out.push(parseInt(part, 16));
      else return undefined;
    }
    return out;
  };
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  const words = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  return Uint8Array.from(words.flatMap((w) => [w >> 8, w & 0xff]));
}

/** dst = the byte at l + idx (idx a register the loop bounds). */
function byteAt(g: Gen, l: Loc, idx: Reg, dst: Reg): void {
  g.addr(l, dst);
  g.e.alu('add', dst, { r: idx });
  g.e.ldx(1, dst, dst, 0);
}

/** Size of a string (or other in-memory) value. */
function sizeOfArg(g: Gen, a: A.Expr): number {
  const t = g.ty(a);
  return t.k === 'string' ? t.size : sizeOf(t);
}

/**
 * strcontains(h, n) -> 1/0 and strstr(h, n) -> index or -1: a bounded double loop over the two
 * strings in memory (r1 = i, r2 = j, r3/r4 = bytes, r5 = i + j); an empty needle matches at 0.
 */
function search(g: Gen, e: A.Call, index: boolean): void {
  const [ha, na] = [e.args[0], e.args[1]];
  if (!ha || !na) g.error(e.range, `${e.name}() needs two strings`);
  const m = g.mark();
  const h = mem(g, ha);
  const n = mem(g, na);
  const hs = sizeOfArg(g, ha);
  const ns = sizeOfArg(g, na);
  const E = g.e;
  const [outer, inner, nextI, found, notFound, done] = [E.newLabel(), E.newLabel(), E.newLabel(), E.newLabel(), E.newLabel(), E.newLabel()];
  E.movi(1, 0);
  E.bind(outer);
  E.jmp('jge', 1, { k: hs }, notFound);
  E.movi(2, 0);
  E.bind(inner);
  E.jmp('jge', 2, { k: ns }, found);
  byteAt(g, n, 2, 4);
  E.jmp('jeq', 4, { k: 0 }, found);
  E.mov(5, 1);
  E.alu('add', 5, { r: 2 });
  E.jmp('jge', 5, { k: hs }, notFound);
  byteAt(g, h, 5, 3);
  E.jmp('jne', 3, { r: 4 }, nextI);
  E.alu('add', 2, { k: 1 });
  E.ja(inner);
  E.bind(nextI);
  byteAt(g, h, 1, 3);
  E.jmp('jeq', 3, { k: 0 }, notFound);
  E.alu('add', 1, { k: 1 });
  E.ja(outer);
  E.bind(found);
  if (index) E.mov(R_ACC, 1);
  else E.movi(R_ACC, 1);
  E.ja(done);
  E.bind(notFound);
  E.movi(R_ACC, index ? -1 : 0);
  E.bind(done);
  g.release(m);
}

/** A string-like argument in memory: strings and arrays as they are, an `int8 *` read as a string (the default 64 bytes). */
function stringLike(g: Gen, a: A.Expr): { l: Loc; size: number } {
  const t = g.ty(a);
  if (t.k !== 'ptr') return { l: mem(g, a), size: sizeOfArg(g, a) };
  const l = g.alloc(64);
  g.zero(l, 64);
  scalar(g, a);
  probeRead(g, l, 64, t.user === true || g.provider === 'uprobe' || g.provider === 'uretprobe' || g.provider === 'usdt', true);
  return { l, size: 64 };
}

/** memcmp(a, b, n) (0.26): the difference of the first differing bytes (as int8), 0 when the first n are equal. */
function memcmp(g: Gen, e: A.Call): void {
  const [a, b, n] = e.args;
  if (!a || !b || !n) g.error(e.range, 'memcmp() needs two values and a count');
  const m = g.mark();
  const la = mem(g, a);
  const lb = mem(g, b);
  const max = Math.min(sizeOfArg(g, a), sizeOfArg(g, b));
  scalar(g, n);
  const E = g.e;
  const [top, diff, done] = [E.newLabel(), E.newLabel(), E.newLabel()];
  E.mov(5, R_ACC);
  E.movi(1, 0);
  E.bind(top);
  E.movi(R_ACC, 0);
  E.jmp('jge', 1, { r: 5 }, done);
  E.jmp('jge', 1, { k: max }, done);
  byteAt(g, la, 1, 3);
  byteAt(g, lb, 1, 4);
  E.jmp('jne', 3, { r: 4 }, diff);
  E.alu('add', 1, { k: 1 });
  E.ja(top);
  E.bind(diff);
  E.extend(3, 8, true);
  E.extend(4, 8, true);
  E.mov(R_ACC, 3);
  E.alu('sub', R_ACC, { r: 4 });
  E.bind(done);
  g.release(m);
}

/** strlen(s): bytes before the first NUL (at most the string's size). */
function strlen(g: Gen, e: A.Call): void {
  const a = e.args[0] ?? g.error(e.range, `${e.name}() needs an argument`);
  const m = g.mark();
  const { l: s, size } = stringLike(g, a);
  const E = g.e;
  const [top, done] = [E.newLabel(), E.newLabel()];
  E.movi(R_ACC, 0);
  E.bind(top);
  E.jmp('jge', R_ACC, { k: size }, done);
  byteAt(g, s, R_ACC, 3);
  E.jmp('jeq', 3, { k: 0 }, done);
  E.alu('add', R_ACC, { k: 1 });
  E.ja(top);
  E.bind(done);
  g.release(m);
}

/** leader_comm(): curtask->group_leader->comm (two kernel reads, BTF offsets). */
function leaderComm(g: Gen, e: A.Call): Loc {
  const btf = g.opts.btf ?? g.error(e.range, 'leader_comm() needs the kernel BTF');
  const task = btf.find('task_struct', KIND.STRUCT);
  const leader = task !== undefined ? btf.findMember(btf.resolve(task), 'group_leader') : undefined;
  const comm = task !== undefined ? btf.findMember(btf.resolve(task), 'comm') : undefined;
  if (!leader || !comm) return g.error(e.range, 'task_struct has no group_leader/comm in this BTF');
  const l = g.alloc(16);
  g.zero(l, 16);
  g.e.call('get_current_task');
  g.e.mov(R_ACC, 0);
  g.e.alu('add', R_ACC, { k: leader.bitOffset / 8 });
  const m = g.mark();
  const p = g.allocStack(8);
  g.storeImm(8, p, 0);
  probeRead(g, p, 8, false, false);
  g.load(8, R_ACC, p);
  g.release(m);
  g.e.alu('add', R_ACC, { k: comm.bitOffset / 8 });
  probeRead(g, l, 16, false, true);
  return l;
}

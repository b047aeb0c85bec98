/**
 * Function calls: output actions as records on the output channel (printf,
 * system, cat, print, clear, zero, exit, time, join) with an id from the
 * format table, and value functions (str, buf, ksym, usym, ntop, strftime,
 * strncmp, reg, kstack/ustack, bswap...). Non-goals: aggregations and
 * delete (maps.ts); functions needing userspace resolution at compile time
 * (kaddr, uaddr, cgroupid) are reported as unsupported.
 */
import type * as A from '../ast';
import { type SType, sizeOf, U64 } from '../types';
import { Gen, type Loc, R_ACC, R_CTX, at, isScalar } from './gen';
import { mem, scalar, storeExpr, probeRead, stringCompare } from './expr';
import { genAgg, genDelete, genHasKey } from './maps';
import { genBuiltin, genStack, ptRegsOffset, stackValue } from './ctxargs';
import type { OutputFormat } from './model';
import { constInt, genGetopt, genGetoptMem } from './getopt';
import { genSyscallName } from './syscall-name';
import { genSeqPrintf } from './iter';
import { genExtraMem, genExtraValue, genSignal } from './calls-extra';

const AGGS = new Set(['count', 'sum', 'avg', 'min', 'max', 'stats', 'hist', 'lhist']);
const JOIN_PARTS = 16;
const JOIN_LEN = 64;

function isUserPtr(g: Gen, e: A.Expr): boolean {
  const t = g.ty(e);
  if (t.k === 'ptr' && t.user !== undefined) return t.user;
  if (g.provider === 'uprobe' || g.provider === 'uretprobe' || g.provider === 'usdt') return true;
  // Syscall tracepoint arguments point into user memory.
  const ap = g.probe.attachPoints[0];
  return g.provider === 'tracepoint' && ap?.parts[0] === 'syscalls';
}

/** Sends `size` bytes at rec on the output channel. */
export function output(g: Gen, rec: Loc, size: number): void {
  const out = g.script.outIndex;
  if (g.script.output === 'ringbuf') {
    g.ldMap(1, out);
    g.addr(rec, 2);
    g.e.movi(3, size);
    g.e.movi(4, 0);
    g.e.call('ringbuf_output');
    return;
  }
  g.e.mov(1, R_CTX);
  g.ldMap(2, out);
  g.e.movi(3, 0xffffffffn); // BPF_F_CURRENT_CPU
  g.addr(rec, 4);
  g.e.movi(5, size);
  g.e.call('perf_event_output');
}

/** Builds and sends a record of format f; `fill` stores the arguments. */
function record(g: Gen, f: OutputFormat, fill: (rec: Loc) => void): void {
  const m = g.mark();
  const rec = g.allocScratch(f.layout.size);
  g.e.movi(1, f.id);
  g.store(8, rec, 1);
  if (f.id >= 30000) {
    g.e.movi(1, g.script.formats.indexOf(f));
    g.store(8, at(rec, f.layout.offsets[0]), 1);
  }
  fill(rec);
  output(g, rec, f.layout.size);
  g.release(m);
}

function strLit(g: Gen, e: A.Expr | undefined, what: string, range: A.Expr['range']): string {
  if (e?.kind === 'Str') return e.value;
  return g.error(e?.range ?? range, `${what} must be a string literal`);
}

function intLit(e: A.Expr | undefined): number | undefined {
  return e?.kind === 'Int' && e.value !== undefined ? Number(e.value) : undefined;
}

function mapArg(g: Gen, e: A.Expr | undefined, fn: string, range: A.Expr['range']): string {
  if (e?.kind === 'Map') return e.name;
  return g.error(e?.range ?? range, `${fn}() expects a map argument`);
}

/** printf/system/cat: fmt then args. */
function formatted(g: Gen, e: A.Call, action: 'printf' | 'system' | 'cat'): void {
  const fmt = strLit(g, e.args[0], `${e.name}() format`, e.range);
  const args = e.args.slice(1);
  const types = args.map((a) => g.ty(a));
  const severity = e.name === 'errorf' ? 'error' as const : e.name === 'warnf' ? 'warning' as const : undefined;
  const f = g.script.format(action, types, { fmt, ...(severity ? { severity, at: e.range } : {}) });
  record(g, f, (rec) => args.forEach((a, i) => storeExpr(g, a, f.args[i], at(rec, f.layout.offsets[i]))));
}

/** Calls used as statements. */
export function genCallStmt(g: Gen, e: A.Call): void {
  switch (e.name) {
    case 'printf': case 'system': case 'cat':
      if (e.name === 'printf' && g.provider === 'iter') { genSeqPrintf(g, e); return; }
      formatted(g, e, e.name);
      return;
    case 'errorf': case 'warnf':
      formatted(g, e, 'printf');
      return;
    case 'debugf': {
      // bpf_trace_printk: the format as a stack string, then up to 3 args.
      const fmt = strLit(g, e.args[0], 'debugf() format', e.range);
      if (e.args.length > 4) g.error(e.range, 'debugf() takes at most 3 arguments');
      const m = g.mark();
      const bytes = new TextEncoder().encode(fmt + '\n\0');
      const l = g.allocScratch(bytes.length);
      const spills = e.args.slice(1).map((a) => { scalar(g, a); return g.spill(); });
      writeBytesAt(g, l, bytes);
      g.addr(l, 1);
      g.e.movi(2, bytes.length);
      spills.forEach((s, i) => g.load(8, 3 + i, s));
      g.e.call('trace_printk');
      g.release(m);
      return;
    }
    case 'print': {
      const a = e.args[0];
      if (a?.kind === 'Map') {
        const [top, div] = [e.args[1], e.args[2]].map((x) => {
          const v = constInt(g, x);
          if (x && v === undefined) g.error(x.range, 'print() top and div must be integers known when compiling');
          return v === undefined ? undefined : Number(v);
        });
        const f = g.script.format('print', [], { map: a.name, top, div });
        record(g, f, () => undefined);
        return;
      }
      if (!a) g.error(e.range, 'print() needs an argument');
      const f = g.script.format('printValue', [g.ty(a)]);
      record(g, f, (rec) => storeExpr(g, a, f.args[1], at(rec, f.layout.offsets[1])));
      return;
    }
    case 'clear': case 'zero': {
      const f = g.script.format(e.name, [], { map: mapArg(g, e.args[0], e.name, e.range) });
      record(g, f, () => undefined);
      return;
    }
    case 'delete': {
      const a = e.args[0];
      if (a?.kind !== 'Map' && a?.kind !== 'MapAccess') g.error(e.range, 'delete() expects a map element');
      if (e.args.length > 1 && a.kind === 'Map') {
        const access: A.MapAccess = { kind: 'MapAccess', range: e.range, map: a, keys: e.args.slice(1) };
        genDelete(g, access);
        return;
      }
      genDelete(g, a);
      return;
    }
    case 'exit': {
      const f = g.script.format('exit', []);
      record(g, f, () => undefined);
      g.e.ja(g.exitLabel);
      return;
    }
    case 'time': {
      const fmt = e.args[0] ? strLit(g, e.args[0], 'time() format', e.range) : '%H:%M:%S\n';
      const f = g.script.format('time', [U64], { fmt });
      record(g, f, (rec) => {
        g.e.call('ktime_get_ns');
        g.store(8, at(rec, f.layout.offsets[1]), 0);
      });
      return;
    }
    case 'join': {
      const sep = e.args[1] ? strLit(g, e.args[1], 'join() separator', e.range) : ' ';
      const parts: SType[] = Array.from({ length: JOIN_PARTS }, () => ({ k: 'string', size: JOIN_LEN }));
      const f = g.script.format('join', parts, { sep });
      const a = e.args[0];
      if (!a) g.error(e.range, 'join() needs an argument');
      const user = isUserPtr(g, a);
      record(g, f, (rec) => {
        scalar(g, a);
        const base = g.spill();
        const done = g.e.newLabel();
        for (let i = 0; i < JOIN_PARTS; i++) {
          const part = at(rec, f.layout.offsets[i + 1]);
          g.storeImm(1, part, 0);
        }
        const ptr = g.allocStack(8);
        for (let i = 0; i < JOIN_PARTS; i++) {
          const part = at(rec, f.layout.offsets[i + 1]);
          g.load(8, R_ACC, base);
          g.e.alu('add', R_ACC, { k: 8 * i });
          g.storeImm(8, ptr, 0);
          probeRead(g, ptr, 8, user, false);
          g.load(8, R_ACC, ptr);
          g.e.jmp('jeq', R_ACC, { k: 0 }, done);
          probeRead(g, part, JOIN_LEN, user, true);
        }
        g.e.bind(done);
      });
      return;
    }
    case 'signal': case 'signal_thread':
      genSignal(g, e);
      return;
    case 'override': {
      scalar(g, e.args[0] ?? g.error(e.range, 'override() needs an argument'));
      g.e.mov(1, R_CTX);
      g.e.mov(2, R_ACC);
      g.e.call('override_return');
      return;
    }
    default:
      if (AGGS.has(e.name)) g.error(e.range, `${e.name}() should be assigned to a map`);
      // A value call used for its side effects (or none): evaluate and drop.
      if (isScalar(g.ty(e))) genCallValue(g, e, g.ty(e));
      else genCallMem(g, e, g.ty(e));
  }
}

function writeBytesAt(g: Gen, l: Loc, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) g.storeImm(1, at(l, i), (bytes[i] << 24) >> 24);
}

/** Aggregation assignment `@m[k] = fn(...)`. */
export function isAggCall(e: A.Expr): e is A.Call {
  return e.kind === 'Call' && AGGS.has(e.name);
}

export function genAggAssign(g: Gen, target: A.MapRef | A.MapAccess, call: A.Call): void {
  genAgg(g, target, call);
}

/** Calls with scalar results into r7. */
export function genCallValue(g: Gen, e: A.Call, t: SType): void {
  switch (e.name) {
    case 'getopt':
      genGetopt(g, e);
      return;
    case 'ksym': case 'kptr': case 'uptr': case 'strerror':
      scalar(g, e.args[0] ?? g.error(e.range, `${e.name}() needs an argument`));
      return;
    case 'has_key': case 'delete': {
      const a = e.args[0];
      if (a?.kind !== 'Map' && a?.kind !== 'MapAccess') return g.error(e.range, `${e.name}() expects a map`);
      const target: A.MapRef | A.MapAccess = e.args.length > 1 && a.kind === 'Map' ? { kind: 'MapAccess', range: e.range, map: a, keys: e.args.slice(1) } : a;
      if (e.name === 'has_key') genHasKey(g, target);
      else genDelete(g, target);
      return;
    }
    case 'kaddr': case 'uaddr': case 'cgroupid': {
      // Resolved by userspace when bpftrace compiles: a symbol table (or cgroup fs) the host passes in.
      const name = strLit(g, e.args[0], `${e.name}() argument`, e.range);
      const v = g.opts.resolve?.(e.name, name);
      if (v === undefined) {
        g.diags.push({ range: e.range, severity: 'warning', message: `${e.name}("${name}"): not resolvable without the target's ${e.name === 'cgroupid' ? 'cgroup file system' : 'symbol table'}; 0 is used`, source: 'codegen' });
      }
      g.e.movi(R_ACC, v ?? 0n);
      return;
    }
    case 'reg': {
      const name = strLit(g, e.args[0], 'reg() name', e.range);
      const off = ptRegsOffset(name);
      if (off === undefined) g.error(e.range, `unknown register ${name}`);
      g.e.ldx(8, R_ACC, R_CTX, off);
      return;
    }
    case 'kstack': case 'ustack':
      genStack(g, e.name === 'kstack' ? 'k' : 'u');
      return;
    case 'nsecs': case 'pid': case 'tid':
      genBuiltin(g, { kind: 'Builtin', range: e.range, name: e.name }, t);
      return;
    case 'bswap': {
      const a = e.args[0] ?? g.error(e.range, 'bswap() needs an argument');
      const at2 = g.ty(a);
      scalar(g, a);
      const bits = at2.k === 'int' ? at2.bits : 64;
      if (bits > 8) g.e.byteSwap(R_ACC, bits as 16 | 32 | 64);
      return;
    }
    case 'strncmp': {
      const n = intLit(e.args[2]);
      if (n === undefined || !e.args[0] || !e.args[1]) g.error(e.range, 'strncmp() needs two strings and a literal length');
      // bpftrace: 0 when the first n bytes match.
      stringCompare(g, e.args[0], e.args[1], n, 0);
      return;
    }
    default:
      if (genExtraValue(g, e, t)) return;
      if (!isScalar(t)) {
        // A value call whose result lives in memory, used as a scalar (e.g. its first 8 bytes).
        const l = genCallMem(g, e, t);
        g.load(8, R_ACC, l);
        return;
      }
      g.error(e.range, `code generation does not support ${e.name}()`);
  }
}

/** Calls with results in memory. */
export function genCallMem(g: Gen, e: A.Call, t: SType): Loc {
  switch (e.name) {
    case 'getopt':
      return genGetoptMem(g, e, t);
    case 'syscall_name':
      return genSyscallName(g, e, t);
    case 'str': {
      const a = e.args[0] ?? g.error(e.range, 'str() needs an argument');
      const size = t.k === 'string' ? t.size : 64;
      if (a.kind === 'Str' || (a.kind === 'Param' && !/^-?\d+$/.test(g.opts.params?.[a.n - 1] ?? ''))) return mem(g, a);
      const l = g.alloc(size);
      g.zero(l, size);
      const user = isUserPtr(g, a);
      // bpftrace reads len + 1 bytes (the NUL), at most the string size.
      const n = e.args[1] ? intLit(e.args[1]) : size - 1;
      if (e.args[1] && n === undefined) {
        scalar(g, e.args[1]);
        g.e.alu('add', R_ACC, { k: 1 });
        const lim = g.e.newLabel();
        g.e.jmp('jle', R_ACC, { k: size }, lim);
        g.e.movi(R_ACC, size);
        g.e.bind(lim);
        const len = g.spill();
        scalar(g, a);
        g.e.mov(3, R_ACC);
        g.addr(l, 1);
        g.load(8, 2, len);
        g.e.call(`probe_read_${user ? 'user' : 'kernel'}_str`);
        return l;
      }
      scalar(g, a);
      probeRead(g, l, Math.min((n ?? size - 1) + 1, size), user, true);
      return l;
    }
    case 'buf': {
      const a = e.args[0] ?? g.error(e.range, 'buf() needs an argument');
      const size = t.k === 'buffer' ? t.size : intLit(e.args[1]) ?? 64;
      const l = g.alloc(size + 1);
      g.zero(l, size + 1);
      g.storeImm(1, l, size);
      const at0 = g.ty(a);
      if (!isScalar(at0)) {
        // A string or array value: its bytes, not memory behind a pointer.
        const m = g.mark();
        g.copy(at(l, 1), mem(g, a), Math.min(size, sizeOf(at0)));
        g.release(m);
        return l;
      }
      scalar(g, a);
      probeRead(g, at(l, 1), size, isUserPtr(g, a), false);
      return l;
    }
    case 'usym': {
      const l = g.alloc(16);
      scalar(g, e.args[0] ?? g.error(e.range, 'usym() needs an argument'));
      g.store(8, l, R_ACC);
      g.e.call('get_current_pid_tgid');
      g.e.alu('rsh', 0, { k: 32 });
      g.store(8, at(l, 8), 0);
      return l;
    }
    case 'ntop': {
      const addr = e.args.length > 1 ? e.args[1] : e.args[0];
      if (!addr) g.error(e.range, 'ntop() needs an argument');
      const l = g.alloc(24);
      g.zero(l, 24);
      const at2 = g.ty(addr);
      const size = sizeOf(at2);
      if (e.args.length > 1) { scalar(g, e.args[0]); g.store(8, l, R_ACC); } else g.storeImm(8, l, size === 16 ? 10 : 2);
      if (isScalar(at2)) { scalar(g, addr); g.store(4, at(l, 8), R_ACC); } else g.copy(at(l, 8), mem(g, addr), Math.min(16, size));
      return l;
    }
    case 'cgroup_path': {
      // The cgroup id; userspace turns it into a path (the optional filter is not applied here).
      const l = g.alloc(Math.max(16, sizeOf(t)));
      g.zero(l, Math.max(16, sizeOf(t)));
      scalar(g, e.args[0] ?? g.error(e.range, 'cgroup_path() needs an argument'));
      g.store(8, l, R_ACC);
      return l;
    }
    case 'strftime': {
      const fmt = strLit(g, e.args[0], 'strftime() format', e.range);
      const f = g.script.format('strftime', [], { fmt });
      const l = g.alloc(16);
      g.e.movi(1, g.script.formats.indexOf(f));
      g.store(8, l, 1);
      scalar(g, e.args[1] ?? g.error(e.range, 'strftime() needs a time'));
      g.store(8, at(l, 8), R_ACC);
      return l;
    }
    case 'kstack': case 'ustack':
      return stackValue(g, e.name === 'ustack' ? 'u' : 'k', t);
    default: {
      const extra = genExtraMem(g, e, t);
      if (extra) return extra;
      if (isScalar(t)) {
        genCallValue(g, e, t);
        const l = g.allocStack(8);
        g.store(8, l, R_ACC);
        return l;
      }
      return g.error(e.range, `code generation does not support ${e.name}()`);
    }
  }
}

export { AGGS };

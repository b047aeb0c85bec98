/**
 * `for ($kv : @map)` (bpftrace 0.21+), compiled as bpftrace compiles it: the
 * body becomes a callback subprogram (callback.ts) that
 * bpf_for_each_map_elem(map, callback, caller frame, 0) runs per entry, with
 * $kv = (key, value) decoded from the map's storage (a tuple key for
 * multi-key maps; count/sum/min/max/avg values combined over the CPUs with
 * bpf_map_lookup_percpu_elem, as bpftrace does). Before 0.24 bpftrace refused
 * jumps in the body, before 0.22 the caller's variables and loops in more
 * than one probe: the same errors here.
 * Non-goal: stats/hist/lhist maps (bpftrace refuses them too).
 */
import * as A from '../ast';
import { type SType, S64, U64, layoutOf, sizeOf } from '../types';
import { Gen, type Loc, R_ACC, at, chunks, isScalar } from './gen';
import type { ScriptMap } from './script';
import { type CallbackFrame, callWithCallback, closeCallback, loopVar, openCallback } from './callback';
import { compareVersions, parseVersion } from '../versions';

/** Upper bound of the CPUs whose per-CPU values are combined (the kernel's CONFIG_NR_CPUS limit; the lookup returns NULL past the last CPU, which ends the loop). */
export const FOR_MAP_MAX_CPUS = 8192;

const COMBINED = new Set(['count', 'sum', 'min', 'max', 'avg']);

/** Builtins that read the probe context: bpftrace refuses them in a for-loop body. */
function ctxBuiltin(name: string): boolean {
  return name === 'ctx' || name === 'args' || name === 'retval' || /^s?arg\d+$/.test(name);
}

/** $kv's type: the type checker's, else (key, value) from the map's stored types. */
function kvType(g: Gen, s: A.For, sm: ScriptMap): { k: 'tuple'; elems: SType[] } {
  const t = g.typer.info.vars.get(s.var);
  if (t && t.k === 'tuple' && t.elems.length === 2 && t.elems[0].k !== 'none') return t;
  const key: SType = sm.keyTypes.length === 1 ? sm.keyTypes[0] : { k: 'tuple', elems: sm.keyTypes };
  const v = sm.def.value;
  const value: SType = v.k === 'agg' ? (v.fn === 'count' || !v.signed ? U64 : S64) : v;
  return { k: 'tuple', elems: [key, value] };
}

function accessSize(n: number): 1 | 2 | 4 | 8 {
  return n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
}

/** Copies a stored key/value part (`st` at r1 + off) to dst as type t (ints re-sized, strings cut or padded). */
function convert(c: Gen, off: number, st: SType, dst: Loc, t: SType, range: A.Expr['range']): void {
  if (isScalar(st) && isScalar(t)) {
    const size = accessSize(Math.min(8, Math.max(1, sizeOf(st))));
    c.e.ldx(size, R_ACC, 1, off);
    if (st.k === 'int' && st.signed && size < 8) c.e.extend(R_ACC, size * 8, true);
    c.storeScalar(dst, t, R_ACC);
    return;
  }
  if (st.k === 'tuple' && t.k === 'tuple' && st.elems.length === t.elems.length) {
    const sl = layoutOf(st.elems);
    const tl = layoutOf(t.elems);
    st.elems.forEach((x, i) => convert(c, off + sl.offsets[i], x, at(dst, tl.offsets[i]), t.elems[i], range));
    return;
  }
  if (isScalar(st) !== isScalar(t)) c.error(range, 'map key or value does not match the loop variable\'s type');
  // dst was zeroed: a shorter stored value leaves zero padding.
  for (const { o, s } of chunks(Math.min(sizeOf(st), sizeOf(t)), [dst.off, off])) {
    c.e.ldx(s, 2, 1, off + o);
    c.store(s, at(dst, o), 2);
  }
}

/**
 * r7 = the per-CPU values of a key combined (sum, or max; min undoes its 0xffffffff - v storage).
 * The key is the callback's key pointer (spilled at `key.ptr`) or bytes at `key.at`. The CPUs are
 * visited by a bpf_loop callback (cpu = its index; it stops at the first CPU the lookup refuses),
 * so the verifier checks one step instead of unrolling FOR_MAP_MAX_CPUS of them.
 */
function combinePerCpu(c: Gen, sm: ScriptMap, key: { ptr: Loc } | { at: Loc }, fn: string): void {
  const e = c.e;
  const acc = c.allocStack(8);
  const keyPtr = 'ptr' in key ? key.ptr : c.allocStack(8);
  if ('at' in key) {
    c.addr(key.at, 0);
    c.store(8, keyPtr, 0);
  }
  if (fn === 'count' || fn === 'sum') c.storeImm(8, acc, 0);
  else {
    e.movi(0, -(2n ** 63n));
    c.store(8, acc, 0);
  }
  // The step: r1 = cpu, r2 = this frame's pointer.
  const { gen: l, index } = c.callback();
  const le = l.e;
  le.cur = e.cur;
  const pfp = l.allocStack(8);
  l.store(8, pfp, 2);
  le.mov(3, 1);
  l.ldMap(1, sm.index);
  le.ldx(8, 2, 2, keyPtr.off);
  le.call('map_lookup_percpu_elem');
  const stop = le.newLabel();
  le.jmp('jeq', 0, { k: 0 }, stop);
  le.ldx(8, 1, 0, 0);
  l.load(8, 3, pfp);
  le.ldx(8, 2, 3, acc.off);
  if (fn === 'count' || fn === 'sum') le.alu('add', 2, { r: 1 });
  else {
    const keep = le.newLabel();
    le.jmp('jsge', 2, { r: 1 }, keep);
    le.mov(2, 1);
    le.bind(keep);
  }
  le.stx(8, 3, acc.off, 2);
  le.movi(0, 0);
  le.exit();
  le.bind(stop);
  le.movi(0, 1);
  le.exit();
  e.movi(1, FOR_MAP_MAX_CPUS);
  e.ldFunc(2, index);
  e.mov(3, 10);
  e.movi(4, 0);
  e.call('loop');
  c.load(8, R_ACC, acc);
  if (fn === 'min') {
    e.movi(1, 0xffffffffn);
    e.alu('sub', 1, { r: R_ACC });
    e.mov(R_ACC, 1);
  }
}

/** The callback: $kv = (key, value) from r2/r3, the body, the exits. */
function genCallback(g: Gen, s: A.For, sm: ScriptMap, kv: { k: 'tuple'; elems: SType[] }): CallbackFrame {
  // r1 map, r2 key, r3 value, r4 the caller's frame pointer.
  const f = openCallback(g, s, 4, [2, 3]);
  const { c } = f;
  const e = c.e;
  const [keyPtr, valPtr] = f.args;
  // avg() keeps count and total under two keys (slot 0 and 1 at the key's end): visit each key once, at slot 0.
  const skip = e.newLabel();
  const v = sm.def.value;
  if (v.k === 'agg' && v.fn === 'avg') {
    e.ldx(8, 0, 2, sm.def.keySize - 8);
    e.jmp('jne', 0, { k: 0 }, skip);
  }
  const kvLoc = loopVar(f, s, kv);
  const lay = layoutOf(kv.elems);
  const [keyT, valT] = kv.elems;
  c.load(8, 1, keyPtr);
  if (sm.keyTypes.length === 1) convert(c, sm.keyOffsets[0], sm.keyTypes[0], at(kvLoc, lay.offsets[0]), keyT, s.iterable.range);
  else if (keyT.k === 'tuple' && keyT.elems.length === sm.keyTypes.length) {
    const kl = layoutOf(keyT.elems);
    sm.keyTypes.forEach((kt, i) => convert(c, sm.keyOffsets[i], kt, at(kvLoc, lay.offsets[0] + kl.offsets[i]), keyT.elems[i], s.iterable.range));
  } else c.error(s.iterable.range, `the keys of ${sm.def.name} do not match the loop variable's type`);
  if (v.k === 'agg' && v.fn === 'avg') {
    avgValue(c, sm, keyPtr, v.signed);
    c.storeScalar(at(kvLoc, lay.offsets[1]), valT, R_ACC);
  } else if (v.k === 'agg') {
    combinePerCpu(c, sm, { ptr: keyPtr }, v.fn);
    c.storeScalar(at(kvLoc, lay.offsets[1]), valT, R_ACC);
  } else {
    c.load(8, 1, valPtr);
    convert(c, 0, v, at(kvLoc, lay.offsets[1]), valT, s.iterable.range);
  }
  closeCallback(f, s);
  // Slot-1 entries of avg() maps: nothing was changed yet.
  e.bind(skip);
  e.movi(0, 0);
  e.exit();
  return f;
}

/** r7 = avg(): the total (slot 1) over the count (slot 0), both summed over the CPUs; 0 without samples. */
function avgValue(c: Gen, sm: ScriptMap, keyPtr: Loc, signed: boolean): void {
  const e = c.e;
  const size = sm.def.keySize;
  combinePerCpu(c, sm, { ptr: keyPtr }, 'sum');
  const count = c.allocStack(8);
  c.store(8, count, R_ACC);
  const key = c.alloc(size);
  c.load(8, 1, keyPtr);
  for (const { o, s } of chunks(size - 8, [key.off])) {
    e.ldx(s, 2, 1, o);
    c.store(s, at(key, o), 2);
  }
  c.storeImm(8, at(key, size - 8), 1);
  combinePerCpu(c, sm, { at: key }, 'sum');
  const done = e.newLabel();
  const neg = e.newLabel();
  c.load(8, 1, count);
  e.jmp('jeq', 1, { k: 0 }, done);
  if (signed) e.jmp('jslt', R_ACC, { k: 0 }, neg);
  e.alu('div', R_ACC, { r: 1 });
  e.ja(done);
  if (signed) {
    // BPF division is unsigned: divide the magnitude, as bpftrace does.
    e.bind(neg);
    e.neg(R_ACC);
    e.alu('div', R_ACC, { r: 1 });
    e.neg(R_ACC);
  }
  e.bind(done);
}

/** The first probe of a script with a for-loop over a map (bpftrace 0.21 allows only one). */
const FIRST_PROBE = new WeakMap<object, A.Probe>();

/** What bpftrace before 0.24 refused in for-loops over maps, with its messages. */
function versionChecks(g: Gen, s: A.For): void {
  const v = parseVersion(g.opts.target ?? '0.17') ?? [0, 17, 0];
  if (compareVersions(v, [0, 24, 0]) >= 0) return;
  A.walk(s.body, (n) => {
    if (n.kind === 'Jump') g.error(n.range, `'${n.op}' statement is not allowed in a for-loop`);
  });
  if (compareVersions(v, [0, 22, 0]) >= 0) return;
  const first = FIRST_PROBE.get(g.script) ?? g.probe;
  FIRST_PROBE.set(g.script, first);
  if (first !== g.probe) g.error(s.range, 'Currently, for-loops can be used only in a single probe.');
  A.walk(s.body, (n) => {
    if (n.kind === 'Var' && n.name !== s.var.name && g.vars.has(n.name) && declaredBefore(g.probe, n.name, s)) {
      g.error(n.range, 'Variables defined outside of a for-loop can not be accessed in the loop\'s scope');
    }
  });
}

/** Whether the probe assigns `name` before the for statement (bpftrace 0.21's outer scope). */
function declaredBefore(p: A.Probe, name: string, s: A.For): boolean {
  let found = false;
  A.walk(p.body, (n) => {
    if (n.range.start >= s.range.start) return;
    if ((n.kind === 'Assign' && n.target.kind === 'Var' && n.target.name === name) || (n.kind === 'VarDecl' && n.var.name === name)) found = true;
  });
  return found;
}

/** Emits `for ($kv : @map) body` in g (the probe or an enclosing callback). */
export function genForMap(g: Gen, s: A.For, map: A.MapRef): void {
  versionChecks(g, s);
  const sm = g.script.scriptMap(map.name);
  if (!sm) return g.error(map.range, `unknown type for map ${map.name}`);
  if (sm.arrayKey || sm.def.keyed === false || sm.keyTypes.length === 0) {
    g.error(map.range, `${map.name} has no explicit keys (scalar map), and cannot be used for iteration`);
  }
  const v = sm.def.value;
  if (v.k === 'agg' && !COMBINED.has(v.fn)) {
    g.error(map.range, `Loop expression does not support type: ${v.fn}_t`);
  }
  A.walk(s.body, (n) => {
    if (n.kind === 'Builtin' && ctxBuiltin(n.name)) g.error(n.range, `'${n.name}' builtin is not allowed in a for-loop`);
  });
  const kv = kvType(g, s, sm);
  const f = genCallback(g, s, sm, kv);
  g.ldMap(1, sm.index);
  callWithCallback(g, f, 'for_each_map_elem');
}

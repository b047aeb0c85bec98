/**
 * Script map access: keys (ints widened to 64 bits, packed), reads (a missing
 * entry reads as zero), writes, increments, delete, and the aggregation
 * functions stored as bpftrace 0.17 stores them (count/sum/max plain, min as
 * 0xffffffff - value, avg/stats as two slots of the key, hist/lhist as a
 * bucket index appended to the key). Non-goal: printing (userspace).
 */
import type * as A from '../ast';
import { type SType, layoutOf, sizeOf } from '../types';
import { Gen, type Loc, R_ACC, at, chunks, isScalar } from './gen';
import { convertMem, mem, scalar, storeExpr } from './expr';
import type { ScriptMap } from './script';

type MapTarget = A.MapRef | A.MapAccess;

function mapName(t: MapTarget): string {
  return t.kind === 'Map' ? t.name : t.map.name;
}

function mapKeys(t: MapTarget): A.Expr[] {
  return t.kind === 'Map' ? [] : t.keys;
}

export function scriptMap(g: Gen, t: MapTarget): ScriptMap {
  const sm = g.script.scriptMap(mapName(t));
  if (!sm) g.error(t.range, `unknown type for map ${mapName(t)}`);
  return sm;
}

/** Builds the key of `sm` for `keys` (plus a trailing u64 copied from `extra`). */
export function genKey(g: Gen, sm: ScriptMap, keys: A.Expr[], range: A.Expr['range'], extra?: Loc): Loc {
  const size = sm.def.keySize;
  // Packed keys may put a value at an unaligned offset: the stack takes only aligned accesses.
  const aligned = sm.keyTypes.every((t, i) => sm.keyOffsets[i] % Math.min(8, Math.max(1, sizeOf(t))) === 0 || !isScalar(t));
  const l = aligned && (size - 8) % 8 === 0 ? g.alloc(size) : aligned && !extra ? g.alloc(size) : g.allocScratch(size);
  if (sm.arrayKey) g.storeImm(4, l, 0);
  else if (keys.length === 0 || sm.keyTypes.length === 0) g.storeImm(8, l, 0);
  else {
    let ks = keys;
    if (ks.length === 1 && sm.keyTypes.length > 1 && ks[0].kind === 'Tuple') ks = ks[0].elems;
    const t0 = ks.length === 1 ? g.ty(ks[0]) : undefined;
    if (t0?.k === 'tuple' && sm.keyTypes.length > 1 && t0.elems.length === sm.keyTypes.length) {
      // A tuple value used as a multi-part key: element by element into the packed key.
      const m = g.mark();
      const src = mem(g, ks[0]);
      const lay = layoutOf(t0.elems);
      t0.elems.forEach((et, i) => {
        const kt = sm.keyTypes[i];
        const dst = at(l, sm.keyOffsets[i]);
        if (isScalar(et)) { g.loadScalar(R_ACC, at(src, lay.offsets[i]), et); g.storeScalar(dst, kt, R_ACC); return; }
        const n = Math.min(sizeOf(et), sizeOf(kt));
        g.copy(dst, at(src, lay.offsets[i]), n);
        if (sizeOf(kt) > n) g.zero(at(dst, n), sizeOf(kt) - n);
      });
      g.release(m);
    } else {
      if (ks.length !== sm.keyTypes.length) g.error(range, `map ${sm.def.name} used with ${ks.length} keys, declared with ${sm.keyTypes.length}`);
      ks.forEach((k, i) => storeExpr(g, k, sm.keyTypes[i], at(l, sm.keyOffsets[i])));
    }
  }
  if (extra) {
    g.load(8, 0, extra);
    g.store(8, at(l, size - 8), 0);
  }
  return l;
}

/** r0 = bpf_map_lookup_elem(map, &key). */
export function lookup(g: Gen, index: number, key: Loc): void {
  g.ldMap(1, index);
  g.addr(key, 2);
  g.e.call('map_lookup_elem');
}

/** bpf_map_update_elem(map, &key, &value, BPF_ANY). */
export function update(g: Gen, index: number, key: Loc, value: Loc): void {
  g.ldMap(1, index);
  g.addr(key, 2);
  g.addr(value, 3);
  g.e.movi(4, 0);
  g.e.call('map_update_elem');
}

/** Reads a scalar map value into r7 (0 when the key is missing). */
export function genMapRead(g: Gen, t: MapTarget): void {
  const sm = scriptMap(g, t);
  if (sm.extraKey) g.error(t.range, `cannot read the value of ${sm.def.name} (${sm.def.value.k === 'agg' ? sm.def.value.fn : ''}) in a probe`);
  const m = g.mark();
  const key = genKey(g, sm, mapKeys(t), t.range);
  lookup(g, sm.index, key);
  const miss = g.e.newLabel();
  const end = g.e.newLabel();
  g.e.movi(R_ACC, 0);
  g.e.jmp('jeq', 0, { k: 0 }, miss);
  const vt = sm.def.value;
  const n = vt.k === 'agg' ? 8 : Math.min(8, sizeOf(vt));
  g.e.ldx(n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1, R_ACC, 0, 0);
  g.e.ja(end);
  g.e.bind(miss);
  g.e.bind(end);
  g.release(m);
}

/** Copies `size` bytes from the pointer in register `src` to l (through r2); src must not be r2. */
export function copyFromReg(g: Gen, l: Loc, src: number, size: number): void {
  for (const { o, s } of chunks(size, [l.off])) {
    g.e.ldx(s, 2, src, o);
    g.store(s, at(l, o), 2);
  }
}

/** Reads a non-scalar map value into a temporary (zeroes when missing). */
export function genMapReadMem(g: Gen, t: MapTarget, ty: SType): Loc {
  const sm = scriptMap(g, t);
  const size = sizeOf(sm.def.value);
  const out = g.alloc(size);
  const m = g.mark();
  const key = genKey(g, sm, mapKeys(t), t.range);
  lookup(g, sm.index, key);
  g.release(m);
  const miss = g.e.newLabel();
  const end = g.e.newLabel();
  g.e.jmp('jeq', 0, { k: 0 }, miss);
  g.e.mov(1, 0);
  copyFromReg(g, out, 1, size);
  g.e.ja(end);
  g.e.bind(miss);
  g.zero(out, size);
  g.e.bind(end);
  // A tuple is stored with its ints widened: the expression's type may lay it out tighter.
  const v = sm.def.value;
  if (ty.k === 'tuple' && v.k === 'tuple' && JSON.stringify(ty) !== JSON.stringify(v)) {
    const conv = g.alloc(sizeOf(ty));
    convertMem(g, out, v, conv, ty);
    return conv;
  }
  return out;
}

/** Writes r7 (scalar maps) to the map entry of target. */
export function writeAcc(g: Gen, t: MapTarget): void {
  const sm = scriptMap(g, t);
  const m = g.mark();
  const v = g.allocStack(8);
  g.store(8, v, R_ACC);
  const key = genKey(g, sm, mapKeys(t), t.range);
  update(g, sm.index, key, v);
  g.load(8, R_ACC, v);
  g.release(m);
}

/** `@m[k] = value`. */
export function genMapWrite(g: Gen, t: MapTarget, value: A.Expr): void {
  const sm = scriptMap(g, t);
  if (sm.def.value.k === 'agg') g.error(value.range, `cannot assign to aggregation map ${sm.def.name}`);
  const m = g.mark();
  const vt = sm.def.value;
  const v = g.alloc(Math.max(8, sizeOf(vt)));
  storeExpr(g, value, vt, v);
  const key = genKey(g, sm, mapKeys(t), t.range);
  update(g, sm.index, key, v);
  g.release(m);
}

/** r7 = whether the map has an entry for the key (`has_key(@m, k)`). */
export function genHasKey(g: Gen, t: MapTarget): void {
  const sm = scriptMap(g, t);
  const m = g.mark();
  const key = genKey(g, sm, mapKeys(t), t.range);
  lookup(g, sm.index, key);
  g.e.movi(R_ACC, 0);
  const end = g.e.newLabel();
  g.e.jmp('jeq', 0, { k: 0 }, end);
  g.e.movi(R_ACC, 1);
  g.e.bind(end);
  g.release(m);
}

/** `delete(@m[k])`; r7 = 1 when an entry was deleted. */
export function genDelete(g: Gen, t: MapTarget): void {
  const sm = scriptMap(g, t);
  const m = g.mark();
  const key = genKey(g, sm, mapKeys(t), t.range);
  g.ldMap(1, sm.index);
  g.addr(key, 2);
  g.e.call('map_delete_elem');
  g.e.movi(R_ACC, 0);
  const end = g.e.newLabel();
  g.e.jmp('jne', 0, { k: 0 }, end);
  g.e.movi(R_ACC, 1);
  g.e.bind(end);
  g.release(m);
}

/** `x++`, `--x` on variables and maps; r7 = the expression's value. */
export function incDec(g: Gen, e: A.Unary): void {
  const d = e.op === '++' ? 1 : -1;
  const o = e.operand;
  if (o.kind === 'Var') {
    const v = g.vars.get(o.name);
    if (!v) g.error(o.range, `unknown variable ${o.name}`);
    g.load(8, R_ACC, v.loc);
    g.e.alu('add', R_ACC, { k: d });
    g.normalize(v.type);
    g.store(8, v.loc, R_ACC);
  } else if (o.kind === 'Map' || o.kind === 'MapAccess') {
    genMapRead(g, o);
    g.e.alu('add', R_ACC, { k: d });
    writeAcc(g, o);
  } else g.error(e.range, `cannot ${e.op} this expression`);
  if (e.postfix) g.e.alu('add', R_ACC, { k: -d });
}

function constArg(g: Gen, e: A.Expr | undefined, what: string, range: A.Expr['range']): bigint {
  if (e?.kind === 'Int' && e.value !== undefined) return e.value;
  if (e?.kind === 'Unary' && e.op === '-' && e.operand.kind === 'Int' && e.operand.value !== undefined) return -e.operand.value;
  if (e?.kind === 'Param') {
    const p = g.opts.params?.[e.n - 1];
    if (p !== undefined && /^-?\d+$/.test(p)) return BigInt(p);
  }
  g.error(e?.range ?? range, `${what} must be an integer literal`);
}

/** r7 = bpftrace 0.17's log2 bucket index of r7 (0: < 0, 1: 0, 2 + floor(log2 n) capped at 33). */
function log2Index(g: Gen): void {
  const done = g.e.newLabel();
  g.e.mov(1, R_ACC);
  g.e.movi(R_ACC, 0);
  g.e.jmp('jslt', 1, { k: 0 }, done);
  g.e.movi(R_ACC, 1);
  g.e.jmp('jeq', 1, { k: 0 }, done);
  g.e.movi(R_ACC, 2);
  for (let i = 4; i >= 0; i--) {
    const sh = 1 << i;
    const skip = g.e.newLabel();
    g.e.movi(2, 1n << BigInt(sh));
    g.e.jmp('jslt', 1, { r: 2 }, skip);
    g.e.alu('rsh', 1, { k: sh });
    g.e.alu('add', R_ACC, { k: sh });
    g.e.bind(skip);
  }
  g.e.bind(done);
}

/** r7 = bpftrace's linear bucket index of r7 for lhist(min, max, step). */
function linearIndex(g: Gen, min: bigint, max: bigint, step: bigint): void {
  const done = g.e.newLabel();
  const inRange = g.e.newLabel();
  g.e.mov(1, R_ACC);
  g.e.movi(2, min);
  g.e.movi(R_ACC, 0);
  g.e.jmp('jslt', 1, { r: 2 }, done);
  g.e.movi(2, max);
  g.e.jmp('jsle', 1, { r: 2 }, inRange);
  g.e.movi(R_ACC, 1n + BigInt.asUintN(64, max - min) / step);
  g.e.ja(done);
  g.e.bind(inRange);
  g.e.mov(R_ACC, 1);
  g.e.movi(2, min);
  g.e.alu('sub', R_ACC, { r: 2 });
  g.e.movi(2, step);
  g.e.alu('div', R_ACC, { r: 2 });
  g.e.alu('add', R_ACC, { k: 1 });
  g.e.bind(done);
}

/**
 * One percpu slot update: r0 = lookup(key); found: *r0 = op(*r0, arg); missing: insert op(0, arg).
 * `op` computes the new value into r7 from the old one in r1 and the argument slot; returns
 * false in r7's place when nothing is to be stored (min/max keep the old value): the callback
 * jumps to `skip` then.
 */
function slotUpdate(g: Gen, sm: ScriptMap, key: Loc, op: (skip: number) => void): void {
  lookup(g, sm.index, key);
  const skip = g.e.newLabel();
  const missing = g.e.newLabel();
  g.e.jmp('jeq', 0, { k: 0 }, missing);
  g.e.mov(R_ACC, 0);
  g.e.ldx(8, 1, R_ACC, 0);
  // r7 (pointer) is needed after op: keep it in r8's place via the stack.
  const p = g.allocStack(8);
  g.store(8, p, R_ACC);
  op(skip);
  g.load(8, 1, p);
  g.e.stx(8, 1, 0, R_ACC);
  g.e.ja(skip);
  g.e.bind(missing);
  g.e.movi(1, 0);
  op(skip);
  const v = g.allocStack(8);
  g.store(8, v, R_ACC);
  update(g, sm.index, key, v);
  g.e.bind(skip);
}

/** `@m[k] = fn(args)` for the aggregation functions. */
export function genAgg(g: Gen, target: MapTarget, call: A.Call): void {
  const sm = scriptMap(g, target);
  const fn = call.name;
  const vt = sm.def.value;
  if (vt.k !== 'agg' || vt.fn !== fn) g.error(call.range, `map ${sm.def.name} holds ${vt.k === 'agg' ? vt.fn : vt.k}, not ${fn}()`);
  const m = g.mark();
  const keys = mapKeys(target);
  const arg = g.allocStack(8);
  if (fn !== 'count') {
    if (!call.args[0]) g.error(call.range, `${fn}() needs an argument`);
    scalar(g, call.args[0]);
    g.store(8, arg, R_ACC);
  }
  const incBy = (what: 'one' | 'arg') => (): void => {
    if (what === 'one') g.e.movi(R_ACC, 1);
    else g.load(8, R_ACC, arg);
    g.e.alu('add', R_ACC, { r: 1 });
  };
  if (fn === 'count' || fn === 'sum') {
    const key = genKey(g, sm, keys, target.range);
    slotUpdate(g, sm, key, incBy(fn === 'count' ? 'one' : 'arg'));
  } else if (fn === 'min' || fn === 'max') {
    const key = genKey(g, sm, keys, target.range);
    slotUpdate(g, sm, key, (skip) => {
      g.load(8, R_ACC, arg);
      if (fn === 'min') {
        g.e.movi(2, 0xffffffffn);
        g.e.alu('sub', 2, { r: R_ACC });
        g.e.mov(R_ACC, 2);
      }
      g.e.jmp('jslt', R_ACC, { r: 1 }, skip);
    });
  } else if (fn === 'avg' || fn === 'stats') {
    const idx = g.allocStack(8);
    g.storeImm(8, idx, 0);
    const key = genKey(g, sm, keys, target.range, idx);
    slotUpdate(g, sm, key, incBy('one'));
    g.e.movi(1, 1);
    g.store(8, at(key, sm.def.keySize - 8), 1);
    slotUpdate(g, sm, key, incBy('arg'));
  } else if (fn === 'hist' || fn === 'lhist') {
    g.load(8, R_ACC, arg);
    if (fn === 'hist') log2Index(g);
    else {
      const min = constArg(g, call.args[1], 'lhist() min', call.range);
      const max = constArg(g, call.args[2], 'lhist() max', call.range);
      const step = constArg(g, call.args[3], 'lhist() step', call.range);
      if (step <= 0n) g.error(call.range, 'lhist() step must be >= 1');
      if (vt.k === 'agg') sm.def.value = { ...vt, args: [min, max, step] };
      linearIndex(g, min, max, step);
    }
    const idx = g.allocStack(8);
    g.store(8, idx, R_ACC);
    const key = genKey(g, sm, keys, target.range, idx);
    slotUpdate(g, sm, key, incBy('one'));
  } else g.error(call.range, `unknown aggregation ${fn}()`);
  g.release(m);
}

/**
 * Helper calls (the kernel's check_helper_call and check_func_arg): prototype
 * lookup and availability per program type and privilege, argument checks by
 * argument type, memory/size pairs, map key/value sizes, reference
 * acquire/release, return value typing, caller-saved register clobbering, and
 * packet pointer invalidation. Callback-calling helpers (bpf_loop,
 * for_each_map_elem, find_vma, user_ringbuf_drain, timer_set_callback) are
 * driven by the caller (verifier.ts, callbackFrame) through the returned `callback`.
 */
import { HELPER_NAMES, helperName } from '../isa';
import type { Env } from './env';
import type { VerifierMap } from './types';
import type { ProgType } from './progtypes';
import { KIND, type Btf } from '../btf';
import { btfWalk } from './btf-access';
import { HELPER_PROTOS, MIGHT_SLEEP, PROG_TYPE_SETS } from './protos/table';
import { ArgSpec, HelperProto, parseArg } from './protos/types';
import { F, Reg, T, boundsSync, isNull, markKnownZero, markNotInit, markUnknown, typeStr } from './reg';
import { BPF_MAX_VAR_OFF, checkPtrOffReg, checkMemAccess, helperMemAccess, isPointerValue, regTypeStr } from './mem';
import { tisConst, tstr } from './tnum';
import { MAP_TYPE_NAMES, mapTypeName } from './prepass';
import { Frame, S } from './state';

const BY_NAME = new Map<string, HelperProto>(HELPER_PROTOS.map((p) => [p.name, p]));
const PARSED = new Map<HelperProto, ArgSpec[]>();
function args(p: HelperProto): ArgSpec[] {
  let a = PARSED.get(p);
  if (!a) { a = p.args.map(parseArg); PARSED.set(p, a); }
  return a;
}

export function funcIdName(id: number): string {
  if (id === 0) return 'bpf_unspec';
  return (id >= 0 ? helperName(id) : undefined) ?? 'unknown';
}

/** The prototype if the program type (and privilege) can use the helper. */
export function helperProto(env: Env, id: number): HelperProto | undefined {
  return helperProtoFor(env.progType, env.attachType, env.root, id);
}

/** get_func_proto: the helper's prototype for a program type, attach type and privilege; undefined when unavailable. */
export function helperProtoFor(progType: ProgType, attachType: string | undefined, root: boolean, id: number): HelperProto | undefined {
  const name = id >= 0 ? HELPER_NAMES[id] : undefined;
  if (!name) return undefined;
  const p = BY_NAME.get(name);
  if (!p) return undefined;
  const sets = PROG_TYPE_SETS[progType] ?? [];
  for (const s of sets) {
    if (s === 'base_perfmon' && !root) continue;
    if (p.sets.includes(s)) {
      if (p.attachTypes && !p.attachTypes.includes(attachType ?? '')) continue;
      return p;
    }
  }
  return undefined;
}

interface Meta {
  map: number;
  rawRegno: number;
  rawSize: number;
  memSize: number;
  refObjId: number;
  releaseRegno: number;
  subprog: number;
  msizeMax: bigint;
  /** get_constant_map_key: the key's value when it is a known constant on the stack, else -1. */
  constKey: number;
  /** meta.map came from a bpf_timer argument (process_timer_func). */
  timer: boolean;
}

/** process_timer_func: a constant offset exactly at the map value's struct bpf_timer (checked when the map's BTF is known). */
function processTimer(env: Env, regno: number, r: Reg, meta: Meta): void {
  if (!tisConst(r.var)) env.fail(`R${regno} doesn't have constant offset. bpf_timer has to be at the constant offset`);
  const m = env.maps[r.map];
  if (m?.btf !== undefined) {
    const name = m.name ?? '';
    if (!m.btf) env.fail(`map '${name}' has to have BTF in order to use bpf_timer`);
    if (m.timerOff === undefined) env.fail(`map '${name}' has no valid bpf_timer`);
    const off = Number(BigInt.asIntN(64, r.var.value)) + r.off;
    if (off !== m.timerOff) env.fail(`off ${off} doesn't point to 'struct bpf_timer' that is at ${m.timerOff}`);
  }
  meta.map = r.map;
  meta.timer = true;
}

/** Program types is_tracing_prog_type names: they may not use maps holding a bpf_timer. */
const TRACING_TYPES = new Set(['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint', 'raw_tracepoint_writable']);

/** check_map_prog_compatibility's bpf_timer rule, for the maps the program's lddw instructions load (before verification). */
export function timerMapRefusal(progType: string, maps: readonly VerifierMap[], slots: readonly { code: number; src: number; imm: number }[]): string | undefined {
  if (!TRACING_TYPES.has(progType)) return undefined;
  for (const s of slots) {
    if (s.code === 0x18 && (s.src === 1 || s.src === 2 || s.src === 5 || s.src === 6) && maps[s.imm]?.timerOff !== undefined) {
      return 'tracing progs cannot use bpf_timer yet';
    }
  }
  return undefined;
}

/** Array maps whose lookups with a constant in-range key cannot return NULL (can_elide_value_nullness). */
export const ELIDE_NULL = new Set(['array', 'percpu_array']);

/** get_constant_map_key: a key on the stack made of zero bytes or one spilled constant scalar of the key's size. */
function constantMapKey(env: Env, key: Reg, keySize: number): number {
  if (key.type !== T.STACK || !tisConst(key.var)) return -1;
  const f = env.state.frames[key.frameno];
  const off = key.off + Number(BigInt.asIntN(64, key.var.value));
  const slot = -off - 1;
  if (!f || slot < 0) return -1;
  const spi = Math.floor(slot / 8); const at = slot % 8;
  let zero = 0;
  for (let i = at; i >= 0 && f.stype[spi * 8 + i] === S.ZERO; i--) zero++;
  if (zero >= keySize) return 0;
  const sp = f.spilled[spi];
  if (!f.slotSpilled(spi) || !sp || sp.type !== T.SCALAR) return -1;
  let spill = 0;
  for (let i = at; i >= 0 && f.stype[spi * 8 + i] === S.SPILL; i--) spill++;
  if (spill !== keySize || !tisConst(sp.var)) return -1;
  return sp.var.value > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(sp.var.value);
}

const MEM_TYPES: [T, number][] = [[T.STACK, 0], [T.PKT, 0], [T.PKT_META, 0], [T.MAP_KEY, 0], [T.MAP_VALUE, 0], [T.MEM, 0], [T.MEM, F.RINGBUF], [T.BUF, 0], [T.BTF_ID, F.TRUSTED]];
const COMPAT: Record<string, [T, number][]> = {
  ARG_PTR_TO_MAP_KEY: MEM_TYPES, ARG_PTR_TO_MAP_VALUE: MEM_TYPES, ARG_PTR_TO_MEM: MEM_TYPES,
  ARG_CONST_SIZE: [[T.SCALAR, 0]], ARG_CONST_SIZE_OR_ZERO: [[T.SCALAR, 0]], ARG_CONST_ALLOC_SIZE_OR_ZERO: [[T.SCALAR, 0]],
  ARG_CONST_MAP_PTR: [[T.MAP_PTR, 0]], ARG_PTR_TO_CTX: [[T.CTX, 0]],
  ARG_PTR_TO_SOCK_COMMON: [[T.SOCK_COMMON, 0], [T.SOCKET, 0], [T.TCP_SOCK, 0], [T.XDP_SOCK, 0]],
  ARG_PTR_TO_BTF_ID_SOCK_COMMON: [[T.SOCK_COMMON, 0], [T.SOCKET, 0], [T.TCP_SOCK, 0], [T.XDP_SOCK, 0], [T.BTF_ID, 0], [T.BTF_ID, F.TRUSTED]],
  ARG_PTR_TO_SOCKET: [[T.SOCKET, 0]], ARG_PTR_TO_BTF_ID: [[T.BTF_ID, 0], [T.BTF_ID, F.TRUSTED], [T.BTF_ID, F.RCU]],
  ARG_PTR_TO_RINGBUF_MEM: [[T.MEM, F.RINGBUF]], ARG_PTR_TO_FUNC: [[T.FUNC, 0]], ARG_PTR_TO_STACK: [[T.STACK, 0]],
  ARG_PTR_TO_CONST_STR: [[T.MAP_VALUE, 0]], ARG_PTR_TO_TIMER: [[T.MAP_VALUE, 0]], ARG_PTR_TO_SPIN_LOCK: [[T.MAP_VALUE, 0]],
  ARG_PTR_TO_LONG: [[T.STACK, 0], [T.PKT, 0], [T.PKT_META, 0], [T.MAP_KEY, 0], [T.MAP_VALUE, 0]],
  ARG_PTR_TO_INT: [[T.STACK, 0], [T.PKT, 0], [T.PKT_META, 0], [T.MAP_KEY, 0], [T.MAP_VALUE, 0]],
  ARG_PTR_TO_DYNPTR: [[T.STACK, 0], [T.CONST_DYNPTR, 0]], ARG_PTR_TO_PERCPU_BTF_ID: [[T.BTF_ID, 0]],
};

function checkRegType(env: Env, regno: number, a: ArgSpec): void {
  const r = env.regs[regno];
  const compat = COMPAT[a.base];
  if (!compat) return;
  let flags = r.flags;
  if (a.flags.has('MEM_RDONLY')) flags &= ~F.RDONLY;
  if (a.flags.has('PTR_MAYBE_NULL')) flags &= ~F.MAYBE_NULL;
  for (const [t, fl] of compat) if (t === r.type && fl === flags) return;
  env.fail(`R${regno} type=${regTypeStr(r)} expected=${compat.map(([t, fl]) => typeStr(t, fl)).join(', ')}`);
}

/**
 * btf_struct_ids_match: is there a struct `want` at byte `off` of struct `have`, itself or nested
 * (a struct entered by btfWalk at offset 0 within it)? `&file->f_path` is a `struct path` at offset 64 of `struct file`.
 */
function btfStructAt(btf: Btf, have: string, off: number, want: string): boolean {
  const id = btf.find(have, KIND.STRUCT);
  return id !== undefined && btfWalk(btf, id, off).path.some((p) => p.off === 0 && btf.name(p.id) === want);
}

/** check_func_arg_reg_off: the offsets a pointer argument may carry (helpers, kfuncs, global functions' arguments). */
export function checkFuncArgRegOff(env: Env, r: Reg, regno: number, release = false): void {
  if (release) {
    if (r.off || !tisConst(r.var) || r.var.value) env.fail(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
    return;
  }
  switch (r.type) {
    case T.STACK: case T.PKT: case T.PKT_META: case T.MAP_KEY: case T.MAP_VALUE: case T.MEM: case T.BUF: case T.SCALAR:
      return;
    case T.CTX:
      checkPtrOffReg(env, r, regno, false);
      return;
    case T.BTF_ID:
      // A fixed offset into a kernel struct is fine (the struct at that offset is matched below).
      checkPtrOffReg(env, r, regno, true);
      return;
    default:
      checkPtrOffReg(env, r, regno, false);
  }
}

function checkMemSizeReg(env: Env, regno: number, writeMem: boolean, zeroOk: boolean, meta: Meta, raw: boolean): void {
  const r = env.regs[regno];
  meta.msizeMax = r.umax;
  const isRaw = raw && tisConst(r.var);
  if (r.smin < 0n) env.fail(`R${regno} min value is negative, either use unsigned or 'var &= const'`);
  if (r.umin === 0n && !zeroOk) env.fail(`R${regno} invalid zero-sized read: u64=[${BigInt.asIntN(64, r.umin)},${r.umax}]`);
  if (r.umax >= BigInt(BPF_MAX_VAR_OFF)) env.fail(`R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
  const res = helperMemAccess(env, regno - 1, Number(r.umax), writeMem, zeroOk, isRaw);
  if (res.rawSize !== undefined) { meta.rawRegno = regno - 1; meta.rawSize = res.rawSize; }
}

function checkFuncArg(env: Env, p: HelperProto, i: number, meta: Meta, specs: ArgSpec[]): void {
  const regno = i + 1;
  const a = specs[i];
  if (!a || a.base === 'ARG_DONTCARE') return;
  const r = env.regs[regno];
  env.scratch.reg(regno);
  if (r.type === T.NOT_INIT) env.fail(`R${regno} !read_ok`);
  if (a.base === 'ARG_ANYTHING') {
    if (isPointerValue(env, r)) env.fail(`R${regno} leaks addr into helper function`);
    return;
  }
  if ((r.type === T.PKT || r.type === T.PKT_META) && !p.pktAccess) env.fail('helper access to the packet is not allowed');
  const maybeNull = a.flags.has('PTR_MAYBE_NULL');
  if (!(isNull(r) && maybeNull)) {
    checkRegType(env, regno, a);
    checkFuncArgRegOff(env, r, regno, a.flags.has('OBJ_RELEASE'));
    const want = p.argBtfStruct?.[i];
    if (r.type === T.BTF_ID && want && env.btf && !btfStructAt(env.btf, r.btfName, r.off, want)) {
      env.fail(`R${regno} is of type ${r.btfName} but ${want} is expected`);
    }
  }
  if (a.flags.has('OBJ_RELEASE')) {
    if (!r.refObjId && !isNull(r)) env.fail(`R${regno} must be referenced when passed to release function`);
    meta.releaseRegno = regno;
  }
  if (r.refObjId) {
    if (meta.refObjId) env.fail(`more than one arg with ref_obj_id R${regno} ${r.refObjId} ${meta.refObjId}`);
    meta.refObjId = r.refObjId;
  }
  const writeMem = a.flags.has('MEM_WRITE') || a.flags.has('MEM_UNINIT');
  if (r.type === T.BTF_ID && !a.flags.has('MEM_RDONLY') &&
    (a.base === 'ARG_PTR_TO_MAP_KEY' || a.base === 'ARG_PTR_TO_MAP_VALUE' || a.base === 'ARG_PTR_TO_MEM')) {
    // Kernel (BTF) memory is read-only to helpers; an argument not marked MEM_RDONLY might be written.
    env.fail(`bpf_${p.name}() may write into memory pointed by R${regno} type=${typeStr(r.type, r.flags)}`);
  }
  switch (a.base) {
    case 'ARG_CONST_MAP_PTR':
      // Only inner maps have map_uids; the embedded verifier has none, so both print 0.
      if (meta.timer && meta.map !== r.map) env.fail(`timer pointer in R1 map_uid=0 doesn't match map pointer in R${regno} map_uid=0`);
      meta.map = r.map;
      break;
    case 'ARG_PTR_TO_TIMER':
      processTimer(env, regno, r, meta);
      break;
    case 'ARG_PTR_TO_MAP_KEY': {
      const m = env.maps[meta.map];
      if (m && ELIDE_NULL.has(mapTypeName(m))) meta.constKey = constantMapKey(env, r, m.keySize);
      helperMemAccess(env, regno, m?.keySize ?? 0, false, false, false);
      break;
    }
    case 'ARG_PTR_TO_MAP_VALUE':
      if (maybeNull && isNull(r)) return;
      helperMemAccess(env, regno, env.maps[meta.map]?.valueSize ?? 0, writeMem, false, false);
      break;
    case 'ARG_PTR_TO_FUNC':
      meta.subprog = r.subprog;
      break;
    case 'ARG_PTR_TO_MEM': {
      const sz = p.argSize?.[i];
      if (a.flags.has('MEM_FIXED_SIZE') && sz !== undefined) helperMemAccess(env, regno, sz, writeMem, false, false);
      break;
    }
    case 'ARG_CONST_SIZE':
    case 'ARG_CONST_SIZE_OR_ZERO': {
      const prev = specs[i - 1];
      const prevWrite = !!prev && (prev.flags.has('MEM_WRITE') || prev.flags.has('MEM_UNINIT'));
      checkMemSizeReg(env, regno, prevWrite, a.base === 'ARG_CONST_SIZE_OR_ZERO', meta, !!prev?.flags.has('MEM_UNINIT'));
      break;
    }
    case 'ARG_CONST_ALLOC_SIZE_OR_ZERO':
      if (!tisConst(r.var)) env.fail(`R${regno} is not a known constant'`);
      meta.memSize = Number(r.var.value);
      break;
    case 'ARG_PTR_TO_INT':
    case 'ARG_PTR_TO_LONG':
      helperMemAccess(env, regno, a.base === 'ARG_PTR_TO_INT' ? 4 : 8, true, false, false);
      break;
    case 'ARG_PTR_TO_CONST_STR': {
      const m = env.maps[r.map];
      if (!m || !(m.readonly || ((m.flags ?? 0) & 0x80))) env.fail(`R${regno} does not point to a readonly map'`);
      if (!tisConst(r.var)) env.fail(`R${regno} is not a constant address'`);
      break;
    }
    default:
      break;
  }
}

/**
 * How a callback-calling helper's callback starts (the kernel's set_*_callback_state): `loop`
 * (index, ctx), `map_elem` (map, key, value, ctx), `find_vma` (task, vma, ctx), `user_ringbuf`
 * (dynptr, ctx) and `timer` (map, key, value; async: verified as a path of its own in frame 0).
 */
export type CallbackKind = 'loop' | 'map_elem' | 'find_vma' | 'user_ringbuf' | 'timer';

/** A callback to verify: its subprogram, kind and (map_elem, timer) the map it gets. */
export interface CallbackCall { subprog: number; kind: CallbackKind; map: number }

export interface CallOutcome { callback?: CallbackCall }

/** Map types with map_for_each_callback (arraymap.c, hashtab.c). */
const FOR_EACH_MAPS = new Set(['array', 'percpu_array', 'hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash']);

/** The helpers that call back, by prototype name, and the callback each starts. */
const CALLBACK_KIND: Record<string, CallbackKind> = {
  loop: 'loop', for_each_map_elem: 'map_elem', find_vma: 'find_vma', user_ringbuf_drain: 'user_ringbuf', timer_set_callback: 'timer',
};

/** push_callback_call's checks for one helper call: which callback (if any) is verified from here. */
function callbackOf(env: Env, name: string, meta: Meta): CallbackCall | undefined {
  const kind = CALLBACK_KIND[name];
  if (!kind) return undefined;
  const regs = env.regs;
  if (kind === 'loop') {
    const f = env.state.cur;
    if (BigInt(f.callbackDepth) < regs[1].umax) return { subprog: meta.subprog, kind, map: -1 };
    f.callbackDepth = 0;
    if (env.logLevel >= 2) env.raw(`frame${env.state.curframe} bpf_loop iteration limit reached\n`);
    return undefined;
  }
  if (kind === 'map_elem') {
    const m = env.maps[meta.map];
    if (!m || !FOR_EACH_MAPS.has(mapTypeName(m))) env.fail('callback function not allowed for map');
    return { subprog: meta.subprog, kind, map: meta.map };
  }
  // bpf_timer_set_callback: the map is the one whose value holds the timer (R1).
  return { subprog: meta.subprog, kind, map: kind === 'timer' ? regs[1].map : -1 };
}

/** set_*_callback_state: the callback's arguments in its (new) frame, from the caller's registers. */
export function setCallbackArgs(caller: Frame, callee: Frame, cb: CallbackCall): void {
  const r = callee.regs; const c = caller.regs;
  const mapReg = (x: Reg, t: T): void => { markKnownZero(x); x.type = t; x.map = cb.map; };
  switch (cb.kind) {
    case 'loop': markUnknown(r[1]); r[2].copyFrom(c[3]); break;
    case 'map_elem': r[1].copyFrom(c[1]); mapReg(r[2], T.MAP_KEY); mapReg(r[3], T.MAP_VALUE); r[4].copyFrom(c[3]); break;
    case 'find_vma':
      r[1].copyFrom(c[1]);
      markKnownZero(r[2]); r[2].type = T.BTF_ID; r[2].btfName = 'vm_area_struct';
      r[3].copyFrom(c[4]);
      break;
    case 'user_ringbuf':
      // CONST_PTR_TO_DYNPTR (dynptr slots themselves are a non-goal: dynptr helpers accept it, nothing else).
      markKnownZero(r[1]); r[1].type = T.CONST_DYNPTR;
      r[2].copyFrom(c[3]);
      break;
    case 'timer': mapReg(r[1], T.MAP_PTR); mapReg(r[2], T.MAP_KEY); mapReg(r[3], T.MAP_VALUE); break;
  }
}

/** release_reference: drops the reference and invalidates every register and spill that carries it. */
export function releaseReference(env: Env, id: number): boolean {
  const i = env.state.refs.findIndex((x) => x.id === id);
  if (i < 0) return false;
  env.state.refs.splice(i, 1);
  for (const f of env.state.frames) {
    const inval = (r: Reg): void => { if (env.allowPtrLeaks) markUnknown(r); else markNotInit(r); };
    // Not scratched: the kernel's state comment after the release shows only R0.
    for (let k = 0; k < 11; k++) if (f.regs[k].refObjId === id) inval(f.regs[k]);
    f.spilled.forEach((s) => { if (s && s.refObjId === id) inval(s); });
  }
  return true;
}

export function clearPktPointers(env: Env): void {
  const inval = (r: Reg): void => { if (env.allowPtrLeaks) markUnknown(r); else markNotInit(r); };
  for (const f of env.state.frames) {
    for (const r of f.regs) if (r.type === T.PKT || r.type === T.PKT_META || r.type === T.PKT_END) inval(r);
    f.spilled.forEach((s) => { if (s && (s.type === T.PKT || s.type === T.PKT_META || s.type === T.PKT_END)) inval(s); });
  }
}

/** check_helper_call for `call id`. */
export function checkHelperCall(env: Env, id: number, pc: number): CallOutcome {
  // libbpf rewrites the kernel's complaint about a poisoned instruction into the CO-RE failure.
  const poison = env.poisoned?.get(pc);
  if (poison) env.fail(poison);
  if (id < 0 || id >= HELPER_NAMES.length) env.fail(`invalid func ${funcIdName(id)}#${id}`);
  const p = helperProto(env, id);
  if (!p) env.fail(`program of this type cannot use helper ${funcIdName(id)}#${id}`);
  if (!env.gpl && p.gplOnly) env.fail('cannot call GPL-restricted function from non-GPL compatible program');
  if (MIGHT_SLEEP.has(p.name)) {
    if (!env.sleepable) env.fail('helper call might sleep in a non-sleepable prog');
    if (env.state.rcuLock) env.fail(`sleepable helper ${funcIdName(id)}#${id} in rcu_read_lock region`);
  }
  const specs = args(p);
  const meta: Meta = { map: -1, rawRegno: -1, rawSize: 0, memSize: 0, refObjId: 0, releaseRegno: 0, subprog: -1, msizeMax: 0n, constKey: -1, timer: false };
  for (let i = 0; i < 5; i++) checkFuncArg(env, p, i, meta, specs);
  if (meta.map >= 0 && p.name === 'tail_call' && mapTypeName(env.maps[meta.map]) !== 'prog_array') env.failUnterminated('expected prog array map for tail call');
  for (let i = 0; i < meta.rawSize; i++) checkMemAccess(env, meta.rawRegno, i, 1, true, { valueRegno: -1 });
  const regs = env.regs;
  if (meta.releaseRegno) {
    let ok = false;
    if (meta.refObjId) ok = releaseReference(env, meta.refObjId);
    else if (isNull(regs[meta.releaseRegno])) ok = true;
    if (!ok) env.fail(`func ${funcIdName(id)}#${id} reference has not been acquired before`);
  }
  const out: CallOutcome = {};
  if (p.name === 'tail_call') {
    for (const r of env.state.refs) env.verbose(`Unreleased reference id=${r.id} alloc_insn=${r.insn}`);
    if (env.state.refs.length) env.fail('tail_call would lead to reference leak');
    // 6.18 marks R0 precise after a tail call; backtracking then reaches the callback's entry with
    // R0 still wanted and stops with this internal error, so no callback can tail-call.
    if (env.state.cur.inCallback) env.fail('verifier bug: callback unexpected regs 1');
  }
  const cb = callbackOf(env, p.name, meta);
  if (cb) out.callback = cb;
  for (let i = 0; i <= 5; i++) { markNotInit(regs[i]); env.scratch.reg(i); }
  const r0 = regs[0];
  switch (p.ret) {
    case 'RET_INTEGER': markUnknown(r0); break;
    case 'RET_VOID': markNotInit(r0); break;
    case 'RET_PTR_TO_MAP_VALUE':
    case 'RET_PTR_TO_MAP_VALUE_OR_NULL':
      markKnownZero(r0); r0.type = T.MAP_VALUE; r0.map = meta.map;
      // 6.18: an array lookup (bpf_map_lookup_elem only, not lookup_percpu_elem) with a constant in-range key is never NULL.
      if (p.ret.endsWith('OR_NULL') && !(p.name === 'map_lookup_elem' && meta.constKey >= 0 && meta.constKey < (env.maps[meta.map]?.maxEntries ?? 0))) r0.flags = F.MAYBE_NULL;
      break;
    case 'RET_PTR_TO_SOCKET_OR_NULL': markKnownZero(r0); r0.type = T.SOCKET; r0.flags = F.MAYBE_NULL; break;
    case 'RET_PTR_TO_TCP_SOCK_OR_NULL': markKnownZero(r0); r0.type = T.TCP_SOCK; r0.flags = F.MAYBE_NULL; break;
    case 'RET_PTR_TO_SOCK_COMMON_OR_NULL': markKnownZero(r0); r0.type = T.SOCK_COMMON; r0.flags = F.MAYBE_NULL; break;
    case 'RET_PTR_TO_MEM_OR_NULL':
      markKnownZero(r0); r0.type = T.MEM; r0.flags = F.MAYBE_NULL | (p.name.startsWith('ringbuf') ? F.RINGBUF : 0); r0.memSize = meta.memSize;
      break;
    case 'RET_PTR_TO_DYNPTR_MEM_OR_NULL':
      markKnownZero(r0); r0.type = T.MEM; r0.flags = F.MAYBE_NULL; r0.memSize = meta.memSize;
      break;
    case 'RET_PTR_TO_MEM_OR_BTF_ID':
    case 'RET_PTR_TO_MEM_OR_BTF_ID_OR_NULL':
      markKnownZero(r0); r0.type = T.MEM; r0.flags = F.RDONLY | (p.ret.endsWith('OR_NULL') ? F.MAYBE_NULL : 0); r0.memSize = 8;
      break;
    case 'RET_PTR_TO_BTF_ID':
    case 'RET_PTR_TO_BTF_ID_OR_NULL':
    case 'RET_PTR_TO_BTF_ID_TRUSTED':
      markKnownZero(r0); r0.type = T.BTF_ID; r0.btfName = p.retBtfStruct ?? '';
      r0.flags = p.ret === 'RET_PTR_TO_BTF_ID_TRUSTED' ? F.TRUSTED : p.ret.endsWith('OR_NULL') ? F.MAYBE_NULL : 0;
      break;
  }
  if (r0.flags & F.MAYBE_NULL) r0.id = env.newId();
  if (p.acquire) {
    const rid = env.newId();
    env.state.refs.push({ id: rid, insn: pc });
    r0.id = rid;
    r0.refObjId = rid;
  }
  if (p.name === 'get_stack' || p.name === 'probe_read_str' || p.name === 'probe_read_kernel_str' || p.name === 'probe_read_user_str' || p.name === 'get_task_stack') {
    // do_refine_retval_range: [-MAX_ERRNO, the size argument's maximum].
    r0.smax = meta.msizeMax < (1n << 63n) ? meta.msizeMax : r0.smax;
    r0.s32max = meta.msizeMax < (1n << 31n) ? meta.msizeMax : r0.s32max;
    r0.smin = r0.s32min = -4095n;
    boundsSync(r0);
  }
  if (p.name === 'get_smp_processor_id' && env.nrCpus) {
    // do_refine_retval_range: [0, nr_cpu_ids - 1].
    const top = BigInt(env.nrCpus - 1);
    r0.umin = r0.smin = r0.u32min = r0.s32min = 0n;
    r0.umax = r0.smax = r0.u32max = r0.s32max = top;
    boundsSync(r0);
  }
  if (meta.map >= 0) mapCompat(env, meta.map, p.name, id);
  if (p.changesPktData) clearPktPointers(env);
  void tstr;
  return out;
}

const MAP_ONLY: Record<string, string[]> = {
  prog_array: ['tail_call'],
  perf_event_array: ['perf_event_read', 'perf_event_output', 'skb_output', 'perf_event_read_value', 'xdp_output'],
  ringbuf: ['ringbuf_output', 'ringbuf_reserve', 'ringbuf_query', 'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr'],
  user_ringbuf: ['user_ringbuf_drain'],
  stack_trace: ['get_stackid', 'map_lookup_elem', 'map_delete_elem'],
  cgroup_array: ['skb_under_cgroup', 'current_task_under_cgroup'],
};
const FUNC_NEEDS: Record<string, string[]> = {
  tail_call: ['prog_array'], perf_event_read: ['perf_event_array'], perf_event_output: ['perf_event_array'],
  perf_event_read_value: ['perf_event_array'], skb_output: ['perf_event_array'], xdp_output: ['perf_event_array'],
  ringbuf_output: ['ringbuf'], ringbuf_reserve: ['ringbuf'], ringbuf_query: ['ringbuf'], get_stackid: ['stack_trace'],
  current_task_under_cgroup: ['cgroup_array'], skb_under_cgroup: ['cgroup_array'], user_ringbuf_drain: ['user_ringbuf'],
};

/** check_map_func_compatibility (the common cases). */
function mapCompat(env: Env, mi: number, fname: string, id: number): void {
  const m = env.maps[mi];
  if (!m) return;
  const t = mapTypeName(m);
  const only = MAP_ONLY[t];
  const need = FUNC_NEEDS[fname];
  const typeNum = typeof m.type === 'number' ? m.type : MAP_TYPE_NAMES.indexOf(m.type);
  if ((only && !only.includes(fname)) || (need && !need.includes(t))) {
    env.fail(`cannot pass map_type ${typeNum} into func ${funcIdName(id)}#${id}`);
  }
}

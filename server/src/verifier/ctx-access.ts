/**
 * Applies the ctx tables (ctx/table.ts) to one load or store: the data form of
 * the kernel's *_is_valid_access callbacks. Tracing programs typed by BTF
 * (fentry/fexit/tp_btf) read u64 argument slots; pointer arguments become BTF
 * pointers when the attach target's prototype is known. Non-goal: writable
 * raw tracepoints and struct_ops contexts.
 */
import type { Env } from './env';
import { CTX_TABLE } from './ctx/table';
import type { CtxLayout, CtxRegType, CtxSizes } from './ctx/types';
import { F, T } from './reg';
import { KIND, type Btf } from '../btf';

export interface CtxResult { ok: boolean; type: T; flags?: number; btfName?: string }

export function ctxLayout(progType: string, attach: string | undefined): CtxLayout | undefined {
  const e = (CTX_TABLE as Record<string, CtxLayout | ((a: string | undefined) => CtxLayout) | undefined>)[progType];
  return typeof e === 'function' ? e(attach) : e;
}

function sizeOk(rule: CtxSizes, off: number, size: number, fieldOff: number, fieldSize: number, elem: number): boolean {
  if (rule === false) return false;
  if (off + size > fieldOff + fieldSize) return false;
  if (rule === 'exact') return size === elem && (off - fieldOff) % elem === 0;
  if (rule === 'narrow') return size <= elem && (size & (size - 1)) === 0;
  if (rule === 'any') return true;
  return (rule as readonly number[]).includes(size);
}

const REG: Record<CtxRegType, { type: T; flags?: number }> = {
  scalar: { type: T.SCALAR }, pkt: { type: T.PKT }, pkt_meta: { type: T.PKT_META }, pkt_end: { type: T.PKT_END },
  sock_common_or_null: { type: T.SOCK_COMMON, flags: F.MAYBE_NULL }, sock_or_null: { type: T.SOCKET, flags: F.MAYBE_NULL },
  sock: { type: T.SOCKET }, flow_keys: { type: T.FLOW_KEYS }, btf_id: { type: T.BTF_ID, flags: F.TRUSTED },
  btf_id_or_null: { type: T.BTF_ID, flags: F.MAYBE_NULL },
};

export function ctxAccess(env: Env, off: number, size: number, write: boolean): CtxResult {
  const no: CtxResult = { ok: false, type: T.SCALAR };
  const l = env.ctx;
  if (!l) return no;
  // tp_prog_is_valid_access compares `off < sizeof(void *)` unsigned: negative aligned reads pass.
  if (off < 0 && env.progType === 'tracepoint' && !write && off % size === 0 && [1, 2, 4, 8].includes(size)) return { ok: true, type: T.SCALAR };
  if (off < 0 || off % size !== 0) return no;
  if (l.btfArgs) return btfArg(env, l, off, size, write);
  for (const f of l.fields) {
    if (off < f.off || off >= f.off + f.size) continue;
    if (f.attachTypes && !f.attachTypes.includes(env.attachType ?? '')) return no;
    const rule = write ? f.write : f.read;
    if (!sizeOk(rule, off, size, f.off, f.size, f.elem ?? f.size)) return no;
    const rt = REG[f.regType ?? 'scalar'];
    return { ok: true, type: write ? T.SCALAR : rt.type, ...(rt.flags ? { flags: rt.flags } : {}), ...(f.btfStruct ? { btfName: f.btfStruct } : {}) };
  }
  const w = l.rest;
  if (!w) return no;
  const sizes = write ? w.write : w.read;
  if (off < w.lo || off + size > w.hi || !(sizes as readonly number[]).includes(size)) return no;
  return { ok: true, type: T.SCALAR };
}

/**
 * libbpf's attach-target lookup for BTF-typed programs, made before the load: tp_btf targets are
 * `btf_trace_<name>` typedefs, fentry/fexit/fmod_ret targets functions, lsm targets `bpf_lsm_<name>`.
 */
export function attachTargetError(progType: string, attachType: string | undefined, target: string | undefined, btf: Btf | undefined): string | undefined {
  if (!btf || !target || (progType !== 'tracing' && progType !== 'lsm')) return undefined;
  let found: number | undefined;
  if (attachType === 'trace_raw_tp') found = btf.find('btf_trace_' + target, KIND.TYPEDEF);
  else if (progType === 'lsm') found = btf.find('bpf_lsm_' + target, KIND.FUNC);
  else if (attachType === 'trace_fentry' || attachType === 'trace_fexit' || attachType === 'modify_return') found = btf.find(target, KIND.FUNC);
  else return undefined;
  return found === undefined ? `failed to find kernel BTF type ID of '${target}': -3` : undefined;
}

/** Iterator targets whose objects are not PTR_TRUSTED in their ctx_arg_info (6.18). */
const UNTRUSTED_ITERS = new Set(['task_file', 'task_vma']);

/** btf_ctx_access: argument slots of the attach target's prototype. */
function btfArg(env: Env, l: CtxLayout, off: number, size: number, write: boolean): CtxResult {
  const no: CtxResult = { ok: false, type: T.SCALAR };
  if (write || off >= 8 * (l.maxArgs ?? 12)) return no;
  const btf = env.btf;
  const target = env.attachTo;
  if (!btf || !target) return { ok: true, type: T.SCALAR };
  let proto: number | undefined;
  if (env.attachType === 'trace_raw_tp') {
    const tp = btf.find('btf_trace_' + target, KIND.TYPEDEF);
    if (tp !== undefined) {
      const ptr = btf.resolve(btf.sizeOrType(tp));
      proto = btf.kind(ptr) === KIND.PTR ? btf.resolve(btf.sizeOrType(ptr)) : undefined;
    }
  } else {
    // Iterator programs attach to the target's `bpf_iter_<target>(meta, obj...)` prototype.
    const fn = btf.find(env.attachType === 'trace_iter' ? `bpf_iter_${target}` : target, KIND.FUNC);
    if (fn !== undefined) proto = btf.sizeOrType(fn);
  }
  if (proto === undefined || btf.kind(proto) !== KIND.FUNC_PROTO) return { ok: true, type: T.SCALAR };
  // btf_ctx_access's notes name the function (the iterator's bpf_iter_<target>) and the argument slot.
  const tname = env.attachType === 'trace_iter' ? `bpf_iter_${target}` : target;
  const slot = Math.floor(off / 8);
  let arg = slot;
  // tp_btf: the first prototype parameter is the hidden `void *__data`.
  if (env.attachType === 'trace_raw_tp') arg += 1;
  const n = btf.vlen(proto);
  // get_ctx_arg_idx: a slot past the return value's counts as argument n + 1 (n: the prototype's parameters).
  const missing = (): CtxResult => { env.verbose(`func '${tname}' doesn't have ${Math.min(slot, n + 1) + 1}-th argument`); return no; };
  if (arg > n) return missing();
  let t: number;
  if (arg === n) {
    if (env.attachType !== 'trace_fexit' && env.attachType !== 'modify_return') return missing();
    t = btf.sizeOrType(proto);
  } else {
    t = btf.item(proto, arg, 1);
  }
  t = btf.resolve(t);
  if (btf.kind(t) !== KIND.PTR) return size <= 8 ? { ok: true, type: T.SCALAR } : no;
  if (size !== 8) { env.verbose(`func '${tname}' size ${size} must be 8`); return no; }
  const pointee = btf.resolve(btf.sizeOrType(t));
  const pk = btf.kind(pointee);
  if (pk !== KIND.STRUCT && pk !== KIND.UNION) return { ok: true, type: T.SCALAR };
  // An iterator's objects come from its ctx_arg_info (no note); the meta pointer and other targets' arguments are noted.
  if (env.attachType !== 'trace_iter' || slot === 0) {
    env.verbose(`func '${tname}' arg${slot} has btf_id ${pointee} type ${pk === KIND.STRUCT ? 'STRUCT' : 'UNION'} '${btf.name(pointee)}'`);
  }
  // An iterator's objects after the meta pointer may be NULL (ctx_arg_info: PTR_TO_BTF_ID_OR_NULL,
  // with PTR_TRUSTED for most targets, not for task_file and task_vma).
  const flags = env.attachType === 'trace_iter' && arg > 0 ? (UNTRUSTED_ITERS.has(target) ? 0 : F.TRUSTED) | F.MAYBE_NULL : F.TRUSTED;
  return { ok: true, type: T.BTF_ID, flags, btfName: btf.name(pointee) };
}

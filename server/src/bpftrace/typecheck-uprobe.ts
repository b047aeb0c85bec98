/**
 * uprobe `args` for the type checker: the probe context of a uprobe attach
 * point from the binary's DWARF (KernelTypes.uprobeArgs, filled in by the
 * host), `args->name` checks with bpftrace 0.17's messages, and members of
 * structs the binary defines (`args->p->x`). Arguments are 8-byte pt_regs
 * slots read the way bpftrace reads them: parameter N from the N-th System V
 * argument register. Non-goals: wildcard targets (no context), uretprobe args
 * (bpftrace has none), reading files (host/).
 */
import type * as A from './ast';
import type { Checker, ProbeCtx } from './typecheck';
import type { ProbeArg } from './typecheck-kernel';
import type { UprobeDebugInfo, UprobeParam } from './uprobe-args';
import { abiRegister, ARG_REG_NAMES, ARG_REG_OFFSETS, dwarfStructFields, dwarfStructType, uprobeParams } from './uprobe-args';
import { closest } from './suggest';
import { NONE, type SType } from './types';

/** What the checker learnt about one uprobe attach point. */
interface UprobeState {
  ap: A.AttachPoint;
  binary: string;
  func: string;
  debug?: UprobeDebugInfo;
  params?: UprobeParam[];
  /** A wildcard function matched functions whose parameter names differ. */
  mixed?: boolean;
}

const states = new WeakMap<ProbeCtx, UprobeState>();

/** The name bpftrace gives the uprobe args struct. */
export const UPROBE_ARGS_STRUCT = 'struct uprobe_args';

/** Fills `ctx` (provider 'uprobe') from the target binary's DWARF when the host can read it. */
export function uprobeContext(cx: Checker, ap: A.AttachPoint, ctx: ProbeCtx): void {
  const [binary, rawFunc] = ap.parts;
  if (binary === undefined || rawFunc === undefined || ap.parts.length !== 2 || /[*?[$]/.test(binary)) return;
  const func = rawFunc.replace(/\+.*$/, '');
  const hook = cx.kernel.uprobeArgs;
  if (!hook || /^0x[0-9a-f]+$/i.test(func) || func === '') return;
  const debug = hook(binary, func);
  const st: UprobeState = { ap, binary: debug?.binary ?? binary, func, ...(debug ? { debug } : {}) };
  states.set(ctx, st);
  if (!debug?.dwarf) return;
  if (/[*?[]/.test(func)) {
    // bpftrace 0.17 expands the wildcard over the symbols (functions with code) and wants the same parameter names in every match.
    const re = new RegExp(`^${func.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    const names = [...new Set(debug.dwarf.functions.filter((f) => f.lowPc !== undefined && re.test(f.name)).map((f) => f.name))];
    const all = names.map((n) => uprobeParams(debug.dwarf as NonNullable<typeof debug.dwarf>, n) ?? []);
    st.params = all[0] ?? [];
    st.mixed = all.some((ps) => ps.map((p) => p.name).join(',') !== st.params?.map((p) => p.name).join(','));
  } else st.params = uprobeParams(debug.dwarf, func) ?? [];
  ctx.args = st.params.map((p): ProbeArg => ({ name: p.name, type: p.type, offset: ARG_REG_OFFSETS[p.index] ?? -1, size: 8 }));
  ctx.argsStruct = UPROBE_ARGS_STRUCT;
}

function stateOf(c: ProbeCtx | undefined): UprobeState | undefined {
  if (!c) return undefined;
  return states.get(c) ?? (c.attach ? states.get(c.attach[0]) : undefined);
}

/**
 * `args->name` in a uprobe: its type, or NONE after an error. Undefined when
 * the probe is not a uprobe the host described (the generic path applies).
 */
export function uprobeArgField(cx: Checker, e: A.Field): SType | undefined {
  const c = cx.ctx;
  if (c?.provider !== 'uprobe') return undefined;
  const st = stateOf(c);
  if (!st) return undefined;
  if (st.debug?.missing) {
    cx.err(st.ap.range, `uprobe target file '${st.binary}' does not exist or is not executable`);
    return NONE;
  }
  if (!st.debug?.dwarf) {
    cx.err(st.ap.range, `No debuginfo found for ${st.binary}`, st.debug?.problem);
    return NONE;
  }
  // Every attach point must have the same parameter names (bpftrace compares them sorted by name).
  const names = (s: UprobeState): string => (s.params ?? []).map((p) => p.name).sort().join(',');
  const other = (c.attach ?? []).map((a) => states.get(a)).find((s) => s !== undefined && s !== st && s.debug?.dwarf && names(s) !== names(st));
  if (st.mixed || other) {
    const r = (other ?? st).ap.range;
    // bpftrace's location of a later attach point starts at the blank after the comma.
    const start = other && /\s/.test(cx.source?.[r.start - 1] ?? '') ? r.start - 1 : r.start;
    cx.err({ start, end: r.end }, 'Probe has attach points with mixed arguments');
    return NONE;
  }
  const params = st.params ?? [];
  const p = params.find((x) => x.name === e.field);
  if (!p) {
    const near = closest(e.field, params.map((x) => x.name));
    cx.err(e.range, `Can't find function parameter ${e.field}`, near !== undefined ? `did you mean '${near}'?` : undefined);
    return NONE;
  }
  if (p.type.k === 'none') {
    cx.err(e.range, `${e.field} has unsupported type`);
    return NONE;
  }
  if (p.index >= ARG_REG_NAMES.length) {
    cx.err(e.range, `${e.field} is argument ${p.index + 1} of ${st.func}: only the first ${ARG_REG_NAMES.length} arguments are in registers (bpftrace 0.17 fails with "array::at: __n (which is ${p.index}) >= _Nm (which is ${ARG_REG_NAMES.length})")`);
    return NONE;
  }
  if (p.type.k === 'cstruct') {
    cx.err(e.range, `${e.field} is a ${p.type.name} passed by value: bpftrace reads register ${ARG_REG_NAMES[p.index]} as if it held the struct, which it does not (take its address in the traced program, or read its registers with reg())`);
    return NONE;
  }
  const abi = abiRegister(params, p.index);
  if (abi !== ARG_REG_NAMES[p.index]) {
    cx.warn(e.range, `${e.field}: bpftrace reads argument ${p.index} from register ${ARG_REG_NAMES[p.index]}, but the System V ABI passes it ${abi ? `in ${abi}` : 'elsewhere'} (an earlier argument is a float, a struct by value or wider than 8 bytes)`);
  }
  const arg = c.args?.find((a) => a.name === e.field);
  if (arg) cx.info.fields.set(e, { via: 'args', arg, type: arg.type, offset: arg.offset });
  return p.type;
}

/**
 * A member of a struct named in a uprobe probe, from the binary's DWARF. Undefined
 * when the probe is not a uprobe with DWARF (the generic path applies); NONE after an error.
 */
export function uprobeStructField(cx: Checker, t: Extract<SType, { k: 'cstruct' }>, e: A.Field): SType | undefined {
  if (t.btfId !== undefined) return undefined;
  const st = stateOf(cx.ctx);
  const dwarf = st?.debug?.dwarf;
  if (!dwarf) return undefined;
  const fields = dwarfStructFields(dwarf, t.name) ?? [];
  const f = fields.find((x) => x.name === e.field);
  if (!f) {
    const near = closest(e.field, fields.map((x) => x.name));
    cx.err(e.range, `Struct/union of type '${t.name}' does not contain a field named '${e.field}'`, near !== undefined ? `did you mean '${near}'?` : undefined);
    return NONE;
  }
  cx.info.fields.set(e, { via: 'struct', type: f.type, offset: f.offset });
  return f.type;
}

/** A type written in a uprobe probe (`(struct pt *)arg0`): the binary's struct of that name, as bpftrace 0.17 looks casts up in DWARF first. */
export function uprobeNamedType(cx: Checker, name: string): SType | undefined {
  const dwarf = stateOf(cx.ctx)?.debug?.dwarf;
  return dwarf ? dwarfStructType(dwarf, name) : undefined;
}

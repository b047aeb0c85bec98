/**
 * Kernel types for the bpftrace type checker: BTF types as bpftrace value
 * types (char arrays as strings, structs by BTF id), tracepoint records from
 * tracefs formats, fentry/fexit and rawtracepoint arguments from BTF function
 * prototypes, and member lookup through anonymous members. Non-goals: reading
 * files (host/ does) and C definitions written in scripts (no C front end yet).
 */
import type { Btf } from '../btf/types';
import { KIND } from '../btf/format';
import type { TpFormat } from '../btf/tracepoint';
import type { UprobeDebugInfo } from './uprobe-args';
import { IntBits, NONE, SType } from './types';
import { closest } from './suggest';
import { typoBudget } from '../util/suggest';

/** What the checker knows about the target kernel (host/ fills it in). */
export interface KernelTypes {
  /** Target kernel BTF (or the default kernel bundle's). */
  btf?: Btf;
  /** A tracepoint's parsed tracefs format, or undefined when the kernel has no such tracepoint. */
  tracepoint?(category: string, event: string): TpFormat | undefined;
  /** Tracepoint subsystems and their events (to expand wildcard attach points). */
  systems?(): string[];
  events?(system: string): string[];
  /** A uprobe target's debug info (the host reads the binary's DWARF); undefined when the host cannot find the file. */
  uprobeArgs?(binaryPath: string, func: string): UprobeDebugInfo | undefined;
}

/** One argument of a probe context: a tracepoint record field or a function argument (8-byte slots). */
export interface ProbeArg {
  name: string;
  type: SType;
  /** Byte offset in the context (tracepoint record offset, or 8 * index for fentry/rawtracepoint). */
  offset: number;
  size: number;
  /** Tracepoint `__data_loc`/`__rel_loc` fields: the u32 at `offset` locates the data. */
  dynamic?: 'data_loc' | 'rel_loc';
}

/** A member found in a struct: where it is and its type. */
export interface MemberInfo {
  type: SType;
  /** Byte offset from the start of the outer struct (of the containing byte for bitfields). */
  offset: number;
  /** Bitfields only: bit offset within the byte-aligned load and width. */
  bitOffset?: number;
  bitSize?: number;
  /** BTF type id of the member (when it came from BTF). */
  btfId?: number;
}

const MAX_DEPTH = 32;

function intBits(size: number): IntBits | undefined {
  return size === 1 ? 8 : size === 2 ? 16 : size === 4 ? 32 : size === 8 ? 64 : undefined;
}

/** The script-level name of a BTF struct/union ('struct task_struct', 'union (anonymous)'). */
export function btfStructName(btf: Btf, id: number): string {
  const union = btf.kind(id) === KIND.UNION;
  const n = btf.name(id);
  return `${union ? 'union' : 'struct'} ${n === '' ? '(anonymous)' : n}`;
}

/**
 * A BTF type as a bpftrace value type: ints by size and sign (bool and char
 * included), enums as ints, `char[N]` as string[N], other arrays as arrays,
 * pointers to the converted pointee (structs are leaves by id), `void` and
 * functions as none. `boolType` chooses bool for _Bool (0.26) or uint8.
 */
export function btfToSType(btf: Btf, id: number, boolType = true, depth = 0): SType {
  if (depth > MAX_DEPTH) return NONE;
  const rid = btf.resolve(id);
  const t = btf.type(rid);
  switch (t.kind) {
    case KIND.INT: {
      if (t.bool) return boolType ? { k: 'bool' } : { k: 'int', bits: 8, signed: false };
      const bits = intBits(t.size);
      return bits === undefined ? NONE : { k: 'int', bits, signed: t.signed };
    }
    case KIND.ENUM:
    case KIND.ENUM64: {
      const bits = intBits(t.size);
      return bits === undefined ? NONE : { k: 'int', bits, signed: t.signed };
    }
    case KIND.PTR: {
      const to = btf.resolve(t.type);
      const tk = btf.kind(to);
      if (to === 0 || tk === KIND.FUNC_PROTO) return { k: 'ptr', to: NONE };
      return { k: 'ptr', to: btfToSType(btf, t.type, boolType, depth + 1) };
    }
    case KIND.ARRAY: {
      const elemId = btf.resolve(t.type);
      const et = btf.type(elemId);
      if (et.kind === KIND.INT && et.size === 1 && (et.char || btf.name(elemId) === 'char')) return { k: 'string', size: t.nelems };
      return { k: 'array', elem: btfToSType(btf, t.type, boolType, depth + 1), len: t.nelems };
    }
    case KIND.STRUCT:
    case KIND.UNION:
      return { k: 'cstruct', name: btfStructName(btf, rid), union: t.kind === KIND.UNION, size: t.size, btfId: rid };
    case KIND.FWD:
      return { k: 'cstruct', name: `${t.union ? 'union' : 'struct'} ${t.name}`, union: t.union, size: 0, btfId: rid };
    default:
      return NONE;
  }
}

/** Finds `struct NAME` / `union NAME` / a typedef to one in BTF; returns the type id. */
export function findBtfStruct(btf: Btf, written: string): number | undefined {
  const m = /^(struct|union)\s+(\S+)$/.exec(written.trim());
  const name = m ? m[2] : written.trim();
  const want = m?.[1] === 'union' ? KIND.UNION : m ? KIND.STRUCT : undefined;
  for (const id of btf.lookup(name)) {
    const k = btf.kind(id);
    if (want !== undefined ? k === want : k === KIND.STRUCT || k === KIND.UNION || k === KIND.TYPEDEF) {
      if (k === KIND.TYPEDEF) {
        const r = btf.resolve(id);
        const rk = btf.kind(r);
        if (rk === KIND.STRUCT || rk === KIND.UNION) return r;
        continue;
      }
      return id;
    }
  }
  // A forward declaration still names the type (its members are unknown).
  return want !== undefined ? btf.lookup(name, KIND.FWD)[0] : undefined;
}

const NEAR = new WeakMap<Btf, Map<string, string | undefined>>();

/**
 * "Did you mean" among BTF names of one kind that start like `name` (its
 * first `prefix` characters, after `namePrefix` such as 'btf_trace_') and are
 * about as long; cached per BTF, since editors re-check on every keystroke.
 */
export function nearBtfName(btf: Btf, name: string, kind: number, namePrefix = '', prefix = 2): string | undefined {
  const key = `${kind}:${namePrefix}:${name}`;
  let cache = NEAR.get(btf);
  if (!cache) NEAR.set(btf, (cache = new Map()));
  if (cache.has(key)) return cache.get(key);
  const budget = typoBudget(name);
  const cands: string[] = [];
  for (const c of btf.search(namePrefix + name.slice(0, prefix), kind as never, 100000)) {
    const n = c.name.slice(namePrefix.length);
    if (Math.abs(n.length - name.length) <= budget) cands.push(n);
  }
  const near = closest(name, cands);
  cache.set(key, near);
  return near;
}

/** "Did you mean" for `struct X` / `union X`. */
export function suggestStruct(btf: Btf, written: string): string | undefined {
  const m = /^(struct|union)\s+(\S+)$/.exec(written.trim());
  if (!m) return undefined;
  const near = nearBtfName(btf, m[2], m[1] === 'union' ? KIND.UNION : KIND.STRUCT, '', 1);
  return near === undefined ? undefined : `${m[1]} ${near}`;
}

/** A member of a BTF struct by name (through anonymous members), with its byte offset. */
export function btfMember(btf: Btf, structId: number, name: string, boolType = true): MemberInfo | undefined {
  const f = btf.findMember(structId, name);
  if (f === undefined) return undefined;
  const type = btfToSType(btf, f.type, boolType);
  if (f.bitSize === 0 && f.bitOffset % 8 === 0) return { type, offset: f.bitOffset / 8, btfId: f.type };
  const offset = Math.floor(f.bitOffset / 8);
  return { type, offset, bitOffset: f.bitOffset - offset * 8, bitSize: f.bitSize === 0 ? 8 * (btf.sizeof(f.type) ?? 8) : f.bitSize, btfId: f.type };
}

/** Member names of a BTF struct, anonymous members flattened (for suggestions and completion). */
export function btfMemberNames(btf: Btf, structId: number, depth = 0): string[] {
  const out: string[] = [];
  if (depth > MAX_DEPTH) return out;
  for (const m of btf.members(structId)) {
    if (m.name !== '') out.push(m.name);
    else out.push(...btfMemberNames(btf, m.type, depth + 1));
  }
  return out;
}

// ---- Tracepoint records -------------------------------------------------

const C_INTS: Record<string, boolean> = {
  char: true, short: true, int: true, long: true, 'long long': true,
  'unsigned char': false, 'unsigned short': false, 'unsigned int': false, unsigned: false, 'unsigned long': false,
  'unsigned long long': false, u8: false, u16: false, u32: false, u64: false, s8: true, s16: true, s32: true, s64: true,
  __u8: false, __u16: false, __u32: false, __u64: false, __s8: true, __s16: true, __s32: true, __s64: true,
  bool: false, _Bool: false, size_t: false, pid_t: true,
};

/** The pointee of a tracepoint field's C pointer type (`const char *` -> int8). */
function cPointee(base: string, btf: Btf | undefined, boolType: boolean): SType {
  const b = base.replace(/\b(const|volatile|__user|__percpu|__rcu)\b/g, '').replace(/\s+/g, ' ').trim();
  if (b === 'void') return NONE;
  if (b === 'char' || b === 'signed char') return { k: 'int', bits: 8, signed: true };
  if (b === 'unsigned char') return { k: 'int', bits: 8, signed: false };
  if (btf) {
    const sm = /^(struct|union) (\w+)$/.exec(b);
    if (sm) {
      const id = findBtfStruct(btf, b);
      return id !== undefined ? btfToSType(btf, id, boolType) : { k: 'cstruct', name: b, union: sm[1] === 'union', size: 0 };
    }
    const ids = btf.lookup(b);
    if (ids.length > 0) return btfToSType(btf, ids[0], boolType);
  }
  const sm = /^(struct|union) (\w+)$/.exec(b);
  if (sm) return { k: 'cstruct', name: b, union: sm[1] === 'union', size: 0 };
  return { k: 'int', bits: 64, signed: C_INTS[b] ?? false };
}

/**
 * The type bpftrace gives a tracepoint record field: `char[N]` is a string,
 * other fixed arrays are arrays of ints, pointers point to their C type,
 * `__data_loc` fields hold a u32 locator (0.17) or read as `char *` (later),
 * everything else is an int of the field's size and signedness.
 */
export function tpFieldType(f: TpFormat['fields'][number], btf: Btf | undefined, opts: { boolType: boolean; dataLocPtr: boolean }): SType {
  if (f.dynamic !== undefined) {
    return opts.dataLocPtr ? { k: 'ptr', to: { k: 'int', bits: 8, signed: true } } : { k: 'int', bits: 32, signed: false };
  }
  const type = f.type.trim();
  const arr = /^(.*)\[(\d*)\]$/.exec(type);
  if (arr && f.arrayLen !== undefined && f.arrayLen > 0) {
    const base = arr[1].replace(/\b(const|volatile)\b/g, '').trim();
    if (/^(unsigned |signed )?char$/.test(base)) return { k: 'string', size: f.arrayLen };
    const bits = intBits(f.size / f.arrayLen);
    return { k: 'array', elem: bits === undefined ? NONE : { k: 'int', bits, signed: f.signed }, len: f.arrayLen };
  }
  if (type.endsWith('*')) return { k: 'ptr', to: cPointee(type.slice(0, -1), btf, opts.boolType) };
  const bits = intBits(f.size);
  if (bits === undefined) return { k: 'array', elem: { k: 'int', bits: 8, signed: false }, len: f.size };
  if (opts.boolType && f.size === 1 && /\bbool\b/.test(type)) return { k: 'bool' };
  return { k: 'int', bits, signed: cSigned(type, btf) ?? f.signed };
}

/** Signedness of a C integer type name (bpftrace declares the field with it; `int dfd` of size 8 is an int64). */
function cSigned(type: string, btf: Btf | undefined): boolean | undefined {
  const b = type.replace(/\b(const|volatile)\b/g, '').replace(/\s+/g, ' ').trim();
  if (b in C_INTS) return C_INTS[b];
  if (/^(signed|long|short)\b/.test(b)) return true;
  if (/^unsigned\b/.test(b)) return false;
  if (!btf) return undefined;
  const id = btf.lookup(b).find((x) => btf.kind(x) === KIND.TYPEDEF);
  if (id === undefined) return undefined;
  const t = btf.type(btf.resolve(id));
  return t.kind === KIND.INT || t.kind === KIND.ENUM ? t.signed : undefined;
}

/** bpftrace's struct name for a tracepoint's record. */
export function tpStructName(category: string, event: string): string {
  return `struct _tracepoint_${category}_${event}`;
}

/** The record fields of a tracepoint (common_* fields included, flagged by offset < 8). */
const TP_ARGS = new WeakMap<TpFormat, Map<string, ProbeArg[]>>();

export function tpArgs(f: TpFormat, btf: Btf | undefined, opts: { boolType: boolean; dataLocPtr: boolean }): ProbeArg[] {
  // Cached per format (shared, never mutated): a script's probes and each re-check reuse them.
  let byOpts = TP_ARGS.get(f);
  if (!byOpts) TP_ARGS.set(f, (byOpts = new Map()));
  const key = `${opts.boolType}:${opts.dataLocPtr}:${btf !== undefined}`;
  let args = byOpts.get(key);
  if (!args) byOpts.set(key, (args = tpArgsOf(f, btf, opts)));
  return args;
}

function tpArgsOf(f: TpFormat, btf: Btf | undefined, opts: { boolType: boolean; dataLocPtr: boolean }): ProbeArg[] {
  return f.fields.map((x) => {
    const a: ProbeArg = { name: x.name, type: tpFieldType(x, btf, opts), offset: x.offset, size: x.size };
    if (x.dynamic !== undefined) a.dynamic = x.dynamic;
    return a;
  });
}

// ---- Function arguments -------------------------------------------------

/** fentry/fexit arguments of a kernel function (8-byte slots), its return type, or undefined when BTF has no such function. */
export function funcArgs(btf: Btf, name: string, boolType = true): { args: ProbeArg[]; retval: SType } | undefined {
  const fid = btf.lookup(name, KIND.FUNC)[0];
  if (fid === undefined) return undefined;
  const proto = btf.type(btf.sizeOrType(fid));
  if (proto.kind !== KIND.FUNC_PROTO) return undefined;
  const args = proto.params.map((p, i) => {
    const type = btfToSType(btf, p.type, boolType);
    return { name: p.name === '' ? `arg${i}` : p.name, type, offset: 8 * i, size: 8 };
  });
  return { args, retval: proto.type === 0 ? NONE : btfToSType(btf, proto.type, boolType) };
}

/**
 * rawtracepoint arguments: the parameters of `__probestub_NAME` (named) or of
 * the `btf_trace_NAME` typedef's prototype, without the leading `void *__data`.
 */
export function rawTracepointArgs(btf: Btf, name: string, boolType = true): ProbeArg[] | undefined {
  let params: { name: string; type: number }[] | undefined;
  const stub = btf.lookup(`__probestub_${name}`, KIND.FUNC)[0];
  if (stub !== undefined) {
    const p = btf.type(btf.sizeOrType(stub));
    if (p.kind === KIND.FUNC_PROTO) params = p.params;
  }
  if (params === undefined) {
    const td = btf.lookup(`btf_trace_${name}`, KIND.TYPEDEF)[0];
    if (td === undefined) return undefined;
    const ptr = btf.type(btf.resolve(td));
    const proto = ptr.kind === KIND.PTR ? btf.type(btf.resolve(ptr.type)) : ptr;
    if (proto.kind !== KIND.FUNC_PROTO) return undefined;
    params = proto.params;
  }
  return params.slice(1).map((p, i) => ({
    name: p.name === '' ? `arg${i}` : p.name, type: btfToSType(btf, p.type, boolType), offset: 8 * i, size: 8,
  }));
}

// ---- Enumerators ---------------------------------------------------------

const ENUMS = new WeakMap<Btf, Map<string, bigint>>();

/** Enumerator values of a BTF by name, indexed once per BTF. */
export function enumValues(btf: Btf): Map<string, bigint> {
  let m = ENUMS.get(btf);
  if (m) return m;
  m = new Map();
  for (let id = 1; id < btf.count; id++) {
    const k = btf.kind(id);
    if (k !== KIND.ENUM && k !== KIND.ENUM64) continue;
    const t = btf.type(id);
    if (t.kind === KIND.ENUM || t.kind === KIND.ENUM64) for (const v of t.values) if (!m.has(v.name)) m.set(v.name, BigInt(v.value));
  }
  ENUMS.set(btf, m);
  return m;
}

/**
 * uprobe function arguments from the traced binary's DWARF, as bpftrace 0.17
 * types them (dwarf_parser.cpp): parameter types peeled of typedefs and
 * qualifiers, ints by size and DW_ATE signedness, enums unsigned, pointers to
 * user memory, structs by name with members looked up lazily among the units'
 * top-level struct definitions, char arrays as strings; the `bpftrace -lv`
 * parameter listing; and the argument registers (System V x86-64). Pure: the
 * host reads the binary (KernelTypes.uprobeArgs). Non-goals: C++ names, other
 * architectures, arguments passed on the stack.
 */
import type { DwarfFunction, DwarfInfo, DwarfType } from '../elf/dwarf-types';
import { DW_ATE } from '../elf/dwarf-types';
import { findFunction } from '../elf/dwarf';
import { type IntBits, NONE, type SType } from './types';

/** What the host knows about a uprobe target's debug info. */
export interface UprobeDebugInfo {
  /** The binary as resolved by the host (absolute path). */
  binary: string;
  /** Its DWARF; undefined when it has none ("No debuginfo found for ..."). */
  dwarf?: DwarfInfo;
  /** The host found no such file. */
  missing?: boolean;
  /** Why debug sections the file has could not be read (zstd without a decompressor, ...). */
  problem?: string;
}

/** One parameter of a uprobe target function, typed as bpftrace types it. */
export interface UprobeParam {
  name: string;
  /** Parameter position (bpftrace reads argument N from the N-th argument register). */
  index: number;
  type: SType;
  /** The C spelling bpftrace -lv prints ('const char*', 'struct pt*', '<unknown type>'). */
  typeName: string;
  /** .debug_info offset of the parameter's type DIE. */
  dwarfType?: number;
  /** Integer registers the System V ABI uses for this parameter (0: passed in SSE registers or memory). */
  intRegs: number;
}

/** x86-64 struct pt_regs offsets of the argument registers, in order. */
export const ARG_REG_NAMES = ['di', 'si', 'dx', 'cx', 'r8', 'r9'] as const;
export const ARG_REG_OFFSETS = [112, 104, 96, 88, 72, 64] as const;

const MAX_DEPTH = 24;
const QUALIFIERS = new Set(['typedef', 'const', 'volatile', 'restrict', 'atomic']);

/** Follows typedefs and qualifiers (dwarf_peel_type). */
function peel(info: DwarfInfo, off: number | undefined): { off: number | undefined; t: DwarfType | undefined } {
  let cur = off;
  for (let i = 0; i < MAX_DEPTH && cur !== undefined; i++) {
    const t = info.types.get(cur);
    if (!t || !QUALIFIERS.has(t.kind)) return { off: cur, t };
    cur = (t as { to?: number }).to;
  }
  return { off: cur, t: undefined };
}

function intBits(bits: number): IntBits | undefined {
  return bits === 8 || bits === 16 || bits === 32 || bits === 64 ? bits : undefined;
}

/** The name a struct gets: the first name met from the reference through typedefs (bpftrace names it from the unpeeled DIE). */
function structName(info: DwarfInfo, off: number | undefined, t: Extract<DwarfType, { kind: 'struct' | 'union' | 'class' }>): string {
  const first = off !== undefined ? info.types.get(off) : undefined;
  const n = first && first.kind === 'typedef' ? first.name : t.name;
  return `${t.kind === 'union' ? 'union' : 'struct'} ${n ?? '(anonymous)'}`;
}

/** A DWARF type as bpftrace 0.17's SizedType (get_stype). */
export function dwarfSType(info: DwarfInfo, off: number | undefined, depth = 0): SType {
  if (off === undefined || depth > MAX_DEPTH) return NONE;
  const { t } = peel(info, off);
  if (!t) return NONE;
  switch (t.kind) {
    case 'base': {
      const bits = intBits(t.bitSize ?? t.size * 8);
      if (bits === undefined) return NONE;
      if (t.encoding === DW_ATE.boolean || t.encoding === DW_ATE.unsigned || t.encoding === DW_ATE.unsigned_char) return { k: 'int', bits, signed: false };
      if (t.encoding === DW_ATE.signed || t.encoding === DW_ATE.signed_char) return { k: 'int', bits, signed: true };
      return NONE;
    }
    case 'enum': {
      const bits = intBits((t.size ?? 4) * 8);
      return bits === undefined ? NONE : { k: 'int', bits, signed: false };
    }
    case 'pointer':
      return { k: 'ptr', to: t.to === undefined ? NONE : dwarfSType(info, t.to, depth + 1), user: true };
    case 'struct': case 'union': case 'class':
      return { k: 'cstruct', name: structName(info, off, t), union: t.kind === 'union', size: t.size ?? 0 };
    case 'array': {
      const { t: et } = peel(info, t.to);
      const isChar = et?.kind === 'base' && (et.encoding === DW_ATE.signed_char || et.encoding === DW_ATE.unsigned_char);
      let cur = dwarfSType(info, t.to, depth + 1);
      for (let i = t.dims.length - 1; i >= 0; i--) {
        const n = t.dims[i] ?? 0;
        cur = isChar && i === t.dims.length - 1 ? { k: 'string', size: n } : { k: 'array', elem: cur, len: n };
      }
      return cur;
    }
    default:
      return NONE;
  }
}

/** The C spelling of a parameter type, as bpftrace -lv prints it (get_type_name). */
export function dwarfTypeName(info: DwarfInfo, off: number | undefined, depth = 0): string {
  if (depth > MAX_DEPTH) return '<unknown type>';
  const t = off !== undefined ? info.types.get(off) : undefined;
  if (!t) return off === undefined ? 'void' : '<unknown type>';
  switch (t.kind) {
    case 'base': case 'typedef': return t.name;
    case 'pointer': return t.to === undefined ? 'void*' : `${dwarfTypeName(info, t.to, depth + 1)}*`;
    case 'struct': case 'union': case 'class': case 'enum': {
      const prefix = t.kind === 'union' ? 'union ' : t.kind === 'enum' ? 'enum ' : 'struct ';
      return prefix + (t.name ?? '<anonymous>');
    }
    case 'const': {
      // `const void`: bpftrace follows the missing DW_AT_type to nothing it can name.
      if (t.to === undefined) return 'const <unknown type>';
      const inner = info.types.get(t.to);
      return inner?.kind === 'pointer' ? `${dwarfTypeName(info, t.to, depth + 1)} const` : `const ${dwarfTypeName(info, t.to, depth + 1)}`;
    }
    default: return '<unknown type>';
  }
}

/** Integer registers a parameter takes under the System V x86-64 ABI (0 for float/SSE or memory). */
function abiIntRegs(info: DwarfInfo, off: number | undefined, depth = 0): number {
  const { t } = peel(info, off);
  if (!t || depth > MAX_DEPTH) return 1;
  switch (t.kind) {
    case 'base':
      if (t.encoding === DW_ATE.float || t.encoding === DW_ATE.complex_float) return 0;
      return t.size > 8 ? 2 : 1;
    case 'struct': case 'union': case 'class': {
      const size = t.size ?? 0;
      if (size > 16 || size === 0) return 0; // memory
      // Eightbytes holding only floats go in SSE registers, the others in integer registers.
      let n = 0;
      for (let eb = 0; eb < Math.ceil(size / 8); eb++) {
        const inEb = t.members.filter((m) => Math.floor((m.offset ?? 0) / 8) === eb);
        if (inEb.length === 0 || !inEb.every((m) => abiIntRegs(info, m.type, depth + 1) === 0)) n++;
      }
      return n;
    }
    default:
      return 1;
  }
}

/** The target function's parameters, or undefined when the DWARF has no such function. */
export function uprobeParams(info: DwarfInfo, func: string): UprobeParam[] | undefined {
  const f: DwarfFunction | undefined = findFunction(info, func);
  if (!f) return undefined;
  return f.params.map((p, index) => ({
    name: p.name ?? '',
    index,
    type: dwarfSType(info, p.type),
    typeName: dwarfTypeName(info, p.type),
    ...(p.type !== undefined ? { dwarfType: p.type } : {}),
    intRegs: abiIntRegs(info, p.type),
  }));
}

/** The register System V x86-64 passes parameter `index` in, when every earlier one took its own integer register. */
export function abiRegister(params: readonly UprobeParam[], index: number): string | undefined {
  let used = 0;
  for (let i = 0; i < index; i++) used += params[i].intRegs;
  const p = params[index];
  if (!p || p.intRegs !== 1 || used >= ARG_REG_NAMES.length) return undefined;
  return ARG_REG_NAMES[used];
}

/** `bpftrace -lv` lines of one function: the probe line, then one indented line per parameter. */
export function listFunction(binary: string, info: DwarfInfo, func: string, provider = 'uprobe'): string {
  const ps = uprobeParams(info, func) ?? [];
  return [`${provider}:${binary}:${func}`, ...ps.map((p) => `    ${p.typeName} ${p.name}`)].join('\n') + '\n';
}

export interface StructField { name: string; type: SType; offset: number }

/**
 * Members of a struct named in a uprobe probe ('struct pt'), as bpftrace 0.17
 * resolves them: the first top-level structure_type of that name in the units;
 * unions, declarations and structs with bitfields have none (bpftrace leaves
 * those to its C parser, which knows nothing of the binary).
 */
export function dwarfStructFields(info: DwarfInfo, name: string): StructField[] | undefined {
  if (!name.startsWith('struct ')) return undefined;
  const off = info.topStructs.get(name.slice('struct '.length));
  const t = off !== undefined ? info.types.get(off) : undefined;
  if (!t || t.kind !== 'struct' || t.declaration) return undefined;
  if (t.members.some((m) => m.bitSize !== undefined)) return undefined;
  return t.members.map((m) => ({ name: m.name ?? '', type: dwarfSType(info, m.type), offset: m.offset ?? m.dataBitOffset ?? 0 }));
}

/** The struct type a name refers to in the binary ('struct pt': the first top-level definition), as a cast target. */
export function dwarfStructType(info: DwarfInfo, name: string): SType | undefined {
  if (!name.startsWith('struct ')) return undefined;
  const off = info.topStructs.get(name.slice('struct '.length));
  return off === undefined ? undefined : dwarfSType(info, off);
}

/**
 * bpftrace value types (what the type checker infers, what code generation
 * lays out in BPF memory, what the output formatter decodes), with their
 * sizes and bpftrace's spelling of them. Non-goals: inference itself
 * (typecheck.ts) and BPF storage of aggregations (codegen).
 */

export type IntBits = 8 | 16 | 32 | 64;

export type AggFn = 'count' | 'sum' | 'avg' | 'min' | 'max' | 'stats' | 'hist' | 'lhist' | 'tseries';

/** Special bpftrace values that print in their own way. */
export type SpecialKind =
  | 'ksym'
  | 'usym'
  | 'username'
  | 'probe'
  | 'cgroup_path'
  | 'strerror'
  | 'timestamp'
  | 'mac'
  | 'inet'
  | 'kstack'
  | 'ustack';

export type SType =
  /** Statements, void calls, unknown after an error. */
  | { k: 'none' }
  | { k: 'int'; bits: IntBits; signed: boolean }
  | { k: 'bool' }
  /** A NUL-padded char array of `size` bytes (str(): the strlen setting, 64 by default). */
  | { k: 'string'; size: number }
  /** buf(): a length byte then `size` bytes. */
  | { k: 'buffer'; size: number }
  /** A pointer; `to` is the pointee (a C type from BTF or the script). */
  | { k: 'ptr'; to: SType; user?: boolean }
  /** A C struct or union, by BTF type id in the target BTF when it comes from there. */
  | { k: 'cstruct'; name: string; union: boolean; size: number; btfId?: number }
  | { k: 'array'; elem: SType; len: number }
  | { k: 'tuple'; elems: SType[] }
  | { k: 'record'; fields: { name: string; type: SType }[] }
  /** Special values; `size` is their storage in bytes. */
  | { k: 'special'; kind: SpecialKind; size: number }
  /** A map value produced by an aggregation function; `args` are lhist's min, max, step. */
  | { k: 'agg'; fn: AggFn; signed: boolean; args?: bigint[] };

export const NONE: SType = { k: 'none' };
export const BOOL: SType = { k: 'bool' };
export const U64: SType = { k: 'int', bits: 64, signed: false };
export const S64: SType = { k: 'int', bits: 64, signed: true };
export const U32: SType = { k: 'int', bits: 32, signed: false };
export const S32: SType = { k: 'int', bits: 32, signed: true };

export function intType(bits: IntBits, signed: boolean): SType {
  return { k: 'int', bits, signed };
}

/** Alignment of a stored value (natural alignment, at most 8). */
export function alignOf(t: SType): number {
  switch (t.k) {
    case 'int':
      return t.bits / 8;
    case 'bool':
    case 'string':
    case 'buffer':
      return 1;
    case 'array':
      return alignOf(t.elem);
    case 'tuple':
      return t.elems.reduce((a, e) => Math.max(a, alignOf(e)), 1);
    case 'record':
      return t.fields.reduce((a, f) => Math.max(a, alignOf(f.type)), 1);
    case 'cstruct':
    case 'ptr':
    case 'special':
    case 'agg':
      return 8;
    case 'none':
      return 1;
  }
}

/** Bytes a value of the type takes when stored (map keys and values, output records). */
export function sizeOf(t: SType): number {
  switch (t.k) {
    case 'none':
      return 0;
    case 'int':
      return t.bits / 8;
    case 'bool':
      return 1;
    case 'string':
      return t.size;
    case 'buffer':
      return t.size + 1;
    case 'ptr':
      return 8;
    case 'cstruct':
      return t.size;
    case 'array':
      return sizeOf(t.elem) * t.len;
    case 'tuple':
      return layoutOf(t.elems).size;
    case 'record':
      return layoutOf(t.fields.map((f) => f.type)).size;
    case 'special':
      return t.size;
    case 'agg':
      return 8;
  }
}

/** C-style layout of consecutive elements (tuples, records, output records): offsets and padded size. */
export function layoutOf(elems: readonly SType[]): { offsets: number[]; size: number; align: number } {
  let off = 0;
  let align = 1;
  const offsets: number[] = [];
  for (const e of elems) {
    const a = alignOf(e);
    align = Math.max(align, a);
    off = Math.ceil(off / a) * a;
    offsets.push(off);
    off += sizeOf(e);
  }
  return { offsets, size: Math.ceil(off / align) * align, align };
}

/** bpftrace's spelling, as in its error messages and `typeof` printing. */
export function typeName(t: SType): string {
  switch (t.k) {
    case 'none':
      return 'none';
    case 'int':
      return `${t.signed ? 'int' : 'uint'}${t.bits}`;
    case 'bool':
      return 'bool';
    case 'string':
      return `string[${t.size}]`;
    case 'buffer':
      return `buffer[${t.size}]`;
    case 'ptr':
      return `${typeName(t.to)} *`;
    case 'cstruct':
      return t.name;
    case 'array':
      return `${typeName(t.elem)}[${t.len}]`;
    case 'tuple':
      return `(${t.elems.map(typeName).join(',')})`;
    case 'record':
      return `(${t.fields.map((f) => `${f.name}=${typeName(f.type)}`).join(',')})`;
    case 'special':
      return t.kind;
    case 'agg':
      return `${t.fn}_t`;
  }
}

export function sameType(a: SType, b: SType): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

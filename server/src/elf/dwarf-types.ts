/**
 * DWARF 4/5 data model for the type reader (dwarf.ts): the tag, attribute,
 * form and base-type encoding codes it uses (DWARF 5 spec, section 7) and the
 * plain objects it returns — functions with their formal parameters, and a
 * type graph keyed by .debug_info offset. No parsing here, no line tables,
 * locations or call frames.
 */

export const DW_TAG = {
  array_type: 0x01, class_type: 0x02, enumeration_type: 0x04, formal_parameter: 0x05, lexical_block: 0x0b,
  member: 0x0d, pointer_type: 0x0f, reference_type: 0x10, compile_unit: 0x11, structure_type: 0x13,
  subroutine_type: 0x15, typedef: 0x16, union_type: 0x17, unspecified_parameters: 0x18, inlined_subroutine: 0x1d,
  subrange_type: 0x21, base_type: 0x24, const_type: 0x26, enumerator: 0x28, subprogram: 0x2e, variable: 0x34,
  volatile_type: 0x35, restrict_type: 0x37, namespace: 0x39, unspecified_type: 0x3b, partial_unit: 0x3c,
  type_unit: 0x41, rvalue_reference_type: 0x42, atomic_type: 0x47, skeleton_unit: 0x4a,
} as const;

export const DW_AT = {
  name: 0x03, byte_size: 0x0b, bit_offset: 0x0c, bit_size: 0x0d, low_pc: 0x11, high_pc: 0x12, language: 0x13,
  producer: 0x25, upper_bound: 0x2f, abstract_origin: 0x31, count: 0x37, data_member_location: 0x38,
  declaration: 0x3c, encoding: 0x3e, external: 0x3f, specification: 0x47, type: 0x49, const_value: 0x1c,
  inline: 0x20, data_bit_offset: 0x6b, str_offsets_base: 0x72, addr_base: 0x73, linkage_name: 0x6e,
  GNU_addr_base: 0x2133,
} as const;

export const DW_FORM = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block: 0x09,
  block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, ref_addr: 0x10, ref1: 0x11,
  ref2: 0x12, ref4: 0x13, ref8: 0x14, ref_udata: 0x15, indirect: 0x16, sec_offset: 0x17, exprloc: 0x18,
  flag_present: 0x19, strx: 0x1a, addrx: 0x1b, ref_sup4: 0x1c, strp_sup: 0x1d, data16: 0x1e, line_strp: 0x1f,
  ref_sig8: 0x20, implicit_const: 0x21, loclistx: 0x22, rnglistx: 0x23, ref_sup8: 0x24, strx1: 0x25, strx2: 0x26,
  strx3: 0x27, strx4: 0x28, addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
  GNU_addr_index: 0x1f01, GNU_str_index: 0x1f02, GNU_ref_alt: 0x1f20, GNU_strp_alt: 0x1f21,
} as const;

/** Base type encodings (DW_ATE_*). */
export const DW_ATE = {
  address: 0x01, boolean: 0x02, complex_float: 0x03, float: 0x04, signed: 0x05, signed_char: 0x06,
  unsigned: 0x07, unsigned_char: 0x08, UTF: 0x10,
} as const;

/** A problem in a debug section, by section name and byte offset in it. */
export interface DwarfDiagnostic {
  section: string;
  offset: number;
  message: string;
}

export interface DwarfMember {
  name?: string;
  /** .debug_info offset of the member's type DIE. */
  type?: number;
  /** Byte offset (DW_AT_data_member_location as a constant or DW_OP_plus_uconst). */
  offset?: number;
  bitSize?: number;
  /** DW_AT_data_bit_offset (DWARF 4+) or the old big-endian-style DW_AT_bit_offset. */
  dataBitOffset?: number;
  bitOffset?: number;
}

/** A type DIE, with references to other types as .debug_info offsets. */
export type DwarfType =
  | { kind: 'base'; name: string; size: number; encoding: number; bitSize?: number }
  | { kind: 'pointer' | 'reference' | 'rvalue_reference'; to?: number; size?: number }
  | { kind: 'typedef'; name: string; to?: number }
  | { kind: 'const' | 'volatile' | 'restrict' | 'atomic'; to?: number }
  | { kind: 'struct' | 'union' | 'class'; name?: string; size?: number; declaration: boolean; members: DwarfMember[] }
  | { kind: 'enum'; name?: string; size?: number; to?: number; enumerators: { name: string; value: bigint }[] }
  /** One entry per dimension, outermost first; undefined where no bound is given (flexible arrays). */
  | { kind: 'array'; to?: number; dims: (number | undefined)[] }
  | { kind: 'subroutine'; to?: number }
  | { kind: 'unspecified'; name?: string };

export type DwarfTypeKind = DwarfType['kind'];

export interface DwarfParam {
  /** Name and type after following DW_AT_abstract_origin (concrete out-of-line copies of inlined functions). */
  name?: string;
  type?: number;
}

export interface DwarfFunction {
  name: string;
  /** .debug_info offset of the subprogram DIE. */
  offset: number;
  /** Index into DwarfInfo.units. */
  unit: number;
  lowPc?: bigint;
  /** A declaration only (DW_AT_declaration): no code, no parameter names as a rule. */
  declaration: boolean;
  external: boolean;
  params: DwarfParam[];
  /** Ends in `...` (DW_TAG_unspecified_parameters). */
  variadic: boolean;
  returnType?: number;
}

export interface DwarfUnit {
  offset: number;
  version: number;
  /** DW_UT_* (1 compile, 2 type, 3 partial, 4 skeleton, 5 split_compile, 6 split_type); 1 for DWARF 4 .debug_info. */
  unitType: number;
  addressSize: number;
  /** 4 (32-bit DWARF) or 8 (64-bit DWARF). */
  offsetSize: number;
  name?: string;
  producer?: string;
}

export interface DwarfInfo {
  units: DwarfUnit[];
  /** Every subprogram DIE with a name, in .debug_info order. */
  functions: DwarfFunction[];
  /** Type DIEs by .debug_info offset. */
  types: Map<number, DwarfType>;
  /** Struct types (DW_TAG_structure_type) that are direct children of a unit, first one per name. */
  topStructs: Map<string, number>;
  diagnostics: DwarfDiagnostic[];
}

/** The debug sections the reader uses (already decompressed). */
export interface DwarfSections {
  littleEndian: boolean;
  info?: Uint8Array;
  abbrev?: Uint8Array;
  str?: Uint8Array;
  lineStr?: Uint8Array;
  strOffsets?: Uint8Array;
  addr?: Uint8Array;
}

/**
 * Instruction documentation for hovers: the spec's doc line, CPU version and
 * the raw encoding fields of one instruction. Pure data; the LSP layer turns it
 * into markdown.
 */
import { Insn, encode } from '../isa';
import { formatInsn } from './format';

export interface InsnDoc {
  /** Opcode-table name (the conformance mnemonic). */
  name: string;
  doc: string;
  /** Minimum CPU version (1..4). */
  cpu: number;
  opcode: number;
  /** Raw fields; imm2 only for lddw. Fields the instruction does not use are listed in `unused`. */
  fields: { dst: number; src: number; off: number; imm: number; imm2?: number };
  unused: string[];
  /** The 8 or 16 encoded bytes as hex pairs separated by spaces. */
  hex: string;
  llvm: string;
  conformance: string;
}

export function describeInsn(insn: Insn): InsnDoc {
  const s = insn.spec;
  const fields: InsnDoc['fields'] = { dst: insn.dst, src: insn.src, off: insn.off, imm: insn.imm };
  if (s.kind === 'lddw') fields.imm2 = insn.imm2 ?? 0;
  const unused = (['dst', 'src', 'off', 'imm'] as const).filter((k) => !s.fields[k]
    && !(k === 'src' && s.srcIs !== undefined) && !(k === 'off' && s.offIs !== undefined) && !(k === 'imm' && s.immIs !== undefined));
  return {
    name: s.name,
    doc: s.doc,
    cpu: s.cpu,
    opcode: s.code,
    fields,
    unused,
    hex: Array.from(encode([insn]), (b) => b.toString(16).padStart(2, '0')).join(' '),
    llvm: formatInsn(insn, { syntax: 'llvm' }),
    conformance: formatInsn(insn, { syntax: 'conformance' }),
  };
}

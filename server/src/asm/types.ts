/**
 * Result and diagnostic types of the assembler (the `asm` contract in
 * notes/CONTRACTS.md). Plain data only: offsets and 0-based line/column, no
 * editor or protocol types.
 */
import type { Insn } from '../isa';
import type { AsmMap, AsmSection } from './directives';

export type { AsmMap, AsmSection };

export type Syntax = 'llvm' | 'conformance';

/** 0-based line/col; start/end are offsets into the text. */
export interface SourceRange { start: number; end: number; line: number; col: number; endLine: number; endCol: number }

export interface AsmDiagnostic { range: SourceRange; severity: 'error' | 'warning'; message: string }

export interface AsmResult {
  /** Laid out: insn.pc is the slot index. */
  insns: Insn[];
  /** Never throws; errors say what was expected. */
  diagnostics: AsmDiagnostic[];
  /** lines[k] = 0-based source line of insns[k]. */
  lines: number[];
  /** Label -> slot pc. */
  labels: Map<string, number>;
  /** Given or detected. */
  syntax: Syntax;
  /** Maps declared with `.map`, in order: `map[NAME]` assembles to `map[fd:i]` with i the index here. */
  maps: AsmMap[];
  /** The program section named with `.section` (libbpf name: `xdp`, `kprobe/f`), if any. */
  section?: AsmSection;
}

export interface AsmOptions { syntax?: Syntax | 'auto' }

export interface FormatOptions {
  syntax?: Syntax;
  /** Slot pc -> label name; jumps and local calls to a labelled slot print the name instead of an offset. */
  labels?: ReadonlyMap<number, string>;
}

export interface DisasmOptions { syntax?: Syntax; labels?: boolean }

/**
 * The parsers' output for one instruction line: the spec and fields known so
 * far, plus a symbolic jump target or call name that the driver resolves once
 * every label is known.
 */
import type { OpSpec } from '../isa';
import type { LineError, Tok } from './lexer';
import type { Target } from './cursor';

export interface Pending {
  spec: OpSpec;
  dst: number;
  src: number;
  off: number;
  imm: number;
  imm2?: number;
  /** Jump or local-call target; fills `off` (jumps) or `imm` (ja32, local call, lddw func). */
  target?: Target;
  /** `call NAME` of the LLVM syntax: a local call when NAME is a label, else a helper. */
  callName?: Tok;
  /** A map referred to by its `.map` name (`map[NAME]`, `NAME ll`): fills `imm` with the map's index. */
  mapRef?: Tok;
  /** A non-fatal remark on the line (the instruction is still assembled). */
  warning?: LineError;
}

export function pending(spec: OpSpec, f: Partial<Omit<Pending, 'spec'>> = {}): Pending {
  return {
    spec,
    dst: f.dst ?? 0,
    src: f.src ?? spec.srcIs ?? 0,
    off: f.off ?? spec.offIs ?? 0,
    imm: f.imm ?? spec.immIs ?? 0,
    ...(f.imm2 !== undefined ? { imm2: f.imm2 } : spec.kind === 'lddw' ? { imm2: 0 } : {}),
    ...(f.target ? { target: f.target } : {}),
    ...(f.callName ? { callName: f.callName } : {}),
    ...(f.mapRef ? { mapRef: f.mapRef } : {}),
  };
}

/**
 * The wording of the VM's execution faults, shared by the interpreter and the
 * JIT so both engines say exactly the same thing (the differential tests
 * compare messages). Memory faults are worded by Memory.fault().
 */
import { helperName } from '../isa/helpers';
import { MAX_FRAMES } from './types';

function helperLabel(id: number): string {
  const n = helperName(id);
  return n !== undefined ? ` (${n})` : '';
}

export const faultText = {
  callDepth: (pc: number, frame: number): string =>
    `call depth exceeds ${MAX_FRAMES} frames: the call at pc ${pc} would start frame ${frame}`,
  badCallx: (reg: number, v: bigint): string =>
    `callx through r${reg} = 0x${v.toString(16)}, which is neither a known helper id nor a function address`,
  unknownHelper: (id: number, pc: number): string =>
    `call to unknown or unsupported helper #${id}${helperLabel(id)} at pc ${pc}`,
  helperThrew: (name: string | undefined, e: unknown): string =>
    `internal error in ${name !== undefined ? `helper bpf_${name}` : 'a helper'}: ${(e as Error).message}`,
  callbackProgram: (): string => 'callback in an unknown program',
  callbackOutside: (pc: number): string => `callback at pc ${pc} is outside the program`,
};

/**
 * Small tools for helper implementations: reading and writing program memory
 * with faults at the calling pc, map argument checks, unsigned/signed
 * conversions. Non-goal: any helper's own behaviour.
 */
import type { HelperContext } from './helpers-types';
import type { BpfMap } from './maps/types';
import type { VmFault } from './types';

export const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);
/** A negative errno as the unsigned 64-bit value r0 holds. */
export const err = (errno: number): bigint => BigInt.asUintN(64, BigInt(-Math.abs(errno)));
export const u32 = (v: bigint): number => Number(v & 0xffffffffn);

/** Bytes at addr (a view), or a memory fault naming the helper's argument. */
export function readArg(c: HelperContext, addr: bigint, size: number): Uint8Array | VmFault {
  if (size === 0) return new Uint8Array(0);
  const b = c.memory.read(addr, size);
  return b ?? c.memFaultHere(addr, size, false);
}

/** Writes bytes at addr, or returns a memory fault. */
export function writeArg(c: HelperContext, addr: bigint, data: Uint8Array): VmFault | undefined {
  if (data.byteLength === 0) return undefined;
  return c.memory.write(addr, data) ? undefined : c.memFaultHere(addr, data.byteLength, true);
}

/** The map r1 (or another argument) points to, or a 'helper' fault naming the helper. */
export function mapArg(c: HelperContext, helper: string, addr: bigint): BpfMap | VmFault {
  const m = c.mapAt(addr);
  return m ?? c.fault('helper', `bpf_${helper}: 0x${addr.toString(16)} is not a map pointer`);
}

export function isBytes(v: Uint8Array | VmFault): v is Uint8Array {
  return v instanceof Uint8Array;
}

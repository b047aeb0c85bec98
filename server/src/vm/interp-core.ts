/**
 * The interpreter's machine state and hot loop: registers as (hi, lo) int32
 * halves in two Int32Arrays, a predecoded program (interp-decode.ts) and one
 * switch per executed instruction. Calls, exits, helpers, packet loads and
 * atomics take slow paths that return the next slot or -1 when the run stops.
 * Public API (stepping, inspection) is in interp.ts. Non-goal: verification.
 */
import {
  TWO32, bswap16, bswap32, divmod32, divmod64, mul64, sdivmod64, toBig,
} from './alu64';
import { DEFAULT_HELPERS } from './helpers';
import type { HelperGenerator, HelperTable } from './helpers-types';
import { isFault } from './helpers-types';
import { Code, predecode } from './interp-decode';
import { Machine } from './machine';
import { Insn } from '../isa/insn';
import { faultText } from './fault-messages';
import { MAX_FRAMES, VmFault, VmOptions, budgetMessage } from './types';

/** A call frame: where it returns, the caller's r6-r10, and (for callbacks) the helper to resume. */
export interface Frame {
  /** Global slot of the frame's entry. */
  entry: number;
  /** Global slot of the call instruction in the caller (-1 for frame 0). */
  callPc: number;
  /** Global slot to continue at in the caller. */
  ret: number;
  program: number;
  /** Caller's r6..r10 as lo, hi pairs. */
  saved: Int32Array;
  gen?: HelperGenerator;
}

export class Core {
  readonly m: Machine;
  readonly code: Code;
  readonly helpers: HelperTable;
  readonly L = new Int32Array(32);
  readonly H = new Int32Array(32);
  /** Current global slot. */
  gpc = 0;
  steps = 0;
  done = false;
  result: bigint | undefined;
  fault: VmFault | undefined;
  frameStack: Frame[] = [];

  constructor(insns: readonly Insn[], opts: VmOptions = {}) {
    this.m = new Machine(insns, opts);
    this.helpers = opts.helpers ?? DEFAULT_HELPERS;
    this.code = predecode(this.m.programs, (i, p) => this.m.lddwValue(i, p));
  }

  /** Program-local pc of a global slot. */
  local(g: number): number {
    return g - this.code.base[this.code.prog[g]];
  }

  protected stop(f: VmFault): number {
    this.fault = f;
    this.done = true;
    return -1;
  }

  protected faultAt(g: number, kind: VmFault['kind'], message: string): number {
    this.gpc = g; // the faulting instruction stays the current one (the debugger shows it)
    return this.stop({ kind, pc: this.local(g), message });
  }

  private memFault(g: number, hi: number, lo: number, size: number, write: boolean): number {
    this.gpc = g;
    return this.stop(this.m.memFault(this.local(g), toBig(hi, lo), size, write));
  }

  /**
   * Executes until `limit` steps have run, the run ends, or (with `bp`) a
   * breakpoint slot is reached — except on the first instruction when `skipFirst`.
   * Returns true when stopped at a breakpoint.
   */
  exec(limit: number, bp: Uint8Array | undefined, skipFirst = true): boolean {
    const P = this.code.packed;
    const L = this.L, H = this.H;
    const mem = this.m.memory;
    // One-entry cache of the last region accessed (hi, lo, length, view, writable); dropped after helper calls,
    // which may free or re-protect regions.
    let cHi = -1, cLo = 0, cLen = 0, cW = false;
    let cDv: DataView = new DataView(new ArrayBuffer(0));
    let pc = this.gpc;
    let steps = this.steps;
    let first = skipFirst;
    let atBp = false;
    for (;;) {
      if (steps >= limit) break;
      if (bp !== undefined && bp[pc] !== 0 && !first) { atBp = true; break; }
      first = false;
      steps++;
      const w = P[pc << 2];
      switch (w & 255) {
        // ---- ALU64, immediate source (sign-extended) ----
        case 0: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2], a = L[d], s = (a + b) | 0; L[d] = s; H[d] = (H[d] + (b >> 31) + ((s >>> 0) < (a >>> 0) ? 1 : 0)) | 0; pc++; continue; }
        case 1: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2], a = L[d]; L[d] = (a - b) | 0; H[d] = (H[d] - (b >> 31) - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; pc++; continue; }
        case 2: { const b = P[(pc << 2) + 2]; mul64(L, H, ((w >> 8) & 15), b, b >> 31); pc++; continue; }
        case 3: { const b = P[(pc << 2) + 2]; divmod64(L, H, ((w >> 8) & 15), b, b >> 31, false); pc++; continue; }
        case 4: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2]; L[d] |= b; H[d] |= b >> 31; pc++; continue; }
        case 5: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2]; L[d] &= b; H[d] &= b >> 31; pc++; continue; }
        case 6: { const d = ((w >> 8) & 15), n = P[(pc << 2) + 2] & 63; if (n !== 0) { if (n < 32) { H[d] = (H[d] << n) | (L[d] >>> (32 - n)); L[d] <<= n; } else { H[d] = L[d] << (n - 32); L[d] = 0; } } pc++; continue; }
        case 7: { const d = ((w >> 8) & 15), n = P[(pc << 2) + 2] & 63; if (n !== 0) { if (n < 32) { L[d] = (L[d] >>> n) | (H[d] << (32 - n)); H[d] = H[d] >>> n; } else { L[d] = H[d] >>> (n - 32); H[d] = 0; } } pc++; continue; }
        case 8: { const d = ((w >> 8) & 15), lo = L[d]; L[d] = -lo; H[d] = ~H[d] + (lo === 0 ? 1 : 0); pc++; continue; }
        case 9: { const b = P[(pc << 2) + 2]; divmod64(L, H, ((w >> 8) & 15), b, b >> 31, true); pc++; continue; }
        case 10: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2]; L[d] ^= b; H[d] ^= b >> 31; pc++; continue; }
        case 11: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2]; L[d] = b; H[d] = b >> 31; pc++; continue; }
        case 12: { const d = ((w >> 8) & 15), n = P[(pc << 2) + 2] & 63; if (n !== 0) { if (n < 32) { L[d] = (L[d] >>> n) | (H[d] << (32 - n)); H[d] >>= n; } else { L[d] = H[d] >> (n - 32); H[d] >>= 31; } } pc++; continue; }
        case 14: { const b = P[(pc << 2) + 2]; sdivmod64(L, H, ((w >> 8) & 15), b, b >> 31, false); pc++; continue; }
        case 15: { const b = P[(pc << 2) + 2]; sdivmod64(L, H, ((w >> 8) & 15), b, b >> 31, true); pc++; continue; }
        // ---- ALU64, register source ----
        case 16: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15), a = L[d], s = (a + L[r]) | 0; L[d] = s; H[d] = (H[d] + H[r] + ((s >>> 0) < (a >>> 0) ? 1 : 0)) | 0; pc++; continue; }
        case 17: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15), a = L[d], b = L[r]; L[d] = (a - b) | 0; H[d] = (H[d] - H[r] - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; pc++; continue; }
        case 18: { const r = ((w >> 16) & 15); mul64(L, H, ((w >> 8) & 15), L[r], H[r]); pc++; continue; }
        case 19: { const r = ((w >> 16) & 15); divmod64(L, H, ((w >> 8) & 15), L[r], H[r], false); pc++; continue; }
        case 20: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15); L[d] |= L[r]; H[d] |= H[r]; pc++; continue; }
        case 21: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15); L[d] &= L[r]; H[d] &= H[r]; pc++; continue; }
        case 22: { const d = ((w >> 8) & 15), n = L[((w >> 16) & 15)] & 63; if (n !== 0) { if (n < 32) { H[d] = (H[d] << n) | (L[d] >>> (32 - n)); L[d] <<= n; } else { H[d] = L[d] << (n - 32); L[d] = 0; } } pc++; continue; }
        case 23: { const d = ((w >> 8) & 15), n = L[((w >> 16) & 15)] & 63; if (n !== 0) { if (n < 32) { L[d] = (L[d] >>> n) | (H[d] << (32 - n)); H[d] = H[d] >>> n; } else { L[d] = H[d] >>> (n - 32); H[d] = 0; } } pc++; continue; }
        case 25: { const r = ((w >> 16) & 15); divmod64(L, H, ((w >> 8) & 15), L[r], H[r], true); pc++; continue; }
        case 26: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15); L[d] ^= L[r]; H[d] ^= H[r]; pc++; continue; }
        case 27: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15); L[d] = L[r]; H[d] = H[r]; pc++; continue; }
        case 28: { const d = ((w >> 8) & 15), n = L[((w >> 16) & 15)] & 63; if (n !== 0) { if (n < 32) { L[d] = (L[d] >>> n) | (H[d] << (32 - n)); H[d] >>= n; } else { L[d] = H[d] >> (n - 32); H[d] >>= 31; } } pc++; continue; }
        case 30: { const r = ((w >> 16) & 15); sdivmod64(L, H, ((w >> 8) & 15), L[r], H[r], false); pc++; continue; }
        case 31: { const r = ((w >> 16) & 15); sdivmod64(L, H, ((w >> 8) & 15), L[r], H[r], true); pc++; continue; }
        // ---- ALU32, immediate source (results zero-extended; JS masks shift counts by 31) ----
        case 32: { const d = ((w >> 8) & 15); L[d] = L[d] + P[(pc << 2) + 2]; H[d] = 0; pc++; continue; }
        case 33: { const d = ((w >> 8) & 15); L[d] = L[d] - P[(pc << 2) + 2]; H[d] = 0; pc++; continue; }
        case 34: { const d = ((w >> 8) & 15); L[d] = Math.imul(L[d], P[(pc << 2) + 2]); H[d] = 0; pc++; continue; }
        case 35: divmod32(L, H, ((w >> 8) & 15), P[(pc << 2) + 2], false, false); pc++; continue;
        case 36: { const d = ((w >> 8) & 15); L[d] |= P[(pc << 2) + 2]; H[d] = 0; pc++; continue; }
        case 37: { const d = ((w >> 8) & 15); L[d] &= P[(pc << 2) + 2]; H[d] = 0; pc++; continue; }
        case 38: { const d = ((w >> 8) & 15); L[d] <<= P[(pc << 2) + 2]; H[d] = 0; pc++; continue; }
        case 39: { const d = ((w >> 8) & 15); L[d] = L[d] >>> P[(pc << 2) + 2]; H[d] = 0; pc++; continue; }
        case 40: { const d = ((w >> 8) & 15); L[d] = -L[d]; H[d] = 0; pc++; continue; }
        case 41: divmod32(L, H, ((w >> 8) & 15), P[(pc << 2) + 2], true, false); pc++; continue;
        case 42: { const d = ((w >> 8) & 15); L[d] ^= P[(pc << 2) + 2]; H[d] = 0; pc++; continue; }
        case 43: { const d = ((w >> 8) & 15); L[d] = P[(pc << 2) + 2]; H[d] = 0; pc++; continue; }
        case 44: { const d = ((w >> 8) & 15); L[d] >>= P[(pc << 2) + 2]; H[d] = 0; pc++; continue; }
        case 46: divmod32(L, H, ((w >> 8) & 15), P[(pc << 2) + 2], false, true); pc++; continue;
        case 47: divmod32(L, H, ((w >> 8) & 15), P[(pc << 2) + 2], true, true); pc++; continue;
        // ---- ALU32, register source ----
        case 48: { const d = ((w >> 8) & 15); L[d] = L[d] + L[((w >> 16) & 15)]; H[d] = 0; pc++; continue; }
        case 49: { const d = ((w >> 8) & 15); L[d] = L[d] - L[((w >> 16) & 15)]; H[d] = 0; pc++; continue; }
        case 50: { const d = ((w >> 8) & 15); L[d] = Math.imul(L[d], L[((w >> 16) & 15)]); H[d] = 0; pc++; continue; }
        case 51: divmod32(L, H, ((w >> 8) & 15), L[((w >> 16) & 15)], false, false); pc++; continue;
        case 52: { const d = ((w >> 8) & 15); L[d] |= L[((w >> 16) & 15)]; H[d] = 0; pc++; continue; }
        case 53: { const d = ((w >> 8) & 15); L[d] &= L[((w >> 16) & 15)]; H[d] = 0; pc++; continue; }
        case 54: { const d = ((w >> 8) & 15); L[d] <<= L[((w >> 16) & 15)]; H[d] = 0; pc++; continue; }
        case 55: { const d = ((w >> 8) & 15); L[d] = L[d] >>> L[((w >> 16) & 15)]; H[d] = 0; pc++; continue; }
        case 57: divmod32(L, H, ((w >> 8) & 15), L[((w >> 16) & 15)], true, false); pc++; continue;
        case 58: { const d = ((w >> 8) & 15); L[d] ^= L[((w >> 16) & 15)]; H[d] = 0; pc++; continue; }
        case 59: { const d = ((w >> 8) & 15); L[d] = L[((w >> 16) & 15)]; H[d] = 0; pc++; continue; }
        case 60: { const d = ((w >> 8) & 15); L[d] >>= L[((w >> 16) & 15)]; H[d] = 0; pc++; continue; }
        case 62: divmod32(L, H, ((w >> 8) & 15), L[((w >> 16) & 15)], false, true); pc++; continue;
        case 63: divmod32(L, H, ((w >> 8) & 15), L[((w >> 16) & 15)], true, true); pc++; continue;
        // ---- movsx ----
        case 64: { const d = ((w >> 8) & 15), v = (L[((w >> 16) & 15)] << 24) >> 24; L[d] = v; H[d] = v >> 31; pc++; continue; }
        case 65: { const d = ((w >> 8) & 15), v = (L[((w >> 16) & 15)] << 16) >> 16; L[d] = v; H[d] = v >> 31; pc++; continue; }
        case 66: { const d = ((w >> 8) & 15), v = L[((w >> 16) & 15)]; L[d] = v; H[d] = v >> 31; pc++; continue; }
        case 67: { const d = ((w >> 8) & 15); L[d] = (L[((w >> 16) & 15)] << 24) >> 24; H[d] = 0; pc++; continue; }
        case 68: { const d = ((w >> 8) & 15); L[d] = (L[((w >> 16) & 15)] << 16) >> 16; H[d] = 0; pc++; continue; }
        // ---- byte swaps (little-endian host: le truncates, be and bswap swap) ----
        case 69: { const d = ((w >> 8) & 15); L[d] &= 0xffff; H[d] = 0; pc++; continue; }
        case 70: H[((w >> 8) & 15)] = 0; pc++; continue;
        case 71: pc++; continue;
        case 72: case 75: { const d = ((w >> 8) & 15); L[d] = bswap16(L[d]); H[d] = 0; pc++; continue; }
        case 73: case 76: { const d = ((w >> 8) & 15); L[d] = bswap32(L[d]); H[d] = 0; pc++; continue; }
        case 74: case 77: { const d = ((w >> 8) & 15), t = bswap32(L[d]); L[d] = bswap32(H[d]); H[d] = t; pc++; continue; }
        // ---- JMP, immediate ----
        case 81: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2]; pc = L[d] === b && H[d] === b >> 31 ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 82: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2]; pc = ((H[d] >>> 0) > (b >> 31 >>> 0) || (H[d] === b >> 31 && (L[d] >>> 0) > (b >>> 0))) ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 83: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2]; pc = ((H[d] >>> 0) > (b >> 31 >>> 0) || (H[d] === b >> 31 && (L[d] >>> 0) >= (b >>> 0))) ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 84: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2]; pc = (L[d] & b) !== 0 || (H[d] & (b >> 31)) !== 0 ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 85: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2]; pc = L[d] !== b || H[d] !== b >> 31 ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 86: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2]; pc = (H[d] > b >> 31 || (H[d] === b >> 31 && (L[d] >>> 0) > (b >>> 0))) ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 87: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2]; pc = (H[d] > b >> 31 || (H[d] === b >> 31 && (L[d] >>> 0) >= (b >>> 0))) ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 90: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2]; pc = ((H[d] >>> 0) < (b >> 31 >>> 0) || (H[d] === b >> 31 && (L[d] >>> 0) < (b >>> 0))) ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 91: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2]; pc = ((H[d] >>> 0) < (b >> 31 >>> 0) || (H[d] === b >> 31 && (L[d] >>> 0) <= (b >>> 0))) ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 92: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2]; pc = (H[d] < b >> 31 || (H[d] === b >> 31 && (L[d] >>> 0) < (b >>> 0))) ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 93: { const d = ((w >> 8) & 15), b = P[(pc << 2) + 2]; pc = (H[d] < b >> 31 || (H[d] === b >> 31 && (L[d] >>> 0) <= (b >>> 0))) ? P[(pc << 2) + 1] : pc + 1; continue; }
        // ---- JMP, register ----
        case 97: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15); pc = L[d] === L[r] && H[d] === H[r] ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 98: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15); pc = ((H[d] >>> 0) > (H[r] >>> 0) || (H[d] === H[r] && (L[d] >>> 0) > (L[r] >>> 0))) ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 99: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15); pc = ((H[d] >>> 0) > (H[r] >>> 0) || (H[d] === H[r] && (L[d] >>> 0) >= (L[r] >>> 0))) ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 100: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15); pc = (L[d] & L[r]) !== 0 || (H[d] & H[r]) !== 0 ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 101: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15); pc = L[d] !== L[r] || H[d] !== H[r] ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 102: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15); pc = (H[d] > H[r] || (H[d] === H[r] && (L[d] >>> 0) > (L[r] >>> 0))) ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 103: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15); pc = (H[d] > H[r] || (H[d] === H[r] && (L[d] >>> 0) >= (L[r] >>> 0))) ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 106: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15); pc = ((H[d] >>> 0) < (H[r] >>> 0) || (H[d] === H[r] && (L[d] >>> 0) < (L[r] >>> 0))) ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 107: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15); pc = ((H[d] >>> 0) < (H[r] >>> 0) || (H[d] === H[r] && (L[d] >>> 0) <= (L[r] >>> 0))) ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 108: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15); pc = (H[d] < H[r] || (H[d] === H[r] && (L[d] >>> 0) < (L[r] >>> 0))) ? P[(pc << 2) + 1] : pc + 1; continue; }
        case 109: { const d = ((w >> 8) & 15), r = ((w >> 16) & 15); pc = (H[d] < H[r] || (H[d] === H[r] && (L[d] >>> 0) <= (L[r] >>> 0))) ? P[(pc << 2) + 1] : pc + 1; continue; }
        // ---- JMP32, immediate ----
        case 113: pc = L[((w >> 8) & 15)] === P[(pc << 2) + 2] ? P[(pc << 2) + 1] : pc + 1; continue;
        case 114: pc = (L[((w >> 8) & 15)] >>> 0) > (P[(pc << 2) + 2] >>> 0) ? P[(pc << 2) + 1] : pc + 1; continue;
        case 115: pc = (L[((w >> 8) & 15)] >>> 0) >= (P[(pc << 2) + 2] >>> 0) ? P[(pc << 2) + 1] : pc + 1; continue;
        case 116: pc = (L[((w >> 8) & 15)] & P[(pc << 2) + 2]) !== 0 ? P[(pc << 2) + 1] : pc + 1; continue;
        case 117: pc = L[((w >> 8) & 15)] !== P[(pc << 2) + 2] ? P[(pc << 2) + 1] : pc + 1; continue;
        case 118: pc = L[((w >> 8) & 15)] > P[(pc << 2) + 2] ? P[(pc << 2) + 1] : pc + 1; continue;
        case 119: pc = L[((w >> 8) & 15)] >= P[(pc << 2) + 2] ? P[(pc << 2) + 1] : pc + 1; continue;
        case 122: pc = (L[((w >> 8) & 15)] >>> 0) < (P[(pc << 2) + 2] >>> 0) ? P[(pc << 2) + 1] : pc + 1; continue;
        case 123: pc = (L[((w >> 8) & 15)] >>> 0) <= (P[(pc << 2) + 2] >>> 0) ? P[(pc << 2) + 1] : pc + 1; continue;
        case 124: pc = L[((w >> 8) & 15)] < P[(pc << 2) + 2] ? P[(pc << 2) + 1] : pc + 1; continue;
        case 125: pc = L[((w >> 8) & 15)] <= P[(pc << 2) + 2] ? P[(pc << 2) + 1] : pc + 1; continue;
        // ---- JMP32, register ----
        case 129: pc = L[((w >> 8) & 15)] === L[((w >> 16) & 15)] ? P[(pc << 2) + 1] : pc + 1; continue;
        case 130: pc = (L[((w >> 8) & 15)] >>> 0) > (L[((w >> 16) & 15)] >>> 0) ? P[(pc << 2) + 1] : pc + 1; continue;
        case 131: pc = (L[((w >> 8) & 15)] >>> 0) >= (L[((w >> 16) & 15)] >>> 0) ? P[(pc << 2) + 1] : pc + 1; continue;
        case 132: pc = (L[((w >> 8) & 15)] & L[((w >> 16) & 15)]) !== 0 ? P[(pc << 2) + 1] : pc + 1; continue;
        case 133: pc = L[((w >> 8) & 15)] !== L[((w >> 16) & 15)] ? P[(pc << 2) + 1] : pc + 1; continue;
        case 134: pc = L[((w >> 8) & 15)] > L[((w >> 16) & 15)] ? P[(pc << 2) + 1] : pc + 1; continue;
        case 135: pc = L[((w >> 8) & 15)] >= L[((w >> 16) & 15)] ? P[(pc << 2) + 1] : pc + 1; continue;
        case 138: pc = (L[((w >> 8) & 15)] >>> 0) < (L[((w >> 16) & 15)] >>> 0) ? P[(pc << 2) + 1] : pc + 1; continue;
        case 139: pc = (L[((w >> 8) & 15)] >>> 0) <= (L[((w >> 16) & 15)] >>> 0) ? P[(pc << 2) + 1] : pc + 1; continue;
        case 140: pc = L[((w >> 8) & 15)] < L[((w >> 16) & 15)] ? P[(pc << 2) + 1] : pc + 1; continue;
        case 141: pc = L[((w >> 8) & 15)] <= L[((w >> 16) & 15)] ? P[(pc << 2) + 1] : pc + 1; continue;
        // ---- control ----
        case 142: pc = P[(pc << 2) + 1]; continue;
        case 143: cHi = -1; pc = this.callHelper(pc, P[(pc << 2) + 2]); if (pc < 0) break; continue;
        case 144: pc = this.callLocal(pc, P[(pc << 2) + 1], this.frameStack[this.frameStack.length - 1].program); if (pc < 0) break; continue;
        case 145: pc = this.faultAt(pc, 'invalid', `kfunc calls (BTF id ${P[(pc << 2) + 2]}) are not supported by the VM`); break;
        case 146: cHi = -1; pc = this.callX(pc); if (pc < 0) break; continue;
        case 147: cHi = -1; pc = this.exit(); if (pc < 0) break; continue;
        case 148: { const d = ((w >> 8) & 15); L[d] = P[(pc << 2) + 2]; H[d] = P[(pc << 2) + 3]; pc += 2; continue; }
        // ---- legacy packet loads ----
        case 150: case 151: case 152: case 153: case 154: case 155:
          pc = this.ldPacket(pc); if (pc < 0) break; continue;
        // ---- loads ----
        case 156: case 157: case 158: case 159: case 160: case 161: case 162: {
          const r = ((w >> 16) & 15), o = (w & 255);
          const size = o === 159 ? 8 : o === 156 || o === 160 ? 4 : o === 157 || o === 161 ? 2 : 1;
          const base = L[r], o16 = P[(pc << 2) + 1], a = (base + o16) | 0, alo = a >>> 0;
          const ahi = (H[r] + (o16 >= 0 ? (alo < (base >>> 0) ? 1 : 0) : (alo > (base >>> 0) ? -1 : 0))) >>> 0;
          let at = (alo - cLo) >>> 0;
          if (ahi !== cHi || at + size > cLen) {
            at = mem.resolve(ahi, alo, size);
            if (at < 0) { pc = this.memFault(pc, ahi, alo, size, false); break; }
            const r = mem.hit!;
            cHi = r.baseHi; cLo = r.baseLo; cLen = r.bytes.byteLength; cDv = r.dv; cW = r.writable;
          }
          const dv = cDv, d = ((w >> 8) & 15);
          switch (o) {
            case 156: L[d] = dv.getInt32(at, true); H[d] = 0; break;
            case 157: L[d] = dv.getUint16(at, true); H[d] = 0; break;
            case 158: L[d] = dv.getUint8(at); H[d] = 0; break;
            case 159: L[d] = dv.getInt32(at, true); H[d] = dv.getInt32(at + 4, true); break;
            case 160: { const v = dv.getInt32(at, true); L[d] = v; H[d] = v >> 31; break; }
            case 161: { const v = dv.getInt16(at, true); L[d] = v; H[d] = v >> 31; break; }
            default: { const v = dv.getInt8(at); L[d] = v; H[d] = v >> 31; break; }
          }
          pc++; continue;
        }
        // ---- stores: st (immediate) and stx (register) ----
        case 164: case 165: case 166: case 167: case 168: case 169: case 170: case 171: {
          const r = ((w >> 8) & 15), o = (w & 255);
          const k = o & 3; // 0 w, 1 h, 2 b, 3 dw (164 and 168 are multiples of 4)
          const size = k === 3 ? 8 : k === 0 ? 4 : k === 1 ? 2 : 1;
          const base = L[r], o16 = P[(pc << 2) + 1], a = (base + o16) | 0, alo = a >>> 0;
          const ahi = (H[r] + (o16 >= 0 ? (alo < (base >>> 0) ? 1 : 0) : (alo > (base >>> 0) ? -1 : 0))) >>> 0;
          let at = (alo - cLo) >>> 0;
          if (ahi !== cHi || at + size > cLen) {
            at = mem.resolve(ahi, alo, size);
            if (at < 0) { pc = this.memFault(pc, ahi, alo, size, true); break; }
            const r = mem.hit!;
            cHi = r.baseHi; cLo = r.baseLo; cLen = r.bytes.byteLength; cDv = r.dv; cW = r.writable;
          }
          if (!cW) { pc = this.memFault(pc, ahi, alo, size, true); break; }
          const dv = cDv;
          let vl: number, vh: number;
          if (o < 168) { vl = P[(pc << 2) + 2]; vh = vl >> 31; } else { const s = ((w >> 16) & 15); vl = L[s]; vh = H[s]; }
          if (k === 3) { dv.setInt32(at, vl, true); dv.setInt32(at + 4, vh, true); }
          else if (k === 0) dv.setInt32(at, vl, true);
          else if (k === 1) dv.setInt16(at, vl, true);
          else dv.setInt8(at, vl);
          pc++; continue;
        }
        case 149: case 192:
          pc = this.faultAt(pc, 'invalid', this.code.why.get(pc) ?? `invalid instruction at pc ${this.local(pc)}`); break;
        case 193:
          pc = this.faultAt(pc, 'invalid', `execution ran past the end of the program at pc ${this.local(pc)} (missing exit?)`); break;
        default:
          // Atomics (172..191).
          pc = this.atomic(pc); if (pc < 0) break; continue;
      }
      break;
    }
    if (pc >= 0) this.gpc = pc;
    this.steps = steps;
    if (!this.done && steps >= this.m.budget && !atBp) {
      this.stop({ kind: 'budget', pc: this.local(this.gpc), message: budgetMessage(this.m.budget, this.local(this.gpc)) });
    }
    return atBp;
  }

  // ---------------------------------------------------------------- slow paths

  private atomic(pc: number): number {
    const o = this.code.op[pc];
    if (o < 172 || o > 191) return this.faultAt(pc, 'invalid', `invalid instruction at pc ${this.local(pc)}`);
    const L = this.L, H = this.H, mem = this.m.memory;
    const is64 = o < 182, k = o - (is64 ? 172 : 182), size = is64 ? 8 : 4;
    const r = this.code.dst[pc], s = this.code.src[pc];
    const a = (L[r] >>> 0) + this.code.off[pc];
    const alo = a >>> 0, ahi = (H[r] + (a < 0 ? -1 : a >= TWO32 ? 1 : 0)) >>> 0;
    const at = mem.resolve(ahi, alo, size);
    if (at < 0 || !mem.hit!.writable) return this.memFault(pc, ahi, alo, size, true);
    const dv = mem.hit!.dv;
    const ol = dv.getInt32(at, true), oh = is64 ? dv.getInt32(at + 4, true) : 0;
    let nl = ol, nh = oh;
    const sl = L[s], sh = is64 ? H[s] : 0;
    switch (k & 3) {
      case 0: { const sum = (ol >>> 0) + (sl >>> 0); nl = sum | 0; nh = (oh + sh + (sum >= TWO32 ? 1 : 0)) | 0; break; }
      case 1: nl = ol | sl; nh = oh | sh; break;
      case 2: nl = ol & sl; nh = oh & sh; break;
      case 3: nl = ol ^ sl; nh = oh ^ sh; break;
    }
    if (k === 8) { nl = sl; nh = sh; }
    if (k === 9) {
      // cmpxchg: compare with r0 (its low half for 32-bit), store src if equal, r0 = old value (zero-extended).
      const eq = is64 ? L[0] === ol && H[0] === oh : L[0] === ol;
      if (eq) { nl = sl; nh = sh; } else { nl = ol; nh = oh; }
      L[0] = ol; H[0] = oh;
    } else if (k >= 4) {
      L[s] = ol; H[s] = oh;
    }
    dv.setInt32(at, nl, true);
    if (is64) dv.setInt32(at + 4, nh, true);
    return pc + 1;
  }

  /**
   * LD_ABS / LD_IND: big-endian load from the packet (`mem`) at imm (+ src, as a signed 32-bit sum).
   * A miss (negative or past the end) ends the whole program with r0 = 0, as the kernel does for
   * socket filters. Unlike the kernel, r1-r5 are left as they were (the verifier forbids reading them).
   */
  private ldPacket(pc: number): number {
    const o = this.code.op[pc];
    const ind = o >= 153;
    const k = o - (ind ? 153 : 150);
    const size = k === 0 ? 4 : k === 1 ? 2 : 1;
    const off = (this.code.imm[pc] + (ind ? this.L[this.code.src[pc]] : 0)) | 0;
    const pkt = this.m.mem;
    const L = this.L, H = this.H;
    if (!pkt || off < 0 || off + size > pkt.bytes.byteLength) {
      L[0] = 0; H[0] = 0;
      this.result = 0n;
      this.done = true;
      return -1;
    }
    L[0] = size === 4 ? pkt.dv.getInt32(off, false) : size === 2 ? pkt.dv.getUint16(off, false) : pkt.bytes[off];
    H[0] = 0;
    return pc + 1;
  }

  private saveCaller(): Int32Array {
    const s = new Int32Array(10);
    for (let i = 0; i < 5; i++) { s[2 * i] = this.L[6 + i]; s[2 * i + 1] = this.H[6 + i]; }
    return s;
  }

  protected putReg(i: number, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.L[i] = Number(u & 0xffffffffn);
    this.H[i] = Number(u >> 32n);
  }

  /** Pushes a frame for a call to global slot `target`; -1 (fault) past MAX_FRAMES. */
  private pushFrame(pc: number, target: number, ret: number, program: number, gen?: HelperGenerator): number {
    const depth = this.frameStack.length;
    if (depth >= MAX_FRAMES) {
      return this.faultAt(pc, 'call-depth', faultText.callDepth(this.local(pc), depth));
    }
    const f: Frame = { entry: target, callPc: pc, ret, program, saved: this.saveCaller() };
    if (gen) f.gen = gen;
    this.frameStack.push(f);
    this.putReg(10, this.m.frameTop(depth));
    return target;
  }

  private callLocal(pc: number, target: number, program: number): number {
    return this.pushFrame(pc, target, pc + 1, program);
  }

  private callX(pc: number): number {
    const v = toBig(this.H[this.code.dst[pc]], this.L[this.code.dst[pc]]);
    if (v < 0x1_0000_0000n && this.helpers.has(Number(v))) return this.callHelper(pc, Number(v));
    const fn = this.m.funcAt(v);
    const cur = this.frameStack[this.frameStack.length - 1].program;
    if (fn && fn.program === cur && fn.pc < this.code.base[cur + 1] - 1 - this.code.base[cur]) return this.callLocal(pc, this.code.base[cur] + fn.pc, cur);
    return this.faultAt(pc, 'invalid', faultText.badCallx(this.code.dst[pc], v));
  }

  private arg(i: number): bigint {
    return toBig(this.H[i], this.L[i]);
  }

  private callHelper(pc: number, id: number): number {
    const spec = this.helpers.get(id);
    if (!spec) return this.faultAt(pc, 'helper', faultText.unknownHelper(id, this.local(pc)));
    const m = this.m;
    const cur = this.frameStack[this.frameStack.length - 1];
    m.pc = this.local(pc);
    m.program = cur.program;
    m.pendingTailCall = undefined;
    let res;
    try {
      res = spec.impl(m, this.arg(1), this.arg(2), this.arg(3), this.arg(4), this.arg(5));
    } catch (e) {
      return this.faultAt(pc, 'helper', faultText.helperThrew(spec.name, e));
    }
    if (typeof res === 'bigint') return this.helperDone(pc, res);
    if (isFault(res)) return this.stop(res);
    return this.drive(res, pc, undefined);
  }

  private helperDone(pc: number, r0: bigint): number {
    this.putReg(0, r0);
    const k = this.m.pendingTailCall;
    if (k === undefined) return pc + 1;
    this.m.pendingTailCall = undefined;
    const f = this.frameStack[this.frameStack.length - 1];
    f.program = k;
    f.entry = this.code.base[k];
    return f.entry;
  }

  /** Runs a helper generator until it yields a callback (pushed as a frame) or returns. */
  private drive(gen: HelperGenerator, pc: number, input: bigint | undefined): number {
    let st;
    try {
      st = input === undefined ? gen.next() : gen.next(input);
    } catch (e) {
      return this.faultAt(pc, 'helper', faultText.helperThrew(undefined, e));
    }
    if (st.done) {
      if (isFault(st.value)) return this.stop(st.value);
      return this.helperDone(pc, st.value);
    }
    const req = st.value;
    if (req.program < 0 || req.program >= this.code.base.length - 1) return this.faultAt(pc, 'helper', faultText.callbackProgram());
    const target = this.code.base[req.program] + req.pc;
    if (req.pc < 0 || target >= this.code.base[req.program + 1] - 1) return this.faultAt(pc, 'helper', faultText.callbackOutside(req.pc));
    const r = this.pushFrame(pc, target, pc + 1, req.program, gen);
    if (r < 0) return r;
    for (let i = 0; i < 5; i++) this.putReg(i + 1, req.args[i] ?? 0n);
    return r;
  }

  private exit(): number {
    const fs = this.frameStack;
    if (fs.length <= 1) {
      this.result = toBig(this.H[0], this.L[0]);
      this.done = true;
      return -1;
    }
    const f = fs.pop() as Frame;
    for (let i = 0; i < 5; i++) { this.L[6 + i] = f.saved[2 * i]; this.H[6 + i] = f.saved[2 * i + 1]; }
    if (f.gen) return this.drive(f.gen, f.callPc, toBig(this.H[0], this.L[0]));
    return f.ret;
  }

  /** Resets registers, frames and counters for a new run (the machine's reset is done by the caller). */
  protected start(regs: readonly bigint[]): void {
    for (let i = 0; i < 11; i++) this.putReg(i, regs[i] ?? 0n);
    this.gpc = 0;
    this.steps = 0;
    this.done = false;
    this.result = undefined;
    this.fault = undefined;
    this.frameStack = [{ entry: 0, callPc: -1, ret: -1, program: 0, saved: new Int32Array(10) }];
  }

  protected stackTop(frame: number): bigint {
    return this.m.frameTop(frame);
  }
}

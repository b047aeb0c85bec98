/**
 * Fuzz cases for the verifier: random programs (vm/randprog.ts), random bytes
 * biased towards real opcodes, and mutants of seed programs (flipped bits,
 * swapped, dropped and duplicated instructions, random imm/off/registers,
 * broken LD_IMM64 halves), each with a random program type, privilege mode,
 * maps and instruction budget. Pure and deterministic per seed; the seeds
 * (corpus and conformance programs) are read by the caller, not here.
 */
import { encode } from '../isa/codec';
import { Rng, randomProgram } from '../vm/randprog';
import { PROG_TYPES, type ProgType } from './progtypes';
import type { VerifierMap, VerifyInput } from './types';

/** A seed program: raw instruction bytes plus what it was built for. */
export interface FuzzSeed {
  name: string;
  bytes: Uint8Array;
  progType?: ProgType;
  maps?: VerifierMap[];
  funcStarts?: number[];
}

export type FuzzOrigin = 'random' | 'bytes' | 'mutant-seed' | 'mutant-random';

export interface FuzzCase {
  input: VerifyInput & { bytes: Uint8Array };
  origin: FuzzOrigin;
  /** Where it came from and which mutations were applied, for reports. */
  desc: string;
}

/** Maps random programs get (mutants of seeds keep the seed's maps half of the time). */
const MAPS: readonly VerifierMap[] = [
  { type: 'hash', keySize: 4, valueSize: 48, maxEntries: 16, name: 'hmap' },
  { type: 'array', keySize: 4, valueSize: 8, maxEntries: 4, name: 'arr' },
  { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096, name: 'rb' },
  { type: 'percpu_array', keySize: 4, valueSize: 16, maxEntries: 1, name: 'pca' },
  { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4, name: 'jmp' },
];

/** First bytes of common instructions (mov, add, ld, st, jumps, call, exit, lddw, atomics). */
const COMMON_OPS = [0xb7, 0x07, 0x0f, 0xbf, 0x15, 0x55, 0x05, 0x95, 0x79, 0x7b, 0x85, 0x18, 0x63, 0x61, 0x2d, 0xa5, 0xdb, 0xc3, 0x04, 0x16];

/** Instruction budgets: small ones keep the fuzz fast, the last is the kernel's. */
const BUDGETS = [2000, 20000, 100000, 1000000];

/** Case `seed`: the same seed and seed list always give the same case. */
export function fuzzCase(seed: number, seeds: readonly FuzzSeed[]): FuzzCase {
  const r = new Rng(seed ^ 0x5eed);
  const roll = r.int(100);
  let bytes: Uint8Array;
  let origin: FuzzOrigin;
  let desc: string;
  let base: FuzzSeed | undefined;
  if (roll < 25) {
    origin = 'random';
    const p = randomProgram(seed);
    bytes = realHelpers(encode(p.insns), r);
    desc = `randprog ${p.category}`;
  } else if (roll < 40) {
    origin = 'bytes';
    bytes = randomBytes(r);
    desc = `random bytes (${bytes.length / 8} slots)`;
  } else {
    const fromSeed = seeds.length > 0 && roll < 85;
    base = fromSeed ? r.pick(seeds) : undefined;
    origin = fromSeed ? 'mutant-seed' : 'mutant-random';
    const src = base ? base.bytes : realHelpers(encode(randomProgram(seed).insns), r);
    const m = mutate(src, r);
    bytes = m.bytes;
    desc = `${base ? base.name : 'randprog'} + ${m.ops.join(',')}`;
  }
  const keepKind = base !== undefined && r.chance(0.5);
  const progType = keepKind && base?.progType ? base.progType : r.pick(PROG_TYPES);
  const maps = keepKind && base?.maps ? base.maps : MAPS.slice(0, r.int(MAPS.length + 1));
  const input: VerifyInput & { bytes: Uint8Array } = {
    insns: [], bytes, progType, maps, logLevel: r.pick([0, 0, 1, 2] as const),
    privileged: r.chance(0.7) ? 'root' : 'cap_bpf', collectStates: r.chance(0.1),
    gpl: r.chance(0.8), limits: { insns: r.pick(BUDGETS) },
  };
  if (keepKind && base?.funcStarts) input.funcStarts = base.funcStarts;
  return { input, origin, desc: `${desc} [${progType}, ${input.privileged}, budget ${input.limits!.insns}]` };
}

/**
 * Random programs call made-up helper ids, and `callx`, which the kernel
 * rejects as an unknown opcode: most calls get a real helper id instead.
 */
function realHelpers(bytes: Uint8Array, r: Rng): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 8 <= bytes.length; i += 8) {
    const helper = bytes[i] === 0x85 && (bytes[i + 1] >> 4) === 0;
    if ((helper || bytes[i] === 0x8d) && r.chance(0.8)) {
      bytes[i] = 0x85;
      bytes[i + 1] = 0;
      dv.setInt32(i + 4, r.range(1, 211), true);
    }
  }
  return bytes;
}

function randomBytes(r: Rng): Uint8Array {
  const n = r.range(1, 40);
  const bytes = new Uint8Array(n * 8);
  for (let i = 0; i < bytes.length; i++) bytes[i] = r.int(256);
  if (r.chance(0.6)) {
    for (let i = 0; i < n; i++) {
      bytes[i * 8] = r.pick(COMMON_OPS);
      // Mostly small registers and offsets, so more programs get past the first checks.
      bytes[i * 8 + 1] = (r.int(11) << 4) | r.int(11);
      if (r.chance(0.7)) { bytes[i * 8 + 2] = r.int(8); bytes[i * 8 + 3] = 0; }
    }
    bytes[(n - 1) * 8] = 0x95;
  }
  return bytes;
}

const EXIT = new Uint8Array([0x95, 0, 0, 0, 0, 0, 0, 0]);

const MUTATIONS = ['flip', 'swap', 'drop', 'dup', 'imm', 'off', 'regs', 'lddw', 'insert', 'truncate'] as const;

/** 1-4 mutations of a copy of `src`; never returns an empty program unless `src` is empty. */
export function mutate(src: Uint8Array, r: Rng): { bytes: Uint8Array; ops: string[] } {
  let b: Uint8Array = src.slice();
  const ops: string[] = [];
  // Mostly one mutation, so many mutants still get past the first checks.
  for (let k = r.chance(0.6) ? 1 : r.range(2, 4); k > 0; k--) {
    const n = b.length >> 3;
    if (n === 0) break;
    const op = r.pick(MUTATIONS);
    ops.push(op);
    const i = r.int(n) * 8;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    switch (op) {
      case 'flip': {
        for (let j = r.range(1, 3); j > 0; j--) {
          const at = r.int(b.length);
          b[at] ^= 1 << r.int(8);
        }
        break;
      }
      case 'swap': {
        const j = r.int(n) * 8;
        const t = b.slice(i, i + 8);
        b.copyWithin(i, j, j + 8);
        b.set(t, j);
        break;
      }
      case 'drop':
        if (n > 1) b = concat(b.subarray(0, i), b.subarray(i + 8));
        break;
      case 'dup':
        b = concat(b.subarray(0, i + 8), b.subarray(i));
        break;
      case 'imm':
        dv.setInt32(i + 4, r.imm32(), true);
        break;
      case 'off':
        dv.setInt16(i + 2, r.chance(0.5) ? r.range(-n - 2, n + 2) : r.int(65536) - 32768, true);
        break;
      case 'regs':
        b[i + 1] = r.int(256);
        break;
      case 'lddw': {
        // A lone first half (last slot, or followed by a real instruction), or a second half with fields set.
        const at = r.chance(0.3) ? (n - 1) * 8 : i;
        b[at] = 0x18;
        if (at + 8 < b.length && r.chance(0.5)) {
          b[at + 8] = r.pick(COMMON_OPS);
          b[at + 9] = r.int(256);
        } else if (at + 8 < b.length) {
          b[at + 8 + r.int(4)] = r.int(256);
        }
        if (r.chance(0.3)) b[at + 1] = (b[at + 1] & 0x0f) | (r.range(0, 6) << 4);
        break;
      }
      case 'insert': {
        const slot = new Uint8Array(8);
        slot[0] = r.pick(COMMON_OPS);
        slot[1] = (r.int(11) << 4) | r.int(11);
        new DataView(slot.buffer).setInt16(2, r.range(-4, 4), true);
        new DataView(slot.buffer).setInt32(4, r.imm32(), true);
        b = concat(b.subarray(0, i), slot, b.subarray(i));
        break;
      }
      case 'truncate':
        if (n > 1) b = b.slice(0, r.range(1, n - 1) * 8);
        // Usually still ending in an exit, so the cut program gets past "last insn is not an exit".
        if (r.chance(0.7)) b = concat(b, EXIT);
        break;
    }
  }
  return { bytes: b, ops };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

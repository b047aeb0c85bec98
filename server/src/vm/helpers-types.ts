/**
 * The helper calling interface shared by the interpreter and the JIT: what a
 * helper implementation receives (`HelperContext`: memory, maps, environment,
 * output, the calling pc) and what it may return. A helper that calls back into
 * BPF code (bpf_loop) is a generator yielding `CallRequest`s; each engine runs
 * the callback and resumes the generator with the callback's r0.
 */
import type { Memory } from './memory';
import type { BpfMap } from './maps/types';
import type { FaultKind, VmEnv, VmFault, VmOutput } from './types';

/** A call into BPF code made by a helper: the function at `pc` of program `program`, with r1..r5 = args. */
export interface CallRequest {
  program: number;
  pc: number;
  args: bigint[];
}

export type HelperGenerator = Generator<CallRequest, bigint | VmFault, bigint>;
/** r0 (any bigint; engines store it as unsigned 64-bit), a fault that stops the run, or a callback generator. */
export type HelperResult = bigint | VmFault | HelperGenerator;

export interface HelperContext {
  readonly memory: Memory;
  readonly maps: readonly BpfMap[];
  readonly env: Readonly<VmEnv>;
  readonly output: VmOutput[];
  /** Slot of the calling instruction; set by the engine before every helper call. */
  pc: number;
  /** Program index of the caller: 0 = the main program, k + 1 = VmOptions.programs[k]. */
  program: number;
  /** Set by bpf_tail_call on success: the program index to continue in. The engine acts on it and clears it. */
  pendingTailCall: number | undefined;
  /** Tail calls taken so far in this run. */
  tailCalls: number;
  /** The map a map pointer refers to. */
  mapAt(addr: bigint): BpfMap | undefined;
  /** The BPF function a function pointer (lddw src=4) refers to. */
  funcAt(addr: bigint): { program: number; pc: number } | undefined;
  /** Next value of the deterministic clock ('mono' = ktime_get_ns, 'boot', 'coarse'). */
  clock(kind: 'mono' | 'boot' | 'coarse'): bigint;
  /** Next value of the seeded generator, an unsigned 32-bit number. */
  random(): number;
  /** A fault at the calling pc. */
  fault(kind: FaultKind, message: string): VmFault;
  /** A memory fault at the calling pc, described by Memory.fault. */
  memFaultHere(addr: bigint, size: number, write: boolean): VmFault;
  /** Number of programs in the program set (main + VmOptions.programs). */
  readonly programCount: number;
}

export type HelperImpl = (ctx: HelperContext, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => HelperResult;

export interface HelperSpec {
  id: number;
  /** Name without the bpf_ prefix, as in isa/helpers.ts. */
  name: string;
  /** C-like prototype for hovers: `long bpf_map_update_elem(struct bpf_map *map, const void *key, const void *value, u64 flags)`. */
  signature: string;
  impl: HelperImpl;
}

export type HelperTable = ReadonlyMap<number, HelperSpec>;

export function isFault(v: unknown): v is VmFault {
  return typeof v === 'object' && v !== null && 'kind' in v && 'message' in v && 'pc' in v;
}

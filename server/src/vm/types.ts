/**
 * Shared types of the two execution engines (interpreter and JIT): run
 * arguments, options, faults, stop reasons, frames, output records and the
 * event environment. Only types and small constants live here; behaviour is in
 * machine.ts (initial state), interp.ts, helpers*.ts and maps/.
 */
import type { HelperTable } from './helpers-types';
import type { MapDef } from './maps/types';
import type { Insn } from '../isa/insn';

export type FaultKind = 'memory' | 'invalid' | 'budget' | 'call-depth' | 'helper' | 'stack';

/** Why a run stopped abnormally. `pc` is the slot of the instruction that faulted. */
export interface VmFault {
  kind: FaultKind;
  pc: number;
  message: string;
  addr?: bigint;
  size?: number;
  region?: string;
}

/**
 * Input of one run. Convention (the conformance suite's): r1 = address of `ctx`
 * when given, else of `mem`; r2 = length of `mem`; r10 = top of frame 0's
 * 512-byte stack. `mem` is also the packet seen by LD_ABS/LD_IND.
 */
export interface RunArgs {
  mem?: Uint8Array;
  ctx?: Uint8Array;
  /** Overrides of initial register values (unsigned or signed; stored as unsigned 64-bit). */
  regs?: Partial<Record<number, bigint>>;
  /** The context region is read-only unless this is true (the input `mem` is always writable). */
  ctxWritable?: boolean;
}

export interface VmOptions {
  /** Maximum number of executed instructions; more faults with kind 'budget'. Default 10,000,000. */
  budget?: number;
  /** Helper table; default `DEFAULT_HELPERS` (helpers.ts). */
  helpers?: HelperTable;
  /** Event context; missing fields take `DEFAULT_ENV`'s values. */
  env?: Partial<VmEnv>;
  /** Maps; `lddw rX, map[i]` (src=1, imm=i) refers to maps[i]. */
  maps?: MapDef[];
  /** Programs reachable by bpf_tail_call: a prog_array value k selects programs[k]. */
  programs?: readonly (readonly Insn[])[];
}

export type StopReason = 'step' | 'breakpoint' | 'exit' | 'fault' | 'budget' | 'pause';

export interface FrameInfo {
  index: number;
  /** Current pc of this frame (for outer frames: the call instruction). */
  pc: number;
  /** First pc of the function running in this frame. */
  entryPc: number;
  /** r10 of the frame (top of its 512-byte stack). */
  stackBase: bigint;
  /** Where the frame returns to in its caller (undefined for frame 0). */
  returnPc?: number;
  /** Program running in the frame: 0 = the main program, k + 1 = VmOptions.programs[k] (after a tail call). */
  program?: number;
  /** True when the frame is a callback called by a helper (bpf_loop). */
  callback?: boolean;
}

export interface RunResult {
  r0?: bigint;
  fault?: VmFault;
  /**
   * Instructions executed, counting a faulting instruction (but not one refused by the budget:
   * a budget fault leaves steps === budget) and every instruction of helper callbacks.
   */
  steps: number;
  output: VmOutput[];
}

/** Output produced by a run, in order. */
export type VmOutput =
  | { kind: 'printk'; pc: number; text: string }
  | { kind: 'perf'; pc: number; map: string; cpu: number; data: Uint8Array }
  | { kind: 'ringbuf'; pc: number; map: string; data: Uint8Array };

/** Memory recorded with an event (strings, structs behind pointers), mapped read-only at its address. */
export interface RecordedMemory {
  addr: bigint;
  bytes: Uint8Array;
}

/**
 * Where helpers get the event's facts. Deterministic defaults (DEFAULT_ENV), so
 * runs are reproducible; a recorded trace event fills these in.
 */
export interface VmEnv {
  pid: number;
  tgid: number;
  uid: number;
  gid: number;
  comm: string;
  /** bpf_ktime_get_ns() at the event; each later call adds `clockStepNs`. */
  timeNs: bigint;
  /** bpf_ktime_get_boot_ns() at the event. */
  bootTimeNs: bigint;
  clockStepNs: bigint;
  cpu: number;
  nrCpus: number;
  /** bpf_get_current_task() (a recorded `task_struct *`, or a made-up kernel address). */
  task: bigint;
  /** Seed of bpf_get_prandom_u32's generator. */
  seed: number;
  memory: readonly RecordedMemory[];
  /** bpf_get_func_ip() */
  funcIp: bigint;
  /** Kernel stack (addresses) for bpf_get_stackid. */
  kstack: readonly bigint[];
  ustack: readonly bigint[];
  /** bpf_get_current_cgroup_id() */
  cgroupId: bigint;
}

export const DEFAULT_ENV: Readonly<VmEnv> = Object.freeze({
  pid: 4242,
  tgid: 4242,
  uid: 1000,
  gid: 1000,
  comm: 'bpfstudio',
  timeNs: 1_000_000_000n,
  bootTimeNs: 1_000_500_000n,
  clockStepNs: 1000n,
  cpu: 0,
  nrCpus: 4,
  task: 0xffff888004a3c000n,
  seed: 0x2545f491,
  memory: [],
  funcIp: 0xffffffff81000000n,
  kstack: [],
  ustack: [],
  cgroupId: 1n,
});

export const DEFAULT_BUDGET = 10_000_000;
/** Frames of bpf-to-bpf calls (and helper callbacks), as the kernel's MAX_CALL_FRAMES. */
export const MAX_FRAMES = 8;
export const STACK_SIZE = 512;
/** Tail calls per run, as the kernel's MAX_TAIL_CALL_CNT. */
export const MAX_TAIL_CALLS = 33;

export function budgetMessage(budget: number, pc: number): string {
  return `instruction budget of ${budget} exhausted at pc ${pc} (runaway loop?)`;
}

/**
 * The steppable interpreter (`Vm`) and `runInterp`. Deterministic: the same
 * program, input and options give the same steps, registers, memory, output and
 * faults. `run` stops before executing a breakpoint slot (except the one it
 * starts on), after `maxSteps`, on exit or on a fault; it never throws.
 * Non-goal: verification (a program the kernel would reject still runs, and
 * faults where it goes wrong).
 */
import { Core } from './interp-core';
import type { Insn } from '../isa/insn';
import type { Memory } from './memory';
import type { BpfMap } from './maps/types';
import { toBig } from './alu64';
import { FrameInfo, RunArgs, RunResult, StopReason, VmFault, VmOptions, VmOutput } from './types';

export class Vm extends Core {
  private bpCache: { set: ReadonlySet<number>; flags: Uint8Array } | undefined;
  private pauseRequested = false;
  /** The last run stopped only because maxSteps ran out: the next run checks a breakpoint at its first pc too. */
  private chunked = false;
  /** Input of the last reset, and whether replaying from it reproduces this run (fresh maps). */
  private lastArgs: RunArgs = {};
  private replayable = true;

  constructor(insns: readonly Insn[], opts: VmOptions = {}) {
    super(insns, opts);
    this.reset();
  }

  /** Starts over with new input; maps are emptied (and refilled from their `initial`) unless `keepMaps`. */
  reset(args: RunArgs = {}, keepMaps = false): void {
    this.start(this.m.reset(args, keepMaps));
    this.pauseRequested = false;
    this.chunked = false;
    this.lastArgs = args;
    this.replayable = !keepMaps;
  }

  /** Program-local pc of the next instruction (or of the faulting/exiting one once done). */
  get pc(): number {
    return this.local(this.gpc);
  }

  /** Program index of the current instruction: 0 = main, k + 1 = VmOptions.programs[k] (after a tail call). */
  get program(): number {
    return this.code.prog[this.gpc];
  }

  get memory(): Memory {
    return this.m.memory;
  }

  get maps(): readonly BpfMap[] {
    return this.m.maps;
  }

  get output(): VmOutput[] {
    return this.m.output;
  }

  /** What the machine could not set up as asked (e.g. oversized maps). */
  get problems(): readonly string[] {
    return this.m.problems;
  }

  /** Sets register i of the innermost frame (the debugger's setVariable); false for a bad register or a finished run. */
  setReg(i: number, value: bigint): boolean {
    if (!Number.isInteger(i) || i < 0 || i > 10 || this.done) return false;
    this.putReg(i, value);
    return true;
  }

  /** Executes one instruction. */
  step(): StopReason {
    if (this.done) return this.fault ? 'fault' : 'exit';
    this.chunked = false;
    this.exec(Math.min(this.steps + 1, this.m.budget), undefined);
    return this.reason('step');
  }

  /** Asks a running `run` to stop at its next chunk boundary (or the next `run` to return at once). */
  pause(): void {
    this.pauseRequested = true;
  }

  /**
   * Runs until exit, fault, budget, a breakpoint (program 0 pcs; not the pc it
   * starts on), `maxSteps` executed instructions ('pause') or a pause request.
   * After a stop caused only by `maxSteps` (a debugger running in chunks), the
   * next run does stop at a breakpoint on its first pc, so chunking never hides one.
   */
  run(opts: { breakpoints?: ReadonlySet<number>; maxSteps?: number } = {}): StopReason {
    if (this.done) return this.fault ? 'fault' : 'exit';
    const bp = opts.breakpoints && opts.breakpoints.size ? this.bpFlags(opts.breakpoints) : undefined;
    const end = opts.maxSteps === undefined ? Infinity : this.steps + Math.max(0, opts.maxSteps);
    const CHUNK = 1 << 20;
    let skipFirst = !this.chunked;
    this.chunked = false;
    for (;;) {
      if (this.pauseRequested) { this.pauseRequested = false; return 'pause'; }
      const limit = Math.min(this.m.budget, end, this.steps + CHUNK);
      const atBp = this.exec(limit, bp, skipFirst);
      skipFirst = false;
      if (atBp) return 'breakpoint';
      if (this.done) return this.reason('pause');
      if (this.steps >= end) { this.chunked = true; return 'pause'; }
    }
  }

  /**
   * Goes back `n` executed instructions by replaying from the last reset (the
   * VM is deterministic). False, doing nothing, when the run started with kept
   * maps (their earlier contents are gone) or is at its first instruction.
   */
  stepBack(n = 1): boolean {
    if (!this.replayable || this.steps === 0) return false;
    this.replayTo(Math.max(0, this.steps - n));
    return true;
  }

  /**
   * Goes back to the latest earlier stop at a breakpoint (or to the start when
   * there is none): the debugger's reverse-continue. False when not replayable.
   */
  reverseContinue(breakpoints: ReadonlySet<number>): boolean {
    if (!this.replayable) return false;
    const end = this.steps;
    let last = 0;
    this.replayTo(0);
    while (this.steps < end && this.run({ breakpoints, maxSteps: end - this.steps }) === 'breakpoint') {
      if (this.steps < end) last = this.steps;
    }
    this.replayTo(last);
    return true;
  }

  private replayTo(target: number): void {
    this.reset(this.lastArgs);
    while (this.steps < target && !this.done) this.exec(target, undefined, true);
  }

  private reason(otherwise: StopReason): StopReason {
    if (!this.done) return otherwise;
    if (!this.fault) return 'exit';
    return this.fault.kind === 'budget' ? 'budget' : 'fault';
  }

  private bpFlags(set: ReadonlySet<number>): Uint8Array {
    if (this.bpCache && this.bpCache.set === set && this.bpCache.flags.length === this.code.op.length) {
      // Sets can be mutated between runs: rebuild when the size changed.
      let n = 0;
      for (const f of this.bpCache.flags) n += f;
      if (n === [...set].filter((p) => p >= 0 && p < this.code.base[1]).length) return this.bpCache.flags;
    }
    const flags = new Uint8Array(this.code.op.length);
    for (const p of set) if (p >= 0 && p < this.code.base[1]) flags[p] = 1;
    this.bpCache = { set, flags };
    return flags;
  }

  /**
   * Register i (unsigned 64-bit) as seen by a frame (default: the innermost).
   * For outer frames r6-r10 are the values saved at their call; r0-r5 are the current ones (clobbered by calls).
   */
  reg(i: number, frame?: number): bigint {
    if (i < 0 || i > 10) return 0n;
    const fs = this.frameStack;
    if (frame === undefined || frame >= fs.length - 1 || i < 6) return toBig(this.H[i], this.L[i]);
    const saved = fs[Math.max(0, frame) + 1].saved;
    return toBig(saved[2 * (i - 6) + 1], saved[2 * (i - 6)]);
  }

  frames(): FrameInfo[] {
    const fs = this.frameStack;
    return fs.map((f, index) => {
      const g = index === fs.length - 1 ? this.gpc : fs[index + 1].callPc;
      const info: FrameInfo = {
        index, pc: this.local(g), entryPc: this.local(f.entry), stackBase: this.stackTop(index), program: f.program,
      };
      if (index > 0) info.returnPc = this.local(f.ret);
      if (f.gen) info.callback = true;
      return info;
    });
  }

  /** The 512 bytes of frame `frame`'s stack (a live view). */
  stackBytes(frame: number): Uint8Array {
    const s = this.m.stacks[frame];
    return s ? s.bytes : new Uint8Array(0);
  }
}

/** Runs a program to completion on a fresh interpreter. */
export function runInterp(insns: readonly Insn[], args: RunArgs = {}, opts: VmOptions = {}): RunResult {
  const vm = new Vm(insns, opts);
  vm.reset(args);
  vm.run();
  const out: RunResult = { steps: vm.steps, output: vm.output };
  if (vm.fault) out.fault = vm.fault as VmFault;
  else if (vm.result !== undefined) out.r0 = vm.result;
  return out;
}

/**
 * The debugger's runtime: a BPF assembly program on the steppable interpreter,
 * with source lines, breakpoints, stepping and typed events. It knows nothing
 * of DAP or VS Code; adapter.ts translates. Lines here are 0-based source lines.
 * Non-goal: stepping back and data breakpoints (later issues).
 */
import { EventEmitter } from 'node:events';
import { assemble, AsmResult, formatInsn, Syntax } from '../asm';
import { Insn, slotIndex } from '../isa';
import { asmErrorLines } from '../ide/diagnostics';
import { formatFault, formatOutput } from '../ide/vm-format';
import { FrameInfo, RunArgs, StopReason, Vm, VmFault } from '../vm';
import { compileJit } from '../vm/jit';

export type StopKind = 'entry' | 'step' | 'breakpoint' | 'exception' | 'pause';

export interface RuntimeEvents {
  /** Execution stopped; `fault` is set for kind 'exception'. */
  stopped: [{ kind: StopKind; description?: string; fault?: VmFault }];
  /** A line of program output (trace_printk, perf/ringbuf records). */
  output: [string];
  /** The program exited normally with r0. */
  exited: [bigint];
  /** Nothing more will run. */
  ended: [];
}

export interface Frame {
  index: number;
  pc: number;
  /** 0-based source line, undefined outside the assembled program (tail-called programs). */
  line?: number;
  /** The instruction at pc, as text. */
  text: string;
}

/**
 * Instructions executed per chunk of `continue` before yielding to the event loop (so `pause` gets
 * through). A chunk ending on a breakpoint slot stops there on the next run (the Vm's rule; tested).
 */
export const CHUNK = 200_000;

export class BpfRuntime extends EventEmitter<RuntimeEvents> {
  private vm: Vm | undefined;
  private budget: number | undefined;
  private asm: AsmResult | undefined;
  private slot: Int32Array = new Int32Array(0);
  /** Replaced (never mutated) on each change: the Vm caches per set object. */
  private breakpoints: ReadonlySet<number> = new Set<number>();
  private emitted = 0;
  private pauseRequested = false;
  private labels = new Map<number, string>();
  /** Set once the program exited or faulted and the fault was reported. */
  private finished = false;

  /** Assembles `text`; returns the error messages (`line:col: message`, 1-based) or [] when the program is ready. */
  load(text: string, opts: { syntax?: Syntax | 'auto'; budget?: number } = {}): string[] {
    const res = assemble(text, { syntax: opts.syntax ?? 'auto' });
    const errors = asmErrorLines(res);
    if (errors.length) return errors;
    if (res.insns.length === 0) return ['1:1: the program has no instructions'];
    this.asm = res;
    this.slot = slotIndex(res.insns);
    this.labels = new Map();
    for (const [name, pc] of res.labels) if (!this.labels.has(pc)) this.labels.set(pc, name);
    this.budget = opts.budget;
    this.vm = new Vm(res.insns, opts.budget ? { budget: opts.budget } : {});
    return [];
  }

  get loaded(): boolean {
    return this.vm !== undefined;
  }

  /** Resets the machine with the run's input; call after `load`. */
  start(args: RunArgs, stopOnEntry: boolean): void {
    if (!this.vm) return;
    this.vm.reset(args);
    this.emitted = 0;
    this.finished = false;
    if (stopOnEntry) this.emit('stopped', { kind: 'entry' });
    else this.continue();
  }

  /**
   * Runs the program to completion with the JIT (no stops, no breakpoints):
   * reports output, then the exit or the fault as output, then ends.
   */
  runJit(args: RunArgs): void {
    if (!this.asm) return;
    const p = compileJit(this.asm.insns, this.budget ? { budget: this.budget } : {});
    if ('error' in p) {
      this.emit('output', p.error);
    } else {
      const r = p.run(args);
      for (const o of r.output) this.emit('output', formatOutput(o));
      if (r.fault) this.emit('output', formatFault(r.fault));
      else this.emit('exited', r.r0 ?? 0n);
      this.emit('output', `jit: compiled in ${p.compileMs.toFixed(1)} ms, ${r.steps} instructions executed`);
    }
    this.finished = true;
    this.emit('ended');
  }

  /**
   * Sets the breakpoints of the source: each line snaps to the first instruction
   * at or after it. Returns, per requested line, the line it landed on (or undefined).
   */
  setBreakpoints(lines: readonly number[]): (number | undefined)[] {
    const pcs = new Set<number>();
    const placed = lines.map((line) => {
      const k = this.insnAtOrAfter(line);
      if (k === undefined || !this.asm) return undefined;
      pcs.add(this.asm.insns[k].pc);
      return this.asm.lines[k];
    });
    this.breakpoints = pcs;
    return placed;
  }

  private insnAtOrAfter(line: number): number | undefined {
    if (!this.asm) return undefined;
    let best: number | undefined;
    this.asm.lines.forEach((l, k) => {
      if (l >= line && (best === undefined || l < this.asm!.lines[best])) best = k;
    });
    return best;
  }

  /** Lines that hold an instruction (for breakpoint validation by clients). */
  lineOfPc(pc: number): number | undefined {
    const k = pc >= 0 && pc < this.slot.length ? this.slot[pc] : -1;
    return k >= 0 && this.asm ? this.asm.lines[k] : undefined;
  }

  private insnAt(pc: number): Insn | undefined {
    const k = pc >= 0 && pc < this.slot.length ? this.slot[pc] : -1;
    return k >= 0 && this.asm ? this.asm.insns[k] : undefined;
  }

  /** Executes one instruction. */
  step(): void {
    if (!this.vm || this.finishIfDone()) return;
    this.after(this.vm.step(), 'step');
  }

  /** Steps until the current frame returns (or the program stops for another reason). */
  stepOut(): void {
    const vm = this.vm;
    if (!vm || this.finishIfDone()) return;
    const depth = vm.frames().length;
    let r: StopReason = vm.step();
    while (r === 'step' && vm.frames().length >= depth) {
      if (this.breakpoints.has(vm.pc)) { r = 'breakpoint'; break; }
      r = vm.step();
    }
    this.after(r, 'step');
  }

  /** Runs until a breakpoint, the exit or a fault; yields to the event loop between chunks. */
  continue(): void {
    const vm = this.vm;
    if (!vm || this.finishIfDone()) return;
    this.pauseRequested = false;
    const chunk = (): void => {
      const r = vm.run({ breakpoints: this.breakpoints, maxSteps: CHUNK });
      if (r === 'pause' && !vm.done && !vm.fault) {
        this.flushOutput();
        if (this.pauseRequested) this.emit('stopped', { kind: 'pause' });
        else setImmediate(chunk);
        return;
      }
      this.after(r, 'pause');
    };
    chunk();
  }

  pause(): void {
    this.pauseRequested = true;
  }

  /** After a stop: report output, then the exit, the fault or the stop. */
  private after(r: StopReason, fallback: StopKind): void {
    const vm = this.vm!;
    this.flushOutput();
    if (vm.fault) {
      this.emit('stopped', { kind: 'exception', description: formatFault(vm.fault), fault: vm.fault });
      return;
    }
    if (r === 'budget' || r === 'fault') {
      this.finished = true;
      this.emit('stopped', { kind: 'exception', description: r === 'budget' ? 'instruction budget exhausted' : 'fault' });
      return;
    }
    if (vm.done) {
      this.finished = true;
      this.emit('exited', vm.result ?? 0n);
      this.emit('ended');
      return;
    }
    this.emit('stopped', { kind: r === 'breakpoint' ? 'breakpoint' : fallback });
  }

  /** A run that already faulted or exited ends here (continue after an exception terminates). */
  private finishIfDone(): boolean {
    const vm = this.vm!;
    if (!vm.fault && !vm.done && !this.finished) return false;
    if (!this.finished) {
      this.finished = true;
      if (vm.done && !vm.fault) this.emit('exited', vm.result ?? 0n);
    }
    this.emit('ended');
    return true;
  }

  private flushOutput(): void {
    const out = this.vm!.output;
    for (; this.emitted < out.length; this.emitted++) this.emit('output', formatOutput(out[this.emitted]));
  }

  /** Call frames, innermost first. */
  frames(): Frame[] {
    if (!this.vm) return [];
    const fs: FrameInfo[] = this.vm.frames();
    const fault = this.vm.fault;
    return fs.slice().reverse().map((f, i) => {
      // At a fault the innermost frame is where the faulting instruction is.
      const pc = i === 0 && fault ? fault.pc : f.pc;
      const main = (f.program ?? 0) === 0;
      const insn = main ? this.insnAt(pc) : undefined;
      const line = main ? this.lineOfPc(pc) : undefined;
      return {
        index: f.index,
        pc,
        ...(line !== undefined ? { line } : {}),
        text: insn ? formatInsn(insn, { syntax: this.asm!.syntax, labels: this.labels }) : `pc ${f.pc}`,
      };
    });
  }

  /** r0..r10 of a frame (unsigned 64-bit). */
  registers(frame: number): bigint[] {
    const vm = this.vm;
    return vm ? Array.from({ length: 11 }, (_, i) => vm.reg(i, frame)) : [];
  }

  /** The frame's 512-byte stack, byte 0 at r10 - 512. */
  stack(frame: number): Uint8Array {
    return this.vm ? this.vm.stackBytes(frame) : new Uint8Array(0);
  }

  get fault(): VmFault | undefined {
    return this.vm?.fault;
  }
}

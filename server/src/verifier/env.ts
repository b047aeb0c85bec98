/**
 * The verifier environment shared by the checks: the program, privileges, the
 * current path state, the log with the kernel's state-printing rules, id
 * generation and the rejection signal. A check that fails calls `fail(msg)`,
 * which logs the kernel's line and unwinds to the driver (internal only; the
 * public API never throws).
 */
import type { Insn } from '../isa';
import type { Btf } from '../btf';
import type { CtxLayout } from './ctx/types';
import type { ProgType } from './progtypes';
import type { Prepass } from './prepass';
import { PrintCtx, Reg } from './reg';
import { Scratch, VState, stateStr } from './state';
import type { StackLiveness } from './liveness';
import { LogBuffer } from './log-buffer';
import type { GlobalFunc, VerifierLine, VerifierMap } from './types';

export class Reject {
  constructor(readonly message: string) {}
}

export class Env {
  state!: VState;
  insnIdx = 0;
  prevInsnIdx = -1;
  idGen = 0;
  readonly scratch = new Scratch();
  private readonly out = new LogBuffer();
  /** Log position just after the last instruction line (-1: something else came after it). */
  private insnLineEnd = -1;
  private insnLineLen = 0;
  /** Where the last instruction line ended (the kernel's prev_log_pos; kept when something else is written). */
  private prevInsnEnd = -1;
  readonly printCtx: Omit<PrintCtx, 'frameno'>;
  processed = 0;
  funcInfo: boolean | undefined;
  /** nr_cpu_ids of the target machine, when known (bounds of bpf_get_smp_processor_id). */
  nrCpus: number | undefined;
  sleepable = false;
  /** Global subprograms by entry pc. */
  globals: Map<number, GlobalFunc> | undefined;
  /** Poisoned instruction pc -> libbpf's message (failed CO-RE relocations). */
  poisoned: Map<number, string> | undefined;
  /** Per-instruction Spectre v1 masking state (CAP_BPF only): differing paths are refused. */
  get aluAux(): Map<number, string> { return this.aux ??= new Map(); }
  private aux: Map<number, string> | undefined;
  maxStack = 0;
  /** A variable pointer offset was sanitized (CAP_BPF): pruning compares scalars exactly (explore_alu_limits). */
  exploreAluLimits = false;
  /** Queues a speculative path from the next instruction with register `regno` set to `r` (the driver's sanitize_speculative_path). */
  speculator: { speculate(regno: number, r: Reg): void } | undefined;
  /** Stack slot reads and whole-slot writes of the instruction being checked (liveness.ts). */
  live: StackLiveness | undefined;

  constructor(
    readonly insns: (Insn | undefined)[],
    readonly pre: Prepass,
    readonly maps: readonly VerifierMap[],
    readonly progType: ProgType,
    readonly attachType: string | undefined,
    readonly ctx: CtxLayout | undefined,
    readonly root: boolean,
    readonly logLevel: number,
    readonly strictAlign: boolean,
    readonly gpl: boolean,
    readonly btf: Btf | undefined,
    readonly attachTo: string | undefined,
    readonly lines: Map<number, VerifierLine>,
  ) {
    this.printCtx = {
      mapName: (i: number) => {
        const m = maps[i];
        return m ? { name: m.name ?? '', ks: m.keySize, vs: m.valueSize } : undefined;
      },
    };
  }

  /** CAP_PERFMON: pointer leaks and comparisons allowed, uninit stack reads allowed, no Spectre v1 masking. */
  get allowPtrLeaks(): boolean { return this.root; }
  get allowUninitStack(): boolean { return this.root; }
  get bypassSpecV1(): boolean { return this.root; }

  get regs(): Reg[] { return this.state.cur.regs; }

  verbose(line: string): void {
    if (this.logLevel === 0) { this.last = line; return; }
    this.out.push(line + '\n');
    this.last = line;
  }
  last = '';

  fail(line: string): never {
    this.verbose(line);
    throw new Reject(line);
  }

  /** A refusal whose kernel message has no newline: the next line (the statistics) is glued to it, as in the kernel's log. */
  failUnterminated(line: string): never {
    if (this.logLevel) this.out.push(line);
    this.last = line;
    throw new Reject(line);
  }

  /** Raw text without newline handling (for `N: ` prefixes). */
  raw(s: string): void { if (this.logLevel) this.out.push(s); }

  /** Logs an instruction line and remembers it for a trailing `; state` comment. */
  insnLine(text: string): void {
    if (!this.logLevel) return;
    this.out.push(text + '\n');
    this.insnLineEnd = this.prevInsnEnd = this.out.length;
    this.insnLineLen = text.length + 1;
  }

  /** print_insn_state: the scratched state after the last instruction, on its line when nothing came in between. */
  printInsnState(): void {
    if (!this.logLevel) { this.scratch.clear(); return; }
    const s = stateStr(this.state, this.printCtx, false, this.scratch);
    if (this.insnLineEnd === this.out.length && this.insnLineEnd > 0) {
      this.out.truncate(this.out.length - 1);
      const pos = this.insnLineLen;
      // vlog_alignment: round_up(max(pos + 4, 40), 8) - pos - 1.
      const pad = Math.ceil(Math.max(pos + 4, 40) / 8) * 8 - pos - 1;
      this.out.push(' '.repeat(pad) + ';' + s + '\n');
    } else {
      this.out.push(`${this.insnIdx}:${s}\n`);
    }
    this.insnLineEnd = -1;
    this.scratch.clear();
  }

  /** Full state line (`from X to Y: ...`, caller/callee dumps). */
  fullState(prefix: string): void {
    if (!this.logLevel) return;
    this.out.push(prefix + stateStr(this.state, this.printCtx, true) + '\n');
    this.insnLineEnd = -1;
    this.scratch.clear();
  }

  text(): string { return this.out.text(); }
  /** A position in the log for truncateLog. */
  logLength(): number { return this.out.length; }
  truncateLog(n: number): void { this.out.truncate(n); this.insnLineEnd = -1; }
  /**
   * bpf_vlog_reset at log level 1 (pop_stack, a verified subprogram): the log goes back to position n.
   * Back at the end of the last instruction line, the next state comment joins that line again
   * (print_insn_state compares prev_log_pos with the log's end).
   */
  resetLog(n: number): void {
    this.out.truncate(n);
    this.insnLineEnd = n === this.prevInsnEnd ? n : -1;
  }
  /** Level 1 (not 2): the log keeps only the path being explored and is emptied when a program is verified (the kernel's pop_log). */
  get popLog(): boolean { return this.logLevel === 1; }

  newId(): number { return ++this.idGen; }
}

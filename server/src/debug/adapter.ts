/**
 * The BPF Studio debug adapter: translates DAP requests into calls on
 * BpfRuntime and runtime events into DAP events, one method per request.
 * Reading the program file is the only I/O. Non-goal: any execution logic
 * (runtime.ts and the VM own it).
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import {
  Breakpoint, DebugSession, ExitedEvent, InitializedEvent, Logger, logger, LoggingDebugSession, OutputEvent,
  Scope, Source, StackFrame, StoppedEvent, TerminatedEvent, Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Syntax } from '../asm';
import { formatReg, parseHexBytes } from '../ide/vm-format';
import { BpfRuntime } from './runtime';

interface LaunchArgs extends DebugProtocol.LaunchRequestArguments {
  /** Path of the .bpf.s file. */
  program: string;
  stopOnEntry?: boolean;
  engine?: 'interp' | 'jit';
  /** Input memory as hex bytes. */
  mem?: string;
  budget?: number;
  syntax?: Syntax | 'auto';
  /** Log DAP traffic to the debug console. */
  trace?: boolean;
}

const THREAD_ID = 1;
const STACK_ROWS = 512 / 8;

export class BpfDebugSession extends LoggingDebugSession {
  private readonly runtime = new BpfRuntime();
  private programPath: string | undefined;
  /** Requested breakpoint lines (debugger numbering) of the program's source, re-applied after each load. */
  private breakpointLines: number[] = [];
  private configurationDone!: () => void;
  private readonly configured = new Promise<void>((r) => { this.configurationDone = r; });
  private exceptionText: string | undefined;

  constructor() {
    super();
    // Runtime lines are 0-based; the client's numbering comes from its initialize arguments.
    this.setDebuggerLinesStartAt1(false);
    this.setDebuggerColumnsStartAt1(false);
    this.runtime.on('stopped', (e) => {
      const ev = new StoppedEvent(e.kind, THREAD_ID, e.description) as DebugProtocol.StoppedEvent;
      if (e.description) ev.body.description = e.description;
      this.exceptionText = e.kind === 'exception' ? e.description : undefined;
      this.sendEvent(ev);
    });
    this.runtime.on('output', (line) => this.sendEvent(new OutputEvent(line + '\n', 'stdout')));
    this.runtime.on('exited', (r0) => {
      this.sendEvent(new OutputEvent(`r0 = ${formatReg(r0)}\n`, 'console'));
      this.sendEvent(new ExitedEvent(Number(BigInt.asIntN(32, r0))));
    });
    this.runtime.on('ended', () => this.sendEvent(new TerminatedEvent()));
  }

  // --- line numbering: the one place converting between runtime and client lines ---
  private toClientLine(line: number): number { return this.convertDebuggerLineToClient(line); }
  private fromClientLine(line: number): number { return this.convertClientLineToDebugger(line); }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    const b = (response.body = response.body ?? {});
    // Breakpoints and launch arrive before the program runs; configurationDone starts it.
    b.supportsConfigurationDoneRequest = true;
    // Hovering a register name in the source shows its value (evaluate with context 'hover').
    b.supportsEvaluateForHovers = true;
    // A fault stop carries its details (kind, pc, address, region) through exceptionInfo.
    b.supportsExceptionInfoRequest = true;
    // No step back yet: the interpreter keeps no history.
    b.supportsStepBack = false;
    // No conditional/hit-count/data breakpoints yet.
    b.supportsConditionalBreakpoints = false;
    b.supportsDataBreakpoints = false;
    // Terminate ends the run; there is no debuggee process to kill.
    b.supportsTerminateRequest = true;
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.configurationDone();
  }

  /** Reads and assembles the program; returns error lines (empty when loaded). */
  private load(path: string, args: Partial<LaunchArgs> = {}): string[] {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      return [`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`];
    }
    this.programPath = resolve(path);
    const errors = this.runtime.load(text, { syntax: args.syntax ?? 'auto', ...(args.budget ? { budget: args.budget } : {}) });
    this.runtime.setBreakpoints(this.breakpointLines);
    return errors.map((e) => `${path}:${e}`);
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArgs): Promise<void> {
    logger.setup(args.trace ? Logger.LogLevel.Verbose : Logger.LogLevel.Stop, false);
    const errors: string[] = [];
    let mem: Uint8Array | undefined;
    if (args.mem) {
      const m = parseHexBytes(args.mem);
      if ('error' in m) errors.push(m.error);
      else mem = m.bytes;
    }
    if (!args.program) errors.push('launch: "program" (a .bpf.s file) is required');
    else {
      try {
        errors.push(...this.load(args.program, args));
      } catch (e) {
        errors.push(`BPF Studio internal error (a bug, please report): ${e instanceof Error ? e.stack : String(e)}`);
      }
    }
    this.sendResponse(response);
    if (errors.length) {
      this.sendEvent(new OutputEvent(errors.join('\n') + '\n', 'stderr'));
      this.sendEvent(new TerminatedEvent());
      return;
    }
    await this.configured;
    if (args.engine === 'jit') {
      this.sendEvent(new OutputEvent('engine "jit": the program runs to completion; breakpoints and stepping need engine "interp"\n', 'console'));
      this.runtime.runJit(mem ? { mem } : {});
      return;
    }
    this.runtime.start(mem ? { mem } : {}, args.stopOnEntry ?? false);
  }

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const path = args.source.path ? resolve(args.source.path) : undefined;
    const requested = (args.breakpoints ?? []).map((b) => this.fromClientLine(b.line));
    let placed: (number | undefined)[] = requested.map(() => undefined);
    if (path && (path === this.programPath || this.programPath === undefined)) {
      this.breakpointLines = requested;
      if (!this.runtime.loaded) this.load(path);
      placed = this.runtime.setBreakpoints(requested);
    }
    response.body = {
      breakpoints: placed.map((line, i) => {
        const bp = new Breakpoint(line !== undefined, this.toClientLine(line ?? requested[i])) as DebugProtocol.Breakpoint;
        if (line === undefined) bp.message = 'no instruction at or after this line';
        return bp;
      }),
    };
    this.sendResponse(response);
  }

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: [new Thread(THREAD_ID, 'BPF program')] };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse): void {
    const path = this.programPath;
    const frames = this.runtime.frames().map((f) => {
      const src = path && f.line !== undefined ? new Source(basename(path), this.convertDebuggerPathToClient(path)) : undefined;
      return new StackFrame(f.index + 1, f.text, src, this.toClientLine(f.line ?? 0), this.convertDebuggerColumnToClient(0));
    });
    response.body = { stackFrames: frames, totalFrames: frames.length };
    this.sendResponse(response);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const frame = args.frameId - 1;
    response.body = {
      scopes: [
        new Scope('Registers', 1 + 2 * frame, false),
        new Scope('Stack', 2 + 2 * frame, false),
      ],
    };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const ref = args.variablesReference;
    const frame = Math.floor((ref - 1) / 2);
    let variables: DebugProtocol.Variable[];
    if (ref % 2 === 1) {
      variables = this.runtime.registers(frame).map((v, i) => ({ name: `r${i}`, value: formatReg(v), variablesReference: 0 }));
    } else {
      const bytes = this.runtime.stack(frame);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      variables = [];
      for (let row = 1; row <= STACK_ROWS && 512 - 8 * row >= 0 && bytes.byteLength >= 512; row++) {
        const v = dv.getBigUint64(512 - 8 * row, true);
        variables.push({ name: `fp-${8 * row}`, value: '0x' + v.toString(16).padStart(16, '0'), variablesReference: 0 });
      }
    }
    response.body = { variables };
    this.sendResponse(response);
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    const m = /^([rw])(10|[0-9])$/.exec(args.expression.trim());
    if (!m) {
      if (args.context === 'hover') return this.sendErrorResponse(response, 1, 'not a register');
      return this.sendErrorResponse(response, 1, `cannot evaluate "${args.expression}": only registers r0..r10 (or w0..w10) are supported`);
    }
    const frames = this.runtime.frames();
    const frame = args.frameId !== undefined ? args.frameId - 1 : frames[0]?.index ?? 0;
    const v = this.runtime.registers(frame)[Number(m[2])];
    if (v === undefined) return this.sendErrorResponse(response, 2, 'no program is running');
    response.body = { result: formatReg(m[1] === 'w' ? v & 0xffffffffn : v), variablesReference: 0 };
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const f = this.runtime.fault;
    response.body = {
      exceptionId: f ? f.kind : 'fault',
      description: this.exceptionText ?? f?.message ?? 'fault',
      breakMode: 'always',
    };
    this.sendResponse(response);
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    response.body = { allThreadsContinued: true };
    this.sendResponse(response);
    this.runtime.continue();
  }

  protected override nextRequest(response: DebugProtocol.NextResponse): void {
    this.sendResponse(response);
    this.runtime.step();
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
    this.sendResponse(response);
    this.runtime.step();
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.sendResponse(response);
    this.runtime.stepOut();
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.sendResponse(response);
    this.runtime.pause();
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }
}

/** Runs the adapter on stdin/stdout until the client disconnects. */
export function startDebugAdapter(): void {
  DebugSession.run(BpfDebugSession);
}

/**
 * What compiled JIT code calls at run time: the per-run state (register spill
 * area, frame save area, per-frame stack views, step counter), helper calls
 * through the shared HelperContext (BigInt conversion at the boundary, bpf_loop
 * callbacks re-entering compiled code, tail calls), callx, packet loads, and
 * fault records built exactly as the interpreter (interp-core.ts) builds them.
 * Non-goal: code generation (jit.ts).
 */
import { faultText } from './fault-messages';
import { isFault, HelperGenerator, HelperResult, HelperTable } from './helpers-types';
import type { Machine } from './machine';
import type { Memory } from './memory';
import { budgetMessage, MAX_FRAMES, RunArgs, RunResult, VmFault } from './types';

/** Return codes of a program function. */
export const RET_EXIT = 0;
export const RET_FAULT = 1;
/** Continue in another program (tail call, or an exit into a caller of another program): S.program, S.pc, S.depth. */
export const RET_SWITCH = 2;
/** The whole run ends with r0 = S.regs (an out-of-bounds LD_ABS/LD_IND, as the kernel). */
export const RET_HALT = 3;
/** Continue one instruction at a time in the precise function of S.program at S.pc, S.depth. */
export const RET_PRECISE = 4;

/** Words saved per frame in S.frames: r6..r10 (lo, hi), return pc, return program. */
export const FRAME_WORDS = 12;

/** A compiled program: runs from `entry` in frame `depth` until frame `depth0` exits, faults or switches program. */
export type ProgFn = (S: JitState, entry: number, depth0: number, depth: number) => number;

export interface JitState {
  /** r0..r10 as (lo, hi) int32 pairs: the spill area at calls, entry and exit. */
  regs: Int32Array;
  steps: number;
  budget: number;
  memory: Memory;
  frames: Int32Array;
  stackHi: Int32Array;
  stackLo: Int32Array;
  stackDv: DataView[];
  depth: number;
  program: number;
  pc: number;
  fault: VmFault | undefined;
  fns: ProgFn[];
}

export interface JitRuntime {
  state: JitState;
  /** The precise (one instruction at a time) function of a program, compiled on first use. */
  precise: (program: number) => ProgFn;
  run(args?: RunArgs): RunResult;
  memFault(S: JitState, pc: number, steps: number, ah: number, al: number, size: number, write: boolean): number;
  depthFault(S: JitState, pc: number, steps: number, depth: number): number;
  budget(S: JitState, pc: number, steps: number): number;
  invalid(S: JitState, pc: number, steps: number, message: string): number;
  fault(S: JitState, kind: VmFault['kind'], pc: number, steps: number, message: string): number;
  /** Calls helper `id` with r1..r5 from S.regs; RET_EXIT (r0 in S.regs) or another return code. */
  helper(S: JitState, id: number, pc: number): number;
  /** callx: a function pc of the current program (>= 0), -1 for a helper call (id = the low half), -2 after a fault. */
  callxTarget(S: JitState, pc: number, dst: number, lo: number, hi: number, steps: number): number;
  /** LD_ABS/LD_IND: RET_EXIT with r0 in S.regs, or RET_HALT (r0 = 0) when the packet is too short. */
  ldPacket(S: JitState, off: number, size: number, steps: number): number;
}

function toBig(l: number, h: number): bigint {
  return (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
}

function setReg(regs: Int32Array, r: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  regs[2 * r] = Number(u & 0xffffffffn) | 0;
  regs[2 * r + 1] = Number(u >> 32n) | 0;
}

export function makeRuntime(machine: Machine, helpers: HelperTable, programLength: (program: number) => number): JitRuntime {
  const S: JitState = {
    regs: new Int32Array(22),
    steps: 0,
    budget: machine.budget,
    memory: machine.memory,
    frames: new Int32Array(MAX_FRAMES * FRAME_WORDS),
    stackHi: Int32Array.from(machine.stacks, (r) => r.baseHi | 0),
    stackLo: Int32Array.from(machine.stacks, (r) => r.baseLo | 0),
    stackDv: machine.stacks.map((r) => r.dv),
    depth: 0,
    program: 0,
    pc: 0,
    fault: undefined,
    fns: [],
  };

  const fail = (f: VmFault): number => {
    S.fault = f;
    return RET_FAULT;
  };

  /** Runs from `entry` of `program` in frame `depth` until frame `depth` exits, following program switches. */
  function runFrom(program: number, entry: number, depth: number): number {
    let fn = S.fns[program], pc = entry, d = depth;
    S.program = program;
    for (;;) {
      const rc = fn(S, pc, depth, d);
      if (rc === RET_SWITCH) fn = S.fns[S.program];
      else if (rc === RET_PRECISE) fn = rt.precise(S.program);
      else return rc;
      pc = S.pc;
      d = S.depth;
    }
  }

  /** Drives a helper generator: each yielded request runs as a callback frame above S.depth. */
  function drive(gen: HelperGenerator, pc: number): number {
    const depth = S.depth;
    const program = S.program;
    let input: bigint | undefined;
    for (;;) {
      let st;
      try {
        st = input === undefined ? gen.next() : gen.next(input);
      } catch (e) {
        return fail({ kind: 'helper', pc, message: faultText.helperThrew(undefined, e) });
      }
      if (st.done) {
        S.depth = depth;
        S.program = program;
        if (isFault(st.value)) return fail(st.value);
        return helperDone(st.value);
      }
      const req = st.value;
      if (req.program < 0 || req.program >= S.fns.length) return fail({ kind: 'helper', pc, message: faultText.callbackProgram() });
      if (req.pc < 0 || req.pc >= programLength(req.program)) {
        return fail({ kind: 'helper', pc, message: faultText.callbackOutside(req.pc) });
      }
      if (depth + 1 >= MAX_FRAMES) {
        return fail({ kind: 'call-depth', pc, message: faultText.callDepth(pc, depth + 1) });
      }
      const r = S.regs;
      const saved = r.slice(12, 22);
      for (let i = 0; i < 5; i++) setReg(r, i + 1, req.args[i] ?? 0n);
      r[20] = S.stackLo[depth + 1] + 512;
      r[21] = S.stackHi[depth + 1];
      const rc = runFrom(req.program, req.pc, depth + 1);
      if (rc !== RET_EXIT) return rc;
      r.set(saved, 12);
      S.depth = depth;
      S.program = program;
      machine.pc = pc;
      input = toBig(r[0], r[1]);
    }
  }

  function helperDone(r0: bigint): number {
    setReg(S.regs, 0, r0);
    const k = machine.pendingTailCall;
    if (k === undefined) return RET_EXIT;
    machine.pendingTailCall = undefined;
    S.program = k;
    S.pc = 0;
    return RET_SWITCH;
  }

  const rt: JitRuntime = {
    state: S,
    precise: () => { throw new Error('no precise functions installed'); },
    run(args?: RunArgs): RunResult {
      const regs = machine.reset(args);
      S.regs.fill(0);
      regs.forEach((v, i) => setReg(S.regs, i, v));
      S.steps = 0;
      S.fault = undefined;
      S.depth = 0;
      S.program = 0;
      let rc: number;
      try {
        rc = runFrom(0, 0, 0);
      } catch (e) {
        // Never expected (generated code does not throw); reported as a fault rather than thrown at the caller.
        rc = fail({ kind: 'invalid', pc: S.pc, message: `internal JIT error: ${(e as Error).message}` });
      }
      const out: RunResult = { steps: S.steps, output: machine.output };
      if (rc === RET_EXIT || rc === RET_HALT) out.r0 = toBig(S.regs[0], S.regs[1]);
      else out.fault = S.fault;
      return out;
    },
    memFault(_S, pc, steps, ah, al, size, write) {
      S.steps = steps;
      return fail(machine.memFault(pc, toBig(al, ah), size, write));
    },
    depthFault(_S, pc, steps, depth) {
      S.steps = steps;
      return fail({ kind: 'call-depth', pc, message: faultText.callDepth(pc, depth + 1) });
    },
    budget(_S, pc, steps) {
      S.steps = steps;
      return fail({ kind: 'budget', pc, message: budgetMessage(S.budget, pc) });
    },
    invalid(_S, pc, steps, message) {
      S.steps = steps;
      return fail({ kind: 'invalid', pc, message });
    },
    fault(_S, kind, pc, steps, message) {
      S.steps = steps;
      return fail({ kind, pc, message });
    },
    helper(_S, id, pc) {
      const spec = helpers.get(id);
      if (!spec) return fail({ kind: 'helper', pc, message: faultText.unknownHelper(id, pc) });
      machine.pc = pc;
      machine.program = S.program;
      machine.pendingTailCall = undefined;
      const r = S.regs;
      let res: HelperResult;
      try {
        res = spec.impl(machine, toBig(r[2], r[3]), toBig(r[4], r[5]), toBig(r[6], r[7]), toBig(r[8], r[9]), toBig(r[10], r[11]));
      } catch (e) {
        return fail({ kind: 'helper', pc, message: faultText.helperThrew(spec.name, e) });
      }
      if (typeof res === 'bigint') return helperDone(res);
      if (isFault(res)) return fail(res);
      return drive(res, pc);
    },
    callxTarget(_S, pc, dst, lo, hi, steps) {
      const v = toBig(lo, hi);
      if (v < 0x1_0000_0000n && helpers.has(Number(v))) return -1;
      const fn = machine.funcAt(v);
      if (fn && fn.program === S.program) return fn.pc;
      S.steps = steps;
      fail({ kind: 'invalid', pc, message: faultText.badCallx(dst, v) });
      return -2;
    },
    ldPacket(_S, off, size, steps) {
      const pkt = machine.mem;
      if (!pkt || off < 0 || off + size > pkt.bytes.byteLength) {
        S.regs[0] = 0;
        S.regs[1] = 0;
        S.steps = steps;
        return RET_HALT;
      }
      const dv = pkt.dv;
      S.regs[0] = size === 4 ? dv.getInt32(off, false) : size === 2 ? dv.getUint16(off, false) : pkt.bytes[off];
      S.regs[1] = 0;
      return RET_EXIT;
    },
  };
  return rt;
}

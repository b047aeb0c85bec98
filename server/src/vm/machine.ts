/**
 * The initial machine both engines start from: memory regions (one 512-byte
 * stack per frame, the input `ctx`/`mem`, maps, recorded trace memory), the
 * initial registers (r1, r2, r10), the resolution of `lddw` pseudo sources and
 * the helper context. Interpreter and JIT build their state here, so addresses
 * are identical across engines. Non-goal: executing instructions.
 */
import { Insn, imm64 } from '../isa/insn';
import { PSEUDO } from '../isa/opcodes';
import type { HelperContext, HelperTable } from './helpers-types';
import { ArrayMap } from './maps/array';
import { BpfMap, createMap, loadInitial } from './maps/index';
import { Memory, Region } from './memory';
import {
  DEFAULT_BUDGET, DEFAULT_ENV, FaultKind, MAX_FRAMES, RunArgs, STACK_SIZE, VmEnv, VmFault, VmOptions, VmOutput,
} from './types';

/** Fixed addresses of the run's input, so repeated runs see the same pointers. */
export const CTX_BASE = 0x0000_fc00_0000_0000n;
export const MEM_BASE = 0x0000_fd00_0000_0000n;
/** Function pointers (lddw src=4) look like kernel text: FUNC_BASE + (program * 2^20 + pc) * 8. */
export const FUNC_BASE = 0xffff_ffff_a000_0000n;
const FUNC_PROG_SHIFT = 20;

export class Machine implements HelperContext {
  readonly memory = new Memory();
  readonly env: Readonly<VmEnv>;
  readonly maps: BpfMap[] = [];
  /** stacks[i] is frame i's stack; its r10 is stacks[i].base + 512. */
  readonly stacks: Region[] = [];
  /** The program set: [main, ...VmOptions.programs]. */
  readonly programs: readonly (readonly Insn[])[];
  readonly budget: number;
  readonly helpers: HelperTable | undefined;
  output: VmOutput[] = [];
  /** What the machine could not set up as asked (oversized maps); shown to the user by callers. */
  readonly problems: string[] = [];
  ctx: Region | undefined;
  mem: Region | undefined;
  pc = 0;
  program = 0;
  pendingTailCall: number | undefined = undefined;
  tailCalls = 0;
  private rng = 1;
  private clockCalls = 0;
  private readonly mapByAddr = new Map<bigint, BpfMap>();

  constructor(main: readonly Insn[], readonly opts: VmOptions = {}) {
    this.env = { ...DEFAULT_ENV, ...(opts.env ?? {}) };
    this.budget = opts.budget ?? DEFAULT_BUDGET;
    this.helpers = opts.helpers;
    this.programs = [main, ...(opts.programs ?? [])];
    for (let i = 0; i < MAX_FRAMES; i++) {
      this.stacks.push(this.memory.add('stack', `stack of frame ${i}`, new Uint8Array(STACK_SIZE)));
    }
    (opts.maps ?? []).forEach((def, i) => {
      const m = createMap(def, i, this);
      this.maps.push(m);
      this.mapByAddr.set(m.addr, m);
    });
    this.env.memory.forEach((m, i) => {
      this.memory.add('trace', `recorded memory #${i} at 0x${m.addr.toString(16)}`, m.bytes, { base: m.addr, writable: false });
    });
  }

  /** r10 of frame i. */
  frameTop(i: number): bigint {
    return this.stacks[i].base + BigInt(STACK_SIZE);
  }

  /**
   * Starts a run: zeroes the stacks, maps the input, resets output and the
   * clock/random/tail-call state (maps too unless `keepMaps`). Returns r0..r10, unsigned.
   */
  reset(args: RunArgs = {}, keepMaps = false): bigint[] {
    for (const s of this.stacks) s.bytes.fill(0);
    this.ctx = this.place(this.ctx, 'ctx', 'ctx', CTX_BASE, args.ctx, !!args.ctxWritable);
    this.mem = this.place(this.mem, 'mem', 'mem', MEM_BASE, args.mem, true);
    this.output = [];
    this.rng = (this.env.seed >>> 0) || 1;
    this.clockCalls = 0;
    this.tailCalls = 0;
    this.pendingTailCall = undefined;
    this.pc = 0;
    this.program = 0;
    if (!keepMaps) {
      for (const m of this.maps) { m.clear(); loadInitial(m); }
    }
    const regs = new Array<bigint>(11).fill(0n);
    regs[1] = this.ctx ? this.ctx.base : this.mem ? this.mem.base : 0n;
    regs[2] = this.mem ? BigInt(this.mem.bytes.byteLength) : 0n;
    regs[10] = this.frameTop(0);
    for (const [k, v] of Object.entries(args.regs ?? {})) {
      const i = Number(k);
      if (Number.isInteger(i) && i >= 0 && i <= 10 && v !== undefined) regs[i] = BigInt.asUintN(64, v);
    }
    return regs;
  }

  private place(old: Region | undefined, kind: 'ctx' | 'mem', name: string, base: bigint, bytes: Uint8Array | undefined, writable: boolean): Region | undefined {
    if (old && bytes && old.bytes.byteLength === bytes.byteLength) {
      old.bytes.set(bytes);
      old.writable = writable;
      return old;
    }
    if (old) this.memory.free(old);
    if (!bytes) return undefined;
    return this.memory.add(kind, name, Uint8Array.from(bytes), { base, writable });
  }

  /** The value an `lddw` loads (unsigned), or a message when its pseudo source can't be resolved. */
  lddwValue(insn: Insn, program: number): bigint | string {
    switch (insn.src) {
      case PSEUDO.IMM:
        return imm64(insn);
      case PSEUDO.MAP_FD:
      case PSEUDO.MAP_IDX: {
        const m = this.maps[insn.imm];
        return m ? m.addr : `lddw refers to map #${insn.imm}, but ${this.maps.length} map(s) are defined`;
      }
      case PSEUDO.MAP_VALUE:
      case PSEUDO.MAP_IDX_VALUE: {
        const m = this.maps[insn.imm];
        if (!m) return `lddw refers to the value of map #${insn.imm}, but ${this.maps.length} map(s) are defined`;
        if (!(m instanceof ArrayMap) || m.def.type !== 'array') return `lddw map_value needs an array map; map #${insn.imm} (${m.def.name}) is a ${m.def.type} map`;
        const off = (insn.imm2 ?? 0) >>> 0;
        return m.valueBase + BigInt(off);
      }
      case PSEUDO.FUNC:
        return this.funcAddr(program, insn.pc + 1 + insn.imm);
      default:
        return `lddw with pseudo source ${insn.src} (BTF id) is not supported by the VM`;
    }
  }

  funcAddr(program: number, pc: number): bigint {
    return FUNC_BASE + BigInt(program * (1 << FUNC_PROG_SHIFT) + pc) * 8n;
  }

  funcAt(addr: bigint): { program: number; pc: number } | undefined {
    const d = addr - FUNC_BASE;
    if (d < 0n || d % 8n !== 0n || d >= 8n << 40n) return undefined;
    const n = Number(d / 8n);
    const program = Math.floor(n / (1 << FUNC_PROG_SHIFT));
    const pc = n % (1 << FUNC_PROG_SHIFT);
    return program < this.programs.length ? { program, pc } : undefined;
  }

  mapAt(addr: bigint): BpfMap | undefined {
    return this.mapByAddr.get(addr);
  }

  clock(kind: 'mono' | 'boot' | 'coarse'): bigint {
    const t = (kind === 'boot' ? this.env.bootTimeNs : this.env.timeNs) + BigInt(this.clockCalls++) * this.env.clockStepNs;
    return kind === 'coarse' ? t - (t % 4_000_000n) : t;
  }

  /** xorshift32, seeded from env.seed at reset. */
  random(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }

  fault(kind: FaultKind, message: string): VmFault {
    return { kind, pc: this.pc, message };
  }

  get programCount(): number {
    return this.programs.length;
  }

  memFaultHere(addr: bigint, size: number, write: boolean): VmFault {
    return this.memFault(this.pc, addr, size, write);
  }

  /** A memory fault at `pc` from Memory.fault's description. */
  memFault(pc: number, addr: bigint, size: number, write: boolean): VmFault {
    const f = this.memory.fault(addr, size, write);
    const out: VmFault = { kind: 'memory', pc, message: f.message, addr: f.addr, size };
    if (f.region !== undefined) out.region = f.region;
    return out;
  }
}

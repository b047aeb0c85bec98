/**
 * One interpreter holding every probe program of a script and the script's
 * maps for a whole replay, so map contents carry over from event to event as
 * they do in the kernel. A four-instruction dispatcher tail-calls the probe
 * that should run; each run gets the event's context, environment and
 * recorded memory (mapped read-only for that run only). The VM never forgets
 * a freed region, so after many events the machine is rebuilt with the maps'
 * contents copied over. Non-goals: choosing which probes run (replay.ts) and
 * decoding output (codegen's decoder).
 */
import { mkInsn, type Insn } from '../isa/insn';
import { specFor } from '../isa/opcodes';
import { helperId } from '../isa/helpers';
import { Vm } from '../vm/interp';
import type { Region } from '../vm/memory';
import { StackTraceMap } from '../vm/maps/events';
import type { BpfMap, MapDef, MapType } from '../vm/maps/types';
import { DEFAULT_ENV, type VmEnv, type VmFault, type VmOutput } from '../vm/types';

export interface ReplayMapDef {
  name: string;
  mapType: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

export interface RunOutcome {
  output: VmOutput[];
  fault?: VmFault;
  steps: number;
  r0?: bigint;
}

const MAP_TYPES = new Set<MapType>(['hash', 'array', 'percpu_hash', 'percpu_array', 'lru_hash', 'ringbuf', 'perf_event_array', 'stack_trace', 'prog_array', 'queue', 'stack']);

/** libbpf map type names (also 'BPF_MAP_TYPE_…' spellings) to the VM's. */
export function vmMapType(t: string): MapType | undefined {
  const n = t.toLowerCase().replace(/^bpf_map_type_/, '').replace(/^lru_percpu_hash$/, 'lru_hash');
  return MAP_TYPES.has(n as MapType) ? (n as MapType) : undefined;
}

/** The dispatcher: r3 = probe index (given in r2), r2 = the prog_array, bpf_tail_call(ctx, r2, r3), exit 0 if it returned. */
function dispatcher(progArray: number): Insn[] {
  const out: Insn[] = [];
  const add = (name: string, srcReg: boolean, f: Partial<Omit<Insn, 'spec' | 'pc'>>): void => {
    const spec = specFor(name, srcReg);
    if (!spec) return;
    out.push(mkInsn(spec, { dst: 0, src: 0, off: 0, imm: 0, ...f }));
  };
  add('mov', true, { dst: 3, src: 2 });
  add('lddw', false, { dst: 2, src: 1, imm: progArray, imm2: 0 });
  add('call', false, { imm: helperId('tail_call') ?? 12 });
  add('mov', false, { dst: 0, imm: 0 });
  add('exit', false, {});
  let pc = 0;
  for (const i of out) { i.pc = pc; pc += i.spec.name === 'lddw' ? 2 : 1; }
  return out;
}

/** Freed trace regions after which the machine is rebuilt (lookups walk past dead regions). */
const REBUILD_AFTER = 4096;

export class ReplayVm {
  private current: Vm;
  /** Problems found while setting up (unknown map types, oversized maps). */
  readonly problems: string[] = [];
  private readonly progArrayIndex: number;
  private readonly defs: MapDef[];
  private readonly programs: readonly (readonly Insn[])[];
  private readonly opts: { budget?: number; nrCpus?: number; rebuildAfter?: number };
  private dead = 0;
  /** Times the machine was rebuilt (for tests and statistics). */
  rebuilds = 0;

  constructor(programs: readonly (readonly Insn[])[], maps: readonly ReplayMapDef[], opts: { budget?: number; nrCpus?: number; rebuildAfter?: number } = {}) {
    const defs: MapDef[] = maps.map((m) => {
      const type = vmMapType(m.mapType);
      if (!type) this.problems.push(`map ${m.name}: map type ${m.mapType} is not supported by the VM (replayed as a hash map)`);
      return { type: type ?? 'hash', keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, name: m.name };
    });
    this.progArrayIndex = defs.length;
    const initial = programs.map((_, k) => {
      const key = new Uint8Array(4);
      const value = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, k, true);
      new DataView(value.buffer).setUint32(0, k, true);
      return { key, value };
    });
    defs.push({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: Math.max(1, programs.length), name: '__replay_probes', initial });
    this.defs = defs;
    this.programs = programs;
    this.opts = opts;
    this.current = this.fresh();
    this.problems.push(...this.current.problems);
  }

  get vm(): Vm {
    return this.current;
  }

  private fresh(): Vm {
    return new Vm(dispatcher(this.progArrayIndex), {
      maps: this.defs, programs: this.programs, budget: this.opts.budget, env: { nrCpus: this.opts.nrCpus ?? DEFAULT_ENV.nrCpus },
    });
  }

  /**
   * Runs `f` with the machine's environment replaced by `env`. The machine reads
   * its environment on every helper and per-CPU map access and keeps one per
   * machine; a replay needs one machine for all events (the maps persist), so
   * the environment is swapped here, the one place that does it.
   */
  withEnv<T>(env: Readonly<VmEnv>, f: () => T, vm: Vm = this.current): T {
    const m = vm.m as { env: Readonly<VmEnv> };
    const saved = m.env;
    m.env = env;
    try {
      return f();
    } finally {
      m.env = saved;
    }
  }

  /** `f` with CPU `cpu` current (which per-CPU map copy updates write). */
  onCpu<T>(cpu: number, f: () => T, vm: Vm = this.current): T {
    return this.withEnv({ ...vm.m.env, cpu }, f, vm);
  }

  /** A new machine with the same map contents (every CPU's copy, stack traces under the same ids). */
  rebuild(): void {
    const old = this.current;
    const vm = this.fresh();
    for (let i = 0; i < this.progArrayIndex; i++) copyMap(old.maps[i], vm.maps[i], (cpu, f) => this.onCpu(cpu, f, vm));
    this.current = vm;
    this.dead = 0;
    this.rebuilds++;
  }

  /** Maps of the script, in CompiledScript order (the dispatcher's prog_array is not included). */
  maps(): ReturnType<Vm['maps']['slice']> {
    return this.vm.maps.slice(0, this.progArrayIndex);
  }

  /**
   * Runs probe program `k` on `ctx` with the event's environment. Maps are
   * kept; the event's recorded memory is mapped for this run and unmapped after.
   */
  run(k: number, ctx: Uint8Array, env: Partial<VmEnv>): RunOutcome {
    if (this.dead >= (this.opts.rebuildAfter ?? REBUILD_AFTER)) this.rebuild();
    const vm = this.current;
    const m = vm.m;
    const full: VmEnv = { ...DEFAULT_ENV, ...env, nrCpus: m.env.nrCpus, memory: [] };
    const regions: Region[] = (env.memory ?? []).map((r, i) =>
      m.memory.add('trace', `recorded memory #${i} at 0x${r.addr.toString(16)}`, r.bytes, { base: r.addr, writable: false }));
    this.withEnv(full, () => {
      vm.reset({ ctx, regs: { 2: BigInt(k) } }, true);
      vm.run();
    });
    for (const r of regions) m.memory.free(r);
    this.dead += regions.length;
    const out: RunOutcome = { output: vm.output.slice(), steps: vm.steps };
    if (vm.fault) out.fault = vm.fault;
    else if (vm.result !== undefined) out.r0 = vm.result;
    return out;
  }
}

/** Copies a map's contents into a fresh map of the same definition; `onCpu` runs an update with that CPU current. */
function copyMap(from: BpfMap, to: BpfMap, onCpu: (cpu: number, f: () => void) => void): void {
  if (from instanceof StackTraceMap && to instanceof StackTraceMap) {
    for (const e of from.entries()) {
      const dv = new DataView(e.value.buffer, e.value.byteOffset, e.value.byteLength);
      const ips: bigint[] = [];
      for (let o = 0; o + 8 <= e.value.length; o += 8) ips.push(dv.getBigUint64(o, true));
      while (ips.length && ips[ips.length - 1] === 0n) ips.pop();
      to.stackId(ips, 0n);
    }
    return;
  }
  if (to.def.type === 'prog_array') return;
  for (const e of from.entries()) onCpu(e.cpu ?? 0, () => { to.update(e.key, e.value, 0); });
}

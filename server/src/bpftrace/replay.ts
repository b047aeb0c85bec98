/**
 * Replays a recorded trace through a compiled bpftrace script the way
 * bpftrace runs it: "Attaching N probes...", BEGIN, then every event to each
 * probe whose attach points match it (interval/profile probes fire every
 * period from the first event's time, on CPU 0, unless the trace has their
 * events), END, and the maps printed at exit; exit() stops early.
 * Output records go through the decoder and the formatter given in a codec.
 * Pure and streaming; never throws. Non-goals: reading files (cli/), the
 * decoding and formatting themselves (codegen/, output/).
 */
import type * as A from './ast';
import type { BtMapDef, CompiledScript } from './codegen/model';
import type { MapSnapshot, OutputEvent, OutputOptions } from './output/values';
import { LineIndex, type Diagnostic } from './source';
import { decodeMap, decodeRecord } from './codegen';
import { compileText } from './codegen/pipeline';
import type { TpFormat } from '../btf/tracepoint';
import { attachedLine, formatEvent, formatMapsAtExit } from './output';
import { buildInputs, parseProbeName, type CtxInfo, type CtxKernel, type EventInputs } from './ctx';
import { attachMatcher, matchesAttach, timerPeriodNs, type AttachMatcher } from './replay-match';
import { ReplayVm } from './replay-vm';
import { SymbolTable, stackAddrs, type Resolver } from './replay-symbols';
import { MemoryHistory } from './replay-memory';
import type { TraceEvent } from '../trace/v1';
import type { VmEnv } from '../vm/types';
import type { BpfMap } from '../vm/maps/types';

/** The decoder (codegen) and formatter (output) replay hands records and maps to. */
export interface ReplayCodec {
  decodeRecord(script: CompiledScript, bytes: Uint8Array): OutputEvent | { error: string };
  decodeMap(script: CompiledScript, map: BtMapDef, entries: Iterable<{ key: Uint8Array; values: Uint8Array[] }>): MapSnapshot;
  formatEvent(e: OutputEvent, o: OutputOptions): string;
  formatMapsAtExit(maps: MapSnapshot[], o: OutputOptions): string;
  /** The attach banner's stdout and stderr parts (0.26 writes it to stderr); formatEvent's 'attached' text when absent. */
  attachedLine?(probes: number, o: OutputOptions): { stdout: string; stderr: string };
}

export interface ReplayDiagnostic {
  /** 1-based event number in the trace (0: BEGIN/END/setup). */
  event: number;
  probe: string;
  message: string;
}

export interface ReplayOptions extends OutputOptions {
  kernel?: CtxKernel;
  /** The parsed script (gives each probe's context description from the type checker). */
  program?: A.Program;
  /** The script's text: faults then name the script line. */
  source?: string;
  /** Instruction budget per probe run. */
  budget?: number;
  /** Freed trace memory regions after which the VM is rebuilt (default 4096; tests use less). */
  rebuildAfter?: number;
  /** CPUs of per-CPU maps (events on higher CPUs are refused); default 64. */
  nrCpus?: number;
  /** Print "Attaching N probes..." first (bpftrace does); default true. */
  attachedLine?: boolean;
  /** Environment of BEGIN/END (bpftrace's own process); default pid 1, comm "bpftrace". */
  selfEnv?: Partial<VmEnv>;
  /** cat(PATH): the file's content (the host reads it; the core does no I/O). Without it cat() prints nothing and is reported. */
  cat?(path: string): string | undefined;
  /** system(CMD): the command's output (the host runs it, bpftrace's --unsafe). Without it system() prints nothing and is reported. */
  system?(command: string): string | undefined;
  /** Only the event's own recorded memory is readable (default: also what its process recorded before). */
  eventMemoryOnly?: boolean;
  /** Text bpftrace writes to stderr (the 0.26 attach banner, errorf/warnf messages). */
  onStderr?(text: string): void;
  /** The script's name in errorf/warnf locations (bpftrace: the file as given, `stdin` for -e); default 'stdin'. */
  fileName?: string;
  /** Called for each problem (bad event, program fault, undecodable record); replay goes on. */
  onDiagnostic?(d: ReplayDiagnostic): void;
}

export interface ReplayStats {
  events: number;
  /** Probe runs (BEGIN, END and synthesized timer firings included). */
  runs: number;
  unmatched: number;
  steps: number;
  exited: boolean;
  /** Times the VM was rebuilt to drop freed trace memory (maps carried over). */
  rebuilds: number;
}

interface ProbeSlot {
  index: number;
  name: string;
  provider: string;
  matchers: AttachMatcher[];
  ctx?: CtxInfo;
  period?: bigint;
  nextFire?: bigint;
  /** The event probe name this slot last ran for (what `probe` prints for a wildcard attach point). */
  firedAs?: string;
}

/** The context of the attach point a compiled probe serves (ProbeCtx.attach[i] when the probe has several). */
function attachCtx(ctx: (CtxInfo & { attach?: CtxInfo[] }) | undefined, item: A.Probe, compiled: string): CtxInfo | undefined {
  if (!ctx?.attach || item.attachPoints.length < 2) return ctx;
  const i = item.attachPoints.findIndex((ap) => ap.raw === compiled || matchesAttach(attachMatcher(ap.raw), compiled));
  return (i >= 0 ? ctx.attach[i] : undefined) ?? ctx;
}

/** bpftrace's name of an attach point: the full provider name, then the parts (BEGIN and END as such). */
export function probeText(m: AttachMatcher): string {
  if (m.provider === 'begin' || m.provider === 'end') return m.provider.toUpperCase();
  return [m.provider, ...m.parts].join(':');
}

const SPECIAL = new Set(['begin', 'end']);

/** Map contents grouped by key, one value per CPU (per-CPU maps) in CPU order. */
export function mapEntries(m: BpfMap): { key: Uint8Array; values: Uint8Array[] }[] {
  const by = new Map<string, { key: Uint8Array; values: Uint8Array[] }>();
  for (const e of m.entries()) {
    const k = Array.from(e.key).join(',');
    let g = by.get(k);
    if (!g) by.set(k, (g = { key: e.key, values: [] }));
    g.values[e.cpu ?? 0] = e.value;
  }
  for (const g of by.values()) for (let i = 0; i < g.values.length; i++) g.values[i] ??= new Uint8Array(m.def.valueSize);
  return [...by.values()];
}

/** bpftrace counts attach points (BEGIN and END included). */
export function attachedCount(script: CompiledScript): number {
  return script.probes.reduce((n, p) => n + p.attachPoints.length, 0);
}

export class Replayer {
  readonly stats: ReplayStats = { events: 0, runs: 0, unmatched: 0, steps: 0, exited: false, rebuilds: 0 };
  private readonly rvm: ReplayVm;
  private readonly slots: ProbeSlot[];
  private readonly byProbe = new Map<string, ProbeSlot[]>();
  private readonly kernel: CtxKernel;
  private lastTs = 0n;
  private eventNo = 0;
  /** exit() was called: the current phase (events, or END) stops. */
  private halted = false;
  private readonly lines: LineIndex | undefined;
  private readonly memory = new MemoryHistory();
  /** Symbols of the stack frames recorded so far. */
  readonly symbols = new SymbolTable();
  private readonly stacks: Resolver = {
    stack: (which, id) => {
      const i = this.mapIndex(`stack_${which}`);
      const m = i >= 0 ? this.rvm.maps()[i] : undefined;
      const e = m?.entries().find((x) => x.key.length === 4 && new DataView(x.key.buffer, x.key.byteOffset).getUint32(0, true) === id);
      return e ? stackAddrs(e.value) : undefined;
    },
    probe: (index) => {
      const s = this.slots[index];
      return s ? s.firedAs ?? probeText(s.matchers[0]) : undefined;
    },
  };

  constructor(readonly script: CompiledScript, private readonly codec: ReplayCodec, private readonly o: ReplayOptions) {
    this.kernel = o.kernel ?? {};
    this.lines = o.source !== undefined ? new LineIndex(o.source) : undefined;
    this.rvm = new ReplayVm(script.probes.map((p) => p.insns), script.maps, { budget: o.budget, nrCpus: o.nrCpus ?? 64, rebuildAfter: o.rebuildAfter });
    for (const p of this.rvm.problems) this.diag(0, '', p);
    this.slots = script.probes.map((p, index) => {
      const first = parseProbeName(p.attachPoints[0] ?? '');
      const item = o.program?.items[p.item];
      const ctx = item && item.kind === 'Probe' ? attachCtx(script.types.probes.get(item), item, p.attachPoints[0] ?? '') : undefined;
      const slot: ProbeSlot = { index, name: p.attachPoints.join(','), provider: first.provider, matchers: p.attachPoints.map(attachMatcher) };
      if (ctx) slot.ctx = ctx;
      const period = p.attachPoints.map(timerPeriodNs).find((x) => x !== undefined);
      if (period !== undefined) slot.period = period;
      return slot;
    });
  }

  private diag(event: number, probe: string, message: string): void {
    this.o.onDiagnostic?.({ event, probe, message });
  }

  /** Runs one probe; returns the text it printed. */
  private *run(slot: ProbeSlot, ctx: Uint8Array, env: Partial<VmEnv>): Generator<string> {
    const r = this.rvm.run(slot.index, ctx, env);
    this.stats.rebuilds = this.rvm.rebuilds;
    this.stats.runs++;
    this.stats.steps += r.steps;
    if (r.fault) {
      const probe = this.script.probes[slot.index];
      const k = probe.insns.findIndex((i) => i.pc === r.fault?.pc);
      const range = k >= 0 ? probe.lines[k] : undefined;
      const line = range && this.lines ? `script line ${this.lines.position(range.start).line + 1}: ` : '';
      this.diag(this.eventNo, slot.name, `${line}fault at instruction ${r.fault.pc}: ${r.fault.message}`);
    }
    for (const out of r.output) {
      if (out.kind === 'printk') { yield out.text; continue; }
      const e = this.codec.decodeRecord(this.script, out.data);
      if ('error' in e) { this.diag(this.eventNo, slot.name, `output record: ${e.error}`); continue; }
      if (e.kind === 'exit') { this.stats.exited = true; this.halted = true; return; }
      if (e.kind === 'clear' || e.kind === 'zero') { this.clearMap(e.map, e.kind === 'zero'); continue; }
      if (e.kind === 'cat' || e.kind === 'system') {
        const text = this.o[e.kind]?.(e.text);
        if (text === undefined) { this.diag(this.eventNo, slot.name, `${e.kind}(${JSON.stringify(e.text)}): not ${e.kind === 'cat' ? 'read' : 'run'} during replay`); continue; }
        yield this.codec.formatEvent({ kind: e.kind, text }, this.o);
        continue;
      }
      // time(): the record holds the kernel's clock (boot-based here); bpftrace prints the wall clock.
      if (e.kind === 'time') e.ns += this.o.bootNs ?? 0n;
      if (e.kind === 'printf' && e.severity) { this.o.onStderr?.(this.severityLine(e.severity, e.at, this.codec.formatEvent({ kind: 'printf', fmt: e.fmt, args: e.args }, this.o))); continue; }
      if (e.kind === 'print') {
        const snap = this.snapshot(e.map.name);
        if (snap) e.map = snap;
      }
      yield this.codec.formatEvent(this.symbols.resolveEvent(e, this.stacks), this.o);
    }
  }

  /** errorf/warnf: `FILE:LINE:COL-ENDCOL: ERROR: text` as bpftrace logs it (to stderr, without the source context). */
  private severityLine(severity: 'error' | 'warning', at: { start: number; end: number } | undefined, text: string): string {
    let loc = this.o.fileName ?? 'stdin';
    if (at && this.lines) {
      const a = this.lines.position(at.start);
      const b = this.lines.position(at.end);
      loc += a.line === b.line ? `:${a.line + 1}:${a.col + 1}-${b.col + 1}` : `:${a.line + 1}-${b.line + 1}`;
    }
    return `${loc}: ${severity === 'error' ? 'ERROR' : 'WARNING'}: ${text}\n`;
  }

  private mapIndex(name: string): number {
    return this.script.maps.findIndex((m) => m.name === name);
  }

  private snapshot(name: string): MapSnapshot | undefined {
    const i = this.mapIndex(name);
    const m = this.rvm.maps()[i];
    return m ? this.symbols.resolveSnapshot(this.codec.decodeMap(this.script, this.script.maps[i], mapEntries(m)), this.stacks) : undefined;
  }

  /** clear(): delete every key; zero(): set every value (every CPU's copy) to zeros. */
  private clearMap(name: string, zero: boolean): void {
    const m = this.rvm.maps()[this.mapIndex(name)];
    if (!m) return;
    for (const e of mapEntries(m)) {
      if (!zero) { m.delete(e.key); continue; }
      for (let cpu = 0; cpu < e.values.length; cpu++) this.rvm.onCpu(cpu, () => m.update(e.key, new Uint8Array(m.def.valueSize), 0));
    }
  }

  private selfEnv(ts: bigint): Partial<VmEnv> {
    return { pid: 1, tgid: 1, uid: 0, gid: 0, comm: 'bpftrace', cpu: 0, timeNs: ts, bootTimeNs: ts, ...this.o.selfEnv };
  }

  /** "Attaching N probes..." and BEGIN; `firstTs` is the first event's time. */
  *begin(firstTs: bigint): Generator<string> {
    this.lastTs = firstTs;
    this.setElapsedStart(firstTs);
    if (this.o.attachedLine !== false) {
      const n = attachedCount(this.script);
      const banner = this.codec.attachedLine?.(n, this.o) ?? { stdout: this.codec.formatEvent({ kind: 'attached', probes: n }, this.o), stderr: '' };
      if (banner.stderr) this.o.onStderr?.(banner.stderr);
      if (banner.stdout) yield banner.stdout;
    }
    for (const s of this.slots) {
      if (s.period !== undefined) s.nextFire = firstTs + s.period;
      if (s.provider === 'begin' && !this.halted) yield* this.run(s, this.emptyCtx(), this.selfEnv(firstTs));
    }
  }

  /** `elapsed` counts from the start time codegen reads from the 'elapsed' map (key u32 0). */
  private setElapsedStart(ts: bigint): void {
    const m = this.rvm.maps()[this.mapIndex('elapsed')];
    if (!m) return;
    const v = new Uint8Array(Math.max(8, m.def.valueSize));
    new DataView(v.buffer).setBigUint64(0, BigInt.asUintN(64, ts), true);
    m.update(new Uint8Array(4), v, 0);
  }

  private emptyCtx(): Uint8Array {
    const r = buildInputs('begin', undefined, { probe: 'BEGIN', ts: 0, cpu: 0, pid: 0, tid: 0, uid: 0, gid: 0, comm: '', args: {} }, this.kernel);
    return 'ctx' in r ? r.ctx : new Uint8Array(168);
  }

  /** Timer probes due at or before `ts`, in time order. */
  private *timers(ts: bigint): Generator<string> {
    for (;;) {
      let due: ProbeSlot | undefined;
      for (const s of this.slots) if (s.nextFire !== undefined && s.nextFire <= ts && (!due || s.nextFire < (due.nextFire as bigint))) due = s;
      if (!due || this.halted) return;
      const at = due.nextFire as bigint;
      due.nextFire = at + (due.period as bigint);
      const r = buildInputs(due.provider, due.ctx, { probe: due.name, ts: at, cpu: 0, pid: 0, tid: 0, uid: 0, gid: 0, comm: 'swapper/0', args: {} }, this.kernel);
      if ('ctx' in r) yield* this.run(due, r.ctx, r.env);
    }
  }

  private matching(probe: string): ProbeSlot[] {
    let l = this.byProbe.get(probe);
    if (!l) {
      l = this.slots.filter((s) => !SPECIAL.has(s.provider) && s.matchers.some((m) => matchesAttach(m, probe)));
      this.byProbe.set(probe, l);
    }
    return l;
  }

  /** One trace event: due timers first, then every matching probe in script order. */
  *event(ev: TraceEvent): Generator<string> {
    this.eventNo++;
    if (this.halted) return;
    this.stats.events++;
    if (ev.kstack || ev.ustack) this.symbols.add(ev);
    const ts = typeof ev.ts === 'bigint' ? ev.ts : BigInt(ev.ts);
    this.lastTs = ts;
    yield* this.timers(ts);
    const slots = this.matching(ev.probe);
    if (slots.length === 0) { this.stats.unmatched++; return; }
    if (Number(ev.cpu) >= (this.o.nrCpus ?? 64)) { this.diag(this.eventNo, ev.probe, `field "cpu": ${ev.cpu} is beyond the ${this.o.nrCpus ?? 64} CPUs replayed (raise nrCpus)`); return; }
    let own: EventInputs['env']['memory'];
    for (const s of slots) {
      if (this.halted) return;
      const r = buildInputs(s.provider, s.ctx, ev, this.kernel);
      if ('error' in r) { this.diag(this.eventNo, ev.probe, r.error); continue; }
      s.firedAs = ev.probe;
      // A timed probe the trace recorded (profile events with their stacks) runs from its events only.
      s.nextFire = undefined;
      own ??= r.env.memory ?? [];
      if (!this.o.eventMemoryOnly) r.env.memory = this.memory.view(r.env.tgid ?? 0, own);
      yield* this.run(s, r.ctx, r.env);
    }
    if (own && own.length && !this.o.eventMemoryOnly) this.memory.remember(Number(BigInt(ev.pid) & 0xffffffffn), own);
  }

  /** END probes, then every script map (`@…`) as bpftrace prints them at exit. */
  *end(): Generator<string> {
    this.halted = false;
    this.eventNo = 0;
    for (const s of this.slots) if (s.provider === 'end' && !this.halted) yield* this.run(s, this.emptyCtx(), this.selfEnv(this.lastTs));
    const snaps: MapSnapshot[] = [];
    this.script.maps.forEach((d, i) => {
      if (!d.name.startsWith('@')) return;
      const m = this.rvm.maps()[i];
      if (m) snaps.push(this.symbols.resolveSnapshot(this.codec.decodeMap(this.script, d, mapEntries(m)), this.stacks));
    });
    const text = this.codec.formatMapsAtExit(snaps, this.o);
    if (text) yield text;
  }
}

/** The whole replay as text chunks, in order (concatenate them for bpftrace's stdout). */
export function* replayWith(script: CompiledScript, events: Iterable<TraceEvent>, codec: ReplayCodec, o: ReplayOptions): Generator<string, ReplayStats> {
  const rp = new Replayer(script, codec, o);
  const it = events[Symbol.iterator]();
  let next = it.next();
  const firstTs = next.done ? 0n : BigInt(next.value.ts);
  yield* rp.begin(firstTs);
  while (!next.done && !rp.stats.exited) {
    yield* rp.event(next.value);
    next = it.next();
  }
  yield* rp.end();
  return rp.stats;
}

/** The real decoder (codegen) and formatter (output). */
export const BPFTRACE_CODEC: ReplayCodec = { decodeRecord, decodeMap, formatEvent, formatMapsAtExit, attachedLine };

/** Replays with bpftrace's own decoding and formatting. */
export function replay(script: CompiledScript, events: Iterable<TraceEvent>, o: ReplayOptions): Generator<string, ReplayStats> {
  return replayWith(script, events, BPFTRACE_CODEC, o);
}

export interface Compiled {
  program: A.Program;
  script?: CompiledScript;
  /** Errors and warnings of every stage (parse, semantics, types, codegen), by position. */
  diagnostics: Diagnostic[];
}

/** What compiling for replay reads about the kernel: formats (typecheck/replay), a tracepoint catalog (wildcards), BTF. */
export type ReplayKernel = CtxKernel & {
  tracepointFields?(c: string, e: string): string[] | undefined;
  systems?(): string[];
  events?(system: string): string[];
  format?(system: string, event: string): TpFormat | undefined;
};

/** Parse, check and compile a script for replay (codegen's compileText); `script` is absent when any stage reported an error. */
export function compileForReplay(text: string, kernel: ReplayKernel, opts: { target?: string; strlen?: number; params?: string[] } = {}): Compiled {
  const k = {
    ...kernel,
    tracepointFields: kernel.tracepointFields ?? ((c: string, e: string) => kernel.tracepoint?.(c, e)?.fields.map((f) => f.name)),
    ...(kernel.format || !kernel.tracepoint ? {} : { format: (c: string, e: string) => kernel.tracepoint?.(c, e) }),
  };
  const r = compileText(text, k, { target: opts.target ?? '0.17', output: 'perf', ...(opts.strlen !== undefined ? { strlen: opts.strlen } : {}), ...(opts.params ? { params: opts.params } : {}) });
  if (!r.script || r.diagnostics.some((x) => x.severity === 'error')) return { program: r.program, diagnostics: r.diagnostics };
  return { program: r.program, script: r.script, diagnostics: r.diagnostics };
}

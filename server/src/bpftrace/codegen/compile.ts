/**
 * The compile driver: one BPF program per attach point (bpftrace's section
 * names and program types), each with its prologue (context in r6, scratch
 * area in r9), predicate, body and `return 0`, plus the script's maps and
 * output formats. Non-goals: ELF writing (elf.ts) and loading.
 */
import * as A from '../ast';
import type { Diagnostic } from '../source';
import { type SType, U64, sizeOf } from '../types';
import { Gen, R_ACC, R_CTX, R_SC, Unsupported, isScalar } from './gen';
import type { CompileOptions, CompiledProbe, CompiledScript, ProbeCtxInfo, TypeInfoLike } from './model';
import { tpArgs } from '../typecheck-kernel';
import { compareVersions, parseVersion } from '../versions';
import { ScriptLayout } from './script';
import { Typer } from './tyof';
import { genStmt, genStmts } from './stmt';
import { scalar } from './expr';
import { linkProbe } from './link';

/** libbpf section name and program type of an attach point, or an error. */
export function sectionOf(ap: A.AttachPoint): { section: string; progType: string } | { error: string } {
  const p = ap.canonical;
  const last = ap.parts[ap.parts.length - 1] ?? '';
  switch (p) {
    case 'tracepoint': return { section: `tracepoint/${ap.parts[0] ?? ''}/${ap.parts[1] ?? ''}`, progType: 'tracepoint' };
    case 'kprobe': return { section: `kprobe/${last}`, progType: 'kprobe' };
    case 'kretprobe': return { section: `kretprobe/${last}`, progType: 'kprobe' };
    case 'uprobe': case 'usdt': case 'begin': case 'end': return { section: 'uprobe', progType: 'kprobe' };
    case 'uretprobe': return { section: 'uretprobe', progType: 'kprobe' };
    case 'rawtracepoint': return { section: `raw_tracepoint/${last}`, progType: 'raw_tracepoint' };
    case 'profile': case 'interval': case 'software': case 'hardware': return { section: 'perf_event', progType: 'perf_event' };
    case 'fentry': return { section: `fentry/${last}`, progType: 'tracing' };
    case 'fexit': return { section: `fexit/${last}`, progType: 'tracing' };
    // bpf_iter: a tracing program attached (BPF_TRACE_ITER) to bpf_iter_<target>; ctx is struct bpf_iter__<target>.
    case 'iter': return ap.parts[0] ? { section: `iter/${ap.parts[0]}`, progType: 'tracing' } : { error: 'iter probe needs a target (iter:task, iter:task_file, ...)' };
    // Hardware breakpoints are perf events (PERF_TYPE_BREAKPOINT), as profile/interval probes.
    case 'watchpoint': case 'asyncwatchpoint': return { section: 'perf_event', progType: 'perf_event' };
    // bpftrace 0.26 runs `self` (like its other special probes) as a raw tracepoint program through BPF_PROG_TEST_RUN,
    // test/bench probes as XDP programs through BPF_PROG_TEST_RUN.
    case 'self': return { section: `raw_tp/self_${ap.parts.join('_')}`, progType: 'raw_tracepoint' };
    case 'test': case 'bench': return { section: 'xdp', progType: 'xdp' };
    default: return { error: `code generation does not support ${ap.provider || 'this'} probes` };
  }
}

/** Pre-scan of assignments: variable and map types the type checker did not give (fallback). */
function prescan(prog: A.Program, typer: Typer): void {
  A.walk(prog, (n) => {
    if (n.kind === 'Assign') {
      const t = n.target;
      if (t.kind === 'Var') {
        if (!typer.varTypes.has(t.name)) typer.varTypes.set(t.name, n.op === '=' ? typer.of(n.value) : typer.of(t));
      } else {
        const name = t.kind === 'Map' ? t.name : t.map.name;
        if (!typer.mapType(name)) {
          const keys = t.kind === 'Map' ? [] : t.keys.map((k) => typer.of(k));
          typer.mapTypes.set(name, { key: keys, value: typer.of(n.value) });
        }
      }
    } else if (n.kind === 'VarDecl' && n.init && !typer.varTypes.has(n.var.name)) {
      typer.varTypes.set(n.var.name, typer.of(n.init));
    } else if (n.kind === 'For' && !typer.varTypes.has(n.var.name)) {
      typer.varTypes.set(n.var.name, { k: 'int', bits: 64, signed: true });
    }
  });
}

/** Variables of a probe with their types (the checker's per-node types first). */
function probeVars(p: A.Probe, typer: Typer): Map<string, SType> {
  const out = new Map<string, SType>();
  A.walk(p, (n) => {
    if (n.kind !== 'Var') return;
    const t = typer.info.vars.get(n);
    const have = out.get(n.name);
    if (t && t.k !== 'none' && (!have || have.k === 'none')) out.set(n.name, t);
    else if (!have) out.set(n.name, typer.varTypes.get(n.name) ?? U64);
  });
  for (const [name, t] of out) if (t.k === 'none') out.set(name, U64);
  return out;
}

/** Glob match of bpftrace attach point parts (`*`, `?`). */
function glob(pattern: string, s: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  return re.test(s);
}

/** One attach point with its context: wildcard tracepoints expand to every matching event of the kernel. */
interface Target { ap: A.AttachPoint; raw: string; section: string; progType: string; ctx: ProbeCtxInfo | undefined }

function targets(p: A.Probe, typer: Typer, opts: CompileOptions, diags: Diagnostic[]): Target[] {
  const info = typer.info.probes.get(p) as (ProbeCtxInfo & { attach?: ProbeCtxInfo[] }) | undefined;
  const out: Target[] = [];
  p.attachPoints.forEach((ap, i) => {
    const sec = sectionOf(ap);
    if ('error' in sec) {
      diags.push({ range: ap.range, severity: 'error', message: sec.error, source: 'codegen' });
      return;
    }
    const ctx = info?.attach?.[i] ?? info;
    const tp = opts.tracepoints;
    if (ap.canonical === 'tracepoint' && ap.parts.length === 2 && /[*?]/.test(ap.parts.join(':')) && tp) {
      const v = parseVersion(opts.target ?? '0.17') ?? [0, 17, 0];
      const tpOpts = { boolType: compareVersions(v, [0, 25, 0]) >= 0, dataLocPtr: compareVersions(v, [0, 24, 0]) >= 0 };
      for (const sys of tp.systems().filter((x) => glob(ap.parts[0], x))) {
        for (const ev of tp.events(sys).filter((x) => glob(ap.parts[1], x))) {
          const f = tp.format(sys, ev);
          out.push({ ap, raw: `tracepoint:${sys}:${ev}`, section: `tracepoint/${sys}/${ev}`, progType: 'tracepoint', ctx: f ? { provider: 'tracepoint', args: tpArgs(f, opts.btf, tpOpts) } : undefined });
        }
      }
      return;
    }
    out.push({ ap, raw: ap.raw, section: sec.section, progType: sec.progType, ctx });
  });
  return out;
}

function genProbe(script: ScriptLayout, typer: Typer, p: A.Probe, tg: Target, opts: CompileOptions, diags: Diagnostic[], probeIndex: number, withScratch: boolean, dryRun: boolean): Gen {
  const ap = tg.ap;
  const ctx = tg.ctx;
  const g = new Gen(script, typer, p, ctx, ap.canonical, opts, diags, probeIndex);
  g.stmt = (s) => genStmt(g, s);
  g.attach = ap;
  g.scratchReady = withScratch;
  const e = g.e;
  e.cur = ap.range;
  e.mov(R_CTX, 1);
  if (withScratch) {
    const idx = dryRun ? 0 : script.scratch(8);
    e.st(4, 10, -8, 0);
    g.ldMap(1, idx);
    e.mov(2, 10);
    e.alu('add', 2, { k: -8 });
    e.call('map_lookup_elem');
    e.jmp('jeq', 0, { k: 0 }, g.exitLabel);
    e.mov(R_SC, 0);
  }
  for (const [name, t] of probeVars(p, typer)) {
    if (isScalar(t)) {
      const loc = g.allocStack(8);
      g.storeImm(8, loc, 0);
      g.vars.set(name, { loc, type: t });
    } else {
      const loc = g.allocScratch(sizeOf(t));
      g.vars.set(name, { loc, type: t });
    }
  }
  if (p.predicate) {
    e.cur = p.predicate.range;
    scalar(g, p.predicate);
    e.jmp('jeq', R_ACC, { k: 0 }, g.exitLabel);
  }
  genStmts(g, p.body.stmts);
  e.cur = p.body.range;
  e.bind(g.exitLabel);
  e.movi(0, 0);
  e.exit();
  return g;
}

/** Compiles a type-checked script. Never throws: problems become diagnostics and the probe is left out. */
export function compile(prog: A.Program, types: TypeInfoLike, opts: CompileOptions = {}): CompiledScript {
  const typer = new Typer(types);
  prescan(prog, typer);
  const decls = new Map<string, A.MapDecl>();
  for (const it of prog.items) if (it.kind === 'MapDecl') decls.set(it.map.name, it);
  const output = opts.output ?? 'perf';
  const script = new ScriptLayout(typer, decls, output, opts.mapKeysMax ?? 4096);
  const diagnostics: Diagnostic[] = [];
  const probes: CompiledProbe[] = [];
  let probeIndex = 0;
  prog.items.forEach((item, itemIndex) => {
    if (item.kind !== 'Probe') return;
    for (const tg of targets(item, typer, opts, diagnostics)) {
      const idx = probeIndex++;
      const dry: Diagnostic[] = [];
      try {
        // Pass 1 finds out whether the probe needs the scratch area; pass 2 emits the final code.
        const cp = script.checkpoint();
        const first = genProbe(script, typer, item, tg, opts, dry, idx, true, true);
        script.restore(cp);
        const g = genProbe(script, typer, item, tg, opts, diagnostics, idx, first.usedScratch, false);
        if (g.usedScratch) script.scratch(g.scMax);
        const linked = linkProbe(g);
        if (typeof linked === 'string') {
          diagnostics.push({ range: item.range, severity: 'error', message: linked, source: 'codegen' });
          continue;
        }
        const subprogs = linked.subprogs.length > 0 ? { subprogs: linked.subprogs } : {};
        probes.push({ name: tg.section, attachPoints: [tg.raw], progType: tg.progType, insns: linked.insns, lines: linked.lines, ...subprogs, item: itemIndex });
      } catch (err) {
        if (err instanceof Unsupported) {
          // The dry run stops at the same place: its diagnostic has the precise range.
          const d = dry.find((x) => x.message === err.message) ?? { range: item.range, severity: 'error' as const, message: err.message, source: 'codegen' };
          if (!diagnostics.some((x) => x.message === d.message && x.range.start === d.range.start)) diagnostics.push(d);
          continue;
        }
        const msg = err instanceof Error ? err.message : String(err);
        diagnostics.push({ range: item.range, severity: 'error', message: `internal code generation error: ${msg}`, source: 'codegen' });
      }
    }
  });
  return { probes, maps: script.maps, formats: script.formats, diagnostics, types, output: { kind: output, map: script.outIndex } };
}

/**
 * `bpfstudio run`: executes a program on the embedded VM (interpreter or JIT)
 * and prints r0; for a bpftrace script (.bt, or --bpftrace) replays a recorded
 * trace through it and prints what bpftrace would have printed. The trace is
 * read in chunks, never whole.
 */
import { execSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { Insn } from '../isa';
import { compileForReplay, replay, type ReplayStats } from '../bpftrace/replay';
import { LineIndex, parse as parseScript, parseVersion } from '../bpftrace';
import { recorderFor } from '../bpftrace/replay-recorder';
import { isTimeZone } from '../bpftrace/output/strftime';
import { BpftraceConverter, LineSplitter, TraceReader, formatDiagnostic, type TraceEvent } from '../trace';
import { machine, release, uptime } from 'node:os';
import { kernelInfo, resolveTargetVersion } from '../host/kernel-info';
import { uprobeArgs } from '../host/kernel-info-dwarf';
import { loadTargetBtf } from './target-btf';
import type { Btf } from '../btf';
import { runInterp, RunArgs, RunResult, VmOptions } from '../vm';
import { runJit } from '../vm/jit';
import { EXIT, int, Io, parse, readTextFile, str, UsageError } from './args';
import { parseMemArg, readInput } from './input';
import { loadProgram } from './load';

export const RUN_HELP = `usage: bpfstudio run FILE [--mem HEX] [--interp|--jit] [--budget N] [--syntax S]
       bpfstudio run SCRIPT.bt --trace T.jsonl [-f text|json] [--target-version V] [--btf FILE]
                 [--budget N] [--cpus N] [--strlen N] [--tz ZONE] [--stats] [--unsafe] [--bpftrace]
       bpfstudio run SCRIPT.bt --recorder [--filter PREDICATE]

Runs a program (assembly, hex or raw bytes) on the embedded BPF VM. As in the
conformance suite, r1 points to the --mem bytes, r2 holds their length and r10
is the top of a 512-byte stack. Prints what the program printed (trace_printk),
then r0 in hex. A fault (bad memory access, runaway loop past --budget
instructions, default 10,000,000) is printed with its instruction and exits 1.

A bpftrace script (FILE ending in .bt, or any FILE with --bpftrace) is
compiled and replayed over the recorded trace (format v1, see 'bpfstudio trace',
or the -f json output of the --recorder script, converted on the way):
BEGIN first, each event to every probe whose attach point matches it,
interval/profile probes at the trace's timestamps, END, then the maps, printed
exactly as bpftrace (--target-version, default the installed one, else 0.26)
prints them; -f json prints bpftrace's -f json lines. Tracepoint records are
laid out from the kernel's tracepoint formats, kprobe registers from --btf
(default the running kernel's BTF). --budget limits each probe run, --cpus the
CPUs of per-CPU maps (default 64), --strlen str()'s size (default 64), --tz the
IANA time zone of time()/strftime() (default this host's: TZ, else the system's;
DST applies per timestamp, as bpftrace's localtime does); --stats
prints event and instruction counts to stderr. cat() prints the file as it is
now; system() runs its command only with --unsafe (as bpftrace requires).
Script errors are printed as
FILE:LINE:COL: error: MESSAGE; bad trace lines, events a probe cannot read and
program faults as TRACE:LINE: …; replay goes on past them and exits 1.
--recorder prints the bpftrace script that records such a trace for SCRIPT
(print() tuples of exactly the event fields it reads, --filter as predicate)
and, on stderr, the 'bpfstudio trace convert' command for its -f json output
(or give that output to --trace as it is).
Exit code: 0 on success, 1 when anything was reported, 2 on bad usage.`;

export type Engine = 'interp' | 'jit';

export function engineOf(values: Record<string, unknown>): Engine {
  if (values.interp && values.jit) throw new UsageError('choose one of --interp and --jit');
  return values.jit ? 'jit' : 'interp';
}

export function execute(engine: Engine, insns: readonly Insn[], args: RunArgs, opts: VmOptions): RunResult {
  return engine === 'jit' ? runJit(insns, args, opts) : runInterp(insns, args, opts);
}

export function formatOutput(o: unknown): string {
  if (o && typeof o === 'object' && 'text' in o && typeof (o as { text: unknown }).text === 'string') return (o as { text: string }).text;
  return JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? '0x' + v.toString(16) : v instanceof Uint8Array ? Array.from(v) : v));
}

export function cmdRun(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, {
    mem: { type: 'string' }, interp: { type: 'boolean' }, jit: { type: 'boolean' },
    budget: { type: 'string' }, syntax: { type: 'string' },
    trace: { type: 'string' }, format: { type: 'string', short: 'f' }, 'target-version': { type: 'string' },
    btf: { type: 'string' }, cpus: { type: 'string' }, strlen: { type: 'string' }, tz: { type: 'string' }, stats: { type: 'boolean' }, bpftrace: { type: 'boolean' },
    unsafe: { type: 'boolean' }, recorder: { type: 'boolean' }, filter: { type: 'string' },
  });
  if (values.help) { io.out(RUN_HELP); return EXIT.OK; }
  if (positionals.length !== 1) throw new UsageError('run takes one FILE (see bpfstudio run --help)');
  if (values.bpftrace || positionals[0].endsWith('.bt')) return runBpftrace(positionals[0], values, io);
  for (const k of ['trace', 'format', 'target-version', 'btf', 'cpus', 'strlen', 'tz', 'stats', 'unsafe', 'recorder', 'filter']) {
    if (values[k] !== undefined) throw new UsageError(`--${k} is for bpftrace scripts (FILE.bt or --bpftrace)`);
  }
  const engine = engineOf(values);
  const mem = values.mem !== undefined ? parseMemArg(String(values.mem)) : undefined;
  const budget = int(values.budget, 'budget');
  const syntax = str(values.syntax) ?? 'auto';
  if (syntax !== 'auto' && syntax !== 'llvm' && syntax !== 'conformance') throw new UsageError(`--syntax must be auto, llvm or conformance`);
  const input = readInput(positionals[0]);
  const p = loadProgram(input, io, syntax);
  if (p.errors > 0) return EXIT.FAILED;
  const r = execute(engine, p.insns, mem ? { mem } : {}, budget !== undefined ? { budget } : {});
  for (const o of r.output) io.out(formatOutput(o));
  if (r.fault) {
    const line = p.lines && insnLine(p.insns, p.lines, r.fault.pc);
    io.err(`${input.path}${line !== undefined ? `:${line + 1}` : ''}: fault at instruction ${r.fault.pc}: ${r.fault.message}`);
    return EXIT.FAILED;
  }
  io.out('0x' + (r.r0 ?? 0n).toString(16));
  return EXIT.OK;
}

function insnLine(insns: readonly Insn[], lines: readonly number[], pc: number): number | undefined {
  const k = insns.findIndex((i) => i.pc === pc);
  return k >= 0 ? lines[k] : undefined;
}

/** Trace events of a file, read in 64 KiB chunks; bad lines go to `onBad` and are skipped. */
/**
 * Trace events of a file, read in 64 KiB chunks; bad lines go to `onBad` and are skipped. A file of
 * bpftrace -f json output (what the --recorder script prints) is converted on the way with `convert`.
 */
function* traceEvents(path: string, fd: number, onBad: (line: number, message: string) => void, at: { line: number }, convert: () => BpftraceConverter): Generator<TraceEvent> {
  const reader = new TraceReader();
  let conv: BpftraceConverter | undefined;
  let first = true;
  const split = new LineSplitter();
  const dec = new StringDecoder('utf8');
  const buf = Buffer.alloc(1 << 16);
  const pending: { text: string; line: number; eof: boolean }[] = [];
  const sink = (text: string, line: number, eof = false): void => { pending.push({ text, line, eof }); };
  for (let done = false; !done;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      onBad(at.line, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return;
    }
    if (n === 0) { split.push(dec.end(), sink); split.end(sink); done = true; } else split.push(dec.write(buf.subarray(0, n)), sink);
    for (const l of pending.splice(0)) {
      if (first && l.text.trim() !== '') {
        first = false;
        if (/^\s*\{\s*"type"\s*:/.test(l.text)) {
          conv = convert();
          reader.pushLine(conv.headerLine(), 0);
        }
      }
      let text = l.text;
      if (conv) {
        const c = conv.pushLine(l.text, l.line);
        if (c.diagnostic) { onBad(l.line, c.diagnostic.message); continue; }
        if (!c.out) continue;
        text = c.out;
      }
      const r = reader.pushLine(text, l.line, l.eof);
      if (r.kind === 'diagnostic') onBad(r.diagnostic.line, formatDiagnostic(r.diagnostic).replace(/^line \d+: /, ''));
      else if (r.kind === 'event') { at.line = l.line; yield r.event; }
    }
  }
  for (const d of reader.finish()) onBad(d.line, d.message);
}

/** --recorder: the recording script for `text` and how to convert what it prints. */
function printRecorder(file: string, text: string, values: Record<string, unknown>, io: Io): number {
  const tp = kernelInfo();
  const p = parseScript(text);
  const lines = new LineIndex(text);
  for (const d of p.diagnostics) {
    const at = lines.position(d.range.start);
    io.err(`${file}:${at.line + 1}:${at.col + 1}: ${d.severity}: ${d.message}`);
  }
  if (p.diagnostics.some((d) => d.severity === 'error')) return EXIT.FAILED;
  const kernel = tp ? { tracepoint: (c: string, e: string) => tp.format(c, e), systems: () => tp.systems(), events: (s: string) => tp.events(s) } : {};
  const r = recorderFor(p.program, kernel, { filter: str(values.filter) });
  if (r.clauses.length === 0) { io.err(`${file}: no probe of this script needs recorded events (BEGIN/END/interval only)`); return EXIT.OK; }
  io.out(r.script);
  for (const w of r.warnings) io.err(`warning: ${w}`);
  io.err(`# run:     bpftrace -f json RECORDER.bt > OUT.json   (BPFTRACE_STRLEN as for the script)`);
  io.err(`# replay:  bpfstudio run ${file} --trace OUT.json`);
  io.err(`# convert: bpfstudio trace convert OUT.json ${r.fieldSpecs.map((f) => `--fields '${f}'`).join(' ')} -o TRACE.jsonl`);
  return EXIT.OK;
}

function runBpftrace(file: string, values: Record<string, unknown>, io: Io): number {
  if (values.recorder) {
    const text = readTextFile(file);
    return printRecorder(file, text, values, io);
  }
  const tracePath = str(values.trace);
  if (!tracePath) throw new UsageError('a bpftrace script needs --trace T.jsonl (a recorded trace to replay; see bpfstudio trace --help)');
  const format = str(values.format) ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`-f must be text or json, got '${format}'`);
  const flag = str(values['target-version']);
  if (flag !== undefined && parseVersion(flag) === undefined) throw new UsageError(`--target-version expects a version like 0.17 or 0.26, got '${flag}'`);
  const target = resolveTargetVersion(flag);
  const budget = int(values.budget, 'budget');
  const cpus = int(values.cpus, 'cpus');
  if (cpus !== undefined && (cpus < 1 || cpus > 4096)) throw new UsageError('--cpus must be between 1 and 4096');
  const strlen = int(values.strlen, 'strlen');
  // bpftrace formats times with localtime(): the TZ variable, else the system zone (Node resolves both the same way).
  const timeZone = str(values.tz) ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!isTimeZone(timeZone)) throw new UsageError(`--tz expects an IANA time zone like Europe/Berlin or UTC, got '${timeZone}'`);
  const text = readTextFile(file);
  let fd: number;
  try {
    fd = openSync(tracePath, 'r');
  } catch (e) {
    throw new UsageError(`${tracePath}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    let btf: Btf | undefined;
    const btfFlag = str(values.btf);
    if (btfFlag !== undefined) btf = loadTargetBtf(btfFlag, io).btf;
    else {
      try { btf = loadTargetBtf(undefined, { out: () => {}, err: () => {} }).btf; } catch { btf = undefined; }
    }
    const tp = kernelInfo();
    const kernel = {
      ...(btf ? { btf } : {}),
      tracepoint: (c: string, e: string) => tp?.format(c, e),
      tracepointFields: (c: string, e: string) => tp?.tracepointFields(c, e),
      ...(tp ? { systems: () => tp.systems(), events: (s: string) => tp.events(s), format: (c: string, e: string) => tp.format(c, e) } : {}),
      uprobeArgs,
    };
    const c = compileForReplay(text, kernel, { target, ...(strlen !== undefined ? { strlen } : {}) });
    const lines = new LineIndex(text);
    for (const d of c.diagnostics) {
      const p = lines.position(d.range.start);
      io.err(`${file}:${p.line + 1}:${p.col + 1}: ${d.severity}: ${d.message}`);
    }
    if (!c.script) return EXIT.FAILED;
    let problems = 0;
    const at = { line: 0 };
    const bad = (line: number, message: string): void => { problems++; io.err(`${tracePath}:${line}: ${message}`); };
    const convert = (): BpftraceConverter => {
      const rec = recorderFor(c.program, kernel);
      const perProbe = new Map(rec.fieldSpecs.map((f) => [f.slice(0, f.lastIndexOf('=')), f.slice(f.lastIndexOf('=') + 1).split(',')]));
      return new BpftraceConverter({ perProbe, kernel: release(), arch: machine(), tracepoint: kernel.tracepoint, recordedWith: 'bpftrace -f json (the --recorder script)' });
    };
    const events = traceEvents(tracePath, fd, bad, at, convert);
    let out = '';
    const gen = replay(c.script, events, {
      format, version: target, kernel, program: c.program, source: text, nrCpus: cpus ?? 64,
      // time()/strftime(): the time zone (offset per timestamp), and this host's boot time (right for traces recorded since the last boot).
      timeZone,
      fileName: file,
      bootNs: BigInt(Date.now()) * 1_000_000n - BigInt(Math.round(uptime() * 1e9)),
      ...(budget !== undefined ? { budget } : {}),
      cat: (path) => { try { return readFileSync(path, 'utf8'); } catch { return undefined; } },
      ...(values.unsafe ? { system: (cmd: string) => { try { return execSync(cmd, { encoding: 'utf8', shell: '/bin/sh', stdio: ['ignore', 'pipe', 'inherit'] }); } catch { return undefined; } } } : {}),
      onStderr: (t) => io.err(t),
      onDiagnostic: (d) => {
        if (d.event > 0) bad(at.line, `${d.probe}: ${d.message}`);
        else { problems++; io.err(`${file}: ${d.probe ? d.probe + ': ' : ''}${d.message}`); }
      },
    });
    let r = gen.next();
    while (!r.done) {
      out += r.value;
      const nl = out.lastIndexOf('\n');
      if (nl >= 0) { io.out(out.slice(0, nl + 1)); out = out.slice(nl + 1); }
      r = gen.next();
    }
    if (out) io.out(out);
    const stats: ReplayStats = r.value;
    if (values.stats) io.err(`replayed ${stats.events} events (${stats.unmatched} matched no probe), ${stats.runs} probe runs, ${stats.steps} instructions${stats.exited ? ', stopped by exit()' : ''}`);
    return problems ? EXIT.FAILED : EXIT.OK;
  } finally {
    closeSync(fd);
  }
}

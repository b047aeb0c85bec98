/**
 * `bpfstudio trace`: checks recorded event traces (format v1) and converts
 * bpftrace `-f json` tuple output into them. Files are streamed, never read
 * whole. Non-goal: replaying a trace (the debugger's job).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import { BpftraceConverter, formatDiagnostic, parseFieldList, type FieldList } from '../trace';
import { readTraceFile, streamLines } from '../host/trace-file';
import { kernelInfo } from '../host/kernel-info';
import { EXIT, Io, parse, str, UsageError } from './args';

export const TRACE_HELP = `usage: bpfstudio trace check FILE.jsonl
       bpfstudio trace convert IN.jsonl --fields LIST [--fields PROBE=LIST]... [--kernel K] [--arch A] [--btf FILE] -o OUT.jsonl

check    reads a recorded trace (format v1: a header line, then one JSON event
         per line), prints 'N events, probes: …' and every problem as
         FILE:LINE: field "F": message. Exit 1 if any line is bad.
convert  turns bpftrace -f json output of print((probe, nsecs, …)) tuples into
         format v1. LIST names each tuple position: probe, ts, cpu, pid, tid,
         uid, gid, comm, retval, cgroup, kstack, ustack (kstack(perf) and
         ustack(perf) strings), args.NAME, or - to drop it, e.g.
           probe,ts,cpu,pid,tid,uid,comm,args.__syscall_nr,args.dfd,args.filename,args.flags,args.mode
         Give PROBE=LIST once per probe when probes print different tuples.
         Tracepoint arguments are truncated to the field's size and read with
         its signedness from the tracepoint's format (running kernel, else the
         bundled 6.18 data), and must be fields of the record. args.NAME:s32
         (s8, s16, s64) reads a value as signed anyway (syscall formats say
         signed:0 for int dfd, so bpftrace prints -100 as 4294967196).
         String arguments (str() of a pointer) get a synthetic address in args
         and their bytes in mem. --kernel (default: this machine's release) and
         --arch (default: this machine's) go in the header, and with --btf FILE
         (the recording kernel's BTF) its SHA-256 as btf_sha256. Exit 1 if any line
         failed to convert (the others are still written).`;

async function check(file: string, io: Io): Promise<number> {
  if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
  const { reader, diagnostics, error } = await readTraceFile(file);
  if (error) throw new UsageError(`${file}: ${error}`);
  const probes = [...reader.probes].map(([p, n]) => `${p} (${n})`).join(', ');
  io.out(`${reader.events} events, probes: ${probes || 'none'}`);
  for (const d of diagnostics) io.err(`${file}:${formatDiagnostic(d).replace(/^line /, '')}`);
  return diagnostics.length ? EXIT.FAILED : EXIT.OK;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function convert(file: string, values: Record<string, unknown>, io: Io): Promise<number> {
  const out = str(values.output);
  if (!out) throw new UsageError('trace convert: -o OUT.jsonl is required');
  const specs = (values.fields as string[] | undefined) ?? [];
  if (!specs.length) throw new UsageError('trace convert: --fields LIST is required (see --help)');
  let fields: FieldList | undefined;
  const perProbe = new Map<string, FieldList>();
  for (const s of specs) {
    const r = parseFieldList(s);
    if (typeof r === 'string') throw new UsageError(`--fields ${s}: ${r}`);
    if (r.probe) perProbe.set(r.probe, r.fields); else fields = r.fields;
  }
  if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
  const { release, machine } = await import('node:os');
  const btf = str(values.btf);
  if (btf && !existsSync(btf)) throw new UsageError(`--btf ${btf}: no such file`);
  const btfSha256 = btf ? await sha256File(btf) : undefined;
  const conv = new BpftraceConverter({ fields, perProbe, kernel: str(values.kernel) ?? release(), arch: str(values.arch) ?? machine(), btfSha256, recordedWith: 'bpftrace -f json (converted by bpfstudio trace convert)', tracepoint: (c, e) => kernelInfo()?.format(c, e) });
  const w = createWriteStream(out);
  let writeError: string | undefined;
  w.on('error', (e) => { writeError = e.message; });
  const pending: string[] = [conv.headerLine()];
  let bad = 0;
  const flush = (): void => { if (pending.length) { w.write(pending.join('\n') + '\n'); pending.length = 0; } };
  const r = await streamLines(file, (t, n) => {
    const c = conv.pushLine(t, n);
    if (c.out) { pending.push(c.out); if (pending.length >= 1024) flush(); }
    if (c.diagnostic) { bad++; io.err(`${file}:${c.diagnostic.line}: ${c.diagnostic.message}`); }
  });
  flush();
  if (!writeError) { w.end(); await Promise.race([once(w, 'finish'), once(w, 'error')]).catch(() => {}); }
  if (writeError) throw new UsageError(`${out}: ${writeError}`);
  if (r.error) throw new UsageError(`${file}: ${r.error}`);
  io.out(`${out}: ${conv.events} events${bad ? `, ${bad} lines failed` : ''}`);
  return bad ? EXIT.FAILED : EXIT.OK;
}

export async function cmdTrace(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    fields: { type: 'string', multiple: true }, kernel: { type: 'string' }, btf: { type: 'string' }, arch: { type: 'string' }, output: { type: 'string', short: 'o' },
  });
  const [sub, file, ...extra] = positionals;
  if (values.help || !sub) { io.out(TRACE_HELP); return values.help ? EXIT.OK : EXIT.USAGE; }
  if (!file) throw new UsageError(`trace ${sub}: a FILE is required`);
  if (extra.length) throw new UsageError(`trace ${sub}: unexpected argument '${extra[0]}'`);
  if (sub === 'check') return check(file, io);
  if (sub === 'convert') return convert(file, values, io);
  throw new UsageError(`unknown trace subcommand '${sub}' (check, convert)`);
}

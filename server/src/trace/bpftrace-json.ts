/**
 * Converts bpftrace's `-f json` output (`{"type":"value","data":[…]}` tuples
 * printed with print((probe, nsecs, …))) into trace format v1, given a field
 * list naming each tuple position, optionally one list per probe. String
 * arguments (kernel pointers read with str()) get a synthetic address in
 * `args` and their NUL-terminated bytes in `mem`. Given the tracepoint formats,
 * integer arguments are stored as their field reads them (size and signedness
 * from the format; unknown fields are refused), so no by-hand `:s32` hints
 * are needed. Pure, line at a time, never throws. Non-goal: other bpftrace
 * output (maps, printf text).
 */
import type { TpFormat } from '../btf/tracepoint';
import { bytesToHex, intJson, readInt, TRACE_FORMAT, type TraceHeader, type TraceInt } from './v1';

export interface ConvertDiagnostic { line: number; message: string }

/** One tuple position: an event field ("ts"), an argument ("args.dfd"), or "-" to drop it. */
export type FieldList = string[];

export interface ConvertOptions {
  /** Field list for every probe without its own entry in `perProbe`. */
  fields?: FieldList;
  perProbe?: Map<string, FieldList>;
  kernel: string;
  arch: string;
  btfSha256?: string;
  recordedWith?: string;
  /**
   * The recording kernel's tracepoint formats: for tracepoint probes, integer
   * arguments are truncated to the field's size and read with its signedness
   * (bpftrace prints `int dfd` (size 8, signed:0) as 4294967196: kept, those are
   * the record's bytes), and argument names must be fields of the record.
   */
  tracepoint?(category: string, event: string): TpFormat | undefined;
}

/** An integer tuple value: a JSON number, or a bigint for one too long for a double. */
function intOf(x: unknown, signed: boolean): TraceInt | string {
  if (typeof x === 'bigint') return !signed && x < 0n ? `expected a non-negative integer, got ${x}` : x;
  return readInt(x, signed);
}

/** Little-endian bytes of an array of integers, `size` bytes each. */
function arrayBytes(xs: unknown[], size: number): Uint8Array | string {
  const out = new Uint8Array(xs.length * size);
  for (let k = 0; k < xs.length; k++) {
    const n = intOf(xs[k], true);
    if (typeof n === 'string') return `element ${k}: ${n}`;
    let u = BigInt.asUintN(size * 8, BigInt(n));
    for (let b = 0; b < size; b++) { out[k * size + b] = Number(u & 0xffn); u >>= 8n; }
  }
  return out;
}

/** The field of a tracepoint probe's record, or a message; undefined when no format applies. */
function tpField(opts: ConvertOptions, probe: string, name: string): { size: number; signed: boolean; int: boolean; elemSize?: number } | string | undefined {
  const m = /^(?:tracepoint|t):([^:]+):([^:]+)$/.exec(probe);
  const fmt = m && opts.tracepoint?.(m[1], m[2]);
  if (!fmt) return undefined;
  const f = fmt.fields.find((x) => x.name === name);
  if (!f) return `tracepoint ${m[1]}:${m[2]} has no field ${name} (fields: ${fmt.fields.filter((x) => !x.common).map((x) => x.name).join(', ')})`;
  const elemSize = f.arrayLen ? f.size / f.arrayLen : undefined;
  return { size: f.size, signed: f.signed, int: f.dynamic === undefined && f.arrayLen === undefined && f.size <= 8, ...(elemSize ? { elemSize } : {}) };
}

/** An integer as a field of `size` bytes reads it. */
export function fieldValue(v: TraceInt, size: number, signed: boolean): TraceInt {
  const b = BigInt(v);
  const r = signed ? BigInt.asIntN(size * 8, b) : BigInt.asUintN(size * 8, b);
  return Number.isSafeInteger(Number(r)) && typeof v === 'number' ? Number(r) : r;
}

const EVENT_INT = new Set(['ts', 'cpu', 'pid', 'tid', 'uid', 'gid', 'cgroup']);
const REQUIRED = ['probe', 'ts', 'cpu', 'pid', 'tid', 'uid', 'gid', 'comm'];
/** Synthetic addresses for strings start here (a user-space-looking range), one 16-byte-aligned slot per string. */
export const SYNTHETIC_BASE = 0x7f0000000000n;

/** Parses "probe,ts,cpu,args.x" or "PROBE=probe,ts,…" into [probe or undefined, list]; an error message on bad names. */
export function parseFieldList(spec: string): { probe?: string; fields: FieldList } | string {
  let probe: string | undefined;
  let list = spec;
  const eq = spec.lastIndexOf('=');
  if (eq >= 0) { probe = spec.slice(0, eq); list = spec.slice(eq + 1); }
  const fields = list.split(',').map((s) => s.trim());
  const seen = new Set<string>();
  for (const f of fields) {
    if (f === '-') continue;
    if (!(REQUIRED.includes(f) || EVENT_INT.has(f) || f === 'retval' || f === 'kstack' || f === 'ustack' || /^args\.[A-Za-z_][A-Za-z0-9_]*(:s(8|16|32|64))?$/.test(f))) {
      return `unknown field '${f}' (use probe, ts, cpu, pid, tid, uid, gid, comm, retval, cgroup, kstack, ustack, args.NAME[:s8|:s16|:s32|:s64] or -)`;
    }
    if (seen.has(f)) return `field '${f}' named twice`;
    seen.add(f);
  }
  if (!seen.has('probe')) return `the field list must name the 'probe' position${probe ? ` (for ${probe})` : ''}`;
  if (!seen.has('ts')) return `the field list must name the 'ts' position${probe ? ` (for ${probe})` : ''}`;
  return { probe, fields };
}

/** Fields never captured by any list (written as 0 and named in the header's missing_fields). */
function missingFields(opts: ConvertOptions): string[] {
  const lists = [...(opts.fields ? [opts.fields] : []), ...(opts.perProbe?.values() ?? [])];
  return REQUIRED.filter((f) => lists.some((l) => !l.includes(f)));
}

/**
 * Puts quotes around integer literals too long for a double (16+ digits) outside
 * JSON strings, so u64 values bpftrace prints as numbers (kernel pointers,
 * counters) keep every digit and are read as bigints.
 */
export function quoteBigIntegers(json: string): string {
  return quoteWith(json, '');
}

/** Marks quoted big integers so they are told apart from strings after JSON.parse (see BIG_MARK). */
const BIG_MARK = '\u0001';

function quoteWith(json: string, mark: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      for (i++; i < json.length && json[i] !== '"'; i++) if (json[i] === '\\') i++;
    } else if ((c >= '0' && c <= '9') || c === '-') {
      let j = i + 1;
      while (j < json.length && /[0-9.eE+-]/.test(json[j])) j++;
      const tok = json.slice(i, j);
      if (/^-?[0-9]{16,}$/.test(tok)) {
        out += json.slice(last, i) + '"' + (mark ? '\\u0001' : '') + tok + '"';
        last = j;
      }
      i = j - 1;
    }
  }
  return last === 0 ? json : out + json.slice(last);
}

/**
 * Frames of a stack bpftrace printed in perf mode (kstack(perf) / ustack(perf)):
 * lines `\tffffffff81234567 do_sys_openat2+94 ([kernel.kallsyms])`, innermost
 * first; undefined when a non-empty line does not have that shape.
 */
export function parsePerfStack(text: string): { addr: string; sym?: string }[] | undefined {
  const out: { addr: string; sym?: string }[] = [];
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (l === '') continue;
    const m = /^([0-9a-fA-F]+)(?:\s+(.*?))?(?:\s+\(([^)]*)\))?$/.exec(l);
    if (!m) return undefined;
    const f: { addr: string; sym?: string } = { addr: '0x' + m[1].toLowerCase().replace(/^0+(?=.)/, '') };
    if (m[2]) f.sym = m[2];
    out.push(f);
  }
  return out;
}

/** Reads the low `bits` bits of `v` as a signed integer (bpftrace prints some signed fields zero-extended: dfd -100 as 4294967196). */
export function signExtend(v: TraceInt, bits: number): TraceInt {
  const w = BigInt(bits);
  const u = BigInt.asUintN(bits, BigInt(v));
  const r = u >= 1n << (w - 1n) ? u - (1n << w) : u;
  return typeof v === 'number' && Number.isSafeInteger(Number(r)) ? Number(r) : r;
}

const wildcards = new Map<string, RegExp>();
function wildcard(p: string): RegExp {
  let r = wildcards.get(p);
  if (!r) wildcards.set(p, (r = new RegExp('^' + p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$')));
  return r;
}

export class BpftraceConverter {
  private nextAddr = SYNTHETIC_BASE;
  events = 0;
  constructor(private readonly opts: ConvertOptions) {}

  headerLine(): string {
    const h: TraceHeader = { format: TRACE_FORMAT, version: 1, kernel: this.opts.kernel, arch: this.opts.arch };
    if (this.opts.btfSha256) h.btf_sha256 = this.opts.btfSha256;
    if (this.opts.recordedWith) h.recorded_with = this.opts.recordedWith;
    const miss = missingFields(this.opts);
    if (miss.length) h.missing_fields = miss;
    return JSON.stringify(h);
  }

  /** Converts one input line: a v1 event line, nothing (skipped line), or a diagnostic. */
  pushLine(text: string, lineNo: number): { out?: string; diagnostic?: ConvertDiagnostic } {
    const t = text.trim();
    if (t === '') return {};
    const fail = (message: string): { diagnostic: ConvertDiagnostic } => ({ diagnostic: { line: lineNo, message } });
    let v: unknown;
    try {
      v = JSON.parse(quoteWith(t, BIG_MARK), (_k, x: unknown) => (typeof x === 'string' && x.startsWith(BIG_MARK) ? BigInt(x.slice(1)) : x));
    } catch (e) { return fail(`not valid JSON: ${(e as Error).message}`); }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail('expected a bpftrace JSON object {"type": …, "data": …}');
    const o = v as Record<string, unknown>;
    if (o.type === 'attached_probes') return {};
    if (o.type !== 'value') return fail(`unsupported bpftrace output type ${JSON.stringify(o.type)} (only print() tuples, type "value", convert)`);
    if (!Array.isArray(o.data)) return fail('expected "data" to be a tuple (array); print((probe, nsecs, …)) a tuple');
    const data = o.data as unknown[];
    const fields = this.firstProbeMatch(data) ?? this.opts.fields;
    if (!fields) return fail(`no --fields list matches this tuple's probe (lists given for: ${[...(this.opts.perProbe?.keys() ?? [])].join(', ')})`);
    if (fields.length !== data.length) return fail(`tuple has ${data.length} values but the field list for ${JSON.stringify(data[fields.indexOf('probe')])} names ${fields.length}`);
    const ev: Record<string, string> = {};
    const args: string[] = [];
    const mem: string[] = [];
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      const x = data[i];
      if (f === '-') continue;
      if (f === 'kstack' || f === 'ustack') {
        const frames = typeof x === 'string' ? parsePerfStack(x) : undefined;
        if (!frames) return fail(`tuple position ${i} (${f}): expected a stack printed in perf mode (${f}(perf)), got ${JSON.stringify(x)}`);
        ev[f] = JSON.stringify(frames);
      } else if (f === 'probe' || f === 'comm') {
        if (typeof x !== 'string') return fail(`tuple position ${i} (${f}): expected a string, got ${JSON.stringify(x)}`);
        ev[f] = JSON.stringify(x);
      } else if (f.startsWith('args.')) {
        const [name, sx] = f.slice(5).split(':');
        const probe = data[fields.indexOf('probe')];
        const tf = typeof probe === 'string' ? tpField(this.opts, probe, name) : undefined;
        if (typeof tf === 'string') return fail(`tuple position ${i} (${f}): ${tf}`);
        if (typeof x === 'string') {
          const addr = this.place(new TextEncoder().encode(x + '\0'), mem);
          args.push(`${JSON.stringify(name)}:"0x${addr.toString(16)}"`);
        } else if (Array.isArray(x)) {
          // An array field (unsigned long args[6]): its elements' bytes in mem, the address in args.
          const bytes = arrayBytes(x, tf?.elemSize ?? 8);
          if (typeof bytes === 'string') return fail(`tuple position ${i} (${f}): ${bytes}`);
          const addr = this.place(bytes, mem);
          args.push(`${JSON.stringify(name)}:"0x${addr.toString(16)}"`);
        } else {
          const n = intOf(x, true);
          if (typeof n === 'string') return fail(`tuple position ${i} (${f}): ${n}`);
          const v = sx ? signExtend(n, Number(sx.slice(1))) : tf?.int ? fieldValue(n, tf.size, tf.signed) : n;
          args.push(`${JSON.stringify(name)}:${intJson(v)}`);
        }
      } else {
        const n = intOf(x, f === 'retval');
        if (typeof n === 'string') return fail(`tuple position ${i} (${f}): ${n}`);
        ev[f] = intJson(n as TraceInt);
      }
    }
    const parts: string[] = [`"probe":${ev.probe}`];
    for (const f of ['ts', 'cpu', 'pid', 'tid', 'uid', 'gid']) parts.push(`"${f}":${ev[f] ?? '0'}`);
    parts.push(`"comm":${ev.comm ?? '""'}`, `"args":{${args.join(',')}}`);
    if (mem.length) parts.push(`"mem":{${mem.join(',')}}`);
    if (ev.retval !== undefined) parts.push(`"retval":${ev.retval}`);
    if (ev.kstack !== undefined) parts.push(`"kstack":${ev.kstack}`);
    if (ev.ustack !== undefined) parts.push(`"ustack":${ev.ustack}`);
    if (ev.cgroup !== undefined) parts.push(`"cgroup":${ev.cgroup}`);
    this.events++;
    return { out: `{${parts.join(',')}}` };
  }

  /** When per-probe lists exist, the tuple's probe is at the position each list names; a PROBE with `*` matches as a wildcard. */
  private firstProbeMatch(data: unknown[]): FieldList | undefined {
    for (const [p, l] of this.opts.perProbe ?? []) if (data[l.indexOf('probe')] === p) return l;
    for (const [p, l] of this.opts.perProbe ?? []) {
      const v = data[l.indexOf('probe')];
      if (p.includes('*') && typeof v === 'string' && wildcard(p).test(v)) return l;
    }
    return undefined;
  }

  private place(bytes: Uint8Array, mem: string[]): bigint {
    const addr = this.nextAddr;
    this.nextAddr += (BigInt(bytes.length) + 15n) & ~15n;
    mem.push(`"0x${addr.toString(16)}":"${bytesToHex(bytes)}"`);
    return addr;
  }
}

/** Converts whole input (as lines) into v1 lines (header first) plus diagnostics. */
export function convertBpftraceJson(lines: Iterable<string>, opts: ConvertOptions): { lines: string[]; diagnostics: ConvertDiagnostic[] } {
  const c = new BpftraceConverter(opts);
  const out = [c.headerLine()];
  const diagnostics: ConvertDiagnostic[] = [];
  let n = 0;
  for (const l of lines) {
    const r = c.pushLine(l, ++n);
    if (r.out) out.push(r.out);
    if (r.diagnostic) diagnostics.push(r.diagnostic);
  }
  return { lines: out, diagnostics };
}

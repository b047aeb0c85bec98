/**
 * Recorded event traces, format v1 (DESIGN.md "Recorded event traces"): the
 * model, field checks, and a line-at-a-time reader that turns JSON Lines into
 * a header plus events or diagnostics naming the line and field. Pure: no I/O,
 * never throws. Non-goals: laying `args` out as a probe context (the VM's job)
 * and reading files (host/trace-file.ts).
 */

/** An integer from a trace: a number when written as a JSON number, a bigint when written as a string. */
export type TraceInt = number | bigint;

export interface TraceHeader {
  format: 'bpfstudio-trace';
  version: 1;
  kernel: string;
  arch: string;
  btf_sha256?: string;
  recorded_with?: string;
  /** Event fields the recorder did not capture (written as 0). */
  missing_fields?: string[];
}

export interface StackFrame { addr: TraceInt; sym?: string }

export interface TraceEvent {
  probe: string;
  ts: TraceInt;
  cpu: TraceInt;
  pid: TraceInt;
  tid: TraceInt;
  uid: TraceInt;
  gid: TraceInt;
  comm: string;
  args: Record<string, TraceInt>;
  /** Hex byte strings keyed by "0x…" address, as written. */
  mem?: Record<string, string>;
  retval?: TraceInt;
  kstack?: StackFrame[];
  ustack?: StackFrame[];
  cgroup?: TraceInt;
}

export interface TraceDiagnostic { line: number; field?: string; message: string }

export type ReadResult =
  | { kind: 'header'; header: TraceHeader }
  | { kind: 'event'; event: TraceEvent }
  | { kind: 'empty' }
  | { kind: 'diagnostic'; diagnostic: TraceDiagnostic };

export const TRACE_FORMAT = 'bpfstudio-trace';
const UNSIGNED = /^(0x[0-9a-fA-F]+|[0-9]+)$/;
const SIGNED = /^-?(0x[0-9a-fA-F]+|[0-9]+)$/;
export const HEX_BYTES = /^([0-9a-fA-F]{2})*$/;
export const ADDR_KEY = /^0x[0-9a-fA-F]+$/;
const SHA256 = /^[0-9a-f]{64}$/;

export const HEADER_FIELDS = ['format', 'version', 'kernel', 'arch', 'btf_sha256', 'recorded_with', 'missing_fields'];
export const EVENT_FIELDS = ['probe', 'ts', 'cpu', 'pid', 'tid', 'uid', 'gid', 'comm', 'args', 'mem', 'retval', 'kstack', 'ustack', 'cgroup'];
const UNSIGNED_FIELDS = ['ts', 'cpu', 'pid', 'tid', 'uid', 'gid'] as const;

/** "-0x10" / "123" / "0xff" to bigint (the string must already match SIGNED). */
function bigOf(s: string): bigint {
  const neg = s.startsWith('-');
  const v = BigInt(neg ? s.slice(1) : s);
  return neg ? -v : v;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** Checks an integer field; returns the value or an error message. */
export function readInt(v: unknown, signed: boolean): TraceInt | string {
  const want = `expected ${signed ? 'an' : 'a non-negative'} integer (number or "0x…" string)`;
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || (!signed && v < 0)) return `${want}, got ${describe(v)}`;
    if (!Number.isSafeInteger(v)) return `integer ${describe(v)} is beyond 2^53 and lost precision; write it as a string`;
    return v;
  }
  if (typeof v === 'string' && (signed ? SIGNED : UNSIGNED).test(v)) return bigOf(v);
  return `${want}, got ${describe(v)}`;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type Check<T> = { ok: T } | { field: string; message: string };
const bad = (field: string, message: string): { field: string; message: string } => ({ field, message });

export function checkHeader(v: unknown): Check<TraceHeader> {
  if (!isObj(v)) return bad('', `the first line must be the header object {"format":"${TRACE_FORMAT}","version":1,...}, got ${describe(v)}`);
  if (v.format !== TRACE_FORMAT) return bad('format', `expected "${TRACE_FORMAT}" (the first line must be the trace header), got ${describe(v.format)}`);
  if (v.version !== 1) return bad('version', `unsupported version ${describe(v.version)} (this reader reads version 1)`);
  for (const f of ['kernel', 'arch'] as const) {
    if (typeof v[f] !== 'string' || v[f] === '') return bad(f, `expected a non-empty string, got ${describe(v[f])}`);
  }
  if (v.btf_sha256 !== undefined && (typeof v.btf_sha256 !== 'string' || !SHA256.test(v.btf_sha256))) return bad('btf_sha256', `expected 64 lowercase hex digits, got ${describe(v.btf_sha256)}`);
  if (v.recorded_with !== undefined && typeof v.recorded_with !== 'string') return bad('recorded_with', `expected a string, got ${describe(v.recorded_with)}`);
  if (v.missing_fields !== undefined && (!Array.isArray(v.missing_fields) || !v.missing_fields.every((x) => typeof x === 'string'))) return bad('missing_fields', 'expected an array of strings');
  for (const k of Object.keys(v)) if (!HEADER_FIELDS.includes(k)) return bad(k, `unknown header field (known: ${HEADER_FIELDS.join(', ')})`);
  return { ok: v as unknown as TraceHeader };
}

function checkStack(v: unknown, field: string): Check<StackFrame[]> {
  if (!Array.isArray(v)) return bad(field, `expected an array of {addr, sym?}, got ${describe(v)}`);
  const out: StackFrame[] = [];
  for (let i = 0; i < v.length; i++) {
    const f = v[i];
    if (!isObj(f)) return bad(`${field}[${i}]`, `expected {addr, sym?}, got ${describe(f)}`);
    const addr = readInt(f.addr, false);
    if (typeof addr === 'string') return bad(`${field}[${i}].addr`, addr);
    if (f.sym !== undefined && typeof f.sym !== 'string') return bad(`${field}[${i}].sym`, `expected a string, got ${describe(f.sym)}`);
    for (const k of Object.keys(f)) if (k !== 'addr' && k !== 'sym') return bad(`${field}[${i}].${k}`, 'unknown stack frame field (known: addr, sym)');
    out.push(f.sym === undefined ? { addr } : { addr, sym: f.sym });
  }
  return { ok: out };
}

export function checkEvent(v: unknown): Check<TraceEvent> {
  if (!isObj(v)) return bad('', `expected an event object, got ${describe(v)}`);
  if (typeof v.probe !== 'string' || v.probe === '') return bad('probe', `expected a non-empty string, got ${describe(v.probe)}`);
  const ev: Partial<TraceEvent> & Record<string, unknown> = { probe: v.probe };
  for (const f of UNSIGNED_FIELDS) {
    if (v[f] === undefined) return bad(f, 'missing (required)');
    const n = readInt(v[f], false);
    if (typeof n === 'string') return bad(f, n);
    ev[f] = n;
  }
  if (typeof v.comm !== 'string') return bad('comm', `expected a string, got ${describe(v.comm)}`);
  ev.comm = v.comm;
  if (!isObj(v.args)) return bad('args', `expected an object of named integers, got ${describe(v.args)}`);
  const args: Record<string, TraceInt> = {};
  for (const [k, a] of Object.entries(v.args)) {
    const n = readInt(a, true);
    if (typeof n === 'string') return bad(`args.${k}`, n);
    args[k] = n;
  }
  ev.args = args;
  if (v.mem !== undefined) {
    if (!isObj(v.mem)) return bad('mem', `expected an object {"0x…": "hex bytes"}, got ${describe(v.mem)}`);
    for (const [k, h] of Object.entries(v.mem)) {
      if (!ADDR_KEY.test(k)) return bad(`mem.${k}`, 'address keys must be "0x…" hex strings');
      if (typeof h !== 'string' || !HEX_BYTES.test(h)) return bad(`mem.${k}`, `expected an even-length hex byte string, got ${describe(h)}`);
    }
    ev.mem = v.mem as Record<string, string>;
  }
  if (v.retval !== undefined) {
    const n = readInt(v.retval, true);
    if (typeof n === 'string') return bad('retval', n);
    ev.retval = n;
  }
  if (v.cgroup !== undefined) {
    const n = readInt(v.cgroup, false);
    if (typeof n === 'string') return bad('cgroup', n);
    ev.cgroup = n;
  }
  for (const f of ['kstack', 'ustack'] as const) {
    if (v[f] === undefined) continue;
    const s = checkStack(v[f], f);
    if (!('ok' in s)) return s;
    ev[f] = s.ok;
  }
  for (const k of Object.keys(v)) if (!EVENT_FIELDS.includes(k)) return bad(k, `unknown event field (known: ${EVENT_FIELDS.join(', ')})`);
  return { ok: ev as TraceEvent };
}

/** `line 7: field "ts": expected …` */
export function formatDiagnostic(d: TraceDiagnostic): string {
  return `line ${d.line}: ${d.field ? `field "${d.field}": ` : ''}${d.message}`;
}

/**
 * Reads a trace one line at a time. The first non-empty line must be the
 * header; later lines are events. `atEof` marks a final line that had no
 * newline after it: if it is not valid JSON it is reported as truncated.
 */
export class TraceReader {
  header: TraceHeader | undefined;
  events = 0;
  errors = 0;
  readonly probes = new Map<string, number>();
  private lastLine = 0;
  private headerFailed = false;

  pushLine(text: string, lineNo: number, atEof = false): ReadResult {
    this.lastLine = lineNo;
    const t = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (t.trim() === '') return { kind: 'empty' };
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (e) {
      const why = (e as Error).message;
      return this.diag({ line: lineNo, message: atEof ? `truncated final line (no newline at end of file, not valid JSON: ${why})` : `not valid JSON: ${why}` });
    }
    if (!this.header && !this.headerFailed) {
      const h = checkHeader(v);
      if (!('ok' in h)) { this.headerFailed = true; return this.diag({ line: lineNo, field: h.field || undefined, message: h.message }); }
      this.header = h.ok;
      return { kind: 'header', header: h.ok };
    }
    const c = checkEvent(v);
    if (!('ok' in c)) return this.diag({ line: lineNo, field: c.field || undefined, message: c.message });
    this.events++;
    this.probes.set(c.ok.probe, (this.probes.get(c.ok.probe) ?? 0) + 1);
    return { kind: 'event', event: c.ok };
  }

  /** Call after the last line: reports a trace with no header at all. */
  finish(): TraceDiagnostic[] {
    if (!this.header && !this.headerFailed) return [this.diag({ line: Math.max(1, this.lastLine), message: 'empty trace: no header line' }).diagnostic];
    return [];
  }

  private diag(d: TraceDiagnostic): { kind: 'diagnostic'; diagnostic: TraceDiagnostic } {
    this.errors++;
    return { kind: 'diagnostic', diagnostic: d };
  }
}

/** Decodes a `mem` hex byte string (checked by HEX_BYTES) into bytes; undefined if malformed. */
export function hexToBytes(hex: string): Uint8Array | undefined {
  if (!HEX_BYTES.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** An event's recorded memory as {addr, bytes} regions, sorted by address. */
export function memRegions(ev: TraceEvent): { addr: bigint; bytes: Uint8Array }[] {
  const out: { addr: bigint; bytes: Uint8Array }[] = [];
  for (const [k, h] of Object.entries(ev.mem ?? {})) {
    const bytes = hexToBytes(h);
    if (bytes && ADDR_KEY.test(k)) out.push({ addr: BigInt(k), bytes });
  }
  return out.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
}

/** Reads `len` bytes at `addr` from an event's recorded memory, or undefined if any byte was not recorded. */
export function readMem(ev: TraceEvent, addr: bigint, len: number): Uint8Array | undefined {
  for (const r of memRegions(ev)) {
    const off = addr - r.addr;
    if (off >= 0n && off + BigInt(len) <= BigInt(r.bytes.length)) return r.bytes.slice(Number(off), Number(off) + len);
  }
  return undefined;
}

/** JSON text for a trace integer: bigints beyond 2^53 as "0x…" strings, others as numbers. */
export function intJson(v: TraceInt): string {
  if (typeof v === 'number') return String(v);
  if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return String(Number(v));
  return JSON.stringify(v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);
}

/**
 * Writes the bpftrace script that records a trace for a given script: one
 * clause per probe the script attaches to (tracepoint wildcards expanded
 * through the kernel's catalog) printing `print((probe, nsecs, cpu, pid, tid,
 * uid, gid, comm, …))` tuples of exactly the event fields the script reads
 * (args fields, argN, retval, stacks in perf mode, strings through str()),
 * plus the field lists that `bpfstudio trace convert` needs to turn the
 * tuples into trace v1. Pure. Non-goals: memory behind arbitrary pointers
 * (curtask->…, struct fields): those are listed as not recordable.
 */
import type * as A from './ast';
import { walk } from './ast';
import type { TpFormat } from '../btf/tracepoint';
import { globMatch } from './replay-match';
import { parseProbeName } from './ctx';

export interface RecorderKernel {
  tracepoint?(category: string, event: string): TpFormat | undefined;
  systems?(): string[];
  events?(system: string): string[];
}

export interface RecorderClause {
  /** The attach point recorded (a concrete tracepoint, or the script's own text). */
  probe: string;
  /** Tuple expressions after the event identity, and the trace field each fills. */
  fields: { expr: string; field: string }[];
}

export interface Recorder {
  /** The bpftrace script to run with -f json. */
  script: string;
  clauses: RecorderClause[];
  /** `--fields` arguments for `bpfstudio trace convert` (PROBE=LIST, one per clause). */
  fieldSpecs: string[];
  /** What the script reads that a tuple cannot carry (memory behind pointers, …). */
  warnings: string[];
}

export const IDENTITY_EXPRS = ['probe', 'nsecs', 'cpu', 'pid', 'tid', 'uid', 'gid', 'comm'];
export const IDENTITY_FIELDS = ['probe', 'ts', 'cpu', 'pid', 'tid', 'uid', 'gid', 'comm'];

const NO_EVENTS = new Set(['begin', 'end', 'interval']);
const POINTER_READS = new Set(['curtask', 'ctx']);

interface Uses {
  args: Set<string>;
  /** args fields and argN read through str(). */
  strs: Set<string>;
  argn: Set<number>;
  wholeArgs: boolean;
  retval: boolean;
  kstack: boolean;
  ustack: boolean;
  cgroup: boolean;
  warnings: Set<string>;
}

function argsField(e: A.Expr): string | undefined {
  return e.kind === 'Field' && e.object.kind === 'Builtin' && e.object.name === 'args' ? e.field : undefined;
}

function usesOf(p: A.Probe): Uses {
  const u: Uses = { args: new Set(), strs: new Set(), argn: new Set(), wholeArgs: false, retval: false, kstack: false, ustack: false, cgroup: false, warnings: new Set() };
  const fieldObjects = new Set<A.Node>();
  const visit = (n: A.Node): void => {
    if (n.kind === 'Field') {
      fieldObjects.add(n.object);
      const f = argsField(n);
      if (f !== undefined) u.args.add(f);
      else if (n.arrow && n.object.kind !== 'Builtin') u.warnings.add(`->${n.field} reads memory behind a pointer, which the tuple does not record`);
    } else if (n.kind === 'Builtin') {
      const m = /^arg(\d+)$/.exec(n.name);
      if (m) u.argn.add(Number(m[1]));
      else if (n.name === 'args' && !fieldObjects.has(n)) u.wholeArgs = true;
      else if (n.name === 'retval') u.retval = true;
      else if (n.name === 'kstack') u.kstack = true;
      else if (n.name === 'ustack') u.ustack = true;
      else if (n.name === 'cgroup') u.cgroup = true;
      else if (POINTER_READS.has(n.name)) u.warnings.add(`${n.name} points into kernel memory, which the tuple does not record`);
    } else if (n.kind === 'Call') {
      if (n.name === 'kstack') u.kstack = true;
      else if (n.name === 'ustack') u.ustack = true;
      else if ((n.name === 'str' || n.name === 'buf') && n.args[0]) {
        const a = n.args[0];
        const f = argsField(a);
        if (f !== undefined) u.strs.add(f);
        else if (a.kind === 'Builtin' && /^arg\d+$/.test(a.name)) u.strs.add(a.name);
      }
    }
  };
  // Parents come before children in walk(): a Field marks its object before the Builtin is visited.
  walk(p, visit);
  return u;
}

/** Concrete tracepoints an attach point names (wildcards through the catalog). */
function expand(ap: A.AttachPoint, k: RecorderKernel): string[] {
  if (ap.canonical !== 'tracepoint' || !ap.raw.includes('*')) return [ap.raw];
  const [cat, ev] = ap.parts;
  if (cat === undefined || ev === undefined || !k.systems || !k.events) return [ap.raw];
  const out: string[] = [];
  for (const s of k.systems()) {
    if (!globMatch(cat, s)) continue;
    for (const e of k.events(s)) if (globMatch(ev, e)) out.push(`tracepoint:${s}:${e}`);
  }
  return out.length ? out : [ap.raw];
}

function canonicalText(raw: string): string {
  const { provider, parts } = parseProbeName(raw);
  return [provider, ...parts].join(':');
}

function clauseFields(probe: string, u: Uses, k: RecorderKernel, warnings: Set<string>): RecorderClause['fields'] {
  const out: RecorderClause['fields'] = [];
  const { provider, parts } = parseProbeName(probe);
  if (provider === 'tracepoint') {
    const fmt = parts.length === 2 && !probe.includes('*') ? k.tracepoint?.(parts[0], parts[1]) : undefined;
    const names = u.wholeArgs && fmt ? fmt.fields.filter((f) => !f.common).map((f) => f.name) : [...u.args];
    for (const name of names) {
      const f = fmt?.fields.find((x) => x.name === name);
      if (fmt && !f) { warnings.add(`${probe} has no field ${name}`); continue; }
      let expr = u.strs.has(name) ? `str(args->${name})` : `args->${name}`;
      // A char * is recorded as its string (saved in a map and read with str() later, as opensnoop does).
      if (f?.dynamic !== undefined || (f && f.arrayLen === undefined && /\bchar\s*\*/.test(f.type))) expr = `str(args->${name})`;
      else if (f?.arrayLen !== undefined) expr = `args->${name}`; // char arrays print as strings, others as JSON arrays
      out.push({ expr, field: `args.${name}` });
    }
  } else if (u.args.size || u.wholeArgs) {
    // uprobe args (DWARF): the whole register as bpftrace reads it (a narrower type would print truncated).
    const num = (name: string): string => (provider === 'uprobe' ? `(uint64)args->${name}` : `args->${name}`);
    for (const name of u.args) out.push({ expr: u.strs.has(name) ? `str(args->${name})` : num(name), field: `args.${name}` });
    if (u.wholeArgs) warnings.add(`${probe}: args as a whole is recorded only for tracepoints`);
  }
  for (const i of [...u.argn].sort((a, b) => a - b)) out.push({ expr: u.strs.has(`arg${i}`) ? `str(arg${i})` : `arg${i}`, field: `args.arg${i}` });
  if (u.retval) out.push({ expr: 'retval', field: 'retval' });
  if (u.cgroup) out.push({ expr: 'cgroup', field: 'cgroup' });
  if (u.kstack) out.push({ expr: 'kstack(perf)', field: 'kstack' });
  if (u.ustack) out.push({ expr: 'ustack(perf)', field: 'ustack' });
  return out;
}

/** The recording script for `program`; `filter` (a bpftrace predicate) limits what is recorded. */
export function recorderFor(program: A.Program, kernel: RecorderKernel = {}, opts: { filter?: string } = {}): Recorder {
  const clauses: RecorderClause[] = [];
  const warnings = new Set<string>();
  const seen = new Map<string, RecorderClause>();
  for (const item of program.items) {
    if (item.kind !== 'Probe') continue;
    const u = usesOf(item);
    for (const w of u.warnings) warnings.add(w);
    for (const ap of item.attachPoints) {
      if (NO_EVENTS.has(ap.canonical)) continue;
      for (const probe of expand(ap, kernel)) {
        const text = probe.includes('*') ? probe : canonicalText(probe);
        const fields = clauseFields(text, u, kernel, warnings);
        const old = seen.get(text);
        if (old) {
          for (const f of fields) if (!old.fields.some((x) => x.field === f.field)) old.fields.push(f);
          continue;
        }
        const c = { probe: text, fields };
        seen.set(text, c);
        clauses.push(c);
      }
    }
  }
  const pred = opts.filter ? ` /${opts.filter}/` : '';
  const script = clauses.map((c) => `${c.probe}${pred} { print((${[...IDENTITY_EXPRS, ...c.fields.map((f) => f.expr)].join(', ')})); }\n`).join('');
  const fieldSpecs = clauses.map((c) => `${c.probe}=${[...IDENTITY_FIELDS, ...c.fields.map((f) => f.field)].join(',')}`);
  return { script, clauses, fieldSpecs, warnings: [...warnings] };
}

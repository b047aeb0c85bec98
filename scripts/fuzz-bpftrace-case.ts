/**
 * One case of the bpftrace pipeline fuzz (`npm run fuzz -- bpftrace`): a
 * script mutated from a seed script (character edits, token swaps from a pool
 * of bpftrace words and extreme literals, line deletion, duplication and
 * swaps), then every stage a user's script goes through — parse, check
 * (semantics, types), code generation, our verifier on each program, and a
 * replay of synthesized events on the VM. Any throw, a diagnostic range
 * outside the text, or a verifier that runs past its budget is a problem.
 * Deterministic per seed. Not a test file itself.
 */
import type { Btf } from '../server/src/btf';
import type { TpFormat } from '../server/src/btf/tracepoint';
import { parse } from '../server/src/bpftrace';
import { verifyProbe } from '../server/src/bpftrace/codegen';
import { compileForReplay, replay, type ReplayKernel } from '../server/src/bpftrace/replay';
import type { TraceEvent } from '../server/src/trace/v1';

export interface BtFuzzKernel extends ReplayKernel {
  btf?: Btf;
  tracepoint?(cat: string, ev: string): TpFormat | undefined;
}

export type Stage = 'parse-error' | 'check-error' | 'compiled' | 'verified' | 'replayed';

export interface BtCaseResult {
  desc: string;
  /** The last stage reached without an error diagnostic. */
  stage: Stage;
  /** Programs our verifier accepted / rejected. */
  accepted: number;
  rejected: number;
  /** Bugs: throws, ranges outside the text, budget overruns. */
  problems: string[];
  text: string;
}

/** A small deterministic PRNG (LCG) per case. */
function rng(seed: number): (n: number) => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return n <= 0 ? 0 : (s >>> 8) % n;
  };
}

/** Expressions a mutation may put in place of an identifier or number: builtins, functions, literals at the edges. */
const EXPRS = [
  'pid', 'tid', 'uid', 'comm', 'nsecs', 'elapsed', 'cpu', 'curtask', 'retval', 'args', 'arg0', 'arg1', 'arg9', 'func', 'probe',
  'kstack', 'ustack', 'cgroup', '$1', '$2', '$#', '$x', '$y', '@m', '@', '@h[1]', 'count()', 'sum(1)', 'avg(arg0)', 'min(-1)', 'max(pid)',
  'hist(-5)', 'lhist(arg0, 0, 100, 10)', 'stats(1)', 'str(arg0)', 'str(arg0, 0)', 'buf(arg0, 9999)', 'ksym(0)', 'usym(0)', 'ntop(0)',
  'strftime("%H", nsecs)', 'join(arg0)', 'sizeof(struct task_struct)', 'offsetof(struct task_struct, pid)',
  '((struct task_struct *)curtask)->pid', 'curtask->real_parent->comm', 'args->filename', 'args.nosuch', '$t.0', '$t.1',
  '0', '-1', '1', '255', '0x7fffffffffffffff', '0xffffffffffffffff', '18446744073709551616', '1e6', '10ms', '1_000', '"x"', '""',
  '"\\x00\\n"', '(1, "a")', '(a = 1, b = "s")', '(uint8)arg0', '(int64)-1', '(uint8[4])arg0', 'true', 'false', 'pid == 1 ? 2 : 3',
  'arg0 ?: 5', '!arg0', '~pid', '-comm', 'kaddr("nosuch")', 'uaddr("x")', 'cgroupid("/")', 'macaddr(arg0)', 'path(arg0)',
  'strncmp(comm, "a", 99)', 'has_key(@m, 1)', 'len(@m)', 'percpu_kaddr("x")', 'signal("KILL")', 'override(1)', 'typeof(pid)',
];
/** Statements a mutation may insert at the start of a block. */
const STMTS = [
  'printf("%d %s %x %c\\n", 1);', 'printf("%s\\n", str(arg0));', 'print(@m);', 'print(@m, 3, 2);', 'clear(@m);', 'zero(@m);',
  'delete(@m[1]);', 'delete(@m);', 'exit();', 'time();', 'time("%H:%M");', 'cat("/proc/self/stat");', 'system("true");',
  '@m[pid] = count();', '@m = 1;', '@m++;', '@s[comm] = hist(arg0);', '@t = (1, "x");', '$x = 1; $x = "s";', 'unroll(3) { @u++; }',
  'while ($i < 10) { $i++; }', 'for ($i : 0..5) { @f += $i; }', 'for ($kv : @m) { print($kv); }', 'if (pid > 1) { return; } else { @e = 1; }',
  'break;', 'continue;', 'return;', '{ $y = 2; }', 'let $z: uint8 = 300;', '_ = 1;',
];
/** Top-level items a mutation may insert between probes. */
const ITEMS = [
  'macro m(x) { x + 1 }', 'let @lm = hash(2);', 'config = { max_map_keys = 2 }', 'BEGIN { @b = 1; }', 'END { print(@m); }', 'interval:s:1 { exit(); }', 'tracepoint:syscalls:sys_enter_read { @r[args.fd] = count(); }',
  'kprobe:vfs_read /arg2 > 0/ { @k = sum(arg2); }', 'uprobe:/bin/sh:main { @u2 = count(); }', 'rawtracepoint:sys_enter { @rt = count(); }',
  'profile:hz:99 { @p[kstack] = count(); }', 'fentry:vfs_read { @fe = count(); }', 'struct S { int a; char b[4]; }', '#define X 3',
];
const OPS = ['+', '-', '*', '/', '%', '<<', '>>', '&', '|', '^', '==', '!=', '<', '>', '<=', '>=', '&&', '||', '=', '+=', '|=', '.', '->', '..'];

const TOKEN = /[A-Za-z_$@][\w$@]*|0x[0-9a-fA-F]+|\d[\d_]*|"(?:[^"\\\n]|\\.)*"|->|\.\.|<<|>>|[<>=!&|+-]=?|\S/g;

/** Mutates `base` with 1-4 edits (mostly one): expressions for words, operators for operators, inserted statements, line edits, rarely a character. */
export function mutateScript(base: string, r: (n: number) => number): { text: string; what: string[] } {
  let text = base;
  const what: string[] = [];
  const edits = [1, 1, 1, 2, 2, 3, 4][r(7)];
  for (let k = 0; k < edits; k++) {
    const op = r(10);
    // 0-3 word, 4 operator, 5-6 insertion, 7 line, 8-9 (half the time) word again, else a character.
    const toks = [...text.matchAll(TOKEN)];
    if (op <= 3 && toks.length) {
      const words = toks.filter((t) => /^[\w$@"]/.test(t[0]));
      const t = words.length ? words[r(words.length)] : toks[r(toks.length)];
      const w = EXPRS[r(EXPRS.length)];
      text = text.slice(0, t.index) + w + text.slice((t.index ?? 0) + t[0].length);
      what.push(`${t[0]}->${w}`);
    } else if (op === 4 && toks.length) {
      const ops = toks.filter((t) => OPS.includes(t[0]));
      if (!ops.length) continue;
      const t = ops[r(ops.length)];
      const w = OPS[r(OPS.length)];
      text = text.slice(0, t.index) + w + text.slice((t.index ?? 0) + t[0].length);
      what.push(`${t[0]}->${w}`);
    } else if (op <= 6) {
      // A statement after a block's `{` (depth >= 1), or an item before a top-level probe.
      let depth = 0;
      const opens: number[] = [];
      const tops: number[] = [0];
      for (const t of toks) {
        if (t[0] === '{') { depth++; opens.push((t.index ?? 0) + 1); } else if (t[0] === '}') { depth = Math.max(0, depth - 1); if (depth === 0) tops.push((t.index ?? 0) + 1); }
      }
      const item = r(4) === 0 || opens.length === 0;
      const at = item ? tops[r(tops.length)] : opens[r(opens.length)];
      const ins = item ? `\n${ITEMS[r(ITEMS.length)]}\n` : ` ${STMTS[r(STMTS.length)]} `;
      text = text.slice(0, at) + ins + text.slice(at);
      what.push(`ins@${at} ${ins.trim()}`);
    } else if (op <= 7) {
      const lines = text.split('\n');
      const i = r(lines.length);
      const j = r(lines.length);
      if (r(2)) { lines.splice(i, 1); what.push(`del L${i + 1}`); } else { lines.splice(i, 0, lines[j]); what.push(`dup L${j + 1}`); }
      text = lines.join('\n');
    } else if (op === 8 || r(2)) {
      k--;
      continue;
    } else {
      const at = r(text.length + 1);
      const c = '{}()[];:,./"\'$@#!?=+-*&|^~<>%_ \n'[r(31)];
      text = r(2) ? text.slice(0, at) + c + text.slice(at) : text.slice(0, at) + text.slice(at + 1 + r(12));
      what.push(`chr@${at}`);
    }
  }
  return { text, what };
}

const ADDR = 0x7f0000001000n;

/** Events for a compiled script's attach points: tracepoint fields from the formats, registers otherwise; pointers point at recorded bytes. */
export function eventsFor(attach: string[], kernel: BtFuzzKernel, r: (n: number) => number): TraceEvent[] {
  const mem = { [`0x${ADDR.toString(16)}`]: Buffer.from('/etc/passwd\0' + 'A'.repeat(64)).toString('hex') };
  const val = (): bigint => [0n, 1n, 42n, ADDR, 0xffffffffn, -1n, BigInt(r(1 << 20))][r(7)];
  const out: TraceEvent[] = [];
  let ts = 1_000_000n;
  for (let n = 0; n < 6; n++) {
    const ap = attach[r(attach.length)];
    if (!ap) break;
    const parts = ap.split(':');
    const args: Record<string, bigint> = {};
    if (parts[0] === 'tracepoint') {
      const fmt = kernel.tracepoint?.(parts[1] ?? '', parts[2] ?? '');
      for (const f of fmt?.fields.filter((x) => !x.common) ?? []) args[f.name] = f.dynamic || f.arrayLen !== undefined || f.type.includes('*') ? ADDR : val();
    } else {
      for (let i = 0; i < 6; i++) args[`arg${i}`] = val();
    }
    ts += BigInt(1 + r(1_000_000_000));
    out.push({ probe: ap, ts, cpu: r(4), pid: 100 + r(3), tid: 100 + r(3), uid: 0, gid: 0, comm: 'fuzz', args: args as TraceEvent['args'], mem, retval: val() });
  }
  return out;
}

function rangeProblems(stage: string, text: string, ds: readonly { range?: { start: number; end: number }; message: string }[]): string[] {
  const out: string[] = [];
  for (const d of ds) {
    const g = d.range;
    if (g && !(g.start >= 0 && g.end <= text.length && g.start <= g.end)) out.push(`${stage}: range ${g.start}..${g.end} outside 0..${text.length} for '${d.message}'`);
  }
  return out;
}

/** Runs case `seed` over `seeds` (script texts). */
export function btFuzzCase(seed: number, seeds: readonly { name: string; text: string; target: string }[], kernel: BtFuzzKernel): BtCaseResult {
  const r = rng(seed);
  const base = seeds[r(seeds.length)];
  const { text, what } = mutateScript(base.text, r);
  const res: BtCaseResult = { desc: `${base.name} [${what.join('; ')}]`, stage: 'parse-error', accepted: 0, rejected: 0, problems: [], text };
  const step = <T>(name: string, f: () => T): T | undefined => {
    try { return f(); } catch (e) { res.problems.push(`${name} threw: ${(e as Error).stack?.split('\n').slice(0, 4).join(' | ') ?? String(e)}`); return undefined; }
  };
  const p = step('parse', () => parse(text));
  if (!p) return res;
  res.problems.push(...rangeProblems('parse', text, p.diagnostics));
  if (p.diagnostics.some((d) => d.severity === 'error')) return res;
  res.stage = 'check-error';
  const c = step('compile', () => compileForReplay(text, kernel, { target: base.target, params: ['7', 'x'] }));
  if (!c) return res;
  res.problems.push(...rangeProblems('check/compile', text, c.diagnostics));
  if (!c.script) return res;
  res.stage = 'compiled';
  const script = c.script;
  for (const probe of script.probes) {
    const v = step('verify', () => verifyProbe(script, probe, kernel.btf ? { btf: kernel.btf } : {}));
    if (!v) return res;
    if (v.stats.processed > 1_000_001) res.problems.push(`verify: processed ${v.stats.processed} past the limit`);
    if (v.errors.some((e) => e.message.startsWith('internal verifier error'))) res.problems.push(`verify: ${v.errors[0].message}`);
    if (v.verdict === 'accept') res.accepted++; else res.rejected++;
  }
  res.stage = 'verified';
  const events = eventsFor(script.probes.flatMap((x) => x.attachPoints), kernel, r);
  const ok = step('replay', () => {
    const g = replay(script, events, { format: r(4) === 0 ? 'json' : 'text', version: base.target, kernel, program: c.program, source: text, budget: 2_000_000, onDiagnostic: () => undefined });
    let lines = 0;
    for (let n = g.next(); !n.done; n = g.next()) lines++;
    return lines >= 0;
  });
  if (ok) res.stage = 'replayed';
  return res;
}

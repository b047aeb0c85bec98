/**
 * The bpf_conformance suite's `.data` files: parsing (sections `asm`, `raw`,
 * `mem`, `result`, `error`) and running one case on an engine given by the
 * caller (interpreter or JIT), with helper 5 returning its first argument as
 * the suite requires. Pure: the caller reads the files. Non-goal: the suite's
 * plugin protocol.
 */
import { assemble } from '../asm';
import { Insn, decode } from '../isa';
import { DEFAULT_HELPERS } from './helpers';
import type { HelperSpec } from './helpers-types';
import { RunArgs, RunResult, VmOptions } from './types';

export interface ConformanceCase {
  name: string;
  asm?: string;
  /** Instruction words (64-bit little-endian), from `-- raw`; take priority over `asm`. */
  raw?: bigint[];
  mem: Uint8Array;
  /** Expected r0 (unsigned 64-bit). */
  expected?: bigint;
  /** The file expects the program to fail (an `-- error` section). */
  expectError?: boolean;
  errorText?: string;
  /** Section names in order of appearance. */
  sections: string[];
  /** Problems found while parsing (bad hex, bad result). */
  problems: string[];
}

export type Runner = (insns: readonly Insn[], args?: RunArgs, opts?: VmOptions) => RunResult;

export interface ConformanceOutcome {
  status: 'pass' | 'fail' | 'skip';
  message?: string;
  r0?: bigint;
}

function parseNumber(t: string): bigint | undefined {
  const s = t.trim();
  if (!/^-?(0x[0-9a-f]+|[0-9]+)$/i.test(s)) return undefined;
  const neg = s.startsWith('-');
  const v = BigInt(neg ? s.slice(1) : s);
  return BigInt.asUintN(64, neg ? -v : v);
}

export function parseConformance(name: string, text: string): ConformanceCase {
  const c: ConformanceCase = { name, mem: new Uint8Array(0), sections: [], problems: [] };
  const body = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const hdr = /^\s*--\s*(.*?)\s*$/.exec(rawLine);
    if (hdr) {
      const sec = hdr[1].toLowerCase();
      c.sections.push(sec);
      cur = [];
      body.set(sec, cur);
      continue;
    }
    if (cur === undefined) continue; // the header comment before the first section
    cur.push(rawLine);
  }
  const clean = (lines: string[]) => lines.map((l) => l.replace(/#.*$/, '')).join('\n');
  if (body.has('asm')) c.asm = clean(body.get('asm')!);
  if (body.has('raw')) {
    const words: bigint[] = [];
    for (const t of clean(body.get('raw')!).split(/\s+/).filter(Boolean)) {
      const v = parseNumber(t);
      if (v === undefined) c.problems.push(`raw: '${t}' is not a number`);
      else words.push(v);
    }
    c.raw = words;
  }
  if (body.has('mem')) {
    const bytes: number[] = [];
    for (const t of clean(body.get('mem')!).split(/\s+/).filter(Boolean)) {
      if (/^[0-9a-f]{1,2}$/i.test(t)) bytes.push(parseInt(t, 16));
      else c.problems.push(`mem: '${t}' is not a hex byte`);
    }
    c.mem = Uint8Array.from(bytes);
  }
  if (body.has('result')) {
    const t = clean(body.get('result')!).trim();
    const v = parseNumber(t);
    if (v === undefined) c.problems.push(`result: '${t}' is not a number`);
    else c.expected = v;
  }
  if (body.has('error')) {
    c.expectError = true;
    c.errorText = clean(body.get('error')!).trim();
  }
  return c;
}

/** Helper 5 of the suite: returns its first argument. */
const HELPER5: HelperSpec = { id: 5, name: 'conformance_helper', signature: 'u64 helper5(u64 a)', impl: (_c, r1) => r1 };
const CONFORMANCE_HELPERS = new Map(DEFAULT_HELPERS);
CONFORMANCE_HELPERS.set(5, HELPER5);

/** The program of a case: raw words when present, else the assembled `asm` section. */
export function buildConformance(c: ConformanceCase): { insns: Insn[]; errors: string[] } {
  if (c.raw) {
    const bytes = new Uint8Array(c.raw.length * 8);
    const dv = new DataView(bytes.buffer);
    c.raw.forEach((w, i) => dv.setBigUint64(i * 8, w, true));
    const d = decode(bytes);
    return { insns: d.insns, errors: d.diagnostics.map((x) => `raw slot ${x.pc}: ${x.message}`) };
  }
  if (c.asm === undefined) return { insns: [], errors: ['no -- asm or -- raw section'] };
  const a = assemble(c.asm, { syntax: 'conformance' });
  const errors = a.diagnostics.filter((x) => x.severity === 'error').map((x) => `asm line ${x.range.line + 1}: ${x.message}`);
  return { insns: a.insns, errors };
}

export function runConformance(c: ConformanceCase, run: Runner, opts: VmOptions = {}): ConformanceOutcome {
  if (c.problems.length) return { status: 'fail', message: `bad test file: ${c.problems.join('; ')}` };
  const { insns, errors } = buildConformance(c);
  if (errors.length) {
    if (c.expectError) return { status: 'pass', message: `rejected as expected: ${errors[0]}` };
    return { status: 'fail', message: errors.join('; ') };
  }
  if (c.expected === undefined && !c.expectError) return { status: 'skip', message: 'the file has no -- result section' };
  const r = run(insns, { mem: c.mem }, { helpers: CONFORMANCE_HELPERS, ...opts });
  if (r.fault) {
    if (c.expectError) return { status: 'pass', message: `failed as expected: ${r.fault.message}` };
    return { status: 'fail', message: `fault (${r.fault.kind}) at pc ${r.fault.pc}: ${r.fault.message}` };
  }
  if (c.expectError) return { status: 'fail', message: `expected an error (${c.errorText ?? ''}), got r0 = 0x${(r.r0 ?? 0n).toString(16)}`, r0: r.r0 };
  if (r.r0 === c.expected) return { status: 'pass', r0: r.r0 };
  return { status: 'fail', message: `r0 = 0x${(r.r0 ?? 0n).toString(16)}, expected 0x${(c.expected ?? 0n).toString(16)}`, r0: r.r0 };
}

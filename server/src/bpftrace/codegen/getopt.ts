/**
 * bpftrace 0.26 getopt(name[, default[, description]]): a named script option
 * (`-- --name=value` on bpftrace's command line) resolved when the script is
 * compiled, so its value is a constant of the program: an int, a bool (a flag,
 * the default without a default value) or a string, as the default's type says.
 * Non-goal: printing the options' help (`--help` lists the descriptions).
 */
import type * as A from '../ast';
import { S64, type SType } from '../types';
import type { Gen, Loc } from './gen';
import { R_ACC } from './gen';
import { writeBytes } from './expr';

const STRLEN = 64;

/** The type getopt() yields: the default's type (int64, bool, string), bool without one. */
export function getoptType(e: A.Call): SType {
  const d = e.args[1];
  if (d?.kind === 'Int') return S64;
  if (d?.kind === 'Str') return { k: 'string', size: STRLEN };
  return { k: 'bool' };
}

function optionName(g: Gen, e: A.Call): string {
  const a = e.args[0];
  if (a?.kind !== 'Str') return g.error(a?.range ?? e.range, 'getopt() option name must be a string literal');
  return a.value;
}

/** The option's value from CompileOptions.options, else the default's. */
function value(g: Gen, e: A.Call): bigint | boolean | string {
  const name = optionName(g, e);
  const given = g.opts.options?.[name];
  const d = e.args[1];
  if (d && d.kind !== 'Int' && d.kind !== 'Str' && d.kind !== 'Bool') return g.error(d.range, 'getopt() default must be an integer, string or boolean literal');
  if (d?.kind === 'Int') {
    if (given === undefined) return d.value ?? 0n;
    if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(given.trim())) return g.error(e.range, `getopt(): option --${name} expects an integer (got "${given}")`);
    return BigInt(given.trim());
  }
  if (d?.kind === 'Str') return given ?? d.value;
  if (given === undefined) return d?.kind === 'Bool' ? d.value : false;
  return !['false', '0', 'no', 'off'].includes(given.trim().toLowerCase());
}

/**
 * The value of an integer expression known when compiling: literals, getopt() of ints
 * and flags, parameterless macro expansions of those (blocks with just a value), casts
 * and + - * of such; undefined otherwise.
 */
export function constInt(g: Gen, e: A.Expr | undefined): bigint | undefined {
  if (!e) return undefined;
  switch (e.kind) {
    case 'Int': return e.value;
    case 'Block': return e.stmts.length === 0 && e.value ? constInt(g, e.value) : undefined;
    case 'Cast': return constInt(g, e.expr);
    case 'Call': {
      if (e.name !== 'getopt' || e.args[1]?.kind === 'Str') return undefined;
      const v = value(g, e);
      return typeof v === 'boolean' ? (v ? 1n : 0n) : typeof v === 'bigint' ? v : undefined;
    }
    case 'Binary': {
      const l = constInt(g, e.left);
      const r = constInt(g, e.right);
      if (l === undefined || r === undefined) return undefined;
      return e.op === '+' ? l + r : e.op === '-' ? l - r : e.op === '*' ? l * r : undefined;
    }
    default: return undefined;
  }
}

/** getopt() as a scalar (int or bool) into r7. */
export function genGetopt(g: Gen, e: A.Call): void {
  const v = value(g, e);
  if (typeof v === 'string') g.error(e.range, 'getopt() with a string default is not a number');
  g.e.movi(R_ACC, typeof v === 'boolean' ? (v ? 1 : 0) : v);
}

/** getopt() with a string default, into memory of type t. */
export function genGetoptMem(g: Gen, e: A.Call, t: SType): Loc {
  const v = value(g, e);
  const size = t.k === 'string' ? t.size : STRLEN;
  const bytes = new Uint8Array(size);
  bytes.set(new TextEncoder().encode(String(v)).subarray(0, size - 1));
  const l = g.alloc(size);
  writeBytes(g, l, bytes);
  return l;
}

/**
 * Assembler directives that make an assembly file self-contained: `.map`
 * declares a map the program refers to by name, `.section` names the libbpf
 * program section (and so the program type). Every other directive (`.text`,
 * `.globl`, `.p2align`, clang -S noise) is accepted and ignored. Non-goals:
 * data sections, BTF, several programs per file.
 *
 *     .map NAME, TYPE, key=K, value=V[, max_entries=N][, flags=F]
 *     .section xdp                 ; or "kprobe/do_sys_open", cgroup/sendmsg6, ...
 *
 * TYPE is a map type name (`hash`, `array`, `ringbuf`, `percpu_array`, ...,
 * case-insensitive, `BPF_MAP_TYPE_` optional) or its number; `key_size`,
 * `value_size`, `map_flags` are accepted as spellings of the keys. max_entries
 * defaults to 1 (4096 for ring buffers); key and value default to 0 only for
 * maps without keys or values (ring buffers). Declared maps are numbered in
 * order: `map[NAME]` is `map[fd:i]` for the i-th declared map.
 */
import { MAP_TYPES } from '../elf/maps';
import { matchSection } from '../elf/sections';
import { nearestName } from '../util/suggest';
import type { Tok } from './lexer';

/** A map definition as assembly files and command lines give it (`.map`, `--map`). */
export interface MapDecl {
  name: string;
  /** BPF_MAP_TYPE_* number. */
  type: number;
  /** MAP_TYPES name (`HASH`, `RINGBUF`). */
  typeName: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

/** A map declared with `.map`. */
export interface AsmMap extends MapDecl {
  /** 0-based line of the declaration and the columns of its name. */
  line: number;
  s: number;
  e: number;
}

/** The program section named by `.section`. */
export interface AsmSection {
  name: string;
  line: number;
  s: number;
  e: number;
}

export interface DirectiveProblem { message: string; s: number; e: number; severity: 'error' | 'warning' }

export type Directive = { kind: 'map'; map: AsmMap } | { kind: 'section'; section: AsmSection } | { kind: 'other' };

const KEYS: Record<string, 'key' | 'value' | 'max_entries' | 'flags'> = {
  key: 'key', key_size: 'key', value: 'value', value_size: 'value', max_entries: 'max_entries', flags: 'flags', map_flags: 'flags',
};
/** Map types whose key and value sizes are 0 by definition. */
const NO_KEY_VALUE = new Set(['RINGBUF', 'USER_RINGBUF']);
/** Section names clang -S emits for non-program data: not a program section. */
const DATA_SECTION = /^(\.|license$|version$|maps$)/;

/** The MAP_TYPES index of a type written as a name or a number, or -1. */
export function mapTypeNumber(text: string): number {
  const t = text.toUpperCase().replace(/^BPF_MAP_TYPE_/, '');
  if (/^\d+$/.test(t)) { const n = Number(t); return n > 0 && n < MAP_TYPES.length ? n : -1; }
  const i = MAP_TYPES.indexOf(t);
  return i > 0 ? i : -1;
}

function number(t: Tok | undefined): number | undefined {
  if (!t || t.kind !== 'num') return undefined;
  const n = /^0x[0-9a-f]+$/i.test(t.text) ? parseInt(t.text, 16) : /^\d+$/.test(t.text) ? Number(t.text) : NaN;
  return Number.isSafeInteger(n) && n >= 0 && n <= 0xffffffff ? n : undefined;
}

/** Parses `.map`: toks[0] is the directive. Problems are located by column in the line. */
function parseMap(toks: Tok[], line: number, problems: DirectiveProblem[]): AsmMap | undefined {
  const bad = (t: Tok | undefined, message: string): undefined => {
    const at = t ?? toks[toks.length - 1];
    problems.push({ message, s: t ? at.s : at.e, e: t ? at.e : at.e + 1, severity: 'error' });
    return undefined;
  };
  const usage = '.map NAME, TYPE, key=K, value=V[, max_entries=N][, flags=F]';
  // Split into comma-separated fields.
  const fields: Tok[][] = [[]];
  for (const t of toks.slice(1)) {
    if (t.text === ',') fields.push([]);
    else fields[fields.length - 1].push(t);
  }
  const [nameF, typeF, ...rest] = fields;
  if (nameF.length === 0) return bad(toks[1], `expected a map name after '.map' (${usage})`);
  if (nameF[0].kind !== 'ident' || /^[rw]\d+$/.test(nameF[0].text)) return bad(nameF[0], `expected a map name (an identifier), found '${nameF[0].text}'`);
  if (nameF.length > 1) return bad(nameF[1], `expected ',' after the map name, found '${nameF[1].text}'`);
  const name = nameF[0];
  if (!typeF || typeF.length === 0) return bad(typeF?.[0], `expected a map type after '${name.text},' (${usage})`);
  if (typeF.length !== 1) return bad(typeF[1], `expected ',' after the map type, found '${typeF[1].text}'`);
  const type = mapTypeNumber(typeF[0].text);
  if (type < 0) {
    const names = MAP_TYPES.slice(1).map((x) => x.toLowerCase());
    const near = nearestName(typeF[0].text.toLowerCase().replace(/^bpf_map_type_/, ''), names);
    return bad(typeF[0], `unknown map type '${typeF[0].text}'${near ? `: did you mean '${near}'?` : `; one of ${names.join(', ')}`}`);
  }
  const typeName = MAP_TYPES[type];
  const got: Partial<Record<'key' | 'value' | 'max_entries' | 'flags', number>> = {};
  for (const f of rest) {
    if (f.length === 0) return bad(undefined, `expected KEY=VALUE after ',' (${usage})`);
    const k = KEYS[f[0].text];
    if (f[0].kind !== 'ident' || k === undefined) {
      const near = nearestName(f[0].text, Object.keys(KEYS));
      return bad(f[0], `unknown map attribute '${f[0].text}'${near ? ` (did you mean '${near}'?)` : ''}: expected key, value, max_entries or flags`);
    }
    if (f[1]?.text !== '=') return bad(f[1] ?? f[0], `expected '=' after '${f[0].text}'`);
    const v = number(f[2]);
    if (v === undefined) return bad(f[2] ?? f[1], `expected an unsigned 32-bit number after '${f[0].text}='`);
    if (f.length > 3) return bad(f[3], `expected ',' or the end of the line, found '${f[3].text}'`);
    if (got[k] !== undefined) return bad(f[0], `'${k}' is given twice`);
    got[k] = v;
  }
  const optional = NO_KEY_VALUE.has(typeName);
  for (const k of ['key', 'value'] as const) {
    if (got[k] === undefined && !optional) return bad(name, `map '${name.text}' needs ${k}=SIZE (${usage})`);
  }
  return {
    name: name.text, type, typeName, keySize: got.key ?? 0, valueSize: got.value ?? 0,
    maxEntries: got.max_entries ?? (optional ? 4096 : 1), flags: got.flags ?? 0, line, s: name.s, e: name.e,
  };
}

/** `.section NAME[, ...]`, NAME possibly quoted (clang -S writes `.section "kprobe/f","ax",@progbits`). */
function parseSection(text: string, toks: Tok[], line: number, problems: DirectiveProblem[]): AsmSection | undefined {
  const d = toks[0];
  const restAt = d.e;
  const raw = text.slice(restAt);
  const m = /^\s*("([^"]*)"|([^\s,]+))/.exec(raw);
  if (!m) { problems.push({ message: "expected a section name after '.section' (xdp, socket, kprobe/FUNC, ...)", s: d.s, e: d.e, severity: 'error' }); return undefined; }
  const name = m[2] ?? m[3];
  const s = restAt + m[0].length - m[1].length;
  const e = restAt + m[0].length;
  if (DATA_SECTION.test(name)) return undefined;
  if (!matchSection(name)) {
    problems.push({ message: `'${name}' is not a libbpf program section name (xdp, socket, kprobe/FUNC, tracepoint/CAT/NAME, cgroup_skb/ingress, ...)`, s, e, severity: 'warning' });
  }
  return { name, line, s, e };
}

/**
 * One directive line: `toks` start at the directive, `text` is the whole line (for quoted names).
 * Never throws; problems carry columns.
 */
export function parseDirective(text: string, toks: Tok[], line: number, problems: DirectiveProblem[]): Directive {
  const d = toks[0].text;
  if (d === '.map') {
    const map = parseMap(toks, line, problems);
    return map ? { kind: 'map', map } : { kind: 'other' };
  }
  if (d === '.section') {
    const section = parseSection(text, toks, line, problems);
    return section ? { kind: 'section', section } : { kind: 'other' };
  }
  return { kind: 'other' };
}

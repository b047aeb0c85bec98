/**
 * The assembler driver: splits the text into lines, strips comments and pasted
 * dump prefixes, collects labels, hands each instruction to the syntax's
 * parser, then resolves labels and checks fields with the codec. Never throws:
 * every problem is a diagnostic on the offending token, one per bad line.
 */
import { Insn, decode, encode, helperId, layout, validate, width } from '../isa';
import { Cursor } from './cursor';
import { bpftoolFunction, commentStart, dumpSymbol, isDumpNoise, linePrefix, tokenize, Tok } from './lexer';
import type { Pending } from './pending';
import { parseConformance } from './parse-conformance';
import { parseLlvm } from './parse-llvm';
import { sel } from './select';
import { formatInsn } from './format';
import { detectSyntax } from './detect';
import { type AsmMap, type AsmSection, type DirectiveProblem, parseDirective } from './directives';
import { nearestName } from '../util/suggest';
import type { AsmDiagnostic, AsmOptions, AsmResult, SourceRange, Syntax } from './types';

interface Item {
  p: Pending;
  line: number;
  pc: number;
  /** Columns of the instruction text in its line. */
  s: number;
  e: number;
  bytes?: Uint8Array;
}

class Lines {
  readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  get count(): number { return this.starts.length; }
  line(k: number): string {
    const end = k + 1 < this.starts.length ? this.starts[k + 1] - 1 : this.text.length;
    let s = this.text.slice(this.starts[k], end);
    if (s.endsWith('\r')) s = s.slice(0, -1);
    return s;
  }
  range(line: number, s: number, e: number): SourceRange {
    const base = this.starts[line];
    return { start: base + s, end: base + e, line, col: s, endLine: line, endCol: e };
  }
}


/** Assembles BPF assembly text in the LLVM/kernel or the conformance syntax. */
export function assemble(text: string, opts: AsmOptions = {}): AsmResult {
  const L = new Lines(text);
  const syntax: Syntax = !opts.syntax || opts.syntax === 'auto' ? detectSyntax(L.count, (k) => L.line(k)) : opts.syntax;
  const diagnostics: AsmDiagnostic[] = [];
  const labels = new Map<string, number>();
  const labelToks = new Map<string, { line: number; tok: Tok }>();
  const items: Item[] = [];
  const maps: AsmMap[] = [];
  let section: AsmSection | undefined;
  let pc = 0;
  const err = (line: number, s: number, e: number, message: string, severity: 'error' | 'warning' = 'error') => {
    diagnostics.push({ range: L.range(line, s, e), severity, message });
  };
  const defineLabel = (name: string, line: number, tok: Tok) => {
    const prev = labelToks.get(name);
    if (prev) {
      err(line, tok.s, tok.e, `duplicate label '${name}' (first defined on line ${prev.line + 1})`);
      return;
    }
    labels.set(name, pc);
    labelToks.set(name, { line, tok });
  };
  const conf = syntax === 'conformance';

  for (let k = 0; k < L.count; k++) {
    const line = L.line(k);
    if (line.length === 0) continue;
    if (isDumpNoise(line)) continue;
    const sym = dumpSymbol(line) ?? bpftoolFunction(line);
    if (sym) { defineLabel(sym.name, k, { kind: 'ident', text: sym.name, s: sym.s, e: sym.e }); continue; }
    const pre = linePrefix(line);
    const end = commentStart(line, conf);
    if (pre.at >= end) continue;
    const toks = tokenize(line, pre.at, end);
    let i = 0;
    while (i + 1 < toks.length && toks[i].kind === 'ident' && toks[i + 1].text === ':' && !/^%?[rw]\d+$/.test(toks[i].text)) {
      defineLabel(toks[i].text, k, toks[i]);
      i += 2;
    }
    if (i >= toks.length) continue;
    const rest = i === 0 ? toks : toks.slice(i);
    if (rest[0].kind === 'ident' && rest[0].text.startsWith('.')) {
      // `.map` and `.section` (directives.ts); `.text`, `.globl f`, `.p2align 3` and other clang -S directives are ignored.
      const problems: DirectiveProblem[] = [];
      const d = parseDirective(line.slice(0, end), rest, k, problems);
      for (const p of problems) err(k, p.s, Math.max(p.e, p.s + 1), p.message, p.severity);
      if (d.kind === 'map') {
        const prev = maps.find((m) => m.name === d.map.name);
        if (prev) err(k, d.map.s, d.map.e, `map '${d.map.name}' is already declared on line ${prev.line + 1}`);
        else maps.push(d.map);
      } else if (d.kind === 'section') {
        if (section && section.name !== d.section.name) err(k, d.section.s, d.section.e, `one program per file: section '${section.name}' was named on line ${section.line + 1}`);
        else section ??= d.section;
      }
      continue;
    }
    if (pre.bytes && rest.length === 3 && rest[1].text === 'unknown' && rest[0].text === '<') {
      const p = fromBytes(pre.bytes);
      if (p) {
        err(k, rest[0].s, rest[2].e, `llvm-objdump could not print this instruction; assembled from its raw bytes as '${formatInsn({ ...p, pc } as Insn, { syntax })}'`, 'warning');
        items.push({ p, line: k, pc, s: rest[0].s, e: rest[2].e });
        pc += p.spec.kind === 'lddw' ? 2 : 1;
        continue;
      }
    }
    const c = new Cursor(rest, end);
    const p = conf ? parseConformance(c) : parseLlvm(c, pre.opcode !== undefined ? { opcode: pre.opcode } : {});
    if (!p || c.err) {
      const e = c.err ?? { message: 'expected an instruction', s: rest[0].s, e: rest[rest.length - 1].e };
      err(k, e.s, Math.max(e.e, e.s + 1), e.message);
      continue;
    }
    if (p.warning) err(k, p.warning.s, p.warning.e, p.warning.message, 'warning');
    if (pre.opcode !== undefined && pre.opcode !== p.spec.code) {
      err(k, rest[0].s, rest[rest.length - 1].e, `bpftool shows opcode 0x${hex2(pre.opcode)} but the text assembles to 0x${hex2(p.spec.code)}`, 'warning');
    }
    const item: Item = { p, line: k, pc, s: rest[0].s, e: rest[rest.length - 1].e };
    if (pre.bytes) item.bytes = pre.bytes;
    items.push(item);
    pc += p.spec.kind === 'lddw' ? 2 : 1;
  }

  // The conformance suite's assembler names the first `exit` "exit" unless a label says otherwise.
  if (conf && !labels.has('exit')) {
    const first = items.find((it) => it.p.spec.kind === 'exit');
    if (first) labels.set('exit', first.pc);
  }

  const insns: Insn[] = [];
  const lines: number[] = [];
  for (const it of items) {
    const insn = resolve(it, labels, maps, (s, e, m) => err(it.line, s, e, m));
    if (!insn) continue;
    const msg = validate(insn);
    if (msg) { err(it.line, it.s, it.e, msg); continue; }
    const final = it.bytes ? checkBytes(insn, it, (m) => err(it.line, it.s, it.e, m, 'warning')) : insn;
    insns.push(final);
    lines.push(it.line);
  }
  if (insns.length !== items.length) layout(insns);
  return { insns, diagnostics, lines, labels, syntax, maps, ...(section ? { section } : {}) };
}

function resolve(it: Item, labels: ReadonlyMap<string, number>, maps: readonly AsmMap[], fail: (s: number, e: number, m: string) => void): Insn | undefined {
  const p = it.p;
  const insn = { spec: p.spec, pc: it.pc, dst: p.dst, src: p.src, off: p.off, imm: p.imm, imm2: p.imm2 };
  if (p.mapRef) {
    const name = p.mapRef.text;
    const idx = maps.findIndex((m) => m.name === name);
    if (idx < 0) {
      const near = nearestName(name, maps.map((m) => m.name));
      fail(p.mapRef.s, p.mapRef.e, `unknown map '${name}'${near ? ` (did you mean '${near}'?)` : ''}: declare it with '.map ${name}, TYPE, key=K, value=V, max_entries=N'`);
      return undefined;
    }
    insn.imm = idx;
  }
  if (p.callName) {
    const name = p.callName.text;
    const at = labels.get(name);
    if (at !== undefined) {
      const local = sel.call('local');
      if (!local) return undefined;
      insn.spec = local;
      insn.src = local.srcIs ?? 1;
      insn.imm = at - it.pc - 1;
    } else {
      const id = helperId(name);
      if (id === undefined) { fail(p.callName.s, p.callName.e, `unknown helper or label '${name}' after 'call'`); return undefined; }
      insn.imm = id;
    }
  }
  if (p.target) {
    const t = p.target;
    let rel: number;
    if ('label' in t) {
      const at = labels.get(t.label);
      if (at === undefined) { fail(t.tok.s, t.tok.e, `undefined label '${t.label}'`); return undefined; }
      rel = at - it.pc - 1;
    } else rel = t.rel;
    const inOff = p.spec.kind === 'jcond' || (p.spec.kind === 'ja' && p.spec.is64);
    if (inOff) {
      if (rel < -32768 || rel > 32767) {
        fail(t.tok.s, t.tok.e, `jump offset ${rel} does not fit in 16 bits (-32768..32767)${p.spec.kind === 'ja' ? '; use gotol / ja32 for long jumps' : ''}`);
        return undefined;
      }
      insn.off = rel;
    } else {
      if (rel < -(2 ** 31) || rel > 2 ** 31 - 1) { fail(t.tok.s, t.tok.e, `offset ${rel} does not fit in 32 bits`); return undefined; }
      insn.imm = rel;
    }
  }
  const out: Insn = { spec: insn.spec, pc: insn.pc, dst: insn.dst, src: insn.src, off: insn.off, imm: insn.imm };
  if (insn.spec.kind === 'lddw') out.imm2 = insn.imm2 ?? 0;
  return out;
}

/**
 * Pasted llvm-objdump lines carry the raw bytes. llvm-objdump 14 prints local
 * and kfunc calls as `call N` like helper calls, so when the bytes say the call
 * is local or kfunc with the same imm, the bytes decide; any other disagreement
 * between text and bytes is a warning.
 */
function checkBytes(insn: Insn, it: Item, warn: (m: string) => void): Insn {
  const bytes = it.bytes;
  if (!bytes || bytes.length !== width(insn) * 8) return insn;
  const d = decode(bytes);
  const got = d.insns[0];
  if (!got || d.diagnostics.length) return insn;
  if (insn.spec.kind === 'call' && got.spec.kind === 'call' && got.imm === insn.imm && !it.p.target) {
    return { ...insn, spec: got.spec, src: got.src, off: got.off };
  }
  const mine = encode([insn]);
  if (mine.some((b, i) => b !== bytes[i])) {
    warn(`the instruction text and the raw bytes on this line disagree (text encodes as ${hex(mine)})`);
  }
  return insn;
}

/** The instruction in a pasted dump's raw bytes, when they decode cleanly. */
function fromBytes(bytes: Uint8Array): Pending | undefined {
  const d = decode(bytes);
  const i = d.insns[0];
  if (!i || d.diagnostics.length || d.insns.length !== 1) return undefined;
  return { spec: i.spec, dst: i.dst, src: i.src, off: i.off, imm: i.imm, ...(i.imm2 !== undefined ? { imm2: i.imm2 } : {}) };
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Text views of a BPF object for the CLI: `describeObject` (sections, programs
 * with type and size, maps, relocations, externs, CO-RE records) and
 * `disasmObject` (per-program disassembly with the C source lines from
 * line_info and relocation notes). Plain strings; no colour, no I/O.
 */
import { formatInsn } from '../asm/format';
import type { Syntax } from '../asm/types';
import { KIND } from '../btf/format';
import type { Btf } from '../btf/types';
import type { BpfObject, BpfProgram, BpfRelocation, ProgCoreRelo } from './object';
import { R_BPF_NAMES, SHF, SHT } from './types';

const SHT_NAMES: Readonly<Record<number, string>> = {
  0: 'NULL', 1: 'PROGBITS', 2: 'SYMTAB', 3: 'STRTAB', 4: 'RELA', 8: 'NOBITS', 9: 'REL', 0x6fff4c03: 'LLVM_ADDRSIG',
};

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function flagText(f: bigint): string {
  let s = '';
  if (f & BigInt(SHF.WRITE)) s += 'W';
  if (f & BigInt(SHF.ALLOC)) s += 'A';
  if (f & BigInt(SHF.EXECINSTR)) s += 'X';
  if (f & BigInt(SHF.MERGE)) s += 'M';
  if (f & BigInt(SHF.STRINGS)) s += 'S';
  if (f & BigInt(SHF.EXCLUDE)) s += 'E';
  return s;
}

/** `struct task_struct`, `enum pid_type`, `u32`... for a BTF id. */
export function btfTypeName(btf: Btf, id: number, depth = 0): string {
  if (depth > 16) return '...';
  const k = btf.kind(id);
  const n = btf.name(id) || '(anon)';
  switch (k) {
    case KIND.STRUCT: return `struct ${n}`;
    case KIND.UNION: return `union ${n}`;
    case KIND.ENUM: case KIND.ENUM64: return `enum ${n}`;
    case KIND.FWD: return `${btf.kflag(id) ? 'union' : 'struct'} ${n}`;
    case KIND.PTR: return `${btfTypeName(btf, btf.sizeOrType(id), depth + 1)} *`;
    case KIND.UNKN: return 'void';
    default: return n;
  }
}

/**
 * A CO-RE record in C terms: `struct task_struct.real_parent` for field
 * relocations (the access string walked through members and array indices),
 * `enum pid_type::PIDTYPE_TGID` for enum values, the type for type relocations.
 */
export function coreAccessText(btf: Btf | undefined, r: Pick<ProgCoreRelo, 'typeId' | 'access' | 'kind'>): string {
  if (btf === undefined) return `[${r.typeId}] ${r.access}`;
  const root = btf.resolve(r.typeId);
  const base = btfTypeName(btf, root);
  const idx = r.access.split(':').map(Number);
  if ((r.kind >= 6 && r.kind <= 9) || r.kind === 12) return base;
  if (r.kind === 10 || r.kind === 11) {
    const e = btf.typeAs(root, KIND.ENUM) ?? btf.typeAs(root, KIND.ENUM64);
    return `${base}::${e?.values[idx[0]]?.name ?? `#${idx[0]}`}`;
  }
  let text = idx[0] ? `${base}[${idx[0]}]` : base;
  let t = root;
  for (const i of idx.slice(1)) {
    const k = btf.kind(t);
    if (k === KIND.STRUCT || k === KIND.UNION) {
      const m = btf.members(t)[i];
      if (m === undefined) return `${text}.#${i}`;
      text += m.name ? `.${m.name}` : '.(anon)';
      t = btf.resolve(m.type);
    } else if (k === KIND.ARRAY) {
      text += `[${i}]`;
      t = btf.resolve(btf.typeAs(t, KIND.ARRAY)!.type);
    } else {
      return `${text}.#${i}`;
    }
  }
  return text;
}

/** One relocation as text: `map starts`, `call bump`, `data .rodata+0`... */
export function relocText(r: BpfRelocation): string {
  switch (r.kind) {
    case 'map': return `map ${r.map}`;
    case 'data': return `data ${r.map}+${r.dataOffset}${r.symbol !== r.map ? ` (${r.symbol})` : ''}`;
    case 'subprog_call': return `call ${r.target}`;
    case 'func_ptr': return `func ${r.target}`;
    case 'kfunc': return `kfunc ${r.symbol}`;
    case 'ksym': return `ksym ${r.symbol}`;
    case 'kconfig': return `kconfig ${r.symbol}`;
    default: return `unknown ${r.symbol}: ${r.message ?? ''}`;
  }
}

function progKind(p: BpfProgram): string {
  if (p.subprog) return 'subprogram';
  if (!p.progTypeName) return 'unknown type';
  return p.progTypeName + (p.attachTypeName ? `/${p.attachTypeName}` : '');
}

/** A multi-line summary of the object. */
export function describeObject(obj: BpfObject): string {
  const out: string[] = [];
  const e = obj.elf;
  out.push(`ELF64 ${e.header.type === 1 ? 'relocatable' : `type ${e.header.type}`}, machine ${e.header.machine === 247 ? 'BPF' : e.header.machine}, ${obj.littleEndian ? 'little' : 'big'}-endian, ${e.sections.length} sections`);
  out.push(`license: ${obj.license === undefined ? '(none)' : JSON.stringify(obj.license)}` +
    (obj.kernelVersion !== undefined ? `  version: 0x${obj.kernelVersion.toString(16)}` : ''));
  if (obj.btf) out.push(`BTF: ${obj.btf.count - 1} types`);

  out.push('', 'Sections:');
  for (const s of e.sections.slice(1)) {
    out.push(`  [${String(s.index).padStart(2)}] ${pad(s.name, 28)} ${pad(SHT_NAMES[s.type] ?? `0x${s.type.toString(16)}`, 12)} ${String(s.size).padStart(7)}  ${flagText(s.flags)}`);
  }

  out.push('', `Programs (${obj.programs.filter((p) => !p.subprog).length}, ${obj.programs.filter((p) => p.subprog).length} subprograms):`);
  for (const p of obj.programs) {
    const target = p.attachTarget ? `  target ${p.attachTarget}` : '';
    out.push(`  ${pad(p.name, 20)} ${pad(p.section, 30)} ${pad(progKind(p), 28)} ${String(p.insns.length).padStart(5)} insns ${String(p.size).padStart(6)} bytes${target}${p.sleepable ? '  sleepable' : ''}`);
  }

  out.push('', `Maps (${obj.maps.length}):`);
  for (const m of obj.maps) {
    const extra = m.inner ? `  inner ${m.inner.typeName}` : '';
    const init = m.init ? `  init ${m.init.map((x) => `[${x.slot}]=${x.target}`).join(' ')}` : '';
    out.push(`  ${pad(m.name, 20)} ${pad(m.typeName, 18)} key ${String(m.keySize).padStart(3)}  value ${String(m.valueSize).padStart(6)}  max_entries ${String(m.maxEntries).padStart(7)}  flags 0x${m.flags.toString(16)}  (${m.origin}, ${m.section})${extra}${init}`);
    if (m.variables && m.variables.length > 0) out.push(`      ${m.variables.map((v) => `${v.name}@${v.offset}:${v.size}`).join(' ')}`);
  }

  out.push('', `Relocations (${obj.relocations.length}):`);
  for (const r of obj.relocations) {
    out.push(`  ${pad(`${r.program ?? r.section}+${r.pc ?? r.offset}`, 28)} ${pad(R_BPF_NAMES[r.type] ?? String(r.type), 16)} ${relocText(r)}`);
  }

  if (obj.externs.length > 0) {
    out.push('', 'Externs:');
    for (const x of obj.externs) out.push(`  ${pad(x.name, 28)} ${x.kind}${x.weak ? ' (weak)' : ''}`);
  }

  const core = obj.programs.flatMap((p) => p.coreRelos.map((c) => ({ p, c })));
  if (core.length > 0) {
    out.push('', `CO-RE relocations (${core.length}):`);
    for (const { p, c } of core) {
      out.push(`  ${pad(`${p.name}+${c.pc}`, 28)} ${pad(c.kindName, 18)} ${coreAccessText(obj.btf, c)}  (access ${c.access})`);
    }
  }
  return out.join('\n') + '\n';
}

export interface DisasmObjectOptions {
  syntax?: Syntax;
  /** Interleave C source lines from line_info (default true). */
  source?: boolean;
  /** Only this program (by name or section name). */
  program?: string;
}

/** Disassembly of every program (or one), with source lines and relocation notes. */
export function disasmObject(obj: BpfObject, opts: DisasmObjectOptions = {}): string {
  const out: string[] = [];
  const withSource = opts.source ?? true;
  const progs = obj.programs.filter((p) => opts.program === undefined || p.name === opts.program || p.section === opts.program);
  let lastSection = '';
  for (const p of progs) {
    if (p.section !== lastSection) {
      out.push(`Disassembly of section ${p.section}:`, '');
      lastSection = p.section;
    }
    out.push(`${p.name}:  ; ${progKind(p)}, ${p.insns.length} insns`);
    const lines = new Map<number, string>();
    for (const l of p.lines) if (l.lineNum > 0) lines.set(l.pc, `; ${l.line.trim()}  [${baseName(l.fileName)}:${l.lineNum}]`);
    const relocs = new Map<number, BpfRelocation>();
    for (const r of p.relocations) if (r.pc !== undefined) relocs.set(r.pc, r);
    const core = new Map<number, ProgCoreRelo>();
    for (const c of p.coreRelos) core.set(c.pc, c);
    let lastLine = '';
    for (const insn of p.insns) {
      const src = lines.get(insn.pc);
      if (withSource && src !== undefined && src !== lastLine) {
        out.push(src);
        lastLine = src;
      }
      out.push(`${String(insn.pc).padStart(8)}:\t${formatInsn(insn, { syntax: opts.syntax ?? 'llvm' })}`);
      const r = relocs.get(insn.pc);
      if (r !== undefined) out.push(`\t\t${R_BPF_NAMES[r.type] ?? r.type}\t${relocText(r)}`);
      const c = core.get(insn.pc);
      if (c !== undefined) out.push(`\t\tCO-RE\t${c.kindName} ${coreAccessText(obj.btf, c)}`);
    }
    out.push('');
  }
  return out.join('\n');
}

function baseName(p: string): string {
  const k = p.lastIndexOf('/');
  return k < 0 ? p : p.slice(k + 1);
}

/** Sections that hold code (for callers listing them). */
export function codeSections(obj: BpfObject): string[] {
  return obj.elf.sections.filter((s) => s.type === SHT.PROGBITS && (s.flags & BigInt(SHF.EXECINSTR)) !== 0n && s.size > 0).map((s) => s.name);
}

/** Diagnostics as `FILE: offset 0x1c8: message` lines. */
export function formatElfDiagnostics(diagnostics: readonly { offset: number; message: string }[], fileName: string): string {
  return diagnostics.map((d) => `${fileName}: ${d.offset >= 0 ? `offset 0x${d.offset.toString(16)}` : 'object'}: ${d.message}\n`).join('');
}

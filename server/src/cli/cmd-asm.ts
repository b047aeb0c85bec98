/** `bpfstudio asm` and `bpfstudio disasm`: text to bytes and back, in either syntax. */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { disassemble, formatInsn, Syntax } from '../asm';
import { emitObject, EmitLine, EmitReloc, formatElfDiagnostics } from '../elf';
import { encode, Insn, PSEUDO } from '../isa';
import { disasmElf } from './cmd-obj';
import { parseMapArgs } from './map-arg';
import { EXIT, Io, parse, str, UsageError } from './args';
import { readInput } from './input';
import { loadProgram } from './load';

export const ASM_HELP = `usage: bpfstudio asm FILE [--syntax auto|llvm|conformance] [--hex] [-o OUT]
                     [--section SEC] [--map TYPE:KEY_SIZE:VALUE_SIZE[:MAX_ENTRIES[:FLAGS]]]...
                     [--license L]

Assembles BPF assembly (kernel/LLVM syntax or the conformance suite's mnemonic
syntax, detected per file unless --syntax says). Prints a listing (slot, bytes,
instruction); --hex prints only the bytes, one instruction per line, in a form
'bpfstudio disasm' and 'bpfstudio run' read back; -o OUT writes the raw
instruction bytes, or, when OUT ends in .o, an ELF object libbpf loads: one
program in section SEC (default: the file's \`.section\`, else 'socket', a socket
filter; any libbpf section name such as 'xdp' or
'tracepoint/syscalls/sys_enter_openat'), BTF with line info from the source,
and the maps declared in the file (\`.map NAME, TYPE, key=K, value=V,
max_entries=N\`, referred to as map[NAME]) followed by the --map maps (an lddw
with pseudo source map-fd or map-idx and imm = i refers to the i-th). Exit 1 when the file has errors
(printed as FILE:LINE:COL).`;

export const DISASM_HELP = `usage: bpfstudio disasm FILE [--syntax llvm|conformance] [--text] [--section S]

Disassembles raw instruction bytes, hex text (two-digit bytes, or 16-digit
64-bit little-endian words as in the conformance suite) or an ELF object
(every program, or the one named by --section, with C source lines interleaved
from line_info, relocations and CO-RE records). For bytes it prints
llvm-objdump's layout (slot, bytes, instruction); --text prints instructions
with labels only, ready to assemble again. Invalid encodings are reported with
their slot.`;

function syntaxOf(v: unknown, allowAuto: boolean): Syntax | 'auto' {
  const s = str(v) ?? (allowAuto ? 'auto' : 'llvm');
  if (s === 'llvm' || s === 'conformance' || (allowAuto && s === 'auto')) return s as Syntax | 'auto';
  throw new UsageError(`--syntax must be ${allowAuto ? 'auto, ' : ''}llvm or conformance, got '${s}'`);
}

export function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** llvm-objdump-like lines: `   3:\tb7 01 00 00 05 00 00 00\tr1 = 0x5`. */
export function listing(insns: readonly Insn[], syntax: Syntax): string[] {
  const out: string[] = [];
  for (const i of insns) {
    const b = encode([i]);
    const text = formatInsn(i, { syntax });
    out.push(`${String(i.pc).padStart(6)}:\t${hexBytes(b.subarray(0, 8))}\t${text}`);
    if (b.length > 8) out.push(`${String(i.pc + 1).padStart(6)}:\t${hexBytes(b.subarray(8))}`);
  }
  return out;
}

export function cmdAsm(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, {
    syntax: { type: 'string' }, hex: { type: 'boolean' }, out: { type: 'string', short: 'o' },
    section: { type: 'string' }, map: { type: 'string', multiple: true }, license: { type: 'string' },
  });
  if (values.help) { io.out(ASM_HELP); return EXIT.OK; }
  const maps = parseMapArgs(values.map);
  if (positionals.length !== 1) throw new UsageError('asm takes one FILE (see bpfstudio asm --help)');
  const input = readInput(positionals[0]);
  if (input.kind !== 'asm') throw new UsageError(`${input.path}: not assembly text (looks like ${input.kind}); use 'bpfstudio disasm'`);
  const p = loadProgram(input, io, syntaxOf(values.syntax, true));
  if (p.errors > 0) {
    io.err(`${input.path}: ${p.errors} error${p.errors === 1 ? '' : 's'}`);
    return EXIT.FAILED;
  }
  const out = str(values.out);
  if (out?.endsWith('.o')) {
    // Maps declared in the file (`.map`) come first, then the --map ones; `.section` is the default section.
    const declared = p.asm?.maps ?? [];
    const section = str(values.section) ?? p.asm?.section?.name ?? 'socket';
    return writeObject(out, input.path, input.text ?? '', p.insns, p.lines ?? [], [...declared, ...maps], section, str(values.license) ?? 'GPL', io);
  }
  const bytes = encode(p.insns);
  if (out) {
    try { writeFileSync(out, bytes); } catch (e) { throw new UsageError(`${out}: cannot write: ${(e as Error).message}`); }
    io.err(`${out}: ${p.insns.length} instructions, ${bytes.length} bytes`);
    return EXIT.OK;
  }
  if (values.hex) {
    for (let at = 0; at < bytes.length; at += 8) io.out(hexBytes(bytes.subarray(at, at + 8)));
  } else {
    for (const l of listing(p.insns, p.syntax ?? 'llvm')) io.out(l);
  }
  return EXIT.OK;
}

/** Writes an ELF object with one program, its maps and line info from the source. */
function writeObject(out: string, srcPath: string, text: string, insns: Insn[], lines: number[], maps: ReturnType<typeof parseMapArgs>,
  section: string, license: string, io: Io): number {
  const srcLines = text.split(/\r?\n/);
  const relocs: EmitReloc[] = [];
  const prog: Insn[] = insns.map((i) => ({ ...i }));
  for (const i of prog) {
    if (i.spec.kind !== 'lddw' || (i.src !== PSEUDO.MAP_FD && i.src !== PSEUDO.MAP_IDX && i.src !== PSEUDO.MAP_VALUE && i.src !== PSEUDO.MAP_IDX_VALUE)) continue;
    const m = maps[i.imm];
    if (!m) {
      io.err(`${srcPath}: instruction ${i.pc} refers to map ${i.imm}, but only ${maps.length} --map given`);
      return EXIT.FAILED;
    }
    if (i.src === PSEUDO.MAP_VALUE || i.src === PSEUDO.MAP_IDX_VALUE) {
      io.err(`${srcPath}: instruction ${i.pc}: direct map value addresses are not supported in objects yet; use bpf_map_lookup_elem`);
      return EXIT.FAILED;
    }
    relocs.push({ pc: i.pc, kind: 'map', target: m.name });
    i.src = 0;
    i.imm = 0;
    i.imm2 = 0;
  }
  const emitLines: EmitLine[] = [];
  insns.forEach((i, k) => {
    const ln = lines[k];
    if (ln !== undefined) emitLines.push({ pc: i.pc, lineNum: ln + 1, text: srcLines[ln] ?? '' });
  });
  const name = basename(srcPath).replace(/\..*$/, '').replace(/[^A-Za-z0-9_]/g, '_') || 'prog';
  const r = emitObject({
    programs: [{ name, section, insns: prog, relocs, lines: emitLines }],
    maps: maps.map((m) => ({ name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags })),
    license,
    fileName: basename(srcPath),
  });
  if (r.diagnostics.length) {
    io.err(formatElfDiagnostics(r.diagnostics, out));
    return EXIT.FAILED;
  }
  try { writeFileSync(out, r.bytes); } catch (e) { throw new UsageError(`${out}: cannot write: ${(e as Error).message}`); }
  io.err(`${out}: program '${name}' in section '${section}', ${insns.length} instructions, ${maps.length} maps, ${r.bytes.length} bytes`);
  return EXIT.OK;
}

export function cmdDisasm(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, { syntax: { type: 'string' }, text: { type: 'boolean' }, section: { type: 'string' } });
  if (values.help) { io.out(DISASM_HELP); return EXIT.OK; }
  if (positionals.length !== 1) throw new UsageError('disasm takes one FILE (see bpfstudio disasm --help)');
  const syntax = syntaxOf(values.syntax, false) as Syntax;
  const input = readInput(positionals[0]);
  if (input.kind === 'asm') throw new UsageError(`${input.path}: this is assembly text, not instruction bytes; use 'bpfstudio asm'`);
  if (input.kind === 'elf') return disasmElf(input.path, syntax, io, str(values.section));
  const p = loadProgram(input, io);
  if (values.text) io.out(disassemble(p.insns, { syntax, labels: true }));
  else for (const l of listing(p.insns, syntax)) io.out(l);
  return p.errors > 0 ? EXIT.FAILED : EXIT.OK;
}

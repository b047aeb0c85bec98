/**
 * Commands over BPF ELF objects: `bpfstudio obj` (sections, programs, maps,
 * relocations), `bpfstudio core` (CO-RE relocations resolved against a target
 * kernel's BTF), and the object path of `bpfstudio disasm`.
 */
import { basename } from 'node:path';
import { describeCore, describeObject, disasmObject, formatElfDiagnostics, parseObject, resolveCore, BpfObject } from '../elf';
import { Syntax } from '../asm';
import { EXIT, Io, parse, str, UsageError } from './args';
import { readInput } from './input';
import { loadTargetBtf } from './target-btf';

export const OBJ_HELP = `usage: bpfstudio obj FILE.o

Describes a BPF object the way libbpf sees it: sections, programs (section,
program type, expected attach type, size and instruction count), subprograms,
maps (BTF-defined, legacy and global data), relocations, BTF and BTF.ext
(func_info, line_info, CO-RE records). Problems in the file are printed with
their byte offset; exit 2 when the file cannot be read as ELF at all.`;

export const CORE_HELP = `usage: bpfstudio core FILE.o [--btf TARGET]

Resolves every CO-RE relocation of a BPF object against a target kernel's BTF
with libbpf's candidate rules (___flavor suffixes, compatible types) and prints
each with its resolution. TARGET defaults to the running kernel's BTF
(/sys/kernel/btf/vmlinux), then the shipped kernel's. A relocation that fails
is explained in C terms with the source line; exit 1 if any fails.`;

/** Reads and parses an object; prints its diagnostics; undefined when it is not ELF at all. */
export function loadObject(path: string, io: Io): BpfObject | undefined {
  const input = readInput(path);
  if (input.kind !== 'elf') throw new UsageError(`${path}: not an ELF object (looks like ${input.kind})`);
  const r = parseObject(input.bytes ?? new Uint8Array());
  if (r.diagnostics.length) io.err(formatElfDiagnostics(r.diagnostics, path));
  if (!r.object) throw new UsageError(`${path}: cannot be read as an ELF object`);
  return r.object;
}

export function cmdObj(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, {});
  if (values.help) { io.out(OBJ_HELP); return EXIT.OK; }
  if (positionals.length !== 1) throw new UsageError('obj takes one FILE.o (see bpfstudio obj --help)');
  const obj = loadObject(positionals[0], io);
  if (!obj) return EXIT.USAGE;
  io.out(describeObject(obj));
  return EXIT.OK;
}

export function disasmElf(path: string, syntax: Syntax, io: Io, section?: string): number {
  const obj = loadObject(path, io);
  if (!obj) return EXIT.USAGE;
  io.out(disasmObject(obj, { syntax, ...(section ? { program: section } : {}) }));
  return EXIT.OK;
}

export function cmdCore(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, { btf: { type: 'string' } });
  if (values.help) { io.out(CORE_HELP); return EXIT.OK; }
  if (positionals.length !== 1) throw new UsageError('core takes one FILE.o (see bpfstudio core --help)');
  const obj = loadObject(positionals[0], io);
  if (!obj) return EXIT.USAGE;
  const target = loadTargetBtf(str(values.btf), io);
  const results = resolveCore(obj, target.btf, { targetName: target.name });
  io.out(`target BTF: ${target.source}`);
  if (results.length === 0) {
    io.out(`${basename(positionals[0])}: no CO-RE relocations`);
    return EXIT.OK;
  }
  io.out(describeCore(results));
  return results.some((r) => r.status === 'failed') ? EXIT.FAILED : EXIT.OK;
}

/**
 * `bpfstudio compile`: compiles a bpftrace script to BPF (one program per
 * attach point, bpftrace 0.17's maps and output records), checks every
 * program with the embedded verifier, prints the instructions with --asm and
 * writes a loadable ELF object with -o. Non-goal: attaching or running
 * (`bpfstudio run SCRIPT.bt --trace` replays on the VM).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { LineIndex, parseVersion } from '../bpftrace';
import { compileText, parseStapsdtNotes, toEmitSpec, verifyProbe, type UsdtNote } from '../bpftrace/codegen';
import { emitObject } from '../elf/emit';
import { PSEUDO } from '../isa/opcodes';
import { printInsn } from '../verifier';
import { kernelInfo } from '../host/kernel-info';
import { uprobeOnlyKernel } from '../host/kernel-info-dwarf';
import { EXIT, Io, parse, readTextFile, str, UsageError } from './args';

export const COMPILE_HELP = `usage: bpfstudio compile SCRIPT.bt [ARG...] [-o OUT.o] [--asm] [--ringbuf] [--target-version VERSION] [--no-verify] [-- [--NAME[=VALUE]...] [ARG...]]

Compiles a bpftrace script to BPF programs the way bpftrace VERSION (default
0.17) lays them out: one program per attach point (libbpf section names),
script maps as hash maps (per-CPU hash maps for aggregations), a per-CPU
scratch array, stack-trace maps, and printf/print/exit... records on a
perf_event_array (--ringbuf: a ring buffer). Types come from the kernel's
BTF and tracepoint formats (the running kernel's, else the default 6.18 data).
Every program is checked with the embedded verifier (--no-verify skips it).
usdt arguments (arg0...) come from the probed binary's SDT notes (.note.stapsdt).
ARGs are the script's positional parameters ($1, $2, ...; $# counts them).
After --, --NAME=VALUE and --NAME are the script's named options, read by
getopt("NAME", default) (bpftrace 0.26; --NAME alone is a true flag); other
words there are positional parameters too.
  -o OUT.o   write an ELF object (maps, BTF, line info) that bpftool prog load accepts
  --asm      print each program's instructions with their source lines
Exit code: 0 ok, 1 when the script has errors or a program is rejected, 2 on bad usage.`;

/** USDT argument specs read from the probed binary's .note.stapsdt (each file read once). */
export function usdtFromFiles(): (path: string, provider: string | undefined, name: string) => string | undefined {
  const cache = new Map<string, UsdtNote[]>();
  return (path, provider, name) => {
    let notes = cache.get(path);
    if (!notes) {
      try {
        notes = parseStapsdtNotes(readFileSync(path));
      } catch {
        notes = [];
      }
      cache.set(path, notes);
    }
    return notes.find((n) => n.name === name && (provider === undefined || n.provider === provider))?.args;
  };
}

/** Words after `--`: named options (`--name=value`, `--flag`) and positional parameters. */
export function scriptArgs(words: string[]): { options: Record<string, string>; params: string[] } {
  const options: Record<string, string> = {};
  const params: string[] = [];
  for (const w of words) {
    const m = /^--([A-Za-z_][\w-]*)(?:=(.*))?$/s.exec(w);
    if (m) options[m[1]] = m[2] ?? '';
    else params.push(w);
  }
  return { options, params };
}

export function cmdCompile(argv: string[], io: Io): number {
  const dash = argv.indexOf('--');
  const extra = scriptArgs(dash < 0 ? [] : argv.slice(dash + 1));
  if (dash >= 0) argv = argv.slice(0, dash);
  const { values, positionals } = parse(argv, {
    o: { type: 'string', short: 'o' }, asm: { type: 'boolean' }, ringbuf: { type: 'boolean' },
    'target-version': { type: 'string' }, 'no-verify': { type: 'boolean' },
  });
  if (values.help) { io.out(COMPILE_HELP); return EXIT.OK; }
  if (positionals.length < 1) throw new UsageError('compile takes one SCRIPT.bt');
  const target = str(values['target-version']) ?? '0.17';
  if (parseVersion(target) === undefined) throw new UsageError(`--target-version expects a version like 0.17 or 0.26, got '${target}'`);
  const file = positionals[0];
  const text = readTextFile(file);
  const kernel = kernelInfo();
  const r = compileText(text, kernel ?? uprobeOnlyKernel(), { target, output: values.ringbuf ? 'ringbuf' : 'perf', params: [...positionals.slice(1), ...extra.params], options: extra.options, usdt: usdtFromFiles() });
  const lines = new LineIndex(text);
  let failed = false;
  for (const d of r.diagnostics) {
    const p = lines.position(d.range.start);
    io.out(`${file}:${p.line + 1}:${p.col + 1}: ${d.severity}: ${d.message}`);
    if (d.severity === 'error') failed = true;
  }
  const script = r.script;
  if (!script) return EXIT.FAILED;
  const srcLines = text.split('\n');
  script.probes.forEach((p, i) => {
    if (!values['no-verify']) {
      const v = verifyProbe(script, p, kernel?.btf ? { btf: kernel.btf } : {});
      if (v.verdict !== 'accept') {
        failed = true;
        const e = v.errors[0];
        io.out(`${file}: ${p.attachPoints.join(',')}: verifier: ${e?.message ?? 'rejected'}${e ? ` (insn ${e.pc})` : ''}`);
      }
    }
    if (values.asm) {
      io.out(`${i ? '\n' : ''}; ${p.attachPoints.join(', ')}  section ${p.name}  (${p.progType}, ${p.insns.length} insns)`);
      let last = -1;
      p.insns.forEach((insn, k) => {
        const rg = p.lines[k];
        if (rg) {
          const ln = lines.position(rg.start).line;
          if (ln !== last) { io.out(`; ${srcLines[ln]?.trim() ?? ''} @ ${file}:${ln + 1}`); last = ln; }
        }
        const text = insn.spec.kind === 'lddw' && insn.src === PSEUDO.MAP_FD
          ? `(18) r${insn.dst} = map[${script.maps[insn.imm]?.name ?? insn.imm}]`
          : printInsn(insn);
        io.out(`${String(insn.pc).padStart(5)}: ${text}`);
      });
    }
  });
  if (values.asm) {
    io.out('\n; maps');
    script.maps.forEach((m, i) => io.out(`; map[${i}] ${m.name} ${m.mapType} key=${m.keySize} value=${m.valueSize} max_entries=${m.maxEntries}`));
  }
  const out = str(values.o);
  if (out !== undefined) {
    const obj = emitObject(toEmitSpec(script, text, file));
    for (const d of obj.diagnostics) { io.err(`bpfstudio compile: ${d.message}`); failed = true; }
    try { writeFileSync(out, obj.bytes); } catch (e) { throw new UsageError(`${out}: cannot write: ${(e as Error).message}`); }
  }
  return failed ? EXIT.FAILED : EXIT.OK;
}

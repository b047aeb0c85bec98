/**
 * `bpfstudio btf`: kernel types from BTF. `dump` writes a vmlinux.h (C, exact
 * layouts; `--bpftool-compat` prints bpftool 7.1's text instead); `layout`
 * prints a struct's layout the way pahole does (offsets, sizes, holes, padding).
 */
import { KIND } from '../btf/format';
import { dumpC } from '../btf/cprint';
import { formatLayout, structLayout } from '../btf/layout';
import { writeFileSync } from 'node:fs';
import { buildBundle } from '../host/btf-bundle';
import { EXIT, Io, parse, str, UsageError } from './args';
import { loadTargetBtf } from './target-btf';

export const BTF_HELP = `usage: bpfstudio btf dump [FILE] [--format c] [--bpftool-compat]
       bpfstudio btf layout STRUCT [FILE]
       bpfstudio btf bundle VMLINUX.BTF EVENTS_DIR -o OUT [--kernel VERSION]

dump    prints every type of a BTF file (default: the running kernel's, then
        the shipped kernel's) as C: a vmlinux.h that compiles for the BPF
        target with sizes and offsets equal to BTF's. --bpftool-compat prints
        the text bpftool 7.1 prints (which gets sized enums' layouts wrong).
layout  prints a struct or union's members with offsets, sizes, bitfields,
        holes and padding, as pahole does.
bundle  packs a kernel's BTF and its tracefs tracepoint formats (EVENTS_DIR:
        .../tracing/events) into the compressed default-kernel file the
        extension and CLI use when the running kernel's data cannot be read.`;

export function cmdBtf(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, {
    format: { type: 'string' }, 'bpftool-compat': { type: 'boolean' }, out: { type: 'string', short: 'o' }, kernel: { type: 'string' },
  });
  if (values.help || positionals.length === 0) { io.out(BTF_HELP); return values.help ? EXIT.OK : EXIT.USAGE; }
  const [sub, ...rest] = positionals;
  if (sub === 'dump') {
    const format = str(values.format) ?? 'c';
    if (format !== 'c') throw new UsageError(`--format ${format}: only 'c' is supported`);
    if (rest.length > 1) throw new UsageError('btf dump takes at most one FILE');
    const t = loadTargetBtf(rest[0], io);
    io.out(dumpC(t.btf, { exactLayout: !values['bpftool-compat'] }));
    return EXIT.OK;
  }
  if (sub === 'layout') {
    if (rest.length < 1 || rest.length > 2) throw new UsageError('btf layout takes STRUCT [FILE]');
    const name = rest[0].replace(/^(struct|union)\s+/, '');
    const t = loadTargetBtf(rest[1], io);
    const id = t.btf.find(name, KIND.STRUCT) ?? t.btf.find(name, KIND.UNION);
    if (id === undefined) {
      io.err(`${t.source}: no struct or union named '${name}'`);
      return EXIT.FAILED;
    }
    const l = structLayout(t.btf, id);
    if (!l) { io.err(`${name}: no layout`); return EXIT.FAILED; }
    io.out(formatLayout(l));
    return EXIT.OK;
  }
  if (sub === 'bundle') {
    const out = str(values.out);
    if (rest.length !== 2 || !out) throw new UsageError('btf bundle takes VMLINUX.BTF EVENTS_DIR -o OUT');
    let b;
    try {
      b = buildBundle(rest[0], rest[1], { kernel: str(values.kernel) ?? 'unknown' });
    } catch (e) {
      throw new UsageError(`cannot build the bundle: ${(e as Error).message}`);
    }
    for (const p of b.problems.slice(0, 20)) io.err(p);
    try { writeFileSync(out, b.compressed); } catch (e) { throw new UsageError(`${out}: cannot write: ${(e as Error).message}`); }
    io.err(`${out}: ${b.raw.length} bytes packed, ${b.compressed.length} bytes compressed`);
    return b.problems.length ? EXIT.FAILED : EXIT.OK;
  }
  throw new UsageError(`unknown btf subcommand '${sub}' (dump, layout, bundle)`);
}

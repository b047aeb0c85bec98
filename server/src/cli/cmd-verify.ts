/**
 * `bpfstudio verify`: runs the embedded verifier on an assembly, hex/raw or
 * ELF file and prints the kernel-style log and the verdict (or the structured
 * result with --json). Exit 0 accepted, 1 rejected, 2 bad usage.
 */
import { readFileSync, existsSync } from 'node:fs';
import { parseObject } from '../elf';
import { Btf, parseBtf } from '../btf';
import { fromObject, isProgType, sectionProgType, verify } from '../verifier';
import type { VerifierMap, VerifyInput, VerifyResult } from '../verifier';
import { EXIT, Io, parse, str, UsageError } from './args';
import { readInput } from './input';
import { loadProgram } from './load';

export const VERIFY_HELP = `usage: bpfstudio verify FILE [--type T] [--section S] [--log-level 0|1|2] [--json]
                        [--privileged|--cap-bpf-only] [--map TYPE:KEY_SIZE:VALUE_SIZE[:MAX_ENTRIES[:FLAGS]]]...
                        [--attach-type A] [--attach-to NAME] [--prog-flags F] [--btf FILE]

Verifies a BPF program with the embedded verifier (modelled on Linux 6.18) and
prints its log in the kernel's format and the verdict. FILE is BPF assembly, hex
or raw instruction bytes, or an ELF object (every program, or --section S).
--type takes a program type (socket_filter, xdp, kprobe, ...) or a libbpf
section name (cgroup/sendmsg6); for raw programs maps are given with --map in
order (lddw map[fd:i] refers to the i-th). --privileged (default) verifies as
root; --cap-bpf-only as a process with CAP_BPF alone. --btf gives kernel BTF for
tracing programs (default: /sys/kernel/btf/vmlinux when readable).
Exit status: 0 accepted, 1 rejected, 2 bad usage.`;

function parseMap(s: string): VerifierMap {
  const p = s.split(':');
  if (p.length < 3) throw new UsageError(`--map ${s}: expected TYPE:KEY_SIZE:VALUE_SIZE[:MAX_ENTRIES[:FLAGS]]`);
  const num = (x: string, what: string): number => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--map ${s}: bad ${what} '${x}'`);
    return n;
  };
  return { type: p[0], keySize: num(p[1], 'key size'), valueSize: num(p[2], 'value size'), maxEntries: p[3] ? num(p[3], 'max entries') : 1, flags: p[4] ? num(p[4], 'flags') : 0, name: `map${p[0]}` };
}

function loadBtf(path: string | undefined): Btf | undefined {
  const p = path ?? '/sys/kernel/btf/vmlinux';
  if (!existsSync(p)) { if (path) throw new UsageError(`--btf ${path}: not found`); return undefined; }
  const r = parseBtf(new Uint8Array(readFileSync(p)));
  return r.btf ? new Btf(r.btf) : undefined;
}

function report(io: Io, name: string, r: VerifyResult, json: boolean, level: number): void {
  if (json) {
    io.out(JSON.stringify({ program: name, verdict: r.verdict, errors: r.errors, stats: r.stats, log: r.log }, null, 1));
    return;
  }
  if (level > 0) io.out(r.log.replace(/\n$/, ''));
  const e = r.errors[0];
  if (r.verdict === 'accept') io.out(`${name}: accepted (${r.stats.processed} insns processed)`);
  else io.out(`${name}: rejected at insn ${e?.pc ?? 0}: ${e?.message ?? ''}\n  ${e?.explanation ?? ''}\n  fix: ${e?.suggestion ?? ''}`);
}

export function cmdVerify(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, {
    type: { type: 'string' }, section: { type: 'string' }, 'log-level': { type: 'string' }, json: { type: 'boolean' },
    privileged: { type: 'boolean' }, 'cap-bpf-only': { type: 'boolean' }, map: { type: 'string', multiple: true },
    'attach-type': { type: 'string' }, 'attach-to': { type: 'string' }, 'prog-flags': { type: 'string' }, btf: { type: 'string' },
  });
  if (values.help) { io.out(VERIFY_HELP); return EXIT.OK; }
  if (positionals.length !== 1) throw new UsageError('verify takes one FILE (see bpfstudio verify --help)');
  if (values.privileged && values['cap-bpf-only']) throw new UsageError('choose one of --privileged and --cap-bpf-only');
  const lv = str(values['log-level']) ?? '1';
  if (!['0', '1', '2'].includes(lv)) throw new UsageError('--log-level must be 0, 1 or 2');
  const level = Number(lv) as 0 | 1 | 2;
  const json = !!values.json;
  const flags = Number(str(values['prog-flags']) ?? '0');
  if (!Number.isInteger(flags)) throw new UsageError('--prog-flags must be a number');
  const maps = ((values.map as string[] | undefined) ?? []).map(parseMap);
  const typeArg = str(values.type);
  const st = typeArg !== undefined ? sectionProgType(typeArg) : undefined;
  if (typeArg !== undefined && !st) throw new UsageError(`--type ${typeArg}: unknown program type or section name`);
  const common: Partial<VerifyInput> = {
    privileged: values['cap-bpf-only'] ? 'cap_bpf' : 'root', logLevel: level, progFlags: flags,
  };
  const attach = str(values['attach-type']) ?? st?.attachType;
  const attachTo = str(values['attach-to']) ?? st?.target;
  const input = readInput(positionals[0]);
  if (input.kind === 'elf') {
    const o = parseObject(input.bytes ?? new Uint8Array());
    if (!o.object) { for (const d of o.diagnostics) io.err(`${input.path}: ${d.message}`); return EXIT.USAGE; }
    const btf = loadBtf(str(values.btf));
    const sec = str(values.section);
    const progs = o.object.programs.filter((p) => !p.subprog && (sec === undefined || p.section === sec || p.name === sec));
    if (progs.length === 0) throw new UsageError(`${input.path}: no program${sec ? ` in section ${sec}` : ''}`);
    let rejected = false;
    for (const p of progs) {
      const inp = fromObject(o.object, p, { ...common, ...(btf ? { btf } : {}) });
      if (st) inp.progType = st.progType;
      if (attach) inp.expectedAttachType = attach;
      if (attachTo) inp.attachTo = attachTo;
      for (const pr of inp.problems) io.err(`${input.path}: ${p.name}: ${pr}`);
      const r = verify(inp);
      report(io, `${p.name} (${p.section})`, r, json, level);
      if (r.verdict === 'reject') rejected = true;
    }
    return rejected ? EXIT.FAILED : EXIT.OK;
  }
  const prog = loadProgram(input, io, 'auto');
  if (prog.errors > 0) return EXIT.FAILED;
  const progType = st?.progType ?? 'socket_filter';
  if (!isProgType(progType)) throw new UsageError(`--type: unknown program type`);
  const inp: VerifyInput = {
    ...common, insns: prog.insns, progType, maps,
    ...(attach ? { expectedAttachType: attach } : {}), ...(attachTo ? { attachTo } : {}),
    ...(prog.lines ? { lineInfo: prog.insns.map((i, k) => ({ pc: i.pc, text: (input.text ?? '').split('\n')[prog.lines?.[k] ?? 0]?.trim() ?? '', line: (prog.lines?.[k] ?? 0) + 1, file: input.path })) } : {}),
  };
  const r = verify(inp);
  report(io, input.path, r, json, level);
  return r.verdict === 'accept' ? EXIT.OK : EXIT.FAILED;
}

/**
 * `bpfstudio verify`: runs the embedded verifier on an assembly, hex/raw or
 * ELF file and prints the kernel-style log and the verdict (or the structured
 * result with --json); with --kernel also loads the program into the running
 * kernel (host/verify-kernel.ts) and says where the two agree. Exit 0
 * accepted, 1 rejected (by either), 2 bad usage.
 */
import { readFileSync, existsSync } from 'node:fs';
import { basename } from 'node:path';
import { matchSection, parseObject } from '../elf';
import { Btf, parseBtf } from '../btf';
import { fromObject, isProgType, sectionProgType, verify } from '../verifier';
import type { VerifierMap, VerifyInput, VerifyResult } from '../verifier';
import { compareWithKernel, KernelOutcome, KernelProgramAnswer, loadObjectInKernel, loadRawInKernel, lockdownNote, objectFor, sectionFor } from '../host/verify-kernel';
import { EXIT, Io, parse, str, UsageError } from './args';
import { readInput } from './input';
import { loadProgram } from './load';
import { parseMapArgs } from './map-arg';

export const VERIFY_HELP = `usage: bpfstudio verify FILE [--type T] [--section S] [--log-level 0|1|2] [--json]
                        [--privileged|--cap-bpf-only] [--map TYPE:KEY_SIZE:VALUE_SIZE[:MAX_ENTRIES[:FLAGS]]]...
                        [--attach-type A] [--attach-to NAME] [--prog-flags F] [--btf FILE] [--kernel]

Verifies a BPF program with the embedded verifier (modelled on Linux 6.18) and
prints its log in the kernel's format and the verdict. FILE is BPF assembly, hex
or raw instruction bytes, or an ELF object (every program, or --section S).
--type takes a program type (socket_filter, xdp, kprobe, ...) or a libbpf
section name (cgroup/sendmsg6); for raw programs maps are given with --map in
order (lddw map[fd:i] refers to the i-th). --privileged (default) verifies as
root; --cap-bpf-only as a process with CAP_BPF alone. --btf gives kernel BTF for
tracing programs (default: /sys/kernel/btf/vmlinux when readable).
Assembly files may declare their maps and section themselves
(\`.map NAME, TYPE, key=K, value=V, max_entries=N\`, \`.section xdp\`); --map maps
come after the declared ones.
--kernel also loads the program into the running kernel with bpftool (an ELF
object is loaded as it is; other input is wrapped in one, with its maps), pins
and unpins it, and prints the kernel's verdict, message and instruction beside
ours and where they agree or disagree. Raw programs with --prog-flags (1 strict
alignment, 2 any alignment, ...) or direct map value loads, which bpftool cannot
pass, go to BPF_PROG_LOAD through a small loader built with the host's C
compiler, which creates the maps itself. Where loading is not possible (no
bpftool, no CAP_BPF, no bpffs, no C compiler) it says why and what it would need.
BPFSTUDIO_BPFTOOL overrides the bpftool binary.
Exit status: 0 accepted (by both with --kernel), 1 rejected, 2 bad usage.`;

interface NamedMap extends VerifierMap { name: string; type: number; flags: number }

const TRACING = new Set(['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint', 'raw_tracepoint_writable', 'tracing', 'lsm']);

interface Checked { name: string; program: string; result: VerifyResult; kernel?: KernelProgramAnswer }

function loadBtf(path: string | undefined): Btf | undefined {
  const p = path ?? '/sys/kernel/btf/vmlinux';
  if (!existsSync(p)) { if (path) throw new UsageError(`--btf ${path}: not found`); return undefined; }
  const r = parseBtf(new Uint8Array(readFileSync(p)));
  return r.btf ? new Btf(r.btf) : undefined;
}

function oursOf(r: VerifyResult): { verdict: string; message: string | null; insn: number | null; processed: number } {
  const e = r.errors[0];
  return { verdict: r.verdict, message: e?.message ?? null, insn: e ? e.logInsn ?? e.pc : null, processed: r.stats.processed };
}

function kernelJson(k: KernelOutcome | undefined, c: Checked): unknown {
  if (!k) return undefined;
  if (k.status === 'unavailable') return { status: 'unavailable', reason: k.reason, needs: k.needs };
  const a = c.kernel;
  if (!a) return { status: 'unavailable', reason: `the kernel's answer does not name program ${c.program}`, needs: '' };
  if (!a.known) return { status: 'unknown', reason: 'the object failed on another program first; libbpf did not load this one' };
  const cmp = compareWithKernel(oursOf(c.result), a);
  return {
    status: 'loaded', verdict: a.verdict, message: a.message, errorLines: a.errorLines, insn: a.insn, processed: a.processed,
    errno: a.errno, kernelLog: a.kernelLog, agree: cmp.agree, comparison: cmp, log: a.log,
  };
}

function report(io: Io, c: Checked, json: boolean, level: number, k: KernelOutcome | undefined): void {
  const r = c.result;
  if (json) {
    io.out(JSON.stringify({ program: c.name, verdict: r.verdict, errors: r.errors, stats: r.stats, log: r.log, ...(k ? { kernel: kernelJson(k, c) } : {}) }, null, 1));
    return;
  }
  if (level > 0) io.out(r.log.replace(/\n$/, ''));
  const e = r.errors[0];
  if (r.verdict === 'accept') io.out(`${c.name}: accepted (${r.stats.processed} insns processed)`);
  else io.out(`${c.name}: rejected at insn ${e?.pc ?? 0}: ${e?.message ?? ''}\n  ${e?.explanation ?? ''}\n  fix: ${e?.suggestion ?? ''}`);
  if (k) for (const l of kernelText(k, c, level)) io.out(l);
}

/** The kernel's answer and the comparison, as text lines. */
function kernelText(k: KernelOutcome, c: Checked, level: number): string[] {
  if (k.status === 'unavailable') return [`kernel: not checked: ${k.reason}`, `  loading needs: ${k.needs}`];
  const a = c.kernel;
  if (!a || !a.known) return [`kernel: unknown: the object failed on another program first, so libbpf did not load ${c.program}`];
  const out: string[] = [];
  if (level > 1 && a.log) out.push('kernel log:', a.log.replace(/\n$/, ''));
  out.push(a.verdict === 'accept'
    ? `kernel: accepted${a.processed !== null ? ` (${a.processed} insns processed)` : ''}`
    : `kernel: rejected${a.insn !== null ? ` at insn ${a.insn}` : ''}: ${a.message ?? '(no message)'}${a.errno !== null ? ` (errno ${a.errno})` : ''}`
      + (a.kernelLog ? '' : ' [no verifier log: refused before verification, by libbpf or the kernel]'));
  const cmp = compareWithKernel(oursOf(c.result), a);
  const agree: string[] = [];
  const differ: string[] = [];
  (cmp.verdict.agree ? agree : differ).push(cmp.verdict.agree ? `verdict (${cmp.verdict.ours})` : `verdict: ours ${cmp.verdict.ours}, kernel ${cmp.verdict.kernel}`);
  if (cmp.message) (cmp.message.agree ? agree : differ).push(cmp.message.agree ? 'message' : `message: ours '${cmp.message.ours ?? ''}', kernel '${cmp.message.kernel ?? ''}'`);
  if (cmp.insn) (cmp.insn.agree ? agree : differ).push(cmp.insn.agree ? `insn (${cmp.insn.ours})` : `insn: ours ${cmp.insn.ours}, kernel ${cmp.insn.kernel}`);
  out.push(`  agree: ${agree.length ? agree.join(', ') : 'nothing'}`);
  if (differ.length) out.push(`  DISAGREE: ${differ.join('; ')}`);
  if (cmp.processed && cmp.processed.kernel !== cmp.processed.ours) out.push(`  (processed insns: ours ${cmp.processed.ours}, kernel ${cmp.processed.kernel}; state pruning differs, informational)`);
  if (!cmp.agree) { const l = lockdownNote(); if (l) out.push(`  note: ${l}`); }
  return out;
}

function exitOf(checked: Checked[], k: KernelOutcome | undefined): number {
  const rejected = checked.some((c) => c.result.verdict === 'reject' || (k?.status === 'loaded' && c.kernel?.known && c.kernel.verdict === 'reject'));
  return rejected ? EXIT.FAILED : EXIT.OK;
}

export async function cmdVerify(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    type: { type: 'string' }, section: { type: 'string' }, 'log-level': { type: 'string' }, json: { type: 'boolean' },
    privileged: { type: 'boolean' }, 'cap-bpf-only': { type: 'boolean' }, map: { type: 'string', multiple: true },
    'attach-type': { type: 'string' }, 'attach-to': { type: 'string' }, 'prog-flags': { type: 'string' }, btf: { type: 'string' },
    kernel: { type: 'boolean' },
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
  const argMaps: NamedMap[] = parseMapArgs(values.map);
  const withKernel = !!values.kernel;
  const privilege = values['cap-bpf-only'] ? 'cap_bpf' as const : 'root' as const;
  const kernelLevel = level === 2 ? 2 as const : 1 as const;
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
    const checked: Checked[] = [];
    for (const p of progs) {
      const inp = fromObject(o.object, p, { ...common, ...(btf ? { btf } : {}) });
      if (st) inp.progType = st.progType;
      if (attach) inp.expectedAttachType = attach;
      if (attachTo) inp.attachTo = attachTo;
      for (const pr of inp.problems) io.err(`${input.path}: ${p.name}: ${pr}`);
      checked.push({ name: `${p.name} (${p.section})`, program: p.name, result: verify(inp) });
    }
    let k: KernelOutcome | undefined;
    if (withKernel) {
      // libbpf loads every program of the object; the answer is split per program.
      const all = o.object.programs.filter((p) => !p.subprog).map((p) => p.name);
      const tracing = progs.some((p) => TRACING.has((p.progTypeName ?? '').toLowerCase()));
      k = await loadObjectInKernel({ path: input.path }, all, { privilege, logLevel: kernelLevel, tracing });
      if (k.status === 'loaded') for (const c of checked) c.kernel = k.answers.get(c.program);
    }
    for (const c of checked) report(io, c, json, level, k);
    return exitOf(checked, k);
  }
  const prog = loadProgram(input, io, 'auto');
  if (prog.errors > 0) return EXIT.FAILED;
  // A `.section` in the file decides the program type unless --type says otherwise.
  const declared = prog.asm?.section;
  const fromFile = !st && declared ? sectionProgType(declared.name) : undefined;
  if (declared && !st && !fromFile) throw new UsageError(`${input.path}:${declared.line + 1}: .section ${declared.name}: unknown program section`);
  const sec = st ?? fromFile;
  const progType = sec?.progType ?? 'socket_filter';
  if (!isProgType(progType)) throw new UsageError(`--type: unknown program type`);
  const maps: NamedMap[] = [...(prog.asm?.maps ?? []), ...argMaps];
  const attachT = str(values['attach-type']) ?? sec?.attachType;
  const attachN = str(values['attach-to']) ?? sec?.target;
  const inp: VerifyInput = {
    ...common, insns: prog.insns, progType, maps,
    ...(attachT ? { expectedAttachType: attachT } : {}), ...(attachN ? { attachTo: attachN } : {}),
    ...(prog.lines ? { lineInfo: prog.insns.map((i, k) => ({ pc: i.pc, text: (input.text ?? '').split('\n')[prog.lines?.[k] ?? 0]?.trim() ?? '', line: (prog.lines?.[k] ?? 0) + 1, file: input.path })) } : {}),
  };
  // The program's name in the object: a C identifier (BTF refuses others).
  const name = basename(input.path).replace(/\..*$/, '').replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)|^$/, 'prog_').replace(/_$/, '');
  const c: Checked = { name: input.path, program: name, result: verify(inp) };
  let k: KernelOutcome | undefined;
  if (withKernel) {
    const section = declared && !st ? declared.name : typeArg !== undefined && matchSection(typeArg) ? typeArg : sectionFor(progType, attachT);
    const obj = section ? objectFor(prog.insns, maps, section, name) : { error: `no libbpf section name selects program type ${progType}` };
    const kopts = { privilege, logLevel: kernelLevel, tracing: TRACING.has(progType) };
    // bpftool cannot pass prog_flags, and an object cannot express direct map value loads: those go
    // to BPF_PROG_LOAD through the raw loader, which creates the maps itself.
    if (obj.bytes && !flags) k = await loadObjectInKernel({ bytes: obj.bytes }, [name], kopts);
    else {
      k = await loadRawInKernel({ insns: prog.insns, progType, ...(attachT ? { expectedAttachType: attachT } : {}), progFlags: flags, maps }, name, kopts);
      if (k.status === 'unavailable' && obj.error) k.reason += ` (and bpftool cannot load it: ${obj.error})`;
    }
    if (k.status === 'loaded') c.kernel = k.answers.get(name);
  }
  report(io, c, json, level, k);
  return exitOf([c], k);
}

/**
 * The running kernel as a second opinion for `bpfstudio verify --kernel`: asks
 * kernel-access.ts whether loading is permitted here, wraps a raw
 * program and its maps in an ELF object (elf/emit.ts) or takes an object as it
 * is, loads it with bpftool (pinned, then unpinned), and compares the kernel's
 * verdict, message and instruction with the embedded verifier's. Non-goals:
 * attaching programs, comparing register states, kernels other than this one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emitObject, type EmitMap, type EmitReloc } from '../elf';
import { SECTION_DEFS } from '../elf/sections';
import { encode, PSEUDO, type Insn } from '../isa';
import { progTypeId, attachTypeId } from '../elf/sections';
import { loadRawWithKernel, loadWithKernelAsync, rawLoader, type KernelAnswer, type KernelLoad, type Privilege } from './bpftool';
import { BPFTOOL_ENV, bpftoolPath, kernelUnavailable, readTrim, type KernelUnavailable } from './kernel-access';

/** `[confidentiality]` lockdown makes the kernel refuse helpers that read kernel memory: worth saying beside a disagreement. */
export function lockdownNote(): string | undefined {
  const l = readTrim('/sys/kernel/security/lockdown');
  const m = l ? /\[(\w+)\]/.exec(l) : null;
  return m && m[1] !== 'none' ? `kernel lockdown is '${m[1]}': helpers that read kernel memory may be refused` : undefined;
}

/** A load refused before the verifier ran (EPERM, no log): a permission problem, not a verdict. */
function refusedBeforeVerifying(r: KernelLoad): KernelOutcome | undefined {
  if (r.verdict !== 'reject' || r.kernelLog || (r.errno !== -1 && !/Operation not permitted/.test(r.output))) return undefined;
  return { status: 'unavailable', reason: `the kernel refused the load before verifying it (EPERM): ${r.message ?? 'operation not permitted'}`, needs: 'CAP_BPF and the capabilities of the program type (or root); check kernel.unprivileged_bpf_disabled and lockdown' };
}

/** A map for the emitted object (declared with `.map` or given with --map). */
export type KernelMap = EmitMap;

/** The libbpf section name that selects a program type (and attach type), for objects built from raw programs. */
export function sectionFor(progType: string, attachType?: string): string | undefined {
  const pt = progType.toUpperCase();
  const at = attachType?.toUpperCase();
  const d = SECTION_DEFS.find((x) => x.progType === pt && (at === undefined || x.attachType === at) && !x.attachBtf)
    ?? SECTION_DEFS.find((x) => x.progType === pt && (at === undefined || x.attachType === at));
  return d?.name;
}

/**
 * Wraps raw instructions in an object libbpf loads: lddw map[fd:i] / map[idx:i] become relocations
 * against the i-th map. Returns the bytes or why it cannot (direct map value loads, missing maps).
 */
export function objectFor(insns: readonly Insn[], maps: readonly KernelMap[], section: string, name = 'prog'): { bytes?: Uint8Array; error?: string } {
  const relocs: EmitReloc[] = [];
  const prog = insns.map((i) => ({ ...i }));
  for (const i of prog) {
    if (i.spec.kind !== 'lddw') continue;
    if (i.src === PSEUDO.MAP_VALUE || i.src === PSEUDO.MAP_IDX_VALUE) {
      return { error: `instruction ${i.pc} loads a map value address (map[..][0]+off), which an object file cannot express for a declared map` };
    }
    if (i.src !== PSEUDO.MAP_FD && i.src !== PSEUDO.MAP_IDX) continue;
    const m = maps[i.imm];
    if (!m) return { error: `instruction ${i.pc} refers to map ${i.imm}, but only ${maps.length} map${maps.length === 1 ? ' is' : 's are'} declared` };
    relocs.push({ pc: i.pc, kind: 'map', target: m.name });
  }
  const r = emitObject({ programs: [{ name, section, insns: prog, relocs }], maps: [...maps], license: 'GPL', fileName: `${name}.s` });
  if (r.diagnostics.length) return { error: r.diagnostics.map((d) => d.message).join('; ') };
  return { bytes: r.bytes };
}

/** The kernel's answer for one program of a loaded object. */
export interface KernelProgramAnswer extends KernelAnswer {
  /** The verifier log of the whole load ('' when the kernel wrote none). */
  log: string;
  /** False when the object failed on another program first, so this one's verdict is unknown. */
  known: boolean;
}

export type KernelOutcome =
  | { status: 'loaded'; answers: Map<string, KernelProgramAnswer>; bpftool: string; ms: number; output: string }
  | ({ status: 'unavailable' } & KernelUnavailable);

/**
 * Loads an object (a file, or bytes written to a temporary file) with bpftool and splits the answer per
 * program: libbpf loads every program of an object and stops at the first one the kernel refuses.
 */
export async function loadObjectInKernel(obj: { path: string } | { bytes: Uint8Array }, programs: string[],
  opts: { privilege?: Privilege; logLevel?: 1 | 2; tracing?: boolean } = {}): Promise<KernelOutcome> {
  try {
    return await loadObject(obj, programs, opts);
  } catch (e) {
    // Temporary files, spawning: the host's trouble, reported like any other reason not to load.
    return { status: 'unavailable', reason: `could not run the load: ${e instanceof Error ? e.message : String(e)}`, needs: 'a writable temporary directory and a working bpftool' };
  }
}

async function loadObject(obj: { path: string } | { bytes: Uint8Array }, programs: string[],
  opts: { privilege?: Privilege; logLevel?: 1 | 2; tracing?: boolean }): Promise<KernelOutcome> {
  const bpftool = bpftoolPath();
  const pre = kernelUnavailable({ privilege: opts.privilege, tracing: opts.tracing, bpftool });
  if (pre) return { status: 'unavailable', ...pre };
  let dir: string | undefined;
  let path: string;
  if ('path' in obj) path = obj.path;
  else {
    dir = mkdtempSync(join(tmpdir(), 'bpfstudio-kernel-'));
    path = join(dir, 'prog.o');
    writeFileSync(path, obj.bytes);
  }
  try {
    const r = await loadWithKernelAsync(path, { bpftool, logLevel: opts.logLevel ?? 1, privilege: opts.privilege ?? 'root', timeoutMs: 120_000 });
    const out = r.output;
    const refused = refusedBeforeVerifying(r);
    if (refused) return refused;
    if (r.exitCode === -1 && /Error: spawn|ENOENT|EACCES/.test(out) && !r.kernelLog) {
      return { status: 'unavailable', reason: `bpftool did not run: ${out.trim().split('\n').pop() ?? ''}`, needs: `a working bpftool (${BPFTOOL_ENV})` };
    }
    // The load worked but pinning did not: accepted all the same.
    const pinOnly = r.verdict === 'reject' && !r.kernelLog && /failed to pin/i.test(out) && !/load failed|failed to load/i.test(out);
    const failed = /prog '([^']+)': (?:BPF program load failed|-- BEGIN PROG LOAD LOG --|failed to load)/.exec(out)?.[1];
    const answers = new Map<string, KernelProgramAnswer>();
    for (const p of programs) {
      if (r.verdict === 'accept' || pinOnly) {
        answers.set(p, { ...r, verdict: 'accept', message: null, errorLines: [], insn: null, known: true });
      } else if (failed === undefined ? programs.length === 1 : failed === p) {
        answers.set(p, { ...r, known: true });
      } else {
        const before = failed !== undefined && programs.indexOf(p) < programs.indexOf(failed);
        answers.set(p, { ...r, verdict: before ? 'accept' : 'reject', message: null, errorLines: [], insn: null, processed: null, stats: null, known: before && programs.includes(failed) });
      }
    }
    return { status: 'loaded', answers, bpftool, ms: r.ms, output: out };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** What a raw load needs beside the instructions: the program type, load attributes and maps by index. */
export interface RawProgram {
  insns: readonly Insn[];
  /** The verifier's program type name (`xdp`, `cgroup_sock_addr`, ...). */
  progType: string;
  /** The attach type name with or without `BPF_` (`CGROUP_UDP6_SENDMSG`). */
  expectedAttachType?: string;
  progFlags?: number;
  maps?: readonly { type: number; keySize: number; valueSize: number; maxEntries: number; flags?: number }[];
}

/**
 * Loads instructions with BPF_PROG_LOAD directly (the raw loader, no libbpf): the route for what an
 * object cannot carry through bpftool — prog_flags (strict alignment...), direct map value loads.
 * The loader creates the maps itself; LD_IMM64 map references index them.
 */
export async function loadRawInKernel(p: RawProgram, name: string,
  opts: { privilege?: Privilege; logLevel?: 1 | 2; tracing?: boolean } = {}): Promise<KernelOutcome> {
  const pre = kernelUnavailable({ privilege: opts.privilege, tracing: opts.tracing, raw: true });
  if (pre) return { status: 'unavailable', ...pre };
  const type = progTypeId(p.progType.toUpperCase());
  if (type < 0) return { status: 'unavailable', reason: `unknown program type ${p.progType}`, needs: 'a program type of enum bpf_prog_type' };
  const at = p.expectedAttachType === undefined ? undefined : attachTypeId(p.expectedAttachType.toUpperCase().replace(/^BPF_/, ''));
  if (at !== undefined && at < 0) return { status: 'unavailable', reason: `unknown attach type ${p.expectedAttachType ?? ''}`, needs: 'an attach type of enum bpf_attach_type' };
  const loader = rawLoader();
  if (!loader.path) return { status: 'unavailable', reason: loader.error ?? 'no raw loader', needs: 'clang or cc to build the raw loader' };
  const r = await loadRawWithKernel(encode(p.insns), {
    progType: type, logLevel: opts.logLevel === 2 ? 7 : 1, privilege: opts.privilege ?? 'root',
    ...(p.progFlags ? { progFlags: p.progFlags } : {}), ...(at !== undefined ? { expectedAttachType: at } : {}), ...(p.maps?.length ? { maps: p.maps } : {}),
  });
  const refused = refusedBeforeVerifying(r);
  if (refused) return refused;
  if (r.exitCode === 2 || /map \d+ .* create failed/.test(r.output)) {
    return { status: 'unavailable', reason: `the raw loader could not prepare the load: ${r.output.trim().split('\n')[0] ?? ''}`, needs: 'maps the kernel can create' };
  }
  const answers = new Map<string, KernelProgramAnswer>([[name, { ...r, known: true }]]);
  return { status: 'loaded', answers, bpftool: loader.path, ms: r.ms, output: r.output };
}

/** Where the embedded verifier and the kernel agree and differ on one program. */
export interface Comparison {
  verdict: { ours: string; kernel: string; agree: boolean };
  message: { ours: string | null; kernel: string | null; agree: boolean } | null;
  insn: { ours: number | null; kernel: number | null; agree: boolean } | null;
  processed: { ours: number; kernel: number | null } | null;
  agree: boolean;
}

/** Compares the verdicts; message and instruction only when both rejected. */
export function compareWithKernel(ours: { verdict: string; message: string | null; insn: number | null; processed: number }, k: KernelAnswer): Comparison {
  const verdict = { ours: ours.verdict, kernel: k.verdict, agree: ours.verdict === k.verdict };
  const bothRejected = ours.verdict === 'reject' && k.verdict === 'reject';
  const norm = (s: string | null): string | null => (s === null ? null : s.trim());
  const message = bothRejected ? { ours: ours.message, kernel: k.message, agree: norm(ours.message) === norm(k.message) } : null;
  const insn = bothRejected && k.insn !== null ? { ours: ours.insn, kernel: k.insn, agree: ours.insn === k.insn } : null;
  const processed = k.processed !== null ? { ours: ours.processed, kernel: k.processed } : null;
  return { verdict, message, insn, processed, agree: verdict.agree && (message?.agree ?? true) && (insn?.agree ?? true) };
}

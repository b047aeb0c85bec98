/**
 * Public types of the verifier: what goes in (program, maps, program type,
 * privilege, line info) and what comes out (verdict, errors with the kernel's
 * text and plain-language help, per-pc states, statistics, kernel-style log).
 * Plain data; no editor or protocol types.
 */
import type { Insn } from '../isa';
import type { Btf } from '../btf';
import type { AttachType, ProgType } from './progtypes';

/** A map as the program sees it (enum bpf_map_type name or number). */
export interface VerifierMap {
  /** Map type name as in the kernel enum without prefix (`hash`, `array`, `ringbuf`, ...) or its number. */
  type: string | number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  name?: string;
  /** Global-data map (.rodata/.data/.bss): direct value access; frozen (.rodata) reads are constants. */
  initial?: Uint8Array;
  readonly?: boolean;
  /** The map was created with BTF key/value types (bpf_timer needs them); undefined: not known, timer checks skipped. */
  btf?: boolean;
  /** Byte offset of the value's `struct bpf_timer` (from its BTF), if it has one. */
  timerOff?: number;
}

export interface VerifierLine {
  /** Slot pc of the first instruction of the line. */
  pc: number;
  /** Source text for `; text @ file:line` comments. */
  text: string;
  file?: string;
  line: number;
  col?: number;
}

export interface VerifyLimits {
  /** Processed-instruction limit (kernel: 1,000,000). */
  insns?: number;
  /** Pending branch limit (kernel: 8192 "The sequence of %d jumps is too complex."). */
  jmpSeq?: number;
}

/** How a global function's argument is typed (from its BTF prototype). */
export type GlobalArg =
  | { kind: 'scalar' }
  | { kind: 'ctx' }
  /** A pointer to a sized type: possibly-NULL memory of that size. */
  | { kind: 'mem'; size: number }
  | { kind: 'unsupported'; message: string };

/** A global (BTF_FUNC_GLOBAL) subprogram: verified alone, calls checked against its prototype. */
export interface GlobalFunc { pc: number; name: string; args: GlobalArg[] }

export interface VerifyInput {
  insns: Insn[];
  progType: ProgType;
  expectedAttachType?: AttachType;
  maps?: VerifierMap[];
  /** Kernel BTF (vmlinux) for tracing args, kfuncs and BTF return types. */
  btf?: Btf;
  /** Attach target function/tracepoint name (fentry/fexit/tp_btf). */
  attachTo?: string;
  lineInfo?: VerifierLine[];
  /** Slot pcs where subprograms start (besides 0), when known from func_info; else found from calls. */
  funcStarts?: number[];
  /** The program carries BTF func_info (needed for callbacks); default true. */
  funcInfo?: boolean;
  /** libbpf refused the object before loading it (e.g. `failed to find BTF for extern 'f': -2`). */
  libbpfError?: string;
  /** Instructions libbpf poisoned (failed CO-RE relocations, `call 0xbad2310`) and the message libbpf prints for each. */
  poisoned?: { pc: number; message: string }[];
  /** nr_cpu_ids of the target (possible CPUs): bpf_get_smp_processor_id() returns [0, nrCpus - 1]; unbounded when not given. */
  nrCpus?: number;
  /** A sleepable program (`.s` sections): may call helpers and kfuncs that sleep; RCU only inside bpf_rcu_read_lock(). */
  sleepable?: boolean;
  /** Global subprograms (from func_info linkage); others are verified inline as static functions. */
  globalFuncs?: GlobalFunc[];
  /**
   * Static subprograms' BTF prototypes (func_info): a call whose registers do not match logs the
   * kernel's complaint once (btf_check_subprog_call marks the function unreliable) and goes on.
   */
  staticFuncs?: GlobalFunc[];
  /**
   * Lines the kernel logs before verifying (check_btf_info), e.g. btf_prepare_func_args on the main
   * program's prototype: `arg#0 reference type('UNKNOWN ') size cannot be determined: -22` for `void *ctx`.
   */
  logNotes?: string[];
  /** License is GPL-compatible (gpl_only helpers); default true. */
  gpl?: boolean;
  /** 'root': CAP_SYS_ADMIN (+CAP_BPF, CAP_PERFMON); 'cap_bpf': CAP_BPF only. Default 'root'. */
  privileged?: 'root' | 'cap_bpf';
  /** BPF_F_STRICT_ALIGNMENT and friends. */
  progFlags?: number;
  /**
   * The kernel's log levels (default 1): 0 none; 1 the path being explored only (a rejected program's
   * log shows its failing path, an accepted one's only the statistics); 2 every path (as bpftool -d, 1|2|4).
   */
  logLevel?: 0 | 1 | 2;
  /** Record printable states per pc for hovers (default true; off for benchmarks). */
  collectStates?: boolean;
  limits?: VerifyLimits;
}

export interface PathStep { pc: number; taken: boolean }

export interface SourceRange { line: number; col: number; file?: string }

export interface VerifyError {
  pc: number;
  /** The instruction the kernel's log names for this error (its last printed instruction), null when none is printed. */
  logInsn: number | null;
  /** The kernel's message, verbatim (its last line; the lines before are in `detail`). */
  message: string;
  detail: string[];
  explanation: string;
  suggestion: string;
  path: PathStep[];
  range?: SourceRange;
}

export interface VerifyStats {
  processed: number;
  totalStates: number;
  peakStates: number;
  maxStatesPerInsn: number;
  maxStackDepth: number;
  timeMs: number;
}

export interface VerifyResult {
  verdict: 'accept' | 'reject';
  errors: VerifyError[];
  /** states[pc]: printable abstract states seen at pc (up to a few), kernel format `R1=ctx() R10=fp0`. */
  states: (string[] | undefined)[];
  stats: VerifyStats;
  log: string;
}

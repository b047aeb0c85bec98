/**
 * Text to compiled script in one call (parse, version rules, semantic and
 * type checks through checkScript, then code generation), for the CLI, replay
 * and editors. Pure: kernel data comes in as an argument. Non-goal: deciding
 * whether to run a script with errors (callers look at the diagnostics).
 */
import { checkScript } from '../check';
import type { KernelInfo } from '../semantic';
import type { Program } from '../ast';
import type { Diagnostic } from '../source';
import type { Btf } from '../../btf';
import type { TpFormat } from '../../btf/tracepoint';
import { compile } from './compile';
import type { CompileOptions, CompiledScript } from './model';

export interface CompileTextOptions {
  /** bpftrace version to imitate (default 0.17). */
  target?: string;
  output?: 'perf' | 'ringbuf';
  params?: string[];
  /** USDT argument specs by binary path and probe (see CompileOptions.usdt). */
  usdt?: (path: string, provider: string | undefined, name: string) => string | undefined;
  /** Named script options for getopt(): `--name=value` given as { name: 'value' }, `--flag` as { flag: '' }. */
  options?: Record<string, string>;
  strlen?: number;
  /** Values the host knows at compile time (kaddr/uaddr symbols, cgroupid, ncpus, cpid); see CompileOptions.resolve. */
  resolve?: CompileOptions['resolve'];
}

export interface CompileTextResult {
  program: Program;
  /** Undefined when the script does not parse. */
  script?: CompiledScript;
  /** Check and code generation diagnostics, by position. */
  diagnostics: Diagnostic[];
}

type Kernel = KernelInfo & { btf?: Btf; systems?(): string[]; events?(system: string): string[]; format?(system: string, event: string): TpFormat | undefined };

export function compileText(text: string, kernel: Kernel | undefined, opts: CompileTextOptions = {}): CompileTextResult {
  const r = checkScript(text, opts.target ?? '0.17', kernel, opts.strlen !== undefined ? { strlen: opts.strlen } : {});
  if (!r.types) return { program: r.program, diagnostics: r.diagnostics };
  const script = compile(r.program, r.types, {
    target: opts.target ?? '0.17',
    source: text,
    ...(opts.output ? { output: opts.output } : {}),
    ...(opts.params ? { params: opts.params } : {}),
    ...(opts.options ? { options: opts.options } : {}),
    ...(opts.usdt ? { usdt: opts.usdt } : {}),
    ...(opts.resolve ? { resolve: opts.resolve } : {}),
    ...(kernel?.btf ? { btf: kernel.btf } : {}),
    ...(kernel?.systems && kernel.events && kernel.format
      ? { tracepoints: { systems: kernel.systems.bind(kernel), events: kernel.events.bind(kernel), format: kernel.format.bind(kernel) } }
      : {}),
  });
  const diagnostics = [...r.diagnostics, ...script.diagnostics].sort((a, b) => a.range.start - b.range.start);
  return { program: r.program, script, diagnostics };
}

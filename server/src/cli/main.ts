/**
 * `bpfstudio`: the command-line front end of the BPF engine, for terminals
 * and CI. Each command lives in its own file; this one dispatches, prints
 * help, and maps errors to exit codes (0 ok, 1 check failed, 2 bad usage or
 * unreadable input). A thrown error other than UsageError is a bug and says so.
 */
import { ASM_HELP, cmdAsm, cmdDisasm, DISASM_HELP } from './cmd-asm';
import { BTF_HELP, cmdBtf } from './cmd-btf';
import { CHECK_HELP, cmdCheck } from './cmd-check';
import { cmdCompile, COMPILE_HELP } from './cmd-compile';
import { cmdConformance, CONFORMANCE_HELP } from './cmd-conformance';
import { cmdDemo, DEMO_HELP } from './cmd-demo';
import { cmdCore, cmdObj, CORE_HELP, OBJ_HELP } from './cmd-obj';
import { cmdRun, RUN_HELP } from './cmd-run';
import { cmdTrace, TRACE_HELP } from './cmd-trace';
import { cmdVerify, VERIFY_HELP } from './cmd-verify';
import { EXIT, Io, stdio, UsageError } from './args';

interface Command {
  summary: string;
  help: string;
  run(argv: string[], io: Io): number | Promise<number>;
}

const BENCH_HELP = `usage: bpfstudio bench [vm|btf|verifier|bpftrace|interp|repr] [ARGS]

Runs a benchmark and prints its figures (medians): 'vm' prints ns per executed
instruction for the interpreter and the JIT on three 10-million-iteration loops,
and the JIT's compile time; 'btf' BTF parse and C dump times (against bpftool
when installed); 'verifier' µs per processed instruction; 'bpftrace' parse and
check time of a 1,000-line script. With no SUITE, runs vm, btf, verifier and
bpftrace. Same as 'npm run bench -- SUITE'.`;

const LSP_HELP = `usage: bpfstudio lsp --stdio

Starts the BPF Studio language server on stdin/stdout (the Language Server
Protocol): assembler diagnostics and instruction hovers for BPF assembly;
parse, version and semantic diagnostics, hovers and completion (probes,
builtins, tracepoints and their args) for bpftrace scripts.`;

const DAP_HELP = `usage: bpfstudio dap

Starts the BPF Studio debug adapter on stdin/stdout (the Debug Adapter
Protocol): runs BPF assembly on the embedded VM with breakpoints and stepping.`;

const COMMANDS: Record<string, Command> = {
  asm: { summary: 'assemble BPF assembly (LLVM or conformance syntax)', help: ASM_HELP, run: cmdAsm },
  disasm: { summary: 'disassemble raw or hex instruction bytes', help: DISASM_HELP, run: cmdDisasm },
  run: { summary: 'run a program on the VM and print r0', help: RUN_HELP, run: cmdRun },
  obj: { summary: 'describe a BPF ELF object (programs, maps, relocations, BTF.ext)', help: OBJ_HELP, run: cmdObj },
  core: { summary: 'resolve CO-RE relocations against a kernel BTF', help: CORE_HELP, run: cmdCore },
  btf: { summary: 'print kernel types from BTF (vmlinux.h, struct layouts)', help: BTF_HELP, run: cmdBtf },
  check: { summary: 'check a bpftrace script (syntax, version, semantics, kernel tracepoints)', help: CHECK_HELP, run: cmdCheck },
  compile: { summary: 'compile a bpftrace script to BPF programs and an ELF object', help: COMPILE_HELP, run: cmdCompile },
  conformance: { summary: 'run the bpf_conformance suite', help: CONFORMANCE_HELP, run: cmdConformance },
  trace: { summary: 'check recorded event traces; convert bpftrace -f json output to them', help: TRACE_HELP, run: cmdTrace },
  verify: { summary: 'verify a program with the embedded verifier (kernel-style log)', help: VERIFY_HELP, run: cmdVerify },
  bench: {
    summary: 'print benchmark figures (vm, btf, verifier, bpftrace)',
    help: BENCH_HELP,
    run: async (argv, io) => {
      if (argv.includes('--help') || argv.includes('-h')) { io.out(BENCH_HELP); return EXIT.OK; }
      const [suite, ...rest] = argv;
      const { runBench, BENCHES } = await import('../../../bench/suites');
      if (!(await runBench(suite, rest))) throw new UsageError(`unknown benchmark '${suite}' (${Object.keys(BENCHES).join(', ')})`);
      return EXIT.OK;
    },
  },
  lsp: {
    summary: 'start the language server (--stdio)',
    help: LSP_HELP,
    run: async (argv, io) => {
      if (argv.includes('--help') || argv.includes('-h')) { io.out(LSP_HELP); return EXIT.OK; }
      const { startServer } = await import('../lsp/server');
      startServer();
      return -1;
    },
  },
  dap: {
    summary: 'start the debug adapter on stdio',
    help: DAP_HELP,
    run: async (argv, io) => {
      if (argv.includes('--help') || argv.includes('-h')) { io.out(DAP_HELP); return EXIT.OK; }
      const { startDebugAdapter } = await import('../debug/adapter');
      startDebugAdapter();
      return -1;
    },
  },
  demo: { summary: 'assemble and run the bundled example (what npm start runs)', help: DEMO_HELP, run: cmdDemo },
};

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'usage: bpfstudio COMMAND [ARGS]',
    '',
    'BPF Studio: assembler, VM and (soon) verifier for BPF programs.',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`),
    '',
    "Run 'bpfstudio COMMAND --help' for a command's options.",
  ].join('\n');
}

/** Runs one command line; returns the exit code (-1: a server keeps running). */
export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version') { io.out('bpfstudio 0.1.0'); return EXIT.OK; }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(`bpfstudio: unknown command '${name}'\n\n${usage()}`);
    return EXIT.USAGE;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`bpfstudio ${name}: ${e.message}`);
      return EXIT.USAGE;
    }
    io.err(`bpfstudio ${name}: internal error (a bug; please report it): ${(e as Error).stack ?? e}`);
    return EXIT.FAILED;
  }
}

/** The process entry: runs `main` on the process's arguments and sets the exit code. */
export function cliEntry(): void {
  main(process.argv.slice(2)).then((code) => {
    if (code >= 0) process.exitCode = code;
  });
}

if (require.main === module) cliEntry();

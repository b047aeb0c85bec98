/**
 * The benchmark registry shared by `npm run bench -- SUITE` (bench/index.ts)
 * and `bpfstudio bench SUITE`: vm (interpreter vs JIT ns/insn), btf (BTF parse
 * and C dump), verifier (µs per processed instruction), bpftrace (front end),
 * interp (interpreter only), repr (64-bit register representation study).
 * Modules load lazily, so one broken benchmark does not stop the others.
 * Prints plain tables; writes no files.
 */
export const BENCHES: Record<string, (args: string[]) => Promise<void>> = {
  vm: async (a) => (await import('./vm')).benchVm(a),
  btf: async (a) => (await import('./btf')).benchBtf(a),
  verifier: async (a) => (await import('./verifier')).benchVerifier(a),
  bpftrace: async (a) => {
    const r = (await import('./bpftrace')).benchBpftraceParse(a.includes('--tsx'));
    console.log(`bpftrace: ${r.lines}-line script: parse ${r.ms.toFixed(2)} ms (CPU ${r.cpuMs.toFixed(2)} ms); parse + version check + analyze ${r.checkMs.toFixed(2)} ms (CPU ${r.checkCpuMs.toFixed(2)} ms); full check with types ${r.fullMs.toFixed(2)} ms (CPU ${r.fullCpuMs.toFixed(2)} ms; target 10 ms); ${r.diagnostics} diagnostics; ${r.how}`);
    const k = (await import('./bpftrace')).benchBpftraceKernel(a.includes('--tsx'));
    console.log(k
      ? `bpftrace: the same script with the 6.18 kernel data (BTF, tracepoint formats; probe targets it has): full check ${k.ms.toFixed(2)} ms (CPU ${k.cpuMs.toFixed(2)} ms; target 10 ms); ${k.diagnostics} diagnostics; ${k.how}`
      : 'bpftrace: full check with kernel data skipped: ../shared/kernel/6.18 not found');
  },
  interp: async () => {
    for (const r of (await import('./vm-interp')).benchInterp()) console.log(`${r.name.padEnd(8)} ${r.nsPerInsn.toFixed(3)} ns/insn (interpreter, best of 5)`);
  },
  repr: async (a) => (await import('./repr')).benchRepr(a),
};

/** The suites run when none is named: the ones with targets in the issues. */
export const DEFAULT_SUITES = ['vm', 'btf', 'verifier', 'bpftrace'];

/** Runs one suite (or the default ones); returns false for an unknown name. */
export async function runBench(name: string | undefined, args: string[]): Promise<boolean> {
  if (name === undefined) {
    for (const s of DEFAULT_SUITES) {
      console.log(`== ${s}`);
      await BENCHES[s](args);
    }
    return true;
  }
  const b = BENCHES[name];
  if (b === undefined) return false;
  await b(args);
  return true;
}

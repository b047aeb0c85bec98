/**
 * Benchmark dispatcher: `npm run bench -- <name> [args]` runs one benchmark
 * (`vm`: interpreter vs JIT ns/insn; `repr`: 64-bit register representation
 * study; `btf`: BTF parse and C dump; `interp`: interpreter only; `bpftrace`:
 * bpftrace front end). Modules load lazily, so one broken
 * benchmark does not stop the others. Prints plain tables; writes no files.
 */
const benches: Record<string, (args: string[]) => Promise<void>> = {
  vm: async (a) => (await import('./vm')).benchVm(a),
  repr: async (a) => (await import('./repr')).benchRepr(a),
  btf: async (a) => (await import('./btf')).benchBtf(a),
  interp: async () => {
    for (const r of (await import('./vm-interp')).benchInterp()) console.log(`${r.name.padEnd(8)} ${r.nsPerInsn.toFixed(3)} ns/insn (interpreter, best of 5)`);
  },
  bpftrace: async () => {
    const r = (await import('./bpftrace')).benchBpftraceParse();
    console.log(`bpftrace: ${r.lines}-line script: parse ${r.ms.toFixed(2)} ms (CPU ${r.cpuMs.toFixed(2)} ms); parse + version check + analyze ${r.checkMs.toFixed(2)} ms (CPU ${r.checkCpuMs.toFixed(2)} ms); ${r.diagnostics} diagnostics`);
  },
};

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  const b = name === undefined ? undefined : benches[name];
  if (b === undefined) {
    console.log(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [args]`);
    process.exitCode = name === undefined ? 0 : 1;
    return;
  }
  await b(rest);
}

void main();

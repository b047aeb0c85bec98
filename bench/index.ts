/**
 * Benchmark dispatcher: `npm run bench -- <name> [args]` runs one benchmark
 * (`vm`: interpreter vs JIT ns/insn; `repr`: 64-bit register representation
 * study; `btf`: BTF parse and C dump). Modules load lazily, so one broken
 * benchmark does not stop the others. Prints plain tables; writes no files.
 */
const benches: Record<string, (args: string[]) => Promise<void>> = {
  vm: async (a) => (await import('./vm')).benchVm(a),
  repr: async (a) => (await import('./repr')).benchRepr(a),
  btf: async (a) => (await import('./btf')).benchBtf(a),
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

/**
 * Benchmark dispatcher: `npm run bench -- <name> [args]` runs one benchmark
 * (`vm`: interpreter vs JIT ns/insn; `repr`: 64-bit register representation
 * study). Prints plain tables to stdout; no files are written.
 */
import { benchRepr } from './repr';
import { benchVm } from './vm';

const benches: Record<string, (args: string[]) => void | Promise<void>> = {
  vm: benchVm,
  repr: benchRepr,
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

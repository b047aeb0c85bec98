/**
 * `npm run bench -- [SUITE] [ARGS]`: runs one benchmark suite from
 * bench/suites.ts, or the default ones (vm, btf, verifier, bpftrace).
 */
import { BENCHES, runBench } from './suites';

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  if (!(await runBench(name, rest))) {
    console.log(`usage: npm run bench -- [${Object.keys(BENCHES).join('|')}] [args]`);
    process.exitCode = 1;
  }
}

void main();

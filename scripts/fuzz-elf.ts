// Runs the ELF/BPF-object fuzzer by hand: compiles the C fixtures of
// test/fixtures/elf with clang and mutates them. Usage:
//   node --import tsx scripts/fuzz-elf.ts [COUNT=50000] [SEED=1]
import { fuzzElf } from '../server/src/elf/fuzz';
import { buildFixtures } from '../test/fixtures/elf/build';

const count = Number(process.argv[2] ?? 50000);
const seed = Number(process.argv[3] ?? 1);
const built = buildFixtures();
if (built.skip) {
  console.log(`SKIP: ${built.skip}`);
  process.exit(0);
}
const heap0 = process.memoryUsage().heapUsed;
const rep = fuzzElf(built.fixtures.map((f) => f.bytes), { count, seed });
const heap1 = process.memoryUsage().heapUsed;
console.log(`seeds: ${built.fixtures.map((f) => `${f.name}.o (${f.bytes.length} B)`).join(', ')}`);
console.log(`cases ${rep.cases}  objects ${rep.objects}  rejected ${rep.rejected}  with diagnostics ${rep.withDiagnostics}`);
console.log(`total ${(rep.totalMs / 1000).toFixed(2)} s  mean ${(rep.totalMs / Math.max(1, rep.cases)).toFixed(3)} ms  max ${rep.maxMs.toFixed(1)} ms (${rep.slowest})  heap delta ${((heap1 - heap0) / 1048576).toFixed(1)} MB`);
console.log(`mutations: ${JSON.stringify(rep.byMutation)}`);
console.log(`failures: ${rep.failures.length}`);
for (const f of rep.failures.slice(0, 10)) console.log(`  case ${f.caseIndex} ${f.mutation}: ${f.error}`);
process.exit(rep.failures.length ? 1 : 0);

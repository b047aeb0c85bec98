/**
 * Interpreter-only speed: ns per executed instruction on the alu, mem and
 * branchy loops of bench/vm.ts (best of `runs` runs after a warm-up, so other
 * load on the machine inflates the figure less). Non-goal: the JIT (vm.ts).
 */
import { runInterp } from '../server/src/vm/interp';
import { BENCH_PROGRAMS } from './vm';

export function benchInterp(iters = 2_000_000, runs = 5): { name: string; nsPerInsn: number }[] {
  const out: { name: string; nsPerInsn: number }[] = [];
  for (const b of BENCH_PROGRAMS) {
    const p = b.build(iters);
    const opts = { budget: 2_000_000_000 };
    runInterp(p, {}, opts);
    let best = Infinity;
    for (let k = 0; k < runs; k++) {
      const t0 = process.hrtime.bigint();
      const r = runInterp(p, {}, opts);
      const dt = Number(process.hrtime.bigint() - t0);
      if (r.fault) throw new Error(`${b.name}: ${r.fault.message}`);
      best = Math.min(best, dt / r.steps);
    }
    out.push({ name: b.name, nsPerInsn: best });
  }
  return out;
}

/**
 * Interpreter-only speed: ns per executed instruction on the alu, mem and
 * branchy loops of bench/vm.ts, measured in process CPU time (best of `runs`
 * runs after a warm-up), so other load on the machine inflates the figure
 * less than wall time would. Non-goal: the JIT (vm.ts).
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
      const c0 = process.cpuUsage();
      const r = runInterp(p, {}, opts);
      const c = process.cpuUsage(c0);
      if (r.fault) throw new Error(`${b.name}: ${r.fault.message}`);
      best = Math.min(best, ((c.user + c.system) * 1000) / r.steps);
    }
    out.push({ name: b.name, nsPerInsn: best });
  }
  return out;
}

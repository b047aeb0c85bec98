/**
 * Interpreter vs JIT speed: ns per executed BPF instruction on three
 * 10-million-iteration loops (alu, mem, branchy), medians of >= 5 runs, plus the
 * JIT's compile time. Programs are built from the opcode table here (no
 * assembler dependency). Non-goal: helper-heavy workloads.
 */
import { Insn, layout, mkInsn } from '../server/src/isa/insn';
import { specFor } from '../server/src/isa/opcodes';
import { cpus, loadavg } from 'node:os';
import { compileJit } from '../server/src/vm/jit';
import type { RunResult, VmOptions } from '../server/src/vm/types';

function I(name: string, srcReg: boolean | undefined, f: Partial<Insn>): Insn {
  const s = specFor(name, srcReg);
  if (!s) throw new Error(`bench: no instruction ${name}`);
  return mkInsn(s, f);
}

const ITER = 10_000_000;

/** Loop body then `sub r1, 1; jne r1, 0, loop`; r1 = iteration count. */
function loop(setup: Insn[], body: Insn[], iters: number): Insn[] {
  const n = body.length + 2;
  const p = [
    I('mov', false, { dst: 1, imm: iters }),
    ...setup,
    ...body,
    I('sub', false, { dst: 1, imm: 1 }),
    I('jne', false, { dst: 1, imm: 0, off: -n }),
    I('exit', undefined, {}),
  ];
  layout(p);
  return p;
}

export const BENCH_PROGRAMS: { name: string; perIter: number; build: (iters: number) => Insn[] }[] = [
  {
    name: 'alu', perIter: 6,
    build: (n) => loop([I('mov', false, { dst: 0, imm: 0 }), I('mov', false, { dst: 2, imm: 0x1234567 })], [
      I('add', true, { dst: 0, src: 2 }),
      I('xor', true, { dst: 2, src: 0 }),
      I('lsh', false, { dst: 2, imm: 3 }),
      I('rsh', false, { dst: 0, imm: 1 }),
    ], n),
  },
  {
    name: 'mem', perIter: 5,
    build: (n) => loop([I('mov', false, { dst: 0, imm: 0 }), I('stdw', false, { dst: 10, off: -8, imm: 0 })], [
      I('ldxdw', true, { dst: 2, src: 10, off: -8 }),
      I('add', true, { dst: 2, src: 1 }),
      I('stxdw', true, { dst: 10, src: 2, off: -8 }),
    ], n),
  },
  {
    name: 'branchy', perIter: 13,
    build: (n) => loop([I('mov', false, { dst: 0, imm: 0 }), I('mov', false, { dst: 2, imm: 0x2545f491 })], [
      I('mov', true, { dst: 3, src: 2 }), I('lsh', false, { dst: 3, imm: 13 }), I('xor', true, { dst: 2, src: 3 }),
      I('mov', true, { dst: 3, src: 2 }), I('rsh', false, { dst: 3, imm: 7 }), I('xor', true, { dst: 2, src: 3 }),
      I('mov', true, { dst: 3, src: 2 }), I('lsh', false, { dst: 3, imm: 17 }), I('xor', true, { dst: 2, src: 3 }),
      I('jset', false, { dst: 2, imm: 1, off: 1 }),
      I('add', false, { dst: 0, imm: 1 }),
    ], n),
  },
];

type Engine = { name: string; prepare: (p: Insn[], o: VmOptions) => () => RunResult };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function engines(): Promise<Engine[]> {
  const out: Engine[] = [];
  try {
    const interp = (await import('../server/src/vm/interp')) as { runInterp?: (p: Insn[], a?: object, o?: VmOptions) => RunResult };
    const runInterp = interp.runInterp;
    if (runInterp) out.push({ name: 'interp', prepare: (p, o) => () => runInterp(p, {}, o) });
  } catch {
    console.log('SKIP: interpreter (server/src/vm/interp.ts) not available');
  }
  out.push({
    name: 'jit', prepare: (p, o) => {
      const j = compileJit(p, o);
      if ('error' in j) throw new Error(j.error);
      return () => j.run({});
    },
  });
  return out;
}

interface Figures { first: number; wall: number; cpu: number; r0: bigint | undefined }

/** One engine on one program: a first (cold) run, then `runs` timed runs; ns per executed instruction. */
function measure(fn: () => RunResult, runs: number, label: string): Figures {
  const once = (): { wall: number; cpu: number; r: RunResult } => {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const r = fn();
    const wall = Number(process.hrtime.bigint() - t0);
    const c = process.cpuUsage(c0);
    if (r.fault) throw new Error(`${label}: ${r.fault.message}`);
    return { wall: wall / r.steps, cpu: ((c.user + c.system) * 1000) / r.steps, r };
  };
  // The first run of a compiled program executes in on-stack-replaced code; later runs in the fully optimized function.
  const first = once();
  const walls: number[] = [], cpus: number[] = [];
  for (let k = 0; k < runs; k++) {
    const x = once();
    walls.push(x.wall);
    cpus.push(x.cpu);
  }
  if (process.env.BENCH_VERBOSE) console.log(label, walls.map((x) => x.toFixed(2)).join(' '));
  return { first: first.wall, wall: median(walls), cpu: median(cpus), r0: first.r.r0 };
}

export async function benchVm(args: string[]): Promise<void> {
  const runs = Math.max(5, Number(args[0] ?? 5));
  const iters = Number(args[1] ?? ITER);
  const opts: VmOptions = { budget: 2_000_000_000 };
  const es = await engines();
  const load = loadavg()[0];
  console.log(`vm benchmark: ${iters} iterations per loop; ns per executed BPF instruction, median of ${runs} runs after a first run`);
  console.log(`(wall = elapsed time, cpu = this process's CPU time; 1-minute load average ${load.toFixed(2)} on ${cpus().length} CPUs)`);
  const head = es.map((e) => e.name === 'jit' ? `${'jit wall'.padStart(9)} ${'jit cpu'.padStart(8)} ${'jit 1st'.padStart(8)}` : `${(e.name + ' wall').padStart(12)} ${(e.name + ' cpu').padStart(11)}`);
  console.log(`${'loop'.padEnd(8)} ${'insns/iter'.padStart(10)} ${head.join(' ')}  speedup`);
  const compile: number[] = [];
  for (const b of BENCH_PROGRAMS) {
    const prog = b.build(iters);
    const cells: string[] = [];
    const figs = new Map<string, Figures>();
    for (const e of es) {
      const f = measure(e.prepare(prog, opts), runs, `${e.name} ${b.name}`);
      figs.set(e.name, f);
      cells.push(e.name === 'jit'
        ? `${f.wall.toFixed(3).padStart(9)} ${f.cpu.toFixed(3).padStart(8)} ${f.first.toFixed(3).padStart(8)}`
        : `${f.wall.toFixed(3).padStart(12)} ${f.cpu.toFixed(3).padStart(11)}`);
    }
    for (let k = 0; k < runs; k++) {
      const j = compileJit(prog, opts);
      if (!('error' in j)) compile.push(j.compileMs);
    }
    const i = figs.get('interp'), j = figs.get('jit');
    const speedup = i && j ? `${(i.wall / j.wall).toFixed(1)}x` : '-';
    const agree = i && j ? (i.r0 === j.r0 ? '' : `  r0 DIFFERS: interp ${i.r0} jit ${j.r0}`) : '';
    console.log(`${b.name.padEnd(8)} ${String(b.perIter).padStart(10)} ${cells.join(' ')}  ${speedup.padStart(7)}${agree}`);
  }
  console.log(`jit compile time (median of ${compile.length} compiles of these programs): ${median(compile).toFixed(3)} ms`);
}

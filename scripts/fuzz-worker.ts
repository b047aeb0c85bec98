/**
 * The main side of a fuzz run in a worker thread (scripts/fuzz-verifier.ts,
 * scripts/fuzz-bpftrace.ts): starts the driver file's worker side on cases
 * [from, to) with a shared progress counter (the case it is running), passes
 * its messages on, and ends it when one case has used `cpuMs` of CPU time
 * (the process's: the main thread only waits; CPU, so a loaded machine does
 * not turn slow cases into hangs) or `wallMs` of wall time.
 */
import { Worker } from 'node:worker_threads';

export type WorkerEnd = { kind: 'done' } | { kind: 'hung'; at: number } | { kind: 'died'; at: number; error: Error };

export interface FuzzWorkerLimits { cpuMs: number; wallMs: number; pollMs: number }

/**
 * Runs `file` (a .ts module whose worker side reads workerData.progress and
 * stores the current case there) with workerData = data + { from, progress }.
 */
export function runFuzzWorker<M>(file: string, data: object, from: number, onMessage: (m: M) => void, limits: FuzzWorkerLimits): Promise<WorkerEnd> {
  const progress = new SharedArrayBuffer(4);
  const cur = new Int32Array(progress);
  Atomics.store(cur, 0, from);
  // An eval'd CommonJS bootstrap registers tsx's require hook, so the worker can load the .ts file.
  const boot = `require('tsx/cjs'); require(${JSON.stringify(file)});`;
  const w = new Worker(boot, { eval: true, workerData: { ...data, from, progress } });
  return new Promise<WorkerEnd>((resolve) => {
    let seen = -1;
    let since = Date.now();
    let cpuSince = process.cpuUsage();
    const timer = setInterval(() => {
      const now = Atomics.load(cur, 0);
      if (now !== seen) { seen = now; since = Date.now(); cpuSince = process.cpuUsage(); return; }
      const c = process.cpuUsage(cpuSince);
      if ((c.user + c.system) / 1000 > limits.cpuMs || Date.now() - since > limits.wallMs) {
        clearInterval(timer);
        void w.terminate();
        resolve({ kind: 'hung', at: now });
      }
    }, limits.pollMs);
    w.on('message', onMessage);
    w.on('error', (error) => { clearInterval(timer); resolve({ kind: 'died', at: Atomics.load(cur, 0), error }); });
    w.on('exit', () => { clearInterval(timer); resolve({ kind: 'done' }); });
  });
}

/**
 * Runs the embedded verifier off the language server's request path: one
 * worker thread per document being verified (plus one kept warm), so hovers
 * and completions never wait for it. A newer request for the same document
 * cancels the running one by terminating its thread (a synchronous verifier
 * cannot be interrupted any other way). Non-goal: queuing or prioritising
 * across documents; each document verifies independently.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AsmVerification } from '../ide/asm-verify';
import { VERIFIER_WORKER, type VerifyJob, type VerifyReply, type VerifyRequest, type WarmMessage } from './verifier-worker';

export type VerifyOutcome = { status: 'done'; result: AsmVerification } | { status: 'cancelled' } | { status: 'failed'; error: string };

interface Running { worker: Worker; id: number; finish: (o: VerifyOutcome) => void }

/** The bundle a worker runs: the language server's own (dist/server.js), also when the server was started from dist/cli.js. */
function workerScript(): string {
  const here = __filename;
  if (basename(here) === 'server.js') return here;
  const sibling = join(__dirname, 'server.js');
  return existsSync(sibling) ? sibling : join(__dirname, 'main.ts');
}

export class VerifierHost {
  private readonly running = new Map<string, Running>();
  private spare: Worker | undefined;
  private nextId = 1;
  private readonly script = workerScript();
  /** Set once a bpftrace script was verified: new threads load the kernel data before their first job. */
  private warmBpftrace = false;

  constructor(private readonly log: (message: string) => void) {}

  private spawn(): Worker {
    const w = new Worker(this.script, { workerData: { role: VERIFIER_WORKER }, execArgv: this.script.endsWith('.ts') ? process.execArgv : [] });
    w.unref();
    if (this.warmBpftrace) w.postMessage({ warm: 'bpftrace' } satisfies WarmMessage);
    return w;
  }

  /** A warm worker for the next request (started in the background). */
  private take(): Worker {
    const w = this.spare ?? this.spawn();
    this.spare = undefined;
    return w;
  }

  private keepWarm(): void {
    if (!this.spare) this.spare = this.spawn();
  }

  /** Verifies a document for `uri`; a running verification of the same document is cancelled first. */
  verify(uri: string, request: VerifyRequest): Promise<VerifyOutcome> {
    this.cancel(uri);
    if (request.bpftrace && !this.warmBpftrace) {
      this.warmBpftrace = true;
      this.spare?.postMessage({ warm: 'bpftrace' } satisfies WarmMessage);
    }
    const worker = this.take();
    const id = this.nextId++;
    return new Promise<VerifyOutcome>((resolve) => {
      let settled = false;
      const finish = (o: VerifyOutcome): void => {
        if (settled) return;
        settled = true;
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (this.running.get(uri)?.id === id) this.running.delete(uri);
        resolve(o);
      };
      const onMessage = (m: VerifyReply): void => {
        if (m.id !== id) return;
        finish('result' in m ? { status: 'done', result: m.result } : { status: 'failed', error: m.error });
        // Back to the pool (or ended when one is already warm).
        if (!this.spare) this.spare = worker;
        else void worker.terminate();
      };
      const onError = (e: Error): void => { this.log(`verifier worker: ${e.stack ?? e.message}`); finish({ status: 'failed', error: e.message }); };
      const onExit = (): void => finish({ status: 'cancelled' });
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      this.running.set(uri, { worker, id, finish });
      const job: VerifyJob = { ...request, id };
      worker.postMessage(job);
    });
  }

  /** Stops the verification running for `uri`, if any (its promise resolves as cancelled). */
  cancel(uri: string): boolean {
    const r = this.running.get(uri);
    if (!r) return false;
    this.running.delete(uri);
    r.finish({ status: 'cancelled' });
    void r.worker.terminate();
    this.keepWarm();
    return true;
  }

  isRunning(uri: string): boolean {
    return this.running.has(uri);
  }

  dispose(): void {
    for (const uri of [...this.running.keys()]) this.cancel(uri);
    void this.spare?.terminate();
    this.spare = undefined;
  }
}

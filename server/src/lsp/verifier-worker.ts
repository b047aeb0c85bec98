/**
 * The verifier's worker thread: receives a document's text and options,
 * assembles and verifies it (ide/asm-verify.ts) or, for a bpftrace script,
 * compiles it and verifies each program (ide/bpftrace-verify.ts, with the
 * host's kernel data loaded once per thread), and posts the result back.
 * It runs in the same bundle as the server (lsp/main.ts picks the role from
 * workerData). Non-goal: cancellation; the host terminates the thread.
 */
import { parentPort } from 'node:worker_threads';
import { type AsmVerification, type AsmVerifyOptions, verifyAsm } from '../ide/asm-verify';
import { verifyBpftrace } from '../ide/bpftrace-verify';
import { kernelInfo } from '../host/kernel-info';

/** workerData.role of a verifier thread. */
export const VERIFIER_WORKER = 'bpfstudio-verifier';

/** What to verify: a bpf-asm document (the default) or a bpftrace script for a target version. */
export type VerifyRequest = { text: string; opts: AsmVerifyOptions; bpftrace?: undefined } | { text: string; bpftrace: { target: string } };
export type VerifyJob = VerifyRequest & { id: number };
/** Sent to a fresh thread expected to verify bpftrace soon: load the kernel data now, while it waits. */
export interface WarmMessage { warm: 'bpftrace' }
export type VerifyReply = { id: number; result: AsmVerification } | { id: number; error: string };

export function runVerifierWorker(): void {
  const port = parentPort;
  if (!port) return;
  port.on('message', (job: VerifyJob | WarmMessage) => {
    if ('warm' in job) {
      kernelInfo();
      return;
    }
    let reply: VerifyReply;
    try {
      const result = job.bpftrace ? verifyBpftrace(job.text, kernelInfo(), job.bpftrace) : verifyAsm(job.text, job.opts);
      reply = { id: job.id, result };
    } catch (e) {
      reply = { id: job.id, error: e instanceof Error ? e.stack ?? e.message : String(e) };
    }
    port.postMessage(reply);
  });
}

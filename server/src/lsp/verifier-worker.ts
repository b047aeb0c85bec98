/**
 * The verifier's worker thread: receives a document's text and options,
 * assembles and verifies it (ide/asm-verify.ts) and posts the result back.
 * It runs in the same bundle as the server (lsp/main.ts picks the role from
 * workerData). Non-goal: cancellation; the host terminates the thread.
 */
import { parentPort } from 'node:worker_threads';
import { type AsmVerification, type AsmVerifyOptions, verifyAsm } from '../ide/asm-verify';

/** workerData.role of a verifier thread. */
export const VERIFIER_WORKER = 'bpfstudio-verifier';

export interface VerifyJob { id: number; text: string; opts: AsmVerifyOptions }
export type VerifyReply = { id: number; result: AsmVerification } | { id: number; error: string };

export function runVerifierWorker(): void {
  const port = parentPort;
  if (!port) return;
  port.on('message', (job: VerifyJob) => {
    let reply: VerifyReply;
    try {
      reply = { id: job.id, result: verifyAsm(job.text, job.opts) };
    } catch (e) {
      reply = { id: job.id, error: e instanceof Error ? e.stack ?? e.message : String(e) };
    }
    port.postMessage(reply);
  });
}

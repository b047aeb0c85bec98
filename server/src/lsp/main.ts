// Bundle entry point of the language server (dist/server.js): stdio by default, IPC when started by the VS Code client.
// The same bundle runs the verifier's worker threads (workerData.role, see verifier-worker.ts).
import { isMainThread, workerData } from 'node:worker_threads';
import { startServer } from './server';
import { runVerifierWorker, VERIFIER_WORKER } from './verifier-worker';

if (!isMainThread && (workerData as { role?: unknown } | null)?.role === VERIFIER_WORKER) runVerifierWorker();
else startServer();

/**
 * Custom requests between the BPF Studio client and language server, declared
 * once and imported by both sides. Values that can exceed 2^53 travel as
 * strings. Non-goal: anything the standard LSP already covers.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';

export interface DocumentParams {
  /** The document's URI, as in textDocument/didOpen. */
  uri: string;
}

export interface AssembleResult {
  /** Assembler errors as `line:col: message` (1-based). */
  errors: string[];
  slots: number;
  /** One line per instruction: slot, bytes, text. */
  listing: string[];
}

export interface RunParams extends DocumentParams {
  /** Input memory as hex bytes; r1 points at it, r2 holds its length. */
  mem?: string;
  /** Maximum executed instructions. */
  budget?: number;
}

export interface RunResult {
  errors: string[];
  /** r0 at exit formatted as `0x2a (42)`, when the program exited. */
  r0?: string;
  fault?: string;
  steps: number;
  output: string[];
}

/** Assemble the document and return its listing. */
export const AssembleRequest = new RequestType<DocumentParams, AssembleResult, void>('bpfstudio/assemble');

/** Run the document on the interpreter to completion. */
export const RunRequest = new RequestType<RunParams, RunResult, void>('bpfstudio/run');

export interface VerifierStatusParams extends DocumentParams {
  version: number;
  /** running: started off the request path; done: diagnostics published; cancelled: a newer edit (or close) stopped it; skipped: the document does not assemble (bpf-asm) or has errors of its own (bpftrace), or the verifier is off. */
  state: 'running' | 'done' | 'cancelled' | 'skipped';
  verdict?: 'accept' | 'reject';
  /** Instructions the verifier processed. */
  processed?: number;
  ms?: number;
}

/** Server to client: progress of the embedded verifier on a bpf-asm or bpftrace document. */
export const VerifierStatusNotification = new NotificationType<VerifierStatusParams>('bpfstudio/verifierStatus');

/**
 * Per-document verification state of the language server: starts the
 * verifier for each new version of a bpf-asm or bpftrace document (after a
 * short pause in typing), keeps the latest result for hovers, republishes the document's
 * diagnostics with the verifier's added, and tells the client what happened
 * (bpfstudio/verifierStatus). Stale results are dropped: a result is used only
 * while its document version is current. Non-goal: any analysis of its own.
 */
import type { Connection, Diagnostic } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { stateHover, type AsmVerification } from '../ide/asm-verify';
import { bpftraceStateHover, type BpftraceVerification } from '../ide/bpftrace-verify';
import type { AsmResult } from '../asm';
import { toVerifierDiagnostic } from './convert';
import { VerifierStatusNotification } from './protocol';
import { VerifierHost } from './verifier-host';
import type { VerifyRequest } from './verifier-worker';
import type { DocSettings } from './workspace';

/** Quiet time after an edit before verification starts (a newer edit restarts it). */
const DEBOUNCE_MS = 60;

export class DocumentVerifier {
  private readonly host: VerifierHost;
  private readonly latest = new Map<string, { version: number; result: AsmVerification }>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** The version each document's running (or scheduled) verification is for. */
  private readonly pending = new Map<string, number>();

  constructor(private readonly connection: Connection, private readonly current: (uri: string) => TextDocument | undefined) {
    this.host = new VerifierHost((m) => connection.console.error(m));
  }

  /** The verification of exactly this version, if finished. */
  resultFor(uri: string, version: number): AsmVerification | undefined {
    const l = this.latest.get(uri);
    return l && l.version === version ? l.result : undefined;
  }

  /** Verifier diagnostics of this version (empty while it runs or when stale). */
  diagnosticsFor(doc: TextDocument): Diagnostic[] {
    const r = this.resultFor(doc.uri, doc.version);
    return r ? r.diagnostics.map((d) => toVerifierDiagnostic(d, doc.uri)) : [];
  }

  /** Hover text for the instruction on `line`, from this version's verification. */
  hover(doc: TextDocument, asm: AsmResult, line: number): string | undefined {
    const r = this.resultFor(doc.uri, doc.version);
    const k = asm.lines.indexOf(line);
    return r && k >= 0 ? stateHover(r, asm.insns[k].pc) : undefined;
  }

  /** Hover text for a bpftrace document at `offset`: the states after the script range there, from this version's verification. */
  bpftraceHover(doc: TextDocument, offset: number): string | undefined {
    const r = this.resultFor(doc.uri, doc.version) as Partial<BpftraceVerification> | undefined;
    return r?.spots ? bpftraceStateHover(r as BpftraceVerification, offset) : undefined;
  }

  /**
   * Schedules verification of `doc` (cancelling the document's running one). `publish` sends the
   * document's own diagnostics plus the given verifier ones. `broken`: the document has errors of
   * its own (nothing to verify).
   */
  schedule(doc: TextDocument, broken: boolean, settings: DocSettings, publish: (extra: Diagnostic[]) => Promise<void>): void {
    const { uri, version } = doc;
    if (this.resultFor(uri, version)) return; // this version is verified already
    this.stop(uri);
    if (!settings.verifierEnabled || broken) {
      void this.status({ uri, version, state: 'skipped' });
      return;
    }
    this.pending.set(uri, version);
    this.timers.set(uri, setTimeout(() => {
      this.timers.delete(uri);
      void this.run(doc, settings, publish);
    }, DEBOUNCE_MS));
  }

  private async run(doc: TextDocument, settings: DocSettings, publish: (extra: Diagnostic[]) => Promise<void>): Promise<void> {
    const { uri, version } = doc;
    const request: VerifyRequest = doc.languageId === 'bpftrace'
      ? { text: doc.getText(), bpftrace: { target: settings.bpftraceTarget } }
      : { text: doc.getText(), opts: { programType: settings.verifierProgramType, privileged: settings.verifierPrivileged, syntax: settings.asmSyntax } };
    const job = this.host.verify(uri, request);
    await this.status({ uri, version, state: 'running' });
    const o = await job;
    if (this.pending.get(uri) === version) this.pending.delete(uri);
    const live = this.current(uri);
    if (o.status !== 'done' || !live || live.version !== version) {
      if (o.status === 'failed') this.connection.console.error(`verifier failed on ${uri}: ${o.error}`);
      await this.status({ uri, version, state: 'cancelled' });
      return;
    }
    this.latest.set(uri, { version, result: o.result });
    await publish(this.diagnosticsFor(live));
    await this.status({
      uri, version, state: o.result.verdict === 'skipped' ? 'skipped' : 'done', processed: o.result.processed, ms: o.result.ms,
      ...(o.result.verdict !== 'skipped' ? { verdict: o.result.verdict } : {}),
    });
  }

  private status(p: { uri: string; version: number; state: 'running' | 'done' | 'cancelled' | 'skipped'; verdict?: 'accept' | 'reject'; processed?: number; ms?: number }): Promise<void> {
    return this.connection.sendNotification(VerifierStatusNotification, p);
  }

  /** Cancels what runs or waits for `uri`. */
  private stop(uri: string): void {
    const t = this.timers.get(uri);
    if (t) { clearTimeout(t); this.timers.delete(uri); }
    const was = this.pending.get(uri);
    this.pending.delete(uri);
    // A scheduled-but-not-started run is cancelled silently; a running one reports through its promise.
    if (!this.host.cancel(uri) && was !== undefined && t) void this.status({ uri, version: was, state: 'cancelled' });
  }

  closed(uri: string): void {
    this.stop(uri);
    this.latest.delete(uri);
  }

  /** Settings changed: every result may be wrong now. */
  reset(): void {
    this.latest.clear();
  }

  dispose(): void {
    this.host.dispose();
  }
}

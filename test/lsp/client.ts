/**
 * Test support: a minimal LSP client over a child process's stdio, built on
 * vscode-jsonrpc, that records every publishDiagnostics and lets a test wait
 * for the one it expects (an event, never a sleep).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

export interface Pos { line: number; character: number }
export interface Diag { range: { start: Pos; end: Pos }; message: string; severity?: number; source?: string }
export interface Published { uri: string; version?: number; diagnostics: Diag[] }

export class LspTestClient {
  readonly conn: MessageConnection;
  private readonly child: ChildProcess;
  private readonly published: Published[] = [];
  private waiters: Array<() => void> = [];
  stderr = '';
  /** Set when the server process ended. */
  exit: string | undefined;

  /** `settings` answers workspace/configuration for a document (its scopeUri); tests may swap it. */
  constructor(command: string, args: string[], public settings: (scopeUri: string | undefined) => unknown) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d) => { this.stderr += String(d); });
    this.child.on('exit', (code, signal) => {
      this.exit = `server exited (code ${code}, signal ${signal})`;
      for (const w of this.waiters) w();
    });
    this.conn = createMessageConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    this.conn.onNotification('textDocument/publishDiagnostics', (p: Published) => {
      this.published.push(p);
      for (const w of this.waiters) w();
    });
    this.conn.onRequest('workspace/configuration', (p: { items: Array<{ scopeUri?: string }> }) => p.items.map((i) => this.settings(i.scopeUri)));
    this.conn.onRequest('client/registerCapability', () => null);
    this.conn.listen();
  }

  async initialize(): Promise<{ capabilities: Record<string, unknown> }> {
    const r = await this.conn.sendRequest<{ capabilities: Record<string, unknown> }>('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: { workspace: { configuration: true }, textDocument: { hover: { contentFormat: ['markdown', 'plaintext'] } } },
    });
    await this.conn.sendNotification('initialized', {});
    return r;
  }

  /** Resolves with the first diagnostics for `uri` (published so far or later) that satisfy `pred`. */
  diagnostics(uri: string, pred: (p: Published) => boolean, timeoutMs = 10_000): Promise<Published> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.published.find((p) => p.uri === uri && pred(p));
        if (!hit) return false;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        clearTimeout(timer);
        resolve(hit);
        return true;
      };
      const waiter = (): void => {
        if (check() || !this.exit) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        clearTimeout(timer);
        reject(new Error(`${this.exit} before the expected diagnostics for ${uri}; stderr: ${this.stderr}`));
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching diagnostics for ${uri} within ${timeoutMs} ms; got ${JSON.stringify(this.published)}; stderr: ${this.stderr}`));
      }, timeoutMs);
      if (!check()) {
        this.waiters.push(waiter);
        waiter();
      }
    });
  }

  async shutdown(): Promise<void> {
    if (this.exit) return void this.conn.dispose();
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    try {
      await this.conn.sendRequest('shutdown');
      await this.conn.sendNotification('exit');
    } catch { /* the server may already be gone */ }
    const t = setTimeout(() => this.child.kill(), 3000);
    await exited;
    clearTimeout(t);
    this.conn.dispose();
  }
}

/** The 0-based position of the first occurrence of `needle` in `text` (the test fails if absent). */
export function positionOf(text: string, needle: string, from = 0): Pos {
  const i = text.indexOf(needle, from);
  if (i < 0) throw new Error(`"${needle}" not in the test document`);
  const before = text.slice(0, i);
  const line = before.split('\n').length - 1;
  return { line, character: i - (before.lastIndexOf('\n') + 1) };
}

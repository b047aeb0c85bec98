/**
 * Extension tests that run INSIDE a real VS Code extension host (code-server),
 * bundled by vscode.test.ts and loaded as the extensionTestsPath module. No
 * mocha: a tiny sequential runner; a failed check rejects `run()`, which makes
 * the workbench exit non-zero. Events are awaited, never slept on.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';

type Check = [string, () => Promise<void>];

function folder(): vscode.WorkspaceFolder {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'the test workspace is open');
  return f;
}

function fileUri(name: string): vscode.Uri {
  return vscode.Uri.file(path.join(folder().uri.fsPath, name));
}

/** Resolves with the first value `probe` returns that is not undefined, re-probing on each `event`. */
function when<T>(event: vscode.Event<unknown>, probe: () => T | undefined, what: string, ms = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const now = probe();
    if (now !== undefined) return resolve(now);
    const timer = setTimeout(() => { sub.dispose(); reject(new Error(`timed out waiting for ${what}`)); }, ms);
    const sub = event(() => {
      const v = probe();
      if (v === undefined) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(v);
    });
  });
}

/** The DAP output and stopped events of bpf sessions, seen through a tracker; `dapEvent` fires on each. */
const dapOutput: string[] = [];
const dapStops: string[] = [];
const dapEvents = new vscode.EventEmitter<void>();
const dapEvent = dapEvents.event;

const checks: Check[] = [
  ['a .bpf.s file opens as bpf-asm and activates the extension', async () => {
    const doc = await vscode.workspace.openTextDocument(fileUri('broken.bpf.s'));
    await vscode.window.showTextDocument(doc);
    assert.equal(doc.languageId, 'bpf-asm');
    const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'bpf-studio');
    assert.ok(ext, 'the extension under development is loaded');
    await ext.activate(); // resolves once activation (triggered by onLanguage:bpf-asm) has finished
    assert.ok(ext.isActive);
  }],

  ['assembler errors appear as diagnostics from the language server', async () => {
    const uri = fileUri('broken.bpf.s');
    const diags = await when(vscode.languages.onDidChangeDiagnostics, () => {
      const d = vscode.languages.getDiagnostics(uri);
      return d.length >= 2 ? d : undefined;
    }, 'diagnostics of broken.bpf.s');
    const text = (await vscode.workspace.openTextDocument(uri)).getText();
    const frobLine = text.split('\n').findIndex((l) => l.includes('frobnicate'));
    assert.ok(diags.some((d) => d.range.start.line === frobLine && d.severity === vscode.DiagnosticSeverity.Error), JSON.stringify(diags));
  }],

  ['hover on an instruction shows its documentation', async () => {
    const uri = fileUri('sum.bpf.s');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const text = doc.getText();
    const off = text.indexOf('exit', text.search(/^\s*exit\s*$/m)); // the instruction, not the word in the header comment
    // The server may still be starting on this document: ask until a hover arrives.
    let value = '';
    for (let i = 0; i < 50 && !value; i++) {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, doc.positionAt(off));
      value = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : '')).join('\n');
      if (!value) await new Promise<void>((r) => setImmediate(r));
    }
    assert.match(value, /exit/);
    assert.match(value, /return r0/);
  }],

  ['the Run and Assemble commands answer through the language server', async () => {
    const doc = await vscode.workspace.openTextDocument(fileUri('sum.bpf.s'));
    await vscode.window.showTextDocument(doc);
    const run = await vscode.commands.executeCommand<{ r0?: string; errors: string[] }>('bpfstudio.run');
    assert.deepEqual(run?.errors, []);
    assert.equal(run?.r0, '0x13 (19)');
    const asm = await vscode.commands.executeCommand<{ slots: number; listing: string[] }>('bpfstudio.assemble');
    assert.equal(asm?.slots, 8);
    assert.match(asm?.listing[0] ?? '', /b7 01 00 00 07 00 00 00/);
  }],

  ['the bpf debugger runs a file from a launch configuration and prints r0', async () => {
    dapOutput.length = 0;
    const ended = new Promise<void>((r) => { const s = vscode.debug.onDidTerminateDebugSession(() => { s.dispose(); r(); }); });
    const ok = await vscode.debug.startDebugging(folder(), {
      type: 'bpf', request: 'launch', name: 'e2e', program: fileUri('sum.bpf.s').fsPath, stopOnEntry: false,
    });
    assert.ok(ok, 'startDebugging');
    await ended;
    assert.match(dapOutput.join(''), /r0 = 0x13 \(19\)/);
  }],

  ['F5 without launch.json debugs the active .bpf.s file (stop on entry)', async () => {
    dapStops.length = 0;
    const doc = await vscode.workspace.openTextDocument(fileUri('sum.bpf.s'));
    await vscode.window.showTextDocument(doc);
    const started = new Promise<vscode.DebugSession>((r) => { const s = vscode.debug.onDidStartDebugSession((x) => { s.dispose(); r(x); }); });
    await vscode.commands.executeCommand('workbench.action.debug.start');
    const session = await started;
    assert.equal(session.type, 'bpf');
    assert.equal(session.configuration.program, doc.uri.fsPath);
    await when(dapEvent, () => (dapStops.includes('entry') ? true : undefined), 'the stop on entry');
    const ended = new Promise<void>((r) => { const s = vscode.debug.onDidTerminateDebugSession(() => { s.dispose(); r(); }); });
    await vscode.debug.stopDebugging(session);
    await ended;
  }],
];

export async function run(): Promise<void> {
  vscode.debug.registerDebugAdapterTrackerFactory('bpf', {
    createDebugAdapterTracker: () => ({
      onDidSendMessage: (m: { type?: string; event?: string; body?: { output?: string; reason?: string } }) => {
        if (m.type === 'event' && m.event === 'output' && m.body?.output) dapOutput.push(m.body.output);
        if (m.type === 'event' && m.event === 'stopped' && m.body?.reason) dapStops.push(m.body.reason);
        dapEvents.fire();
      },
    }),
  });
  let failed = 0;
  for (const [name, fn] of checks) {
    const t0 = Date.now();
    try {
      await fn();
      console.log(`  ✔ ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed++;
      console.error(`  ✘ ${name}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
  }
  console.log(`e2e: ${checks.length - failed} passed, ${failed} failed`);
  if (failed) throw new Error(`${failed} of ${checks.length} e2e checks failed`);
}

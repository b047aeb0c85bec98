/**
 * The BPF Studio VS Code extension: a thin client. It starts the language
 * server (dist/server.js), registers the `bpf` debugger (dist/debug.js run
 * with node) and the Assemble/Run commands, which ask the server through the
 * custom requests of server/src/lsp/protocol.ts. No BPF logic lives here.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import { AssembleRequest, AssembleResult, RunRequest, RunResult } from '../../server/src/lsp/protocol';

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

const SELECTOR = [
  { scheme: 'file', language: 'bpf-asm' },
  { scheme: 'untitled', language: 'bpf-asm' },
  { scheme: 'file', language: 'bpftrace' },
  { scheme: 'untitled', language: 'bpftrace' },
];

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('BPF Studio');
  context.subscriptions.push(output);

  const serverLog = vscode.window.createOutputChannel('BPF Studio Language Server', { log: true });
  context.subscriptions.push(serverLog);
  const serverJs = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverJs, transport: TransportKind.ipc },
    debug: { module: serverJs, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: SELECTOR,
    synchronize: { configurationSection: 'bpfstudio' },
    outputChannel: serverLog,
  };
  client = new LanguageClient('bpfstudio', 'BPF Studio Language Server', serverOptions, clientOptions);

  const debugJs = context.asAbsolutePath(path.join('dist', 'debug.js'));
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory('bpf', new BpfAdapterFactory(debugJs)),
    vscode.debug.registerDebugConfigurationProvider('bpf', new BpfConfigurationProvider()),
    vscode.debug.registerDebugConfigurationProvider('bpf', { provideDebugConfigurations: currentFileConfigurations }, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.commands.registerCommand('bpfstudio.assemble', assembleCommand),
    vscode.commands.registerCommand('bpfstudio.run', runCommand),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

/**
 * Runs dist/debug.js with the extension host's own runtime: node in code-server,
 * Electron in desktop VS Code (ELECTRON_RUN_AS_NODE makes it behave as node).
 */
class BpfAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly debugJs: string) {}
  createDebugAdapterDescriptor(): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    return new vscode.DebugAdapterExecutable(process.execPath, [this.debugJs], { env: { ELECTRON_RUN_AS_NODE: '1' } });
  }
}

function activeAsmEditor(): vscode.TextEditor | undefined {
  const e = vscode.window.activeTextEditor;
  return e && e.document.languageId === 'bpf-asm' ? e : undefined;
}

function currentFileConfigurations(): vscode.DebugConfiguration[] {
  return [{ type: 'bpf', request: 'launch', name: 'Run current BPF file on the VM', program: '${file}', stopOnEntry: true }];
}

/** F5 without launch.json: debug the open .bpf.s file. */
class BpfConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.ProviderResult<vscode.DebugConfiguration[]> {
    return currentFileConfigurations();
  }

  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.ProviderResult<vscode.DebugConfiguration> {
    if (!config.type && !config.request && !config.name) {
      const e = activeAsmEditor();
      if (e) {
        config.type = 'bpf';
        config.request = 'launch';
        config.name = 'Run current BPF file on the VM';
        config.program = '${file}';
        config.stopOnEntry = true;
      }
    }
    if (!config.program) {
      void vscode.window.showErrorMessage('BPF Studio: open a BPF assembly file (.bpf.s) or set "program" in launch.json.');
      return undefined;
    }
    const settings = vscode.workspace.getConfiguration('bpfstudio', activeAsmEditor()?.document.uri);
    if (config.budget === undefined) config.budget = settings.get<number>('vm.budget');
    if (config.syntax === undefined) config.syntax = settings.get<string>('asm.syntax');
    return config;
  }
}

/** Assembles the active file into the output channel; returns the result (for tests and other extensions). */
async function assembleCommand(): Promise<AssembleResult | undefined> {
  const e = activeAsmEditor();
  if (!e || !client || !output) return void vscode.window.showWarningMessage('BPF Studio: no BPF assembly file is active.');
  const r = await client.sendRequest(AssembleRequest, { uri: e.document.uri.toString() });
  output.appendLine(`--- assemble ${vscode.workspace.asRelativePath(e.document.uri)}: ${r.slots} slots`);
  for (const err of r.errors) output.appendLine(`error ${err}`);
  for (const l of r.listing) output.appendLine(l);
  output.show(true);
  return r;
}

/** Runs the active file on the VM, printing r0 to the output channel; returns the result. */
async function runCommand(): Promise<RunResult | undefined> {
  const e = activeAsmEditor();
  if (!e || !client || !output) return void vscode.window.showWarningMessage('BPF Studio: no BPF assembly file is active.');
  const budget = vscode.workspace.getConfiguration('bpfstudio', e.document.uri).get<number>('vm.budget');
  const r = await client.sendRequest(RunRequest, { uri: e.document.uri.toString(), ...(budget ? { budget } : {}) });
  output.appendLine(`--- run ${vscode.workspace.asRelativePath(e.document.uri)}`);
  for (const err of r.errors) output.appendLine(`error ${err}`);
  for (const l of r.output) output.appendLine(l);
  if (r.fault) output.appendLine(r.fault);
  if (r.r0 !== undefined) output.appendLine(`r0 = ${r.r0}`);
  if (r.errors.length === 0) output.appendLine(`${r.steps} instructions executed`);
  output.show(true);
  return r;
}

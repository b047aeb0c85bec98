/**
 * The BPF Studio language server: all protocol wiring in one place. Each
 * handler asks the document's language mode (server/src/ide) for plain data
 * and converts it with convert.ts. Non-goal: any analysis logic here.
 */
import {
  CancellationToken, CompletionItem, CompletionParams, createConnection, DidChangeConfigurationNotification, Hover, HoverParams,
  InitializeParams, InitializeResult, ProposedFeatures, TextDocuments, TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { AsmResult } from '../asm';
import { asmMapHover } from '../ide/asm-maps';
import type { BpftraceDoc } from '../ide/bpftrace-check';
import { assembleDocument, runDocument } from '../ide/run';
import { formatReg } from '../ide/vm-format';
import { toCompletionItem, toDiagnostic, toHover, toOffset } from './convert';
import { AssembleRequest, AssembleResult, DocumentParams, RunParams, RunRequest, RunResult } from './protocol';
import { DocumentVerifier } from './verification';
import { Workspace } from './workspace';

/** Starts the server on stdio (or IPC/socket when the client passed `--node-ipc`/`--socket=`) and runs until the client exits. */
export function startServer(): void {
  const ipc = process.argv.some((a) => a === '--node-ipc' || a.startsWith('--socket=') || a.startsWith('--pipe='));
  const connection = ipc ? createConnection(ProposedFeatures.all) : createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  const documents = new TextDocuments(TextDocument);
  const ws = new Workspace(connection);
  // The embedded verifier on bpf-asm and bpftrace documents, in worker threads (never on the request path).
  const verifier = new DocumentVerifier(connection, (uri) => documents.get(uri));
  let dynamicConfiguration = false;

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const caps = params.capabilities;
    ws.configurationCapability = !!caps.workspace?.configuration;
    dynamicConfiguration = !!caps.workspace?.didChangeConfiguration?.dynamicRegistration;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        // bpftrace: probes, builtins, functions; tracepoint, kernel function and raw tracepoint names after ':',
        // record fields after 'args.' / 'args->', struct members after '->' / '.', struct names after 'struct '.
        completionProvider: { triggerCharacters: [':', '.', '>'] },
      },
      serverInfo: { name: 'bpfstudio', version: '0.1.0' },
    };
  });

  connection.onInitialized(() => {
    if (dynamicConfiguration) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'bpfstudio' });
  });

  async function validate(doc: TextDocument): Promise<void> {
    const a = await ws.analyze(doc);
    const current = documents.get(doc.uri);
    if (!current || current.version !== doc.version) return; // stale: a newer version is (or will be) validated
    const diagnostics = !a ? [] : a.crash ? [toDiagnostic(a.crash)] : a.mode.diagnostics(a.parsed).map(toDiagnostic);
    await connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: [...diagnostics, ...verifier.diagnosticsFor(doc)] });
    if (a && !a.crash && (a.mode.languageId === 'bpf-asm' || a.mode.languageId === 'bpftrace')) {
      const broken = a.mode.languageId === 'bpf-asm'
        ? (a.parsed as AsmResult).diagnostics.some((d) => d.severity === 'error')
        : (a.parsed as BpftraceDoc).check.diagnostics.some((d) => d.severity === 'error');
      verifier.schedule(doc, broken, a.settings, (extra) => connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: [...diagnostics, ...extra] }));
    }
  }
  const revalidate = (doc: TextDocument): void => {
    validate(doc).catch((e: unknown) => connection.console.error(`validating ${doc.uri}: ${e instanceof Error ? e.stack : String(e)}`));
  };

  documents.onDidChangeContent((e) => revalidate(e.document));
  documents.onDidClose((e) => {
    verifier.closed(e.document.uri);
    ws.closed(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });
  connection.onDidChangeConfiguration(() => {
    ws.settingsChanged();
    verifier.reset();
    for (const d of documents.all()) revalidate(d);
  });

  connection.onHover(async (p: HoverParams, token: CancellationToken): Promise<Hover | null> => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc) return null;
    const a = await ws.analyze(doc);
    if (!a || a.crash || token.isCancellationRequested) return null;
    const offset = toOffset(doc, p.position);
    let h = a.mode.hover(a.parsed, doc.getText(), offset);
    if (a.mode.languageId === 'bpf-asm') {
      // A declared map's definition on its name; the verifier's abstract state at the instruction, once this version is verified (never waited for).
      const m = asmMapHover(a.parsed as AsmResult, doc.getText(), offset);
      if (m) h = h ? { range: m.range, markdown: `${m.markdown}\n\n---\n\n${h.markdown}` } : m;
      const state = h ? verifier.hover(doc, a.parsed as AsmResult, p.position.line) : undefined;
      if (h && state) h = { ...h, markdown: `${h.markdown}\n\n---\n\n${state}` };
    } else if (a.mode.languageId === 'bpftrace' && h) {
      const state = verifier.bpftraceHover(doc, offset);
      if (state) h = { ...h, markdown: `${h.markdown}\n\n---\n\n${state}` };
    }
    return h ? toHover(h) : null;
  });

  connection.onCompletion(async (p: CompletionParams, token: CancellationToken): Promise<CompletionItem[]> => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc) return [];
    const a = await ws.analyze(doc);
    if (!a || a.crash || !a.mode.completion || token.isCancellationRequested) return [];
    return a.mode.completion(a.parsed, doc.getText(), toOffset(doc, p.position)).map(toCompletionItem);
  });

  connection.onRequest(AssembleRequest, async (p: DocumentParams): Promise<AssembleResult> => {
    const doc = documents.get(p.uri);
    if (!doc) return { errors: [`${p.uri} is not open`], slots: 0, listing: [] };
    const s = await ws.settingsFor(p.uri);
    return assembleDocument(doc.getText(), s.asmSyntax);
  });

  connection.onRequest(RunRequest, async (p: RunParams): Promise<RunResult> => {
    const doc = documents.get(p.uri);
    if (!doc) return { errors: [`${p.uri} is not open`], steps: 0, output: [] };
    const s = await ws.settingsFor(p.uri);
    const r = runDocument(doc.getText(), { syntax: s.asmSyntax, budget: p.budget ?? s.vmBudget, ...(p.mem ? { mem: p.mem } : {}) });
    return { errors: r.errors, steps: r.steps, output: r.output, ...(r.r0 !== undefined ? { r0: formatReg(r.r0) } : {}), ...(r.fault ? { fault: r.fault } : {}) };
  });

  connection.onShutdown(() => verifier.dispose());

  documents.listen(connection);
  connection.listen();
}

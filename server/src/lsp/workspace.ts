/**
 * The server's per-document state: settings fetched per document (dropped on
 * close), a parse cache keyed by URI and version, and the language mode of
 * each open document. No protocol wiring here; server.ts does that.
 */
import type { Connection } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { modeFor } from '../ide/modes';
import { DEFAULT_SETTINGS, IdeDiagnostic, LanguageMode, ModeSettings } from '../ide/types';
import { kernelInfo, resolveTargetVersion } from '../host/kernel-info';

export interface DocSettings extends ModeSettings {
  /** Instruction budget for `bpfstudio/run`. */
  vmBudget: number;
  /** Run the embedded verifier on bpf-asm and bpftrace documents (off the request path). */
  verifierEnabled: boolean;
  /** Program type (or libbpf section name) for documents without a `.section`. */
  verifierProgramType: string;
  /** Verify as root or as a process with CAP_BPF only. */
  verifierPrivileged: 'root' | 'cap_bpf';
}

const DEFAULTS: DocSettings = { ...DEFAULT_SETTINGS, vmBudget: 1_000_000, verifierEnabled: true, verifierProgramType: 'socket_filter', verifierPrivileged: 'root' };

interface RawSettings {
  asm?: { syntax?: unknown }; vm?: { budget?: unknown }; bpftrace?: { targetVersion?: unknown };
  verifier?: { enabled?: unknown; programType?: unknown; privileges?: unknown };
}

/** Settings from the client's `bpfstudio` section; the bpftrace target and kernel data are resolved on the host (cached). */
function fromRaw(raw: RawSettings | null | undefined): DocSettings {
  const syntax = raw?.asm?.syntax;
  const budget = raw?.vm?.budget;
  const target = raw?.bpftrace?.targetVersion;
  const v = raw?.verifier;
  const kernel = kernelInfo();
  return {
    verifierEnabled: typeof v?.enabled === 'boolean' ? v.enabled : DEFAULTS.verifierEnabled,
    verifierProgramType: typeof v?.programType === 'string' && v.programType.trim() !== '' ? v.programType.trim() : DEFAULTS.verifierProgramType,
    verifierPrivileged: v?.privileges === 'cap_bpf' ? 'cap_bpf' : 'root',
    asmSyntax: syntax === 'llvm' || syntax === 'conformance' ? syntax : 'auto',
    vmBudget: typeof budget === 'number' && budget > 0 ? Math.floor(budget) : DEFAULTS.vmBudget,
    bpftraceTarget: resolveTargetVersion(typeof target === 'string' && /^\d+\.\d+/.test(target) ? target : 'auto'),
    ...(kernel ? { kernel } : {}),
  };
}

let hostDefaults: DocSettings | undefined;

export interface Analysis {
  mode: LanguageMode;
  parsed: unknown;
  settings: DocSettings;
  /** Set when the mode threw (a bug): reported as a diagnostic instead of crashing the server. */
  crash?: IdeDiagnostic;
}

function crashDiagnostic(e: unknown): IdeDiagnostic {
  const msg = e instanceof Error ? e.stack ?? e.message : String(e);
  return {
    range: { start: 0, end: 0, line: 0, col: 0, endLine: 0, endCol: 0 },
    severity: 'error',
    message: `BPF Studio internal error (a bug, please report): ${msg}`,
    source: 'bpfstudio',
  };
}

export class Workspace {
  /** True when the client answers workspace/configuration (read in onInitialize). */
  configurationCapability = false;
  private readonly settings = new Map<string, Promise<DocSettings>>();
  private readonly cache = new Map<string, { version: number; settings: DocSettings; parsed: unknown; crash?: IdeDiagnostic }>();

  constructor(private readonly connection: Connection) {}

  settingsFor(uri: string): Promise<DocSettings> {
    if (!this.configurationCapability) return Promise.resolve((hostDefaults ??= fromRaw(undefined)));
    let s = this.settings.get(uri);
    if (!s) {
      s = this.connection.workspace
        .getConfiguration({ scopeUri: uri, section: 'bpfstudio' })
        .then((raw: RawSettings | null) => fromRaw(raw), () => fromRaw(undefined));
      this.settings.set(uri, s);
    }
    return s;
  }

  /** Parses the document (or returns the cached parse of this version and settings). */
  async analyze(doc: TextDocument): Promise<Analysis | undefined> {
    const mode = modeFor(doc.languageId, doc.uri);
    if (!mode) return undefined;
    const settings = await this.settingsFor(doc.uri);
    const hit = this.cache.get(doc.uri);
    if (hit && hit.version === doc.version && hit.settings === settings) return { mode, ...hit };
    const entry: { version: number; settings: DocSettings; parsed: unknown; crash?: IdeDiagnostic } = { version: doc.version, settings, parsed: undefined };
    try {
      entry.parsed = mode.parse(doc.getText(), settings);
    } catch (e) {
      entry.crash = crashDiagnostic(e);
      this.connection.console.error(entry.crash.message);
    }
    this.cache.set(doc.uri, entry);
    return { mode, ...entry };
  }

  /** Settings changed: forget everything fetched. */
  settingsChanged(): void {
    this.settings.clear();
    this.cache.clear();
  }

  closed(uri: string): void {
    this.settings.delete(uri);
    this.cache.delete(uri);
  }
}

/**
 * The registry of language modes by VS Code language id. Adding a language is
 * one file in this folder plus one line here.
 */
import { LanguageMode } from '../types';
import { asmMode } from './asm';
import { bpftraceMode } from './bpftrace';

const MODES: ReadonlyMap<string, LanguageMode> = new Map<string, LanguageMode>([
  [asmMode.languageId, asmMode as LanguageMode],
  [bpftraceMode.languageId, bpftraceMode as LanguageMode],
]);

/** The mode for a document: by its language id, else by its file name (clients other than VS Code). */
export function modeFor(languageId: string, uri: string): LanguageMode | undefined {
  const byId = MODES.get(languageId);
  if (byId) return byId;
  if (/\.(bpf\.s|bpfasm)$/i.test(uri)) return asmMode as LanguageMode;
  if (/\.bt$/i.test(uri)) return bpftraceMode as LanguageMode;
  return undefined;
}

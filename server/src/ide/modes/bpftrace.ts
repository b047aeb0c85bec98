/**
 * The bpftrace language mode: checkScript's result for the document's target
 * version and kernel data is the parsed form; it feeds diagnostics, hovers and
 * completion (ide/bpftrace-*.ts). Non-goals here: any analysis of its own.
 */
import { analyzeBpftrace, BpftraceDoc, bpftraceDiagnostics } from '../bpftrace-check';
import { bpftraceCompletion } from '../bpftrace-complete';
import { bpftraceHover } from '../bpftrace-hover';
import { LanguageMode } from '../types';

export const bpftraceMode: LanguageMode<BpftraceDoc> = {
  languageId: 'bpftrace',
  parse: analyzeBpftrace,
  diagnostics: bpftraceDiagnostics,
  hover: bpftraceHover,
  completion: bpftraceCompletion,
};

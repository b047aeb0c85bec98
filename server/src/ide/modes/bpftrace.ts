/**
 * The bpftrace language mode, a placeholder until the bpftrace front-end
 * lands: it parses nothing and reports no diagnostics or hovers, so .bt files
 * are served without errors. Non-goal here: any bpftrace semantics.
 */
import { LanguageMode } from '../types';

export const bpftraceMode: LanguageMode<null> = {
  languageId: 'bpftrace',
  parse: () => null,
  diagnostics: () => [],
  hover: () => undefined,
};

/**
 * The bpf-asm language mode: the assembler's result is the parsed form; it
 * feeds diagnostics and hovers. Non-goal: completion (a later issue).
 */
import type { AsmResult } from '../../asm';
import { analyzeAsm, asmDiagnostics } from '../diagnostics';
import { asmHover } from '../hover';
import { LanguageMode } from '../types';

export const asmMode: LanguageMode<AsmResult> = {
  languageId: 'bpf-asm',
  parse: analyzeAsm,
  diagnostics: asmDiagnostics,
  hover: asmHover,
};

/**
 * bpftrace's runtime output, from decoded values to the exact text (or
 * `-f json` lines) bpftrace 0.17 prints, with 0.26's differences behind the
 * `version` option. Pure: no I/O. Non-goal: decoding BPF memory (codegen).
 */
export * from './values';
export { formatEvent, attachedLine } from './events';
export { formatMap, formatMapsAtExit, orderEntries } from './maps';
export { formatPrintf } from './printf';
export { formatHist, formatLhist, histJson, lhistJson, histIndex, lhistIndex } from './hist';
export { strftime } from './strftime';
export { valueText, keyElemText, jsonEscape, hexFormatBuffer } from './text';
export { specialText, inet6, strerror } from './special';

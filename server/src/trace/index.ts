/**
 * Recorded event traces: format v1 model and reader, line splitting, and the
 * bpftrace JSON converter. Pure; file access lives in host/trace-file.ts.
 */
export * from './v1';
export * from './lines';
export * from './bpftrace-json';

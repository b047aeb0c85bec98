/**
 * Public surface of the BTF core: parsing and indexing (format.ts), record
 * decoding (records.ts), the type graph (types.ts), the writer (write.ts), the
 * C printer (cprint.ts, cdecl.ts), struct layouts (layout.ts), tracepoint
 * formats (tracepoint.ts) and the default-kernel bundle (bundle.ts). No I/O:
 * callers hand in bytes and text; host/ reads files.
 */
export * from './format';
export * from './records';
export * from './types';
export * from './write';
export * from './copy';
export { dumpC, dumpCNamed, dumpCStream, type DumpCOptions } from './cprint';
export { cTypeText } from './cdecl';
export * from './layout';
export * from './tracepoint';
export * from './bundle';

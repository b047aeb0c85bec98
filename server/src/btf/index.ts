/**
 * Public surface of the BTF core: parsing and indexing (format.ts), record
 * decoding (records.ts) and the type graph (types.ts). No I/O: callers hand in
 * bytes; host/ reads files.
 */
export * from './format';
export * from './records';
export * from './types';

/**
 * ELF64 reading and writing and the BPF object model built on it. Everything
 * here takes bytes and returns data plus diagnostics; no I/O.
 */
export * from './types';
export * from './elf64';
export * from './write';
export * from './sections';
export * from './maps';
export * from './btfext';
export * from './object';
export * from './describe';
export * from './fuzz';
export * from './emit';
export * from './core';
export * from './dwarf-types';
export * from './dwarf';
export * from './dwarf-sections';

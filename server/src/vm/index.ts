/** The VM's public surface: the interpreter, shared types, machine setup, helpers and maps. */
export * from './types';
export * from './helpers';
export * from './machine';
export * from './maps/index';
export { Memory, toHex } from './memory';
export type { Region, RegionKind, MemFault } from './memory';
export { Vm, runInterp } from './interp';

/** The instruction set: the opcode table, the instruction model, and raw encoding. */
export * from './opcodes';
export * from './insn';
export * from './codec';
export * from './helpers';

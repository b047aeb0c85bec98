/**
 * Finds the opcode-table spec for the operands a parser has recognised (an ALU
 * operation and width, a load size, an atomic operation...). Every index here
 * is built from OPCODES; nothing in this file lists an opcode.
 */
import { OPCODES, OpSpec } from '../isa';

const index = new Map<string, OpSpec>();

function put(key: string, s: OpSpec): void {
  if (!index.has(key)) index.set(key, s);
}

for (const s of OPCODES) {
  switch (s.kind) {
    case 'alu':
      if (s.alu === 'movsx') put(`movsx:${(s.size ?? 0) * 8}:${s.is64}`, s);
      else put(`alu:${s.alu}:${s.is64}:${s.srcReg}`, s);
      break;
    case 'end': put(`end:${s.endian}:${s.immIs}`, s); break;
    case 'jcond': put(`jmp:${s.jmp}:${s.is64}:${s.srcReg}`, s); break;
    case 'ja': put(`ja:${s.is64}`, s); break;
    case 'call': put(`call:${s.callKind}`, s); break;
    case 'callx': put('callx', s); break;
    case 'exit': put('exit', s); break;
    case 'lddw': put('lddw', s); break;
    case 'ldabs': put(`ldabs:${s.size}`, s); break;
    case 'ldind': put(`ldind:${s.size}`, s); break;
    case 'ldx': put(`ldx:${s.size}:${!!s.signed}`, s); break;
    case 'st': put(`st:${s.size}`, s); break;
    case 'stx': put(`stx:${s.size}`, s); break;
    case 'atomic': put(`atomic:${s.atomic}:${!!s.fetch}:${s.is64}`, s); break;
  }
}

/** The spec for a key built by the helpers below; undefined when the table has no such instruction. */
function get(key: string): OpSpec | undefined {
  return index.get(key);
}

// The hottest lookup (ALU operations) by operation, then width and source form, without building keys.
const aluFast = new Map<string, (OpSpec | undefined)[]>();
for (const s of OPCODES) {
  if (s.kind !== 'alu' || s.alu === 'movsx' || !s.alu) continue;
  const l = aluFast.get(s.alu) ?? [];
  const k = (s.is64 ? 2 : 0) + (s.srcReg ? 1 : 0);
  if (!l[k]) l[k] = s;
  aluFast.set(s.alu, l);
}

export const sel = {
  alu: (op: string, is64: boolean, srcReg: boolean) => aluFast.get(op)?.[(is64 ? 2 : 0) + (srcReg ? 1 : 0)],
  movsx: (bits: number, is64: boolean) => get(`movsx:${bits}:${is64}`),
  end: (endian: string, bits: number) => get(`end:${endian}:${bits}`),
  jmp: (op: string, is64: boolean, srcReg: boolean) => get(`jmp:${op}:${is64}:${srcReg}`),
  ja: (is64: boolean) => get(`ja:${is64}`),
  call: (kind: 'helper' | 'local' | 'kfunc') => get(`call:${kind}`),
  callx: () => get('callx'),
  exit: () => get('exit'),
  lddw: () => get('lddw'),
  ldabs: (size: number) => get(`ldabs:${size}`),
  ldind: (size: number) => get(`ldind:${size}`),
  ldx: (size: number, signed: boolean) => get(`ldx:${size}:${signed}`),
  st: (size: number) => get(`st:${size}`),
  stx: (size: number) => get(`stx:${size}`),
  atomic: (op: string, fetch: boolean, is64: boolean) => get(`atomic:${op}:${fetch}:${is64}`),
};

/** Compound-assignment operator of the LLVM syntax for each ALU operation (`+=` for add). */
export const ALU_OPS: Readonly<Record<string, string>> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', sdiv: 's/=', mod: '%=', smod: 's%=', or: '|=', and: '&=',
  xor: '^=', lsh: '<<=', rsh: '>>=', arsh: 's>>=',
};
/** Comparison operator of the LLVM syntax for each conditional jump. */
export const JMP_OPS: Readonly<Record<string, string>> = {
  jeq: '==', jne: '!=', jgt: '>', jge: '>=', jlt: '<', jle: '<=', jsgt: 's>', jsge: 's>=', jslt: 's<', jsle: 's<=', jset: '&',
};
/** Operator of `lock *(u64 *)(r1 + 0) += r2` for each non-fetching atomic. */
export const ATOMIC_OPS: Readonly<Record<string, string>> = { add: '+=', or: '|=', and: '&=', xor: '^=' };

function invert(r: Readonly<Record<string, string>>): Map<string, string> {
  return new Map(Object.entries(r).map(([k, v]) => [v, k]));
}
export const ALU_BY_OP = invert(ALU_OPS);
export const JMP_BY_OP = invert(JMP_OPS);
export const ATOMIC_BY_OP = invert(ATOMIC_OPS);

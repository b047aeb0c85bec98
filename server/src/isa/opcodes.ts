/**
 * The one opcode table of BPF (RFC 9669, CPU v1-v4 plus the legacy packet loads).
 *
 * Every other part of BPF Studio (encode, decode, assembler, disassembler, VM,
 * JIT, verifier, hover, completion) derives what it knows about instructions
 * from `OPCODES`. Nothing here does I/O. Non-goal: vendor extensions beyond
 * the Linux kernel's (no Solana sBPF forms).
 *
 * An 8-byte instruction slot (little-endian host order shown):
 *
 *   byte  0        1            2..3        4..7
 *       +--------+----+----+-----------+---------------+
 *       | opcode |src |dst |  off s16  |    imm s32    |
 *       +--------+----+----+-----------+---------------+
 *   opcode = op(4) | source(1) | class(3)    (ALU/JMP families)
 *          = mode(3) | size(2) | class(3)    (load/store families)
 *
 * Some opcodes are shared by several instructions and told apart by another
 * field: `off` (sdiv/smod, movsx, memsx have their own mode), `imm` (byte swap
 * width, atomic operation), `src` (call kind, LD_IMM64 pseudo source).
 */

export const CLASS = { LD: 0, LDX: 1, ST: 2, STX: 3, ALU: 4, JMP: 5, JMP32: 6, ALU64: 7 } as const;
export const SRC_K = 0x00;
export const SRC_X = 0x08;
export const MODE = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;
export const SIZE = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;

export type AluOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'or' | 'and' | 'lsh' | 'rsh' | 'neg'
  | 'mod' | 'smod' | 'xor' | 'mov' | 'movsx' | 'arsh';
export type JmpOp = 'jeq' | 'jgt' | 'jge' | 'jset' | 'jne' | 'jsgt' | 'jsge' | 'jlt' | 'jle' | 'jslt' | 'jsle';
export type AtomicOp = 'add' | 'or' | 'and' | 'xor' | 'xchg' | 'cmpxchg';
export type OpKind =
  | 'alu' | 'end' | 'jcond' | 'ja' | 'call' | 'callx' | 'exit'
  | 'lddw' | 'ldabs' | 'ldind' | 'ldx' | 'st' | 'stx' | 'atomic';
export type CallKind = 'helper' | 'local' | 'kfunc';
export type Width = 1 | 2 | 4 | 8;

/** Which raw fields carry operands; a field that carries none must be zero. */
export interface FieldUse {
  readonly dst: boolean;
  readonly src: boolean;
  readonly off: boolean;
  readonly imm: boolean;
}

export interface OpSpec {
  /** Unique name, the conformance-suite mnemonic: `add32`, `sdiv`, `ldxsb`, `lock fetch add32`, `call local`. */
  readonly name: string;
  readonly code: number;
  readonly cls: number;
  readonly kind: OpKind;
  /** 64-bit operation (ALU64, JMP, DW access); false for ALU32/JMP32. */
  readonly is64: boolean;
  /** Register source operand (the X bit). */
  readonly srcReg: boolean;
  readonly alu?: AluOp;
  readonly jmp?: JmpOp;
  readonly atomic?: AtomicOp;
  readonly fetch?: boolean;
  readonly callKind?: CallKind;
  /** Access size for loads/stores/atomics, swap width for byte swaps, source width for movsx. */
  readonly size?: Width;
  /** Sign-extending load (MEMSX). */
  readonly signed?: boolean;
  readonly endian?: 'le' | 'be' | 'swap';
  /** Discriminating field values: the instruction is this one only when the field holds this value. */
  readonly offIs?: number;
  readonly immIs?: number;
  readonly srcIs?: number;
  readonly fields: FieldUse;
  /** Minimum CPU version (1..4) of the instruction set that has it. */
  readonly cpu: 1 | 2 | 3 | 4;
  /** Short description for hovers and completion. */
  readonly doc: string;
}

const ALU_FAMILY: ReadonlyArray<{ op: AluOp; code: number; doc: string; offIs?: number; cpu?: 1 | 2 | 3 | 4 }> = [
  { op: 'add', code: 0x00, doc: 'dst += src' },
  { op: 'sub', code: 0x10, doc: 'dst -= src' },
  { op: 'mul', code: 0x20, doc: 'dst *= src' },
  { op: 'div', code: 0x30, doc: 'dst = (src != 0) ? (dst / src) : 0 (unsigned)' },
  { op: 'sdiv', code: 0x30, offIs: 1, cpu: 4, doc: 'dst = (src != 0) ? (dst s/ src) : 0 (signed)' },
  { op: 'or', code: 0x40, doc: 'dst |= src' },
  { op: 'and', code: 0x50, doc: 'dst &= src' },
  { op: 'lsh', code: 0x60, doc: 'dst <<= (src & mask)' },
  { op: 'rsh', code: 0x70, doc: 'dst >>= (src & mask) (logical)' },
  { op: 'mod', code: 0x90, doc: 'dst = (src != 0) ? (dst % src) : dst (unsigned)' },
  { op: 'smod', code: 0x90, offIs: 1, cpu: 4, doc: 'dst = (src != 0) ? (dst s% src) : dst (signed)' },
  { op: 'xor', code: 0xa0, doc: 'dst ^= src' },
  { op: 'mov', code: 0xb0, doc: 'dst = src' },
  { op: 'arsh', code: 0xc0, doc: 'dst >>= (src & mask) (arithmetic, sign-filling)' },
];

const JMP_FAMILY: ReadonlyArray<{ op: JmpOp; code: number; doc: string; cpu?: 2 }> = [
  { op: 'jeq', code: 0x10, doc: 'PC += off if dst == src' },
  { op: 'jgt', code: 0x20, doc: 'PC += off if dst > src (unsigned)' },
  { op: 'jge', code: 0x30, doc: 'PC += off if dst >= src (unsigned)' },
  { op: 'jset', code: 0x40, doc: 'PC += off if dst & src' },
  { op: 'jne', code: 0x50, doc: 'PC += off if dst != src' },
  { op: 'jsgt', code: 0x60, doc: 'PC += off if dst > src (signed)' },
  { op: 'jsge', code: 0x70, doc: 'PC += off if dst >= src (signed)' },
  { op: 'jlt', code: 0xa0, cpu: 2, doc: 'PC += off if dst < src (unsigned)' },
  { op: 'jle', code: 0xb0, cpu: 2, doc: 'PC += off if dst <= src (unsigned)' },
  { op: 'jslt', code: 0xc0, cpu: 2, doc: 'PC += off if dst < src (signed)' },
  { op: 'jsle', code: 0xd0, cpu: 2, doc: 'PC += off if dst <= src (signed)' },
];

const SIZES: ReadonlyArray<{ suffix: 'w' | 'h' | 'b' | 'dw'; bits: number; size: Width }> = [
  { suffix: 'w', bits: SIZE.W, size: 4 },
  { suffix: 'h', bits: SIZE.H, size: 2 },
  { suffix: 'b', bits: SIZE.B, size: 1 },
  { suffix: 'dw', bits: SIZE.DW, size: 8 },
];

const ATOMIC_FAMILY: ReadonlyArray<{ op: AtomicOp; imm: number; fetch: boolean }> = [
  { op: 'add', imm: 0x00, fetch: false },
  { op: 'or', imm: 0x40, fetch: false },
  { op: 'and', imm: 0x50, fetch: false },
  { op: 'xor', imm: 0xa0, fetch: false },
  { op: 'add', imm: 0x01, fetch: true },
  { op: 'or', imm: 0x41, fetch: true },
  { op: 'and', imm: 0x51, fetch: true },
  { op: 'xor', imm: 0xa1, fetch: true },
  { op: 'xchg', imm: 0xe1, fetch: true },
  { op: 'cmpxchg', imm: 0xf1, fetch: true },
];

/** LD_IMM64 pseudo sources (the `src` field of `lddw`). */
export const PSEUDO = {
  IMM: 0,
  MAP_FD: 1,
  MAP_VALUE: 2,
  BTF_ID: 3,
  FUNC: 4,
  MAP_IDX: 5,
  MAP_IDX_VALUE: 6,
} as const;
export const PSEUDO_NAMES = ['imm', 'map_fd', 'map_value', 'btf_id', 'func', 'map_idx', 'map_idx_value'] as const;

function f(dst: boolean, src: boolean, off: boolean, imm: boolean): FieldUse {
  return { dst, src, off, imm };
}

function buildTable(): OpSpec[] {
  const t: OpSpec[] = [];
  // ALU and ALU64.
  for (const is64 of [true, false]) {
    const cls = is64 ? CLASS.ALU64 : CLASS.ALU;
    const sfx = is64 ? '' : '32';
    for (const a of ALU_FAMILY) {
      for (const srcReg of [false, true]) {
        const name = a.op + sfx;
        t.push({
          name, code: a.code | (srcReg ? SRC_X : SRC_K) | cls, cls, kind: 'alu', is64, srcReg, alu: a.op,
          ...(a.offIs !== undefined ? { offIs: a.offIs } : {}),
          fields: f(true, srcReg, false, !srcReg), cpu: a.cpu ?? 1,
          doc: `${is64 ? '64' : '32'}-bit ${a.doc}${is64 ? '' : ', result zero-extended'}`,
        });
      }
    }
    t.push({
      name: 'neg' + sfx, code: 0x80 | cls, cls, kind: 'alu', is64, srcReg: false, alu: 'neg',
      fields: f(true, false, false, false), cpu: 1, doc: `${is64 ? '64' : '32'}-bit dst = -dst`,
    });
    // movsx: ALU64 has 8/16/32, ALU32 has 8/16.
    for (const w of (is64 ? [8, 16, 32] : [8, 16]) as (8 | 16 | 32)[]) {
      t.push({
        name: `movsx${w}${is64 ? '64' : '32'}`, code: 0xb0 | SRC_X | cls, cls, kind: 'alu', is64, srcReg: true,
        alu: 'movsx', offIs: w, size: (w / 8) as Width, fields: f(true, true, false, false), cpu: 4,
        doc: `dst = (s${w})src, sign-extended to ${is64 ? 64 : 32} bits`,
      });
    }
  }
  // Byte swaps: ALU class le/be (to-little / to-big endian), ALU64 bswap (unconditional).
  for (const bits of [16, 32, 64] as const) {
    t.push({
      name: `le${bits}`, code: 0xd0 | SRC_K | CLASS.ALU, cls: CLASS.ALU, kind: 'end', is64: bits === 64, srcReg: false,
      endian: 'le', immIs: bits, size: (bits / 8) as Width, fields: f(true, false, false, false), cpu: 1,
      doc: `dst = htole${bits}(dst): convert to little-endian, keeping the low ${bits} bits`,
    });
    t.push({
      name: `be${bits}`, code: 0xd0 | SRC_X | CLASS.ALU, cls: CLASS.ALU, kind: 'end', is64: bits === 64, srcReg: false,
      endian: 'be', immIs: bits, size: (bits / 8) as Width, fields: f(true, false, false, false), cpu: 1,
      doc: `dst = htobe${bits}(dst): convert to big-endian, keeping the low ${bits} bits`,
    });
    t.push({
      name: `bswap${bits}`, code: 0xd0 | SRC_K | CLASS.ALU64, cls: CLASS.ALU64, kind: 'end', is64: true, srcReg: false,
      endian: 'swap', immIs: bits, size: (bits / 8) as Width, fields: f(true, false, false, false), cpu: 4,
      doc: `dst = bswap${bits}(dst): reverse the byte order of the low ${bits} bits unconditionally`,
    });
  }
  // Conditional jumps.
  for (const is64 of [true, false]) {
    const cls = is64 ? CLASS.JMP : CLASS.JMP32;
    for (const j of JMP_FAMILY) {
      for (const srcReg of [false, true]) {
        t.push({
          name: j.op + (is64 ? '' : '32'), code: j.code | (srcReg ? SRC_X : SRC_K) | cls, cls, kind: 'jcond', is64, srcReg,
          jmp: j.op, fields: f(true, srcReg, true, !srcReg), cpu: is64 ? j.cpu ?? 1 : 3,
          doc: `${is64 ? '64' : '32'}-bit compare: ${j.doc}`,
        });
      }
    }
  }
  t.push({ name: 'ja', code: 0x00 | CLASS.JMP, cls: CLASS.JMP, kind: 'ja', is64: true, srcReg: false, fields: f(false, false, true, false), cpu: 1, doc: 'PC += off (unconditional jump)' });
  t.push({ name: 'ja32', code: 0x00 | CLASS.JMP32, cls: CLASS.JMP32, kind: 'ja', is64: false, srcReg: false, fields: f(false, false, false, true), cpu: 4, doc: 'PC += imm (unconditional jump with a 32-bit offset, `gotol`)' });
  t.push({ name: 'call', code: 0x80 | CLASS.JMP, cls: CLASS.JMP, kind: 'call', is64: true, srcReg: false, callKind: 'helper', srcIs: 0, fields: f(false, false, false, true), cpu: 1, doc: 'call helper function imm; r1-r5 are arguments, r0 the result, r1-r5 clobbered' });
  t.push({ name: 'call local', code: 0x80 | CLASS.JMP, cls: CLASS.JMP, kind: 'call', is64: true, srcReg: false, callKind: 'local', srcIs: 1, fields: f(false, false, false, true), cpu: 1, doc: 'call the BPF subprogram at PC + imm + 1 (bpf-to-bpf call)' });
  t.push({ name: 'call kfunc', code: 0x80 | CLASS.JMP, cls: CLASS.JMP, kind: 'call', is64: true, srcReg: false, callKind: 'kfunc', srcIs: 2, fields: f(false, false, true, true), cpu: 1, doc: 'call the kernel function with BTF id imm (off selects the module BTF)' });
  t.push({ name: 'callx', code: 0x80 | SRC_X | CLASS.JMP, cls: CLASS.JMP, kind: 'callx', is64: true, srcReg: true, fields: f(true, false, false, false), cpu: 4, doc: 'call the function whose helper id or address is in register dst' });
  t.push({ name: 'exit', code: 0x90 | CLASS.JMP, cls: CLASS.JMP, kind: 'exit', is64: true, srcReg: false, fields: f(false, false, false, false), cpu: 1, doc: 'return r0 to the caller (or end the program)' });
  // Loads of 64-bit immediates (two slots).
  t.push({ name: 'lddw', code: MODE.IMM | SIZE.DW | CLASS.LD, cls: CLASS.LD, kind: 'lddw', is64: true, srcReg: false, size: 8, fields: f(true, true, false, true), cpu: 1, doc: 'dst = imm64 (two slots); src selects a pseudo source: map fd, map value, BTF id, function' });
  // Legacy packet loads (socket filters): r0 = ntoh(*(skb->data + imm [+ src])).
  for (const s of SIZES) {
    if (s.size === 8) continue;
    t.push({ name: `ldabs${s.suffix}`, code: MODE.ABS | s.bits | CLASS.LD, cls: CLASS.LD, kind: 'ldabs', is64: false, srcReg: false, size: s.size, fields: f(false, false, false, true), cpu: 1, doc: `r0 = ntoh(*(u${s.size * 8} *)(skb->data + imm)) (legacy packet load)` });
    t.push({ name: `ldind${s.suffix}`, code: MODE.IND | s.bits | CLASS.LD, cls: CLASS.LD, kind: 'ldind', is64: false, srcReg: true, size: s.size, fields: f(false, true, false, true), cpu: 1, doc: `r0 = ntoh(*(u${s.size * 8} *)(skb->data + src + imm)) (legacy packet load)` });
  }
  for (const s of SIZES) {
    t.push({ name: `ldx${s.suffix}`, code: MODE.MEM | s.bits | CLASS.LDX, cls: CLASS.LDX, kind: 'ldx', is64: s.size === 8, srcReg: true, size: s.size, fields: f(true, true, true, false), cpu: 1, doc: `dst = *(u${s.size * 8} *)(src + off)` });
    if (s.size !== 8) {
      t.push({ name: `ldxs${s.suffix}`, code: MODE.MEMSX | s.bits | CLASS.LDX, cls: CLASS.LDX, kind: 'ldx', is64: true, srcReg: true, size: s.size, signed: true, fields: f(true, true, true, false), cpu: 4, doc: `dst = *(s${s.size * 8} *)(src + off), sign-extended to 64 bits` });
    }
    t.push({ name: `st${s.suffix}`, code: MODE.MEM | s.bits | CLASS.ST, cls: CLASS.ST, kind: 'st', is64: s.size === 8, srcReg: false, size: s.size, fields: f(true, false, true, true), cpu: 1, doc: `*(u${s.size * 8} *)(dst + off) = imm` });
    t.push({ name: `stx${s.suffix}`, code: MODE.MEM | s.bits | CLASS.STX, cls: CLASS.STX, kind: 'stx', is64: s.size === 8, srcReg: true, size: s.size, fields: f(true, true, true, false), cpu: 1, doc: `*(u${s.size * 8} *)(dst + off) = src` });
  }
  for (const is64 of [true, false]) {
    for (const a of ATOMIC_FAMILY) {
      const name = `lock ${a.fetch && a.op !== 'xchg' && a.op !== 'cmpxchg' ? 'fetch ' : ''}${a.op}${is64 ? '' : '32'}`;
      const sz = is64 ? 8 : 4;
      const what = a.op === 'xchg' ? `src = xchg(*(u${sz * 8} *)(dst + off), src)`
        : a.op === 'cmpxchg' ? `r0 = cmpxchg(*(u${sz * 8} *)(dst + off), r0, src)`
          : `*(u${sz * 8} *)(dst + off) ${({ add: '+', or: '|', and: '&', xor: '^' } as Record<string, string>)[a.op]}= src${a.fetch ? ', src = old value' : ''}`;
      t.push({
        name, code: MODE.ATOMIC | (is64 ? SIZE.DW : SIZE.W) | CLASS.STX, cls: CLASS.STX, kind: 'atomic', is64, srcReg: true,
        size: sz, atomic: a.op, fetch: a.fetch, immIs: a.imm, fields: f(true, true, true, false),
        cpu: a.fetch ? 3 : 1, doc: `atomic ${what}`,
      });
    }
  }
  return t;
}

/** The opcode table. */
/**
 * Every spec with every field, in one order (absent ones undefined): the objects share one hidden
 * class, so the verifier's and VM's hot loops read `spec.kind` and the rest monomorphically.
 */
function uniformShape(s: OpSpec): OpSpec {
  return Object.freeze({
    name: s.name, code: s.code, cls: s.cls, kind: s.kind, is64: s.is64, srcReg: s.srcReg, alu: s.alu, jmp: s.jmp,
    atomic: s.atomic, fetch: s.fetch, callKind: s.callKind, size: s.size, signed: s.signed, endian: s.endian,
    offIs: s.offIs, immIs: s.immIs, srcIs: s.srcIs, fields: s.fields, cpu: s.cpu, doc: s.doc,
  });
}

export const OPCODES: readonly OpSpec[] = Object.freeze(buildTable().map(uniformShape));

const byCode: OpSpec[][] = Array.from({ length: 256 }, () => []);
for (const s of OPCODES) byCode[s.code].push(s);
const byName = new Map<string, OpSpec[]>();
for (const s of OPCODES) {
  const l = byName.get(s.name);
  if (l) l.push(s);
  else byName.set(s.name, [s]);
}

/** All specs sharing one opcode byte (distinguished by off, imm or src). */
export function specsForCode(code: number): readonly OpSpec[] {
  return byCode[code & 0xff];
}

/** Specs with a mnemonic (`add` has an imm and a reg form). */
export function specsByName(name: string): readonly OpSpec[] {
  return byName.get(name) ?? [];
}

/** The spec for raw fields, or undefined when no instruction has this encoding. */
export function lookupSpec(code: number, src: number, off: number, imm: number): OpSpec | undefined {
  const cands = byCode[code & 0xff];
  if (cands.length === 0) return undefined;
  let fallback: OpSpec | undefined;
  for (const s of cands) {
    if (s.offIs !== undefined) { if (off === s.offIs) return s; continue; }
    if (s.immIs !== undefined) { if (imm === s.immIs) return s; continue; }
    if (s.srcIs !== undefined) { if (src === s.srcIs) return s; continue; }
    fallback = s;
  }
  return fallback;
}

/** The spec with this name and source form (register source or immediate). */
export function specFor(name: string, srcReg?: boolean): OpSpec | undefined {
  const l = byName.get(name);
  if (!l) return undefined;
  if (srcReg === undefined) return l[0];
  return l.find((s) => s.srcReg === srcReg) ?? (l.length === 1 ? l[0] : undefined);
}

export function isJump(s: OpSpec): boolean {
  return s.kind === 'jcond' || s.kind === 'ja';
}

/**
 * Encoding and decoding of raw instruction bytes, both byte orders. Decoding
 * never throws: an invalid slot (unknown opcode, reserved field not zero,
 * register out of range, a missing or malformed second half of `lddw`) becomes
 * a diagnostic naming the slot, and decoding goes on with the next slot.
 */
import { Insn, IsaDiagnostic, width } from './insn';
import { CLASS, OpSpec, lookupSpec } from './opcodes';

export interface DecodeResult {
  insns: Insn[];
  diagnostics: IsaDiagnostic[];
  /** Slots that failed to decode (each also has a diagnostic). */
  invalid: number[];
}

export interface CodecOptions {
  /** Big-endian byte order (the register nibbles are swapped too). Default: little-endian. */
  bigEndian?: boolean;
}

interface RawSlot { code: number; dst: number; src: number; off: number; imm: number }

function readSlot(dv: DataView, at: number, be: boolean): RawSlot {
  const code = dv.getUint8(at);
  const regs = dv.getUint8(at + 1);
  return {
    code,
    dst: be ? regs >> 4 : regs & 0xf,
    src: be ? regs & 0xf : regs >> 4,
    off: dv.getInt16(at + 2, !be),
    imm: dv.getInt32(at + 4, !be),
  };
}

function hex(n: number): string {
  return '0x' + (n & 0xff).toString(16).padStart(2, '0');
}

/** Checks reserved fields and register numbers; returns a message or undefined. */
export function checkFields(spec: OpSpec, r: { dst: number; src: number; off: number; imm: number }): string | undefined {
  const u = spec.fields;
  if (r.dst > 10) return `invalid register r${r.dst} in dst of ${spec.name} (registers are r0-r10)`;
  if (spec.kind !== 'lddw' && r.src > 10) return `invalid register r${r.src} in src of ${spec.name} (registers are r0-r10)`;
  if (spec.kind === 'lddw' && r.src > 6) return `invalid pseudo source ${r.src} in lddw (0-6 are defined)`;
  if (!u.dst && r.dst !== 0) return `reserved field dst is ${r.dst}, must be 0 for ${spec.name}`;
  if (!u.src && spec.srcIs === undefined && r.src !== 0) return `reserved field src is ${r.src}, must be 0 for ${spec.name}`;
  if (!u.off && spec.offIs === undefined && r.off !== 0) return `reserved field off is ${r.off}, must be 0 for ${spec.name}`;
  if (!u.imm && spec.immIs === undefined && r.imm !== 0) return `reserved field imm is ${r.imm}, must be 0 for ${spec.name}`;
  return undefined;
}

/** Decodes a program. The byte length must be a multiple of 8 (a trailing partial slot is a diagnostic). */
export function decode(bytes: Uint8Array, opts: CodecOptions = {}): DecodeResult {
  const be = !!opts.bigEndian;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nslots = Math.floor(bytes.byteLength / 8);
  const insns: Insn[] = [];
  const diagnostics: IsaDiagnostic[] = [];
  const invalid: number[] = [];
  const bad = (pc: number, message: string) => { diagnostics.push({ pc, message }); invalid.push(pc); };
  for (let pc = 0; pc < nslots; pc++) {
    const r = readSlot(dv, pc * 8, be);
    const spec = lookupSpec(r.code, r.src, r.off, r.imm);
    if (!spec) {
      bad(pc, describeUnknown(r));
      continue;
    }
    const msg = checkFields(spec, r);
    if (msg) {
      bad(pc, msg);
      if (spec.kind === 'lddw') pc++; // skip the second half too
      continue;
    }
    const insn: Insn = { spec, pc, dst: r.dst, src: r.src, off: r.off, imm: r.imm };
    if (spec.kind === 'lddw') {
      if (pc + 1 >= nslots) {
        bad(pc, 'invalid lddw: the second half of the 16-byte instruction is missing at the end of the program');
        continue;
      }
      const r2 = readSlot(dv, (pc + 1) * 8, be);
      if (r2.code !== 0 || r2.dst !== 0 || r2.src !== 0 || r2.off !== 0) {
        bad(pc, `invalid lddw: the second slot ${pc + 1} must have opcode 0 and zero dst, src and off (found opcode ${hex(r2.code)})`);
        pc++;
        continue;
      }
      insn.imm2 = r2.imm;
      pc++;
    }
    insns.push(insn);
  }
  if (bytes.byteLength % 8 !== 0) {
    diagnostics.push({ pc: nslots, message: `program size ${bytes.byteLength} is not a multiple of 8: ${bytes.byteLength % 8} trailing bytes` });
  }
  return { insns, diagnostics, invalid };
}

function describeUnknown(r: RawSlot): string {
  const cls = r.code & 7;
  const names = ['ld', 'ldx', 'st', 'stx', 'alu', 'jmp', 'jmp32', 'alu64'];
  let why = '';
  if (cls === CLASS.ALU || cls === CLASS.ALU64) {
    if ((r.code & 0xf0) === 0x80 && (r.code & 0x08)) why = ' (neg takes no register source)';
    else if ((r.code & 0xf0) >= 0xe0) why = ` (ALU operation ${hex(r.code & 0xf0)} does not exist)`;
    else if ((r.code & 0xf0) === 0xd0) why = ` (byte swap width ${r.imm} must be 16, 32 or 64)`;
    else if (r.off !== 0) why = ` (off=${r.off} selects no variant of this operation)`;
  } else if (cls === CLASS.JMP || cls === CLASS.JMP32) {
    if ((r.code & 0xf0) === 0x80) why = cls === CLASS.JMP ? ` (call with src=${r.src}: 0 helper, 1 local, 2 kfunc)` : ' (call is JMP class only)';
    else if ((r.code & 0xf0) === 0x90) why = ' (exit is JMP class only, with no register source)';
    else if ((r.code & 0xf0) >= 0xe0) why = ` (jump operation ${hex(r.code & 0xf0)} does not exist)`;
  } else if ((r.code & 0xe0) === 0xc0 && cls === CLASS.STX) {
    why = ` (atomic operation imm=0x${(r.imm >>> 0).toString(16)} does not exist)`;
  }
  return `unknown opcode ${hex(r.code)} (class ${names[cls]})${why}`;
}

/** Encodes instructions into bytes, in the order given (their `pc` is not consulted). */
export function encode(insns: readonly Insn[], opts: CodecOptions = {}): Uint8Array {
  const be = !!opts.bigEndian;
  let n = 0;
  for (const i of insns) n += width(i);
  const out = new Uint8Array(n * 8);
  const dv = new DataView(out.buffer);
  let at = 0;
  for (const i of insns) {
    dv.setUint8(at, i.spec.code);
    dv.setUint8(at + 1, be ? ((i.dst & 0xf) << 4) | (i.src & 0xf) : ((i.src & 0xf) << 4) | (i.dst & 0xf));
    dv.setInt16(at + 2, i.off, !be);
    dv.setInt32(at + 4, i.imm, !be);
    at += 8;
    if (i.spec.kind === 'lddw') {
      dv.setInt32(at + 4, i.imm2 ?? 0, !be);
      at += 8;
    }
  }
  return out;
}

/** Checks an instruction's fields against its spec before encoding (range of off/imm, reserved fields). */
export function validate(insn: Insn): string | undefined {
  if (insn.off < -32768 || insn.off > 32767) return `offset ${insn.off} does not fit in 16 bits`;
  if (insn.imm < -2147483648 || insn.imm > 2147483647) return `immediate ${insn.imm} does not fit in 32 bits`;
  return checkFields(insn.spec, insn);
}

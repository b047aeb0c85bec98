/**
 * ALU instructions (the kernel's check_alu_op, adjust_reg_min_max_vals and
 * adjust_ptr_min_max_vals): reserved fields, register reads and writes,
 * moves and constant adds (scalar ids and BPF_ADD_CONST deltas for linked
 * registers), scalar transfer functions and
 * the pointer-arithmetic rules with their messages, including the CAP_BPF-only
 * (Spectre v1) restrictions. Non-goal: arena address-space casts.
 */
import type { Env } from './env';
import type { Slot } from './prepass';
import type { OpSpec } from '../isa';
import {
  ADD_CONST32, ADD_CONST64, F, Reg, S32_MAX, S32_MIN, S64_MAX, S64_MIN, T, addConstFlag, assignScalarId, clearScalarId, boundsSync, coerceToSizeSx, isPtr, mark32Unbounded, markConst, markKnown, markUnknown,
  regWidth, typeStr, zext32,
} from './reg';
import { constImm, scalarAlu } from './scalar';
import { Tnum, U64, tadd, tisConst, tstr, tsub, tsubregIsConst } from './tnum';
import { BPF_MAX_VAR_OFF, checkMemRegion, isPointerValue, regTypeStr } from './mem';

const OPSTR: Record<string, string> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', sdiv: '/=', or: '|=', and: '&=', lsh: '<<=', rsh: '>>=', neg: 'neg', mod: '%=', smod: '%=',
  xor: '^=', mov: '=', arsh: 's>>=', end: 'endian',
};

/** check_reg_arg(SRC_OP). */
export function readReg(env: Env, r: number): Reg {
  if (r > 10) env.fail(`R${r} is invalid`);
  env.scratch.reg(r);
  const reg = env.regs[r];
  if (reg.type === T.NOT_INIT) env.fail(`R${r} !read_ok`);
  return reg;
}

/** check_reg_arg(DST_OP / DST_OP_NO_MARK). */
export function writeReg(env: Env, r: number, mark: boolean): Reg {
  if (r > 10) env.fail(`R${r} is invalid`);
  env.scratch.reg(r);
  if (r === 10) env.fail('frame pointer is read only');
  const reg = env.regs[r];
  if (mark) markUnknown(reg);
  return reg;
}

function checkSaneOffset(env: Env, r: Reg, ptrType: string): void {
  const known = tisConst(r.var);
  const val = BigInt.asIntN(64, r.var.value);
  const lim = BigInt(BPF_MAX_VAR_OFF);
  if (known && (val >= lim || val <= -lim)) env.fail(`math between ${ptrType} pointer and ${val} is not allowed`);
  if (r.off >= BPF_MAX_VAR_OFF || r.off <= -BPF_MAX_VAR_OFF) env.fail(`${ptrType} pointer offset ${r.off} is not allowed`);
  if (r.smin === S64_MIN) env.fail(`math between ${ptrType} pointer and register with unbounded min value is not allowed`);
  if (r.smin >= lim || r.smin <= -lim) env.fail(`value ${r.smin} makes ${ptrType} pointer be out of bounds`);
}

function sanitizeCheckBounds(env: Env, dst: number, d: Reg): void {
  if (env.bypassSpecV1) return;
  if (d.type === T.STACK) {
    const off = d.off + Number(BigInt.asIntN(64, d.var.value));
    if (!tisConst(d.var)) env.fail(`R${dst} variable stack access prohibited for !root, var_off=${tstr(d.var)} off=${off}`);
    if (off >= 0 || off < -512) env.fail(`R${dst} stack pointer arithmetic goes out of range, prohibited for !root; off=${off}`);
  } else if (d.type === T.MAP_VALUE) {
    const save = env.regs[dst];
    try {
      checkMemRegion(env, dst, d.off, 1, env.maps[d.map]?.valueSize ?? 0, false);
    } catch {
      void save;
      env.fail(`R${dst} pointer arithmetic of map value goes out of range, prohibited for !root`);
    }
  }
}

/** adjust_ptr_min_max_vals: dst = ptr op off. */
function ptrAlu(env: Env, s: OpSpec, dst: number, ptr: Reg, off: Reg, srcIsX: boolean, offIsDst: boolean, srcRegno = dst): void {
  const d = env.regs[dst];
  const op = s.alu ?? '';
  const known = tisConst(off.var);
  if ((known && (off.smin !== off.smax || off.umin !== off.umax)) || off.smin > off.smax || off.umin > off.umax) {
    markUnknown(d);
    return;
  }
  if (!s.is64) {
    if (op === 'sub' && env.allowPtrLeaks) { markUnknown(d); return; }
    env.fail(`R${dst} 32-bit pointer arithmetic prohibited`);
  }
  if (ptr.flags & F.MAYBE_NULL) env.fail(`R${dst} pointer arithmetic on ${regTypeStr(ptr)} prohibited, null-check it first`);
  switch (ptr.type) {
    case T.CTX: case T.MAP_VALUE: case T.MAP_KEY: case T.STACK: case T.PKT_META: case T.PKT: case T.BTF_ID: case T.MEM:
    case T.BUF: case T.FUNC:
      break;
    case T.FLOW_KEYS:
      if (known) break;
      if (known && off.smin === 0n && op === 'add') break;
      env.fail(`R${dst} pointer arithmetic on ${regTypeStr(ptr)} prohibited`);
      break;
    case T.MAP_PTR:
      if (known && off.smin === 0n && op === 'add') break;
      env.fail(`R${dst} pointer arithmetic on ${regTypeStr(ptr)} prohibited`);
      break;
    default:
      env.fail(`R${dst} pointer arithmetic on ${regTypeStr(ptr)} prohibited`);
  }
  const ptrType = typeStr(ptr.type, ptr.flags);
  const p = ptr.clone();
  const o = off.clone();
  checkSaneOffset(env, o, ptrType);
  checkSaneOffset(env, p, ptrType);
  // sanitize_ptr_alu (CAP_BPF only, register offsets).
  if (!env.bypassSpecV1 && srcIsX && (op === 'add' || op === 'sub')) {
    if (!tisConst(o.var) && (o.smin < 0n) !== (o.smax < 0n)) {
      env.fail(`R${offIsDst ? dst : srcRegno} has unknown scalar with mixed signed bounds, pointer arithmetic with it prohibited for !root`);
    }
    if (p.type !== T.STACK && p.type !== T.MAP_VALUE) env.fail(`R${dst} has pointer with unsupported alu operation, pointer arithmetic with it prohibited for !root`);
    if (!tisConst(o.var)) {
      // The masked offset may be zero under speculation: that path is explored from the next
      // instruction with the destination the unmoved pointer; pruning compares scalars exactly from now on.
      if (!env.state.speculative) env.exploreAluLimits = true;
      env.speculator?.speculate(dst, p);
    }
  }
  d.copyFrom(p);
  mark32Unbounded(d);
  const oneOff = BigInt(p.off);
  switch (op) {
    case 'add':
      if (known && oneOff + o.smin === BigInt.asIntN(32, oneOff + o.smin)) {
        d.off = p.off + Number(o.smin);
        break;
      }
      d.smin = p.smin + o.smin; d.smax = p.smax + o.smax;
      if (d.smin < S64_MIN || d.smin > S64_MAX || d.smax < S64_MIN || d.smax > S64_MAX) { d.smin = S64_MIN; d.smax = S64_MAX; }
      d.umin = p.umin + o.umin; d.umax = p.umax + o.umax;
      if (d.umin > U64 || d.umax > U64) { d.umin = 0n; d.umax = U64; }
      d.var = tadd(p.var, o.var);
      if (p.type === T.PKT || p.type === T.PKT_META) { d.id = env.newId(); d.range = 0; }
      break;
    case 'sub':
      if (offIsDst) env.fail(`R${dst} tried to subtract pointer from scalar`);
      if (p.type === T.STACK) env.fail(`R${dst} subtraction from stack pointer prohibited`);
      if (known && oneOff - o.smin === BigInt.asIntN(32, oneOff - o.smin)) {
        d.off = p.off - Number(o.smin);
        break;
      }
      d.smin = p.smin - o.smax; d.smax = p.smax - o.smin;
      if (d.smin < S64_MIN || d.smin > S64_MAX || d.smax < S64_MIN || d.smax > S64_MAX) { d.smin = S64_MIN; d.smax = S64_MAX; }
      if (p.umin < o.umax) { d.umin = 0n; d.umax = U64; } else { d.umin = p.umin - o.umax; d.umax = p.umax - o.umin; }
      d.var = tsub(p.var, o.var);
      if (p.type === T.PKT || p.type === T.PKT_META) { d.id = env.newId(); if (o.smin < 0n) d.range = 0; }
      break;
    case 'and': case 'or': case 'xor':
      env.fail(`R${dst} bitwise operator ${OPSTR[op]} on pointer prohibited`);
      break;
    default:
      env.fail(`R${dst} pointer arithmetic with ${OPSTR[op]} operator prohibited`);
  }
  checkSaneOffset(env, d, ptrType);
  boundsSync(d);
  sanitizeCheckBounds(env, dst, d);
  if (!env.bypassSpecV1 && srcIsX && (op === 'add' || op === 'sub') && (p.type === T.STACK || p.type === T.MAP_VALUE)) {
    const neg = o.smin < 0n;
    const left = (op === 'add' && neg) || (op === 'sub' && !neg);
    const lim = (r: Reg): bigint => p.type === T.MAP_VALUE ? (left ? r.smin : r.umax) + BigInt(r.off) : -(BigInt.asIntN(64, r.var.value) + BigInt(r.off));
    const limit = lim(p) - lim(d);
    const state = `${neg ? 1 : 0}${tisConst(o.var) ? 1 : 0}${offIsDst ? 'd' : 's'}:${limit < 0n ? -limit : limit}`;
    const prev = env.aluAux.get(env.insnIdx);
    if (prev !== undefined && prev !== state) env.fail(`R${dst} tried to ${op} from different maps, paths or scalars, pointer arithmetic with it prohibited for !root`);
    env.aluAux.set(env.insnIdx, state);
  }
}

/** check_alu_op. */
/** A sign-extending move (movsx) of a scalar from its low `bits`: the copy keeps the source's id only when no sign bit can be set. */
function copySext(env: Env, d: Reg, src: Reg, bits: number): void {
  const noSext = src.umax < 1n << BigInt(bits - 1);
  if (noSext) assignScalarId(env, src);
  d.copyFrom(src);
  if (!noSext) clearScalarId(d);
  coerceToSizeSx(d, bits >> 3);
}

export function checkAlu(env: Env, s: OpSpec | undefined, sl: Slot): void {
  const cls64 = (sl.code & 7) === 7;
  const op = sl.code & 0xf0;
  const isX = (sl.code & 8) !== 0;
  if (op === 0xd0 || op === 0x80) {
    if (op === 0x80) {
      if (isX || sl.src !== 0 || sl.off !== 0 || sl.imm !== 0) env.fail('BPF_NEG uses reserved fields');
    } else if (sl.src !== 0 || sl.off !== 0 || (sl.imm !== 16 && sl.imm !== 32 && sl.imm !== 64) || (cls64 && isX)) {
      env.fail('BPF_END uses reserved fields');
    }
    const r = readReg(env, sl.dst);
    if (isPointerValue(env, r)) env.fail(`R${sl.dst} pointer arithmetic prohibited`);
    if (op === 0x80 && r.type === T.SCALAR) {
      writeReg(env, sl.dst, false);
      scalarAlu('neg', r, r.clone(), cls64);
      clearScalarId(r);
    } else {
      const before = r.var;
      const scalar = r.type === T.SCALAR;
      writeReg(env, sl.dst, true);
      // A byte swap of a pointer (allowed with pointer leaks) is an unknown scalar.
      if (op === 0xd0 && s && scalar) endianOp(r, before, sl.imm, s.endian ?? 'le');
    }
    return;
  }
  if (op === 0xb0) {
    if (isX) {
      if (!cls64) { if ((sl.off !== 0 && sl.off !== 8 && sl.off !== 16) || sl.imm) env.fail('BPF_MOV uses reserved fields'); }
      else if ((sl.off !== 0 && sl.off !== 8 && sl.off !== 16 && sl.off !== 32) || sl.imm) env.fail('BPF_MOV uses reserved fields');
      readReg(env, sl.src);
    } else if (sl.src !== 0 || sl.off !== 0) env.fail('BPF_MOV uses reserved fields');
    const d = writeReg(env, sl.dst, false);
    if (isX) {
      const src = env.regs[sl.src];
      if (cls64) {
        if (sl.off === 0) {
          assignScalarId(env, src);
          d.copyFrom(src);
        } else {
          if (isPointerValue(env, src)) env.fail(`R${sl.src} sign-extension part of pointer`);
          if (src.type === T.SCALAR) copySext(env, d, src, sl.off);
          else markUnknown(d);
        }
      } else {
        if (isPointerValue(env, src)) env.fail(`R${sl.src} partial copy of pointer`);
        if (src.type === T.SCALAR) {
          if (sl.off === 0) {
            const u32ok = regWidth(src) <= 32;
            if (u32ok) assignScalarId(env, src);
            d.copyFrom(src);
            if (!u32ok) clearScalarId(d);
          } else copySext(env, d, src, sl.off);
        } else markUnknown(d);
        zext32(d);
        boundsSync(d);
      }
    } else {
      markUnknown(d);
      if (cls64) markKnown(d, BigInt(sl.imm));
      else markKnown(d, BigInt(sl.imm >>> 0));
    }
    return;
  }
  if (op > 0xd0) env.fail(`invalid BPF_ALU opcode ${(op >> 4).toString(16)}`);
  const divmod = op === 0x30 || op === 0x90;
  if (isX) {
    if (sl.imm !== 0 || (sl.off !== 0 && sl.off !== 1) || (sl.off === 1 && !divmod)) env.fail('BPF_ALU uses reserved fields');
    readReg(env, sl.src);
  } else if (sl.src !== 0 || (sl.off !== 0 && sl.off !== 1) || (sl.off === 1 && !divmod)) {
    env.fail('BPF_ALU uses reserved fields');
  }
  readReg(env, sl.dst);
  if (divmod && !isX && sl.imm === 0) env.fail('div by zero');
  if ((op === 0x60 || op === 0x70 || op === 0xc0) && !isX) {
    const size = cls64 ? 64 : 32;
    if (sl.imm < 0 || sl.imm >= size) env.fail(`invalid shift ${sl.imm}`);
  }
  writeReg(env, sl.dst, false);
  adjustRegMinMax(env, s, sl, cls64, isX);
}

/** The low `bits` bits of x with their bytes reversed. */
function bswap(x: bigint, bits: number): bigint {
  let out = 0n;
  for (let i = 0; i < bits; i += 8) out = (out << 8n) | ((x >> BigInt(i)) & 0xffn);
  return out;
}

function endianOp(r: Reg, before: Tnum, bits: number, kind: string): void {
  // The kernel's tnum byte swap (be and bswap on a little-endian host) or truncation (le), then
  // bounds derived from the tnum alone.
  const m = (1n << BigInt(bits)) - 1n;
  let value = before.value & m; let mask = before.mask & m;
  if (kind !== 'le') { value = bswap(value, bits); mask = bswap(mask, bits); }
  markUnknown(r);
  r.var = { value, mask };
  boundsSync(r);
}

function adjustRegMinMax(env: Env, s: OpSpec | undefined, sl: Slot, is64: boolean, isX: boolean): void {
  const regs = env.regs;
  const d = regs[sl.dst];
  const alu = s?.alu ?? 'add';
  const ptr = d.type !== T.SCALAR ? d : undefined;
  let src: Reg;
  if (isX) {
    src = regs[sl.src];
    if (src.type !== T.SCALAR) {
      if (d.type !== T.SCALAR) {
        if (alu === 'sub' && env.allowPtrLeaks) { markUnknown(d); return; }
        env.fail(`R${sl.dst} pointer ${OPSTR[alu]} pointer prohibited`);
      }
      ptrAlu(env, s as OpSpec, sl.dst, src, d.clone(), true, true, sl.src);
      return;
    }
    if (ptr) { ptrAlu(env, s as OpSpec, sl.dst, ptr, src, true, false, sl.src); return; }
  } else {
    src = constImm(sl.imm);
    if (ptr) { ptrAlu(env, s as OpSpec, sl.dst, ptr, src, false, false); return; }
  }
  const srcCopy = src === d ? d.clone() : src;
  const dstUmax = d.umax;
  scalarAlu(alu, d, srcCopy, is64);
  linkConstDelta(d, srcCopy, alu, is64, dstUmax, isX && sl.src === sl.dst);
}

/**
 * The linked-scalar part of adjust_reg_min_max_vals: `rX += K` / `rX -= K` (K a constant within s32,
 * or a register known constant) keeps rX's id with an ADD_CONST flag and the delta in `off`, so a
 * later comparison of either copy refines the other (jumps.ts syncLinked). A second delta, a 32-bit
 * op on a value that may exceed 32 bits, `rX += rX`, or any other op drops the link.
 */
function linkConstDelta(d: Reg, src: Reg, alu: string, is64: boolean, dstUmax: bigint, self: boolean): void {
  const srcConst = src.type === T.SCALAR && (is64 ? tisConst(src.var) : tsubregIsConst(src.var));
  if ((alu !== 'add' && alu !== 'sub') || !d.id || !srcConst || self) { clearScalarId(d); return; }
  const val = is64 ? BigInt.asIntN(64, src.var.value) : src.var.value & 0xffffffffn;
  if (is64 && (val < S32_MIN || val > S32_MAX)) { clearScalarId(d); return; }
  if (!is64 && dstUmax > 0xffffffffn) { clearScalarId(d); return; }
  let off = Number(BigInt.asIntN(32, val));
  if (alu === 'sub') {
    if (off === -0x80000000) { clearScalarId(d); return; }
    off = -off;
  }
  if (addConstFlag(d.id)) { clearScalarId(d); return; }
  d.id += is64 ? ADD_CONST64 : ADD_CONST32;
  d.off = off;
}

export { isPtr, markConst };

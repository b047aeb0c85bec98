/**
 * Memory access checks (the kernel's check_mem_access and what it calls):
 * stack reads/writes with per-byte slot types and register spills, map
 * values and keys, packet data proven by data_end comparisons, ctx fields
 * through the ctx tables, memory regions (ringbuf records), BTF pointers
 * (btf-access.ts). Messages are the kernel's. Non-goal: arena and percpu
 * memory.
 */
import type { Env } from './env';
import {
  F, Reg, S32_MAX, S32_MIN, S64_MIN, T, assignScalarId, clearScalarId, coerceToSize, coerceToSizeSx, isNull, isPtr, markConst, markKnown, markKnownZero,
  markNotInit, markUnknown, regWidth, typeStr,
} from './reg';
import { Frame, S } from './state';
import { tadd, tconst, tisAligned, tisConst, tstr } from './tnum';
import { ctxAccess } from './ctx-access';
import { mapTypeName } from './prepass';
import { mapPtrAccess, timerField } from './map-fields';
import { btfAccess } from './btf-access';

export const BPF_MAX_VAR_OFF = 1 << 29;

export function regTypeStr(r: Reg): string { return typeStr(r.type, r.flags); }

/** A pointer value that must not leak (is_pointer_value honours allow_ptr_leaks). */
export function isPointerValue(env: Env, r: Reg): boolean {
  return !env.allowPtrLeaks && isPtr(r);
}

function frameOf(env: Env, r: Reg): Frame {
  return env.state.frames[r.frameno] ?? env.state.cur;
}

function varOffStr(r: Reg): string {
  return tisConst(r.var) ? String(BigInt.asIntN(64, r.var.value)) : tstr(r.var);
}

function checkAlignment(env: Env, regno: number, r: Reg, off: number, size: number): void {
  let desc = '';
  let strict = env.strictAlign;
  switch (r.type) {
    case T.PKT:
    case T.PKT_META: {
      if (!strict || size === 1) return;
      const v = tadd(r.var, tconst(BigInt(2 + r.off + off)));
      if (!tisAligned(v, size)) env.fail(`misaligned packet access off 2+${varOffStr(r)}+${r.off}+${off} size ${size}`);
      return;
    }
    case T.FLOW_KEYS: desc = 'flow keys '; break;
    case T.MAP_KEY: desc = 'key '; break;
    case T.MAP_VALUE: desc = 'value '; break;
    case T.CTX: desc = 'context '; break;
    case T.STACK: desc = 'stack '; strict = true; break;
    case T.SOCKET: desc = 'sock '; break;
    case T.SOCK_COMMON: desc = 'sock_common '; break;
    case T.TCP_SOCK: desc = 'tcp_sock '; break;
    default: break;
  }
  void regno;
  if (!strict || size === 1) return;
  const v = tadd(r.var, tconst(BigInt(r.off + off)));
  if (!tisAligned(v, size)) env.fail(`misaligned ${desc}access off ${varOffStr(r)}+${r.off}+${off} size ${size}`);
}

function checkMemAccessRaw(env: Env, regno: number, off: number, size: number, memSize: number, zeroOk: boolean): boolean {
  const sizeOk = size > 0 || (size === 0 && zeroOk);
  if (off >= 0 && sizeOk && off + size <= memSize) return true;
  const r = env.regs[regno];
  switch (r.type) {
    case T.MAP_KEY: env.verbose(`invalid access to map key, key_size=${memSize} off=${off} size=${size}`); break;
    case T.MAP_VALUE: env.verbose(`invalid access to map value, value_size=${memSize} off=${off} size=${size}`); break;
    case T.PKT: case T.PKT_META: case T.PKT_END:
      env.verbose(`invalid access to packet, off=${off} size=${size}, R${regno}(id=${r.id},off=${off},r=${memSize})`); break;
    default: env.verbose(`invalid access to memory, mem_size=${memSize} off=${off} size=${size}`);
  }
  return false;
}

/** check_mem_region_access. */
export function checkMemRegion(env: Env, regno: number, off: number, size: number, memSize: number, zeroOk: boolean): void {
  const r = env.regs[regno];
  if (r.smin < 0n && (r.smin === S64_MIN || BigInt(off) + r.smin !== BigInt.asIntN(32, BigInt(off) + r.smin) || r.smin + BigInt(off) < 0n)) {
    env.fail(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  if (!checkMemAccessRaw(env, regno, Number(r.smin) + off, size, memSize, zeroOk)) env.fail(`R${regno} min value is outside of the allowed memory range`);
  if (r.umax >= BigInt(BPF_MAX_VAR_OFF)) env.fail(`R${regno} unbounded memory access, make sure to bounds check any such access`);
  if (!checkMemAccessRaw(env, regno, Number(r.umax) + off, size, memSize, zeroOk)) env.fail(`R${regno} max value is outside of the allowed memory range`);
}

/** check_packet_access. */
export function checkPacket(env: Env, regno: number, off: number, size: number, zeroOk: boolean): void {
  const r = env.regs[regno];
  if (r.smin < 0n) env.fail(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  const ok = r.range >= 0 && checkMemAccessRaw(env, regno, off, size, r.range, zeroOk);
  if (!ok) env.fail(`R${regno} offset is outside of the packet`);
}

function mapWritable(env: Env, regno: number, write: boolean): void {
  const r = env.regs[regno];
  const m = env.maps[r.map];
  if (write && m && (m.readonly || ((m.flags ?? 0) & 0x80))) {
    env.fail(`write into map forbidden, value_size=${m.valueSize} off=${r.off} size=?`);
  }
}

function stackBounds(env: Env, regno: number, off: number, size: number, write: boolean): void {
  const r = env.regs[regno];
  const f = frameOf(env, r);
  const extra = write ? ' write to' : ' read from';
  let minOff: number; let maxOff: number;
  if (tisConst(r.var)) {
    minOff = Number(BigInt.asIntN(64, r.var.value)) + off;
    maxOff = minOff + size;
  } else {
    if (r.smax >= BigInt(BPF_MAX_VAR_OFF) || r.smin <= -BigInt(BPF_MAX_VAR_OFF)) {
      env.fail(`invalid unbounded variable-offset${extra} stack R${regno}`);
    }
    minOff = Number(r.smin) + off;
    maxOff = Number(r.smax) + off + size;
  }
  const minValid = write || env.allowUninitStack ? -512 : -f.allocated;
  let bad = minOff < minValid || minOff > -1;
  if (!bad && maxOff > 0) bad = true;
  if (bad) {
    if (tisConst(r.var)) env.fail(`invalid${extra} stack R${regno} off=${off} size=${size}`);
    env.fail(`invalid variable-offset${extra} stack R${regno} var_off=${tstr(r.var)} off=${off} size=${size}`);
  }
  f.grow(-minOff);
  if (-minOff > env.maxStack) env.maxStack = -minOff;
}

function isSpillable(r: Reg): boolean { return r.type !== T.SCALAR && r.type !== T.NOT_INIT; }

function saveRegState(f: Frame, spi: number, r: Reg, size: number): void {
  f.spilled[spi] = r.clone();
  let i = 8;
  for (; i > 8 - size; i--) f.stype[spi * 8 + i - 1] = S.SPILL;
  for (; i; i--) {
    const t = f.stype[spi * 8 + i - 1];
    if (t !== S.ZERO && t !== S.INVALID) f.stype[spi * 8 + i - 1] = S.MISC;
    else if (t === S.INVALID) f.stype[spi * 8 + i - 1] = S.INVALID;
  }
}

/** scrub_spilled_slot on each byte: every initialised byte (zeros too) becomes misc. */
function scrubSlot(f: Frame, spi: number): void {
  for (let j = spi * 8; j < spi * 8 + 8; j++) if (f.stype[j] !== S.INVALID) f.stype[j] = S.MISC;
}

function stackWriteFixed(env: Env, f: Frame, off: number, size: number, valueRegno: number, stImm: number | undefined): void {
  const slot = -off - 1;
  const spi = Math.floor(slot / 8);
  if (!env.allowPtrLeaks && f.slotSpilled(spi) && f.spilled[spi]?.type !== T.SCALAR && size !== 8) {
    env.fail('attempt to corrupt spilled pointer on stack');
  }
  env.scratch.slot(spi);
  if (size === 8 && off % 8 === 0) env.live?.write(f.frameno, spi);
  const reg = valueRegno >= 0 ? env.regs[valueRegno] : undefined;
  if (reg && off % 8 === 0 && reg.type === T.SCALAR) {
    const fits = regWidth(reg) <= 8 * size;
    if (fits) assignScalarId(env, reg);
    saveRegState(f, spi, reg, size);
    if (!fits) clearScalarId(f.spilled[spi] as Reg);
  } else if (!reg && off % 8 === 0 && stImm !== undefined) {
    const tmp = new Reg();
    markConst(tmp, BigInt(stImm));
    saveRegState(f, spi, tmp, size);
  } else if (reg && isSpillable(reg)) {
    if (size !== 8) env.fail('invalid size of register spill');
    if (f !== env.state.cur && reg.type === T.STACK) env.fail('cannot spill pointers to stack into stack frame of the caller');
    saveRegState(f, spi, reg, size);
  } else {
    f.spilled[spi] = undefined;
    // is_stack_slot_special: a spill (or an iterator) leaves no zero bytes behind.
    const top = f.stype[spi * 8 + 7];
    if (top === S.SPILL || top === S.ITER) scrubSlot(f, spi);
    const zero = (reg && isNull(reg)) || (!reg && stImm === 0);
    const t = zero ? S.ZERO : S.MISC;
    for (let i = 0; i < size; i++) f.stype[(slot - i)] = t;
  }
}

function stackWriteVar(env: Env, f: Frame, ptr: Reg, off: number, size: number, valueRegno: number, stImm: number | undefined): void {
  const minOff = Number(ptr.smin) + off;
  const maxOff = Number(ptr.smax) + off + size;
  const reg = valueRegno >= 0 ? env.regs[valueRegno] : undefined;
  const zero = (reg && isNull(reg)) || (!reg && stImm === 0);
  for (let i = minOff; i < maxOff; i++) {
    const slot = -i - 1;
    const spi = Math.floor(slot / 8);
    env.scratch.slot(spi);
    const t = f.stype[slot];
    if (!env.allowPtrLeaks && t !== S.MISC && t !== S.ZERO) {
      env.fail(`spilled ptr in range of var-offset stack write; insn ${env.insnIdx}, ptr off: ${i}`);
    }
    if (zero && t === S.SPILL && f.spilled[spi]?.type === T.SCALAR && isNull(f.spilled[spi] as Reg)) continue;
    f.spilled[spi] = undefined;
    let nt = S.MISC;
    if (zero && t === S.ZERO) nt = S.ZERO;
    if (t === S.INVALID && !env.allowUninitStack) {
      env.fail(`uninit stack in range of var-offset write prohibited for !root; insn ${env.insnIdx}, off: ${i}`);
    }
    f.stype[slot] = nt;
    // Other bytes of a spill in this slot are no longer a spill.
    for (let j = 0; j < 8; j++) if (f.stype[spi * 8 + j] === S.SPILL) f.stype[spi * 8 + j] = S.MISC;
  }
}

function markStackRead(env: Env, f: Frame, minOff: number, maxOff: number, dst: number): void {
  let zeros = 0;
  for (let i = minOff; i < maxOff; i++) {
    const slot = -i - 1;
    env.scratch.slot(Math.floor(slot / 8));
    if (f.stype[slot] !== S.ZERO) break;
    zeros++;
  }
  const r = env.regs[dst];
  if (zeros === maxOff - minOff) markConst(r, 0n);
  else markUnknown(r);
}

function stackReadFixed(env: Env, f: Frame, off: number, size: number, dst: number): void {
  const slot = -off - 1;
  const spi = Math.floor(slot / 8);
  env.scratch.slot(spi);
  env.live?.read(env.state, f.frameno, env.insnIdx, spi, spi);
  const sp = f.spilled[spi];
  if (f.slotSpilled(spi) && sp) {
    let spillSize = 1;
    for (let i = 7; i > 0 && f.stype[spi * 8 + i - 1] === S.SPILL; i--) spillSize++;
    if (size !== 8 || spillSize !== 8) {
      if (sp.type !== T.SCALAR) env.fail('invalid size of register fill');
      if (dst < 0) return;
      if (size <= spillSize && off % 8 === 0) {
        // A narrowing fill keeps the link only when the value fits (coerce_reg_to_size adjusts the bounds).
        env.regs[dst].copyFrom(sp);
        if (regWidth(sp) > size * 8) clearScalarId(env.regs[dst]);
      } else {
        let spill = 0; let zero = 0;
        for (let i = 0; i < size; i++) {
          const t = f.stype[slot - i];
          if (t === S.SPILL) { spill++; continue; }
          if (t === S.MISC) continue;
          if (t === S.ZERO) { zero++; continue; }
          if (t === S.INVALID && env.allowUninitStack) continue;
          env.fail(`invalid read from stack off ${off}+${i} size ${size}`);
        }
        if ((spill === size && isNull(sp)) || zero === size) markConst(env.regs[dst], 0n);
        else markUnknown(env.regs[dst]);
      }
    } else if (dst >= 0) {
      // A full-size fill copies the spill as it is: no id is given here (6.18; the spill gave one).
      env.regs[dst].copyFrom(sp);
    } else if (isPointerValue(env, sp)) {
      env.fail(`leaking pointer from stack off ${off}`);
    }
    return;
  }
  for (let i = 0; i < size; i++) {
    const t = f.stype[slot - i];
    if (t === S.MISC || t === S.ZERO) continue;
    if (t === S.INVALID && env.allowUninitStack) continue;
    env.fail(`invalid read from stack off ${off}+${i} size ${size}`);
  }
  if (dst >= 0) markStackRead(env, f, off, off + size, dst);
}

/** check_stack_range_initialized (helper arguments and variable-offset reads). */
export function stackRangeInit(env: Env, regno: number, off: number, size: number, zeroOk: boolean, write: boolean, raw: boolean): { rawSize?: number } {
  const r = env.regs[regno];
  const f = frameOf(env, r);
  if (size === 0 && !zeroOk) env.fail('invalid zero-sized read');
  stackBounds(env, regno, off, size, write);
  let minOff: number; let maxOff: number;
  let isRaw = raw;
  if (tisConst(r.var)) {
    minOff = maxOff = Number(BigInt.asIntN(64, r.var.value)) + off;
  } else {
    if (!env.bypassSpecV1) env.fail(`R${regno} variable offset stack access prohibited for !root, var_off=${tstr(r.var)}`);
    isRaw = false;
    minOff = Number(r.smin) + off;
    maxOff = Number(r.smax) + off;
  }
  if (isRaw) return { rawSize: size };
  // Reading any byte of a slot makes the slot live (check_stack_range_initialized).
  env.live?.read(env.state, f.frameno, env.insnIdx, Math.floor((-(maxOff + size - 1) - 1) / 8), Math.floor((-minOff - 1) / 8));
  for (let i = minOff; i < maxOff + size; i++) {
    const slot = -i - 1;
    const spi = Math.floor(slot / 8);
    const t = f.stype[slot];
    // No scratch mark here (check_stack_range_initialized): a raw-mode helper's byte writes mark the slots.
    if (t === S.MISC) continue;
    if (t === S.ZERO || (t === S.INVALID && env.allowUninitStack)) {
      if (write) f.stype[slot] = S.MISC;
      continue;
    }
    const sp = f.spilled[spi];
    if (f.slotSpilled(spi) && sp && (sp.type === T.SCALAR || env.allowPtrLeaks)) {
      if (write) {
        markUnknown(sp);
        scrubSlot(f, spi);
      }
      continue;
    }
    if (tisConst(r.var)) env.fail(`invalid read from stack R${regno} off ${minOff}+${i - minOff} size ${size}`);
    env.fail(`invalid read from stack R${regno} var_off ${tstr(r.var)}+${i - minOff} size ${size}`);
  }
  return {};
}

/** check_ptr_off_reg for ctx and friends. */
export function checkPtrOffReg(env: Env, r: Reg, regno: number, fixedOk: boolean): void {
  if (!fixedOk && r.off) {
    env.fail(`dereference of modified ${regTypeStr(r)} ptr R${regno} off=${r.off} disallowed`);
  }
  if (!tisConst(r.var) || r.var.value !== 0n) {
    env.fail(`variable ${regTypeStr(r)} access var_off=${tstr(r.var)} disallowed`);
  }
}

export interface AccessOpts {
  /** Destination register of a load, or the source of a store (-1: none, e.g. ST imm or helper). */
  valueRegno: number;
  isLdsx?: boolean;
  /** ST instructions: the immediate stored. */
  stImm?: number;
}

/** check_mem_access. */
export function checkMemAccess(env: Env, regno: number, off0: number, size: number, write: boolean, o: AccessOpts): void {
  const regs = env.regs;
  const r = regs[regno];
  const vr = o.valueRegno;
  checkAlignment(env, regno, r, off0, size);
  const off = off0 + r.off;
  const leak = (what: string): void => {
    if (write && vr >= 0 && isPointerValue(env, regs[vr])) env.fail(`R${vr} leaks addr into ${what}`);
  };
  if (r.type === T.MAP_KEY) {
    if (write) env.fail(`write to change key R${regno} not allowed`);
    checkMemRegion(env, regno, off, size, env.maps[r.map]?.keySize ?? 0, false);
    if (vr >= 0) markUnknown(regs[vr]);
  } else if (r.type === T.MAP_VALUE && !(r.flags & F.MAYBE_NULL)) {
    leak('map');
    mapWritable(env, regno, write);
    checkMemRegion(env, regno, off, size, env.maps[r.map]?.valueSize ?? 0, false);
    timerField(env, r, off, size);
    if (!write && vr >= 0) {
      const m = env.maps[r.map];
      if (m && tisConst(r.var) && (m.readonly || ((m.flags ?? 0) & 0x80)) && m.initial && mapTypeName(m) === 'array') {
        const at = off + Number(r.var.value);
        let v = 0n;
        for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(m.initial[at + i] ?? 0);
        if (o.isLdsx) v = BigInt.asIntN(size * 8, v);
        markConst(regs[vr], v);
      } else markUnknown(regs[vr]);
    }
  } else if (r.type === T.MEM && !(r.flags & F.MAYBE_NULL)) {
    const rdonly = (r.flags & F.RDONLY) !== 0;
    if (write && rdonly) env.fail(`R${regno} cannot write into ${regTypeStr(r)}`);
    leak('mem');
    checkMemRegion(env, regno, off, size, r.memSize, false);
    if (vr >= 0 && (!write || rdonly)) markUnknown(regs[vr]);
  } else if (r.type === T.CTX) {
    leak('ctx');
    checkPtrOffReg(env, r, regno, false);
    const res = ctxAccess(env, off, size, write);
    if (!res.ok) env.fail(`invalid bpf_context access off=${off} size=${size}`);
    if (!write && vr >= 0) {
      const d = regs[vr];
      if (res.type === T.SCALAR) markUnknown(d);
      else {
        markKnownZero(d);
        d.type = res.type;
        d.flags = res.flags ?? 0;
        if (res.flags && res.flags & F.MAYBE_NULL) d.id = env.newId();
        if (res.btfName) d.btfName = res.btfName;
        return;
      }
    }
  } else if (r.type === T.STACK) {
    stackBounds(env, regno, off, size, write);
    const f = frameOf(env, r);
    if (!write) {
      const varOff = !tisConst(r.var);
      if (vr < 0 && varOff) env.fail(`variable offset stack pointer cannot be passed into helper function; var_off=${tstr(r.var)} off=${off} size=${size}`);
      if (!env.bypassSpecV1 && varOff) env.fail(`R${regno} variable offset stack access prohibited for !root, var_off=${tstr(r.var)}`);
      if (!varOff) stackReadFixed(env, f, off + Number(BigInt.asIntN(64, r.var.value)), size, vr);
      else {
        stackRangeInit(env, regno, off, size, false, false, false);
        markStackRead(env, f, Number(r.smin) + off, Number(r.smax) + off + size, vr);
      }
    } else if (tisConst(r.var)) {
      stackWriteFixed(env, f, off + Number(BigInt.asIntN(64, r.var.value)), size, vr, o.stImm);
    } else {
      stackWriteVar(env, f, r, off, size, vr, o.stImm);
    }
  } else if (r.type === T.PKT || r.type === T.PKT_META) {
    if (write && !pktWritable(env)) env.fail('cannot write into packet');
    leak('packet');
    checkPacket(env, regno, off, size, false);
    if (!write && vr >= 0) markUnknown(regs[vr]);
  } else if ((r.type === T.SOCKET || r.type === T.SOCK_COMMON || r.type === T.TCP_SOCK) && !(r.flags & F.MAYBE_NULL)) {
    if (write) env.fail(`R${regno} cannot write into ${regTypeStr(r)}`);
    if (off < 0 || !tisConst(r.var) || off + size > 80) env.fail(`R${regno} invalid ${regTypeStr(r)} access off=${off} size=${size}`);
    if (vr >= 0) markUnknown(regs[vr]);
  } else if (r.type === T.BTF_ID && !(r.flags & F.MAYBE_NULL)) {
    btfAccess(env, regno, r, off, size, vr, write);
  } else if (r.type === T.MAP_PTR) {
    mapPtrAccess(env, regno, r, off, write);
    if (vr >= 0) markUnknown(regs[vr]);
  } else {
    env.fail(`R${regno} invalid mem access '${regTypeStr(r)}'`);
  }
  if (size < 8 && vr >= 0 && !write && regs[vr].type === T.SCALAR) {
    if (o.isLdsx) coerceToSizeSx(regs[vr], size);
    else coerceToSize(regs[vr], size);
  }
}

/** may_access_direct_pkt_data for writes. */
export function pktWritable(env: Env): boolean {
  switch (env.progType) {
    case 'sched_cls': case 'sched_act': case 'xdp': case 'lwt_xmit': case 'sk_skb': case 'sk_msg': return true;
    default: return false;
  }
}

/** check_mem_reg (kfunc and global-function memory arguments): read and written; maybe-NULL checked as if not NULL. */
export function checkMemReg(env: Env, regno: number, size: number): void {
  const r = env.regs[regno];
  const saved = r.flags;
  r.flags &= ~F.MAYBE_NULL;
  try {
    helperMemAccess(env, regno, size, false, true, false);
    helperMemAccess(env, regno, size, true, true, false);
  } finally {
    r.flags = saved;
  }
}

/** check_helper_mem_access: a helper reads or writes `size` bytes at register `regno`. */
export function helperMemAccess(env: Env, regno: number, size: number, write: boolean, zeroOk: boolean, raw: boolean): { rawSize?: number } {
  const r = env.regs[regno];
  switch (r.type) {
    case T.PKT: case T.PKT_META:
      checkPacket(env, regno, r.off, size, zeroOk); return {};
    case T.MAP_KEY:
      if (write) env.fail(`R${regno} cannot write into ${regTypeStr(r)}`);
      checkMemRegion(env, regno, r.off, size, env.maps[r.map]?.keySize ?? 0, false); return {};
    case T.MAP_VALUE:
      mapWritable(env, regno, write);
      checkMemRegion(env, regno, r.off, size, env.maps[r.map]?.valueSize ?? 0, zeroOk); return {};
    case T.MEM:
      if ((r.flags & F.RDONLY) && write) env.fail(`R${regno} cannot write into ${regTypeStr(r)}`);
      checkMemRegion(env, regno, r.off, size, r.memSize, zeroOk); return {};
    case T.STACK:
      return stackRangeInit(env, regno, r.off, size, zeroOk, write, raw);
    case T.BTF_ID:
      return {};
    case T.CTX:
      if (env.progType === 'syscall') return {};
      break;
    default:
      break;
  }
  if (zeroOk && size === 0 && isNull(r)) return {};
  env.fail(`R${regno} type=${regTypeStr(r)} expected=fp`);
}

export { S32_MAX, S32_MIN, markKnown, markNotInit };

/**
 * Static register liveness and "needs precision" sets per instruction, used by
 * state pruning. The kernel computes liveness statically too (6.15+) but finds
 * precision by backtracking; here a backward dataflow marks a scalar register
 * as needing precision when its value may reach a comparison (one that some path
 * has decided, when the caller says which), a helper or subprogram argument,
 * 64-bit pointer arithmetic, or a checked return value. This is
 * conservative (prunes less than the kernel), never more permissive. The same
 * backward pass follows values through stack spills and fills, so a spilled
 * scalar is compared exactly only when it may need precision (needStack).
 */
import type { OpSpec } from '../isa';
import { KIND, type Btf } from '../btf';
import { HELPER_NAMES, helperId } from '../isa/helpers';
import { HELPER_PROTOS } from './protos/table';
import { CALLBACK_HELPERS, type Slot } from './prepass';

/**
 * live/need: register bit sets per instruction. needStack: per instruction, two 32-bit words
 * (spi 0..31, 32..63) of the current frame's stack slots whose spilled scalar may need precision.
 */
export interface RegSets { live: Uint16Array; need: Uint16Array; needStack?: Uint32Array }

const ALL = 0x7ff;
const ARGS = 0b111110;
const bit = (r: number): number => (r >= 0 && r <= 10 ? 1 << r : 0);

/**
 * `jcondPrecise: false` leaves out comparisons as a source of precision (the kernel marks compared
 * registers precise only when the branch was decided): used to decide which scalars an iterator
 * loop may widen.
 */
export function analyse(slots: Slot[], specs: (OpSpec | undefined)[], exitNeedsR0: boolean, jcondPrecise: boolean | Uint8Array = true,
  constKeyMap: (map: number) => boolean = () => true, callUse: (i: number) => number = () => ARGS,
  succ = successors(slots, specs)): RegSets {
  const n = slots.length;
  const use = new Uint16Array(n);
  const def = new Uint16Array(n);
  const needUse = new Uint16Array(n);
  /** needProp[i]: if the defined register is needed after i, these are needed before. */
  const needProp = new Uint16Array(n);
  const s1 = new Int32Array(n); const s2 = new Int32Array(n);
  for (let i = 0; i < n; i++) { s1[i] = succ[2 * i]; s2[i] = succ[2 * i + 1]; }
  for (let i = 0; i < n; i++) {
    const s = specs[i];
    const sl = slots[i];
    if (!s) continue;
    const d = bit(sl.dst); const sr = bit(sl.src);
    switch (s.kind) {
      case 'alu':
        if (s.alu === 'mov' || s.alu === 'movsx') { use[i] = s.srcReg ? sr : 0; needProp[i] = s.srcReg ? sr : 0; }
        else { use[i] = d | (s.srcReg ? sr : 0); needProp[i] = d | (s.srcReg ? sr : 0); }
        // Pointer arithmetic (only 64-bit): the scalar operand's bounds decide the access.
        if ((s.alu === 'add' || s.alu === 'sub') && s.srcReg && s.is64) needUse[i] = sr | d;
        def[i] = d;
        break;
      case 'end': use[i] = d; def[i] = d; needProp[i] = d; break;
      case 'ldx': use[i] = sr; def[i] = d; break;
      case 'st': use[i] = d; break;
      case 'stx': use[i] = d | sr; break;
      case 'atomic':
        use[i] = d | sr | (s.atomic === 'cmpxchg' ? 1 : 0);
        def[i] = s.atomic === 'cmpxchg' ? 1 : s.fetch ? sr : 0;
        break;
      case 'lddw': def[i] = d; break;
      case 'ldabs': case 'ldind': use[i] = bit(6) | (s.kind === 'ldind' ? sr : 0); def[i] = ARGS | 1; needUse[i] = s.kind === 'ldind' ? sr : 0; break;
      case 'jcond':
        use[i] = d | (s.srcReg ? sr : 0); needUse[i] = (typeof jcondPrecise === 'boolean' ? jcondPrecise : jcondPrecise[i] === 1) ? use[i] : 0;
        break;
      case 'call': case 'callx':
        use[i] = callUse(i); needUse[i] = use[i]; def[i] = ARGS | 1;
        break;
      case 'exit': use[i] = 1; needUse[i] = exitNeedsR0 ? 1 : 0; break;
    }
  }
  const stk = stackEffects(slots, specs, s1, s2, constKeyMap);
  const live = new Uint16Array(n);
  const need = new Uint16Array(n);
  const ns = new Uint32Array(2 * n);
  let changed = true;
  let rounds = 0;
  while (changed && rounds++ < 64) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let lo = 0; let no = 0; let sa = 0; let sb = 0;
      const x = s1[i]; const y = s2[i];
      if (x >= 0) { lo |= live[x]; no |= need[x]; sa |= ns[2 * x]; sb |= ns[2 * x + 1]; }
      if (y >= 0) { lo |= live[y]; no |= need[y]; sa |= ns[2 * y]; sb |= ns[2 * y + 1]; }
      const li = (use[i] | (lo & ~def[i])) & ALL;
      let ni = (needUse[i] | (no & ~def[i])) & ALL;
      if (no & def[i]) ni |= needProp[i];
      // Stack slots: a spill of a register into a needed slot needs the register; a fill of a needed register needs its slot.
      const e = stk[i];
      if (e) {
        if ((sa & e.slotA) | (sb & e.slotB) || (e.anySlot && (sa | sb))) ni |= e.storeReg;
        sa &= ~e.killA; sb &= ~e.killB;
        if (e.all || (no & e.loadReg)) { sa |= e.slotA; sb |= e.slotB; }
        if (e.all || (e.anyLoad && (no & e.loadReg))) { sa = -1; sb = -1; }
      }
      ni &= li | needUse[i];
      sa >>>= 0; sb >>>= 0;
      if (li !== live[i] || ni !== need[i] || sa !== ns[2 * i] || sb !== ns[2 * i + 1]) {
        live[i] = li; need[i] = ni; ns[2 * i] = sa; ns[2 * i + 1] = sb; changed = true;
      }
    }
  }
  if (changed) { live.fill(ALL); need.fill(ALL); ns.fill(0xffffffff); }
  return { live, need, needStack: ns };
}

/**
 * The control-flow successors of each instruction, two per instruction (-1: none): fall-through
 * (past both halves of an ld_imm64; calls fall through) and jump target; exits have none. Targets
 * outside the program are left out.
 */
export function successors(slots: Slot[], specs: (OpSpec | undefined)[]): Int32Array {
  const n = slots.length;
  const succ = new Int32Array(2 * n).fill(-1);
  for (let i = 0; i < n; i++) {
    const s = specs[i]; const sl = slots[i];
    let a = i + 1; let b = -1;
    if (s?.kind === 'lddw') a = i + 2;
    else if (s?.kind === 'jcond') b = i + 1 + sl.off;
    else if (s?.kind === 'ja') a = i + 1 + (s.is64 ? sl.off : sl.imm);
    else if (s?.kind === 'exit') a = -1;
    if (a >= 0 && a < n) succ[2 * i] = a;
    if (b >= 0 && b < n) succ[2 * i + 1] = b;
  }
  return succ;
}

const HELPER_ARGS = new Map(HELPER_PROTOS.map((p) => [p.name, p.args.length]));

/**
 * The registers each call reads, as the kernel's get_call_summary gives them: r1..rN for a helper
 * with N arguments or a kfunc with N parameters, r1-r5 for subprogram calls and unknown callees.
 */
export function callUses(slots: Slot[], btf?: Btf): (i: number) => number {
  return (i) => {
    const sl = slots[i];
    let n: number | undefined;
    if (sl.src === 0) n = HELPER_ARGS.get(HELPER_NAMES[sl.imm] ?? '');
    else if (sl.src === 2 && btf && sl.imm > 0 && sl.imm < btf.count && btf.kind(sl.imm) === KIND.FUNC) {
      const pt = btf.type(btf.sizeOrType(sl.imm));
      if (pt.kind === KIND.FUNC_PROTO) n = Math.min(pt.params.length, 5);
    }
    return n === undefined ? ARGS : ((1 << (n + 1)) - 2);
  };
}

/** One instruction's effect on the current frame's stack slots (bit sets of spi 0..31 and 32..63). */
interface StackEffect {
  /** Slots read (fill) or written (spill) at a known fp offset. */
  slotA: number; slotB: number;
  /** Slots fully overwritten (8-byte aligned store through r10). */
  killA: number; killB: number;
  /** Register stored (its precision follows the slot's); loaded (the slot's precision follows it). */
  storeReg: number; loadReg: number;
  /** Store / load through a possible stack pointer at an unknown offset. */
  anySlot: boolean; anyLoad: boolean;
  /** Every slot may need precision before this instruction (calls that may look at stack contents). */
  all: boolean;
}

/**
 * The map index loaded into r1 by the straight-line code before call i (an ld_imm64 map fd), or
 * -1 when not found.
 */
function mapInR1(slots: Slot[], specs: (OpSpec | undefined)[], joins: Uint8Array, i: number): number {
  for (let j = i - 1; j >= 0 && i - j < 64; j--) {
    const s = specs[j]; const sl = slots[j];
    if (!s) continue;
    if (s.kind === 'call' || s.kind === 'callx' || s.kind === 'ldabs' || s.kind === 'ldind') return -1;
    if (sl.dst === 1 && (s.kind === 'alu' || s.kind === 'end' || s.kind === 'ldx' || s.kind === 'lddw')) {
      return s.kind === 'lddw' && (sl.src === 1 || sl.src === 5) ? sl.imm : -1;
    }
    if (s.kind === 'atomic' && (sl.src === 1 || sl.dst === 1)) return -1;
    // Another way into j: the straight line ends.
    if (joins[j]) return -1;
  }
  return -1;
}

/** Helpers whose lookups use a constant stack key (get_constant_map_key): map_lookup_elem, map_lookup_percpu_elem. */
const KEY_LOOKUPS: ReadonlySet<number> = new Set(['map_lookup_elem', 'map_lookup_percpu_elem'].map((n) => helperId(n) ?? -1));

function slotBits(off: number, size: number): [number, number] {
  let a = 0; let b = 0;
  if (off >= 0 || off < -512) return [0, 0];
  const hi = Math.floor((-off - 1) / 8);
  const lo = Math.max(0, Math.floor((-(off + size - 1) - 1) / 8));
  for (let spi = lo; spi <= hi && spi < 64; spi++) { if (spi < 32) a |= 1 << spi; else b |= 1 << (spi - 32); }
  return [a, b];
}

/**
 * Stack effects of each instruction, with a forward pass finding the registers that may hold a
 * pointer to the current frame's stack (r10 and copies or offsets of it, fills of spilled
 * pointers, subprogram arguments). Anything not understood is treated as needing every slot.
 */
function stackEffects(slots: Slot[], specs: (OpSpec | undefined)[], s1: Int32Array, s2: Int32Array,
  constKeyMap: (map: number) => boolean): (StackEffect | undefined)[] {
  const n = slots.length;
  const hasPred = new Uint8Array(n);
  for (let i = 0; i < n; i++) { if (s1[i] >= 0) hasPred[s1[i]] = 1; if (s2[i] >= 0) hasPred[s2[i]] = 1; }
  // sp[i]: registers that may point into the current frame's stack before i.
  const sp = new Uint16Array(n);
  for (let i = 0; i < n; i++) if (!hasPred[i] || i === 0) sp[i] = i === 0 ? 1 << 10 : 0b11111111110;
  let stackPtrsSpilled = false;
  const out = (i: number, m: number): number => {
    const s = specs[i]; const sl = slots[i];
    const d = bit(sl.dst); const sr = bit(sl.src);
    if (!s) return m;
    switch (s.kind) {
      case 'alu':
        if (s.alu === 'mov') return s.srcReg && s.is64 && (m & sr) ? m | d : m & ~d;
        if ((s.alu === 'add' || s.alu === 'sub') && s.is64) return (m & d) || (s.srcReg && (m & sr)) ? m | d : m & ~d;
        return m & ~d;
      case 'end': return m & ~d;
      case 'ldx': return ((m & sr) && stackPtrsSpilled) ? m | d : m & ~d;
      case 'lddw': return m & ~d;
      case 'atomic': return s.fetch || s.atomic === 'cmpxchg' ? m | (s.atomic === 'cmpxchg' ? 1 : sr) : m;
      case 'ldabs': case 'ldind': return m & ~(ARGS | 1);
      case 'call': case 'callx': return (m & ~(ARGS | 1)) | (s.kind === 'call' && sl.src === 0 ? 0 : 1);
      default: return m;
    }
  };
  for (let round = 0; round < 2; round++) {
    let changed = true; let k = 0;
    while (changed && k++ < 64) {
      changed = false;
      for (let i = 0; i < n; i++) {
        if (!specs[i]) continue;
        const m = out(i, sp[i] | (1 << 10));
        const s = specs[i];
        if (s && (s.kind === 'stx' || s.kind === 'atomic') && ((sp[i] | (1 << 10)) & bit(slots[i].src))) stackPtrsSpilled = true;
        const a = s1[i]; const b = s2[i];
        if (a >= 0 && (sp[a] | m) !== sp[a]) { sp[a] |= m; changed = true; }
        if (b >= 0 && (sp[b] | m) !== sp[b]) { sp[b] |= m; changed = true; }
      }
    }
  }
  // joins[j]: j is reached other than by falling through from j - 1 (a jump target).
  const joins = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    if (s2[k] >= 0) joins[s2[k]] = 1;
    if (s1[k] >= 0 && s1[k] !== k + 1 && specs[k]?.kind !== 'lddw') joins[s1[k]] = 1;
  }
  const res: (StackEffect | undefined)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const s = specs[i]; const sl = slots[i];
    if (!s) continue;
    const m = sp[i] | (1 << 10);
    const e: StackEffect = { slotA: 0, slotB: 0, killA: 0, killB: 0, storeReg: 0, loadReg: 0, anySlot: false, anyLoad: false, all: false };
    const size = s.size ?? 8;
    if (s.kind === 'stx' || s.kind === 'st') {
      if (sl.dst === 10) {
        [e.slotA, e.slotB] = slotBits(sl.off, size);
        if (size === 8 && sl.off % 8 === 0) { e.killA = e.slotA; e.killB = e.slotB; }
      } else if (m & bit(sl.dst)) e.anySlot = true;
      if (s.kind === 'stx') e.storeReg = bit(sl.src);
      else if (!e.slotA && !e.slotB && !e.anySlot) continue;
    } else if (s.kind === 'ldx') {
      if (sl.src === 10) [e.slotA, e.slotB] = slotBits(sl.off, size);
      else if (m & bit(sl.src)) e.anyLoad = true;
      else continue;
      e.loadReg = bit(sl.dst);
    } else if (s.kind === 'atomic') {
      if (!(m & bit(sl.dst))) continue;
      e.all = true;
      e.storeReg = bit(sl.src);
      e.anySlot = true;
    } else if (s.kind === 'call' || s.kind === 'callx') {
      const helper = sl.src === 0 && s.kind === 'call';
      if (helper && !CALLBACK_HELPERS.has(sl.imm) && !(KEY_LOOKUPS.has(sl.imm) && constKeyMap(mapInR1(slots, specs, joins, i)))) continue;
      e.all = true;
    } else continue;
    res[i] = e;
  }
  return res;
}

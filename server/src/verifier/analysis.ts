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
 * Callbacks' exits need R0 (checked against [0, 1]); the widening at callback
 * callsites uses a variant (Widening) fed with what the driver saw while running.
 */
import type { OpSpec } from '../isa';
import { KIND, type Btf } from '../btf';
import { HELPER_NAMES, helperId } from '../isa/helpers';
import { HELPER_PROTOS } from './protos/table';
import { CALLBACK_HELPERS, type Slot } from './prepass';
import { helperProtoFor } from './helper-call';
import { kfuncAllowed, kfuncInfo } from './kfunc-table';
import type { ProgType } from './progtypes';
import { ScratchBuffer } from './scratch-buffer';
import { arenaI32, arenaU16, arenaU32 } from './arena';

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
 * loop may widen. `widening` gives the sets for widen_imprecise_scalars (see Widening).
 */
export function analyse(slots: Slot[], specs: (OpSpec | undefined)[], exitNeedsR0: boolean, jcondPrecise: boolean | Uint8Array = true,
  constKeyMap: (map: number) => boolean = () => true, callUse: (i: number) => number = () => ARGS,
  succ = successors(slots, specs), widening?: Widening): RegSets {
  const ptrArith = widening?.ptrArith;
  const n = slots.length;
  // Per instruction, in one scratch buffer: use, def, needUse, needProp (needProp: if the defined
  // register is needed after i, these are needed before), then stackEffects' regions.
  const t = SCRATCH.get(SCRATCH_PER_INSN * n);
  const U = 0; const D = n; const NU = 2 * n; const NP = 3 * n;
  const cbExit = callbackExits(slots, specs);
  for (let i = 0; i < n; i++) {
    const s = specs[i];
    t[U + i] = 0; t[D + i] = 0; t[NU + i] = 0; t[NP + i] = 0;
    if (!s) continue;
    const sl = slots[i];
    const d = bit(sl.dst); const sr = bit(sl.src);
    let use = 0; let def = 0; let needUse = 0; let needProp = 0;
    switch (s.kind) {
      case 'alu':
        if (s.alu === 'mov' || s.alu === 'movsx') { use = s.srcReg ? sr : 0; needProp = use; }
        else { use = d | (s.srcReg ? sr : 0); needProp = use; }
        // Pointer arithmetic (only 64-bit): the scalar operand's bounds decide the access (with
        // `ptrArith`, only where a path has added a scalar to a pointer so far).
        if ((s.alu === 'add' || s.alu === 'sub') && s.srcReg && s.is64 && (!ptrArith || ptrArith[i])) needUse = sr | d;
        def = d;
        break;
      case 'end': use = d; def = d; needProp = d; break;
      case 'ldx': use = sr; def = d; break;
      case 'st': use = d; break;
      case 'stx': use = d | sr; break;
      case 'atomic':
        use = d | sr | (s.atomic === 'cmpxchg' ? 1 : 0);
        def = s.atomic === 'cmpxchg' ? 1 : s.fetch ? sr : 0;
        break;
      case 'lddw': def = d; break;
      case 'ldabs': case 'ldind': use = bit(6) | (s.kind === 'ldind' ? sr : 0); def = ARGS | 1; needUse = s.kind === 'ldind' ? sr : 0; break;
      case 'jcond':
        use = d | (s.srcReg ? sr : 0); needUse = (typeof jcondPrecise === 'boolean' ? jcondPrecise : jcondPrecise[i] === 1) ? use : 0;
        break;
      case 'call': case 'callx':
        use = callUse(i); needUse = use; def = ARGS | 1;
        break;
      // A callback's R0 is checked against [0, 1] at its exit: the kernel marks it precise (prepare_func_exit).
      case 'exit': use = 1; needUse = exitNeedsR0 || cbExit?.[i] ? 1 : 0; break;
    }
    t[U + i] = use; t[D + i] = def; t[NU + i] = needUse; t[NP + i] = needProp;
  }
  stackEffects(slots, specs, succ, constKeyMap, t, 4 * n, widening);
  const E = 4 * n + 3 * n;
  const live = arenaU16(n);
  const need = arenaU16(n);
  const ns = arenaU32(2 * n);
  let changed = true;
  let rounds = 0;
  while (changed && rounds++ < 64) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let lo = 0; let no = 0; let sa = 0; let sb = 0;
      const x = succ[2 * i]; const y = succ[2 * i + 1];
      if (x >= 0) { lo |= live[x]; no |= need[x]; sa |= ns[2 * x]; sb |= ns[2 * x + 1]; }
      if (y >= 0) { lo |= live[y]; no |= need[y]; sa |= ns[2 * y]; sb |= ns[2 * y + 1]; }
      const def = t[D + i]; const needUse = t[NU + i];
      const li = (t[U + i] | (lo & ~def)) & ALL;
      let ni = (needUse | (no & ~def)) & ALL;
      if (no & def) ni |= t[NP + i];
      // Stack slots: a spill of a register into a needed slot needs the register; a fill of a needed register needs its slot.
      const e = E + EFFECT_WORDS * i;
      const fl = t[e + FLAGS];
      if (fl) {
        if ((sa & t[e + SLOT_A]) | (sb & t[e + SLOT_B]) || ((fl & ANY_SLOT) && (sa | sb))) ni |= t[e + STORE_REG];
        sa &= ~t[e + KILL_A]; sb &= ~t[e + KILL_B];
        const all = fl & ALL_SLOTS; const loadReg = t[e + LOAD_REG];
        if (all || (fl & USE_SLOTS) || (no & loadReg)) { sa |= t[e + SLOT_A]; sb |= t[e + SLOT_B]; }
        if (all || ((fl & ANY_LOAD) && (no & loadReg))) { sa = -1; sb = -1; }
      }
      ni &= li | needUse;
      sa >>>= 0; sb >>>= 0;
      if (li !== live[i] || ni !== need[i] || sa !== ns[2 * i] || sb !== ns[2 * i + 1]) {
        live[i] = li; need[i] = ni; ns[2 * i] = sa; ns[2 * i + 1] = sb; changed = true;
      }
    }
  }
  if (changed) { live.fill(ALL); need.fill(ALL); ns.fill(0xffffffff); }
  return { live, need, needStack: ns };
}

/** callbackExits per program (the analyses of one verification share its slots array). */
const CB_EXITS = new WeakMap<Slot[], Uint8Array | null>();

/**
 * The exits of subprograms used as callbacks (the target of an ld_imm64 function pointer), 1 per
 * such exit; undefined when the program takes no function's address.
 */
export function callbackExits(slots: Slot[], specs: (OpSpec | undefined)[]): Uint8Array | undefined {
  let r = CB_EXITS.get(slots);
  if (r === undefined) { r = findCallbackExits(slots, specs) ?? null; CB_EXITS.set(slots, r); }
  return r ?? undefined;
}

function findCallbackExits(slots: Slot[], specs: (OpSpec | undefined)[]): Uint8Array | undefined {
  const n = slots.length;
  let cbs: number[] | undefined;
  for (let i = 0; i < n; i++) if (specs[i]?.kind === 'lddw' && slots[i].src === 4) (cbs ??= []).push(i + slots[i].imm + 1);
  if (!cbs) return undefined;
  const starts = new Set<number>([0, ...cbs]);
  for (let i = 0; i < n; i++) if (specs[i]?.kind === 'call' && slots[i].src === 1) starts.add(i + slots[i].imm + 1);
  const sorted = [...starts].filter((x) => x >= 0 && x < n).sort((a, b) => a - b);
  // Not from the arena: the cache may outlive this verification.
  const out = new Uint8Array(n);
  for (let k = 0; k < sorted.length; k++) {
    if (!cbs.includes(sorted[k])) continue;
    const end = k + 1 < sorted.length ? sorted[k + 1] : n;
    for (let i = sorted[k]; i < end; i++) if (specs[i]?.kind === 'exit') out[i] = 1;
  }
  return out;
}

/**
 * Options of the sets for widen_imprecise_scalars. A callback helper's call does not make every
 * stack slot needed: it needs the slots `callReads` gives (spi 0..31, 32..63), those its callbacks
 * were seen loading values needing precision from (Driver.outerLoads). `ptrArith` limits 64-bit
 * register additions and subtractions as sources to those seen adding a scalar to a pointer (the
 * static pass cannot tell them from sums).
 */
export interface Widening { ptrArith?: Uint8Array; callReads?: ReadonlyMap<number, readonly [number, number]> }

/** Int32 words per instruction that analyse and stackEffects use in the scratch buffer. */
const SCRATCH_PER_INSN = 4 + 3 + 7;
const SCRATCH = new ScratchBuffer();

/**
 * The control-flow successors of each instruction, two per instruction (-1: none): fall-through
 * (past both halves of an ld_imm64; calls fall through) and jump target; exits have none. Targets
 * outside the program are left out.
 */
export function successors(slots: Slot[], specs: (OpSpec | undefined)[]): Int32Array {
  const n = slots.length;
  const succ = arenaI32(2 * n, -1);
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
export function callUses(slots: Slot[], btf?: Btf, prog?: { type: ProgType; attachType?: string; root: boolean }): (i: number) => number {
  return (i) => {
    const sl = slots[i];
    let n: number | undefined;
    // compute_live_registers: a helper or kfunc the program type may not call uses all of r1-r5.
    if (sl.src === 0) {
      if (!prog || helperProtoFor(prog.type, prog.attachType, prog.root, sl.imm)) n = HELPER_ARGS.get(HELPER_NAMES[sl.imm] ?? '');
    } else if (sl.src === 2 && btf && sl.imm > 0 && sl.imm < btf.count && btf.kind(sl.imm) === KIND.FUNC) {
      const pt = btf.type(btf.sizeOrType(sl.imm));
      if (pt.kind === KIND.FUNC_PROTO && (!prog || kfuncAllowed(kfuncInfo(btf.name(sl.imm)), prog.type))) n = Math.min(pt.params.length, 5);
    }
    return n === undefined ? ARGS : ((1 << (n + 1)) - 2);
  };
}

/**
 * One instruction's effect on the current frame's stack slots, EFFECT_WORDS words in the scratch
 * buffer. SLOT_A/B: slots read (fill) or written (spill) at a known fp offset, as bit sets of spi
 * 0..31 and 32..63; KILL_A/B: slots fully overwritten (8-byte aligned store through r10);
 * STORE_REG: the register stored (its precision follows the slot's); LOAD_REG: the register loaded
 * (the slot's precision follows it); FLAGS: HAS_EFFECT, ANY_SLOT (a store through a possible stack
 * pointer at an unknown offset), ANY_LOAD (such a load), ALL_SLOTS (every slot may need precision
 * before: calls that may look at stack contents), USE_SLOTS (SLOT_A/B need precision before).
 */
const SLOT_A = 0; const SLOT_B = 1; const KILL_A = 2; const KILL_B = 3; const STORE_REG = 4; const LOAD_REG = 5; const FLAGS = 6;
const EFFECT_WORDS = 7;
const HAS_EFFECT = 1; const ANY_SLOT = 2; const ANY_LOAD = 4; const ALL_SLOTS = 8; const USE_SLOTS = 16;

/**
 * The map index loaded into r1 by the straight-line code before call i (an ld_imm64 map fd), or
 * -1 when not found.
 */
function mapInR1(slots: Slot[], specs: (OpSpec | undefined)[], t: Int32Array, joins: number, i: number): number {
  for (let j = i - 1; j >= 0 && i - j < 64; j--) {
    const s = specs[j]; const sl = slots[j];
    if (!s) continue;
    if (s.kind === 'call' || s.kind === 'callx' || s.kind === 'ldabs' || s.kind === 'ldind') return -1;
    if (sl.dst === 1 && (s.kind === 'alu' || s.kind === 'end' || s.kind === 'ldx' || s.kind === 'lddw')) {
      return s.kind === 'lddw' && (sl.src === 1 || sl.src === 5) ? sl.imm : -1;
    }
    if (s.kind === 'atomic' && (sl.src === 1 || sl.dst === 1)) return -1;
    // Another way into j: the straight line ends.
    if (t[joins + j]) return -1;
  }
  return -1;
}

/** Helpers whose lookups use a constant stack key (get_constant_map_key): map_lookup_elem, map_lookup_percpu_elem. */
const KEY_LOOKUPS: ReadonlySet<number> = new Set(['map_lookup_elem', 'map_lookup_percpu_elem'].map((n) => helperId(n) ?? -1));

/** The slots [lo, hi] (spi) that a stack access of size bytes at fp+off touches, as two bit sets; 0, 0 outside the stack. */
function slotBitsInto(t: Int32Array, at: number, off: number, size: number): void {
  let a = 0; let b = 0;
  if (off < 0 && off >= -512) {
    const hi = Math.floor((-off - 1) / 8);
    const lo = Math.max(0, Math.floor((-(off + size - 1) - 1) / 8));
    for (let spi = lo; spi <= hi && spi < 64; spi++) { if (spi < 32) a |= 1 << spi; else b |= 1 << (spi - 32); }
  }
  t[at + SLOT_A] = a; t[at + SLOT_B] = b;
}

/** The registers that may point into the current frame's stack after instruction i, given m before it. */
function stackPtrsAfter(s: OpSpec, sl: Slot, m: number, stackPtrsSpilled: boolean): number {
  const d = bit(sl.dst); const sr = bit(sl.src);
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
}

/**
 * Stack effects of each instruction, written to t from `at` (3n words of working space, then
 * EFFECT_WORDS per instruction), with a forward pass finding the registers that may hold a
 * pointer to the current frame's stack (r10 and copies or offsets of it, fills of spilled
 * pointers, subprogram arguments). Anything not understood is treated as needing every slot.
 */
function stackEffects(slots: Slot[], specs: (OpSpec | undefined)[], succ: Int32Array,
  constKeyMap: (map: number) => boolean, t: Int32Array, at: number, widening: Widening | undefined): void {
  const n = slots.length;
  // HP: has a predecessor; SP: registers that may point into the current frame's stack before i;
  // JN: joins, i.e. reached other than by falling through from i - 1 (a jump target).
  const HP = at; const SP = at + n; const JN = at + 2 * n; const E = at + 3 * n;
  t.fill(0, at, at + 3 * n);
  for (let i = 0; i < n; i++) {
    const a = succ[2 * i]; const b = succ[2 * i + 1];
    if (a >= 0) t[HP + a] = 1;
    if (b >= 0) t[HP + b] = 1;
  }
  for (let i = 0; i < n; i++) if (!t[HP + i] || i === 0) t[SP + i] = i === 0 ? 1 << 10 : 0b11111111110;
  let stackPtrsSpilled = false;
  for (let round = 0; round < 2; round++) {
    let changed = true; let k = 0;
    while (changed && k++ < 64) {
      changed = false;
      for (let i = 0; i < n; i++) {
        const s = specs[i];
        if (!s) continue;
        const before = t[SP + i] | (1 << 10);
        const m = stackPtrsAfter(s, slots[i], before, stackPtrsSpilled);
        if ((s.kind === 'stx' || s.kind === 'atomic') && (before & bit(slots[i].src))) stackPtrsSpilled = true;
        const a = succ[2 * i]; const b = succ[2 * i + 1];
        if (a >= 0 && (t[SP + a] | m) !== t[SP + a]) { t[SP + a] |= m; changed = true; }
        if (b >= 0 && (t[SP + b] | m) !== t[SP + b]) { t[SP + b] |= m; changed = true; }
      }
    }
  }
  for (let k = 0; k < n; k++) {
    const b = succ[2 * k + 1]; const a = succ[2 * k];
    if (b >= 0) t[JN + b] = 1;
    if (a >= 0 && a !== k + 1 && specs[k]?.kind !== 'lddw') t[JN + a] = 1;
  }
  for (let i = 0; i < n; i++) {
    const e = E + EFFECT_WORDS * i;
    t.fill(0, e, e + EFFECT_WORDS);
    const s = specs[i];
    if (!s) continue;
    const sl = slots[i];
    const m = t[SP + i] | (1 << 10);
    const size = s.size ?? 8;
    let fl = HAS_EFFECT;
    if (s.kind === 'stx' || s.kind === 'st') {
      if (sl.dst === 10) {
        slotBitsInto(t, e, sl.off, size);
        if (size === 8 && sl.off % 8 === 0) { t[e + KILL_A] = t[e + SLOT_A]; t[e + KILL_B] = t[e + SLOT_B]; }
      } else if (m & bit(sl.dst)) fl |= ANY_SLOT;
      if (s.kind === 'stx') t[e + STORE_REG] = bit(sl.src);
      else if (!t[e + SLOT_A] && !t[e + SLOT_B] && !(fl & ANY_SLOT)) continue;
    } else if (s.kind === 'ldx') {
      if (sl.src === 10) slotBitsInto(t, e, sl.off, size);
      else if (m & bit(sl.src)) fl |= ANY_LOAD;
      else continue;
      t[e + LOAD_REG] = bit(sl.dst);
    } else if (s.kind === 'atomic') {
      if (!(m & bit(sl.dst))) continue;
      fl |= ALL_SLOTS | ANY_SLOT;
      t[e + STORE_REG] = bit(sl.src);
    } else if (s.kind === 'call' || s.kind === 'callx') {
      const helper = sl.src === 0 && s.kind === 'call';
      if (helper && widening && CALLBACK_HELPERS.has(sl.imm)) {
        const r = widening.callReads?.get(i);
        if (!r) continue;
        t[e + SLOT_A] = r[0]; t[e + SLOT_B] = r[1];
        fl |= USE_SLOTS;
      } else {
        if (helper && !CALLBACK_HELPERS.has(sl.imm) && !(KEY_LOOKUPS.has(sl.imm) && constKeyMap(mapInR1(slots, specs, t, JN, i)))) continue;
        fl |= ALL_SLOTS;
      }
    } else continue;
    t[e + FLAGS] = fl;
  }
}

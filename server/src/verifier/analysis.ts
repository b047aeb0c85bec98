/**
 * Static register liveness and "needs precision" sets per instruction, used by
 * state pruning. The kernel computes liveness statically too (6.15+) but finds
 * precision by backtracking; here a backward dataflow marks a scalar register
 * as needing precision when its value may reach a comparison, a helper or
 * subprogram argument, pointer arithmetic, or a checked return value. This is
 * conservative (prunes less than the kernel), never more permissive.
 */
import type { OpSpec } from '../isa';
import type { Slot } from './prepass';

export interface RegSets { live: Uint16Array; need: Uint16Array }

const ALL = 0x7ff;
const ARGS = 0b111110;
const bit = (r: number): number => (r >= 0 && r <= 10 ? 1 << r : 0);

/**
 * `jcondPrecise: false` leaves out comparisons as a source of precision (the kernel marks compared
 * registers precise only when the branch was decided): used to decide which scalars an iterator
 * loop may widen.
 */
export function analyse(slots: Slot[], specs: (OpSpec | undefined)[], exitNeedsR0: boolean, jcondPrecise = true): RegSets {
  const n = slots.length;
  const use = new Uint16Array(n);
  const def = new Uint16Array(n);
  const needUse = new Uint16Array(n);
  /** needProp[i]: if the defined register is needed after i, these are needed before. */
  const needProp = new Uint16Array(n);
  const s1 = new Int32Array(n).fill(-1);
  const s2 = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const s = specs[i];
    const sl = slots[i];
    if (!s) { if (i + 1 < n) s1[i] = i + 1; continue; }
    const d = bit(sl.dst); const sr = bit(sl.src);
    let a = i + 1;
    let b = -1;
    switch (s.kind) {
      case 'alu':
        if (s.alu === 'mov' || s.alu === 'movsx') { use[i] = s.srcReg ? sr : 0; needProp[i] = s.srcReg ? sr : 0; }
        else { use[i] = d | (s.srcReg ? sr : 0); needProp[i] = d | (s.srcReg ? sr : 0); }
        if ((s.alu === 'add' || s.alu === 'sub') && s.srcReg) needUse[i] = sr | d;
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
      case 'lddw': def[i] = d; a = i + 2; break;
      case 'ldabs': case 'ldind': use[i] = bit(6) | (s.kind === 'ldind' ? sr : 0); def[i] = ARGS | 1; needUse[i] = s.kind === 'ldind' ? sr : 0; break;
      case 'jcond':
        use[i] = d | (s.srcReg ? sr : 0); needUse[i] = jcondPrecise ? use[i] : 0;
        b = i + 1 + sl.off;
        break;
      case 'ja': a = i + 1 + (s.is64 ? sl.off : sl.imm); break;
      case 'call': case 'callx':
        use[i] = ARGS; needUse[i] = ARGS; def[i] = ARGS | 1;
        break;
      case 'exit': use[i] = 1; needUse[i] = exitNeedsR0 ? 1 : 0; a = -1; break;
    }
    if (a >= 0 && a < n) s1[i] = a;
    if (b >= 0 && b < n) s2[i] = b;
  }
  const live = new Uint16Array(n);
  const need = new Uint16Array(n);
  let changed = true;
  let rounds = 0;
  while (changed && rounds++ < 64) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let lo = 0; let no = 0;
      const x = s1[i]; const y = s2[i];
      if (x >= 0) { lo |= live[x]; no |= need[x]; }
      if (y >= 0) { lo |= live[y]; no |= need[y]; }
      const li = (use[i] | (lo & ~def[i])) & ALL;
      let ni = (needUse[i] | (no & ~def[i])) & ALL;
      if (no & def[i]) ni |= needProp[i];
      ni &= li | needUse[i];
      if (li !== live[i] || ni !== need[i]) { live[i] = li; need[i] = ni; changed = true; }
    }
  }
  if (changed) { live.fill(ALL); need.fill(ALL); }
  return { live, need };
}

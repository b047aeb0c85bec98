/**
 * Log lines of the 6.18 verifier that are neither instructions nor states: the `; text @ file:line`
 * source comments (verbose_linfo) and the level-2 `Live regs before insn:` listing
 * (compute_live_registers). Non-goals: instruction and state lines (driver.ts, env.ts), the
 * `func#N @start` lines (verifier.ts).
 */
import { Insn, OpSpec } from '../isa';
import { KIND } from '../btf';
import { analyse } from './analysis';
import type { Env } from './env';
import { printInsn, printUndecoded } from './insn-print';
import type { Slot } from './prepass';
import { computeScc } from './scc';
import type { VerifierLine } from './types';

/** verbose_linfo's memory of the last source line printed. */
export class SourceLines {
  private last: VerifierLine | undefined;
  /** Line records by start pc, sorted (built on first use). */
  private starts: number[] | undefined;

  constructor(private readonly env: Env) {}

  /**
   * The line record covering pc (the last one starting at or before it, find_linfo), printed when
   * it differs from the last one printed; a record for the same source line (another column) is not
   * printed again.
   */
  print(pc: number): void {
    const l = this.at(pc);
    if (!l || l === this.last) return;
    const prev = this.last;
    this.last = l;
    if (prev && prev.line === l.line && prev.file === l.file && prev.text === l.text) return;
    const file = (l.file ?? '').split('/').pop() ?? '';
    this.env.raw(`; ${l.text.replace(/^\s+/, '')} @ ${file}:${l.line}\n`);
  }

  private at(pc: number): VerifierLine | undefined {
    const lines = this.env.lines;
    if (lines.size === 0) return undefined;
    const starts = this.starts ??= [...lines.keys()].sort((a, b) => a - b);
    let lo = 0; let hi = starts.length - 1; let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= pc) { at = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return at < 0 ? undefined : lines.get(starts[at]);
  }
}

/** What the listing's liveness analysis needs (the driver's precision inputs). */
export interface ListingInputs {
  slots: Slot[];
  specs: (OpSpec | undefined)[];
  exitNeedsR0: boolean;
  decided: Uint8Array;
  constKey: (map: number) => boolean;
  callUse: (i: number) => number;
  succ: Int32Array;
}

/**
 * compute_live_registers' level-2 listing: per instruction its SCC id (real loops only: a callback
 * call is not numbered there), the registers live before it and the instruction.
 */
export function printLiveListing(env: Env, x: ListingInputs): void {
  const { slots, specs } = x;
  const live = analyse(slots, specs, x.exitNeedsR0, x.decided, x.constKey, x.callUse, x.succ).live;
  const btf = env.btf;
  const opts = {
    allowPtrLeaks: env.allowPtrLeaks, mapAddr: (i: Insn) => 0xffff888100000000n + BigInt((i.imm & 0xff) * 0x400),
    kfuncName: (i: Insn) => (btf && i.imm > 0 && i.imm < btf.count && btf.kind(i.imm) === KIND.FUNC ? btf.name(i.imm) : undefined),
  };
  const loops = computeScc(x.succ, slots.length, () => false);
  env.raw('Live regs before insn:\n');
  for (let i = 0; i < slots.length; i++) {
    const insn = env.insns[i];
    const text = insn && specs[i] ? printInsn(insn, opts) : printUndecoded(slots[i]);
    if (text === undefined) continue;
    const scc = loops[i];
    let regs = '';
    for (let r = 0; r < 10; r++) regs += (live[i] >> r) & 1 ? String(r) : '.';
    env.raw(`${scc ? `${String(scc).padStart(3)} ` : '    '}${String(i).padStart(3)}: ${regs} ${text}\n`);
    if ((slots[i].code & 0xff) === 0x18) i++;
  }
}

/**
 * bpftrace's syscall_name(n) (0.26 stdlib): the x86-64 system call's name as a
 * string[64], "Unknown syscall" for numbers without one. Compiled to a binary
 * search over the numbers whose leaves store the name's bytes, so the program
 * needs no pre-filled map (the VM, replay and the kernel all run it as is).
 * Non-goal: other architectures.
 */
import type * as A from '../ast';
import type { SType } from '../types';
import { type Gen, type Loc, R_ACC } from './gen';
import { scalar, writeBytes } from './expr';
import { SYSCALL_NAMES, UNKNOWN_SYSCALL } from './syscall-names';

const ENTRIES = [...SYSCALL_NAMES].sort((a, b) => a[0] - b[0]);
const enc = new TextEncoder();

/** syscall_name(e.args[0]) into a fresh zeroed string of type t. */
export function genSyscallName(g: Gen, e: A.Call, t: SType): Loc {
  const a = e.args[0] ?? g.error(e.range, 'syscall_name() needs a syscall number');
  const size = t.k === 'string' ? t.size : 64;
  const l = g.alloc(size);
  g.zero(l, size);
  scalar(g, a);
  g.e.extend(R_ACC, 32, true); // bpftrace passes (int32)n: negative numbers never match
  const done = g.e.newLabel();
  const unknown = g.e.newLabel();
  const put = (s: string): void => writeBytes(g, l, enc.encode(s).subarray(0, size - 1));
  const search = (lo: number, hi: number): void => {
    if (hi - lo <= 3) {
      for (let i = lo; i < hi; i++) {
        const next = g.e.newLabel();
        g.e.jmp('jne', R_ACC, { k: ENTRIES[i][0] }, next);
        put(ENTRIES[i][1]);
        g.e.ja(done);
        g.e.bind(next);
      }
      g.e.ja(unknown);
      return;
    }
    const mid = (lo + hi) >> 1;
    const upper = g.e.newLabel();
    g.e.jmp('jge', R_ACC, { k: ENTRIES[mid][0] }, upper);
    search(lo, mid);
    g.e.bind(upper);
    search(mid, hi);
  };
  search(0, ENTRIES.length);
  g.e.bind(unknown);
  put(UNKNOWN_SYSCALL);
  g.e.bind(done);
  return l;
}

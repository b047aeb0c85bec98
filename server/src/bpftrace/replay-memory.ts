/**
 * Recorded memory that outlives its event: a process's user memory stays
 * readable after the event that recorded it (a filename pointer saved at
 * sys_enter_openat and read with str() at sys_exit_openat), so each event
 * sees the memory recorded earlier by the same process (kernel addresses: by
 * any process), newest first, under the bytes recorded with the event itself.
 * Bounded per process. Pure. Non-goal: modelling writes to user memory.
 */
import type { RecordedMemory } from '../vm/types';

/** Regions kept per process, and processes kept. */
const PER_PROCESS = 64;
const PROCESSES = 1024;
const KERNEL = -1;

const isKernel = (a: bigint): boolean => a >= 0xffff800000000000n;

function overlaps(a: RecordedMemory, b: RecordedMemory): boolean {
  return a.addr < b.addr + BigInt(b.bytes.length) && b.addr < a.addr + BigInt(a.bytes.length);
}

export class MemoryHistory {
  private readonly byProcess = new Map<number, RecordedMemory[]>();

  /** The event's own regions plus older ones of its process (and kernel ones) that they do not overlap. */
  view(tgid: number, current: readonly RecordedMemory[]): RecordedMemory[] {
    const out = [...current];
    for (const key of [tgid, KERNEL]) {
      for (const r of this.byProcess.get(key) ?? []) if (!out.some((c) => overlaps(c, r))) out.push(r);
    }
    return out;
  }

  /** Keeps an event's regions for later events (newest first, bounded). */
  remember(tgid: number, regions: readonly RecordedMemory[]): void {
    for (const r of regions) {
      const key = isKernel(r.addr) ? KERNEL : tgid;
      let l = this.byProcess.get(key);
      if (!l) {
        if (this.byProcess.size >= PROCESSES) this.byProcess.delete(this.byProcess.keys().next().value as number);
        this.byProcess.set(key, (l = []));
      }
      const kept = l.filter((x) => !overlaps(x, r));
      kept.unshift(r);
      if (kept.length > PER_PROCESS) kept.length = PER_PROCESS;
      this.byProcess.set(key, kept);
    }
  }
}

// The shared data directory beside the checkout (../shared: conformance suite, kernel 6.18 data,
// recorded traces), wherever the checkout is.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Btf, parseBtf } from '../server/src/btf';

export const SHARED = join(__dirname, '..', '..', 'shared');

/** Whether `path` exists; if not, the test prints a SKIP line and is marked skipped. */
export function needFile(t: { skip(m: string): void }, path: string): boolean {
  if (existsSync(path)) return true;
  console.log(`SKIP: ${path} not present`);
  t.skip(`${path} not present`);
  return false;
}

/** The shared 6.18 kernel BTF (../shared/kernel/6.18/vmlinux.btf), or undefined when it is not there. */
export function sharedKernelBtf(): Btf | undefined {
  const path = join(SHARED, 'kernel', '6.18', 'vmlinux.btf');
  if (!existsSync(path)) return undefined;
  const raw = parseBtf(new Uint8Array(readFileSync(path))).btf;
  return raw ? new Btf(raw) : undefined;
}

/** nr_cpu_ids of this machine: the highest possible CPU + 1 (/sys/devices/system/cpu/possible, e.g. `0-1`). */
export function possibleCpus(): number | undefined {
  try {
    const m = /(\d+)\s*$/.exec(readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim());
    return m ? Number(m[1]) + 1 : undefined;
  } catch {
    return undefined;
  }
}

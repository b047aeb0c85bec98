// Where the upstream-corpus tests find bpftrace's tools/*.bt: fetched locally, never committed
// (BPFTRACE_TOOLS_DIR, default /tmp/bpftrace-tools), and every .bt file under it.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const TOOLS_DIR = process.env.BPFTRACE_TOOLS_DIR ?? '/tmp/bpftrace-tools';

/** Every .bt file under `dir`, sorted. */
export function btFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...btFiles(p));
    else if (name.endsWith('.bt')) out.push(p);
  }
  return out.sort();
}

// The shared data directory beside the checkout (../shared: conformance suite, kernel 6.18 data,
// recorded traces), wherever the checkout is.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const SHARED = join(__dirname, '..', '..', 'shared');

/** Whether `path` exists; if not, the test prints a SKIP line and is marked skipped. */
export function needFile(t: { skip(m: string): void }, path: string): boolean {
  if (existsSync(path)) return true;
  console.log(`SKIP: ${path} not present`);
  t.skip(`${path} not present`);
  return false;
}

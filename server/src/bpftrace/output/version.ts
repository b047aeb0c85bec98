/**
 * Which bpftrace release the formatter imitates: 0.17 unless the option
 * names a later one. Non-goal: full version checks (versions.ts).
 */
import { compareVersions, parseVersion } from '../versions';

/** True for releases before 0.18 (and when no version is given). */
export function isOld(version: string | undefined): boolean {
  const v = version ? parseVersion(version) : undefined;
  return !v || compareVersions(v, [0, 18, 0]) < 0;
}

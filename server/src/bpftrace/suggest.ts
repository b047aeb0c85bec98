/**
 * "Did you mean" suggestions for bpftrace: the closest name by edit distance,
 * when it is close enough to be a plausible typo (server/src/util/suggest.ts
 * holds the one implementation). Non-goal: ranking by anything else.
 */
import { editDistance, nearestName } from '../util/suggest';

/** Edit distance, for "did you mean" suggestions. */
export const distance = editDistance;

/** The candidate closest to `name`, if close enough to be a plausible typo. */
export function closest(name: string, candidates: string[]): string | undefined {
  return nearestName(name, candidates);
}

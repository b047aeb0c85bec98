/**
 * Name suggestions shared by every front end: the Levenshtein edit distance
 * and "the closest candidate within a typo-sized distance". Non-goals: ranking
 * by frequency or context, and any message wording (callers phrase hints).
 */

/** Levenshtein distance (insert, delete, substitute each cost 1). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

/** The largest distance that still reads as a typo of `name`: 2, or a third of its length. */
export function typoBudget(name: string): number {
  return Math.max(2, Math.floor(name.length / 3));
}

/**
 * The candidate nearest to `name` within `maxDistance` (default typoBudget);
 * ties go to the earliest candidate. `skipExact` ignores candidates equal to `name`.
 */
export function nearestName(
  name: string,
  candidates: Iterable<string>,
  opts: { maxDistance?: number; skipExact?: boolean } = {},
): string | undefined {
  const limit = opts.maxDistance ?? typoBudget(name);
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    if (opts.skipExact && c === name) continue;
    const d = editDistance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= limit ? best : undefined;
}

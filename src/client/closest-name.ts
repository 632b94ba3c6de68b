// "Did you mean ...?" for a misspelled name: the known name nearest to it, when one is clearly
// nearest. Used to name the option a caller probably meant.

/** Number of single-character edits (insert, delete, replace) turning `a` into `b`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const replace = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(replace, previous[j]! + 1, current[j - 1]! + 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The candidate `name` most probably meant, ignoring case: within a few edits of it (a third
 * of its length, at least two), or one containing the other (`persistence` for `persist`).
 * `undefined` when none is near, or when two are equally near (no guess is better than a
 * wrong one).
 */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const wanted = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  let tied = false;
  for (const candidate of candidates) {
    const known = candidate.toLowerCase();
    const distance = editDistance(wanted, known);
    const near = distance <= Math.max(2, Math.floor(Math.max(wanted.length, known.length) / 3));
    const contains = Math.min(wanted.length, known.length) >= 3 && (known.includes(wanted) || wanted.includes(known));
    if (!near && !contains) continue;
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
      tied = false;
    } else if (distance === bestDistance) {
      tied = true;
    }
  }
  return tied ? undefined : best;
}

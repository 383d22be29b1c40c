// "did you mean ...?" support: the nearest known name by edit distance.
//
// The work is bounded whatever the input: a word longer than MAX_SUGGEST_LENGTH
// gets no suggestion (no known name is that long, so none is within reach), and
// the distance is computed in three rows of the shorter word's length, giving up
// as soon as it must exceed the largest distance that would be suggested.

/** Words longer than this get no suggestion: lite's longest name is under 40. */
export const MAX_SUGGEST_LENGTH = 64

/** The largest distance that still gives a suggestion. */
const MAX_SUGGEST_DISTANCE = 2

/**
 * Damerau-Levenshtein distance in its "optimal string alignment" form:
 * insertions, deletions, substitutions and swaps of two adjacent characters
 * each cost 1, which catches the common typos ("memroy", "rootf", "hostanme").
 * With `limit`, any distance above it is returned as limit + 1, and found
 * without filling the whole table.
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (a.length < b.length) [a, b] = [b, a]
  if (a.length - b.length > limit) return limit + 1
  const cols = b.length + 1
  // rows i-2, i-1 and i of the table; columns follow b
  let before = new Array<number>(cols).fill(0)
  let previous = Array.from({ length: cols }, (_, j) => j)
  let current = new Array<number>(cols).fill(0)
  for (let i = 1; i <= a.length; i++) {
    current[0] = i
    let rowMin = i
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1)
      current[j] = best
      if (best < rowMin) rowMin = best
    }
    // no later row goes below this row's smallest entry
    if (rowMin > limit) return limit + 1
    const oldest = before
    before = previous
    previous = current
    current = oldest
  }
  return Math.min(previous[cols - 1]!, limit + 1)
}

/**
 * The candidate nearest to `word` if it is within distance 2 (and the distance
 * is smaller than the candidate's length, so "zz" does not suggest "as").
 * Comparison ignores case, so "[Exec]" suggests "[exec]". Ties go to the
 * earlier candidate, i.e. table order.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  if (word.length > MAX_SUGGEST_LENGTH) return undefined
  let best: string | undefined
  let bestDistance = Infinity
  const w = word.toLowerCase()
  for (const c of candidates) {
    const dist = editDistance(w, c.toLowerCase(), MAX_SUGGEST_DISTANCE)
    if (dist <= MAX_SUGGEST_DISTANCE && dist < c.length && dist < bestDistance) {
      best = c
      bestDistance = dist
    }
  }
  return best
}

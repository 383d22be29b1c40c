// "did you mean ...?" support: the nearest known name by edit distance.

/**
 * Damerau-Levenshtein distance in its "optimal string alignment" form:
 * insertions, deletions, substitutions and swaps of two adjacent characters
 * each cost 1, which catches the common typos ("memroy", "rootf", "hostanme").
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[][] = Array.from({ length: rows }, () => new Array<number>(cols).fill(0))
  for (let i = 0; i < rows; i++) d[i]![0] = i
  for (let j = 0; j < cols; j++) d[0]![j] = j
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1)
      }
      d[i]![j] = best
    }
  }
  return d[rows - 1]![cols - 1]!
}

/**
 * The candidate nearest to `word` if it is within distance 2 (and the distance
 * is smaller than the candidate's length, so "zz" does not suggest "as").
 * Comparison ignores case, so "[Exec]" suggests "[exec]". Ties go to the
 * earlier candidate, i.e. table order.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  const w = word.toLowerCase()
  for (const c of candidates) {
    const dist = editDistance(w, c.toLowerCase())
    if (dist <= 2 && dist < c.length && dist < bestDistance) {
      best = c
      bestDistance = dist
    }
  }
  return best
}

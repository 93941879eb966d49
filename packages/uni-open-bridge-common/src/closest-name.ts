/**
 * The known name closest to `typed` — a typo's likely meaning — or undefined when none is close: same letters in
 * another case, or an edit distance of at most a third of the name (at least 1, at most 3).
 */
export function closestName(typed: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const name of known) {
    if (name.toLowerCase() === typed.toLowerCase()) return name
    const distance = editDistance(typed.toLowerCase(), name.toLowerCase())
    if (distance < bestDistance) {
      best = name
      bestDistance = distance
    }
  }
  return bestDistance <= Math.min(3, Math.max(1, Math.floor((best?.length ?? 0) / 3))) ? best : undefined
}

/** Levenshtein distance (insertions, deletions, substitutions), for short names only. */
function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Number.POSITIVE_INFINITY
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
    }
    previous = current
  }
  return previous[b.length]!
}

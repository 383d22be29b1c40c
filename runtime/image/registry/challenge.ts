// WWW-Authenticate (RFC 7235): one or more challenges, each a scheme then either
// comma-separated auth-params (name=token or name="quoted string", with \-escapes
// and commas inside quotes) or a token68. Registries send
//   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"
// and fetch() joins several headers with ", ", so a parser that splits on commas
// alone breaks scopes like "repository:a:pull,push". Pure.

export interface Challenge {
  /** lower case: "bearer", "basic" */
  scheme: string
  /** parameter names in lower case */
  params: Record<string, string>
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/
const MAX_HEADER = 16 * 1024

export function parseWwwAuthenticate(header: string | null | undefined): Challenge[] {
  const s = (header ?? '').slice(0, MAX_HEADER)
  const out: Challenge[] = []
  let i = 0
  const ws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++
  }
  const token = (): string => {
    const start = i
    while (i < s.length && TOKEN_CHAR.test(s[i]!)) i++
    return s.slice(start, i)
  }
  const quoted = (): string => {
    // at the opening quote
    i++
    let v = ''
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++
      v += s[i]
      i++
    }
    i++ // the closing quote (or the end)
    return v
  }
  // Every step moves i forward, so the loops end within s.length rounds.
  while (i < s.length) {
    ws()
    if (s[i] === ',') {
      i++
      continue
    }
    const scheme = token()
    if (!scheme) {
      i++ // a stray character: skip it
      continue
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: Object.create(null) }
    out.push(challenge)
    ws()
    // Auth-params until the next challenge: a token followed by something other than '='.
    // (A token68, which registries do not send, reads as a parameter with an empty value.)
    while (i < s.length) {
      ws()
      if (s[i] === ',') {
        i++
        continue
      }
      const save = i
      const name = token()
      ws()
      if (!name || s[i] !== '=') {
        i = save // the next challenge's scheme, or a stray character the outer loop skips
        break
      }
      i++ // '='
      ws()
      challenge.params[name.toLowerCase()] = s[i] === '"' ? quoted() : token()
    }
  }
  return out
}

/** The first challenge of `scheme` ("bearer", "basic"), if any. */
export function findChallenge(challenges: Challenge[], scheme: string): Challenge | undefined {
  return challenges.find((c) => c.scheme === scheme)
}

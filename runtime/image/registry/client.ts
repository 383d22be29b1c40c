// Requests to one repository on one endpoint, with the authentication the registry
// asks for and the redirects it sends:
// - a 401's WWW-Authenticate decides: Bearer gets a token from the realm (with the
//   auth.json credentials as Basic when there are some), Basic gets the credentials.
//   A token is kept per realm, service and scope for the whole pull; a 401 on a
//   request that carried one (an expired token, in the middle of the layers) fetches
//   a new one once and retries.
// - redirects are followed here (at most MAX_REDIRECTS), and the Authorization
//   header goes only to the endpoint's own host: blob storage behind a redirect
//   gets a signed URL, never the registry's credentials. https never turns into
//   http unless the endpoint is plain http already.

import { LiteError } from '../../errors.ts'
import { lookupCredentials, type AuthEntries, type Credentials } from './auth-file.ts'
import { findChallenge, parseWwwAuthenticate, type Challenge } from './challenge.ts'
import { NetworkError, RegistryHttpError, discard, readLimited, send, type Endpoint, type Sent, type Timeouts } from './transport.ts'

export const MAX_REDIRECTS = 5
const MAX_TOKEN_RESPONSE = 1 << 20
const MAX_ERROR_BODY = 64 * 1024
const HEADER_SAFE = /^[\x21-\x7e]{1,16384}$/

export class AuthError extends LiteError {
  constructor(message: string) {
    super(message)
    this.name = 'AuthError'
  }
}

const basic = (c: Credentials) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`

/** A registry's error body ({"errors":[{"code","message"}]}) as one short text, if it is one. */
export async function errorDetail(sent: Sent, host: string, timeouts: Timeouts): Promise<string> {
  try {
    const bytes = await readLimited(sent, host, timeouts, MAX_ERROR_BODY, 'error body')
    const v = JSON.parse(new TextDecoder().decode(bytes)) as { errors?: { code?: unknown; message?: unknown }[] }
    const first = Array.isArray(v?.errors) ? v.errors[0] : undefined
    if (!first) return ''
    const text = [first.code, first.message].filter((x) => typeof x === 'string' && x).join(': ')
    return text.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, 300)
  } catch {
    discard(sent)
    return ''
  }
}

interface EndpointAuth {
  /** The Authorization header for the endpoint's host, once one was asked for. */
  authorization?: string
  /** Tokens by "realm service scope". */
  tokens: Map<string, string>
  /** Token fetches in flight, shared by the layers that got a 401 together. */
  pending: Map<string, Promise<string>>
}

export class RegistryClient {
  private readonly auth = new Map<string, EndpointAuth>()

  constructor(
    readonly repository: string,
    private readonly auths: AuthEntries,
    readonly timeouts: Timeouts,
    /** Where the credentials come from, for messages. */
    readonly authFile: string,
  ) {}

  private state(ep: Endpoint): EndpointAuth {
    let s = this.auth.get(ep.name)
    if (!s) this.auth.set(ep.name, (s = { tokens: new Map(), pending: new Map() }))
    return s
  }

  /**
   * GET `path` ("/v2/<repo>/manifests/<ref>") on `ep`, authenticated as the registry
   * asks, redirects followed. Returns the final response whatever its status; the
   * caller reads or discards its body.
   */
  async get(ep: Endpoint, path: string, headers: Record<string, string> = {}): Promise<Sent> {
    const state = this.state(ep)
    for (let attempt = 0; ; attempt++) {
      const sentAuth = state.authorization
      const sent = await this.follow(ep, new URL(`${ep.scheme}://${ep.host}${path}`), headers, sentAuth)
      if (sent.res.status !== 401) return sent
      const challenges = parseWwwAuthenticate(sent.res.headers.get('www-authenticate'))
      if (attempt >= 1) {
        // The credentials themselves were refused: say so, rather than "access denied".
        if (sentAuth?.startsWith('Basic ') && findChallenge(challenges, 'basic') && !findChallenge(challenges, 'bearer')) {
          discard(sent)
          throw new AuthError(`${ep.name} refused the credentials for it in ${this.authFile}`)
        }
        return sent
      }
      discard(sent)
      await this.authenticate(ep, state, challenges, sentAuth)
    }
  }

  /** Follows redirects; Authorization only to the endpoint's own host and scheme. */
  private async follow(ep: Endpoint, start: URL, headers: Record<string, string>, authorization: string | undefined): Promise<Sent> {
    let url = start
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const own = url.host === ep.host && url.protocol === start.protocol
      const h = { ...headers, ...(own && authorization ? { Authorization: authorization } : {}) }
      const sent = await send(url, { headers: h }, ep, this.timeouts)
      const status = sent.res.status
      if (![301, 302, 303, 307, 308].includes(status)) return sent
      const location = sent.res.headers.get('location')
      discard(sent)
      if (!location) throw new RegistryHttpError(`${url.host} answered ${status} with no Location`, status)
      let next: URL
      try {
        next = new URL(location, url)
      } catch {
        throw new RegistryHttpError(`${url.host} redirected to an invalid URL`, status)
      }
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new NetworkError(`${url.host} redirected to a ${next.protocol} URL`, false)
      if (next.protocol === 'http:' && url.protocol === 'https:' && ep.scheme === 'https')
        throw new NetworkError(`${url.host} redirected from https to plain http (${next.host}); lite does not follow that unless the registry is set insecure`, false)
      url = next
    }
    throw new RegistryHttpError(`${start.host} redirected more than ${MAX_REDIRECTS} times`, 310)
  }

  /** Whether auth.json has credentials for `ep` (for the hints of refusals). */
  hasCredentials(ep: Endpoint): boolean {
    return this.credentials(ep) !== undefined
  }

  private credentials(ep: Endpoint): Credentials | undefined {
    return lookupCredentials(this.auths, ep.name, this.repository)
  }

  private async authenticate(ep: Endpoint, state: EndpointAuth, challenges: Challenge[], sentAuth: string | undefined): Promise<void> {
    const creds = this.credentials(ep)
    const bearer = findChallenge(challenges, 'bearer')
    if (bearer) {
      const realm = bearer.params.realm
      if (!realm) throw new AuthError(`${ep.name} asked for a bearer token without saying where to get one (no realm)`)
      const service = bearer.params.service ?? ''
      const scope = bearer.params.scope || `repository:${this.repository}:pull`
      const key = `${realm} ${service} ${scope}`
      const cached = state.tokens.get(key)
      // Another request already fetched a newer token than the one this one sent.
      if (cached && `Bearer ${cached}` !== sentAuth) {
        state.authorization = `Bearer ${cached}`
        return
      }
      let p = state.pending.get(key)
      if (!p) {
        p = this.fetchToken(ep, realm, service, scope, creds).finally(() => state.pending.delete(key))
        state.pending.set(key, p)
      }
      const token = await p
      state.tokens.set(key, token)
      state.authorization = `Bearer ${token}`
      return
    }
    if (findChallenge(challenges, 'basic')) {
      if (!creds) throw new AuthError(`${ep.name} needs a user name and password, and ${this.authFile} has none for it`)
      if (sentAuth === basic(creds)) throw new AuthError(`${ep.name} refused the credentials for it in ${this.authFile}`)
      state.authorization = basic(creds)
      return
    }
    const schemes = challenges.map((c) => c.scheme).join(', ')
    throw new AuthError(`${ep.name} answered 401 and asks for ${schemes ? `authentication lite does not speak (${schemes})` : 'authentication without a WWW-Authenticate challenge'}`)
  }

  private async fetchToken(ep: Endpoint, realm: string, service: string, scope: string, creds: Credentials | undefined): Promise<string> {
    let url: URL
    try {
      url = new URL(realm)
    } catch {
      throw new AuthError(`${ep.name}'s token realm ${JSON.stringify(realm.slice(0, 200))} is not a URL`)
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AuthError(`${ep.name}'s token realm is a ${url.protocol} URL`)
    if (url.protocol === 'http:' && ep.scheme === 'https' && creds)
      throw new AuthError(`${ep.name}'s token realm ${url.origin} is plain http; lite does not send the credentials there unless the registry is set insecure`)
    if (service) url.searchParams.set('service', service)
    for (const s of scope.split(' ').filter(Boolean)) url.searchParams.append('scope', s)
    // The registry's own CA applies to its token server too (GitLab's is another host of the same site).
    const tokenEp: Endpoint = { name: url.host, host: url.host, scheme: url.protocol === 'http:' ? 'http' : 'https', mirror: false, ...(ep.ca ? { ca: ep.ca } : {}) }
    const sent = await this.follow(tokenEp, url, { Accept: 'application/json' }, creds ? basic(creds) : undefined)
    const status = sent.res.status
    if (status === 401 || status === 403) {
      discard(sent)
      throw new AuthError(
        creds
          ? `the token server ${url.host} refused the credentials for ${ep.name} in ${this.authFile} (${status})`
          : `the token server ${url.host} refused an anonymous token for ${this.repository} (${status}); if it is private, add credentials for ${ep.name} to ${this.authFile}`,
      )
    }
    if (status !== 200) {
      const detail = await errorDetail(sent, url.host, this.timeouts)
      throw new AuthError(`the token server ${url.host} answered ${status}${detail ? ` (${detail})` : ''}`)
    }
    const bytes = await readLimited(sent, url.host, this.timeouts, MAX_TOKEN_RESPONSE, `the token from ${url.host}`)
    let v: unknown
    try {
      v = JSON.parse(new TextDecoder().decode(bytes))
    } catch {
      throw new AuthError(`the token server ${url.host} did not answer JSON`)
    }
    const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>
    const token = typeof o.token === 'string' && o.token ? o.token : o.access_token
    if (typeof token !== 'string' || !HEADER_SAFE.test(token)) throw new AuthError(`the token server ${url.host} answered no usable token`)
    return token
  }
}

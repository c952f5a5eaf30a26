import { describe, expect, it, vi } from 'vitest'
import { ApiClient, ApiError, errorFromResponse } from '@/api/client'

interface Call {
  url: string
  init: RequestInit
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  })
}

const session = {
  user: {
    username: 'alice',
    name: 'Alice',
    email: 'alice@example.org',
    is_superuser: false,
    is_active: true,
    source: 'local',
    created_at: '2026-01-01T00:00:00Z',
    last_login_at: null,
  },
  csrf_token: 'token-1',
}

/** A client whose fetch answers from the given queue and records every call. */
function clientWith(...responses: Array<Response | Error>) {
  const calls: Call[] = []
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init: init ?? {} })
    const next = responses.shift()
    if (next === undefined) throw new Error('unexpected request')
    if (next instanceof Error) throw next
    return next
  })
  const hooks = { unauthorized: vi.fn(), unreachable: vi.fn(), reachable: vi.fn() }
  const client = new ApiClient({ fetch: fetch as typeof globalThis.fetch, hooks })
  return { client, calls, hooks }
}

function header(call: Call, name: string): string | undefined {
  return (call.init.headers as Record<string, string>)[name]
}

describe('errorFromResponse', () => {
  it('parses the error envelope with fields', async () => {
    const err = await errorFromResponse(
      json(400, {
        error: { code: 'validation_failed', message: 'Invalid input', fields: { image: 'required' } },
      }),
    )
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(400)
    expect(err.code).toBe('validation_failed')
    expect(err.message).toBe('Invalid input')
    expect(err.fields).toEqual({ image: 'required' })
  })

  it('reads Retry-After in seconds', async () => {
    const err = await errorFromResponse(
      json(429, { error: { code: 'too_many_attempts', message: 'Slow down' } }, { 'Retry-After': '42' }),
    )
    expect(err.retryAfter).toBe(42)
    expect(err.fields).toEqual({})
  })

  it('falls back to a generic error for bodies that are not the envelope', async () => {
    const err = await errorFromResponse(new Response('<html>Bad gateway</html>', { status: 502 }))
    expect(err.status).toBe(502)
    expect(err.code).toBe('http_502')
    expect(err.message).toBe('kiosc is temporarily unavailable.')
  })
})

describe('ApiClient', () => {
  it('sends JSON with same-origin credentials and no CSRF header on GET', async () => {
    const { client, calls } = clientWith(json(200, session), json(200, { items: [], total: 0 }))
    await client.me()
    await client.get('/api/v1/projects', { query: { limit: 10, offset: 0, state: undefined } })
    expect(calls[1]!.url).toBe('/api/v1/projects?limit=10&offset=0')
    expect(calls[1]!.init.method).toBe('GET')
    expect(calls[1]!.init.credentials).toBe('same-origin')
    expect(header(calls[1]!, 'Accept')).toBe('application/json')
    expect(header(calls[1]!, 'X-CSRF-Token')).toBeUndefined()
  })

  it('sends the CSRF token from /me on every mutating method', async () => {
    const { client, calls } = clientWith(
      json(200, session),
      json(201, { uuid: 'p1' }),
      json(200, {}),
      json(200, {}),
      new Response(null, { status: 204 }),
    )
    await client.me()
    await client.post('/api/v1/projects', { title: 'P', type: 'PROJECT' })
    await client.put('/api/v1/projects/p1/roles/bob', { role: 'guest' })
    await client.patch('/api/v1/projects/p1', { title: 'Q' })
    await expect(client.delete('/api/v1/projects/p1')).resolves.toBeUndefined()
    for (const call of calls.slice(1)) expect(header(call, 'X-CSRF-Token')).toBe('token-1')
    expect(calls[1]!.init.body).toBe(JSON.stringify({ title: 'P', type: 'PROJECT' }))
    expect(header(calls[1]!, 'Content-Type')).toBe('application/json')
  })

  it('keeps the token from login', async () => {
    const { client, calls } = clientWith(json(200, { ...session, csrf_token: 'from-login' }), json(200, {}))
    await client.login('alice', 'secret')
    expect(header(calls[0]!, 'X-CSRF-Token')).toBeUndefined()
    await client.post('/api/v1/tokens', { name: 'ci' })
    expect(header(calls[1]!, 'X-CSRF-Token')).toBe('from-login')
  })

  it('turns error answers into ApiError', async () => {
    const { client } = clientWith(
      json(409, { error: { code: 'conflict', message: 'Title already used', fields: { title: 'taken' } } }),
    )
    const err = await client.post('/api/v1/projects', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 409, code: 'conflict', message: 'Title already used' })
  })

  it('reports 401 from ordinary calls as the end of the session', async () => {
    const { client, hooks } = clientWith(
      json(200, session),
      json(401, { error: { code: 'unauthenticated', message: 'Sign in first' } }),
    )
    await client.me()
    await expect(client.get('/api/v1/containers')).rejects.toMatchObject({ status: 401 })
    expect(hooks.unauthorized).toHaveBeenCalledOnce()
    expect(client.csrf).toBeNull()
  })

  it('does not treat 401 from /me or login as a lost session', async () => {
    const { client, hooks } = clientWith(
      json(401, { error: { code: 'unauthenticated', message: 'Not signed in' } }),
      json(401, { error: { code: 'invalid_credentials', message: 'Wrong username or password' } }),
    )
    await expect(client.me()).rejects.toMatchObject({ status: 401 })
    await expect(client.login('alice', 'nope')).rejects.toMatchObject({ code: 'invalid_credentials' })
    expect(hooks.unauthorized).not.toHaveBeenCalled()
  })

  it('refreshes the CSRF token once and retries after csrf_failed', async () => {
    const { client, calls } = clientWith(
      json(200, session),
      json(403, { error: { code: 'csrf_failed', message: 'CSRF token missing or invalid' } }),
      json(200, { ...session, csrf_token: 'token-2' }),
      json(202, { uuid: 'c1', state: 'pulling' }),
    )
    await client.me()
    await expect(client.post('/api/v1/containers/c1/start')).resolves.toEqual({
      uuid: 'c1',
      state: 'pulling',
    })
    expect(calls.map((c) => c.url)).toEqual([
      '/api/v1/me',
      '/api/v1/containers/c1/start',
      '/api/v1/me',
      '/api/v1/containers/c1/start',
    ])
    expect(header(calls[3]!, 'X-CSRF-Token')).toBe('token-2')
  })

  it('gives up after one CSRF retry', async () => {
    const csrf = () => json(403, { error: { code: 'csrf_failed', message: 'CSRF token missing or invalid' } })
    const { client, calls } = clientWith(json(200, session), csrf(), json(200, session), csrf())
    await client.me()
    await expect(client.post('/api/v1/containers/c1/stop')).rejects.toMatchObject({ code: 'csrf_failed' })
    expect(calls).toHaveLength(4)
  })

  it('does not retry other 403 answers', async () => {
    const { client, calls } = clientWith(
      json(403, { error: { code: 'forbidden', message: 'Contributors only' } }),
    )
    await expect(client.post('/api/v1/containers/c1/stop')).rejects.toMatchObject({ code: 'forbidden' })
    expect(calls).toHaveLength(1)
  })

  it('reports network failures as "kiosc is unreachable" and recovery once', async () => {
    const { client, hooks } = clientWith(
      new TypeError('Failed to fetch'),
      json(200, session),
      json(200, session),
    )
    const err = await client.me().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 0, message: 'kiosc is unreachable', isNetworkError: true })
    expect(hooks.unreachable).toHaveBeenCalledOnce()
    await client.me()
    await client.me()
    expect(hooks.reachable).toHaveBeenCalledOnce()
  })

  it('lets aborts through untouched', async () => {
    const { client, hooks } = clientWith(new DOMException('aborted', 'AbortError'))
    await expect(client.get('/api/v1/projects')).rejects.toMatchObject({ name: 'AbortError' })
    expect(hooks.unreachable).not.toHaveBeenCalled()
  })

  it('forgets the token on logout', async () => {
    const { client, calls } = clientWith(json(200, session), json(200, { logout_url: null }))
    await client.me()
    await expect(client.logout()).resolves.toEqual({ logout_url: null })
    expect(header(calls[1]!, 'X-CSRF-Token')).toBe('token-1')
    expect(client.csrf).toBeNull()
  })
})

import { describe, expect, it, vi } from 'vitest'
import { ApiClient } from '@/api/client'
import { identityApi } from '@/api/identity'

function client(status = 200, body: unknown = { items: [], total: 0 }) {
  const fetch = vi.fn<(input: RequestInfo | URL, init?: RequestInit) => Promise<Response>>(
    async () =>
      new Response(status === 204 ? null : JSON.stringify(body), {
        status,
        headers: { 'Content-Type': 'application/json' },
      }),
  )
  return { fetch, api: identityApi(new ApiClient({ fetch })) }
}

describe('identity API', () => {
  it('creates a token with an expiry and returns the secret', async () => {
    const { fetch, api } = client(201, { id: 3, name: 'ci', prefix: 'kiosc_abc', token: 'kiosc_secret' })
    const t = await api.createToken('ci', '30d')
    expect(t.token).toBe('kiosc_secret')
    const [url, init] = fetch.mock.calls[0]!
    expect(url).toBe('/api/v1/tokens')
    expect(init?.method).toBe('POST')
    expect(JSON.parse(init?.body as string)).toEqual({ name: 'ci', expires_in: '30d' })
  })

  it('omits expires_in for tokens that never expire', async () => {
    const { fetch, api } = client(201, {})
    await api.createToken('forever')
    expect(JSON.parse(fetch.mock.calls[0]![1]?.body as string)).toEqual({ name: 'forever' })
  })

  it('revokes a token with DELETE', async () => {
    const { fetch, api } = client(204)
    await api.revokeToken(7)
    expect(fetch.mock.calls[0]![0]).toBe('/api/v1/tokens/7')
    expect(fetch.mock.calls[0]![1]?.method).toBe('DELETE')
  })

  it('escapes usernames and sends roles with PUT', async () => {
    const { fetch, api } = client(200, {})
    await api.setRole('p-1', 'alice@example.org', 'guest')
    expect(fetch.mock.calls[0]![0]).toBe('/api/v1/projects/p-1/roles/alice%40example.org')
    expect(fetch.mock.calls[0]![1]?.method).toBe('PUT')
    expect(JSON.parse(fetch.mock.calls[0]![1]?.body as string)).toEqual({ role: 'guest' })
  })

  it('paginates the timeline per project', async () => {
    const { fetch, api } = client()
    await api.timeline({ project: 'p-1', limit: 25, offset: 50 })
    expect(fetch.mock.calls[0]![0]).toBe('/api/v1/timeline?project=p-1&limit=25&offset=50')
  })

  it('searches users and leaves out empty parameters', async () => {
    const { fetch, api } = client()
    await api.listUsers({ search: 'ali', limit: 25 })
    expect(fetch.mock.calls[0]![0]).toBe('/api/v1/users?search=ali&limit=25')
  })

  it('reports field errors', async () => {
    const { api } = client(400, {
      error: { code: 'validation_failed', message: 'invalid input', fields: { username: 'required' } },
    })
    await expect(api.createUser({ username: '' })).rejects.toMatchObject({
      status: 400,
      fields: { username: 'required' },
    })
  })
})

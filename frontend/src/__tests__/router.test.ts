import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createAppRouter } from '@/router'

const user = (isSuperuser: boolean) => ({
  username: 'alice',
  name: 'Alice',
  email: '',
  is_superuser: isSuperuser,
  is_active: true,
  source: 'local',
  created_at: '2026-01-01T00:00:00Z',
  last_login_at: null,
})

const config = {
  version: 'test',
  local_login: true,
  oidc: { enabled: false, login_url: '', name: '' },
  proxy_domain: '',
}

/** Answers /me with the given user (or 401) and /config with a fixed configuration. */
function serve(me: ReturnType<typeof user> | null) {
  const fetch = vi.fn(async (input: RequestInfo | URL) => {
    const url = String(input)
    const body =
      url === '/api/v1/config'
        ? { status: 200, json: config }
        : me
          ? { status: 200, json: { user: me, csrf_token: 't' } }
          : { status: 401, json: { error: { code: 'unauthenticated', message: 'not signed in' } } }
    return new Response(JSON.stringify(body.json), { status: body.status })
  })
  vi.stubGlobal('fetch', fetch)
  return fetch
}

beforeEach(() => {
  setActivePinia(createPinia())
})

describe('router guard', () => {
  it('sends signed-out visitors to the login page with the requested path', async () => {
    serve(null)
    const router = createAppRouter(createMemoryHistory())
    await router.push('/projects?tab=mine')
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.next).toBe('/projects?tab=mine')
    expect(document.title).toBe('Sign in · kiosc')
  })

  it('asks the server who is signed in only once', async () => {
    const fetch = serve(user(false))
    const router = createAppRouter(createMemoryHistory())
    await router.push('/')
    await router.push('/projects')
    await router.push('/timeline')
    expect(fetch.mock.calls.filter(([url]) => String(url) === '/api/v1/me')).toHaveLength(1)
    expect(document.title).toBe('Timeline · kiosc')
  })

  it('shows the not-found page at the same URL for admin pages to non-superusers', async () => {
    serve(user(false))
    const router = createAppRouter(createMemoryHistory())
    await router.push('/admin/docker')
    expect(router.currentRoute.value.name).toBe('not-found')
    expect(router.currentRoute.value.path).toBe('/admin/docker')
  })

  it('lets superusers into admin pages', async () => {
    serve(user(true))
    const router = createAppRouter(createMemoryHistory())
    await router.push('/admin/docker')
    expect(router.currentRoute.value.name).toBe('admin-docker')
  })

  it('moves a signed-in user away from the login page to a safe next path', async () => {
    serve(user(false))
    const router = createAppRouter(createMemoryHistory())
    await router.push('/login?next=/templates')
    expect(router.currentRoute.value.name).toBe('templates')
    await router.push('/login?next=https://evil.example/')
    expect(router.currentRoute.value.name).toBe('home')
  })

  it('shows the not-found page for unknown paths, signed in or not', async () => {
    serve(null)
    const router = createAppRouter(createMemoryHistory())
    await router.push('/no/such/page')
    expect(router.currentRoute.value.name).toBe('not-found')
  })
})

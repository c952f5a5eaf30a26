import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import type { Container } from '@/api/types'
import { useSessionStore } from '@/stores/session'
import { containerFixture } from '@/testing/fixtures'
import { allowedBySite, offText } from '@/utils/access'
import AccessBadge from '../AccessBadge.vue'
import ContainerSharing from '../ContainerSharing.vue'

function json(body: unknown, status = 200): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  })
}

function container(over: Partial<Container>): Container {
  return containerFixture({ title: 'Notebook', access: 'link', effective_access: 'link', ...over })
}

afterEach(() => {
  document.body.innerHTML = ''
  vi.unstubAllGlobals()
})

describe('access levels in the SPA', () => {
  it('says which levels the site allows, and what a level turned off means', () => {
    expect(allowedBySite('project', null)).toBe(true)
    expect(allowedBySite('site', null)).toBe(true)
    expect(allowedBySite('public', { allow_link_access: true, allow_public_access: false })).toBe(false)
    expect(allowedBySite('link', { allow_link_access: true, allow_public_access: false })).toBe(true)
    expect(offText('public', 'public')).toBe('')
    expect(offText('public', 'project')).toContain('behaves as a project app')
  })

  it('marks apps open beyond their project, and levels the site turned off', () => {
    const none = mount(AccessBadge, { props: { access: 'project' } })
    expect(none.find('[data-testid="access-badge"]').exists()).toBe(false)
    const pub = mount(AccessBadge, { props: { access: 'public', effective: 'public' } })
    expect(pub.get('[data-testid="access-badge"]').text()).toBe('Public')
    const off = mount(AccessBadge, { props: { access: 'public', effective: 'project' } })
    expect(off.get('[data-testid="access-badge"]').text()).toBe('Public (off)')
    expect(off.get('[data-testid="access-badge"]').attributes('data-effective')).toBe('project')
  })

  it('creates a link, shows its URL once and lists links without their secrets', async () => {
    setActivePinia(createPinia())
    const session = useSessionStore()
    session.user = { username: 'carla' } as never
    const link = {
      id: 7,
      container: 'c1',
      name: 'reviewers',
      prefix: 'kl_abcdef',
      created_by: 'carla',
      created_at: '2026-01-01T00:00:00Z',
      expires_at: '2026-01-08T00:00:00Z',
      used_at: null,
      expired: false,
    }
    let links: unknown[] = []
    const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input)
      const method = init?.method ?? 'GET'
      if (url === '/api/v1/containers/c1/links' && method === 'GET')
        return json({ items: links, total: links.length })
      if (url === '/api/v1/containers/c1/links' && method === 'POST') {
        links = [link]
        return json({ ...link, url: 'http://apps.test/.kiosc/link?app=c1&key=kl_secret' }, 201)
      }
      if (url === '/api/v1/containers/c1/links/7' && method === 'DELETE') {
        links = []
        return json(null, 204)
      }
      return json({ error: { code: 'not_found', message: 'not found' } }, 404)
    })
    vi.stubGlobal('fetch', fetchMock)
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/', component: { render: () => null } },
        { path: '/containers/:uuid/edit', name: 'container-edit', component: { render: () => null } },
      ],
    })
    const wrapper = mount(ContainerSharing, {
      props: { container: container({}), active: true, canManage: true },
      global: { plugins: [router] },
      attachTo: document.body,
    })
    await flushPromises()
    expect(wrapper.text()).toContain('No links yet')
    await wrapper.get('[data-testid="link-name"] input').setValue('reviewers')
    await wrapper.get('[data-testid="link-create"]').trigger('click')
    await flushPromises()
    const post = fetchMock.mock.calls.find((c) => (c[1] as RequestInit | undefined)?.method === 'POST')!
    expect(JSON.parse(String((post[1] as RequestInit).body))).toEqual({ name: 'reviewers', expires_in: '7d' })
    expect((wrapper.get('[data-testid="link-url"] input').element as HTMLInputElement).value).toContain(
      'kl_secret',
    )
    expect(wrapper.findAll('[data-testid="link-item"]')).toHaveLength(1)
    expect(wrapper.get('[data-testid="link-item"]').text()).not.toContain('kl_secret')
  })

  it('says that links open nothing while the site does not allow link access', async () => {
    setActivePinia(createPinia())
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json({ items: [], total: 0 })),
    )
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/', component: { render: () => null } },
        { path: '/containers/:uuid/edit', name: 'container-edit', component: { render: () => null } },
      ],
    })
    const wrapper = mount(ContainerSharing, {
      props: { container: container({ effective_access: 'project' }), active: true, canManage: true },
      global: { plugins: [router] },
    })
    await flushPromises()
    expect(wrapper.get('[data-testid="access-off"]').text()).toContain('behaves as a project app')
    expect(wrapper.text()).toContain('Links open nothing')
    expect(wrapper.get('[data-testid="link-create"]').attributes('disabled')).toBeDefined()
  })
})

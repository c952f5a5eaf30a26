import { flushPromises, mount } from '@vue/test-utils'
import { NDialogProvider } from 'naive-ui'
import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import { useLiveStore } from '@/stores/live'
import { useSessionStore } from '@/stores/session'
import { templateFixture } from '@/testing/fixtures'
import TemplatesView from '../TemplatesView.vue'

const template = templateFixture

const perms = (manage: boolean) => ({
  view_project: true,
  open_app: true,
  view_container: true,
  view_logs: manage,
  manage_containers: manage,
  manage_templates: manage,
  manage_roles: false,
  manage_project: false,
})

function json(body: unknown, status = 200): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  })
}

async function setup(manage: boolean) {
  setActivePinia(createPinia())
  const projectTemplate = template({
    uuid: 't-proj',
    project: 'p1',
    site_template: 't-site',
    image: 'jupyter/base:1',
  })
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input)
    const method = init?.method ?? 'GET'
    if (url.startsWith('/api/v1/templates?')) return json({ items: [template({})], total: 1 })
    if (url.startsWith('/api/v1/projects?'))
      return json({
        items: [
          { uuid: 'p1', title: 'Cohort', type: 'PROJECT', role: 'contributor', permissions: perms(manage) },
        ],
        total: 1,
      })
    if (url.startsWith('/api/v1/projects/p1/templates')) return json({ items: [projectTemplate], total: 1 })
    if (url === '/api/v1/templates/t-proj/diff')
      return json({
        upstream: { uuid: 't-site', title: 'Jupyter', project: null, updated_at: '2026-01-01T00:00:00Z' },
        fields: [{ field: 'image', current: 'jupyter/base:1', upstream: 'jupyter/base:2' }],
      })
    if (url === '/api/v1/templates/t-proj/apply' && method === 'POST')
      return json({ ...projectTemplate, image: 'jupyter/base:2' })
    if (url === '/api/v1/templates/t-site/copy' && method === 'POST')
      return json(template({ uuid: 't-copy', project: 'p1', site_template: 't-site' }), 201)
    return json({ error: { code: 'not_found', message: 'not found' } }, 404)
  })
  vi.stubGlobal('fetch', fetchMock)
  useSessionStore().user = {
    username: 'carla',
    name: 'Carla',
    email: '',
    is_superuser: false,
    is_active: true,
    source: 'local',
    created_at: '2026-01-01T00:00:00Z',
    has_password: true,
    oidc_bound: false,
    last_login_at: null,
  }
  const handlers: Record<string, (d: unknown) => void> = {}
  vi.spyOn(useLiveStore(), 'subscribe').mockImplementation(((type: string, handler: (d: unknown) => void) => {
    handlers[type] = handler
    return () => {}
  }) as ReturnType<typeof useLiveStore>['subscribe'])
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/templates', name: 'templates', component: { render: () => null } }],
  })
  await router.push('/templates')
  const Harness = defineComponent({
    render: () => h(NDialogProvider, null, { default: () => h(TemplatesView) }),
  })
  const wrapper = mount(Harness, { global: { plugins: [router] }, attachTo: document.body })
  await flushPromises()
  return { wrapper, fetchMock, handlers, router }
}

describe('TemplatesView', () => {
  it('lists site templates and the templates of the first project, linked to their site template', async () => {
    const { wrapper, router } = await setup(true)
    const site = wrapper.find('[data-testid="site-templates"]')
    expect(site.find('[data-template="Jupyter"]').text()).toContain('jupyter/base:2')
    expect(site.find('[data-testid="tpl-edit"]').exists()).toBe(false) // site templates: superusers only
    const project = wrapper.find('[data-testid="project-templates"]')
    const row = project.find('[data-template="Jupyter"]')
    expect(row.text()).toContain('jupyter/base:1')
    expect(row.find('[data-testid="tpl-edit"]').exists()).toBe(true)
    expect(router.currentRoute.value.query.project).toBe('p1')
    expect(wrapper.find('[data-testid="new-site-template"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="new-project-template"]').exists()).toBe(true)
    wrapper.unmount()
  })

  it('compares a project template with its site template and applies the chosen fields', async () => {
    const { wrapper, fetchMock } = await setup(true)
    await wrapper.find('[data-testid="project-templates"] [data-testid="tpl-compare"]').trigger('click')
    await flushPromises()
    const modal = document.body.querySelector('[data-testid="diff-modal"]')!
    expect(modal.querySelector('[data-field="image"]')!.textContent).toContain('jupyter/base:2')
    ;(modal.querySelector('[data-testid="diff-apply"]') as HTMLElement).click()
    await flushPromises()
    const call = fetchMock.mock.calls.find(([u]) => String(u).endsWith('/t-proj/apply'))!
    expect(JSON.parse(String(call[1]!.body))).toEqual({ fields: ['image'] })
    wrapper.unmount()
  })

  it('refetches when another user changes a template, and hides management from guests', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    const { wrapper, fetchMock, handlers } = await setup(false)
    expect(wrapper.find('[data-testid="new-project-template"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="tpl-edit"]').exists()).toBe(false)
    const before = fetchMock.mock.calls.length
    handlers['timeline.event']!({ object_type: 'container' })
    handlers['timeline.event']!({ object_type: 'template' })
    await vi.advanceTimersByTimeAsync(300)
    await flushPromises()
    expect(fetchMock.mock.calls.length).toBe(before + 2)
    vi.useRealTimers()
    wrapper.unmount()
  })
})

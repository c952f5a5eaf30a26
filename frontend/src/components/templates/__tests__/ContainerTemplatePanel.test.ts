import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import type { Container } from '@/api/types'
import { useContainersStore } from '@/stores/containers'
import ContainerTemplatePanel from '../ContainerTemplatePanel.vue'

const container = {
  uuid: 'c1',
  project: 'p1',
  title: 'notebook',
  template: 't1',
  state: 'running',
  restart_pending: false,
  updated_at: '2026-01-01T00:00:00Z',
} as Container

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

describe('ContainerTemplatePanel', () => {
  it('shows the diff against the template and applies the chosen fields with a restart', async () => {
    setActivePinia(createPinia())
    let applied = false
    const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input)
      if (url.endsWith('/containers/c1/diff'))
        return json({
          upstream: { uuid: 't1', title: 'Jupyter', project: 'p1', updated_at: '2026-01-01T00:00:00Z' },
          fields: applied ? [] : [{ field: 'image', current: 'jupyter/base:1', upstream: 'jupyter/base:2' }],
        })
      if (url.endsWith('/containers/c1/apply') && init?.method === 'POST') {
        applied = true
        return json({ ...container, image: 'jupyter/base:2', updated_at: '2026-01-01T00:01:00Z' }, 202)
      }
      return json({ error: { code: 'not_found', message: 'not found' } }, 404)
    })
    vi.stubGlobal('fetch', fetchMock)
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/', component: { render: () => null } },
        { path: '/templates', name: 'templates', component: { render: () => null } },
      ],
    })
    const wrapper = mount(ContainerTemplatePanel, {
      props: { container, canApply: true },
      global: { plugins: [router] },
    })
    await flushPromises()
    expect(wrapper.text()).toContain('Created from')
    expect(wrapper.text()).toContain('(project template)')
    expect(wrapper.find('[data-testid="diff-row"]').attributes('data-field')).toBe('image')

    await wrapper.find('[data-testid="diff-restart"]').trigger('click')
    await wrapper.find('[data-testid="diff-apply"]').trigger('click')
    await flushPromises()
    const call = fetchMock.mock.calls.find(([u]) => String(u).endsWith('/apply'))!
    expect(JSON.parse(String(call[1]!.body))).toEqual({ fields: ['image'], restart: true })
    expect(useContainersStore().byUuid.c1).toMatchObject({ image: 'jupyter/base:2' })
    expect(wrapper.find('[data-testid="diff-none"]').exists()).toBe(true)
  })
})

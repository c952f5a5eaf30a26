import { flushPromises, mount } from '@vue/test-utils'
import { NDialogProvider } from 'naive-ui'
import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import type { Container, ContainerItem, ContainerSummary, ProjectPermissions } from '@/api/types'
import { useLiveStore } from '@/stores/live'
import { useSessionStore } from '@/stores/session'
import { containerFixture } from '@/testing/fixtures'
import ContainerList from '../ContainerList.vue'

const perms = (manage: boolean): ProjectPermissions => ({
  view_project: true,
  open_app: true,
  view_container: true,
  view_logs: true,
  manage_containers: manage,
  manage_templates: false,
  manage_roles: false,
  manage_project: false,
})

function container(over: Partial<Container>): Container {
  return containerFixture({ state_reason: 'user', stopped_at: '2026-01-01T00:00:00Z', ...over })
}

/** What a viewer gets: no image, no messages, no Docker details. */
const summary: ContainerSummary = {
  uuid: 'c2',
  project: 'p1',
  title: 'Shiny',
  description: 'Dashboards',
  state: 'running',
  state_reason: '',
  desired_state: 'running',
  ready_at: '2026-01-01T00:00:00Z',
  started_at: '2026-01-01T00:00:00Z',
  stopped_at: null,
  proxy_url: '/containers/proxy/c2/',
  access: 'project',
  effective_access: 'project',
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
}

async function setup(manage: boolean, items: ContainerItem[] = [container({})]) {
  const pinia = createPinia()
  setActivePinia(pinia)
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => new Response(JSON.stringify({ items, total: items.length }), { status: 200 })),
  )
  useSessionStore().user = {
    username: 'alice',
    name: 'Alice',
    email: '',
    is_superuser: false,
    is_active: true,
    source: 'local',
    created_at: '2026-01-01T00:00:00Z',
    has_password: true,
    oidc_bound: false,
    last_login_at: null,
  }
  const live = useLiveStore()
  const handlers: Record<string, (d: unknown) => void> = {}
  vi.spyOn(live, 'subscribe').mockImplementation(((type: string, handler: (d: unknown) => void) => {
    handlers[type] = handler
    return () => {}
  }) as typeof live.subscribe)
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: { render: () => null } },
      { path: '/containers/:uuid', name: 'container', component: { render: () => null } },
      { path: '/projects/:uuid/containers/new', name: 'container-new', component: { render: () => null } },
    ],
  })
  const Harness = defineComponent({
    render: () =>
      h(NDialogProvider, null, {
        default: () => h(ContainerList, { projectUuid: 'p1', permissions: perms(manage) }),
      }),
  })
  const wrapper = mount(Harness, { global: { plugins: [pinia, router] } })
  await flushPromises()
  return { wrapper, handlers }
}

describe('ContainerList', () => {
  it('shows the live state of each container without reloading', async () => {
    const { wrapper, handlers } = await setup(true)
    const state = () => wrapper.find('[data-testid="container-state"]').attributes('data-state')
    expect(state()).toBe('stopped')
    expect(wrapper.find('[data-testid="row-start"]').exists()).toBe(true)

    handlers['container.state']!(
      container({ state: 'running', started_at: '2026-01-01T00:01:00Z', updated_at: '2026-01-01T00:01:00Z' }),
    )
    await flushPromises()
    expect(state()).toBe('running')
    expect(wrapper.find('[data-testid="row-stop"]').exists()).toBe(true)
    expect(vi.mocked(fetch)).toHaveBeenCalledTimes(1)

    handlers['container.state']!(container({ state: 'deleted', updated_at: '2026-01-01T00:02:00Z' }))
    await flushPromises()
    expect(wrapper.findAll('[data-testid="container-row"]')).toHaveLength(0)
    wrapper.unmount()
  })

  it('offers creating and starting only to those who manage containers', async () => {
    const { wrapper } = await setup(false)
    expect(wrapper.find('[data-testid="new-container"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="row-start"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="row-open"]').exists()).toBe(true)
    wrapper.unmount()
  })

  it('lists the summaries viewers get, with their state and no configuration', async () => {
    const { wrapper } = await setup(false, [summary])
    const row = wrapper.find('[data-testid="container-row"]')
    expect(row.attributes('data-uuid')).toBe('c2')
    expect(row.find('[data-testid="container-state"]').attributes('data-state')).toBe('running')
    expect(row.find('.image').text()).toBe('')
    expect(row.text()).toContain('Dashboards')
    expect(row.find('[data-testid="row-open"]').exists()).toBe(true)
    wrapper.unmount()
  })
})

import { flushPromises, mount } from '@vue/test-utils'
import { NDialogProvider } from 'naive-ui'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, type Component } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import type { Container, ProjectPermissions } from '@/api/types'
import { useContainersStore } from '@/stores/containers'
import { useLiveStore } from '@/stores/live'
import { useNotificationsStore } from '@/stores/notifications'
import { containerFixture } from '@/testing/fixtures'
import ContainerTable from '../ContainerTable.vue'
import ContainerHeader from '../detail/ContainerHeader.vue'
import ContainerOverview from '../detail/ContainerOverview.vue'

const OLD =
  'registry.example.org/lab/notebook@sha256:0e5e44c98987aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const NEW =
  'registry.example.org/lab/notebook@sha256:162be41b2716bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'

const perms = (manage: boolean): ProjectPermissions => ({
  view_project: true,
  open_app: true,
  view_container: true,
  view_logs: manage,
  manage_containers: manage,
  manage_templates: false,
  manage_roles: false,
  manage_project: false,
})

function container(over: Partial<Container> = {}): Container {
  return containerFixture({
    title: 'Notebook',
    image: 'registry.example.org/lab/notebook:stable',
    state: 'running',
    desired_state: 'running',
    docker_id: 'abcdef0123456789',
    docker_state: 'running',
    ready_at: '2026-01-01T00:00:00Z',
    started_at: '2026-01-01T00:00:00Z',
    image_id: 'sha256:9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f',
    image_digest: OLD,
    update_status: 'available',
    update_available: true,
    available_digest: NEW,
    update_message:
      "update available: the registry's registry.example.org/lab/notebook:stable is now sha256:162be41b2716; the container runs sha256:0e5e44c98987",
    update_checked_at: '2026-01-01T00:00:00Z',
    has_registry_auth: true,
    created_by: 'alice',
    ...over,
  })
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

/** Mounts a component inside a dialog provider, with the live channel and the API stubbed. */
async function mountWith(
  component: Component,
  props: Record<string, unknown>,
  answer: (url: string) => Response,
) {
  const pinia = createPinia()
  setActivePinia(pinia)
  const fetchMock = vi.fn(async (input: RequestInfo | URL) => answer(String(input)))
  vi.stubGlobal('fetch', fetchMock)
  vi.spyOn(useLiveStore(), 'subscribe').mockImplementation((() => () => {}) as never)
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: { render: () => null } },
      { path: '/containers/:uuid', name: 'container', component: { render: () => null } },
      { path: '/containers/:uuid/edit', name: 'container-edit', component: { render: () => null } },
      { path: '/projects/:uuid', name: 'project', component: { render: () => null } },
    ],
  })
  const Harness = defineComponent({
    render: () => h(NDialogProvider, null, { default: () => h(component, props) }),
  })
  const wrapper = mount(Harness, { global: { plugins: [pinia, router] }, attachTo: document.body })
  await flushPromises()
  return { wrapper, fetchMock }
}

afterEach(() => {
  document.body.innerHTML = ''
  vi.unstubAllGlobals()
})

describe('image updates in the SPA', () => {
  it('marks containers with an update in lists, and only those', async () => {
    const items = [
      container(),
      container({ uuid: 'c2', title: 'Shiny', update_available: false, update_status: 'up_to_date' }),
    ]
    const { wrapper } = await mountWith(ContainerTable, { items, permissionsOf: () => perms(true) }, () =>
      json({}),
    )
    const rows = wrapper.findAll('[data-testid="container-row"]')
    expect(rows[0]!.find('[data-testid="update-marker"]').text()).toContain('Update available')
    expect(rows[0]!.find('[data-testid="update-marker"]').attributes('data-digest')).toBe(NEW)
    expect(rows[1]!.find('[data-testid="update-marker"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('offers the update with a confirmation that names both digests, then asks the server', async () => {
    const { wrapper, fetchMock } = await mountWith(
      ContainerHeader,
      { container: container(), permissions: perms(true) },
      (url) =>
        url.endsWith('/update') ? json(container({ updated_at: '2026-01-01T00:00:01Z' }), 202) : json({}),
    )
    expect(wrapper.find('[data-testid="update-marker"]').exists()).toBe(true)
    const banner = wrapper.find('[data-testid="update-available"]')
    expect(banner.text()).toContain('sha256:162be41b2716')
    expect(banner.text()).toContain('sha256:0e5e44c98987')

    await wrapper.find('[data-testid="action-update"]').trigger('click')
    await flushPromises()
    const dialog = document.body.querySelector('.n-dialog')
    expect(dialog?.textContent).toContain('Update "Notebook"?')
    expect(dialog?.textContent).toContain('sha256:0e5e44c98987 → sha256:162be41b2716')
    expect(fetchMock).not.toHaveBeenCalled()

    ;(document.body.querySelector('[data-testid="confirm-update"]') as HTMLElement).click()
    await flushPromises()
    expect(fetchMock).toHaveBeenCalledTimes(1)
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe('/api/v1/containers/c1/update')
    expect(init.method).toBe('POST')
    wrapper.unmount()
  })

  it('shows no update button to those who cannot manage the container, nor without an update', async () => {
    const guest = await mountWith(
      ContainerHeader,
      { container: container(), permissions: perms(false) },
      () => json({}),
    )
    expect(guest.wrapper.find('[data-testid="update-marker"]').exists()).toBe(true)
    expect(guest.wrapper.find('[data-testid="action-update"]').exists()).toBe(false)
    guest.wrapper.unmount()

    const current = await mountWith(
      ContainerHeader,
      {
        container: container({ update_available: false, update_status: 'up_to_date', available_digest: OLD }),
        permissions: perms(true),
      },
      () => json({}),
    )
    expect(current.wrapper.find('[data-testid="update-marker"]').exists()).toBe(false)
    expect(current.wrapper.find('[data-testid="action-update"]').exists()).toBe(false)
    current.wrapper.unmount()
  })

  it('shows the recorded image and checks for an update on request', async () => {
    const checked = container({
      update_available: false,
      update_status: 'failed',
      available_digest: null,
      update_message: 'the check failed: access denied: the registry registry.example.org refused the image',
      updated_at: '2026-01-01T00:00:02Z',
    })
    const { wrapper, fetchMock } = await mountWith(
      ContainerOverview,
      {
        container: container({ update_status: 'unchecked', update_available: false, update_message: '' }),
        canManage: true,
      },
      (url) => (url.endsWith('/check-update') ? json(checked) : json({})),
    )
    expect(wrapper.find('[data-testid="image-id"]').text()).toBe('sha256:9f9f9f9f9f9f')
    expect(wrapper.find('[data-testid="image-digest"]').text()).toBe(OLD)
    expect(wrapper.find('[data-testid="update-status"]').text()).toContain('not checked yet')

    await wrapper.find('[data-testid="check-update"]').trigger('click')
    await flushPromises()
    expect(fetchMock.mock.calls[0]![0]).toBe('/api/v1/containers/c1/check-update')
    // The answer goes to the store, which every view of the container reads.
    const stored = useContainersStore().byUuid.c1 as Container
    expect(stored.update_status).toBe('failed')
    const notice = useNotificationsStore().notices.at(-1)
    expect(notice?.kind).toBe('warning')
    expect(notice?.message).toContain('The check failed: access denied')
    wrapper.unmount()
  })
})

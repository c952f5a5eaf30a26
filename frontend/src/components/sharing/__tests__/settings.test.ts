import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ref } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import type { SiteSettings } from '@/api/types'
import ConfigFields from '@/components/containers/ConfigFields.vue'
import { configForm, configInput } from '@/composables/useConfigForm'
import { setSiteSettings, useSiteSettings } from '@/composables/useSiteSettings'
import SettingsView from '@/views/admin/SettingsView.vue'

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

function router() {
  return createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: { render: () => null } },
      { path: '/containers/:uuid', name: 'container', component: { render: () => null } },
    ],
  })
}

beforeEach(() => {
  setActivePinia(createPinia())
})

/** The site settings the forms see, whether they load them now or already did. */
function site(s: SiteSettings): void {
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => json(s)),
  )
  setSiteSettings(s)
}

afterEach(() => {
  vi.unstubAllGlobals()
})

/** The container form's access options: whether each is disabled, and the words next to it. */
function options(wrapper: ReturnType<typeof mount>) {
  return Object.fromEntries(
    ['project', 'site', 'link', 'public'].map((level) => {
      const o = wrapper.get(`[data-testid="field-access-${level}"]`)
      return [level, { disabled: o.find('input').attributes('disabled') !== undefined, text: o.text() }]
    }),
  )
}

describe('the access level in the container and template form', () => {
  it('offers link and public only while the site allows them', async () => {
    site({ allow_link_access: true, allow_public_access: false })
    const form = ref(configForm())
    const wrapper = mount(ConfigFields, {
      props: { form: form.value, 'onUpdate:form': (f: typeof form.value) => (form.value = f), errors: {} },
      slots: { environment: () => null },
    })
    await flushPromises()
    const o = options(wrapper)
    expect(o.project!.disabled).toBe(false)
    expect(o.site!.disabled).toBe(false)
    expect(o.link!.disabled).toBe(false)
    expect(o.public!.disabled).toBe(true)
    expect(o.public!.text).toContain('Turned off on this site')
    expect(form.value.access).toBe('project')
    expect(wrapper.find('[data-testid="field-access-warning"]').exists()).toBe(false)
  })

  it('keeps a level the site turned off selectable for an app that has it, and warns about it', async () => {
    site({ allow_link_access: false, allow_public_access: false })
    const form = configForm({ ...configForm(), access: 'public' } as never)
    const wrapper = mount(ConfigFields, {
      props: { form, errors: {} },
      slots: { environment: () => null },
    })
    await flushPromises()
    const o = options(wrapper)
    expect(o.public!.disabled).toBe(false)
    expect(o.link!.disabled).toBe(true)
    expect(wrapper.get('[data-testid="field-access-warning"]').text()).toContain(
      'Anyone who finds the address',
    )
    expect(configInput(form).access).toBe('public')
  })

  it('sends the chosen level with the rest of the configuration', () => {
    const form = configForm()
    expect(configInput(form).access).toBe('project')
    form.access = 'link'
    expect(configInput(form).access).toBe('link')
  })
})

describe('the site settings page', () => {
  it('changes a setting, says which apps now behave differently, and updates the forms’ copy', async () => {
    let current = { allow_link_access: false, allow_public_access: false }
    const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input)
      if (url === '/api/v1/admin/settings' && init?.method === 'PUT') {
        current = { ...current, ...(JSON.parse(String(init.body)) as object) }
        return json({
          ...current,
          affected: [{ uuid: 'c9', title: 'Dashboard', access: 'public', effective_access: 'public' }],
        })
      }
      if (url.endsWith('/settings')) return json(current)
      return json({ error: { code: 'not_found', message: 'not found' } }, 404)
    })
    vi.stubGlobal('fetch', fetchMock)
    const wrapper = mount(SettingsView, { global: { plugins: [router()] } })
    await flushPromises()
    const sw = wrapper.get('[data-testid="allow-public-access"]')
    expect(sw.attributes('aria-checked')).toBe('false')
    await sw.trigger('click')
    await flushPromises()
    const put = fetchMock.mock.calls.find((c) => (c[1] as RequestInit | undefined)?.method === 'PUT')!
    expect(JSON.parse(String((put[1] as RequestInit).body))).toEqual({ allow_public_access: true })
    expect(wrapper.get('[data-testid="allow-public-access"]').attributes('aria-checked')).toBe('true')
    expect(wrapper.get('[data-testid="allow-link-access"]').attributes('aria-checked')).toBe('false')
    expect(wrapper.get('[data-testid="settings-affected"]').text()).toContain('Dashboard')
    expect(useSiteSettings().settings.value).toEqual({ allow_link_access: false, allow_public_access: true })
  })

  it('says why the settings could not be loaded', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json({ error: { code: 'forbidden', message: 'superusers only' } }, 403)),
    )
    const wrapper = mount(SettingsView, { global: { plugins: [router()] } })
    await flushPromises()
    expect(wrapper.text()).toContain('Superusers only')
    expect(wrapper.find('[data-testid="site-settings"]').exists()).toBe(false)
  })
})

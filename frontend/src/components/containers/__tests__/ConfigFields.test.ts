import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, ref } from 'vue'
import type { SiteConfig } from '@/api/types'
import { configForm } from '@/composables/useConfigForm'
import { useSessionStore } from '@/stores/session'
import ConfigFields from '../ConfigFields.vue'

const siteConfig = (runtime: SiteConfig['runtime']): SiteConfig => ({
  version: 'test',
  local_login: true,
  oidc: { enabled: false, login_url: '', name: '' },
  proxy_domain: '',
  proxy_mode: 'app-origin',
  app_origin: 'http://localhost:8081',
  runtime,
})

async function mountFields(runtime: SiteConfig['runtime'], placement = '') {
  setActivePinia(createPinia())
  vi.stubGlobal(
    'fetch',
    vi.fn(
      async () =>
        new Response(JSON.stringify({ allow_link_access: false, allow_public_access: false }), {
          headers: { 'Content-Type': 'application/json' },
        }),
    ),
  )
  useSessionStore().config = siteConfig(runtime)
  const form = ref({ ...configForm(), placement })
  const Host = defineComponent(
    () => () => h(ConfigFields, { form: form.value, errors: {} }, { environment: () => h('div') }),
  )
  const wrapper = mount(Host)
  await flushPromises()
  return wrapper
}

describe('ConfigFields', () => {
  afterEach(() => vi.unstubAllGlobals())

  it.each([
    { runtime: 'docker' as const, placement: '', shown: false },
    { runtime: 'swarm' as const, placement: '', shown: true },
    // A template made on a swarm site keeps showing what it carries, so it can be seen and cleared.
    { runtime: 'docker' as const, placement: 'node.labels.gpu==true', shown: true },
  ])('placement on $runtime with "$placement": shown $shown', async ({ runtime, placement, shown }) => {
    const wrapper = await mountFields(runtime, placement)
    expect(wrapper.find('[data-testid="field-placement"]').exists()).toBe(shown)
  })
})

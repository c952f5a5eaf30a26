import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import type { SiteConfig } from '@/api/types'
import { useSessionStore } from '@/stores/session'
import LoginView from '@/views/LoginView.vue'

const baseConfig: SiteConfig = {
  version: 'v1.0.0',
  local_login: true,
  oidc: { enabled: false, login_url: '/auth/oidc/login', name: '' },
  proxy_domain: '',
  proxy_mode: 'path',
  app_origin: '',
  runtime: 'docker',
}

async function mountLogin(url: string, config: Partial<SiteConfig> = {}) {
  const pinia = createPinia()
  setActivePinia(pinia)
  useSessionStore().config = { ...baseConfig, ...config }
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/login', name: 'login', component: LoginView, meta: { title: 'Sign in', public: true } },
      { path: '/', name: 'home', component: { render: () => null }, meta: { title: 'Home' } },
      { path: '/projects', name: 'projects', component: { render: () => null }, meta: { title: 'Projects' } },
      {
        path: '/:pathMatch(.*)*',
        name: 'not-found',
        component: { render: () => null },
        meta: { title: 'Not found' },
      },
    ],
  })
  await router.push(url)
  await router.isReady()
  const wrapper = mount(LoginView, { global: { plugins: [pinia, router] }, attachTo: document.body })
  await flushPromises()
  return { wrapper, router }
}

function respond(status: number, body: unknown, headers: Record<string, string> = {}) {
  const fetch = vi.fn(
    async () =>
      new Response(JSON.stringify(body), {
        status,
        headers: { 'Content-Type': 'application/json', ...headers },
      }),
  )
  vi.stubGlobal('fetch', fetch)
  return fetch
}

async function fillAndSubmit(wrapper: Awaited<ReturnType<typeof mountLogin>>['wrapper']) {
  await wrapper.find('input[name="username"]').setValue('alice')
  await wrapper.find('input[name="password"]').setValue('secret')
  await wrapper.find('form').trigger('submit')
  await flushPromises()
}

afterEach(() => {
  document.body.innerHTML = ''
})

describe('LoginView', () => {
  it('shows the name, tagline and local form, but no SSO button when single sign-on is off', async () => {
    const { wrapper } = await mountLogin('/login')
    expect(wrapper.text()).toContain('kiosc')
    expect(wrapper.text()).toContain('Web apps for research projects')
    expect(wrapper.find('[data-testid="login-form"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="login-sso"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('links the SSO button to the provider login with the sanitized next path', async () => {
    const { wrapper } = await mountLogin('/login?next=/projects', {
      oidc: { enabled: true, login_url: '/auth/oidc/login', name: 'Charité SSO' },
    })
    const sso = wrapper.find('[data-testid="login-sso"]')
    expect(sso.exists()).toBe(true)
    expect(sso.text()).toContain('Sign in with single sign-on')
    expect(sso.attributes('href')).toBe('/auth/oidc/login?next=%2Fprojects')
    expect(wrapper.text()).toContain('via Charité SSO')
    wrapper.unmount()
  })

  it('never passes a foreign next target on to the provider', async () => {
    const { wrapper } = await mountLogin('/login?next=//evil.example', {
      oidc: { enabled: true, login_url: '/auth/oidc/login', name: '' },
    })
    expect(wrapper.find('[data-testid="login-sso"]').attributes('href')).toBe('/auth/oidc/login?next=%2F')
    wrapper.unmount()
  })

  it('shows only the SSO button when local login is off', async () => {
    const { wrapper } = await mountLogin('/login', {
      local_login: false,
      oidc: { enabled: true, login_url: '/auth/oidc/login', name: '' },
    })
    expect(wrapper.find('[data-testid="login-form"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="login-sso"]').exists()).toBe(true)
    wrapper.unmount()
  })

  it('shows the error handed over by the SSO callback', async () => {
    const { wrapper } = await mountLogin('/login?error=Your%20account%20is%20not%20active')
    const alert = wrapper.find('[data-testid="login-provider-error"]')
    expect(alert.exists()).toBe(true)
    expect(alert.text()).toContain('Your account is not active')
    wrapper.unmount()
  })

  it('shows no provider error without ?error=', async () => {
    const { wrapper } = await mountLogin('/login')
    expect(wrapper.find('[data-testid="login-provider-error"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('signs in and goes to the next path', async () => {
    const fetch = respond(200, {
      user: { username: 'alice', name: 'Alice', is_superuser: false },
      csrf_token: 't',
    })
    const { wrapper, router } = await mountLogin('/login?next=/projects')
    await fillAndSubmit(wrapper)
    expect(fetch).toHaveBeenCalledOnce()
    expect(JSON.parse(String((fetch.mock.calls[0] as unknown as [string, RequestInit])[1].body))).toEqual({
      username: 'alice',
      password: 'secret',
    })
    expect(useSessionStore().user?.username).toBe('alice')
    expect(router.currentRoute.value.fullPath).toBe('/projects')
    wrapper.unmount()
  })

  it('shows the server message for wrong credentials', async () => {
    respond(401, { error: { code: 'invalid_credentials', message: 'Wrong username or password.' } })
    const { wrapper, router } = await mountLogin('/login')
    await fillAndSubmit(wrapper)
    expect(wrapper.find('[data-testid="login-error"]').text()).toContain('Wrong username or password.')
    expect(router.currentRoute.value.name).toBe('login')
    wrapper.unmount()
  })

  it('says how long to wait after too many attempts', async () => {
    respond(
      429,
      { error: { code: 'too_many_attempts', message: 'Too many attempts' } },
      { 'Retry-After': '30' },
    )
    const { wrapper } = await mountLogin('/login')
    await fillAndSubmit(wrapper)
    expect(wrapper.find('[data-testid="login-error"]').text()).toContain(
      'Too many failed attempts, try again in 30 s',
    )
    expect(wrapper.find('[data-testid="login-submit"]').attributes('disabled')).toBeDefined()
    wrapper.unmount()
  })

  it('asks for missing input without calling the server', async () => {
    const fetch = respond(200, {})
    const { wrapper } = await mountLogin('/login')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(fetch).not.toHaveBeenCalled()
    expect(wrapper.text()).toContain('Enter your username.')
    wrapper.unmount()
  })
})

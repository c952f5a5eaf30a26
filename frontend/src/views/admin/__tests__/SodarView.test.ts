import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SodarRun, SodarStatus } from '@/api/types'
import SodarView from '@/views/admin/SodarView.vue'

const run: SodarRun = {
  id: 2,
  uuid: 'run-2',
  trigger: 'interval',
  user: 'system',
  started_at: '2026-01-02T10:00:00.000Z',
  finished_at: '2026-01-02T10:00:01.000Z',
  status: 'partial',
  version: '2.0',
  counts: {
    category: { created: 3, updated: 0, removed: 0, skipped: 0 },
    project: { created: 2, updated: 1, removed: 0, skipped: 1 },
    user: { created: 4, updated: 0, removed: 0, skipped: 0 },
    role: { created: 7, updated: 0, removed: 2, skipped: 0 },
  },
  totals: { created: 16, updated: 1, removed: 2, skipped: 1 },
  messages: [
    {
      level: 'error',
      kind: 'project',
      uuid: 'p1',
      name: 'Twin',
      message: 'a project titled "Twin" already exists in "Good"; not created',
    },
  ],
  error: '',
}

const enabled: SodarStatus = {
  enabled: true,
  url: 'https://sodar.example.org',
  interval_seconds: 300,
  default_owner: 'admin',
  version: '2.0',
  running: false,
  last_run: run,
}

function serve(status: SodarStatus, runs: SodarRun[], syncResult?: SodarRun) {
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input)
    const json = (body: unknown, code = 200) =>
      new Response(JSON.stringify(body), { status: code, headers: { 'Content-Type': 'application/json' } })
    if (url.startsWith('/api/v1/admin/sodar/runs')) return json({ items: runs, total: runs.length })
    if (url === '/api/v1/admin/sodar/sync' && init?.method === 'POST') {
      if (!syncResult) return json({ error: { code: 'sodar_disabled', message: 'not configured' } }, 409)
      runs.unshift(syncResult)
      return json(syncResult)
    }
    if (url === '/api/v1/admin/sodar') return json(status)
    return json({ error: { code: 'not_found', message: 'no' } }, 404)
  })
  vi.stubGlobal('fetch', fetch)
  return fetch
}

async function mountView() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const wrapper = mount(SodarView, { global: { plugins: [pinia] }, attachTo: document.body })
  await flushPromises()
  return wrapper
}

afterEach(() => {
  document.body.innerHTML = ''
})

describe('SodarView', () => {
  it('shows the source URL, interval, version and the last run with counts and skipped entries', async () => {
    serve(enabled, [run])
    const wrapper = await mountView()
    expect(wrapper.find('[data-testid="sodar-url"]').text()).toBe('https://sodar.example.org')
    const text = wrapper.text()
    expect(text).toContain('5 min')
    expect(text).toContain('2.0')
    expect(text).toContain('partial')
    expect(text).toContain('Projects')
    expect(text).toContain('a project titled "Twin" already exists')
    expect(text).toContain('1 entry was skipped.')
    expect(wrapper.find('[data-testid="sodar-runs"]').text()).toContain('scheduled (system)')
    wrapper.unmount()
  })

  it('runs a sync on "Sync now" and shows its result', async () => {
    const fresh: SodarRun = {
      ...run,
      uuid: 'run-3',
      trigger: 'ui',
      user: 'admin',
      status: 'ok',
      messages: [],
      counts: { project: { created: 0, updated: 0, removed: 0, skipped: 0 } },
      totals: { created: 0, updated: 0, removed: 0, skipped: 0 },
    }
    const fetch = serve(enabled, [run], fresh)
    const wrapper = await mountView()
    await wrapper.find('[data-testid="sodar-sync"]').trigger('click')
    await flushPromises()
    expect(
      fetch.mock.calls.some(([u, i]) => String(u) === '/api/v1/admin/sodar/sync' && i?.method === 'POST'),
    ).toBe(true)
    expect(wrapper.find('[data-testid="sodar-run"]').text()).toContain('Nothing was skipped.')
    expect(wrapper.find('[data-testid="sodar-runs"]').text()).toContain('by hand (admin)')
    wrapper.unmount()
  })

  it('explains standalone mode and disables the button', async () => {
    serve(
      { ...enabled, enabled: false, url: null, interval_seconds: null, default_owner: null, last_run: null },
      [],
    )
    const wrapper = await mountView()
    expect(wrapper.find('[data-testid="sodar-disabled"]').text()).toContain('KIOSC_SODAR_URL')
    expect(wrapper.find('[data-testid="sodar-sync"]').attributes('disabled')).toBeDefined()
    wrapper.unmount()
  })
})

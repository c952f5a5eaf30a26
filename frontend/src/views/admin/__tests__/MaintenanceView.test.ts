import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import type { MaintenanceResult, MaintenanceTask } from '@/api/types'
import MaintenanceView from '@/views/admin/MaintenanceView.vue'

const stopAll: MaintenanceResult = {
  task: 'stop-all',
  user: 'admin',
  started_at: '2026-01-02T10:00:00.000Z',
  finished_at: '2026-01-02T10:00:02.500Z',
  count: 1,
  failed: 0,
  summary: 'stopped 1 container',
  items: [
    { kind: 'container', id: 'c1', name: 'Jupyter', project: 'p1', state: 'stopped', reason: 'maintenance' },
  ],
}

function tasks(last: MaintenanceResult | null = null): MaintenanceTask[] {
  return [
    {
      name: 'cleanup-unused',
      description: 'Remove unused networks and dangling images.',
      schedule: 'daily',
      next_run: new Date(Date.now() + 3600_000).toISOString(),
      last_run: { ...stopAll, task: 'cleanup-unused', user: 'system', summary: 'removed 2 unused networks' },
      last_sweep: null,
    },
    {
      name: 'remove-stopped',
      description: 'Remove long-stopped.',
      schedule: 'every 30s',
      next_run: null,
      last_run: null,
      last_sweep: null,
    },
    {
      name: 'stop-all',
      description: 'Stop every app.',
      schedule: 'on demand only',
      next_run: null,
      last_run: last,
      last_sweep: null,
    },
    {
      name: 'stop-idle',
      description: 'Stop idle apps.',
      schedule: 'every 30s',
      next_run: null,
      last_run: null,
      last_sweep: null,
    },
  ]
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

async function setup(runAnswer: () => Response = () => json(stopAll)) {
  let ran: string | null = null
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input)
    if (url === '/api/v1/admin/maintenance') {
      const items = tasks(ran === 'stop-all' ? stopAll : null)
      return json({ items, total: items.length })
    }
    if (url.startsWith('/api/v1/admin/maintenance/') && init?.method === 'POST') {
      ran = url.slice('/api/v1/admin/maintenance/'.length)
      return runAnswer()
    }
    return json({ error: { code: 'not_found', message: 'no' } }, 404)
  })
  vi.stubGlobal('fetch', fetch)
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: { render: () => null } },
      { path: '/containers/:uuid', name: 'container', component: { render: () => null } },
    ],
  })
  const wrapper = mount(MaintenanceView, { global: { plugins: [pinia, router] }, attachTo: document.body })
  await flushPromises()
  return { wrapper, fetch, ran: () => ran }
}

afterEach(() => {
  document.body.innerHTML = ''
})

describe('MaintenanceView', () => {
  it('describes the four tasks with their schedule and last run', async () => {
    const { wrapper } = await setup()
    const text = wrapper.find('[data-testid="maintenance-tasks"]').text()
    for (const name of ['cleanup-unused', 'remove-stopped', 'stop-all', 'stop-idle']) {
      expect(wrapper.find(`[data-testid="task-${name}"]`).exists()).toBe(true)
      expect(wrapper.find(`[data-testid="run-${name}"]`).exists()).toBe(true)
    }
    expect(text).toContain('Remove unused networks and dangling images.')
    expect(text).toContain('daily, next in 1 hour')
    expect(
      wrapper.find('[data-testid="task-cleanup-unused"] [data-testid="task-last-run"]').text(),
    ).toContain('on schedule: removed 2 unused networks')
    expect(wrapper.find('[data-testid="task-stop-all"] [data-testid="task-last-run"]').text()).toBe('never')
    wrapper.unmount()
  })

  it('asks before running, runs on confirmation and shows what was done', async () => {
    const { wrapper, ran } = await setup()
    await wrapper.find('[data-testid="run-stop-all"]').trigger('click')
    await flushPromises()
    const dialog = document.querySelector('.n-dialog')
    expect(dialog?.textContent).toContain('Stop all apps?')
    expect(dialog?.textContent).toContain('maintenance')
    expect(ran()).toBeNull()
    ;(document.querySelector('[data-testid="confirm-run"]') as HTMLButtonElement).click()
    await flushPromises()
    expect(ran()).toBe('stop-all')
    const result = wrapper.find('[data-testid="maintenance-result"]')
    expect(result.attributes('data-task')).toBe('stop-all')
    expect(result.find('[data-testid="maintenance-summary"]').text()).toBe('Stopped 1 container.')
    expect(result.text()).toContain('Jupyter')
    expect(result.find('[data-testid="container-state"]').attributes('data-state')).toBe('stopped')
    expect(result.text()).toContain('maintenance')
    expect(result.text()).toContain('took 2.5 s')
    expect(wrapper.find('[data-testid="task-stop-all"] [data-testid="task-last-run"]').text()).toContain(
      'by admin: stopped 1 container',
    )
    wrapper.unmount()
  })

  it('runs nothing when the dialog is cancelled', async () => {
    const { wrapper, ran } = await setup()
    await wrapper.find('[data-testid="run-cleanup-unused"]').trigger('click')
    await flushPromises()
    const cancel = [...document.querySelectorAll('.n-dialog button')].find((b) =>
      b.textContent?.includes('Cancel'),
    )
    ;(cancel as HTMLButtonElement).click()
    await flushPromises()
    expect(ran()).toBeNull()
    expect(wrapper.find('[data-testid="maintenance-result"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('shows failed objects of a partly failed run', async () => {
    const partial: MaintenanceResult = {
      ...stopAll,
      task: 'cleanup-unused',
      count: 1,
      failed: 1,
      summary: 'removed 0 unused networks and 1 dangling image (2.0 KiB)',
      items: [
        { kind: 'image', id: 'sha256:5555666677778888', name: '555566667777', size: 2048 },
        { kind: 'network', id: 'net1234567890ab', name: 'kiosc-1234', error: 'permission denied' },
      ],
    }
    const { wrapper } = await setup(() => json(partial))
    await wrapper.find('[data-testid="run-cleanup-unused"]').trigger('click')
    await flushPromises()
    ;(document.querySelector('[data-testid="confirm-run"]') as HTMLButtonElement).click()
    await flushPromises()
    const result = wrapper.find('[data-testid="maintenance-result"]').text()
    expect(result).toContain('1 failed')
    expect(result).toContain('removed, 2.0 KiB')
    expect(result).toContain('failed: permission denied')
    wrapper.unmount()
  })
})

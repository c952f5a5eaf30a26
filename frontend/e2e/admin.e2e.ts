// The admin Docker overview and maintenance end to end against the real binary and Docker engine: a superuser
// sees a running app on the Docker page, stops every app with stop-all and sees it stopped for maintenance; a
// user without superuser rights gets neither the pages nor the API.

import { setTimeout as sleep } from 'node:timers/promises'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiCall,
  deleteContainer,
  login,
  openPage,
  screenshot,
  testAppImage,
  type KioscServer,
  type TestPage,
  startAsAdmin,
} from './support'

interface ContainerAnswer {
  uuid: string
  state: string
  state_reason: string
}

describe('admin Docker and maintenance pages', () => {
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let page: Page
  let container = ''
  const title = 'Admin e2e app'

  beforeAll(async () => {
    ;({ server, browser, tp, page } = await startAsAdmin())
    const req = tp.context.request
    const project = (
      await apiCall<{ uuid: string }>(req, 'POST', '/api/v1/projects', {
        title: 'Admin e2e',
        type: 'PROJECT',
      })
    ).uuid
    container = (
      await apiCall<ContainerAnswer>(req, 'POST', `/api/v1/projects/${project}/containers`, {
        title,
        image: testAppImage(),
        container_port: 8080,
        heartbeat_url: '/health',
      })
    ).uuid
    await apiCall(req, 'POST', `/api/v1/containers/${container}/start`)
    const deadline = Date.now() + 90_000
    for (;;) {
      const c = await apiCall<ContainerAnswer>(req, 'GET', `/api/v1/containers/${container}`)
      if (c.state === 'running') break
      if (Date.now() > deadline) throw new Error(`the app never ran: ${c.state} ${c.state_reason}`)
      await sleep(300)
    }
  }, 120_000)

  afterAll(async () => {
    if (container) {
      await deleteContainer(tp.context.request, container)
    }
    await browser?.close()
    await server?.stop()
  })

  it('shows the running app with its Docker container, networks and image', async () => {
    await page.goto('/admin/docker')
    const known = page.getByTestId('docker-known')
    const row = known.locator('tbody tr', { hasText: title })
    await row.waitFor()
    expect(await row.getByTestId('container-state').getAttribute('data-state')).toBe('running')
    expect(await row.getByTestId('docker-state').getAttribute('data-state')).toBe('running')
    expect(await row.textContent()).toContain('Up ')
    // The app is on this instance's shared apps network, the only network row that names it (other kiosc
    // instances and containers on the same engine have rows of their own).
    const networks = page.getByTestId('docker-networks').locator('tbody tr', { hasText: title })
    expect(await networks.count()).toBe(1)
    expect(await networks.textContent()).toContain('kiosc-apps-')
    const image = testAppImage()
    expect(
      await page.getByTestId('docker-images').locator('tbody tr', { hasText: image }).textContent(),
    ).toContain(title)
    await screenshot(page, 'admin-docker')
    expect(tp.errors).toEqual([])
  }, 60_000)

  it('stops every app with stop-all, after a confirmation, for maintenance', async () => {
    await page.goto('/admin/maintenance')
    await page.getByTestId('task-stop-all').waitFor()
    await screenshot(page, 'admin-maintenance')
    await page.getByTestId('run-stop-all').click()
    const confirm = page.getByTestId('confirm-run')
    await confirm.waitFor()
    await screenshot(page, 'admin-maintenance-confirm')
    await confirm.click()
    const result = page.getByTestId('maintenance-result')
    await result.waitFor({ timeout: 45_000 })
    expect(await result.getByTestId('maintenance-summary').textContent()).toBe('Stopped 1 container.')
    const item = result.locator('tbody tr', { hasText: title })
    expect(await item.getByTestId('container-state').getAttribute('data-state')).toBe('stopped')
    expect(await item.textContent()).toContain('maintenance')
    expect(await page.getByTestId('task-stop-all').getByTestId('task-last-run').textContent()).toContain(
      'by admin',
    )
    await screenshot(page, 'admin-maintenance-result')

    const c = await apiCall<ContainerAnswer>(tp.context.request, 'GET', `/api/v1/containers/${container}`)
    expect([c.state, c.state_reason]).toEqual(['stopped', 'maintenance'])
    const timeline = await apiCall<{ items: { event_name: string }[] }>(
      tp.context.request,
      'GET',
      '/api/v1/timeline',
    )
    const names = timeline.items.map((e) => e.event_name)
    expect(names).toContain('maintenance_stop_all')
    expect(names).toContain('container_maintenance_stop')

    await page.goto('/admin/docker')
    const row = page.getByTestId('docker-known').locator('tbody tr', { hasText: title })
    await row.waitFor()
    expect(await row.getByTestId('container-state').getAttribute('data-state')).toBe('stopped')
    expect(await row.getByTestId('docker-state').getAttribute('data-state')).toBe('exited')
    expect(await row.getByTestId('state-reason').textContent()).toBe('maintenance')
    await screenshot(page, 'admin-docker-stopped')
    expect(tp.errors).toEqual([])
  }, 90_000)

  it('gives a user without superuser rights neither the pages nor the API', async () => {
    const password = 'plain-user-password-1'
    await apiCall(tp.context.request, 'POST', '/api/v1/users', {
      username: 'uma',
      password,
      name: 'Uma User',
    })
    const user = await openPage(browser, server.url)
    try {
      await user.page.goto('/login')
      await login(user.page, 'uma', password)
      expect(await user.page.getByText('Docker', { exact: true }).count()).toBe(0)
      for (const path of ['/admin/docker', '/admin/maintenance']) {
        await user.page.goto(path)
        await user.page.getByTestId('not-found').waitFor()
        expect(await user.page.getByTestId('docker-known').count()).toBe(0)
        expect(await user.page.getByTestId('maintenance-tasks').count()).toBe(0)
      }
      await screenshot(user.page, 'admin-forbidden')
      expect((await user.context.request.get('/api/v1/admin/docker')).status()).toBe(403)
      const me = (await (await user.context.request.get('/api/v1/me')).json()) as { csrf_token: string }
      const run = await user.context.request.post('/api/v1/admin/maintenance/stop-all', {
        headers: { 'X-CSRF-Token': me.csrf_token },
      })
      expect(run.status()).toBe(403)
    } finally {
      await user.context.close()
    }
  }, 60_000)
})

// The reverse proxy end to end: a stopped app opened from its project page goes through the lobby (which starts
// it and shows progress), lands in the app under /containers/proxy/<uuid>/, and the app's page talks to the app
// over a websocket tunnelled by kiosc. Needs a Docker engine and the test app image.

import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiCall,
  deleteContainer,
  openPage,
  testAppImage,
  screenshot,
  type KioscServer,
  type TestPage,
  startAsAdmin,
} from './support'

describe('reverse proxy', () => {
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let page: Page
  let project = ''
  let container = ''
  const created: string[] = []

  beforeAll(async () => {
    ;({ server, browser, tp, page } = await startAsAdmin())
  })

  afterAll(async () => {
    for (const container of created) {
      await deleteContainer(tp.context.request, container)
    }
    await browser?.close()
    await server?.stop()
  })

  it('opens a stopped app from its project page through the lobby and talks to it over a websocket', async () => {
    const image = testAppImage()
    const req = tp.context.request
    project = (
      await apiCall<{ uuid: string }>(req, 'POST', '/api/v1/projects', {
        title: 'Proxy e2e',
        type: 'PROJECT',
      })
    ).uuid
    // The app takes a moment to answer, so the lobby has progress to show.
    container = (
      await apiCall<{ uuid: string; state: string }>(req, 'POST', `/api/v1/projects/${project}/containers`, {
        title: 'Echo app',
        image,
        container_port: 8080,
        environment: { STARTUP_DELAY: '3s' },
      })
    ).uuid
    created.push(container)
    const appPath = `/containers/proxy/${container}/`

    await page.goto(`/projects/${project}`)
    await page.getByTestId('containers-section').waitFor()
    // The project page's Open button starts a top-level navigation in a new tab; follow that tab.
    const link = page.locator(`a[href*="${appPath}"]`).first()
    await link.waitFor()
    const [tab] = await Promise.all([page.context().waitForEvent('page'), link.click()])
    page = tab

    await page.waitForURL((url) => url.pathname === `/lobby/${container}`)
    const lobby = page.getByTestId('lobby')
    await lobby.waitFor()
    expect(new URL(page.url()).searchParams.get('next')).toBe(appPath)
    await page.getByTestId('lobby-status').waitFor()
    await screenshot(page, 'proxy-lobby-progress')

    // The lobby redirects by itself once the app answers.
    await page.waitForURL((url) => url.pathname === appPath, { timeout: 90_000 })
    const out = page.locator('#out')
    await expect.poll(async () => out.textContent(), { timeout: 20_000 }).toContain('open')
    await page.locator('#msg').fill('hello through kiosc')
    await page.locator('#send').click()
    await expect
      .poll(async () => out.textContent(), { timeout: 20_000 })
      .toContain('recv: hello through kiosc')
    await screenshot(page, 'proxy-app-websocket')

    // The app's own requests through the proxy never reach it with kiosc's session cookie.
    const echo = await page.evaluate(async () => (await fetch('echo')).json())
    const headers = JSON.stringify((echo as { headers: unknown }).headers)
    expect(headers).not.toContain('kiosc_session')
    expect((echo as { headers: Record<string, string[]> }).headers['X-Kiosc-User']).toEqual(['admin'])
    expect(tp.errors).toEqual([])
  }, 150_000)

  it('sends a signed-out visitor of an app to the login page and back into the app', async () => {
    const appPath = `/containers/proxy/${container}/`
    const anon = await openPage(browser, server.url)
    try {
      await anon.page.goto(`${appPath}?from=bookmark`)
      await anon.page.waitForURL((url) => url.pathname === '/login')
      expect(new URL(anon.page.url()).searchParams.get('next')).toBe(`${appPath}?from=bookmark`)
      // Not login(): it waits for kiosc's shell, and this visitor lands in the app instead.
      await anon.page.locator('input[name="username"]').fill('admin')
      await anon.page.locator('input[name="password"]').fill(server.adminPassword)
      await anon.page.locator('input[name="password"]').press('Enter')
      await anon.page.waitForURL((url) => url.pathname === appPath, { timeout: 30_000 })
      await anon.page.locator('#send').waitFor()
    } finally {
      await anon.context.close()
    }
  }, 60_000)

  it('shows why an app could not start, with its last log lines, and offers to try again', async () => {
    const req = tp.context.request
    // The app exits with code 3 before it ever answers its probe.
    const crashing = (
      await apiCall<{ uuid: string }>(req, 'POST', `/api/v1/projects/${project}/containers`, {
        title: 'Crashing app',
        image: testAppImage(),
        container_port: 8080,
        environment: { STARTUP_DELAY: '30s', CRASH_AFTER: '1s', CRASH_CODE: '3' },
      })
    ).uuid
    created.push(crashing)
    await page.goto(`/containers/proxy/${crashing}/some/page`)
    await page.waitForURL((url) => url.pathname === `/lobby/${crashing}`)
    await page.getByTestId('lobby-failure').waitFor({ timeout: 60_000 })
    expect(await page.getByTestId('lobby').getAttribute('data-phase')).toBe('failed')
    await page.getByTestId('lobby-logs').waitFor()
    expect(await page.getByTestId('lobby-logs').textContent()).toContain('testapp')
    await page.getByTestId('lobby-retry').waitFor()
    await screenshot(page, 'proxy-lobby-failure')
  }, 120_000)
})

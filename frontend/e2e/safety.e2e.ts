// Safe by default: in the zero-configuration setup an app is served on an origin of its own (the app listener), so a
// contributor's app opened by a superuser cannot use kiosc as that superuser. The test app's /probe page tries what
// a hostile app would (read kiosc's API, make its owner a superuser, create a token, open kiosc's live websocket,
// take over the origin with a service worker) and also uses the app the way notebooks do, which must keep working.

import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiCall,
  deleteContainer,
  launchBrowser,
  login,
  openPage,
  screenshot,
  startServer,
  testAppImage,
  type KioscServer,
  type TestPage,
} from './support'

interface ProbeResult {
  read_me: string
  patch_user: string
  create_token: string
  create_token_simple: string
  live_ws: string
  service_worker: string
  own_cookie: string
  own_api: string
  own_ws: string
}

describe('safe by default', () => {
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let container = ''

  beforeAll(async () => {
    server = await startServer()
    browser = await launchBrowser()
    tp = await openPage(browser, server.url)
    await tp.page.goto('/login')
    await login(tp.page, 'admin', server.adminPassword)
  })

  afterAll(async () => {
    if (container) await deleteContainer(tp.context.request, container)
    await browser?.close()
    await server?.stop()
  })

  it('gives an app opened by a superuser no way to act on kiosc, while the app itself works', async () => {
    const req = tp.context.request
    const project = (
      await apiCall<{ uuid: string }>(req, 'POST', '/api/v1/projects', { title: 'Safety', type: 'PROJECT' })
    ).uuid
    await apiCall(req, 'POST', '/api/v1/users', {
      username: 'carol',
      password: 'carol-password-1',
      name: 'Carol',
      email: 'carol@example.org',
      is_superuser: false,
    })
    await apiCall(req, 'PUT', `/api/v1/projects/${project}/roles/carol`, { role: 'contributor' })
    // Carol, a contributor, runs an app of her own making.
    const carol = await openPage(browser, server.url)
    try {
      await carol.page.goto('/login')
      await login(carol.page, 'carol', 'carol-password-1')
      container = (
        await apiCall<{ uuid: string }>(
          carol.context.request,
          'POST',
          `/api/v1/projects/${project}/containers`,
          {
            title: 'Helpful app',
            image: testAppImage(),
            container_port: 8080,
          },
        )
      ).uuid
    } finally {
      await carol.context.close()
    }
    const view = await apiCall<{ proxy_url: string }>(req, 'GET', `/api/v1/containers/${container}`)
    await apiCall(req, 'POST', `/api/v1/containers/${container}/start`)

    // The superuser opens it ("have a look at my app"); the lobby waits for it, the sign-in hands over.
    const page = tp.page
    const kiosc = new URL(server.url).origin
    const query = `probe?kiosc=${encodeURIComponent(kiosc)}&owner=carol`
    await page.goto(new URL(view.proxy_url, server.url).toString() + query)
    await page.waitForURL((url) => url.pathname.endsWith('/probe'), { timeout: 90_000 })
    expect(new URL(page.url()).origin).toBe(new URL(server.appUrl).origin)
    expect(new URL(page.url()).origin).not.toBe(kiosc)
    const result = page.locator('#result')
    await expect.poll(async () => result.textContent(), { timeout: 30_000 }).toMatch(/^\{/)
    const r = JSON.parse((await result.textContent()) ?? '{}') as ProbeResult
    await screenshot(page, 'safety-probe')

    // Nothing of kiosc's API could be read or changed from the app's page.
    expect(r.read_me).toMatch(/^error/)
    expect(r.patch_user).toMatch(/^error/)
    expect(r.create_token).toMatch(/^error/)
    expect(r.live_ws).not.toMatch(/^received/)
    expect(r.service_worker).toMatch(/^error/)
    const carolNow = await apiCall<{ is_superuser: boolean }>(req, 'GET', '/api/v1/users/carol')
    expect(carolNow.is_superuser).toBe(false)
    const tokens = await apiCall<{ items: { name: string }[] }>(req, 'GET', '/api/v1/tokens')
    expect(tokens.items.map((t) => t.name)).not.toContain('stolen')
    expect(tokens.items.map((t) => t.name)).not.toContain('stolen-simple')
    // The app's page never sees kiosc's cookies.
    expect(await page.evaluate(() => document.cookie)).not.toContain('kiosc')

    // The app works: its own cookie, same-origin API calls and websocket.
    expect(r.own_cookie).toContain('probe=1')
    expect(r.own_cookie).not.toContain('kiosc')
    expect(r.own_api).toBe('status 200 POST')
    expect(r.own_ws).toBe('echo ping')

    // And kiosc still knows the superuser as before.
    await page.goto(`${server.url}/`)
    await page.getByTestId('app-header').waitFor()
  }, 150_000)
})

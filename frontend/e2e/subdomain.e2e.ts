// Subdomain mode end to end: with KIOSC_PROXY_DOMAIN=apps.localhost:<port> (Chromium resolves every *.localhost name
// to the loopback address), an app opened from its project page lands at the root of its own origin
// http://<uuid>.apps.localhost:<port>/ after the lobby and the sign-in (started on the app's origin, a token from
// kiosc's origin, exchanged on the app's origin), its page cannot see kiosc's session cookie, and its websocket works.
// A sign-in link taken from one browser does not sign in another. Needs a Docker engine and the test app image.

import { setTimeout as sleep } from 'node:timers/promises'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiCall,
  deleteContainer,
  freePort,
  openPage,
  screenshot,
  testAppImage,
  type KioscServer,
  type TestPage,
  startAsAdmin,
} from './support'

describe('subdomain mode', () => {
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let page: Page
  let domain = ''
  let container = ''

  beforeAll(async () => {
    const port = await freePort()
    domain = `apps.localhost:${port}`
    ;({ server, browser, tp, page } = await startAsAdmin({ port, env: { KIOSC_PROXY_DOMAIN: domain } }))
  })

  afterAll(async () => {
    if (container !== '') {
      await deleteContainer(tp.context.request, container)
    }
    await browser?.close()
    await server?.stop()
  })

  it('opens an app on its own origin, without kiosc’s session, and talks to it over a websocket', async () => {
    const req = tp.context.request
    const project = (
      await apiCall<{ uuid: string }>(req, 'POST', '/api/v1/projects', {
        title: 'Subdomain e2e',
        type: 'PROJECT',
      })
    ).uuid
    container = (
      await apiCall<{ uuid: string }>(req, 'POST', `/api/v1/projects/${project}/containers`, {
        title: 'Echo app',
        image: testAppImage(),
        container_port: 8080,
      })
    ).uuid
    const appPath = `/containers/proxy/${container}/`
    const appHost = `${container}.${domain}`
    // The container's proxy_url is its URL on its own origin.
    const { proxy_url: openUrl } = await apiCall<{ proxy_url: string }>(
      req,
      'GET',
      `/api/v1/containers/${container}`,
    )
    expect(openUrl).toBe(`http://${appHost}/`)

    await page.goto(`/projects/${project}`)
    await page.getByTestId('containers-section').waitFor()
    const link = page.locator(`a[href="${openUrl}"]`).first()
    await link.waitFor()
    const [tab] = await Promise.all([page.context().waitForEvent('page'), link.click()])
    const app = tab

    // The app's origin sends the browser to kiosc's sign-in, which finds the app stopped: the lobby starts it, then
    // its next (the app's entry on kiosc's origin) hands over to the app's origin.
    await app.waitForURL((url) => url.pathname === `/lobby/${container}`)
    expect(new URL(app.url()).searchParams.get('next')).toBe(appPath)
    await app.waitForURL((url) => url.host === appHost, { timeout: 90_000 })
    expect(new URL(app.url()).pathname).toBe('/')
    expect(new URL(app.url()).protocol).toBe('http:')

    const out = app.locator('#out')
    await expect.poll(async () => out.textContent(), { timeout: 20_000 }).toContain('open')
    await app.locator('#msg').fill('hello on its own origin')
    await app.locator('#send').click()
    await expect
      .poll(async () => out.textContent(), { timeout: 20_000 })
      .toContain('recv: hello on its own origin')

    // Neither kiosc's session nor the HttpOnly app cookie is visible to the app's scripts, and neither reaches it.
    const cookies = await app.evaluate(() => document.cookie)
    expect(cookies).not.toContain('kiosc_session')
    expect(cookies).not.toContain('kiosc_app')
    const echo = (await app.evaluate(async () => (await fetch('/echo?x=1')).json())) as {
      request_uri: string
      headers: Record<string, string[]>
    }
    expect(echo.request_uri).toBe('/echo?x=1')
    expect(JSON.stringify(echo.headers)).not.toContain('kiosc_')
    expect(echo.headers['X-Kiosc-User']).toEqual(['admin'])
    expect(echo.headers['X-Forwarded-Prefix']).toBeUndefined()
    // kiosc's API does not exist on the app's origin: the path belongs to the app (which has no such page).
    const api = await app.evaluate(async () => {
      const r = await fetch('/api/v1/me')
      return `${r.status} ${await r.text()}`
    })
    expect(api).toContain('404 page not found')
    await screenshot(app, 'subdomain-app-websocket')

    // A sign-in link that is not valid (used, expired, another app's) explains itself and offers a way back.
    await app.goto(`http://${appHost}/.kiosc/auth?token=used-or-made-up&next=/echo`)
    await app.getByText('This sign-in link is not valid').waitFor()
    expect(await app.getByRole('link', { name: 'Open the app again' }).getAttribute('href')).toBe(
      `http://${appHost}/.kiosc/start?next=%2Fecho`,
    )
    await screenshot(app, 'subdomain-invalid-link')

    // A sign-in link issued to this browser (here: fetched with its session, as an attacker would for their own
    // account) signs nobody in anywhere else: another browser gets an explanation and no app cookie.
    const state = 'A'.repeat(43)
    const issued = await req.get(`/apps/${container}/sign-in?state=${state}&next=%2Fecho`, {
      maxRedirects: 0,
      headers: { Accept: 'text/html' },
    })
    expect(issued.status()).toBe(302)
    const signInLink = issued.headers()['location'] ?? ''
    expect(signInLink).toContain(`http://${appHost}/.kiosc/auth?token=`)
    const other = await openPage(browser, server.url)
    await other.page.goto(signInLink)
    await other.page.getByText('This sign-in link was not started in this browser').waitFor()
    const otherCookies = await other.context.cookies(`http://${appHost}/`)
    expect(otherCookies.map((c) => c.name)).not.toContain('kiosc_app')
    await screenshot(other.page, 'subdomain-link-from-another-browser')
    await other.context.close()

    // Logging out of kiosc ends access on the app's origin: the next navigation starts a sign-in there, which goes to
    // kiosc's login page and, after logging in, back to the app.
    const { csrf_token: csrf } = (await (await req.get('/api/v1/me')).json()) as { csrf_token: string }
    const res = await req.post('/api/v1/auth/logout', { headers: { 'X-CSRF-Token': csrf } })
    expect(res.ok()).toBe(true)
    await sleep(2500)
    await app.goto(`http://${appHost}/echo`)
    await app.waitForURL((url) => url.pathname === '/login', { timeout: 20_000 })
    expect(new URL(app.url()).host).toBe(new URL(server.url).host)
    expect(new URL(app.url()).searchParams.get('next')).toMatch(
      new RegExp(`^/apps/${container}/sign-in\\?state=[\\w-]{43}&next=%2Fecho$`),
    )
    await screenshot(app, 'subdomain-after-logout')
    await app.locator('input[name="username"]').fill('admin')
    await app.locator('input[name="password"]').fill(server.adminPassword)
    await app.locator('input[name="password"]').press('Enter')
    await app.waitForURL((url) => url.host === appHost && url.pathname === '/echo', { timeout: 20_000 })
    expect(await app.evaluate(() => document.cookie)).not.toContain('kiosc_')
    expect(tp.errors).toEqual([])
  }, 150_000)
})

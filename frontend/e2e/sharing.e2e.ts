// Sharing end to end: a superuser allows link and public access on the site settings page; a public app, chosen in
// the container form, is started and served to a browser without any kiosc session, which never reaches kiosc's
// API; a link app's secret link, created on its Sharing tab, opens it for a browser without an account until the
// link is revoked; and the changes of access level are in the timeline. Needs a Docker engine and the test app.

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

interface Echo {
  headers: Record<string, string[]>
}

/** The X-Kiosc-* headers an echo of the test app saw. */
function kioscHeaders(echo: Echo | number): Record<string, string[]> {
  if (typeof echo === 'number') throw new Error(`the app was not served: ${echo}`)
  return Object.fromEntries(
    Object.entries(echo.headers).filter(([name]) => name.toLowerCase().startsWith('x-kiosc')),
  )
}

describe('sharing', () => {
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let page: Page
  let project = ''
  let publicApp = ''
  let linkApp = ''
  let linkURL = ''
  let holder: TestPage | null = null
  const created: string[] = []

  beforeAll(async () => {
    ;({ server, browser, tp, page } = await startAsAdmin())
    const req = tp.context.request
    project = (
      await apiCall<{ uuid: string }>(req, 'POST', '/api/v1/projects', {
        title: 'Sharing e2e',
        type: 'PROJECT',
      })
    ).uuid
    for (const title of ['Paper dashboard', 'Review notebook']) {
      const c = await apiCall<{ uuid: string }>(req, 'POST', `/api/v1/projects/${project}/containers`, {
        title,
        image: testAppImage(),
        container_port: 8080,
      })
      created.push(c.uuid)
    }
    ;[publicApp, linkApp] = created
  }, 120_000)

  afterAll(async () => {
    await holder?.context.close()
    for (const uuid of created) await deleteContainer(tp.context.request, uuid)
    await browser?.close()
    await server?.stop()
  })

  /** Chooses an access level in the container's edit form and saves it. */
  async function setAccess(uuid: string, level: string): Promise<void> {
    await page.goto(`/containers/${uuid}/edit`)
    const option = page.getByTestId(`field-access-${level}`)
    await option.waitFor()
    await option.click()
    expect(await option.locator('input').isChecked()).toBe(true)
    await page.getByTestId('form-submit').click()
    await page.waitForURL((url) => url.pathname === `/containers/${uuid}`)
  }

  it('offers link and public access in the form only once a superuser allows them', async () => {
    await page.goto(`/containers/${publicApp}/edit`)
    await page.getByTestId('field-access-public').waitFor()
    expect(await page.getByTestId('field-access-public').locator('input').isDisabled()).toBe(true)
    expect(await page.getByTestId('field-access-link').locator('input').isDisabled()).toBe(true)
    expect(await page.getByTestId('field-access-site').locator('input').isDisabled()).toBe(false)

    await page.goto('/admin/settings')
    const settings = page.getByTestId('site-settings')
    await settings.waitFor()
    for (const id of ['allow-link-access', 'allow-public-access']) {
      const sw = page.getByTestId(id)
      expect(await sw.getAttribute('aria-checked')).toBe('false')
      await sw.click()
      await expect.poll(() => sw.getAttribute('aria-checked')).toBe('true')
    }
    await screenshot(page, 'sharing-site-settings')
    const site = await apiCall<{ allow_link_access: boolean; allow_public_access: boolean }>(
      tp.context.request,
      'GET',
      '/api/v1/admin/settings',
    )
    expect(site).toEqual({ allow_link_access: true, allow_public_access: true })

    await page.goto(`/containers/${publicApp}/edit`)
    await page.getByTestId('field-access-public').waitFor()
    expect(await page.getByTestId('field-access-public').locator('input').isDisabled()).toBe(false)
    await page.getByTestId('field-access-public').click()
    expect(await page.getByTestId('field-access-warning').textContent()).toContain(
      'Anyone who finds the address',
    )
    await screenshot(page, 'sharing-container-form')
    await page.getByTestId('form-submit').click()
    await page.waitForURL((url) => url.pathname === `/containers/${publicApp}`)
    const badge = page.getByTestId('container-header').getByTestId('access-badge')
    await badge.waitFor()
    expect(await badge.getAttribute('data-access')).toBe('public')
    expect(await badge.textContent()).toContain('Public')
    await screenshot(page, 'sharing-public-container')
    await page.locator('.n-tabs-tab', { hasText: 'Sharing' }).click()
    const address = page.getByTestId('public-address').locator('input')
    await address.waitFor()
    expect(await address.inputValue()).toBe(`${server.appUrl}/containers/proxy/${publicApp}/`)
    await screenshot(page, 'sharing-public-tab')
  }, 60_000)

  it('serves a public app to a browser without a session, starting it from the lobby, without kiosc’s API', async () => {
    const state = async () =>
      (await apiCall<{ state: string }>(tp.context.request, 'GET', `/api/v1/containers/${publicApp}`)).state
    expect(await state()).not.toBe('running')
    const anon = await openPage(browser, server.appUrl)
    try {
      // Through kiosc's origin, as a shared bookmark would: the app is stopped, so the visitor gets the app's own
      // lobby, which starts it and reloads into the app.
      await anon.page.goto(`${server.url}/containers/proxy/${publicApp}/`)
      await anon.page.locator('#send').waitFor({ timeout: 120_000 })
      const appOrigin = new URL(anon.page.url()).origin
      expect(appOrigin).toBe(server.appUrl)
      expect(anon.page.url()).not.toContain('/login')
      await screenshot(anon.page, 'sharing-public-app')
      expect(await state()).toBe('running')

      // The app learns nothing about the visitor, and spoofed identity headers are dropped.
      const echo = (await anon.page.evaluate(async () => {
        const r = await fetch('echo', { headers: { 'X-Kiosc-User': 'admin', 'X-Kiosc-Role': 'owner' } })
        return r.json()
      })) as Echo
      expect(kioscHeaders(echo)).toEqual({})
      expect(JSON.stringify(echo.headers)).not.toContain('kiosc_session')

      // No kiosc session anywhere in the browser, and kiosc's API refuses it, from the app's page and directly.
      const cookies = await anon.context.cookies()
      expect(cookies.map((c) => c.name)).not.toContain('kiosc_session')
      const fromApp = await anon.page.evaluate(async (kiosc) => {
        const out: string[] = []
        for (const url of ['/api/v1/me', `${kiosc}/api/v1/me`, `${kiosc}/api/v1/projects`]) {
          try {
            const r = await fetch(url, { credentials: 'include' })
            out.push(`${url} ${r.status}`)
          } catch {
            out.push(`${url} blocked`)
          }
        }
        return out
      }, server.url)
      expect(fromApp[0]).not.toMatch(/ 200$/)
      for (const line of fromApp.slice(1)) expect(line).toMatch(/ (401|blocked)$/)
      for (const path of ['/api/v1/me', `/api/v1/containers/${publicApp}`, `/api/v1/projects/${project}`]) {
        const res = await anon.context.request.get(`${server.url}${path}`)
        expect(res.status(), path).toBe(401)
      }
      const after = await anon.context.cookies()
      expect(after.map((c) => c.name)).not.toContain('kiosc_session')
    } finally {
      await anon.context.close()
    }
  }, 180_000)

  it('opens a site app to any logged-in user and a project app only to members, with their identity', async () => {
    const req = tp.context.request
    for (const username of ['sam', 'gina']) {
      await apiCall(req, 'POST', '/api/v1/users', {
        username,
        password: `${username}-password-1`,
        name: username === 'sam' ? 'Sam Someone' : 'Gina Guest',
        email: `${username}@example.org`,
      })
    }
    await apiCall(req, 'PUT', `/api/v1/projects/${project}/roles/gina`, { role: 'guest' })
    const siteApp = (
      await apiCall<{ uuid: string }>(req, 'POST', `/api/v1/projects/${project}/containers`, {
        title: 'Lab overview',
        image: testAppImage(),
        container_port: 8080,
        access: 'site',
      })
    ).uuid
    created.push(siteApp)
    // The project app (still at its default level) runs, so that members and others meet it running.
    await apiCall(req, 'POST', `/api/v1/containers/${linkApp}/start`)

    /**
     * Opens an app through kiosc's origin as a browser that is logged in, and returns what the app saw, or the status
     * of a refusal. A stopped app first shows a lobby (503 while it starts), which reloads into the app.
     */
    const open = async (tpUser: TestPage, uuid: string): Promise<Echo | number> => {
      const res = await tpUser.page.goto(`${server.url}/containers/proxy/${uuid}/`)
      if (res && (res.status() === 403 || res.status() === 404)) return res.status()
      await tpUser.page.locator('#send').waitFor({ timeout: 120_000 })
      return (await tpUser.page.evaluate(async () => (await fetch('echo')).json())) as Echo
    }

    const sam = await openPage(browser, server.url)
    const gina = await openPage(browser, server.url)
    try {
      await sam.page.goto('/login')
      await login(sam.page, 'sam', 'sam-password-1')
      await gina.page.goto('/login')
      await login(gina.page, 'gina', 'gina-password-1')

      // A user without a role: the site app (started from the app's own lobby) and the public app know them,
      // with no role; the project app does not exist for them.
      const inSite = await open(sam, siteApp)
      expect(kioscHeaders(inSite)).toEqual({
        'X-Kiosc-User': ['sam'],
        'X-Kiosc-User-Name': ['Sam Someone'],
        'X-Kiosc-User-Email': ['sam@example.org'],
        'X-Kiosc-Role': [''],
      })
      await screenshot(sam.page, 'sharing-site-app')
      expect(kioscHeaders(await open(sam, publicApp))['X-Kiosc-User']).toEqual(['sam'])
      expect(await open(sam, linkApp)).toBe(404)
      expect(await sam.page.locator('#send').count()).toBe(0)

      // A guest opens the project app with their role.
      expect(kioscHeaders(await open(gina, linkApp))).toEqual({
        'X-Kiosc-User': ['gina'],
        'X-Kiosc-User-Name': ['Gina Guest'],
        'X-Kiosc-User-Email': ['gina@example.org'],
        'X-Kiosc-Role': ['guest'],
      })
      expect(sam.errors).toEqual([])
      expect(gina.errors).toEqual([])
    } finally {
      await sam.context.close()
      await gina.context.close()
    }
  }, 240_000)

  it('opens a link app for a holder of its secret link, created on the Sharing tab', async () => {
    await setAccess(linkApp, 'link')
    await page.locator('.n-tabs-tab', { hasText: 'Sharing' }).click()
    const links = page.getByTestId('share-links')
    await links.waitFor()
    await links.getByText('No links yet').waitFor()
    await page.getByTestId('link-name').locator('input').fill('reviewers')
    await page.getByTestId('link-expiry').click()
    await page.locator('.n-base-select-option', { hasText: 'Valid for 30 days' }).click()
    await page.getByTestId('link-create').click()
    await page.getByTestId('link-created').waitFor()
    linkURL = await page.getByTestId('link-url').locator('input').inputValue()
    expect(linkURL.startsWith(`${server.appUrl}/.kiosc/link?`)).toBe(true)
    const item = page.getByTestId('link-item')
    await expect.poll(() => item.count()).toBe(1)
    expect(await item.textContent()).toContain('reviewers')
    expect(await item.textContent()).toContain('until')
    expect(await item.textContent()).not.toContain(new URL(linkURL).searchParams.get('key') ?? '-')
    await screenshot(page, 'sharing-links')

    holder = await openPage(browser, server.appUrl)
    await holder.page.goto(linkURL)
    await holder.page.locator('#send').waitFor({ timeout: 120_000 })
    expect(holder.page.url()).toBe(`${server.appUrl}/containers/proxy/${linkApp}/`)
    const echo = (await holder.page.evaluate(async () => (await fetch('echo')).json())) as Echo
    expect(kioscHeaders(echo)).toEqual({ 'X-Kiosc-Link': ['reviewers'] })
    expect((await holder.context.cookies()).map((c) => c.name)).not.toContain('kiosc_session')
    const api = await holder.context.request.get(`${server.url}/api/v1/containers/${linkApp}`)
    expect(api.status()).toBe(401)
    await screenshot(holder.page, 'sharing-link-holder')

    // The link's first use shows on the Sharing tab.
    await page.reload()
    await page.locator('.n-tabs-tab', { hasText: 'Sharing' }).click()
    await expect
      .poll(async () => (await page.getByTestId('link-item').textContent()) ?? '')
      .not.toContain('never')
  }, 180_000)

  it('ends a revoked link: the holder’s next request and the link itself fail', async () => {
    expect(holder).not.toBeNull()
    const h = holder!
    // The holder's page keeps a websocket to the app open through kiosc.
    const out = h.page.locator('#out')
    await expect.poll(async () => out.textContent(), { timeout: 20_000 }).toContain('open')
    const item = page.getByTestId('link-item')
    const id = await item.getAttribute('data-id')
    await page.getByTestId(`link-revoke-${id}`).click()
    await page.locator('.n-popconfirm').getByRole('button', { name: 'Confirm' }).click()
    await page.getByText('No links yet').waitFor()
    await screenshot(page, 'sharing-link-revoked')

    // The open tunnel ends within seconds, and the next request of the page is refused.
    await expect.poll(async () => out.textContent(), { timeout: 10_000 }).toContain('closed')
    const status = await h.page.evaluate(async () => (await fetch('echo', { cache: 'no-store' })).status)
    expect(status).toBe(401)
    await h.page.goto(linkURL)
    await h.page.getByText('Link not valid').waitFor()
    expect(await h.page.locator('#send').count()).toBe(0)
    await screenshot(h.page, 'sharing-link-not-valid')
    // A fresh browser with the revoked link gets nowhere either.
    const other = await openPage(browser, server.appUrl)
    try {
      const res = await other.page.goto(linkURL)
      expect(res?.status()).toBe(404)
    } finally {
      await other.context.close()
    }
  }, 60_000)

  it('lets a template choose an access level, and marks it in the list', async () => {
    await page.goto('/templates')
    await page.getByTestId('new-site-template').click()
    const form = page.getByTestId('template-form')
    await form.waitFor()
    await page.getByTestId('tpl-title').locator('input').fill('Published viewer')
    await page.getByTestId('tpl-image').locator('input').fill(testAppImage())
    await page.getByTestId('tpl-port').locator('input').fill('8080')
    await page.getByTestId('tpl-access-link').click()
    await page.getByTestId('tpl-access-warning').waitFor()
    await page.getByTestId('tpl-submit').click()
    await form.waitFor({ state: 'hidden' })
    const row = page.locator('[data-template="Published viewer"]')
    await row.getByTestId('access-badge').waitFor()
    expect(await row.getByTestId('access-badge').getAttribute('data-access')).toBe('link')
    await screenshot(page, 'sharing-templates')
  }, 30_000)

  it('records the changes of access level in the timeline', async () => {
    await page.goto(`/projects/${project}`)
    // The project's list marks both apps.
    const section = page.getByTestId('containers-section')
    await expect.poll(() => section.getByTestId('access-badge').count()).toBe(3)
    expect(await section.getByTestId('access-badge').allTextContents()).toEqual(
      expect.arrayContaining(['Public', 'Link', 'All users']),
    )
    await screenshot(page, 'sharing-project-list')
    await page.locator('.n-tabs-tab', { hasText: 'Timeline' }).click()
    const timeline = page.getByTestId('timeline')
    // Events in words, with the event's name on hover.
    await timeline
      .locator('[title="container_access"]', { hasText: 'Who may open it changed' })
      .first()
      .waitFor()
    await timeline.getByText('access to Paper dashboard changed from project to public').waitFor()
    await timeline.getByText('access to Review notebook changed from project to link').waitFor()
    // Starts from the lobby of visitors who are not members are recorded as theirs.
    expect(
      await timeline
        .getByTestId('timeline-entry')
        .filter({ hasText: /start container Lab overview/i })
        .textContent(),
    ).toContain('sam')
    expect(
      await timeline
        .getByTestId('timeline-entry')
        .filter({ hasText: /start container Paper dashboard/i })
        .textContent(),
    ).toContain('anonymous')
    await screenshot(page, 'sharing-timeline')
    await page.goto('/timeline')
    await page
      .getByTestId('timeline')
      .locator('[title="site_settings_update"]', { hasText: 'Site settings changed' })
      .first()
      .waitFor()
    expect(tp.errors).toEqual([])
  }, 60_000)
})

// The app shell end to end: signed-out redirect, local login, navigation, deep links, not-found page,
// live-connection indicator and logout, against the real kiosc binary.

import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  launchBrowser,
  login,
  logout,
  openPage,
  screenshot,
  startServer,
  type KioscServer,
  type TestPage,
} from './support'

const NO_SUCH_CONTAINER = '00000000-0000-4000-8000-000000000000'

function pathOf(page: Page): string {
  return new URL(page.url()).pathname
}

describe('app shell', () => {
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let page: Page

  beforeAll(async () => {
    server = await startServer()
    browser = await launchBrowser()
    tp = await openPage(browser, server.url)
    page = tp.page
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('sends a signed-out visitor to the login page', async () => {
    await page.goto('/')
    await page.waitForURL((url) => url.pathname === '/login')
    expect(new URL(page.url()).searchParams.get('next')).toBe('/')
    await page.getByText('Web apps for research projects').waitFor()
    expect(await page.title()).toBe('Sign in · kiosc')
    await screenshot(page, 'login')
  })

  it('refuses a wrong password with the server message', async () => {
    await page.locator('input[name="username"]').fill('admin')
    await page.locator('input[name="password"]').fill('not-the-password')
    await page.getByTestId('login-submit').click()
    const error = page.getByTestId('login-error')
    await error.waitFor()
    expect((await error.textContent())?.trim()).not.toBe('')
    expect(pathOf(page)).toBe('/login')
    await screenshot(page, 'login-error')
  })

  it('signs in as admin and shows the shell', async () => {
    await login(page, 'admin', server.adminPassword)
    expect(pathOf(page)).toBe('/')
    await page.getByTestId('welcome').waitFor()
    expect(await page.title()).toBe('Home · kiosc')
    // The superuser sees the admin menu.
    await page.getByRole('menuitem', { name: 'Admin' }).waitFor()

    await page.getByTestId('user-menu').click()
    const card = page.getByTestId('user-card')
    await card.waitFor()
    expect(await card.textContent()).toContain('@admin')
    expect(await card.textContent()).toContain('superuser')
    await screenshot(page, 'user-menu')
    await page.keyboard.press('Escape')
    await card.waitFor({ state: 'hidden' })
    await screenshot(page, 'home')
  })

  it('connects the live-update channel', async () => {
    await page.locator('[data-testid="live-status"][data-status="connected"]').waitFor({ timeout: 15_000 })
  })

  it('navigates with the header and by deep link', async () => {
    await page.getByRole('link', { name: 'Projects', exact: true }).first().click()
    await page.waitForURL((url) => url.pathname === '/projects')
    await page.getByRole('heading', { level: 1, name: 'Projects' }).waitFor()
    expect(await page.title()).toBe('Projects · kiosc')
    await screenshot(page, 'projects')

    for (const [name, path] of [
      ['Containers', '/containers'],
      ['Templates', '/templates'],
      ['Timeline', '/timeline'],
    ] as const) {
      await page.getByRole('link', { name, exact: true }).first().click()
      await page.waitForURL((url) => url.pathname === path)
      await page.getByRole('heading', { level: 1, name }).waitFor()
    }

    // A full page load of a deep route goes through the server's history-mode fallback.
    await page.goto('/admin/docker')
    await page.getByTestId('app-header').waitFor()
    await page.getByRole('heading', { level: 1, name: 'Docker' }).waitFor()
    expect(await page.title()).toBe('Docker · kiosc')
    await screenshot(page, 'admin-docker')

    await page.goto(`/lobby/${NO_SUCH_CONTAINER}`)
    await page.getByTestId('lobby').waitFor()
    await screenshot(page, 'lobby')
  })

  it('shows the not-found page for unknown routes', async () => {
    await page.goto('/no/such/page')
    await page.getByTestId('not-found').waitFor()
    expect(await page.title()).toBe('Not found · kiosc')
    await page.getByTestId('app-header').waitFor()
    await screenshot(page, 'not-found')
    await page.getByRole('link', { name: 'Go to home' }).click()
    await page.waitForURL((url) => url.pathname === '/')
  })

  it('reconnects live updates after a server restart', async () => {
    await page.goto('/containers')
    await page.locator('[data-testid="live-status"][data-status="connected"]').waitFor({ timeout: 15_000 })
    // The dot goes amber while the server is away and green again once it is back, without a reload.
    const sawReconnecting = page
      .locator('[data-testid="live-status"][data-status="reconnecting"]')
      .waitFor({ timeout: 30_000 })
    const restarted = server.restart()
    await sawReconnecting
    await screenshot(page, 'reconnecting')
    await restarted
    await page.locator('[data-testid="live-status"][data-status="connected"]').waitFor({ timeout: 30_000 })
    expect(pathOf(page)).toBe('/containers')
  })

  it('notices when the session has ended and asks to sign in again', async () => {
    await server.restart({ wipeData: true })
    await page.waitForURL((url) => url.pathname === '/login', { timeout: 30_000 })
    expect(new URL(page.url()).searchParams.get('next')).toBe('/containers')
    await page.getByText('Your session has ended').waitFor()
    await screenshot(page, 'session-ended')
    await login(page, 'admin', server.adminPassword)
    await page.waitForURL((url) => url.pathname === '/containers')
  })

  it('switches to the dark theme and back', async () => {
    await page.getByRole('button', { name: 'Use dark theme' }).click()
    await page.locator('html[data-theme="dark"]').waitFor({ state: 'attached' })
    await screenshot(page, 'home-dark')
    await page.getByRole('button', { name: 'Use light theme' }).click()
    await page.locator('html[data-theme="light"]').waitFor({ state: 'attached' })
  })

  it('fits a phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto('/')
    await page.getByTestId('welcome').waitFor()
    await page.getByTestId('user-menu').waitFor()
    await screenshot(page, 'home-mobile')
    await page.setViewportSize({ width: 1360, height: 860 })
  })

  it('logs out and comes back to the requested page after signing in again', async () => {
    await logout(page)
    await page.goto('/timeline')
    await page.waitForURL((url) => url.pathname === '/login')
    expect(new URL(page.url()).searchParams.get('next')).toBe('/timeline')
    await login(page, 'admin', server.adminPassword)
    await page.waitForURL((url) => url.pathname === '/timeline')
    await logout(page)
  })

  it('had no uncaught errors and no unexpected failed requests', () => {
    // The websocket is refused or dropped while the server restarts; that is the point of those tests.
    const errors = tp.errors.filter((e) => !/WebSocket connection to .* failed/.test(e))
    expect(errors, tp.errors.join('\n')).toEqual([])
    const expected = new Set([
      'GET 401 /api/v1/me', // signed out at the start, and after the session ended
      'POST 401 /api/v1/auth/login', // the wrong password
      `GET 404 /api/v1/containers/${NO_SUCH_CONTAINER}`, // the lobby of a container that does not exist
      `GET 401 /api/v1/ws`, // the websocket of the ended session
    ])
    const unexpected = tp.failedResponses.filter((r) => !expected.has(r))
    expect(unexpected, tp.failedResponses.join('\n')).toEqual([])
  })
})

// Single sign-on end to end: kiosc configured only through KIOSC_OIDC_* against a real OpenID Provider
// (app/testbed/testop) that is started after kiosc, so discovery also has to recover from a provider that was
// down at start. A person signs in through the provider's form in Chromium, lands in kiosc with the right
// username and superuser flag, and logs out of kiosc and the provider.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  freePort,
  launchBrowser,
  logout,
  openPage,
  repoRoot,
  screenshot,
  startServer,
  type KioscServer,
  type TestPage,
} from './support'

/** bin/testop when `make build` made it, else a fresh build into a temp dir. */
function testopBinary(tmp: string): string {
  const built = path.join(repoRoot, 'bin', 'testop')
  if (existsSync(built)) return built
  const out = path.join(tmp, 'testop')
  const res = spawnSync('go', ['build', '-o', out, './app/testbed/testop'], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, CGO_ENABLED: '0' },
  })
  if (res.status !== 0) throw new Error('building app/testbed/testop failed')
  return out
}

async function waitFor(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) })
      if (res.ok) return
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`)
    await sleep(100)
  }
}

describe('single sign-on', () => {
  let tmp: string
  let op: ChildProcess | undefined
  let issuer: string
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let page: Page

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'kiosc-testop-'))
    const bin = testopBinary(tmp)
    const opPort = await freePort()
    issuer = `http://127.0.0.1:${opPort}`
    // kiosc starts while the provider is still down.
    server = await startServer({
      env: {
        KIOSC_OIDC_ISSUER: issuer,
        KIOSC_OIDC_CLIENT_ID: 'kiosc-e2e',
        KIOSC_OIDC_CLIENT_SECRET: 'e2e-secret',
        KIOSC_OIDC_SUPERUSER_GROUPS: 'kiosc-admins',
      },
    })
    op = spawn(
      bin,
      [
        '-listen',
        `127.0.0.1:${opPort}`,
        '-client-id',
        'kiosc-e2e',
        '-client-secret',
        'e2e-secret',
        '-redirect',
        `${server.url}/auth/oidc/callback`,
        '-post-logout',
        `${server.url}/login`,
      ],
      { stdio: 'ignore' },
    )
    await waitFor(`${issuer}/.well-known/openid-configuration`)
    browser = await launchBrowser()
    tp = await openPage(browser, server.url)
    page = tp.page
  }, 240_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    op?.kill('SIGTERM')
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  })

  it('offers single sign-on on the login page', async () => {
    await page.goto('/login')
    await page.getByTestId('login-sso').waitFor()
    await screenshot(page, 'oidc-login-page')
  })

  it('signs in a superuser through the provider', async () => {
    await page.getByTestId('login-sso').click()
    await page.waitForURL((url) => url.origin === issuer)
    await page.locator('#username').fill('alice')
    await page.locator('#password').fill('alice-password')
    await screenshot(page, 'oidc-provider-form')
    await page.getByRole('button', { name: 'Login' }).click()
    await page.waitForURL((url) => url.origin === server.url && url.pathname === '/')
    await page.getByTestId('app-header').waitFor()

    const me = await page.evaluate(async () => (await fetch('/api/v1/me')).json())
    expect(me.user.username).toBe('alice')
    expect(me.user.is_superuser).toBe(true)
    expect(me.user.source).toBe('oidc')
    expect(me.user.email).toBe('alice@example.org')

    await page.getByTestId('user-menu').click()
    const card = page.getByTestId('user-card')
    await card.waitFor()
    expect(await card.textContent()).toContain('@alice')
    expect(await card.textContent()).toContain('superuser')
    await screenshot(page, 'oidc-signed-in')
    await page.keyboard.press('Escape')
  })

  it('logs out of kiosc and the provider', async () => {
    await logout(page)
    expect(new URL(page.url()).origin).toBe(server.url)
    const res = await page.evaluate(async () => (await fetch('/api/v1/me')).status)
    expect(res).toBe(401)
    await screenshot(page, 'oidc-logged-out')
    // The provider asks for the password again: its session ended too.
    await page.getByTestId('login-sso').click()
    await page.waitForURL((url) => url.origin === issuer)
    await page.locator('#username').waitFor()
  })

  it('signs in a user without the admin group as a regular user', async () => {
    await page.locator('#username').fill('bob')
    await page.locator('#password').fill('bob-password')
    await page.getByRole('button', { name: 'Login' }).click()
    await page.waitForURL((url) => url.origin === server.url && url.pathname === '/')
    await page.getByTestId('app-header').waitFor()
    const me = await page.evaluate(async () => (await fetch('/api/v1/me')).json())
    expect(me.user.username).toBe('bob')
    expect(me.user.is_superuser).toBe(false)
    await logout(page)
  })

  it('shows a clear message for a tampered callback', async () => {
    await page.goto('/auth/oidc/callback?state=forged&code=forged')
    await page.waitForURL((url) => url.pathname === '/login')
    const error = page.getByTestId('login-provider-error')
    await error.waitFor()
    expect(await error.textContent()).toContain('invalid or was already used')
    await screenshot(page, 'oidc-tampered-callback')
    expect(server.output()).toContain('single sign-on failed')
  })

  it('left no page errors', () => {
    expect(tp.errors).toEqual([])
  })
})

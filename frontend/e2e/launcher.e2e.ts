// The home page as a launcher and the startup diagnostics, as a new site's administrator meets them: first steps
// that tick themselves off, the new-app form taking the port from the image's EXPOSE, one click from the home page
// to the running app, and an app on the wrong port that fails in words (the port it asked, the port the image
// exposes) within its startup timeout instead of a silent wait. Needs a Docker engine and the test app image.

import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seriousViolations } from './a11y'
import {
  apiCall,
  deleteContainer,
  screenshot,
  testAppImage,
  type KioscServer,
  type TestPage,
  startAsAdmin,
} from './support'

/** Whether a first step on the home page shows as done. */
async function stepDone(page: Page, key: string): Promise<string | null> {
  return page.getByTestId('setup-checklist').locator(`[data-step="${key}"]`).getAttribute('data-done')
}

describe('the launcher and the startup diagnostics', () => {
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let page: Page
  let project = ''
  let app = ''
  let wrong = ''

  beforeAll(async () => {
    ;({ server, browser, tp, page } = await startAsAdmin())
  })

  afterAll(async () => {
    for (const uuid of [app, wrong].filter(Boolean)) await deleteContainer(tp.context.request, uuid)
    await browser?.close()
    await server?.stop()
  })

  it('shows a new site its first steps and ticks them off as they are done', async () => {
    await page.goto('/')
    const steps = page.getByTestId('setup-checklist')
    await steps.waitFor()
    expect(await steps.textContent()).toContain('0 of 3 done')
    for (const key of ['project', 'members', 'app']) expect(await stepDone(page, key)).toBe('false')
    expect(await page.getByTestId('home-summary').textContent()).toContain('You have no apps yet')
    // No project yet: the way to a first app starts with one.
    await page.getByText('Apps live in projects: create a project first').waitFor()
    await screenshot(page, 'launcher-first-steps')
    expect(await seriousViolations(page)).toEqual([])

    // Done elsewhere (another tab, the API): the open home page follows.
    const req = tp.context.request
    project = (
      await apiCall<{ uuid: string }>(req, 'POST', '/api/v1/projects', {
        title: 'Launch pad',
        type: 'PROJECT',
      })
    ).uuid
    await expect.poll(() => stepDone(page, 'project'), { timeout: 15_000 }).toBe('true')
    await apiCall(req, 'POST', '/api/v1/users', { username: 'dave', password: 'dave-password-1' })
    await apiCall(req, 'PUT', `/api/v1/projects/${project}/roles/dave`, { role: 'guest' })
    await expect.poll(() => stepDone(page, 'members'), { timeout: 15_000 }).toBe('true')
    expect(await steps.textContent()).toContain('2 of 3 done')
  })

  it('fills in the port from the image and warns when it differs', async () => {
    await page.getByTestId('home-new-app').click()
    await page.waitForURL((url) => url.pathname === `/projects/${project}/containers/new`, {
      timeout: 30_000,
    })
    await page.getByTestId('container-form').waitFor()
    const port = page.getByTestId('field-port').locator('input')
    expect(await port.inputValue()).not.toBe('8080')
    await page.getByTestId('field-title').locator('input').fill('Launch test')
    // The test app's image says EXPOSE 8080.
    await page.getByTestId('field-image').locator('input').fill(testAppImage())
    await expect.poll(() => port.inputValue(), { timeout: 10_000 }).toBe('8080')
    const portItem = page.locator('.n-form-item', { has: page.getByTestId('field-port') })
    await expect
      .poll(() => portItem.textContent(), { timeout: 5_000 })
      .toContain('Filled in from the image (EXPOSE 8080)')

    // Another port: a warning that names the exposed one.
    await port.fill('9999')
    await port.blur()
    await expect
      .poll(() => portItem.textContent(), { timeout: 5_000 })
      .toContain('The image exposes port 8080, not 9999')
    await screenshot(page, 'launcher-port-warning')
    expect(await seriousViolations(page)).toEqual([])
    await port.fill('8080')
    await port.blur()
    await expect
      .poll(() => portItem.textContent(), { timeout: 5_000 })
      .toContain('The image exposes this port')

    await page.getByTestId('form-submit').click()
    await page.waitForURL((url) => /^\/containers\/[0-9a-f-]{36}$/.test(url.pathname))
    app = new URL(page.url()).pathname.split('/').pop()!
    const saved = await apiCall<{ container_port: number }>(
      tp.context.request,
      'GET',
      `/api/v1/containers/${app}`,
    )
    expect(saved.container_port).toBe(8080)
  })

  it('lists the app on the home page and opens it with one click', async () => {
    await page.goto('/')
    const card = page.locator(`[data-testid="launcher-app"][data-uuid="${app}"]`)
    await card.waitFor()
    // All first steps done: the checklist has made room for the apps.
    expect(await page.getByTestId('setup-checklist').count()).toBe(0)
    expect(await card.textContent()).toContain('Launch pad')
    expect(await card.textContent()).toContain('not opened yet')
    const open = card.getByTestId('launcher-open')
    expect((await open.textContent())?.trim()).toBe('Start and open')
    await screenshot(page, 'launcher-new-app')

    const [tab] = await Promise.all([page.context().waitForEvent('page'), open.click()])
    await tab.waitForURL((url) => url.pathname === `/containers/proxy/${app}/`, { timeout: 90_000 })
    await tab.close()

    // Back home, the card says it runs, offers Open and Stop, and counts it.
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 15_000 }).toBe('running')
    await expect.poll(async () => (await open.textContent())?.trim(), { timeout: 5_000 }).toBe('Open')
    await card.getByTestId('launcher-stop').waitFor()
    expect(await page.getByTestId('home-summary').textContent()).toContain('Your app is running')
    await screenshot(page, 'launcher-running')
  }, 120_000)

  it('says why an app on the wrong port does not answer, and fails in words within its timeout', async () => {
    const req = tp.context.request
    const timeout = 12
    wrong = (
      await apiCall<{ uuid: string }>(req, 'POST', `/api/v1/projects/${project}/containers`, {
        title: 'Wrong port',
        image: testAppImage(),
        container_port: 9999,
        startup_timeout: timeout,
      })
    ).uuid
    const started = Date.now()
    await page.goto(`/lobby/${wrong}`)
    await page.getByTestId('lobby').waitFor()

    // While it waits: the time against the timeout, then (after a third of it) what kiosc found.
    const elapsed = page.getByTestId('lobby-elapsed')
    await expect.poll(() => elapsed.textContent(), { timeout: 30_000 }).toMatch(/of 0:12$/)
    const hint = page.getByTestId('lobby-hint')
    await hint.waitFor({ timeout: 30_000 })
    const hintText = (await hint.textContent()) ?? ''
    expect(hintText).toContain('No answer yet on port 9999')
    expect(hintText).toContain('the image exposes port 8080')
    await screenshot(page, 'launcher-lobby-hint')
    expect(await seriousViolations(page)).toEqual([])

    // The verdict: in words, naming both ports, with no exit code from kiosc's own stop.
    await page.getByTestId('lobby-failure').waitFor({ timeout: 60_000 })
    const waited = (Date.now() - started) / 1000
    const message = (await page.getByTestId('lobby-failure-message').textContent()) ?? ''
    expect(message).toContain('No answer on port 9999 after 12 seconds')
    expect(message).toContain('the image exposes port 8080')
    expect(await page.getByTestId('lobby-failure').textContent()).not.toMatch(/exit code/i)
    // Well before the site's default of five minutes: the app's own timeout, plus pulling nothing and a stop.
    expect(waited).toBeLessThan(timeout + 30)
    await screenshot(page, 'launcher-lobby-failure')
    expect(await seriousViolations(page)).toEqual([])
    expect(tp.errors, tp.errors.join('\n')).toEqual([])
  }, 120_000)
})

// The container pages end to end against the real binary and Docker engine: create a container through the
// form, start it and watch the state turn running live, read its logs in the viewer, stop it and delete it
// through the confirmations. Needs a Docker engine and the test app image.

import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiCall,
  deleteContainer,
  dockerContainersOf,
  login,
  openPage,
  screenshot,
  stateOf,
  waitForState,
  testAppImage,
  type KioscServer,
  type TestPage,
  startAsAdmin,
} from './support'

describe('container pages', () => {
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let page: Page
  let project = ''
  let container = ''
  const extra: string[] = []

  beforeAll(async () => {
    ;({ server, browser, tp, page } = await startAsAdmin())
    project = (
      await apiCall<{ uuid: string }>(tp.context.request, 'POST', '/api/v1/projects', {
        title: 'Container pages e2e',
        type: 'PROJECT',
      })
    ).uuid
  })

  afterAll(async () => {
    for (const uuid of [container, ...extra].filter(Boolean)) {
      await deleteContainer(tp.context.request, uuid)
    }
    await browser?.close()
    await server?.stop()
  })

  it('creates a container through the form, with a plain and a secret variable', async () => {
    const image = testAppImage()
    await page.goto(`/projects/${project}`)
    const newButton = page.getByTestId('new-container')
    if ((await newButton.count()) > 0) await newButton.first().click()
    else await page.goto(`/projects/${project}/containers/new`)
    await page.waitForURL((url) => url.pathname === `/projects/${project}/containers/new`)
    await page.getByTestId('container-form').waitFor()

    // A bad image is refused by the server and the message shows next to the field.
    await page.getByTestId('field-title').locator('input').fill('Ticker')
    await page.getByTestId('field-image').locator('input').fill('Not A Valid/Image')
    await page.getByTestId('field-port').locator('input').fill('8080')
    await page.getByTestId('form-submit').click()
    await page.getByTestId('form-error').waitFor()
    expect(await page.locator('.n-form-item-feedback--error').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/repository name|invalid/i)]),
    )

    await page.getByTestId('field-image').locator('input').fill(image)
    await page.getByTestId('env-add').click()
    const plain = page.getByTestId('env-row').last()
    await plain.getByTestId('env-key').locator('input').fill('LOG_EVERY')
    await plain.getByTestId('env-value').locator('input').fill('300ms')
    await page.getByTestId('env-add-secret').click()
    const secret = page.getByTestId('env-row').last()
    await secret.getByTestId('env-key').locator('input').fill('API_TOKEN')
    await secret.getByTestId('env-value').locator('input').fill('very-secret')
    expect(await secret.getByTestId('env-value').locator('input').getAttribute('type')).toBe('password')
    await page.getByTestId('memory-amount').locator('input').fill('64')
    const unit = page.getByTestId('memory-unit')
    await expect
      .poll(
        async () => {
          if (!(await unit.textContent())?.includes('MiB')) {
            await unit.click()
            await page
              .locator('.n-base-select-option', { hasText: 'MiB' })
              .click({ timeout: 2000 })
              .catch(() => {})
          }
          return unit.textContent()
        },
        { timeout: 15_000 },
      )
      .toContain('MiB')
    await screenshot(page, 'container-form')

    await page.getByTestId('form-submit').click()
    await page.waitForURL((url) => /^\/containers\/[0-9a-f-]{36}$/.test(url.pathname))
    container = new URL(page.url()).pathname.split('/').pop()!
    await page.getByTestId('container-title').waitFor()
    expect(await page.getByTestId('container-title').textContent()).toBe('Ticker')
    expect(await stateOf(page)).toBe('initial')

    const saved = await apiCall<{
      environment: Record<string, string>
      secret_environment_keys: string[]
      memory_limit: number
    }>(tp.context.request, 'GET', `/api/v1/containers/${container}`)
    expect(saved.environment).toEqual({ LOG_EVERY: '300ms' })
    expect(saved.secret_environment_keys).toEqual(['API_TOKEN'])
    expect(saved.memory_limit).toBe(64 * 1024 * 1024)
  }, 60_000)

  it('shows a stored secret as set, never its value, in the edit form', async () => {
    await page.getByTestId('action-edit').click()
    await page.waitForURL((url) => url.pathname === `/containers/${container}/edit`)
    const row = page.locator('[data-testid="env-row"][data-key="API_TOKEN"]')
    await row.getByTestId('env-secret-set').waitFor()
    expect(await row.textContent()).toContain('••••• (set)')
    expect(await page.content()).not.toContain('very-secret')
    expect(await page.getByTestId('memory-amount').locator('input').inputValue()).toBe('64')
    await screenshot(page, 'container-edit')
    await page.getByRole('button', { name: 'Cancel', exact: true }).last().click()
    await page.waitForURL((url) => url.pathname === `/containers/${container}`)
  }, 30_000)

  it('starts the container and follows its state to running live', async () => {
    await page.getByTestId('action-start').click()
    // No reload: the state arrives over the live channel.
    await waitForState(page, tp.context.request, container, 'running', 90_000)
    await page.getByTestId('action-stop').waitFor()
    await screenshot(page, 'container-running')
  }, 120_000)

  it('shows the live logs with stderr lines', async () => {
    await page.locator('.n-tabs-tab', { hasText: 'Logs' }).click()
    const viewer = page.getByTestId('log-viewer')
    await viewer.waitFor()
    await expect.poll(() => viewer.getAttribute('data-status'), { timeout: 20_000 }).toBe('live')
    const rows = viewer.locator('.xterm-rows')
    await expect.poll(async () => (await rows.textContent()) ?? '', { timeout: 30_000 }).toMatch(/tick \d+/)
    await expect.poll(async () => (await rows.textContent()) ?? '', { timeout: 30_000 }).toMatch(/tock \d+/)
    const before = Number(await viewer.getAttribute('data-lines'))
    await expect
      .poll(async () => Number(await viewer.getAttribute('data-lines')), { timeout: 20_000 })
      .toBeGreaterThan(before)
    await screenshot(page, 'container-logs')
  }, 60_000)

  it('marks an edited running container restart-pending and keeps the logs following across the restart', async () => {
    await page.getByTestId('action-edit').click()
    await page.waitForURL((url) => url.pathname === `/containers/${container}/edit`)
    const row = page.locator('[data-testid="env-row"][data-key="LOG_EVERY"]')
    await row.getByTestId('env-value').locator('input').fill('250ms')
    await page.getByTestId('form-submit').click()
    await page.waitForURL((url) => url.pathname === `/containers/${container}`)
    await page.getByTestId('restart-pending').waitFor()
    await screenshot(page, 'container-restart-pending')

    await page.locator('.n-tabs-tab', { hasText: 'Logs' }).click()
    const viewer = page.getByTestId('log-viewer')
    await expect.poll(() => viewer.getAttribute('data-status'), { timeout: 20_000 }).toBe('live')
    await page.getByTestId('restart-pending').getByRole('button', { name: 'Restart now' }).click()
    await page.locator('.n-dialog').getByRole('button', { name: 'Restart' }).click()
    await waitForState(page, tp.context.request, container, 'running', 90_000)
    await page.getByTestId('restart-pending').waitFor({ state: 'detached', timeout: 20_000 })
    // The new process counts its ticks from 1 again; its lines arrive on the same viewer, after the marker it
    // drew when the state turned running again.
    const rows = viewer.locator('.xterm-rows > div')
    const afterRestart = async () => {
      const text = await rows.allTextContents()
      const marker = text.findLastIndex((t) => t.includes('──── running ·'))
      return marker >= 0 && text.slice(marker + 1).some((t) => /\stick 2\s*$/.test(t))
    }
    await expect.poll(afterRestart, { timeout: 30_000, interval: 100 }).toBe(true)
    await screenshot(page, 'container-logs-restart')

    // Scrolling up to read stops following; the switch says so.
    const followSwitch = page.getByTestId('log-follow')
    expect(await followSwitch.getAttribute('aria-checked')).toBe('true')
    // More lines than the terminal has rows, so there is something to scroll back to.
    await expect
      .poll(async () => Number(await viewer.getAttribute('data-lines')), { timeout: 30_000 })
      .toBeGreaterThan(60)
    await viewer.locator('.xterm').hover()
    await expect
      .poll(
        async () => {
          await page.mouse.wheel(0, -400)
          return followSwitch.getAttribute('aria-checked')
        },
        { timeout: 20_000 },
      )
      .toBe('false')
  }, 180_000)

  it('lists kiosc events for the container', async () => {
    await page.locator('.n-tabs-tab', { hasText: 'Events' }).click()
    await page.getByTestId('container-event').first().waitFor()
    expect(await page.getByTestId('container-events').textContent()).toMatch(/created/i)
    await screenshot(page, 'container-events')
  }, 30_000)

  it('stops the container after confirming', async () => {
    await page.getByTestId('action-stop').click()
    const dialog = page.locator('.n-dialog')
    await dialog.waitFor()
    await screenshot(page, 'container-stop-confirm')
    await dialog.getByRole('button', { name: 'Stop' }).click()
    await waitForState(page, tp.context.request, container, 'stopped', 60_000)
    await page.locator('.n-tabs-tab', { hasText: 'Overview' }).click()
    await screenshot(page, 'container-stopped')
  }, 90_000)

  it('lists the container site-wide with its live state', async () => {
    await page.getByTestId('app-header').getByText('Containers', { exact: true }).first().click()
    await page.waitForURL((url) => url.pathname === '/containers')
    const row = page.locator(`[data-testid="container-row"][data-uuid="${container}"]`)
    await row.waitFor()
    expect(await row.getByTestId('container-state').getAttribute('data-state')).toBe('stopped')
    await screenshot(page, 'containers-list')
    await row.getByRole('link', { name: 'Ticker' }).click()
    await page.waitForURL((url) => url.pathname === `/containers/${container}`)
  }, 30_000)

  it('lists the container on its project page with its live state', async () => {
    await page.goto(`/projects/${project}`)
    const row = page.locator(
      `[data-testid="container-list"] [data-testid="container-row"][data-uuid="${container}"]`,
    )
    await row.waitFor()
    expect(await row.getByTestId('container-state').getAttribute('data-state')).toBe('stopped')
    await row.getByTestId('row-start').click()
    await expect
      .poll(() => row.getByTestId('container-state').getAttribute('data-state'), {
        timeout: 90_000,
        interval: 250,
      })
      .toBe('running')
    await screenshot(page, 'project-containers')
    await row.getByTestId('row-stop').click()
    await page.locator('.n-dialog').getByRole('button', { name: 'Stop' }).click()
    await expect
      .poll(() => row.getByTestId('container-state').getAttribute('data-state'), {
        timeout: 60_000,
        interval: 250,
      })
      .toBe('stopped')
    await row.getByRole('link', { name: 'Ticker' }).click()
    await page.waitForURL((url) => url.pathname === `/containers/${container}`)
  }, 180_000)

  it('shows why an app that crashed during start-up is not running', async () => {
    const crashing = (
      await apiCall<{ uuid: string }>(tp.context.request, 'POST', `/api/v1/projects/${project}/containers`, {
        title: 'Crashing app',
        image: testAppImage(),
        container_port: 8080,
        environment: { STARTUP_DELAY: '30s', CRASH_AFTER: '1s', CRASH_CODE: '3' },
      })
    ).uuid
    extra.push(crashing)
    await page.goto(`/containers/${crashing}`)
    await page.getByTestId('action-start').click()
    const alert = page.getByTestId('state-alert')
    await alert.waitFor({ timeout: 90_000 })
    expect(['failed', 'exited']).toContain(await stateOf(page))
    await expect.poll(async () => (await alert.textContent()) ?? '', { timeout: 20_000 }).toMatch(/code 3/i)
    await screenshot(page, 'container-failed')
    await page.getByRole('button', { name: 'Use dark theme' }).click()
    await screenshot(page, 'container-failed-dark')
    await page.getByRole('button', { name: 'Use light theme' }).click()
    await page.goto(`/containers/${container}`)
    await page.getByTestId('container-title').waitFor()
  }, 120_000)

  it('shows a guest the app without management actions or logs', async () => {
    const req = tp.context.request
    const password = 'guest-password-1234'
    await apiCall(req, 'POST', '/api/v1/users', { username: 'gina', password, name: 'Gina Guest' })
    await apiCall(req, 'PUT', `/api/v1/projects/${project}/roles/gina`, { role: 'guest' })
    const guest = await openPage(browser, server.url)
    try {
      await guest.page.goto(`/containers/${container}`)
      await guest.page.waitForURL((url) => url.pathname === '/login')
      await login(guest.page, 'gina', password)
      await guest.page.waitForURL((url) => url.pathname === `/containers/${container}`)
      await guest.page.getByTestId('container-title').waitFor()
      await guest.page.getByTestId('action-open').waitFor()
      for (const id of ['action-start', 'action-stop', 'action-edit', 'action-delete']) {
        expect(await guest.page.getByTestId(id).count(), id).toBe(0)
      }
      expect(await guest.page.locator('.n-tabs-tab', { hasText: 'Logs' }).count()).toBe(0)
      await screenshot(guest.page, 'container-guest')
      await guest.page.goto(`/projects/${project}`)
      await guest.page.locator(`[data-testid="container-row"][data-uuid="${container}"]`).waitFor()
      expect(await guest.page.getByTestId('new-container').count()).toBe(0)
      expect(await guest.page.getByTestId('row-start').count()).toBe(0)
      expect(guest.errors).toEqual([])
      expect(guest.failedResponses.filter((r) => !r.startsWith('GET 401 /api/v1/me'))).toEqual([])
    } finally {
      await guest.context.close()
    }
  }, 60_000)

  it('deletes the container after confirming', async () => {
    await page.getByTestId('action-delete').click()
    const dialog = page.locator('.n-dialog')
    await dialog.waitFor()
    expect(await dialog.textContent()).toContain('cannot be undone')
    await dialog.getByRole('button', { name: 'Delete' }).click()
    await page.waitForURL((url) => url.pathname === `/projects/${project}`)
    // The record goes once Docker removed the container.
    await expect
      .poll(async () => (await tp.context.request.get(`/api/v1/containers/${container}`)).status(), {
        timeout: 60_000,
        interval: 500,
      })
      .toBe(404)
    expect(dockerContainersOf(container)).toEqual([])
    container = ''
    expect(tp.errors).toEqual([])
  }, 90_000)
})

// Every page of the SPA at a desktop (1440x900) and a phone (390x844) size, with content in it: a screenshot of
// each in test-artifacts/screenshots/page-<name>-<size>.png, axe-core's WCAG 2.1 A/AA rules with no serious or
// critical violation, and on the phone no page wider than the screen. Needs a Docker engine and the test app image.

import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DESKTOP, horizontalOverflow, PHONE, seriousViolations, widest } from './a11y'
import {
  apiCall,
  deleteContainer,
  openPage,
  screenshot,
  testAppImage,
  type KioscServer,
  type TestPage,
  startAsAdmin,
} from './support'

interface PageCase {
  name: string
  path: () => string
  /** What shows once the page has its content. */
  ready: (page: Page) => Promise<unknown>
  /** Something to do after loading (open a tab). */
  then?: (page: Page) => Promise<unknown>
}

describe('every page at desktop and phone size', () => {
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let page: Page
  let category = ''
  let project = ''
  let running = ''
  let failed = ''
  let fresh = ''

  const byTestId = (id: string) => (p: Page) => p.getByTestId(id).first().waitFor()

  beforeAll(async () => {
    ;({ server, browser, tp, page } = await startAsAdmin({ env: { KIOSC_DEFAULT_STARTUP_TIMEOUT: '60s' } }))
    const req = tp.context.request
    category = (
      await apiCall<{ uuid: string }>(req, 'POST', '/api/v1/projects', {
        title: 'Genomics',
        type: 'CATEGORY',
      })
    ).uuid
    project = (
      await apiCall<{ uuid: string }>(req, 'POST', '/api/v1/projects', {
        title: 'Single-cell atlas',
        type: 'PROJECT',
        parent: category,
        description: 'Shiny apps and notebooks for the atlas',
      })
    ).uuid
    await apiCall(req, 'POST', '/api/v1/users', {
      username: 'carol',
      password: 'carol-password-1',
      name: 'Carol Kim',
    })
    await apiCall(req, 'PUT', `/api/v1/projects/${project}/roles/carol`, { role: 'contributor' })
    const image = testAppImage()
    const create = (body: Record<string, unknown>) =>
      apiCall<{ uuid: string }>(req, 'POST', `/api/v1/projects/${project}/containers`, { image, ...body })
    running = (
      await create({
        title: 'Atlas notebook',
        description: 'Explore the cell atlas',
        container_port: 8080,
        environment: { LOG_EVERY: '1s' },
        volumes: [{ name: 'work', mount_path: '/work' }],
      })
    ).uuid
    failed = (await create({ title: 'Cluster viewer', container_port: 9999, startup_timeout: 4 })).uuid
    fresh = (await create({ title: 'Marker browser', container_port: 8080 })).uuid
    await apiCall(req, 'POST', '/api/v1/templates', {
      title: 'Shiny app',
      image: 'rocker/shiny:4.3',
      container_port: 3838,
      environment: { APPLICATION_LOGS_TO_STDOUT: 'true' },
    })
    await apiCall(req, 'POST', '/api/v1/tokens', { name: 'laptop' })
    await apiCall(req, 'POST', `/api/v1/containers/${running}/start`)
    await apiCall(req, 'POST', `/api/v1/containers/${failed}/start`)
    for (const [uuid, want] of [
      [running, 'running'],
      [failed, 'failed'],
    ] as const) {
      let state = ''
      for (let i = 0; i < 120 && state !== want; i++) {
        state = (await apiCall<{ state: string }>(req, 'GET', `/api/v1/containers/${uuid}`)).state
        if (state !== want) await page.waitForTimeout(500)
      }
      if (state !== want) throw new Error(`container ${uuid} is ${state}, not ${want}`)
    }
  }, 180_000)

  afterAll(async () => {
    for (const uuid of [running, failed, fresh].filter(Boolean))
      await deleteContainer(tp.context.request, uuid)
    await browser?.close()
    await server?.stop()
  })

  const pages: PageCase[] = [
    { name: 'home', path: () => '/', ready: byTestId('launcher') },
    { name: 'projects', path: () => '/projects', ready: byTestId('project-tree') },
    { name: 'category', path: () => `/projects/${category}`, ready: byTestId('category-contents') },
    { name: 'project', path: () => `/projects/${project}`, ready: byTestId('container-row') },
    {
      name: 'project-members',
      path: () => `/projects/${project}`,
      ready: byTestId('container-row'),
      then: async (p) => {
        await p.getByRole('tab', { name: 'Members' }).click()
        await p.getByTestId('members').getByText('carol', { exact: true }).waitFor()
      },
    },
    {
      name: 'project-timeline',
      path: () => `/projects/${project}`,
      ready: byTestId('container-row'),
      then: async (p) => {
        await p.getByRole('tab', { name: 'Timeline' }).click()
        await p.getByTestId('timeline-entry').first().waitFor()
      },
    },
    { name: 'containers', path: () => '/containers', ready: byTestId('container-row') },
    { name: 'container', path: () => `/containers/${running}`, ready: byTestId('container-header') },
    { name: 'container-failed', path: () => `/containers/${failed}`, ready: byTestId('state-alert') },
    {
      name: 'container-jobs',
      path: () => `/containers/${running}`,
      ready: byTestId('container-header'),
      then: async (p) => {
        await p.getByRole('tab', { name: 'Jobs' }).click()
        await p.getByTestId('container-jobs').locator('tbody tr').first().waitFor()
      },
    },
    {
      name: 'container-new',
      path: () => `/projects/${project}/containers/new`,
      ready: byTestId('container-form'),
    },
    { name: 'container-edit', path: () => `/containers/${running}/edit`, ready: byTestId('container-form') },
    {
      name: 'templates',
      path: () => '/templates',
      ready: (p) => p.locator('[data-template="Shiny app"]').first().waitFor(),
    },
    { name: 'timeline', path: () => '/timeline', ready: byTestId('timeline-entry') },
    { name: 'tokens', path: () => '/tokens', ready: (p) => p.getByText('laptop').first().waitFor() },
    { name: 'profile', path: () => '/profile', ready: byTestId('profile-account') },
    { name: 'admin-users', path: () => '/admin/users', ready: (p) => p.getByText('carol').first().waitFor() },
    {
      name: 'admin-docker',
      path: () => '/admin/docker',
      ready: (p) => p.getByText('Atlas notebook').first().waitFor(),
    },
    { name: 'admin-maintenance', path: () => '/admin/maintenance', ready: byTestId('maintenance-tasks') },
    {
      name: 'admin-sodar',
      path: () => '/admin/sodar',
      ready: (p) => p.getByRole('heading', { name: 'SODAR' }).waitFor(),
    },
    { name: 'lobby-failed', path: () => `/lobby/${failed}`, ready: byTestId('lobby-failure') },
    { name: 'not-found', path: () => '/no/such/page', ready: byTestId('not-found') },
  ]

  for (const size of ['desktop', 'phone'] as const) {
    describe(`at ${size} size`, () => {
      beforeAll(async () => {
        await page.setViewportSize(size === 'desktop' ? DESKTOP : PHONE)
      })

      for (const pc of pages) {
        it(`${pc.name}: accessible${size === 'phone' ? ', as wide as the screen' : ''}`, async () => {
          await page.goto(pc.path())
          await pc.ready(page)
          if (pc.then) await pc.then(page)
          await screenshot(page, `page-${pc.name}-${size}`)
          const violations = await seriousViolations(page)
          expect(violations, JSON.stringify(violations, null, 2)).toEqual([])
          if (size === 'phone') {
            const over = await horizontalOverflow(page)
            expect(
              over,
              `${pc.name} is ${over}px wider than the phone: ${(await widest(page)).join(', ')}`,
            ).toBeLessThanOrEqual(0)
          }
        })
      }

      it('the login page (signed out)', async () => {
        const other = await openPage(browser, server.url)
        await other.page.setViewportSize(size === 'desktop' ? DESKTOP : PHONE)
        await other.page.goto('/login')
        await other.page.locator('input[name="username"]').waitFor()
        await screenshot(other.page, `page-login-${size}`)
        expect(await seriousViolations(other.page)).toEqual([])
        expect(await horizontalOverflow(other.page)).toBeLessThanOrEqual(0)
        await other.context.close()
      })
    })
  }

  // The dark theme has colours of its own: the pages with the most kinds of text and state on them, at desktop size,
  // with the system asking for dark (kiosc follows it unless the user chose otherwise).
  describe('in the dark theme', () => {
    const DARK = new Set([
      'home',
      'project',
      'container',
      'container-failed',
      'container-new',
      'admin-docker',
      'timeline',
    ])
    beforeAll(async () => {
      await page.setViewportSize(DESKTOP)
      await page.emulateMedia({ colorScheme: 'dark' })
    })
    afterAll(async () => {
      await page.emulateMedia({ colorScheme: 'light' })
    })

    for (const pc of pages.filter((p) => DARK.has(p.name))) {
      it(`${pc.name}: accessible in the dark theme`, async () => {
        await page.goto(pc.path())
        await pc.ready(page)
        if (pc.then) await pc.then(page)
        expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark')
        await screenshot(page, `page-${pc.name}-dark`)
        const violations = await seriousViolations(page)
        expect(violations, JSON.stringify(violations, null, 2)).toEqual([])
      })
    }
  })

  it('had no uncaught errors', () => {
    expect(tp.errors, tp.errors.join('\n')).toEqual([])
  })
})

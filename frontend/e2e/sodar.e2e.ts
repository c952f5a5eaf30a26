// SODAR target site end to end: the real kiosc binary pulls from a fake SODAR source (DRF's Accept-header
// versioning, 406 for versions it does not know) on start, the admin page shows the runs without the secret,
// "Sync now" runs one more, and SODAR's /project/<uuid> links land on the mirrored project.

import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  launchBrowser,
  login,
  openPage,
  repoRoot,
  screenshot,
  startServer,
  type KioscServer,
  type TestPage,
} from './support'

const SECRET = 'e2esecret0123456789abcdefghijklm'
const MEDIA_TYPE = 'application/vnd.bihealth.sodar-core.projectroles.sync+json'
const EXOME = '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d77'

/** A SODAR source that knows sync API 1.0 and 2.0 (like sodar-server with core 1.2/1.3). */
function startSodar(): Promise<{ server: Server; url: string; requests: string[] }> {
  const payload = readFileSync(path.join(repoRoot, 'app', 'sodar', 'testdata', 'example-2.0.json'))
  const requests: string[] = []
  const server = createServer((req, res) => {
    const accept = req.headers.accept ?? ''
    requests.push(accept)
    if (req.url !== `/project/api/remote/get/${SECRET}`) {
      res.writeHead(401, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify('Remote site not found, unauthorized'))
      return
    }
    const version = accept.slice(accept.indexOf('version=') + 8)
    if (!accept.startsWith(MEDIA_TYPE) || !['1.0', '2.0'].includes(version)) {
      res.writeHead(406, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ detail: 'Invalid version in "Accept" header.' }))
      return
    }
    res.writeHead(200, { 'Content-Type': `${MEDIA_TYPE}; version=${version}` })
    res.end(payload)
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({ server, url: `http://127.0.0.1:${port}`, requests })
    })
  })
}

describe('SODAR target site', () => {
  let sodar: Awaited<ReturnType<typeof startSodar>>
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let page: Page

  beforeAll(async () => {
    sodar = await startSodar()
    server = await startServer({
      env: { KIOSC_SODAR_URL: sodar.url, KIOSC_SODAR_SECRET: SECRET, KIOSC_SODAR_SYNC_INTERVAL: '1h' },
    })
    browser = await launchBrowser()
    tp = await openPage(browser, server.url)
    page = tp.page
    await page.goto('/login')
    await login(page, 'admin', server.adminPassword)
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    sodar?.server.close()
  })

  it('syncs on start, negotiating the version, and shows the run without the secret', async () => {
    const runs = page.getByTestId('sodar-runs')
    const deadline = Date.now() + 45_000
    for (;;) {
      await page.goto('/admin/sodar')
      await runs.waitFor()
      if ((await runs.textContent())?.includes('on start (system)')) break
      if (Date.now() > deadline) throw new Error('no sync on start within 45 s')
      await sleep(1000)
    }
    expect(sodar.requests.slice(0, 2)).toEqual([`${MEDIA_TYPE}; version=2.1`, `${MEDIA_TYPE}; version=2.0`])
    expect(await page.getByTestId('sodar-url').textContent()).toBe(sodar.url)
    expect(await page.getByTestId('sodar-run').textContent()).toContain('ok')
    expect(await page.content()).not.toContain(SECRET)
    await screenshot(page, 'sodar-admin')
  })

  it('runs a sync on demand', async () => {
    await page.getByTestId('sodar-sync').click()
    await page.getByTestId('sodar-runs').getByText('by hand (admin)').waitFor()
    const run = await page.getByTestId('sodar-run').textContent()
    expect(run).toContain('Nothing was skipped.')
    // The SODAR-local admin is not mirrored; its ownership goes to kiosc's admin, and the page says so.
    expect(run).toContain('SODAR-local account')
  })

  it('sends SODAR project links to the mirrored project', async () => {
    await page.goto(`/project/${EXOME}`)
    await page.waitForURL((url) => url.pathname === `/projects/${EXOME}`)
    await page.getByText('Exome Cohort 2024').first().waitFor()
  })

  it('never logs the secret', () => {
    expect(server.output()).not.toContain(SECRET)
  })
})

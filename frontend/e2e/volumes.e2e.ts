// Volumes end to end against the real binary and Docker engine: create an app with a volume through the form, write
// a file through the app, stop and start it and find the file again, download it from the container page, then
// delete the container with its volume. Needs a Docker engine and the test app image.

import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiCall,
  deleteContainer,
  screenshot,
  waitForState,
  testAppImage,
  type KioscServer,
  type TestPage,
  startAsAdmin,
} from './support'

/** The regular files of a tar archive, by name. */
function untar(buf: Buffer): Record<string, string> {
  const files: Record<string, string> = {}
  let off = 0
  let longName = ''
  while (off + 512 <= buf.length) {
    const header = buf.subarray(off, off + 512)
    if (header.every((b) => b === 0)) break
    const field = (start: number, len: number) =>
      header
        .subarray(start, start + len)
        .toString('utf8')
        .replace(/\0.*$/s, '')
    const size = parseInt(field(124, 12).trim() || '0', 8)
    const type = field(156, 1)
    const prefix = field(345, 155)
    let name = longName || (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100))
    longName = ''
    const body = buf.subarray(off + 512, off + 512 + size)
    if (type === 'L') longName = body.toString('utf8').replace(/\0.*$/s, '')
    else if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))
      if (m) longName = m[1]!
    } else if (type === '0' || type === '') files[name] = body.toString('utf8')
    name = ''
    off += 512 + Math.ceil(size / 512) * 512
  }
  return files
}

/** The Docker volumes of a kiosc container. */
function dockerVolumesOf(uuid: string): string[] {
  return execFileSync('docker', ['volume', 'ls', '-q', '--filter', `label=kiosc.container=${uuid}`], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter((v) => v.trim() !== '')
}

describe('volumes', () => {
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let page: Page
  let app: Page | null = null
  let project = ''
  let container = ''

  beforeAll(async () => {
    ;({ server, browser, tp, page } = await startAsAdmin())
    project = (
      await apiCall<{ uuid: string }>(tp.context.request, 'POST', '/api/v1/projects', {
        title: 'Volumes e2e',
        type: 'PROJECT',
      })
    ).uuid
  })

  afterAll(async () => {
    if (container) {
      await deleteContainer(tp.context.request, container)
      for (const v of dockerVolumesOf(container)) {
        try {
          execFileSync('docker', ['volume', 'rm', '-f', v], { stdio: 'ignore' })
        } catch {
          // In use or gone.
        }
      }
    }
    await browser?.close()
    await server?.stop()
  })

  /** Opens the app (signing in on its origin) in a tab of the same browser. */
  async function openApp(): Promise<Page> {
    const tab = await tp.context.newPage()
    await tab.goto(`${server.url}/containers/proxy/${container}/`)
    await tab.waitForURL(
      (url) => url.origin === server.appUrl && url.pathname === `/containers/proxy/${container}/`,
    )
    return tab
  }

  it('creates an app with a volume, a user and a read-only root through the form', async () => {
    await page.goto(`/projects/${project}/containers/new`)
    await page.getByTestId('container-form').waitFor()
    await page.getByTestId('field-title').locator('input').fill('Notebook')
    await page.getByTestId('field-image').locator('input').fill(testAppImage())
    await page.getByTestId('field-port').locator('input').fill('8080')

    // A system path is refused by the server, with the message under the volume's row.
    await page.getByTestId('volume-add').click()
    const row = page.getByTestId('volume-row').last()
    await row.getByTestId('volume-name').locator('input').fill('work')
    await row.getByTestId('volume-path').locator('input').fill('/etc/work')
    await page.getByTestId('field-user').locator('input').fill('1000:100')
    await page.getByTestId('field-read-only-rootfs').click()
    await page.getByTestId('form-submit').click()
    await page.getByTestId('volume-error').waitFor()
    expect(await page.getByTestId('volume-error').textContent()).toMatch(
      /Mount path: \/etc is a system directory/,
    )
    await row.getByTestId('volume-path').locator('input').fill('/work')
    await screenshot(page, 'volumes-form')

    await page.getByTestId('form-submit').click()
    await page.waitForURL((url) => /^\/containers\/[0-9a-f-]{36}$/.test(url.pathname))
    container = new URL(page.url()).pathname.split('/').pop()!
    const saved = await apiCall<{ volumes: unknown[]; user: string; read_only_rootfs: boolean }>(
      tp.context.request,
      'GET',
      `/api/v1/containers/${container}`,
    )
    expect(saved.volumes).toEqual([
      { name: 'work', mount_path: '/work', scope: 'container', read_only: false },
    ])
    expect(saved.user).toBe('1000:100')
    expect(saved.read_only_rootfs).toBe(true)
  }, 60_000)

  it('keeps a file the app wrote into its volume across a stop and a start', async () => {
    await page.getByTestId('action-start').click()
    await waitForState(page, tp.context.request, container, 'running', 90_000)

    app = await openApp()
    const wrote = await app.evaluate(async () => {
      const res = await fetch('write?path=/work/notes/hello.txt', {
        method: 'PUT',
        body: 'written by the app',
      })
      return `${res.status} ${await res.text()}`
    })
    expect(wrote).toMatch(/^201 /)
    // The root file system is read-only: only the volume and /tmp take files.
    const outside = await app.evaluate(
      async () => (await fetch('write?path=/opt/x', { method: 'PUT', body: 'x' })).status,
    )
    expect(outside).toBe(409)

    await page.bringToFront()
    await page.getByTestId('action-stop').click()
    const dialog = page.locator('.n-dialog')
    await dialog.waitFor()
    expect(await dialog.textContent()).toContain('Files in its volume work (/work) are kept.')
    await screenshot(page, 'volumes-stop-confirm')
    await dialog.getByRole('button', { name: 'Stop' }).click()
    await waitForState(page, tp.context.request, container, 'stopped', 60_000)
    await page.getByTestId('action-start').click()
    await waitForState(page, tp.context.request, container, 'running', 90_000)

    await app.goto(`${server.url}/containers/proxy/${container}/`)
    await app.waitForURL((url) => url.origin === server.appUrl)
    const read = await app.evaluate(async () => (await fetch('file?path=/work/notes/hello.txt')).text())
    expect(read).toBe('written by the app')
    await app.close()
    app = null
  }, 240_000)

  it('lists the volume on the container page and downloads its files', async () => {
    await page.bringToFront()
    await page.locator('.n-tabs-tab', { hasText: 'Volumes' }).click()
    const item = page.locator('[data-testid="volume-item"][data-name="work"]')
    await item.waitFor()
    expect(await item.textContent()).toContain('/work')
    expect(await item.textContent()).toContain('1000:100')
    await screenshot(page, 'volumes-container-tab')

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      item.getByTestId('volume-download').click(),
    ])
    expect(download.suggestedFilename()).toBe('work.tar')
    const files = untar(readFileSync((await download.path())!))
    expect(files['work/notes/hello.txt']).toBe('written by the app')

    // An upload lands next to it.
    await item.getByTestId('volume-upload').click()
    const modal = page.getByTestId('volume-upload-modal')
    await modal.waitFor()
    await modal.getByTestId('volume-upload-folder').locator('input').fill('/notes')
    await modal.getByTestId('volume-upload-input').setInputFiles({
      name: 'from-browser.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('uploaded from the page'),
    })
    await modal.getByTestId('volume-upload-submit').click()
    await modal.getByTestId('volume-upload-result').waitFor()
    expect(await modal.getByTestId('volume-upload-result').textContent()).toContain('Uploaded 1 file')
    await screenshot(page, 'volumes-upload')
    await modal.getByRole('button', { name: 'Close', exact: true }).click()
    await modal.waitFor({ state: 'detached' })
    const after = await tp.context.request.get(
      `/api/v1/containers/${container}/volumes/work/archive?path=/notes`,
    )
    expect(after.status()).toBe(200)
    expect(untar(Buffer.from(await after.body()))['notes/from-browser.txt']).toBe('uploaded from the page')
  }, 60_000)

  it('deletes the container with its volume when asked to', async () => {
    expect(dockerVolumesOf(container)).toHaveLength(1)
    await page.getByTestId('action-delete').click()
    const dialog = page.locator('.n-dialog')
    await dialog.waitFor()
    expect(await dialog.getByTestId('delete-outcome').textContent()).toContain('Its volume work is kept')
    await dialog.getByTestId('delete-remove-volumes').click()
    expect(await dialog.getByTestId('delete-outcome').textContent()).toContain(
      'Its volume work is removed with every file in it.',
    )
    await screenshot(page, 'volumes-delete-confirm')
    await dialog.getByRole('button', { name: 'Delete' }).click()
    await page.waitForURL((url) => url.pathname === `/projects/${project}`)
    await expect
      .poll(async () => (await tp.context.request.get(`/api/v1/containers/${container}`)).status(), {
        timeout: 60_000,
        interval: 500,
      })
      .toBe(404)
    expect(dockerVolumesOf(container)).toEqual([])
    container = ''
  }, 90_000)

  it('shows project volumes and kept volumes on the project page, and removes them on request', async () => {
    const req = tp.context.request
    container = (
      await apiCall<{ uuid: string }>(req, 'POST', `/api/v1/projects/${project}/containers`, {
        title: 'Analysis',
        image: testAppImage(),
        container_port: 8080,
        volumes: [
          { name: 'data', mount_path: '/data' },
          { name: 'shared', mount_path: '/shared', scope: 'project', read_only: true },
        ],
      })
    ).uuid
    await apiCall(req, 'POST', `/api/v1/containers/${container}/start`)
    await expect
      .poll(
        async () => (await apiCall<{ state: string }>(req, 'GET', `/api/v1/containers/${container}`)).state,
        {
          timeout: 90_000,
          interval: 500,
        },
      )
      .toBe('running')

    await page.goto(`/projects/${project}`)
    await page.locator('.n-tabs-tab', { hasText: 'Volumes' }).click()
    const shared = page.locator('[data-testid="project-volume"][data-name="shared"]')
    await shared.waitFor()
    expect(await shared.textContent()).toContain('Analysis')
    expect(await shared.getByTestId('project-volume-remove').isDisabled()).toBe(true)

    // Deleted, keeping its volume (the default): the project page lists it with the date it goes.
    const deleted = container
    await apiCall(req, 'DELETE', `/api/v1/containers/${deleted}`)
    await expect
      .poll(async () => (await req.get(`/api/v1/containers/${deleted}`)).status(), {
        timeout: 60_000,
        interval: 500,
      })
      .toBe(404)
    container = ''
    await page.reload()
    await page.locator('.n-tabs-tab', { hasText: 'Volumes' }).click()
    const kept = page.locator('[data-testid="kept-volume"][data-name="data"]')
    await kept.waitFor()
    expect(await kept.textContent()).toContain('Analysis')
    await screenshot(page, 'volumes-project-page')

    // The admin's Docker page shows the two volumes as kiosc's, unused, with their age.
    await page.goto('/admin/docker')
    const table = page.getByTestId('docker-volumes')
    await table.waitFor()
    await expect
      .poll(async () => (await table.textContent()) ?? '', { timeout: 20_000 })
      .toContain('kiosc · project')
    expect(await table.textContent()).toContain('kiosc · container')
    expect(await table.getByTestId('volume-unused').count()).toBeGreaterThanOrEqual(2)
    await table.scrollIntoViewIfNeeded()
    await screenshot(page, 'volumes-admin-docker')

    // Both go on request, each after a confirmation.
    await page.goto(`/projects/${project}`)
    await page.locator('.n-tabs-tab', { hasText: 'Volumes' }).click()
    await shared.getByTestId('project-volume-remove').click()
    await page.locator('.n-dialog').getByRole('button', { name: 'Remove' }).click()
    await shared.waitFor({ state: 'detached' })
    await kept.getByTestId('kept-volume-remove').click()
    await page.locator('.n-dialog').getByRole('button', { name: 'Remove' }).click()
    await kept.waitFor({ state: 'detached' })
    expect(dockerVolumesOf(deleted)).toEqual([])
    expect(
      execFileSync('docker', ['volume', 'ls', '-q', '--filter', `label=kiosc.project=${project}`], {
        encoding: 'utf8',
      }).trim(),
    ).toBe('')
    expect(tp.errors).toEqual([])
  }, 180_000)
})

// Image updates end to end against the real binary, the Docker engine and a local registry (Debian's
// docker-registry on a free loopback port): a container runs v1 of an image, v2 is pushed under the same tag, "Check
// for update" on the container page marks it, the list marks it too, and Update (after a confirmation naming both
// digests) re-creates it on v2. Needs a Docker engine, the test app image and /usr/bin/docker-registry.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiCall,
  deleteContainer,
  freePort,
  screenshot,
  testAppImage,
  type KioscServer,
  type TestPage,
  startAsAdmin,
} from './support'

const REGISTRY = '/usr/bin/docker-registry'

interface ContainerView {
  state: string
  image_id: string | null
  image_digest: string | null
  update_available: boolean
  update_status: string
  docker_id: string | null
}

/** A registry process for this file: plain HTTP on loopback, which the engine accepts without TLS. */
async function startRegistry(): Promise<{ host: string; stop: () => void }> {
  if (!existsSync(REGISTRY)) {
    throw new Error(`${REGISTRY} is missing: run scripts/ensure-registry.sh (Debian's docker-registry)`)
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'kiosc-e2e-registry-'))
  const host = `127.0.0.1:${await freePort()}`
  const config = path.join(dir, 'config.yml')
  writeFileSync(
    config,
    `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${path.join(dir, 'storage')}
  delete:
    enabled: true
http:
  addr: ${host}
  secret: kiosc-e2e-${Date.now()}
`,
  )
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')))
  const child: ChildProcess = spawn(REGISTRY, ['serve', config], { env, stdio: 'ignore' })
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://${host}/v2/`)).ok) break
    } catch {
      // not up yet
    }
    if (i > 200) throw new Error(`registry on ${host} did not start`)
    await sleep(50)
  }
  return {
    host,
    stop: () => {
      child.kill('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Builds an image FROM the test app that says which version it is, pushes it as ref and returns its ID. */
function pushVersion(ref: string, version: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kiosc-e2e-image-'))
  try {
    writeFileSync(path.join(dir, 'version.txt'), `${version} ${Date.now()}\n`)
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      `FROM ${testAppImage()}\nCOPY version.txt /version.txt\nENV KIOSC_TEST_IMAGE=${version}\n`,
    )
    execFileSync('docker', ['build', '-q', '-t', ref, '--label', 'kiosc.test=true', dir], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      stdio: 'ignore',
    })
    execFileSync('docker', ['push', ref], { stdio: 'ignore' })
    return execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], {
      encoding: 'utf8',
    }).trim()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** "sha256:" and the first 12 hex digits, as the page shows digests. */
function short(digest: string): string {
  return `sha256:${digest.split('sha256:').pop()!.slice(0, 12)}`
}

describe('image updates', () => {
  let registry: { host: string; stop: () => void }
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let page: Page
  let project = ''
  let container = ''
  let ref = ''
  let v1 = ''
  let v2 = ''

  const get = () => apiCall<ContainerView>(tp.context.request, 'GET', `/api/v1/containers/${container}`)

  beforeAll(async () => {
    registry = await startRegistry()
    ref = `${registry.host}/kiosc-e2e/notebook:stable`
    v1 = pushVersion(ref, 'v1')
    // Only a pull brings it back, as on a fresh host.
    execFileSync('docker', ['rmi', '-f', ref], { stdio: 'ignore' })
    ;({ server, browser, tp, page } = await startAsAdmin())
    project = (
      await apiCall<{ uuid: string }>(tp.context.request, 'POST', '/api/v1/projects', {
        title: 'Image updates e2e',
        type: 'PROJECT',
      })
    ).uuid
    container = (
      await apiCall<{ uuid: string }>(tp.context.request, 'POST', `/api/v1/projects/${project}/containers`, {
        title: 'Notebook',
        image: ref,
        container_port: 8080,
        heartbeat_url: '/health',
      })
    ).uuid
    await apiCall(tp.context.request, 'POST', `/api/v1/containers/${container}/start`)
    for (let i = 0; (await get()).state !== 'running'; i++) {
      if (i > 360) throw new Error(`the container did not start: ${JSON.stringify(await get())}`)
      await sleep(250)
    }
  }, 180_000)

  afterAll(async () => {
    if (container) await deleteContainer(tp.context.request, container)
    await browser?.close()
    await server?.stop()
    for (const id of [v1, v2].filter(Boolean)) {
      try {
        execFileSync('docker', ['rmi', '-f', id], { stdio: 'ignore' })
      } catch {
        // already gone
      }
    }
    registry?.stop()
  }, 60_000)

  it('shows the image the container runs, and a newer one after "Check for update"', async () => {
    const before = await get()
    expect(before.image_id).toBe(v1)
    expect(before.image_digest).toMatch(
      new RegExp(`^${registry.host}/kiosc-e2e/notebook@sha256:[0-9a-f]{64}$`),
    )

    await page.goto(`/containers/${container}`)
    await page.getByTestId('image-card').waitFor()
    expect(await page.getByTestId('image-digest').textContent()).toBe(before.image_digest)
    expect(await page.getByTestId('update-status').getAttribute('data-status')).toBe('unchecked')
    expect(await page.getByTestId('update-marker').count()).toBe(0)

    v2 = pushVersion(ref, 'v2')
    // The engine keeps v1 under the tag, as after the first pull.
    execFileSync('docker', ['tag', v1, ref])
    await page.getByTestId('check-update').click()
    // The answer and the live channel update the page: the marker, the banner and the image card.
    await page.getByTestId('container-header').getByTestId('update-marker').waitFor({ timeout: 30_000 })
    const banner = page.getByTestId('update-available')
    await banner.waitFor()
    const checked = await apiCall<{ available_digest: string }>(
      tp.context.request,
      'GET',
      `/api/v1/containers/${container}`,
    )
    expect(await banner.textContent()).toContain(short(checked.available_digest))
    expect(await banner.textContent()).toContain(short(before.image_digest!))
    expect(await page.getByTestId('update-status').getAttribute('data-status')).toBe('available')
    // Nothing that runs changed.
    const after = await get()
    expect([after.state, after.image_id, after.docker_id]).toEqual(['running', v1, before.docker_id])
    await screenshot(page, 'container-update-available')

    await page.goto(`/projects/${project}`)
    const row = page.locator(`[data-testid="container-row"][data-uuid="${container}"]`)
    await row.getByTestId('update-marker').waitFor()
    await screenshot(page, 'container-list-update-available')

    // The daily task, run on demand from the maintenance page, finds the same.
    await page.goto('/admin/maintenance')
    await page.getByTestId('run-check-updates').click()
    await page.getByTestId('confirm-run').click()
    const result = page.getByTestId('maintenance-result')
    await result.waitFor({ timeout: 60_000 })
    expect(await result.getByTestId('maintenance-summary').textContent()).toBe(
      'Checked 1 container: 1 with an update available.',
    )
    expect(await result.textContent()).toContain('Update available: the registry')
    await screenshot(page, 'admin-maintenance-check-updates')
  }, 120_000)

  it('updates the container to v2 after a confirmation naming both digests', async () => {
    const before = await get()
    const available = await apiCall<{ available_digest: string }>(
      tp.context.request,
      'GET',
      `/api/v1/containers/${container}`,
    )
    await page.goto(`/containers/${container}`)
    await page.getByTestId('action-update').click()
    const dialog = page.locator('.n-dialog')
    await dialog.waitFor()
    expect(await dialog.textContent()).toContain(
      `${short(before.image_digest!)} → ${short(available.available_digest)}`,
    )
    await screenshot(page, 'container-update-confirm')
    await page.getByTestId('confirm-update').click()

    await expect
      .poll(
        async () => {
          const c = await get()
          return c.state === 'running' && c.image_id === v2
        },
        { timeout: 90_000, interval: 250 },
      )
      .toBe(true)
    await page.getByTestId('update-available').waitFor({ state: 'detached', timeout: 20_000 })
    expect(await page.getByTestId('update-marker').count()).toBe(0)
    const after = await get()
    expect(after.docker_id).not.toBe(before.docker_id)
    expect(after.update_status).toBe('up_to_date')
    expect(
      execFileSync('docker', ['inspect', '--format', '{{.Image}}', after.docker_id!], {
        encoding: 'utf8',
      }).trim(),
    ).toBe(v2)
    await expect
      .poll(async () => page.getByTestId('image-id').textContent(), { timeout: 20_000 })
      .toBe(short(v2))

    // The job is in the Jobs tab, and the timeline keeps both digests.
    await page.locator('.n-tabs-tab', { hasText: 'Jobs' }).click()
    const jobs = page.getByTestId('container-jobs')
    await expect
      .poll(async () => (await jobs.textContent()) ?? '', { timeout: 20_000 })
      .toMatch(/Update\s*done/)
    await screenshot(page, 'container-updated')
    const timeline = await apiCall<{ items: { event_name: string; extra_data: Record<string, string> }[] }>(
      tp.context.request,
      'GET',
      `/api/v1/timeline?project=${project}`,
    )
    const event = timeline.items.find((e) => e.event_name === 'container_image_update')
    expect(event?.extra_data.old_digest).toBe(before.image_digest)
    expect(event?.extra_data.new_digest).toBe(after.image_digest)
    expect(tp.errors).toEqual([])
  }, 150_000)
})

// Live usage and capacity end to end: the container page's Usage tab draws the app's CPU and memory while the app
// burns CPU; leaving the page closes the Docker stats stream behind it (kiosc_usage_streams drops to 0); the admin
// Docker page shows the host's capacity with what the app reserves.

import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiCall,
  deleteContainer,
  screenshot,
  testAppImage,
  type KioscServer,
  type TestPage,
  startAsAdmin,
} from './support'

describe('usage and capacity', () => {
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let page: Page
  let container = ''

  beforeAll(async () => {
    ;({ server, browser, tp, page } = await startAsAdmin())
  })

  afterAll(async () => {
    if (container) await deleteContainer(tp.context.request, container)
    await browser?.close()
    await server?.stop()
  })

  async function usageStreams(): Promise<number> {
    const res = await tp.context.request.get('/metrics')
    const line = (await res.text()).split('\n').find((l) => l.startsWith('kiosc_usage_streams '))
    return Number(line?.split(' ')[1] ?? NaN)
  }

  it('charts the app while it burns CPU, and closes the stats stream when the page is left', async () => {
    const req = tp.context.request
    const project = (
      await apiCall<{ uuid: string }>(req, 'POST', '/api/v1/projects', {
        title: 'Usage e2e',
        type: 'PROJECT',
      })
    ).uuid
    container = (
      await apiCall<{ uuid: string }>(req, 'POST', `/api/v1/projects/${project}/containers`, {
        title: 'Busy app',
        image: testAppImage(),
        container_port: 8080,
        memory_limit: 128 * 1024 * 1024,
        cpu_limit: 1,
      })
    ).uuid
    await apiCall(req, 'POST', `/api/v1/containers/${container}/start`)
    await expect
      .poll(
        async () => (await apiCall<{ state: string }>(req, 'GET', `/api/v1/containers/${container}`)).state,
        {
          timeout: 60_000,
        },
      )
      .toBe('running')
    expect(await usageStreams()).toBe(0)

    await page.goto(`/containers/${container}`)
    await page.locator('.n-tabs-tab', { hasText: 'Usage' }).click()
    const usage = page.getByTestId('usage')
    await expect
      .poll(async () => Number(await usage.getAttribute('data-samples')), { timeout: 20_000 })
      .toBeGreaterThan(1)
    expect(await usageStreams()).toBe(1)

    // A script's token makes the app burn a CPU for a while, through kiosc's proxy.
    const { token } = await apiCall<{ token: string }>(req, 'POST', '/api/v1/tokens', { name: 'usage e2e' })
    const burn = await req.get(`/containers/proxy/${container}/burn?d=30s&n=1`, {
      headers: { Authorization: `Token ${token}` },
    })
    expect(burn.status()).toBe(200)
    const cpuNow = async () =>
      Number(/([\d.]+) % CPU/.exec((await page.getByTestId('usage-now').textContent()) ?? '')?.[1])
    await expect.poll(cpuNow, { timeout: 30_000 }).toBeGreaterThan(10)
    expect(await page.getByTestId('usage-now').textContent()).toContain('of 128 MiB')
    await screenshot(page, 'usage-charts')

    await page.goto('/')
    await expect.poll(usageStreams, { timeout: 10_000 }).toBe(0)
  }, 150_000)

  it('shows the host, what running apps reserve and use, on the Docker page', async () => {
    await page.goto('/admin/docker')
    const cpu = page.getByTestId('capacity-cpu')
    await cpu.waitFor()
    expect(await cpu.textContent()).toContain('reserved 1 CPU ')
    expect(await page.getByTestId('capacity-memory').textContent()).toContain('reserved 128 MiB')
    expect(await page.getByTestId('capacity').textContent()).toContain('Busy app')
    await screenshot(page, 'admin-capacity')
    expect(tp.errors).toEqual([])
  }, 60_000)
})

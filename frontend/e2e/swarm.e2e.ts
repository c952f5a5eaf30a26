// The Swarm runtime end to end: kiosc with KIOSC_RUNTIME=swarm, talking to the manager of a single-node swarm on a
// private Docker engine of the test's own (app/testbed/swarmengine: its own network namespace, socket, data root and
// bridge; the host's engine stays as it is), opens an app through its proxy, and the app's page talks to the app
// over a websocket tunnelled by kiosc to the port Docker published on the node. Needs root, like the Go tests.

import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiCall,
  launchBrowser,
  login,
  openPage,
  repoRoot,
  screenshot,
  startServer,
  type KioscServer,
  type TestPage,
} from './support'

interface SwarmEngine {
  /** DOCKER_HOST of the engine. */
  host: string
  /** The node's address, where apps' ports are published. */
  addr: string
  /** The test app image, loaded into the engine. */
  image: string
  stop(): Promise<void>
}

/** Builds and starts app/testbed/swarmengine and waits for the line that describes the engine. */
async function startSwarmEngine(): Promise<SwarmEngine> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kiosc-e2e-swarm-'))
  const bin = path.join(dir, 'swarmengine')
  execFileSync('go', ['build', '-o', bin, './app/testbed/swarmengine'], { cwd: repoRoot, stdio: 'inherit' })
  const child: ChildProcessWithoutNullStreams = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8')
  })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`swarm engine not ready in 3 minutes:\n${err}`)), 180_000)
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8')
      const nl = out.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        resolve(out.slice(0, nl))
      }
    })
    void exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`swarm engine exited:\n${err}`))
    })
  })
  const info = JSON.parse(line) as { host: string; addr: string; image: string }
  return {
    ...info,
    async stop() {
      child.stdin.end()
      const done = await Promise.race([exited.then(() => true), sleep(120_000).then(() => false)])
      if (!done) {
        child.kill('SIGKILL')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

describe('Swarm runtime', () => {
  let engine: SwarmEngine | undefined
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let page: Page

  beforeAll(async () => {
    engine = await startSwarmEngine()
    server = await startServer({ env: { DOCKER_HOST: engine.host, KIOSC_RUNTIME: 'swarm' } })
    browser = await launchBrowser()
    tp = await openPage(browser, server.url)
    page = tp.page
    await page.goto('/login')
    // The machine is busy with the new engine for a while: the first page may take longer than usual.
    await page.locator('input[name="username"]').waitFor({ timeout: 60_000 })
    await login(page, 'admin', server.adminPassword)
  }, 240_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    await engine?.stop()
  }, 180_000)

  it('opens an app running as a Swarm service through the proxy and talks to it over a websocket', async () => {
    const req = tp.context.request
    const project = (
      await apiCall<{ uuid: string }>(req, 'POST', '/api/v1/projects', {
        title: 'Swarm e2e',
        type: 'PROJECT',
      })
    ).uuid
    const container = (
      await apiCall<{ uuid: string }>(req, 'POST', `/api/v1/projects/${project}/containers`, {
        title: 'Echo app on Swarm',
        image: engine!.image,
        container_port: 8080,
      })
    ).uuid
    const appPath = `/containers/proxy/${container}/`

    await page.goto(`/projects/${project}`)
    await page.getByTestId('containers-section').waitFor()
    const link = page.locator(`a[href*="${appPath}"]`).first()
    await link.waitFor()
    const [tab] = await Promise.all([page.context().waitForEvent('page'), link.click()])
    page = tab
    // The lobby starts the app and goes on to it once it answers.
    await page.waitForURL((url) => url.pathname === appPath, { timeout: 120_000 })
    const out = page.locator('#out')
    await expect.poll(async () => out.textContent(), { timeout: 20_000 }).toContain('open')
    await page.locator('#msg').fill('hello through kiosc on swarm')
    await page.locator('#send').click()
    await expect
      .poll(async () => out.textContent(), { timeout: 20_000 })
      .toContain('recv: hello through kiosc on swarm')
    await screenshot(page, 'swarm-app-websocket')

    // kiosc runs it as a service of the swarm, not as a container of the host's engine, and reaches it on the
    // node's address.
    const view = await apiCall<{ state: string; docker_id: string; upstream?: string }>(
      req,
      'GET',
      `/api/v1/containers/${container}`,
    )
    expect(view.state).toBe('running')
    const services = execFileSync(
      'docker',
      ['service', 'ls', '-q', '--filter', `label=kiosc.container=${container}`],
      {
        encoding: 'utf8',
        env: { ...process.env, DOCKER_HOST: engine!.host },
      },
    )
    expect(services.trim().split('\n')).toEqual([view.docker_id.slice(0, 12)])
    const onHost = execFileSync('docker', ['ps', '-aq', '--filter', `label=kiosc.container=${container}`], {
      encoding: 'utf8',
    })
    expect(onHost.trim()).toBe('')
    expect(tp.errors).toEqual([])

    await apiCall(req, 'DELETE', `/api/v1/containers/${container}`)
    await expect
      .poll(
        () =>
          execFileSync('docker', ['service', 'ls', '-q', '--filter', `label=kiosc.container=${container}`], {
            encoding: 'utf8',
            env: { ...process.env, DOCKER_HOST: engine!.host },
          }).trim(),
        { timeout: 60_000 },
      )
      .toBe('')
  }, 240_000)
})

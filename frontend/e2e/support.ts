// Shared pieces of the browser tests: a real kiosc server on a free port with a throw-away data dir,
// Debian's Chromium driven by playwright-core, and signing in through the login page.

import { execFileSync, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import {
  chromium,
  type APIRequestContext,
  type Browser,
  type BrowserContext,
  type Page,
} from 'playwright-core'

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
export const screenshotDir = path.join(repoRoot, 'test-artifacts', 'screenshots')

const MAX_OUTPUT = 256 * 1024

/** Path of the kiosc binary under test: `KIOSC_BIN`, else `bin/kiosc` in the repository. */
export function kioscBinary(): string {
  const fromEnv = process.env.KIOSC_BIN
  return fromEnv ? path.resolve(fromEnv) : path.join(repoRoot, 'bin', 'kiosc')
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port)
        else reject(new Error('no port assigned'))
      })
    })
  })
}

export interface KioscServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string
  /** The app listener's URL (app-origin mode, the default), e.g. http://127.0.0.1:41235 */
  appUrl: string
  dataDir: string
  adminPassword: string
  /** Everything the server wrote to stdout and stderr so far (capped, across restarts). */
  output(): string
  /** Everything the server wrote to stderr so far (capped, across restarts). */
  stderr(): string
  /**
   * Stops the server and starts it again on the same port. With `wipeData` it comes back with an empty
   * data dir, so every session it knew is gone (the admin password stays the same).
   */
  restart(options?: { wipeData?: boolean }): Promise<void>
  /** Stops the server (SIGTERM, then SIGKILL) and removes its data dir. */
  stop(): Promise<void>
}

export interface StartOptions {
  /** Extra environment for the server (KIOSC_* variables of the test's choice). */
  env?: Record<string, string>
  /** Extra arguments after `serve --listen ... --data-dir ...`. */
  args?: string[]
  readyTimeoutMs?: number
  /** Port to listen on instead of a free one (for settings that name the port, such as KIOSC_PROXY_DOMAIN). */
  port?: number
}

interface Process {
  /** Ends the process: SIGTERM, then SIGKILL after 10 s. */
  kill(): Promise<void>
  /** Why it exited, or null while it runs. */
  exitInfo(): string | null
}

/**
 * Starts `kiosc serve` on a free port with a fresh data dir and a random admin password, and waits until
 * the API answers (GET /api/v1/config 200). Inherited KIOSC_* variables are dropped so the developer's own configuration
 * cannot leak into the test.
 */
export async function startServer(options: StartOptions = {}): Promise<KioscServer> {
  const bin = kioscBinary()
  if (!existsSync(bin)) {
    throw new Error(`kiosc binary not found at ${bin}: build it first (make build) or set KIOSC_BIN`)
  }
  const port = options.port ?? (await freePort())
  const url = `http://127.0.0.1:${port}`
  const appPort = await freePort()
  const appUrl = `http://127.0.0.1:${appPort}`
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kiosc-e2e-'))
  const adminPassword = randomBytes(18).toString('base64url')

  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('KIOSC_')) env[key] = value
  }
  Object.assign(env, { KIOSC_ADMIN_PASSWORD: adminPassword }, options.env)
  const args = [
    'serve',
    '--listen',
    `127.0.0.1:${port}`,
    '--app-listen',
    `127.0.0.1:${appPort}`,
    '--data-dir',
    dataDir,
    ...(options.args ?? []),
  ]

  let combined = ''
  let errText = ''
  const append = (buf: string, chunk: Buffer) => (buf + chunk.toString('utf8')).slice(-MAX_OUTPUT)

  const launch = (): Process => {
    const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', (chunk: Buffer) => {
      combined = append(combined, chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      combined = append(combined, chunk)
      errText = append(errText, chunk)
    })
    let exitInfo: string | null = null
    const exited = new Promise<void>((resolve) => {
      child.on('exit', (code, signal) => {
        exitInfo = signal ? `signal ${signal}` : `exit code ${code}`
        resolve()
      })
    })
    child.on('error', (err) => {
      exitInfo = `spawn error: ${err.message}`
    })
    return {
      exitInfo: () => exitInfo,
      async kill() {
        if (exitInfo !== null) return
        child.kill('SIGTERM')
        const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)])
        if (!done) {
          child.kill('SIGKILL')
          await exited
        }
      },
    }
  }

  const removeData = () => {
    if (!process.env.KIOSC_E2E_KEEP_DATA) rmSync(dataDir, { recursive: true, force: true })
  }

  // The instances this server ran as (a restart on wiped data is a new one), from its start-up line
  // "serving ... instance=<id>". Their Docker objects, labelled kiosc.instance=<id>, are removed once it has
  // stopped: the apps network of default-bridge mode outlives the containers, and the engine is shared.
  const instances = (): string[] => [
    ...new Set([...combined.matchAll(/serving\b.*?instance[":=]+([0-9a-f-]{36})/g)].map((m) => m[1])),
  ]
  const removeDockerObjects = () => {
    for (const id of instances()) {
      removeLabeled(`kiosc.instance=${id}`)
    }
  }

  const waitHealthy = async (proc: Process): Promise<void> => {
    const timeout = options.readyTimeoutMs ?? 20_000
    const deadline = Date.now() + timeout
    let lastError = 'no answer yet'
    for (;;) {
      const exitInfo = proc.exitInfo()
      if (exitInfo !== null) {
        throw startFailure(`kiosc exited during start-up (${exitInfo})`, errText || combined)
      }
      try {
        // /healthz answers from the first moments; the API once the start-up work is done (503 before).
        const res = await fetch(`${url}/api/v1/config`, { signal: AbortSignal.timeout(1000) })
        if (res.status === 200) return
        lastError = `GET /api/v1/config answered ${res.status}`
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err)
      }
      if (Date.now() > deadline) {
        await proc.kill()
        throw startFailure(
          `kiosc did not become healthy within ${timeout / 1000} s (${lastError})`,
          errText || combined,
        )
      }
      await sleep(100)
    }
  }

  let proc = launch()
  try {
    await waitHealthy(proc)
  } catch (err) {
    removeData()
    throw err
  }

  return {
    url,
    appUrl,
    dataDir,
    adminPassword,
    output: () => combined,
    stderr: () => errText,
    async restart({ wipeData = false } = {}) {
      await proc.kill()
      if (wipeData) {
        removeDockerObjects()
        rmSync(dataDir, { recursive: true, force: true })
        mkdirSync(dataDir, { recursive: true })
      }
      proc = launch()
      await waitHealthy(proc)
    },
    async stop() {
      await proc.kill()
      removeDockerObjects()
      removeData()
    },
  }
}

function startFailure(message: string, log: string): Error {
  console.error(`${message}\n--- kiosc stderr ---\n${log || '(empty)'}\n--- end ---`)
  return new Error(`${message}; its stderr is printed above`)
}

/** Launches Debian's Chromium (`KIOSC_CHROMIUM` overrides the path); never downloads a browser. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.KIOSC_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

export interface TestPage {
  context: BrowserContext
  page: Page
  /** Uncaught page errors and console errors seen so far (failed loads are in `failedResponses`). */
  errors: string[]
  /** Responses with status 400 and up, as "METHOD status /path". */
  failedResponses: string[]
}

/** Opens a fresh browser context (own cookies) with a desktop viewport and records page errors. */
export async function openPage(browser: Browser, baseURL: string): Promise<TestPage> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1360, height: 860 } })
  context.setDefaultTimeout(10_000)
  const page = await context.newPage()
  const errors: string[] = []
  const failedResponses: string[] = []
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`))
  page.on('console', (msg) => {
    // The browser's own "Failed to load resource" lines carry no URL; responses below say more.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
      errors.push(`console: ${msg.text()}`)
    }
  })
  page.on('response', (res) => {
    if (res.status() >= 400) {
      failedResponses.push(`${res.request().method()} ${res.status()} ${new URL(res.url()).pathname}`)
    }
  })
  return { context, page, errors, failedResponses }
}

/** Signs in through the login page (which must be showing) and waits for the app shell. */
export async function login(page: Page, username: string, password: string): Promise<void> {
  await page.locator('input[name="username"]').fill(username)
  await page.locator('input[name="password"]').fill(password)
  await page.locator('input[name="password"]').press('Enter')
  await page.getByTestId('app-header').waitFor({ state: 'visible' })
}

/** A kiosc server, a browser and a page signed in as the bootstrap superuser: how most browser tests begin. */
export interface AdminSession {
  server: KioscServer
  browser: Browser
  tp: TestPage
  page: Page
}

/** Starts kiosc and a browser and signs in as admin; what was started is stopped again if a later step fails. */
export async function startAsAdmin(options: StartOptions = {}): Promise<AdminSession> {
  const server = await startServer(options)
  let browser: Browser | null = null
  try {
    browser = await launchBrowser()
    const tp = await openPage(browser, server.url)
    await tp.page.goto('/login')
    await login(tp.page, 'admin', server.adminPassword)
    return { server, browser, tp, page: tp.page }
  } catch (err) {
    await browser?.close()
    await server.stop()
    throw err
  }
}

/** Opens the user menu and logs out, waiting for the login page. */
export async function logout(page: Page): Promise<void> {
  await page.getByTestId('user-menu').click()
  await page.getByText('Log out', { exact: true }).click()
  await page.waitForURL((url) => url.pathname === '/login')
}

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true })
  const file = path.join(screenshotDir, `${name}.png`)
  // Let transitions (menus, notifications, the route progress bar) settle.
  await page.waitForTimeout(400)
  await page.screenshot({ path: file, fullPage: true })
  return file
}

let testAppRef = ''

/**
 * The test app image: `KIOSC_TESTAPP_IMAGE`, else `kiosc-testapp:<hash of the binary>` built from the current
 * app/testbed/testapp (the same tag the Go tests use, so an unchanged app reuses their image and a changed one never
 * runs stale).
 */
export function testAppImage(): string {
  if (process.env.KIOSC_TESTAPP_IMAGE) return process.env.KIOSC_TESTAPP_IMAGE
  if (testAppRef) return testAppRef
  const arch = execFileSync('docker', ['version', '--format', '{{.Server.Arch}}'], {
    encoding: 'utf8',
  }).trim()
  const dir = mkdtempSync(path.join(tmpdir(), 'kiosc-e2e-testapp-'))
  try {
    const bin = path.join(dir, 'testapp')
    execFileSync(
      'go',
      ['build', '-trimpath', '-buildvcs=false', '-ldflags=-s -w', '-o', bin, './app/testbed/testapp'],
      {
        cwd: repoRoot,
        env: { ...process.env, CGO_ENABLED: '0', GOOS: 'linux', GOARCH: arch },
        stdio: 'inherit',
      },
    )
    const digest = createHash('sha256').update(readFileSync(bin)).digest('hex')
    const ref = `kiosc-testapp:${digest.slice(0, 16)}`
    try {
      execFileSync('docker', ['image', 'inspect', ref], { stdio: 'ignore' })
    } catch {
      writeFileSync(
        path.join(dir, 'Dockerfile'),
        'FROM scratch\nCOPY testapp /testapp\nEXPOSE 8080\nENTRYPOINT ["/testapp"]\n',
      )
      execFileSync(
        'docker',
        [
          'build',
          '-q',
          '-t',
          ref,
          '--label',
          'kiosc.test=true',
          '--label',
          `kiosc.test.sha256=${digest}`,
          dir,
        ],
        { env: { ...process.env, DOCKER_BUILDKIT: '0' }, stdio: 'inherit' },
      )
    }
    testAppRef = ref
    return ref
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Calls kiosc's API with the browser context's session cookie and CSRF token. */
export async function apiCall<T>(
  req: APIRequestContext,
  method: string,
  url: string,
  data?: unknown,
): Promise<T> {
  const me = await req.get('/api/v1/me')
  const { csrf_token: csrf } = (await me.json()) as { csrf_token: string }
  const res = await req.fetch(url, { method, data, headers: { 'X-CSRF-Token': csrf } })
  if (!res.ok()) throw new Error(`${method} ${url}: ${res.status()} ${await res.text()}`)
  return (res.status() === 204 ? undefined : await res.json()) as T
}

/** Removes the Docker containers and then the networks and volumes that carry a label (`key=value`). */
function removeLabeled(label: string): void {
  const ids = (kind: string[]) =>
    execFileSync('docker', [...kind, '-q', '--filter', `label=${label}`], { encoding: 'utf8' })
      .split('\n')
      .filter((id) => id.trim() !== '')
  try {
    const containers = ids(['ps', '-a'])
    if (containers.length > 0) execFileSync('docker', ['rm', '-f', ...containers], { stdio: 'ignore' })
    const networks = ids(['network', 'ls'])
    if (networks.length > 0) execFileSync('docker', ['network', 'rm', ...networks], { stdio: 'ignore' })
    // Volumes kiosc keeps after their container is deleted (KIOSC_REMOVE_VOLUMES_AFTER) outlive the test too.
    const volumes = ids(['volume', 'ls'])
    if (volumes.length > 0) execFileSync('docker', ['volume', 'rm', '-f', ...volumes], { stdio: 'ignore' })
  } catch (err) {
    console.error(`removing the Docker objects labelled ${label}: ${String(err)}`)
  }
}

/** The IDs of the Docker containers (running or not) that belong to a kiosc container. */
export function dockerContainersOf(uuid: string): string[] {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=kiosc.container=${uuid}`], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter((id) => id.trim() !== '')
}

/**
 * Deletes a container through the API and waits (up to 30 s) for its Docker container to go; whatever is still
 * there then is removed here, so that every test file leaves the engine clean.
 */
export async function deleteContainer(req: APIRequestContext, uuid: string): Promise<void> {
  await apiCall(req, 'DELETE', `/api/v1/containers/${uuid}`).catch(() => undefined)
  for (let i = 0; i < 60 && dockerContainersOf(uuid).length > 0; i++) await sleep(500)
  const ids = dockerContainersOf(uuid)
  if (ids.length === 0) return
  try {
    execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' })
  } catch {
    // Already being removed.
  }
}

/** The state the container page's header shows. */
export async function stateOf(page: Page): Promise<string | null> {
  return page.getByTestId('container-header').getByTestId('container-state').getAttribute('data-state')
}

/**
 * Waits until the container page shows `state`. When it does not in time, it prints what the server says of the
 * container (its record and its kiosc events) before failing, so a failure says whether the page or the server is
 * behind.
 */
export async function waitForState(
  page: Page,
  req: APIRequestContext,
  uuid: string,
  state: string,
  timeout: number,
): Promise<void> {
  const deadline = Date.now() + timeout
  let shown: string | null = null
  while (Date.now() < deadline) {
    shown = await stateOf(page)
    if (shown === state) return
    await sleep(250)
  }
  const body = async (url: string) => {
    try {
      const res = await req.get(url)
      return `${res.status()} ${await res.text()}`
    } catch (err) {
      return String(err)
    }
  }
  console.error(
    [
      `container ${uuid}: the page shows ${shown}, not ${state}, after ${timeout} ms`,
      `--- GET /api/v1/containers/${uuid} ---`,
      await body(`/api/v1/containers/${uuid}`),
      `--- GET /api/v1/containers/${uuid}/events ---`,
      await body(`/api/v1/containers/${uuid}/events`),
      '--- end ---',
    ].join('\n'),
  )
  throw new Error(
    `container ${uuid}: the page shows ${shown}, not ${state}; the server's view is printed above`,
  )
}

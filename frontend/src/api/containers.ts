// Typed client of the container endpoints (SPEC 5.1, 8) and the pure helpers the container pages share:
// memory units, which actions a state allows, and the environment editor's request payload.
import { api, type ApiClient } from './client'
import type { Container, ContainerState, Page } from './types'

/** How kiosc pulls a container's image. */
export type PullPolicy = 'if-missing' | 'always'

/** A container as the API returns it, with the fields the shared wire type does not list. */
export interface ContainerInfo extends Omit<Container, 'docker_id' | 'docker_state' | 'desired_state'> {
  docker_id: string | null
  docker_state: string | null
  desired_state: string
  pull_policy: PullPolicy
  has_registry_auth: boolean
  retries: number
}

/** Credentials for a private registry (write-only). */
export interface RegistryAuth {
  username: string
  password: string
}

/** Writable fields of `POST /projects/<uuid>/containers` and `PATCH /containers/<uuid>`; absent ones stay. */
export interface ContainerInput {
  title?: string
  description?: string
  image?: string
  command?: string
  environment?: Record<string, string>
  /** Replaces the given secret keys; null removes a key. */
  secret_environment?: Record<string, string | null>
  container_port?: number
  container_path?: string
  heartbeat_url?: string
  strip_prefix?: boolean
  startup_timeout?: number
  max_idle?: number
  max_lifetime?: number
  memory_limit?: number
  cpu_limit?: number
  pids_limit?: number
  max_retries?: number
  pull_policy?: PullPolicy
  /** null removes stored credentials. */
  registry_auth?: RegistryAuth | null
  template?: string
}

/** One stored or streamed log line. */
export interface ContainerLogLine {
  time: string
  stream: 'stdout' | 'stderr' | string
  line: string
}

/** A kiosc event about a container (what kiosc did, not what the app logged). */
export interface ContainerEvent {
  time: string
  level: 'info' | 'warning' | 'error' | string
  message: string
  username: string
}

/** Progress of a job step, e.g. bytes of an image pull. */
export interface StepProgress {
  current: number
  total: number
  percent: number
}

/** A background operation on a container. */
export interface ContainerJob {
  uuid: string
  action: string
  state: string
  step: string | null
  message: string
  progress: StepProgress | null
  username: string
  created_at: string
  finished_at: string | null
}

/** Payload of a `job.progress` live message. */
export interface JobProgressUpdate {
  container: string
  job?: string
  action?: string
  step: string
  message?: string
  progress?: Partial<StepProgress> | null
}

/** Filters of the site-wide list. */
export interface ContainerListQuery {
  state?: ContainerState | ''
  project?: string
  limit?: number
  offset?: number
}

/** Actions answered with 202 and the container. */
export type ContainerAction = 'start' | 'stop' | 'restart' | 'pause' | 'unpause' | 'open'

/** Permissions of the signed-in user in a project, as the project API reports them. */
export interface ProjectPermissions {
  view_project: boolean
  open_app: boolean
  view_container: boolean
  view_logs: boolean
  manage_containers: boolean
  manage_templates: boolean
  manage_roles: boolean
  manage_project: boolean
}

/** The part of a project the container pages use. */
export interface ProjectRef {
  uuid: string
  title: string
  type: 'PROJECT' | 'CATEGORY'
  role: string | null
  permissions: ProjectPermissions
}

const enc = encodeURIComponent

/** The container API on a client (the app's by default). */
export function containersApi(client: ApiClient = api) {
  const base = (uuid: string) => `/api/v1/containers/${enc(uuid)}`
  return {
    listProject: (project: string) =>
      client.get<Page<ContainerInfo>>(`/api/v1/projects/${enc(project)}/containers`, {
        query: { limit: 500 },
      }),
    list: (q: ContainerListQuery = {}) =>
      client.get<Page<ContainerInfo>>('/api/v1/containers', {
        query: {
          state: q.state || undefined,
          project: q.project || undefined,
          limit: q.limit,
          offset: q.offset,
        },
      }),
    get: (uuid: string) => client.get<ContainerInfo>(base(uuid)),
    create: (project: string, input: ContainerInput) =>
      client.post<ContainerInfo>(`/api/v1/projects/${enc(project)}/containers`, input),
    update: (uuid: string, input: ContainerInput) => client.patch<ContainerInfo>(base(uuid), input),
    remove: (uuid: string) => client.delete<ContainerInfo>(base(uuid)),
    action: (uuid: string, action: ContainerAction) => client.post<ContainerInfo>(`${base(uuid)}/${action}`),
    logs: (uuid: string, tail = 500) =>
      client.get<{ items: ContainerLogLine[] }>(`${base(uuid)}/logs`, { query: { tail } }),
    events: (uuid: string, limit = 200) =>
      client.get<Page<ContainerEvent>>(`${base(uuid)}/events`, { query: { limit } }),
    jobs: (uuid: string, limit = 50) =>
      client.get<Page<ContainerJob>>(`${base(uuid)}/jobs`, { query: { limit } }),
    project: (uuid: string) => client.get<ProjectRef>(`/api/v1/projects/${enc(uuid)}`),
    projects: () => client.get<Page<ProjectRef>>('/api/v1/projects', { query: { limit: 500 } }),
  }
}

/** The app's container API. */
export const containers = containersApi()

/** WebSocket URL of a container's live log stream. */
export function logStreamUrl(uuid: string, tail: number, loc: Location = window.location): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${loc.host}/api/v1/containers/${enc(uuid)}/logs/stream?tail=${tail}`
}

// ---- States and actions ----

/** Every observed state, in lifecycle order. */
export const CONTAINER_STATES: ContainerState[] = [
  'initial',
  'pulling',
  'creating',
  'starting',
  'running',
  'stopping',
  'stopped',
  'exited',
  'failed',
  'paused',
  'deleting',
  'deleted',
  'not_found',
  'unknown',
]

/** States in which kiosc is working towards another state. */
export const TRANSITIONAL: ReadonlySet<string> = new Set([
  'pulling',
  'creating',
  'starting',
  'stopping',
  'deleting',
])

const STARTABLE = new Set(['initial', 'stopped', 'exited', 'failed', 'not_found', 'unknown'])
const STOPPABLE = new Set(['pulling', 'creating', 'starting', 'running', 'paused', 'unknown'])
const RESTARTABLE = new Set(['starting', 'running', 'exited', 'failed'])

/** Whether an action makes sense in a state (permissions are checked separately). */
export function actionAllowed(action: ContainerAction | 'edit' | 'delete', state: string): boolean {
  switch (action) {
    case 'start':
      return STARTABLE.has(state)
    case 'stop':
      return STOPPABLE.has(state)
    case 'restart':
      return RESTARTABLE.has(state)
    case 'pause':
      return state === 'running'
    case 'unpause':
      return state === 'paused'
    case 'open':
    case 'edit':
    case 'delete':
      return state !== 'deleting' && state !== 'deleted'
  }
}

/** Human words for a state_reason (SPEC 5.2). */
export function reasonLabel(reason: string): string {
  const words: Record<string, string> = {
    user: 'by a user',
    idle: 'idle for too long',
    max_lifetime: 'reached its maximum lifetime',
    maintenance: 'maintenance',
    crashed: 'crashed',
    oom_killed: 'out of memory',
    pull_failed: 'image pull failed',
    create_failed: 'could not be created',
    start_failed: 'could not be started',
    startup_timeout: 'did not become ready in time',
  }
  return words[reason] ?? reason.replace(/_/g, ' ')
}

/** A state for people ("not_found" → "not found"). */
export function stateLabel(state: string): string {
  return state.replace(/_/g, ' ')
}

// ---- Memory units ----

export const MIB = 1024 * 1024
export const GIB = 1024 * MIB

/** Units the limits form offers for memory. */
export type MemoryUnit = 'MiB' | 'GiB'

/** Bytes for an amount in a unit, rounded to whole bytes; 0 for empty or negative input (site default). */
export function toBytes(amount: number | null | undefined, unit: MemoryUnit): number {
  if (amount === null || amount === undefined || !Number.isFinite(amount) || amount <= 0) return 0
  return Math.round(amount * (unit === 'GiB' ? GIB : MIB))
}

/** The most readable amount and unit for a byte count: GiB when it is a whole number of them, else MiB. */
export function fromBytes(bytes: number | null | undefined): { amount: number | null; unit: MemoryUnit } {
  if (!bytes || bytes <= 0) return { amount: null, unit: 'GiB' }
  if (bytes % GIB === 0 || bytes >= 64 * GIB) return { amount: round(bytes / GIB, 3), unit: 'GiB' }
  return { amount: round(bytes / MIB, 2), unit: 'MiB' }
}

/** A byte count for people ("512 MiB", "2 GiB"), or the fallback for 0/null. */
export function formatBytes(bytes: number | null | undefined, fallback = 'site default'): string {
  const { amount, unit } = fromBytes(bytes)
  return amount === null ? fallback : `${amount} ${unit}`
}

function round(n: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

/** A duration in seconds for people ("90 s", "15 min", "2 h 30 min"), or the fallback for 0. */
export function formatSeconds(seconds: number | null | undefined, fallback = 'site default'): string {
  if (!seconds || seconds <= 0) return fallback
  if (seconds < 120) return `${seconds} s`
  const d = Math.floor(seconds / 86400)
  const h = Math.floor((seconds % 86400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  const parts: string[] = []
  if (d) parts.push(`${d} d`)
  if (h) parts.push(`${h} h`)
  if (m) parts.push(`${m} min`)
  if (s && !d) parts.push(`${s} s`)
  return parts.join(' ')
}

// ---- Environment editor ----

/** One row of the environment editor. */
export interface EnvRow {
  id: number
  key: string
  value: string
  secret: boolean
  /** The key is an existing secret: its value is never shown, only replaced or removed. */
  stored: boolean
  /** For stored secrets: keep the value, replace it with `value`, or remove the key. */
  action: 'keep' | 'replace' | 'remove'
}

let rowSeq = 0

/** A new empty row. */
export function newEnvRow(secret = false): EnvRow {
  return { id: ++rowSeq, key: '', value: '', secret, stored: false, action: 'keep' }
}

/** Editor rows for a container: its plain variables, then its secret keys (values are write-only). */
export function envRowsFrom(
  environment: Record<string, string> | null | undefined,
  secretKeys: string[] | null | undefined,
): EnvRow[] {
  const rows: EnvRow[] = Object.entries(environment ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ({
      id: ++rowSeq,
      key,
      value,
      secret: false,
      stored: false,
      action: 'keep' as const,
    }))
  for (const key of [...(secretKeys ?? [])].sort()) {
    rows.push({ id: ++rowSeq, key, value: '', secret: true, stored: true, action: 'keep' })
  }
  return rows
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** What the environment editor sends. */
export interface EnvPayload {
  environment: Record<string, string>
  /** Only present keys change; null removes one. Empty when no secret changes. */
  secret_environment: Record<string, string | null>
  /**
   * Stored secret keys that become plain variables. The API refuses a key in both maps of one request,
   * so these are removed from the secrets in a request of their own first.
   */
  secretsToDropFirst: string[]
  /** Problems by row id. */
  errors: Record<number, string>
}

/**
 * Builds the request fields from the editor rows. `storedSecrets` are the secret keys the container has
 * now; a stored secret whose row was deleted is removed.
 */
export function envPayload(rows: EnvRow[], storedSecrets: string[] = []): EnvPayload {
  const environment: Record<string, string> = {}
  const secret: Record<string, string | null> = {}
  const errors: Record<number, string> = {}
  const seen = new Map<string, number>()
  for (const row of rows) {
    const key = row.key.trim()
    if (key === '') {
      if (!row.stored && row.value !== '') errors[row.id] = 'Name required'
      continue
    }
    if (!ENV_NAME.test(key)) {
      errors[row.id] = 'Letters, digits and _, not starting with a digit'
      continue
    }
    if (key.startsWith('KIOSC_')) {
      errors[row.id] = 'KIOSC_* variables are set by kiosc'
      continue
    }
    if (seen.has(key)) {
      errors[row.id] = `${key} is listed twice`
      continue
    }
    seen.set(key, row.id)
    if (row.stored) {
      if (row.action === 'remove') secret[key] = null
      else if (row.action === 'replace') {
        if (row.value === '') errors[row.id] = 'Enter the new value, or keep the current one'
        else secret[key] = row.value
      }
    } else if (row.secret) {
      secret[key] = row.value
    } else {
      environment[key] = row.value
    }
  }
  for (const key of storedSecrets) {
    const row = rows.find((r) => r.stored && r.key === key)
    if (!row && !(key in secret)) secret[key] = null
  }
  // A stored secret turned into a plain variable (its row removed, a plain row with the key added).
  const secretsToDropFirst: string[] = []
  for (const key of storedSecrets) {
    if (key in environment && secret[key] === null) {
      secretsToDropFirst.push(key)
      delete secret[key]
    }
  }
  return { environment, secret_environment: secret, secretsToDropFirst, errors }
}

/**
 * The row an API field error belongs to: `environment.FOO` and `secret_environment.FOO` map to the row
 * whose key is FOO.
 */
export function envErrorsByRow(rows: EnvRow[], fields: Record<string, string>): Record<number, string> {
  const out: Record<number, string> = {}
  for (const [field, message] of Object.entries(fields)) {
    const m = /^(?:secret_)?environment\.(.+)$/.exec(field)
    if (!m) continue
    const row = rows.find((r) => r.key.trim() === m[1])
    if (row) out[row.id] = message
  }
  return out
}

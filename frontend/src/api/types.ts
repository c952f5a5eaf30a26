// Wire types of kiosc's REST API v1 and its live-update websocket. Field names follow the API exactly.

/** Where a user account comes from. */
export type UserSource = 'local' | 'oidc' | 'sodar'

/** A kiosc user as returned by `/api/v1/me` and the users API. */
export interface User {
  username: string
  name: string
  email: string
  is_superuser: boolean
  is_active: boolean
  source: UserSource
  created_at: string
  last_login_at: string | null
}

/** Answer of `GET /api/v1/me` and `POST /api/v1/auth/login`. */
export interface SessionInfo {
  user: User
  csrf_token: string
}

/** Answer of `POST /api/v1/auth/logout`: where to send the browser for provider logout, if anywhere. */
export interface LogoutResult {
  logout_url: string | null
}

/** Public site configuration from `GET /api/v1/config`. */
export interface SiteConfig {
  version: string
  local_login: boolean
  oidc: {
    enabled: boolean
    login_url: string
    name: string
  }
  proxy_domain: string
}

/** The error envelope every failing API call answers with. */
export interface ApiErrorBody {
  error: {
    code: string
    message: string
    fields?: Record<string, string>
  }
}

/** A paginated list. */
export interface Page<T> {
  items: T[]
  total: number
}

/** Observed container states (SPEC 5.2). */
export type ContainerState =
  | 'initial'
  | 'pulling'
  | 'creating'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'exited'
  | 'failed'
  | 'paused'
  | 'deleting'
  | 'deleted'
  | 'not_found'
  | 'unknown'

/** What users asked a container to be. */
export type DesiredState = 'running' | 'stopped' | 'paused'

/** A container as returned by the API (SPEC 5.1). Write-only fields never appear here. */
export interface Container {
  uuid: string
  project: string
  title: string
  description: string
  image: string
  command: string
  environment: Record<string, string>
  secret_environment_keys: string[]
  container_port: number
  container_path: string
  heartbeat_url: string
  strip_prefix: boolean
  startup_timeout: number
  max_idle: number
  max_lifetime: number
  memory_limit: number | null
  cpu_limit: number | null
  pids_limit: number | null
  max_retries: number
  template: string | null
  state: ContainerState
  state_reason: string
  state_message: string
  /** Docker's own message of a failed pull, create or start (state_message tells it in words). */
  state_detail?: string
  desired_state: DesiredState
  docker_id: string
  docker_state: string
  exit_code: number | null
  oom_killed: boolean
  host_port: number | null
  ready_at: string | null
  started_at: string | null
  stopped_at: string | null
  last_access_at: string | null
  restart_pending: boolean
  proxy_url: string
  created_by: string
  created_at: string
  updated_at: string
}

/** Progress of a background job on a container (image pull, create, start, probe). */
export interface JobProgress {
  container: string
  step: string
  [key: string]: unknown
}

/** Status of a timeline event. */
export type TimelineStatus = 'OK' | 'FAILED' | 'INFO'

/** One entry of the timeline (SPEC 12). */
export interface TimelineEvent {
  time: string
  project: string | null
  user: string
  event_name: string
  description: string
  status: TimelineStatus
  object_type: string
  object_uuid: string
  extra_data?: Record<string, unknown>
}

/** Payloads of the messages pushed on `/api/v1/ws`, by message type. */
export interface LiveEventMap {
  hello: Record<string, unknown>
  'container.state': Container
  'job.progress': JobProgress
  'timeline.event': TimelineEvent
}

/** A message type pushed on `/api/v1/ws`. */
export type LiveEventType = keyof LiveEventMap

/** Configuration fields a template carries and a diff may list (SPEC 10); the title is never compared. */
export type TemplateField =
  | 'description'
  | 'image'
  | 'command'
  | 'environment'
  | 'container_port'
  | 'container_path'
  | 'heartbeat_url'
  | 'strip_prefix'
  | 'startup_timeout'
  | 'max_idle'
  | 'max_lifetime'
  | 'memory_limit'
  | 'cpu_limit'
  | 'pids_limit'
  | 'max_retries'
  | 'pull_policy'

/** A site template (`project` null) or project template; never holds secrets or registry credentials. */
export interface Template {
  uuid: string
  project: string | null
  /** The site template a project template was copied from, null when none. */
  site_template: string | null
  title: string
  description: string
  image: string
  command: string
  environment: Record<string, string>
  container_port: number
  container_path: string
  heartbeat_url: string
  strip_prefix: boolean
  startup_timeout: number
  max_idle: number
  max_lifetime: number
  memory_limit: number
  cpu_limit: number
  pids_limit: number
  max_retries: number
  pull_policy: 'if-missing' | 'always'
  created_by: string
  created_at: string
  updated_at: string
}

/** One field that differs from the upstream template. */
export interface TemplateFieldDiff {
  field: TemplateField
  current: unknown
  upstream: unknown
}

/** Answer of the diff endpoints: the upstream template (null when none) and the differing fields. */
export interface TemplateDiff {
  upstream: { uuid: string; title: string; project: string | null; updated_at: string } | null
  fields: TemplateFieldDiff[]
}

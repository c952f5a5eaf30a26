// Typed client of the template endpoints (SPEC 8, 10) and the helpers the template pages share: field labels
// and how a field's value reads in a diff.
import { api, type ApiClient } from './client'
import type { ContainerInfo } from './containers'
import { formatBytes, formatSeconds } from './containers'
import type { Page, Template, TemplateDiff, TemplateField } from './types'

/** Writable template fields; absent ones stay unchanged on PATCH. Title and image are required on create. */
export type TemplateInput = Partial<Pick<Template, 'title' | TemplateField>>

const enc = encodeURIComponent

/** The template API on a client (the app's by default). */
export function templatesApi(client: ApiClient = api) {
  const base = (uuid: string) => `/api/v1/templates/${enc(uuid)}`
  return {
    /** Site templates (`project` undefined or null) or the templates of a project. */
    list: (project?: string | null) =>
      client.get<Page<Template>>(
        project ? `/api/v1/projects/${enc(project)}/templates` : '/api/v1/templates',
        {
          query: { limit: 500 },
        },
      ),
    get: (uuid: string) => client.get<Template>(base(uuid)),
    create: (project: string | null, input: TemplateInput) =>
      client.post<Template>(
        project ? `/api/v1/projects/${enc(project)}/templates` : '/api/v1/templates',
        input,
      ),
    update: (uuid: string, input: TemplateInput) => client.patch<Template>(base(uuid), input),
    remove: (uuid: string) => client.delete<void>(base(uuid)),
    /** Copies into a project, or into the site templates with `project` null. */
    copy: (uuid: string, project: string | null, title?: string) =>
      client.post<Template>(`${base(uuid)}/copy`, title ? { project, title } : { project }),
    diff: (uuid: string) => client.get<TemplateDiff>(`${base(uuid)}/diff`),
    apply: (uuid: string, fields: TemplateField[]) =>
      client.post<Template>(`${base(uuid)}/apply`, { fields }),
    containerDiff: (uuid: string) => client.get<TemplateDiff>(`/api/v1/containers/${enc(uuid)}/diff`),
    containerApply: (uuid: string, fields: TemplateField[], restart = false) =>
      client.post<ContainerInfo>(`/api/v1/containers/${enc(uuid)}/apply`, { fields, restart }),
  }
}

/** The app's template API. */
export const templates = templatesApi()

/** Labels of the template fields, in the order the pages show them. */
export const FIELD_LABELS: Record<TemplateField, string> = {
  description: 'Description',
  image: 'Image',
  command: 'Command',
  environment: 'Environment',
  container_port: 'Port',
  container_path: 'App path',
  heartbeat_url: 'Readiness probe',
  strip_prefix: 'Strip prefix',
  startup_timeout: 'Startup timeout',
  max_idle: 'Stop when idle for',
  max_lifetime: 'Maximum run time',
  memory_limit: 'Memory',
  cpu_limit: 'CPUs',
  pids_limit: 'Processes',
  max_retries: 'Restarts after a crash',
  pull_policy: 'Pull policy',
}

/** A field's value for people, as a diff shows it. */
export function formatFieldValue(field: TemplateField, value: unknown): string {
  switch (field) {
    case 'environment': {
      const env = (value ?? {}) as Record<string, string>
      const keys = Object.keys(env).sort()
      return keys.length ? keys.map((k) => `${k}=${env[k]}`).join('\n') : '(none)'
    }
    case 'memory_limit':
      return formatBytes(value as number)
    case 'startup_timeout':
    case 'max_idle':
    case 'max_lifetime':
      return formatSeconds(value as number)
    case 'cpu_limit':
    case 'pids_limit':
      return value ? String(value) : 'site default'
    case 'strip_prefix':
      return value ? 'yes' : 'no'
    default:
      return value === '' || value === null || value === undefined ? '(empty)' : String(value)
  }
}

/** Environment text, one NAME=value per line, as the template form edits it. */
export function envToText(env: Record<string, string> | null | undefined): string {
  return Object.keys(env ?? {})
    .sort()
    .map((k) => `${k}=${env![k]}`)
    .join('\n')
}

/** Parses environment text; `error` names the first bad line. */
export function envFromText(text: string): { env: Record<string, string>; error: string | null } {
  const env: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (!line || line.startsWith('#')) continue
    const eq = line.indexOf('=')
    const key = eq < 0 ? line : line.slice(0, eq).trim()
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
      return { env, error: `Line ${i + 1}: write NAME=value (letters, digits and _ in the name)` }
    if (key in env) return { env, error: `Line ${i + 1}: ${key} is listed twice` }
    env[key] = line.slice(eq + 1)
  }
  return { env, error: null }
}

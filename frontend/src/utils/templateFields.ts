// The template fields for people: their labels and how a field's value reads in a diff.
import type { TemplateField, VolumeMount } from '@/api/types'
import { formatMemoryLimit, formatSeconds } from './units'

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
  volumes: 'Volumes',
  user: 'Run as user',
  read_only_rootfs: 'Read-only root file system',
  access: 'Who may open it',
  placement: 'Placement on Swarm',
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
      return formatMemoryLimit(value as number)
    case 'startup_timeout':
    case 'max_idle':
    case 'max_lifetime':
      return formatSeconds(value as number)
    case 'cpu_limit':
    case 'pids_limit':
      return value ? String(value) : 'site default'
    case 'volumes': {
      const vols = (value ?? []) as VolumeMount[]
      return vols.length
        ? vols
            .map((v) => `${v.name} at ${v.mount_path} (${v.scope}${v.read_only ? ', read-only' : ''})`)
            .join('\n')
        : '(none)'
    }
    case 'user':
      return value ? String(value) : 'site default'
    case 'placement':
      return value ? String(value) : 'any node'
    case 'strip_prefix':
    case 'read_only_rootfs':
      return value ? 'yes' : 'no'
    default:
      return value === '' || value === null || value === undefined ? '(empty)' : String(value)
  }
}

/**
 * The two sides of a diff row as people read them. For the environment only the variables that differ are listed
 * (a variable missing on one side reads "not set"), not the whole environment twice.
 */
export function diffSides(
  field: TemplateField,
  current: unknown,
  upstream: unknown,
): { here: string; there: string } {
  if (field !== 'environment') {
    return { here: formatFieldValue(field, current), there: formatFieldValue(field, upstream) }
  }
  const a = (current ?? {}) as Record<string, string>
  const b = (upstream ?? {}) as Record<string, string>
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort()
  const side = (env: Record<string, string>) =>
    keys.map((k) => (k in env ? `${k}=${env[k]}` : `${k} not set`)).join('\n') || '(none)'
  return { here: side(a), there: side(b) }
}

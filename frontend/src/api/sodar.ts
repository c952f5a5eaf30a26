// Typed calls for the SODAR target-site administration (REST API v1, superusers only).
import { api, type ApiClient } from './client'
import type { Page } from './types'

/** What one sync run did to one kind of object. */
export interface SodarCounts {
  created: number
  updated: number
  removed: number
  skipped: number
}

/** Kinds of objects a sync mirrors. */
export type SodarKind = 'category' | 'project' | 'user' | 'role'

/** A note about one payload entry: why it was skipped (`error`) or something unusual about it. */
export interface SodarMessage {
  level: 'error' | 'warning' | 'info'
  kind: SodarKind | 'payload'
  uuid?: string
  name?: string
  message: string
}

/** One synchronisation with the SODAR source site. */
export interface SodarRun {
  id: number
  uuid: string
  /** `start`, `interval`, `ui` (a signed-in superuser) or `api` (an API token). */
  trigger: string
  user: string
  started_at: string
  finished_at: string | null
  status: 'running' | 'ok' | 'partial' | 'failed'
  /** Sync API version SODAR accepted; empty when the fetch failed. */
  version: string
  counts: Partial<Record<SodarKind, SodarCounts>>
  totals: SodarCounts
  messages: SodarMessage[]
  error: string
}

/** Answer of `GET /api/v1/admin/sodar`. */
export interface SodarStatus {
  enabled: boolean
  /** Source site URL, never with the secret. */
  url: string | null
  interval_seconds: number | null
  default_owner: string | null
  version: string | null
  running: boolean
  last_run: SodarRun | null
}

/** The SODAR administration API, bound to a client (the app's one by default). */
export function sodarApi(client: ApiClient = api) {
  return {
    status: () => client.get<SodarStatus>('/api/v1/admin/sodar'),
    runs: (query: { limit?: number; offset?: number } = {}) =>
      client.get<Page<SodarRun>>('/api/v1/admin/sodar/runs', { query: { ...query } }),
    /** Runs a sync now and resolves with its result; rejects with 409 `sync_running` or `sodar_disabled`. */
    sync: () => client.post<SodarRun>('/api/v1/admin/sodar/sync'),
  }
}

/** The SODAR API on the app's client. */
export const sodar = sodarApi()

/** Human-readable interval ("5 min", "1 h 30 min", "45 s"). */
export function formatInterval(seconds: number | null): string {
  if (seconds === null || seconds <= 0) return '–'
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  const parts: string[] = []
  if (h) parts.push(`${h} h`)
  if (m) parts.push(`${m} min`)
  if (s || parts.length === 0) parts.push(`${s} s`)
  return parts.join(' ')
}

// Typed calls for the SODAR target-site administration (REST API v1, superusers only).
import { api, type ApiClient } from './client'
import type { Page, SodarRun, SodarStatus } from './types'

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

// Typed calls for the Docker overview and the maintenance tasks (REST API v1, superusers only).
import { api, type ApiClient } from './client'
import type {
  Capacity,
  DockerOverview,
  MaintenanceResult,
  MaintenanceTask,
  MaintenanceTaskName,
  Page,
} from './types'

/** The admin Docker and maintenance API, bound to a client (the app's one by default). */
export function adminApi(client: ApiClient = api) {
  return {
    docker: () => client.get<DockerOverview>('/api/v1/admin/docker'),
    /** The host's CPUs and memory, what active apps reserve by their limits and use now (takes about a second). */
    capacity: () => client.get<Capacity>('/api/v1/admin/capacity'),
    tasks: () => client.get<Page<MaintenanceTask>>('/api/v1/admin/maintenance'),
    /** Runs a task now; resolves when the containers have settled, with what was done. */
    run: (task: MaintenanceTaskName) =>
      client.post<MaintenanceResult>(`/api/v1/admin/maintenance/${encodeURIComponent(task)}`),
  }
}

/** The admin API on the app's client. */
export const admin = adminApi()

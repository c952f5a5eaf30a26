// Typed calls for the Docker overview and the maintenance tasks (REST API v1, superusers only).
import { api, type ApiClient } from './client'
import type { Page } from './types'

/** A kiosc container that uses a Docker object. */
export interface ContainerRef {
  uuid: string
  title: string
  project: string
  project_title: string
}

/** A container kiosc has a record of, with what Docker says about it. */
export interface KnownContainer extends ContainerRef {
  image: string
  state: string
  state_reason: string
  desired_state: string
  docker_id: string | null
  docker_name: string
  /** Docker's state, `missing` when the Docker container kiosc expects is gone, `none` when it has none. */
  docker_state: string
  /** Docker's human status, e.g. "Up 5 minutes". */
  docker_status: string
  missing: boolean
  networks: string[]
}

/** A Docker container without a record of this kiosc instance. */
export interface DockerContainer {
  id: string
  name: string
  image: string
  state: string
  status: string
  created: string
  /** Instance ID of the kiosc that manages it; empty when no kiosc does. */
  kiosc_instance: string
  kiosc_container: string
  networks: string[]
}

/** A Docker network with the kiosc containers attached to it. */
export interface DockerNetwork {
  id: string
  name: string
  driver: string
  scope: string
  internal: boolean
  created: string
  /** Created by this kiosc instance (its apps network, and one per container in private-bridges mode). */
  kiosc: boolean
  /** This instance's apps network, which every container shares in default-bridge mode. */
  shared: boolean
  kiosc_instance: string
  docker_containers: number
  containers: ContainerRef[]
}

/** A Docker volume with the kiosc containers that mount it. */
export interface DockerVolume {
  name: string
  driver: string
  mountpoint: string
  created: string | null
  docker_containers: number
  containers: ContainerRef[]
}

/** A local image with the kiosc containers that run it or are configured with it. */
export interface DockerImage {
  id: string
  tags: string[]
  size: number
  created: string
  dangling: boolean
  docker_containers: number
  containers: ContainerRef[]
}

/** Answer of `GET /api/v1/admin/docker`. */
export interface DockerOverview {
  instance: string
  containers: KnownContainer[]
  /** Docker containers labelled for this instance without a record; the next resync removes them. */
  orphaned: DockerContainer[]
  unmanaged: DockerContainer[]
  networks: DockerNetwork[]
  volumes: DockerVolume[]
  images: DockerImage[]
}

/** Names of the maintenance tasks (SPEC 13). */
export type MaintenanceTaskName = 'cleanup-unused' | 'remove-stopped' | 'stop-all' | 'stop-idle'

/** The tasks, in the order the page shows them. */
export const MAINTENANCE_TASKS: MaintenanceTaskName[] = [
  'cleanup-unused',
  'remove-stopped',
  'stop-all',
  'stop-idle',
]

/** One object a maintenance task acted on. */
export interface MaintenanceItem {
  kind: 'container' | 'network' | 'image'
  /** The container's uuid, or the Docker ID of a network or image. */
  id: string
  name: string
  project?: string
  /** The container's state when the task answered. */
  state?: string
  reason?: string
  size?: number
  error?: string
}

/** What a maintenance task did. */
export interface MaintenanceResult {
  task: MaintenanceTaskName
  user: string
  started_at: string
  finished_at: string
  count: number
  failed: number
  summary: string
  items: MaintenanceItem[]
}

/** A maintenance task with its schedule and last run. */
export interface MaintenanceTask {
  name: MaintenanceTaskName
  description: string
  schedule: string
  next_run: string | null
  last_run: MaintenanceResult | null
}

/** The admin Docker and maintenance API, bound to a client (the app's one by default). */
export function adminApi(client: ApiClient = api) {
  return {
    docker: () => client.get<DockerOverview>('/api/v1/admin/docker'),
    tasks: () => client.get<Page<MaintenanceTask>>('/api/v1/admin/maintenance'),
    /** Runs a task now; resolves when the containers have settled, with what was done. */
    run: (task: MaintenanceTaskName) =>
      client.post<MaintenanceResult>(`/api/v1/admin/maintenance/${encodeURIComponent(task)}`),
  }
}

/** The admin API on the app's client. */
export const admin = adminApi()

/** Human-readable size with a binary unit ("1.5 GiB", "312 KiB", "12 B"). */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let i = 0
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024
    i++
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[i]}`
}

/** A Docker ID shortened like `docker ps` shows it. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12)
}

// Typed client of the container endpoints (SPEC 5.1, 8).
import { api, type ApiClient } from './client'
import type {
  Container,
  ContainerEvent,
  ContainerInput,
  ContainerItem,
  ContainerJob,
  ContainerLogLines,
  ContainerState,
  ImageFacts,
  Page,
  Project,
} from './types'

/** Filters of the site-wide list. */
export interface ContainerListQuery {
  state?: ContainerState | ''
  project?: string
  limit?: number
  offset?: number
}

/** Actions answered with 202 and the container. */
export type ContainerAction = 'start' | 'stop' | 'restart' | 'pause' | 'unpause' | 'open' | 'update'

const enc = encodeURIComponent

/** The container API on a client (the app's by default). */
export function containersApi(client: ApiClient = api) {
  const base = (uuid: string) => `/api/v1/containers/${enc(uuid)}`
  return {
    /** A project's containers: summaries where the caller is a viewer there. */
    listProject: (project: string) =>
      client.get<Page<ContainerItem>>(`/api/v1/projects/${enc(project)}/containers`, {
        query: { limit: 500 },
      }),
    /** Containers of all the caller's projects: summaries in projects where the caller is a viewer. */
    list: (q: ContainerListQuery = {}) =>
      client.get<Page<ContainerItem>>('/api/v1/containers', {
        query: {
          state: q.state || undefined,
          project: q.project || undefined,
          limit: q.limit,
          offset: q.offset,
        },
      }),
    get: (uuid: string) => client.get<Container>(base(uuid)),
    create: (project: string, input: ContainerInput) =>
      client.post<Container>(`/api/v1/projects/${enc(project)}/containers`, input),
    update: (uuid: string, input: ContainerInput) => client.patch<Container>(base(uuid), input),
    /** Deletes the container; its own volumes are kept (for the site's retention time) unless `volumes` is delete. */
    remove: (uuid: string, volumes: 'keep' | 'delete' = 'keep') =>
      client.delete<Container>(base(uuid), { query: { volumes } }),
    /** Answers the container as the caller's role shows it (viewers may open apps). */
    action: (uuid: string, action: ContainerAction) => client.post<ContainerItem>(`${base(uuid)}/${action}`),
    /** Asks the registry for a newer image under the tag; answers the container with the outcome. */
    checkUpdate: (uuid: string) => client.post<Container>(`${base(uuid)}/check-update`),
    logs: (uuid: string, tail = 500) =>
      client.get<ContainerLogLines>(`${base(uuid)}/logs`, { query: { tail } }),
    events: (uuid: string, limit = 200) =>
      client.get<Page<ContainerEvent>>(`${base(uuid)}/events`, { query: { limit } }),
    jobs: (uuid: string, limit = 50) =>
      client.get<Page<ContainerJob>>(`${base(uuid)}/jobs`, { query: { limit } }),
    /** What the Docker host knows about an image (exposed ports, working dir), without pulling it. */
    inspectImage: (image: string) => client.get<ImageFacts>('/api/v1/images/inspect', { query: { image } }),
    project: (uuid: string) => client.get<Project>(`/api/v1/projects/${enc(uuid)}`),
    projects: () => client.get<Page<Project>>('/api/v1/projects', { query: { limit: 500 } }),
  }
}

/** The app's container API. */
export const containers = containersApi()

/** WebSocket URL of a container's live usage stream. */
export function usageStreamUrl(uuid: string, loc: Location = window.location): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${loc.host}/api/v1/containers/${enc(uuid)}/usage/stream`
}

/** WebSocket URL of a container's live log stream. */
export function logStreamUrl(uuid: string, tail: number, loc: Location = window.location): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${loc.host}/api/v1/containers/${enc(uuid)}/logs/stream?tail=${tail}`
}

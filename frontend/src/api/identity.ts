// Typed calls for users, API tokens, projects, roles and the timeline (REST API v1).
import { api, type ApiClient } from './client'
import type {
  ApiToken,
  AssignableRole,
  Candidate,
  CreatedToken,
  Member,
  Page,
  Project,
  ProjectCreate,
  ProjectPatch,
  SessionInfo,
  TimelineEvent,
  TimelineFacets,
  User,
  UserCreate,
  UserPatch,
} from './types'

/** Pagination of list calls. */
export interface PageQuery {
  limit?: number
  offset?: number
}

/** Filters of the timeline. */
export interface TimelineQuery {
  project?: string
  /** Event names, comma-separated. */
  event?: string
  user?: string
  /** A container's (or template's) UUID. */
  object?: string
}

const enc = encodeURIComponent

/** The identity part of the API, bound to a client (the app's one by default). */
export function identityApi(client: ApiClient = api) {
  return {
    listUsers: (query: PageQuery & { search?: string } = {}) =>
      client.get<Page<User>>('/api/v1/users', { query: { ...query } }),
    createUser: (body: UserCreate) => client.post<User>('/api/v1/users', body),
    getUser: (username: string) => client.get<User>(`/api/v1/users/${enc(username)}`),
    updateUser: (username: string, body: UserPatch) =>
      client.patch<User>(`/api/v1/users/${enc(username)}`, body),
    deleteUser: (username: string) => client.delete(`/api/v1/users/${enc(username)}`),
    changeOwnPassword: (currentPassword: string, newPassword: string) =>
      client.post<SessionInfo>('/api/v1/me/password', {
        current_password: currentPassword,
        new_password: newPassword,
      }),

    listTokens: () => client.get<Page<ApiToken>>('/api/v1/tokens'),
    /** `expiresIn`: seconds, or a duration such as "30d"; omitted for a token that does not expire. */
    createToken: (name: string, expiresIn?: number | string) =>
      client.post<CreatedToken>(
        '/api/v1/tokens',
        expiresIn === undefined ? { name } : { name, expires_in: expiresIn },
      ),
    revokeToken: (id: number) => client.delete(`/api/v1/tokens/${id}`),

    listProjects: () => client.get<Page<Project>>('/api/v1/projects'),
    getProject: (uuid: string) => client.get<Project>(`/api/v1/projects/${enc(uuid)}`),
    createProject: (body: ProjectCreate) => client.post<Project>('/api/v1/projects', body),
    updateProject: (uuid: string, body: ProjectPatch) =>
      client.patch<Project>(`/api/v1/projects/${enc(uuid)}`, body),
    deleteProject: (uuid: string) => client.delete(`/api/v1/projects/${enc(uuid)}`),

    listMembers: (uuid: string) => client.get<Page<Member>>(`/api/v1/projects/${enc(uuid)}/roles`),
    setRole: (uuid: string, username: string, role: AssignableRole) =>
      client.put<Member>(`/api/v1/projects/${enc(uuid)}/roles/${enc(username)}`, { role }),
    removeRole: (uuid: string, username: string) =>
      client.delete(`/api/v1/projects/${enc(uuid)}/roles/${enc(username)}`),

    /** Users whom the project's owners and delegates may add, by a part of their username or name. */
    candidates: (uuid: string, search: string) =>
      client.get<Page<Candidate>>(`/api/v1/projects/${enc(uuid)}/candidates`, { query: { search } }),

    timeline: (query: PageQuery & TimelineQuery = {}) =>
      client.get<Page<TimelineEvent>>('/api/v1/timeline', { query: { ...query } }),
    /** The event names and users of the timeline the caller sees (of one project), for filters. */
    timelineFacets: (project?: string) =>
      client.get<TimelineFacets>('/api/v1/timeline/facets', { query: { project } }),
  }
}

/** The identity API on the app's client. */
export const identity = identityApi()

// Typed calls for users, API tokens, projects, roles and the timeline (REST API v1).
import { api, type ApiClient } from './client'
import type { Page, TimelineEvent, User } from './types'

/** A user as the administration API returns it. */
export interface AdminUser extends User {
  has_password: boolean
  oidc_bound: boolean
}

/** Body of `POST /api/v1/users`. Without a password the account signs in by single sign-on only. */
export interface UserCreate {
  username: string
  password?: string
  name?: string
  email?: string
  is_superuser?: boolean
}

/** Body of `PATCH /api/v1/users/<username>`; `password` resets it. */
export interface UserPatch {
  name?: string
  email?: string
  is_superuser?: boolean
  is_active?: boolean
  password?: string
}

/** An API token (never its secret, except in the answer to its creation). */
export interface ApiToken {
  id: number
  name: string
  prefix: string
  created_at: string
  expires_at: string | null
  last_used_at: string | null
}

/** Answer of `POST /api/v1/tokens`: the token plus its secret, shown this once. */
export interface CreatedToken extends ApiToken {
  token: string
}

/** Project or category. */
export type ProjectType = 'PROJECT' | 'CATEGORY'

/** Roles a person can hold; `finder` only shows a category on the way to one's projects. */
export type Role = 'owner' | 'delegate' | 'contributor' | 'guest' | 'viewer' | 'finder'

/** Roles that can be assigned in kiosc, strongest first. */
export const ASSIGNABLE_ROLES: Role[] = ['owner', 'delegate', 'contributor', 'guest', 'viewer']

/** What the caller may do in a project. */
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

/** A project or category with the caller's role and rights in it. */
export interface Project {
  uuid: string
  title: string
  description: string
  type: ProjectType
  parent: string | null
  source: 'local' | 'sodar'
  sodar_level: string
  role: Role | null
  permissions: ProjectPermissions
  created_at: string
  updated_at: string
}

/** Body of `POST /api/v1/projects`. */
export interface ProjectCreate {
  title: string
  type: ProjectType
  parent?: string | null
  description?: string
}

/** Body of `PATCH /api/v1/projects/<uuid>`. */
export interface ProjectPatch {
  title?: string
  description?: string
  parent?: string
}

/** A member of a project, with the role they hold directly or through a category above. */
export interface Member {
  username: string
  name: string
  role: Role
  inherited_from: string | null
  source: 'local' | 'sodar'
}

/** A timeline event with its identifier. */
export interface TimelineEntry extends TimelineEvent {
  uuid: string
}

/** Pagination of list calls. */
export interface PageQuery {
  limit?: number
  offset?: number
}

const enc = encodeURIComponent

/** The identity part of the API, bound to a client (the app's one by default). */
export function identityApi(client: ApiClient = api) {
  return {
    listUsers: (query: PageQuery & { search?: string } = {}) =>
      client.get<Page<AdminUser>>('/api/v1/users', { query: { ...query } }),
    createUser: (body: UserCreate) => client.post<AdminUser>('/api/v1/users', body),
    getUser: (username: string) => client.get<AdminUser>(`/api/v1/users/${enc(username)}`),
    updateUser: (username: string, body: UserPatch) =>
      client.patch<AdminUser>(`/api/v1/users/${enc(username)}`, body),
    deleteUser: (username: string) => client.delete(`/api/v1/users/${enc(username)}`),
    changeOwnPassword: (currentPassword: string, newPassword: string) =>
      client.post<{ user: User; csrf_token: string | null }>('/api/v1/me/password', {
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
    setRole: (uuid: string, username: string, role: Role) =>
      client.put<Member>(`/api/v1/projects/${enc(uuid)}/roles/${enc(username)}`, { role }),
    removeRole: (uuid: string, username: string) =>
      client.delete(`/api/v1/projects/${enc(uuid)}/roles/${enc(username)}`),

    timeline: (query: PageQuery & { project?: string } = {}) =>
      client.get<Page<TimelineEntry>>('/api/v1/timeline', { query: { ...query } }),
  }
}

/** The identity API on the app's client. */
export const identity = identityApi()

/** A project tree node: a project or category with its children, sorted by title (categories first). */
export interface ProjectNode {
  project: Project
  children: ProjectNode[]
}

/** Builds the project tree from a flat list; items whose parent is not visible become roots. */
export function buildProjectTree(projects: Project[]): ProjectNode[] {
  const nodes = new Map<string, ProjectNode>()
  for (const p of projects) nodes.set(p.uuid, { project: p, children: [] })
  const roots: ProjectNode[] = []
  for (const node of nodes.values()) {
    const parent = node.project.parent ? nodes.get(node.project.parent) : undefined
    if (parent) parent.children.push(node)
    else roots.push(node)
  }
  const sort = (list: ProjectNode[]) => {
    list.sort((a, b) => {
      if (a.project.type !== b.project.type) return a.project.type === 'CATEGORY' ? -1 : 1
      return a.project.title.localeCompare(b.project.title)
    })
    for (const n of list) sort(n.children)
  }
  sort(roots)
  return roots
}

/** The chain of categories from the root down to (not including) the project. */
export function breadcrumbs(projects: Project[], uuid: string): Project[] {
  const byId = new Map(projects.map((p) => [p.uuid, p]))
  const out: Project[] = []
  const seen = new Set<string>()
  let current = byId.get(uuid)?.parent ?? null
  while (current && !seen.has(current)) {
    seen.add(current)
    const p = byId.get(current)
    if (!p) break
    out.unshift(p)
    current = p.parent
  }
  return out
}

// The project tree and the role choices of the project pages.
import type { AssignableRole, Project } from '@/api/types'

/** Roles that can be assigned in kiosc, strongest first. */
export const ASSIGNABLE_ROLES: AssignableRole[] = ['owner', 'delegate', 'contributor', 'guest', 'viewer']

/** What each role may do, in a sentence (where roles are chosen). Roles on a category hold for everything in it. */
export const ROLE_HELP: Record<AssignableRole, string> = {
  owner: 'Everything a delegate may, and gives or takes the owner and delegate roles. One per project.',
  delegate: 'Everything a contributor may, and manages the members (below delegate) and the project itself.',
  contributor:
    'Creates, configures, starts, stops and deletes apps, reads their logs, and manages project templates.',
  guest: 'Opens the apps (starting them if needed) and sees their state and events.',
  viewer: 'Sees the project and its list of apps, but cannot open them.',
}

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

import { describe, expect, it } from 'vitest'
import type { Project } from '@/api/types'
import { breadcrumbs, buildProjectTree } from '@/utils/projects'

function project(
  uuid: string,
  title: string,
  type: 'PROJECT' | 'CATEGORY',
  parent: string | null = null,
): Project {
  return {
    uuid,
    title,
    type,
    parent,
    description: '',
    source: 'local',
    sodar_level: '',
    role: null,
    permissions: {
      view_project: true,
      open_app: true,
      view_container: true,
      view_logs: false,
      manage_containers: false,
      manage_templates: false,
      manage_roles: false,
      manage_project: false,
    },
    created_at: '',
    updated_at: '',
  }
}

describe('project tree', () => {
  const list = [
    project('p2', 'Zebra', 'PROJECT', 'c1'),
    project('c1', 'Top', 'CATEGORY'),
    project('p1', 'Alpha', 'PROJECT', 'c2'),
    project('c2', 'Sub', 'CATEGORY', 'c1'),
    project('o', 'Orphan', 'PROJECT', 'hidden'),
  ]

  it('nests children under their category, categories first', () => {
    const tree = buildProjectTree(list)
    expect(tree.map((n) => n.project.title)).toEqual(['Top', 'Orphan'])
    expect(tree[0]!.children.map((n) => n.project.title)).toEqual(['Sub', 'Zebra'])
    expect(tree[0]!.children[0]!.children.map((n) => n.project.title)).toEqual(['Alpha'])
  })

  it('gives the breadcrumbs from the root down', () => {
    expect(breadcrumbs(list, 'p1').map((p) => p.title)).toEqual(['Top', 'Sub'])
    expect(breadcrumbs(list, 'c1')).toEqual([])
  })
})

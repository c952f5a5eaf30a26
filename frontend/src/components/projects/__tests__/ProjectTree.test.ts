import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import type { Project } from '@/api/types'
import ProjectTree from '@/components/projects/ProjectTree.vue'

function project(over: Partial<Project> & Pick<Project, 'uuid' | 'title' | 'type'>): Project {
  return {
    parent: null,
    description: '',
    source: 'local',
    sodar_level: '',
    role: null,
    permissions: {
      view_project: true,
      open_app: false,
      view_container: false,
      view_logs: false,
      manage_containers: false,
      manage_templates: false,
      manage_roles: false,
      manage_project: false,
    },
    created_at: '',
    updated_at: '',
    ...over,
  }
}

const projects = [
  project({ uuid: 'c1', title: 'Cancer research', type: 'CATEGORY', role: 'finder' }),
  project({
    uuid: 'p1',
    title: 'Single cell',
    type: 'PROJECT',
    parent: 'c1',
    role: 'viewer',
    source: 'sodar',
  }),
  project({ uuid: 'p2', title: 'Imaging', type: 'PROJECT', parent: 'c1', role: 'owner' }),
]

async function mountTree() {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: { render: () => null } },
      { path: '/projects/:uuid', name: 'project', component: { render: () => null } },
    ],
  })
  const wrapper = mount(ProjectTree, { props: { projects }, global: { plugins: [router] } })
  await router.isReady()
  return wrapper
}

describe('ProjectTree', () => {
  it('shows categories expanded with their projects, roles and the SODAR badge', async () => {
    const w = await mountTree()
    const titles = w.findAll('.title').map((a) => a.text())
    expect(titles).toEqual(['Cancer research', 'Imaging', 'Single cell'])
    const single = w.find('[data-testid="tree-p1"]')
    expect(single.text()).toContain('viewer')
    expect(single.text()).toContain('SODAR')
    expect(w.find('[data-testid="tree-p2"]').text()).toContain('owner')
    expect(w.find('[data-testid="tree-p2"] a').attributes('href')).toBe('/projects/p2')
  })

  it('collapses and expands a category', async () => {
    const w = await mountTree()
    const toggle = w.find('[data-testid="tree-c1"] button')
    expect(toggle.attributes('aria-expanded')).toBe('true')
    await toggle.trigger('click')
    expect(w.findAll('.title').map((a) => a.text())).toEqual(['Cancer research'])
    await toggle.trigger('click')
    expect(w.findAll('.title')).toHaveLength(3)
  })
})

import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import type { Capacity, Container, DockerOverview } from '@/api/types'
import { shortId } from '@/utils/format'
import { useLiveStore } from '@/stores/live'
import DockerView from '@/views/admin/DockerView.vue'

const jupyter = { uuid: 'c1', title: 'Jupyter', project: 'p1', project_title: 'Cohort' }

function overview(): DockerOverview {
  return {
    instance: 'inst-1',
    runtime: 'docker',
    nodes: [],
    containers: [
      {
        ...jupyter,
        image: 'jupyter/base:1',
        state: 'running',
        state_reason: '',
        desired_state: 'running',
        docker_id: '0123456789abcdef0123',
        docker_name: 'kiosc-c1-jupyter',
        docker_state: 'running',
        docker_status: 'Up 5 minutes',
        missing: false,
        networks: ['bridge'],
        node: '',
      },
      {
        uuid: 'c2',
        title: 'Shiny',
        project: 'p1',
        project_title: 'Cohort',
        image: 'rocker/shiny',
        state: 'not_found',
        state_reason: '',
        desired_state: 'stopped',
        docker_id: null,
        docker_name: '',
        docker_state: 'missing',
        docker_status: '',
        missing: true,
        networks: [],
        node: '',
      },
    ],
    orphaned: [],
    unmanaged: [
      {
        id: 'fedcba9876543210',
        name: 'other-app',
        image: 'nginx:1',
        state: 'running',
        status: 'Up 2 hours',
        created: '2026-01-01T00:00:00Z',
        kiosc_instance: 'inst-2',
        kiosc_container: 'x',
        networks: ['bridge'],
      },
      {
        id: 'aaaa9876543210',
        name: 'postgres',
        image: 'postgres:16',
        state: 'exited',
        status: 'Exited (0) 1 day ago',
        created: '2026-01-01T00:00:00Z',
        kiosc_instance: '',
        kiosc_container: '',
        networks: [],
      },
    ],
    networks: [
      {
        id: 'net123456789abcdef',
        name: 'bridge',
        driver: 'bridge',
        scope: 'local',
        internal: false,
        created: '2026-01-01T00:00:00Z',
        kiosc: false,
        shared: false,
        kiosc_instance: '',
        docker_containers: 2,
        containers: [jupyter],
      },
    ],
    volumes: [
      {
        name: 'pgdata',
        driver: 'local',
        mountpoint: '/var/lib/docker/volumes/pgdata/_data',
        created: null,
        size: null,
        docker_containers: 1,
        unused: false,
        containers: [],
        kiosc: false,
        kiosc_instance: '',
        scope: '',
        kiosc_name: '',
        project: null,
        project_title: '',
        container: null,
        container_title: '',
        container_deleted_at: null,
        remove_after: null,
      },
    ],
    images: [
      {
        id: 'sha256:1111222233334444',
        tags: ['jupyter/base:1'],
        size: 3 * 1024 * 1024,
        created: '2026-01-01T00:00:00Z',
        dangling: false,
        docker_containers: 1,
        containers: [jupyter],
      },
      {
        id: 'sha256:5555666677778888',
        tags: [],
        size: 2048,
        created: '2026-01-01T00:00:00Z',
        dangling: true,
        docker_containers: 0,
        containers: [],
      },
    ],
  }
}

function capacity(): Capacity {
  return {
    host: { name: 'docker-1', cpus: 8, memory: 32 * 1024 ** 3 },
    reserved: { cpus: 2.5, memory: 6 * 1024 ** 3, apps: 3, unlimited: 1 },
    cap: { cpus: 12, memory: 0, setting: 'cpu=150%' },
    used: { cpu_percent: 130, memory: 3 * 1024 ** 3 },
    apps: [
      {
        ...jupyter,
        state: 'running',
        cpus: 2,
        memory: 4 * 1024 ** 3,
        cpu_percent: 120,
        memory_used: 2 * 1024 ** 3,
      },
    ],
    partial: [],
  }
}

async function setup(answer: () => Response) {
  const pinia = createPinia()
  setActivePinia(pinia)
  // The capacity card asks for the host's capacity beside the overview.
  const fetch = vi.fn(async (input: RequestInfo | URL) =>
    String(input).includes('/admin/capacity') ? json(capacity()) : answer(),
  )
  vi.stubGlobal('fetch', fetch)
  const live = useLiveStore()
  const handlers: Record<string, (d: unknown) => void> = {}
  vi.spyOn(live, 'subscribe').mockImplementation(((type: string, handler: (d: unknown) => void) => {
    handlers[type] = handler
    return () => {}
  }) as typeof live.subscribe)
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: { render: () => null } },
      { path: '/containers/:uuid', name: 'container', component: { render: () => null } },
    ],
  })
  const wrapper = mount(DockerView, { global: { plugins: [pinia, router] }, attachTo: document.body })
  await flushPromises()
  return { wrapper, handlers, fetch }
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

afterEach(() => {
  document.body.innerHTML = ''
  vi.useRealTimers()
})

describe('DockerView', () => {
  it('shows the capacity: the host, the reservations against the cap, the use and the busiest apps', async () => {
    const { wrapper } = await setup(() => json(overview()))
    const cpu = wrapper.find('[data-testid="capacity-cpu"]').text()
    expect(cpu).toContain('host 8 CPUs')
    expect(cpu).toContain('reserved 2.50 CPUs of 12 CPUs allowed')
    expect(cpu).toContain('used 1.30 CPUs')
    const card = wrapper.find('[data-testid="capacity"]').text()
    expect(card).toContain('3 active apps; 1 without a CPU or memory limit reserve nothing of it')
    expect(card).toContain('Starts past KIOSC_MAX_RESERVED=cpu=150% are refused')
    expect(card).toContain('Jupyter: 2.0 GiB of 4.0 GiB, 120 % CPU of 2 CPUs')
    expect(wrapper.find('[data-testid="capacity-memory"]').text()).toContain(
      'reserved 6.0 GiB · used 3.0 GiB',
    )
  })

  it('on a swarm, shows the nodes and the node each app runs on', async () => {
    const o = overview()
    o.runtime = 'swarm'
    o.containers[0]!.node = 'node-2'
    o.nodes = [
      {
        id: 'n1abcdef0123456789',
        hostname: 'node-1',
        addr: '10.0.0.1',
        role: 'manager',
        state: 'ready',
        availability: 'active',
        labels: {},
        cpus: 4,
        memory: 8 * 1024 ** 3,
        self: true,
        containers: [],
      },
      {
        id: 'n2abcdef0123456789',
        hostname: 'node-2',
        addr: '10.0.0.2',
        role: 'worker',
        state: 'ready',
        availability: 'drain',
        labels: { gpu: 'true' },
        cpus: 16,
        memory: 64 * 1024 ** 3,
        self: false,
        containers: [jupyter],
      },
    ]
    const { wrapper } = await setup(() => json(o))
    const nodes = wrapper.find('[data-testid="docker-nodes"]').text()
    expect(nodes).toContain('Swarm nodes (2)')
    expect(nodes).toContain('node-1 · kiosc')
    expect(nodes).toContain('ready, drain')
    expect(nodes).toContain('gpu=true')
    expect(nodes).toContain('Jupyter')
    const known = wrapper.find('[data-testid="docker-known"]')
    expect(known.find('[data-testid="container-node"]').text()).toBe('node-2')
  })

  it('on one engine, has no nodes and no node column', async () => {
    const { wrapper } = await setup(() => json(overview()))
    expect(wrapper.find('[data-testid="docker-nodes"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="docker-known"]').text()).not.toContain('Node')
  })

  it('shows every section, with missing containers first and highlighted', async () => {
    const { wrapper } = await setup(() => json(overview()))
    const known = wrapper.find('[data-testid="docker-known"]')
    expect(known.text()).toContain('kiosc containers (2)')
    const rows = known.findAll('tbody tr')
    expect(rows[0]!.text()).toContain('Shiny')
    expect(rows[0]!.classes()).toContain('row-missing')
    expect(rows[0]!.find('[data-testid="docker-state"]').attributes('data-state')).toBe('missing')
    expect(rows[1]!.text()).toContain('Up 5 minutes')
    expect(rows[1]!.text()).toContain('0123456789ab')
    expect(rows[1]!.find('a').attributes('href')).toBe('/containers/c1')
    expect(wrapper.find('[data-testid="docker-missing"]').text()).toContain(
      'One container has lost its Docker container',
    )

    const unmanaged = wrapper.find('[data-testid="docker-unmanaged"]').text()
    expect(unmanaged).toContain('other-app')
    expect(unmanaged).toContain('other kiosc')
    expect(unmanaged).toContain('postgres')
    const networks = wrapper.find('[data-testid="docker-networks"]').text()
    expect(networks).toContain('Jupyter')
    expect(networks).toContain('+1 not kiosc')
    expect(wrapper.find('[data-testid="docker-volumes"]').text()).toContain('pgdata')
    const images = wrapper.find('[data-testid="docker-images"]').text()
    expect(images).toContain('jupyter/base:1')
    expect(images).toContain('3.0 MiB')
    expect(images).toContain('dangling')
    expect(wrapper.find('[data-testid="docker-orphaned"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('follows kiosc state live and lists Docker again on refresh', async () => {
    let n = 0
    const { wrapper, handlers, fetch } = await setup(() => {
      n++
      const o = overview()
      if (n > 1) o.unmanaged = []
      return json(o)
    })
    const row = () => wrapper.find('[data-testid="docker-known"]').findAll('tbody tr')[1]!
    handlers['container.state']!({
      uuid: 'c1',
      title: 'Jupyter',
      project: 'p1',
      state: 'stopped',
      state_reason: 'maintenance',
      desired_state: 'stopped',
      docker_id: '0123456789abcdef0123',
      docker_state: 'exited',
    } as Container)
    await flushPromises()
    expect(row().find('[data-testid="container-state"]').attributes('data-state')).toBe('stopped')
    expect(row().find('[data-testid="docker-state"]').attributes('data-state')).toBe('exited')
    expect(row().find('[data-testid="state-reason"]').text()).toBe('maintenance')
    expect(row().text()).not.toContain('Up 5 minutes')
    const overviewCalls = () =>
      fetch.mock.calls.filter(([input]) => String(input).includes('/admin/docker')).length
    expect(overviewCalls()).toBe(1)

    await wrapper.find('[data-testid="docker-refresh"]').trigger('click')
    await flushPromises()
    expect(overviewCalls()).toBe(2)
    expect(wrapper.find('[data-testid="docker-unmanaged"]').text()).toContain('(0)')
    wrapper.unmount()
  })

  it('says so when Docker does not answer', async () => {
    const { wrapper } = await setup(() =>
      json(
        { error: { code: 'docker_unavailable', message: 'Docker engine unreachable: connection refused' } },
        503,
      ),
    )
    expect(wrapper.find('[data-testid="docker-error"]').text()).toContain('Docker engine unreachable')
    wrapper.unmount()
  })

  it('shortens IDs', () => {
    expect(shortId('sha256:0123456789abcdef')).toBe('0123456789ab')
  })
})

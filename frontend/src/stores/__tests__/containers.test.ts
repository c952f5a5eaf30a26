import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import type { JobProgressUpdate } from '@/api/types'
import { useContainersStore } from '@/stores/containers'
import { useLiveStore } from '@/stores/live'
import { containerFixture } from '@/testing/fixtures'

const P1 = 'p1'

const container = containerFixture

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } })
}

type Handlers = Record<string, (data: unknown) => void>

/** A store whose live subscriptions are captured, so tests can push messages as the websocket would. */
function setup(): { store: ReturnType<typeof useContainersStore>; push: Handlers } {
  const live = useLiveStore()
  const push: Handlers = {}
  vi.spyOn(live, 'subscribe').mockImplementation(((type: string, handler: (d: unknown) => void) => {
    push[type] = handler
    return () => {}
  }) as typeof live.subscribe)
  return { store: useContainersStore(), push }
}

beforeEach(() => {
  setActivePinia(createPinia())
})

describe('containers store', () => {
  it('updates a loaded project list in place from container.state messages', async () => {
    const fetchMock = vi.fn(async () =>
      json({ items: [container(), container({ uuid: 'c2', title: 'Another' })], total: 2 }),
    )
    vi.stubGlobal('fetch', fetchMock)
    const { store, push } = setup()
    const list = await store.loadProject(P1)
    expect(list.map((c) => c.uuid)).toEqual(['c2', 'c1'])
    expect(fetchMock).toHaveBeenCalledTimes(1)
    const before = store.byUuid.c1

    push['container.state']!(
      container({ state: 'running', desired_state: 'running', updated_at: '2026-01-01T00:00:05Z' }),
    )
    await nextTick()
    expect(store.byUuid.c1!.state).toBe('running')
    expect(store.projectLists[P1]).toEqual(['c2', 'c1'])
    expect(before).toBeDefined()
    // No request: the message carried the whole container.
    expect(fetchMock).toHaveBeenCalledTimes(1)
  })

  it('adds new containers of a loaded project and removes deleted ones', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json({ items: [container()], total: 1 })),
    )
    const { store, push } = setup()
    await store.loadProject(P1)

    push['container.state']!(container({ uuid: 'c0', title: 'Alpha', state: 'initial' }))
    expect(store.projectLists[P1]).toEqual(['c0', 'c1'])
    // A container of a project nobody looks at is kept by uuid but joins no list.
    push['container.state']!(container({ uuid: 'x', project: 'other', state: 'initial' }))
    expect(store.byUuid.x).toBeDefined()
    expect(store.projectLists.other).toBeUndefined()

    push['container.state']!(container({ state: 'deleted', updated_at: '2026-01-01T00:01:00Z' }))
    expect(store.projectLists[P1]).toEqual(['c0'])
    expect(store.byUuid.c1).toBeUndefined()
    expect(store.deleted.c1).toBe(true)
  })

  it('never lets an older copy overwrite a newer one', () => {
    const { store, push } = setup()
    push['container.state']!(container({ state: 'running', updated_at: '2026-01-01T00:00:10Z' }))
    store.applyState(container({ state: 'starting', updated_at: '2026-01-01T00:00:05Z' }))
    expect(store.byUuid.c1!.state).toBe('running')
    push['container.state']!(container({ state: 'stopping', updated_at: '2026-01-01T00:00:10Z' }))
    expect(store.byUuid.c1!.state).toBe('stopping')
  })

  it('orders updates within a second by time, not by how their timestamps spell', () => {
    const { store, push } = setup()
    // The API drops trailing zeros: ".4Z" is 400 ms, earlier than ".45Z" though it sorts after it as text.
    push['container.state']!(container({ state: 'starting', updated_at: '2026-01-01T00:00:21.4Z' }))
    push['container.state']!(container({ state: 'running', updated_at: '2026-01-01T00:00:21.45Z' }))
    expect(store.byUuid.c1!.state).toBe('running')
    push['container.state']!(container({ state: 'stopping', updated_at: '2026-01-01T00:00:22Z' }))
    store.applyState(container({ state: 'running', updated_at: '2026-01-01T00:00:21.999Z' }))
    expect(store.byUuid.c1!.state).toBe('stopping')
  })

  it('keeps job progress until the container settles', () => {
    const { store, push } = setup()
    const job: JobProgressUpdate = {
      container: 'c1',
      job: 'j1',
      action: 'start',
      step: 'pull',
      state: 'running',
      message: 'pulling the image',
      progress: { current: 50, total: 100, percent: 50 },
    }
    push['container.state']!(container({ state: 'pulling' }))
    push['job.progress']!(job)
    expect(store.jobs.c1).toEqual(job)
    push['container.state']!(container({ state: 'starting', updated_at: '2026-01-01T00:00:01Z' }))
    expect(store.jobs.c1).toEqual(job)
    push['container.state']!(container({ state: 'running', updated_at: '2026-01-01T00:00:02Z' }))
    expect(store.jobs.c1).toBeUndefined()
  })

  it('ignores malformed messages', () => {
    const { store, push } = setup()
    push['container.state']!(null)
    push['container.state']!({ state: 'running' })
    push['job.progress']!({ step: 'pull' })
    expect(store.byUuid).toEqual({})
    expect(store.jobs).toEqual({})
  })

  it('tells listeners about every update', () => {
    const { store, push } = setup()
    const seen: string[] = []
    const off = store.onUpdate((c) => seen.push(`${c.uuid}:${c.state}`))
    push['container.state']!(container({ state: 'running' }))
    push['container.state']!(container({ state: 'deleted', updated_at: '2026-01-01T00:00:09Z' }))
    off()
    push['container.state']!(container({ uuid: 'c9', state: 'running' }))
    expect(seen).toEqual(['c1:running', 'c1:deleted'])
  })
})

import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { ApiError, NETWORK_ERROR_CODE } from '@/api/client'
import { UNREACHABLE_KEY, useNotificationsStore } from '@/stores/notifications'

beforeEach(() => {
  setActivePinia(createPinia())
})

const unreachable = () => new ApiError(0, NETWORK_ERROR_CODE, 'kiosc is unreachable')

describe('notifications store', () => {
  it('shows an API error with its message', () => {
    const store = useNotificationsStore()
    store.reportError(new ApiError(409, 'conflict', 'container is busy'), 'Cannot stop')
    expect(store.notices).toHaveLength(1)
    expect(store.notices[0]).toMatchObject({
      kind: 'error',
      title: 'Cannot stop',
      message: 'Container is busy',
    })
  })

  it('collapses network failures into one notice until kiosc answers again', () => {
    const store = useNotificationsStore()
    for (let i = 0; i < 5; i++) store.reportError(unreachable())
    expect(store.notices).toHaveLength(1)
    expect(store.notices[0]).toMatchObject({
      title: 'kiosc is unreachable',
      key: UNREACHABLE_KEY,
      duration: 0,
    })
    store.resolve(UNREACHABLE_KEY)
    expect(store.notices).toHaveLength(0)
    store.reportError(unreachable())
    expect(store.notices).toHaveLength(1)
  })

  it('does not repeat an identical error that is still showing', () => {
    const store = useNotificationsStore()
    const err = new ApiError(503, 'docker_unavailable', 'Docker is not reachable')
    store.reportError(err)
    store.reportError(err)
    expect(store.notices).toHaveLength(1)
    store.dismiss(store.notices[0]!.id)
    store.reportError(err)
    expect(store.notices).toHaveLength(1)
  })

  it('stays quiet about 401, which sends the user to the login page instead', () => {
    const store = useNotificationsStore()
    store.reportError(new ApiError(401, 'unauthenticated', 'not signed in'))
    expect(store.notices).toHaveLength(0)
  })

  it('shows unexpected errors too', () => {
    const store = useNotificationsStore()
    store.reportError(new Error('boom'), 'Unexpected error')
    expect(store.notices[0]).toMatchObject({ title: 'Unexpected error', message: 'Boom' })
  })
})

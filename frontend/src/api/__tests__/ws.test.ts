import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ContainerItem } from '@/api/types'
import { LiveClient, backoffDelay, type LiveStatus, type WebSocketLike } from '@/api/ws'

class FakeSocket implements WebSocketLike {
  static instances: FakeSocket[] = []
  readyState = 0
  onopen: ((ev: Event) => void) | null = null
  onclose: ((ev: CloseEvent) => void) | null = null
  onerror: ((ev: Event) => void) | null = null
  onmessage: ((ev: MessageEvent) => void) | null = null
  closedWith: number | undefined

  constructor(readonly url: string) {
    FakeSocket.instances.push(this)
  }

  static latest(): FakeSocket {
    const socket = FakeSocket.instances.at(-1)
    if (!socket) throw new Error('no socket opened')
    return socket
  }

  open(): void {
    this.readyState = 1
    this.onopen?.(new Event('open'))
  }

  /** The server or the network drops the connection (or it never opened). */
  drop(): void {
    this.readyState = 3
    this.onerror?.(new Event('error'))
    this.onclose?.(new CloseEvent('close', { code: 1006 }))
  }

  receive(data: unknown): void {
    this.onmessage?.(
      new MessageEvent('message', { data: typeof data === 'string' ? data : JSON.stringify(data) }),
    )
  }

  close(code?: number): void {
    this.closedWith = code
    this.readyState = 3
  }
}

function makeClient(random = () => 0) {
  const statuses: LiveStatus[] = []
  const failures: number[] = []
  const client = new LiveClient({
    url: 'ws://kiosc.test/api/v1/ws',
    createSocket: (url) => new FakeSocket(url),
    random,
    onConnectFailure: (n) => failures.push(n),
  })
  client.onStatus((s) => statuses.push(s))
  return { client, statuses, failures }
}

beforeEach(() => {
  FakeSocket.instances = []
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
})

describe('backoffDelay', () => {
  const opts = { initialDelay: 500, maxDelay: 30_000 }

  it('doubles from 0.5 s up to the 30 s cap', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 7, 10, 50].map((n) => backoffDelay(n, { ...opts, random: () => 0 }))
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000])
  })

  it('takes off at most a quarter at random and never exceeds the cap', () => {
    expect(backoffDelay(0, { ...opts, random: () => 0.999 })).toBe(375)
    expect(backoffDelay(20, { ...opts, random: () => 0.5 })).toBe(26250)
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(i % 12, { ...opts, random: Math.random })
      expect(d).toBeGreaterThan(0)
      expect(d).toBeLessThanOrEqual(30_000)
    }
  })
})

describe('LiveClient', () => {
  it('connects once and reports its status', () => {
    const { client, statuses } = makeClient()
    client.start()
    client.start()
    expect(FakeSocket.instances).toHaveLength(1)
    expect(FakeSocket.latest().url).toBe('ws://kiosc.test/api/v1/ws')
    expect(client.status).toBe('connecting')
    FakeSocket.latest().open()
    expect(client.status).toBe('connected')
    expect(statuses).toEqual(['connecting', 'connected'])
  })

  it('dispatches messages by type to subscribers until they unsubscribe', () => {
    const { client } = makeClient()
    const onState = vi.fn<(c: ContainerItem) => void>()
    const onHello = vi.fn()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const unsubscribe = client.subscribe('container.state', onState)
    client.subscribe('hello', onHello)
    client.start()
    const socket = FakeSocket.latest()
    socket.open()
    socket.receive({ type: 'hello', data: { user: 'alice' } })
    socket.receive({ type: 'container.state', data: { uuid: 'c1', state: 'running' } })
    socket.receive({ type: 'job.progress', data: { container: 'c1', step: 'pull' } })
    socket.receive('not json')
    socket.receive({ data: 'no type' })
    expect(warn).toHaveBeenCalledOnce()
    expect(onHello).toHaveBeenCalledWith({ user: 'alice' })
    expect(onState).toHaveBeenCalledExactlyOnceWith({ uuid: 'c1', state: 'running' })
    unsubscribe()
    socket.receive({ type: 'container.state', data: { uuid: 'c1', state: 'stopping' } })
    expect(onState).toHaveBeenCalledOnce()
  })

  it('keeps delivering when one handler throws', () => {
    const { client } = makeClient()
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const good = vi.fn()
    client.subscribe('hello', () => {
      throw new Error('boom')
    })
    client.subscribe('hello', good)
    client.start()
    FakeSocket.latest().open()
    FakeSocket.latest().receive({ type: 'hello', data: {} })
    expect(good).toHaveBeenCalledOnce()
    expect(error).toHaveBeenCalled()
  })

  it('reconnects with exponential backoff while the server is away', () => {
    const { client } = makeClient()
    client.start()
    const expected = [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]
    for (const [i, delay] of expected.entries()) {
      FakeSocket.latest().drop()
      expect(client.status).toBe('reconnecting')
      vi.advanceTimersByTime(delay - 1)
      expect(FakeSocket.instances).toHaveLength(i + 1)
      vi.advanceTimersByTime(1)
      expect(FakeSocket.instances).toHaveLength(i + 2)
    }
  })

  it('applies jitter from the random source', () => {
    const { client } = makeClient(() => 0.5)
    client.start()
    FakeSocket.latest().drop()
    vi.advanceTimersByTime(437)
    expect(FakeSocket.instances).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.instances).toHaveLength(2)
  })

  it('starts from the shortest delay again after a healthy connection', () => {
    const { client, statuses } = makeClient()
    client.start()
    FakeSocket.latest().drop()
    vi.advanceTimersByTime(500)
    FakeSocket.latest().drop()
    vi.advanceTimersByTime(1000)
    FakeSocket.latest().open()
    vi.advanceTimersByTime(60_000)
    FakeSocket.latest().drop()
    vi.advanceTimersByTime(500)
    expect(FakeSocket.instances).toHaveLength(4)
    expect(statuses).toEqual(['connecting', 'reconnecting', 'connected', 'reconnecting'])
  })

  it('keeps backing off when the server drops every connection at once', () => {
    const { client } = makeClient()
    client.start()
    FakeSocket.latest().open()
    FakeSocket.latest().drop()
    vi.advanceTimersByTime(500)
    FakeSocket.latest().open()
    FakeSocket.latest().drop()
    vi.advanceTimersByTime(999)
    expect(FakeSocket.instances).toHaveLength(2)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.instances).toHaveLength(3)
  })

  it('keeps subscriptions across reconnects', () => {
    const { client } = makeClient()
    const handler = vi.fn()
    client.subscribe('timeline.event', handler)
    client.start()
    FakeSocket.latest().drop()
    vi.advanceTimersByTime(500)
    FakeSocket.latest().open()
    FakeSocket.latest().receive({ type: 'timeline.event', data: { event_name: 'container_start' } })
    expect(handler).toHaveBeenCalledWith({ event_name: 'container_start' })
  })

  it('stops reconnecting and closes the socket when stopped', () => {
    const { client } = makeClient()
    client.start()
    FakeSocket.latest().open()
    const first = FakeSocket.latest()
    first.drop()
    client.stop()
    vi.advanceTimersByTime(120_000)
    expect(FakeSocket.instances).toHaveLength(1)
    expect(client.status).toBe('idle')

    client.start()
    const second = FakeSocket.latest()
    second.open()
    client.stop()
    expect(second.closedWith).toBe(1000)
    vi.advanceTimersByTime(120_000)
    expect(FakeSocket.instances).toHaveLength(2)
  })

  it('ignores events from a socket it has already replaced', () => {
    const { client } = makeClient()
    const handler = vi.fn()
    client.subscribe('hello', handler)
    client.start()
    const old = FakeSocket.latest()
    const { onmessage } = old
    old.drop()
    onmessage?.(new MessageEvent('message', { data: JSON.stringify({ type: 'hello', data: {} }) }))
    expect(handler).not.toHaveBeenCalled()
  })

  it('reports connection attempts that never opened, counting them in a row', () => {
    const { client, failures } = makeClient()
    client.start()
    FakeSocket.latest().drop()
    vi.advanceTimersByTime(500)
    FakeSocket.latest().drop()
    expect(failures).toEqual([1, 2])
    vi.advanceTimersByTime(1000)
    FakeSocket.latest().open()
    FakeSocket.latest().drop()
    expect(failures).toEqual([1, 2])
    vi.advanceTimersByTime(2000)
    FakeSocket.latest().drop()
    expect(failures).toEqual([1, 2, 1])
  })

  it('reconnects at once when asked during backoff', () => {
    const { client } = makeClient()
    client.start()
    for (let i = 0; i < 5; i++) {
      FakeSocket.latest().drop()
      vi.runOnlyPendingTimers()
    }
    FakeSocket.latest().drop()
    const before = FakeSocket.instances.length
    client.reconnectNow()
    expect(FakeSocket.instances).toHaveLength(before + 1)
    FakeSocket.latest().drop()
    vi.advanceTimersByTime(500)
    expect(FakeSocket.instances).toHaveLength(before + 2)
  })
})

import type { LiveEventMap, LiveEventType } from './types'

/** Connection status of the live-update channel. */
export type LiveStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting'

/** The part of the browser WebSocket the client relies on (so tests can supply a fake). */
export interface WebSocketLike {
  readonly readyState: number
  onopen: ((ev: Event) => void) | null
  onclose: ((ev: CloseEvent) => void) | null
  onerror: ((ev: Event) => void) | null
  onmessage: ((ev: MessageEvent) => void) | null
  close(code?: number, reason?: string): void
}

/** Something that opens a websocket to a URL. */
export type WebSocketFactory = (url: string) => WebSocketLike

/** Options of the live client; defaults suit the browser. */
export interface LiveClientOptions {
  /** Absolute ws:// or wss:// URL; defaults to `/api/v1/ws` on the page's origin. */
  url?: string
  createSocket?: WebSocketFactory
  /** First reconnect delay in milliseconds. */
  initialDelay?: number
  /** Largest reconnect delay in milliseconds. */
  maxDelay?: number
  /** Source of randomness for jitter, in [0, 1). */
  random?: () => number
  /**
   * Called when a connection attempt ends without ever opening, with the number of such failures in a
   * row. A refused upgrade (for example 401 after the session ended) looks exactly like this.
   */
  onConnectFailure?: (consecutive: number) => void
}

/** Delay settings of the reconnect backoff. */
export interface BackoffOptions {
  initialDelay: number
  maxDelay: number
  random: () => number
}

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential from initialDelay, capped at maxDelay,
 * with up to 25 % taken off at random so that many browsers do not reconnect in lockstep after a restart.
 */
export function backoffDelay(attempt: number, { initialDelay, maxDelay, random }: BackoffOptions): number {
  const exp = Math.min(maxDelay, initialDelay * 2 ** Math.min(attempt, 30))
  return Math.round(exp * (1 - 0.25 * random()))
}

/** The default live-update URL for the current page. */
export function defaultLiveUrl(loc: Location = window.location): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${loc.host}/api/v1/ws`
}

type Handler<K extends LiveEventType> = (data: LiveEventMap[K]) => void
type AnyHandler = (data: unknown) => void

const OPEN = 1
// A connection that lived at least this long counts as healthy, so the next reconnect starts from the
// shortest delay again; one that the server drops at once keeps backing off.
const STABLE_AFTER_MS = 5_000

/**
 * One websocket to kiosc's live-update endpoint, reconnecting with exponential backoff and jitter until
 * stopped. Consumers subscribe per message type; subscriptions survive reconnects.
 */
export class LiveClient {
  private readonly url: () => string
  private readonly createSocket: WebSocketFactory
  private readonly backoff: BackoffOptions
  private readonly onConnectFailure: ((consecutive: number) => void) | undefined
  private failures = 0
  private readonly handlers = new Map<string, Set<AnyHandler>>()
  private readonly statusListeners = new Set<(status: LiveStatus) => void>()
  private socket: WebSocketLike | null = null
  private timer: ReturnType<typeof setTimeout> | null = null
  private attempt = 0
  private openedAt: number | null = null
  private running = false
  private currentStatus: LiveStatus = 'idle'

  constructor(options: LiveClientOptions = {}) {
    this.url = () => options.url ?? defaultLiveUrl()
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url))
    this.backoff = {
      initialDelay: options.initialDelay ?? 500,
      maxDelay: options.maxDelay ?? 30_000,
      random: options.random ?? Math.random,
    }
    this.onConnectFailure = options.onConnectFailure
  }

  /** Current connection status. */
  get status(): LiveStatus {
    return this.currentStatus
  }

  /** Opens the connection (no-op when already started). */
  start(): void {
    if (this.running) return
    this.running = true
    this.attempt = 0
    this.failures = 0
    this.connect('connecting')
  }

  /** Closes the connection and stops reconnecting. Subscriptions are kept for the next start. */
  stop(): void {
    this.running = false
    this.openedAt = null
    this.clearTimer()
    const socket = this.socket
    this.socket = null
    if (socket) {
      detach(socket)
      socket.close(1000, 'client stopped')
    }
    this.setStatus('idle')
  }

  /** Skips the remaining backoff and reconnects at once (for example when the browser comes online). */
  reconnectNow(): void {
    if (!this.running || this.currentStatus !== 'reconnecting' || this.socket !== null) return
    this.clearTimer()
    this.attempt = 0
    this.connect('reconnecting')
  }

  /** Calls handler with the data of every message of the given type; returns the unsubscribe function. */
  subscribe<K extends LiveEventType>(type: K, handler: Handler<K>): () => void {
    let set = this.handlers.get(type)
    if (!set) {
      set = new Set()
      this.handlers.set(type, set)
    }
    const h = handler as AnyHandler
    set.add(h)
    return () => {
      set.delete(h)
    }
  }

  /** Calls listener on every status change; returns the unsubscribe function. */
  onStatus(listener: (status: LiveStatus) => void): () => void {
    this.statusListeners.add(listener)
    return () => {
      this.statusListeners.delete(listener)
    }
  }

  private connect(status: LiveStatus): void {
    this.setStatus(status)
    let socket: WebSocketLike
    try {
      socket = this.createSocket(this.url())
    } catch (err) {
      console.error('live updates: cannot open websocket', err)
      this.scheduleReconnect()
      return
    }
    this.socket = socket
    socket.onopen = () => {
      if (this.socket !== socket) return
      this.openedAt = Date.now()
      this.failures = 0
      this.setStatus('connected')
    }
    socket.onmessage = (ev) => {
      if (this.socket === socket) this.dispatch(ev.data)
    }
    // A failed connection fires error and then close; close alone decides what happens next.
    socket.onerror = () => {}
    socket.onclose = () => {
      if (this.socket !== socket) return
      detach(socket)
      this.socket = null
      const openedAt = this.openedAt
      this.openedAt = null
      if (openedAt !== null && Date.now() - openedAt >= STABLE_AFTER_MS) this.attempt = 0
      this.scheduleReconnect()
      if (openedAt === null) this.onConnectFailure?.(++this.failures)
    }
  }

  private scheduleReconnect(): void {
    if (!this.running) return
    this.setStatus('reconnecting')
    const delay = backoffDelay(this.attempt, this.backoff)
    this.attempt++
    this.clearTimer()
    this.timer = setTimeout(() => {
      this.timer = null
      if (this.running) this.connect('reconnecting')
    }, delay)
  }

  private dispatch(raw: unknown): void {
    if (typeof raw !== 'string') return
    let msg: unknown
    try {
      msg = JSON.parse(raw)
    } catch {
      console.warn('live updates: ignoring a message that is not JSON')
      return
    }
    if (typeof msg !== 'object' || msg === null || typeof (msg as { type?: unknown }).type !== 'string')
      return
    const { type, data } = msg as { type: string; data: unknown }
    const set = this.handlers.get(type)
    if (!set) return
    for (const handler of [...set]) {
      try {
        handler(data)
      } catch (err) {
        // One broken consumer must not starve the others.
        console.error(`live updates: handler for ${type} failed`, err)
      }
    }
  }

  private setStatus(status: LiveStatus): void {
    if (status === this.currentStatus) return
    this.currentStatus = status
    for (const listener of [...this.statusListeners]) listener(status)
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer)
      this.timer = null
    }
  }

  /** True while the socket is open (mainly for tests and diagnostics). */
  get isOpen(): boolean {
    return this.socket?.readyState === OPEN
  }
}

function detach(socket: WebSocketLike): void {
  socket.onopen = null
  socket.onmessage = null
  socket.onerror = null
  socket.onclose = null
}

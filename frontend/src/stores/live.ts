import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { LiveEventMap, LiveEventType } from '@/api/types'
import { LiveClient, type LiveStatus } from '@/api/ws'
import { useSessionStore } from './session'

/** The app's one live-update connection, open while a user is signed in. */
export const useLiveStore = defineStore('live', () => {
  const session = useSessionStore()
  const client = new LiveClient({
    // Without polling, a refused websocket is how an open tab notices that its session has ended. The
    // backoff spaces these checks out; while kiosc is down they fail quietly.
    onConnectFailure: () => void session.verify(),
  })
  const status = ref<LiveStatus>(client.status)
  /** Increments on every successful (re)connect, so views can refetch what they may have missed. */
  const connections = ref(0)

  client.onStatus((s) => {
    status.value = s
    if (s === 'connected') connections.value++
  })

  const onOnline = () => client.reconnectNow()

  /** Opens the connection. */
  function start(): void {
    client.start()
    window.addEventListener('online', onOnline)
  }

  /** Closes the connection (on logout). */
  function stop(): void {
    window.removeEventListener('online', onOnline)
    client.stop()
  }

  /** Subscribes to one message type; returns the unsubscribe function. */
  function subscribe<K extends LiveEventType>(type: K, handler: (data: LiveEventMap[K]) => void): () => void {
    return client.subscribe(type, handler)
  }

  return { status, connections, start, stop, subscribe }
})

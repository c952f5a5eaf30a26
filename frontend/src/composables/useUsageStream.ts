import { onBeforeUnmount, ref, shallowRef, watch, type Ref } from 'vue'
import { usageStreamUrl } from '@/api/containers'
import type { UsageMessage, UsageSample } from '@/api/types'
import { backoffDelay } from '@/api/ws'

/** How many samples (about one a second) the charts keep: the last five minutes. */
export const USAGE_WINDOW = 300

export type UsageStatus = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'revoked'

/**
 * Follows an app's live usage while `active` holds (its tab is shown): one websocket, which kiosc backs with one
 * Docker stats stream per app however many pages watch it, closed as soon as the page or tab is left.
 */
export function useUsageStream(uuid: Ref<string>, active: Ref<boolean>) {
  const samples = shallowRef<UsageSample[]>([])
  const status = ref<UsageStatus>('idle')
  let socket: WebSocket | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  let attempt = 0

  function push(list: UsageSample[]): void {
    const next = samples.value.concat(list)
    samples.value = next.length > USAGE_WINDOW ? next.slice(next.length - USAGE_WINDOW) : next
  }

  function connect(): void {
    status.value = attempt === 0 ? 'connecting' : 'reconnecting'
    const ws = new WebSocket(usageStreamUrl(uuid.value))
    socket = ws
    ws.onmessage = (ev) => {
      let m: UsageMessage
      try {
        m = JSON.parse(String(ev.data)) as UsageMessage
      } catch {
        return
      }
      attempt = 0
      status.value = 'live'
      if (m.type === 'history') samples.value = m.data.slice(-USAGE_WINDOW)
      else if (m.type === 'sample') push([m.data])
    }
    ws.onclose = (ev) => {
      if (socket !== ws) return
      socket = null
      if (ev.code === 1008) {
        status.value = 'revoked'
        return
      }
      status.value = 'reconnecting'
      timer = setTimeout(
        connect,
        backoffDelay(attempt++, { initialDelay: 500, maxDelay: 15_000, random: Math.random }),
      )
    }
  }

  function disconnect(): void {
    if (timer) clearTimeout(timer)
    timer = null
    const ws = socket
    socket = null
    ws?.close()
    status.value = 'idle'
  }

  watch(
    [uuid, active],
    ([, on]) => {
      disconnect()
      samples.value = []
      attempt = 0
      if (on) connect()
    },
    { immediate: true },
  )
  onBeforeUnmount(disconnect)

  return { samples, status }
}

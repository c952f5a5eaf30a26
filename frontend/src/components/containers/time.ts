import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue'
import type { ContainerItem } from '@/api/types'

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })

/** "3 minutes ago" for a timestamp, or '' when missing. */
export function ago(value: string | null | undefined, now = Date.now()): string {
  if (!value) return ''
  // `now` may be a tick behind (see useNow); never show the past as the future.
  now = Math.max(now, Date.now())
  const t = new Date(value).getTime()
  if (Number.isNaN(t)) return ''
  const s = Math.round((t - now) / 1000)
  const abs = Math.abs(s)
  if (abs < 45) return rtf.format(s, 'second')
  if (abs < 2700) return rtf.format(Math.round(s / 60), 'minute')
  if (abs < 64800) return rtf.format(Math.round(s / 3600), 'hour')
  return rtf.format(Math.round(s / 86400), 'day')
}

/** When a container reached its current state, for lists: "started 5 minutes ago". */
export function sinceText(c: ContainerItem, now = Date.now()): string {
  // On its way up or down: the times of the last run would only confuse ("started 1 hour ago" while creating).
  if (['pulling', 'creating', 'starting', 'stopping', 'deleting'].includes(c.state)) return 'in progress'
  if (c.state === 'running' || c.state === 'paused')
    return c.started_at ? `started ${ago(c.started_at, now)}` : ''
  if (c.stopped_at && c.state !== 'initial') return `stopped ${ago(c.stopped_at, now)}`
  return `created ${ago(c.created_at, now)}`
}

/** The current time, updated every 20 s while the component is mounted, so relative times stay true. */
export function useNow(): Ref<number> {
  const now = ref(Date.now())
  let timer: ReturnType<typeof setInterval> | null = null
  onMounted(() => {
    timer = setInterval(() => (now.value = Date.now()), 20_000)
  })
  onBeforeUnmount(() => timer && clearInterval(timer))
  return now
}

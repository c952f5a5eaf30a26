import { defineStore } from 'pinia'
import { ref } from 'vue'
import { isApiError } from '@/api/client'
import { sentence } from '@/utils/format'

/** Severity of a notice. */
export type NoticeKind = 'error' | 'warning' | 'info' | 'success'

/** One notification shown to the user. */
export interface Notice {
  id: number
  kind: NoticeKind
  title: string
  message: string
  /** Notices with the same key are shown once at a time. */
  key?: string
  /** Milliseconds until it closes by itself; 0 keeps it open. */
  duration: number
}

/** Key of the notice shown while kiosc cannot be reached. */
export const UNREACHABLE_KEY = 'unreachable'

/** Notices waiting to be shown or currently shown; NoticeHost renders them with Naive UI. */
export const useNotificationsStore = defineStore('notifications', () => {
  const notices = ref<Notice[]>([])
  let nextId = 1

  /** Shows a notice unless one with the same key is already showing; returns its id, or null if deduplicated. */
  function push(notice: Omit<Notice, 'id' | 'duration'> & { duration?: number }): number | null {
    if (notice.key !== undefined && notices.value.some((n) => n.key === notice.key)) return null
    const id = nextId++
    notices.value.push({ duration: notice.kind === 'error' ? 8000 : 4500, ...notice, id })
    return id
  }

  /** Removes a notice (closed by the user or timed out). */
  function dismiss(id: number): void {
    notices.value = notices.value.filter((n) => n.id !== id)
  }

  /** Removes the notice with the given key, for example when kiosc is reachable again. */
  function resolve(key: string): void {
    notices.value = notices.value.filter((n) => n.key !== key)
  }

  /**
   * Shows an error that nobody else handled. Network failures collapse into one "kiosc is unreachable"
   * notice that stays until kiosc answers again.
   */
  function reportError(err: unknown, title = 'Something went wrong'): void {
    if (isApiError(err) && err.isNetworkError) {
      push({
        kind: 'error',
        title: 'kiosc is unreachable',
        message: 'Check your network connection. This closes by itself once kiosc answers again.',
        key: UNREACHABLE_KEY,
        duration: 0,
      })
      return
    }
    // 401 is handled by sending the user to the login page; a notice on top would only be noise.
    if (isApiError(err) && err.status === 401) return
    const message = sentence(isApiError(err) ? err.message : err instanceof Error ? err.message : String(err))
    push({ kind: 'error', title, message, key: `error:${title}:${message}` })
  }

  return { notices, push, dismiss, resolve, reportError }
})

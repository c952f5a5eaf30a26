// Runs container actions with the confirmations destructive ones need, and stores the answer so every
// view shows the new state at once (the live channel follows up with each further change).
import { useDialog } from 'naive-ui'
import { ref } from 'vue'
import { containers, type ContainerAction } from '@/api/containers'
import type { ContainerItem } from '@/api/types'
import { useContainersStore } from '@/stores/containers'
import { useNotificationsStore } from '@/stores/notifications'

const PAST: Record<ContainerAction, string> = {
  start: 'Starting',
  stop: 'Stopping',
  restart: 'Restarting',
  pause: 'Pausing',
  unpause: 'Resuming',
  open: 'Opening',
}

/** Container actions for a view; `busy` holds the action in flight per container. */
export function useContainerActions() {
  const dialog = useDialog()
  const store = useContainersStore()
  const notices = useNotificationsStore()
  const busy = ref<Record<string, string>>({})

  async function run(c: ContainerItem, action: ContainerAction): Promise<void> {
    busy.value[c.uuid] = action
    try {
      store.applyState(await containers.action(c.uuid, action))
    } catch (err) {
      notices.reportError(err, `${PAST[action]} "${c.title}" failed`)
    } finally {
      delete busy.value[c.uuid]
    }
  }

  function confirm(title: string, content: string, positiveText: string, onYes: () => Promise<void>): void {
    dialog.warning({
      title,
      content,
      positiveText,
      negativeText: 'Cancel',
      onPositiveClick: () => {
        void onYes()
      },
    })
  }

  /** Starts, stops, restarts, pauses or resumes; stop and restart ask first when the app is in use. */
  function act(c: ContainerItem, action: ContainerAction): void {
    if ((action === 'stop' || action === 'restart') && (c.state === 'running' || c.state === 'paused')) {
      const verb = action === 'stop' ? 'Stop' : 'Restart'
      confirm(
        `${verb} "${c.title}"?`,
        `Everyone using this app loses their connection${action === 'stop' ? ' until it is started again' : ' while it restarts'}. Data not saved to a mounted volume is lost.`,
        verb,
        () => run(c, action),
      )
      return
    }
    void run(c, action)
  }

  /** Asks, then deletes the container; resolves true once the server accepted the deletion. */
  function remove(c: ContainerItem): Promise<boolean> {
    return new Promise((resolve) => {
      const d = dialog.error({
        title: `Delete "${c.title}"?`,
        content:
          'The Docker container and its stored logs are removed. Its configuration and secrets are gone for good. This cannot be undone.',
        positiveText: 'Delete',
        negativeText: 'Cancel',
        onNegativeClick: () => resolve(false),
        onClose: () => resolve(false),
        onMaskClick: () => resolve(false),
        onPositiveClick: async () => {
          d.loading = true
          try {
            store.applyState(await containers.remove(c.uuid))
            resolve(true)
          } catch (err) {
            notices.reportError(err, `Deleting "${c.title}" failed`)
            resolve(false)
          }
        },
      })
    })
  }

  return { busy, act, remove }
}

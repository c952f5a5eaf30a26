// Runs container actions with the confirmations destructive ones need, and stores the answer so every
// view shows the new state at once (the live channel follows up with each further change).
import { NRadio, NRadioGroup, useDialog } from 'naive-ui'
import { h, ref } from 'vue'
import { containers, type ContainerAction } from '@/api/containers'
import { isFullContainer, type ContainerItem } from '@/api/types'
import { useContainersStore } from '@/stores/containers'
import { useNotificationsStore } from '@/stores/notifications'
import { deletionOutcome, filesOnStop, listNames, splitVolumes } from '@/utils/volumes'

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
      const vols = isFullContainer(c) ? c.volumes : []
      confirm(
        `${verb} "${c.title}"?`,
        `Everyone using this app loses their connection${action === 'stop' ? ' until it is started again' : ' while it restarts'}. ${filesOnStop(vols, action === 'restart')}`,
        verb,
        () => run(c, action),
      )
      return
    }
    void run(c, action)
  }

  /**
   * Asks, then deletes the container; resolves true once the server accepted the deletion. A container with volumes
   * of its own asks whether to keep them (the default) or delete them with it, and says what each choice keeps.
   */
  function remove(c: ContainerItem): Promise<boolean> {
    const vols = isFullContainer(c) ? c.volumes : []
    const own = splitVolumes(vols).own
    const choice = ref<'keep' | 'delete'>('keep')
    return new Promise((resolve) => {
      const d = dialog.error({
        title: `Delete "${c.title}"?`,
        content: () =>
          h('div', { class: 'delete-dialog', 'data-testid': 'delete-dialog' }, [
            own.length
              ? h(
                  NRadioGroup,
                  {
                    value: choice.value,
                    'onUpdate:value': (v: 'keep' | 'delete') => (choice.value = v),
                    name: 'volumes',
                    style: 'display: flex; flex-direction: column; gap: 4px; margin-bottom: 10px',
                    'data-testid': 'delete-volumes-choice',
                  },
                  () => [
                    h(
                      NRadio,
                      { value: 'keep', 'data-testid': 'delete-keep-volumes' },
                      () =>
                        `Keep ${own.length === 1 ? 'its volume' : 'its volumes'} ${listNames(own.map((v) => v.name))}`,
                    ),
                    h(
                      NRadio,
                      { value: 'delete', 'data-testid': 'delete-remove-volumes' },
                      () =>
                        `Delete ${own.length === 1 ? 'its volume' : 'its volumes'} and every file in ${own.length === 1 ? 'it' : 'them'}`,
                    ),
                  ],
                )
              : null,
            h(
              'p',
              { style: 'margin: 0', 'data-testid': 'delete-outcome' },
              deletionOutcome(vols, choice.value === 'delete'),
            ),
          ]),
        positiveText: 'Delete',
        negativeText: 'Cancel',
        onNegativeClick: () => resolve(false),
        onClose: () => resolve(false),
        onMaskClick: () => resolve(false),
        onPositiveClick: async () => {
          d.loading = true
          try {
            store.applyState(await containers.remove(c.uuid, choice.value))
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

// Container states for people: their words, which are transitional, and which actions each allows.
import type { ContainerAction } from '@/api/containers'
import type { ContainerState } from '@/api/types'

/** Every observed state, in lifecycle order. */
export const CONTAINER_STATES: ContainerState[] = [
  'initial',
  'pulling',
  'creating',
  'starting',
  'running',
  'stopping',
  'stopped',
  'exited',
  'failed',
  'paused',
  'deleting',
  'deleted',
  'not_found',
  'unknown',
]

/** States in which kiosc is working towards another state. */
export const TRANSITIONAL: ReadonlySet<string> = new Set([
  'pulling',
  'creating',
  'starting',
  'stopping',
  'deleting',
])

const STARTABLE = new Set(['initial', 'stopped', 'exited', 'failed', 'not_found', 'unknown'])
const STOPPABLE = new Set(['pulling', 'creating', 'starting', 'running', 'paused', 'unknown'])
const RESTARTABLE = new Set(['starting', 'running', 'exited', 'failed'])

/** Whether an action makes sense in a state (permissions are checked separately). */
export function actionAllowed(action: ContainerAction | 'edit' | 'delete', state: string): boolean {
  switch (action) {
    case 'start':
      return STARTABLE.has(state)
    case 'stop':
      return STOPPABLE.has(state)
    case 'restart':
      return RESTARTABLE.has(state)
    case 'pause':
      return state === 'running'
    case 'unpause':
      return state === 'paused'
    case 'update':
      return state !== 'paused' && state !== 'deleting'
    case 'open':
    case 'edit':
    case 'delete':
      return state !== 'deleting' && state !== 'deleted'
  }
}

/** Human words for a state_reason (SPEC 5.2). */
export function reasonLabel(reason: string): string {
  const words: Record<string, string> = {
    user: 'by a user',
    idle: 'idle for too long',
    max_lifetime: 'reached its maximum lifetime',
    maintenance: 'maintenance',
    crashed: 'crashed',
    oom_killed: 'out of memory',
    pull_failed: 'image pull failed',
    create_failed: 'could not be created',
    start_failed: 'could not be started',
    startup_timeout: 'did not become ready in time',
  }
  return words[reason] ?? reason.replace(/_/g, ' ')
}

/** A state for people ("not_found" → "not found"). */
export function stateLabel(state: string): string {
  return state.replace(/_/g, ' ')
}

/**
 * The label of the button that opens an app: "Open" when it runs, else what opening it will do. Beside a Start
 * button (`besideStart`), a failed app's says "Start and open" rather than "Try again", which would read as the same
 * thing as Start.
 */
export function openLabel(state: string, besideStart = false): string {
  switch (state) {
    case 'running':
    case 'paused':
      return 'Open'
    case 'pulling':
    case 'creating':
    case 'starting':
      return 'Open when ready'
    case 'failed':
    case 'exited':
      return besideStart ? 'Start and open' : 'Try again'
    default:
      return 'Start and open'
  }
}

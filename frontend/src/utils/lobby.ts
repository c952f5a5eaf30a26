// The lobby's view of a starting app: which step it is in, how far an image pull has come, and whether it has
// failed. Pure functions, so the lobby's behaviour can be tested without a browser.
import type { Container, ContainerState, JobProgressUpdate, ProbeStatus, StepProgress } from '@/api/types'

/** The steps the lobby shows, in order. */
export const LOBBY_STEPS = [
  { key: 'pull', title: 'Pull image', description: 'Download the image if the host does not have it yet' },
  { key: 'create', title: 'Create container', description: 'Apply the configuration and resource limits' },
  { key: 'start', title: 'Start', description: "Run the app's command" },
  { key: 'probe', title: 'Wait for the app', description: 'Until it answers its readiness probe' },
] as const

/** A step key of a job.progress event. */
export type StepKey = (typeof LOBBY_STEPS)[number]['key']

/** What the lobby reads of a job.progress event: its step and, for pulls, how far it has come. */
export type JobProgressEvent = Pick<JobProgressUpdate, 'container' | 'step'> & {
  message?: string
  progress?: Partial<StepProgress> | null
}

/** What the lobby is doing. */
export type LobbyPhase = 'loading' | 'starting' | 'running' | 'failed' | 'stopped' | 'missing' | 'forbidden'

/** 1-based index of the step a state belongs to (0 = not started yet). */
export function stepOfState(state: ContainerState): number {
  switch (state) {
    case 'pulling':
      return 1
    case 'creating':
      return 2
    case 'starting':
      // Docker runs the container; the app has not answered its probe yet.
      return 4
    case 'running':
      return 5
    default:
      return 0
  }
}

/** 1-based index of a job.progress step (0 for unknown steps). */
export function stepOfJob(step: string): number {
  const i = LOBBY_STEPS.findIndex((s) => s.key === step)
  return i < 0 ? 0 : i + 1
}

/** The step to highlight: the furthest of what the state and the latest job event say. */
export function currentStep(state: ContainerState, job: JobProgressEvent | null): number {
  const fromState = stepOfState(state)
  const fromJob = job ? stepOfJob(job.step) : 0
  return Math.max(fromState, fromJob)
}

/** Pull percentage (0-100) from a job event, or null when it is not a pull with a known size. */
export function pullPercent(job: JobProgressEvent | null): number | null {
  if (!job || job.step !== 'pull' || !job.progress) return null
  const { percent, current, total } = job.progress
  if (typeof percent === 'number' && Number.isFinite(percent)) return clamp(percent)
  if (typeof current === 'number' && typeof total === 'number' && total > 0)
    return clamp((current / total) * 100)
  return null
}

function clamp(p: number): number {
  return Math.max(0, Math.min(100, Math.round(p)))
}

/** The step a failure reason points at (0 when it is no step's: a crash, a stop). */
export function stepOfReason(reason: string): number {
  const steps: Record<string, number> = {
    pull_failed: 1,
    create_failed: 2,
    start_failed: 3,
    startup_timeout: 4,
  }
  return steps[reason] ?? 0
}

/** States in which the app will not come up by itself: the lobby shows why and offers to try again. */
export function isFailure(c: Pick<Container, 'state'>): boolean {
  return c.state === 'failed' || c.state === 'exited'
}

/**
 * The lobby phase for a container. `opened` says whether this lobby has asked kiosc to start it; before that, a
 * failed container shows its failure rather than being restarted on every reload.
 */
export function phaseOf(c: Pick<Container, 'state' | 'desired_state'>, opened: boolean): LobbyPhase {
  if (c.state === 'running') return 'running'
  if (isFailure(c)) return 'failed'
  if (opened && c.desired_state === 'stopped' && (c.state === 'stopped' || c.state === 'deleted'))
    return 'stopped'
  return 'starting'
}

/** Human words for state_reason values (SPEC 5.2). */
export function reasonText(reason: string): string {
  const words: Record<string, string> = {
    pull_failed: 'The image could not be pulled',
    create_failed: 'The container could not be created',
    start_failed: 'The container could not be started',
    startup_timeout: 'The app did not answer in time',
    crashed: 'The app stopped by itself',
    oom_killed: 'The app ran out of memory',
    user: 'The app was stopped by a user',
    idle: 'The app was stopped after being idle',
    max_lifetime: 'The app reached its maximum run time',
    maintenance: 'The app was stopped for maintenance',
  }
  return words[reason] ?? (reason ? reason.replace(/_/g, ' ') : 'The app is not running')
}

/** One stored or live log line. */
export interface LogLine {
  time?: string
  stream?: string
  line: string
}

/** Extracts log lines from the logs API answer, whatever envelope it uses. */
export function logLines(body: unknown): LogLine[] {
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' && body !== null
      ? ((body as { items?: unknown; lines?: unknown }).items ?? (body as { lines?: unknown }).lines)
      : null
  if (!Array.isArray(list)) return []
  return list
    .map((l): LogLine | null => {
      if (typeof l === 'string') return { line: l }
      if (typeof l === 'object' && l !== null && typeof (l as LogLine).line === 'string') return l as LogLine
      return null
    })
    .filter((l): l is LogLine => l !== null)
}

/** The proxy URL of a container's app. */
export function appUrl(uuid: string): string {
  return `/containers/proxy/${encodeURIComponent(uuid)}/`
}

/** How long a starting app has been waited for, from the server's start time, against its startup timeout. */
export function probeElapsed(
  probe: Pick<ProbeStatus, 'started_at' | 'timeout_seconds'>,
  now = Date.now(),
): { seconds: number; timeout: number; percent: number } {
  const started = new Date(probe.started_at).getTime()
  const timeout = Math.max(1, probe.timeout_seconds)
  const seconds = Number.isNaN(started)
    ? 0
    : Math.max(0, Math.min(timeout, Math.floor((now - started) / 1000)))
  return { seconds, timeout, percent: Math.round((seconds / timeout) * 100) }
}

/** Seconds as a clock: "0:42", "5:00", "1:02:03". */
export function clockText(total: number): string {
  const s = Math.max(0, Math.floor(total))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`
}

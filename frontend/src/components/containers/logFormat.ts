// Pure helpers of the log viewer: how a line is drawn in the terminal, and which lines a reconnect
// already showed.
import type { ContainerLogLine } from '@/api/types'

const DIM = '\x1b[2m'
const UNDIM = '\x1b[22m'
const STDERR = '\x1b[38;5;209m'
const RESET_FG = '\x1b[39m'

/** "15:04:05.123" in local time, or '' for a missing time. */
export function clock(time: string | undefined): string {
  if (!time) return ''
  const d = new Date(time)
  if (Number.isNaN(d.getTime())) return ''
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`
}

/** A log line as terminal output: optional dim time, stderr in a warm colour, CRLF ended. */
export function renderLine(l: ContainerLogLine, timestamps: boolean): string {
  const text = l.line.replace(/\r?\n$/, '').replace(/\r?\n/g, '\r\n')
  const body = l.stream === 'stderr' ? `${STDERR}${text}${RESET_FG}` : text
  const ts = timestamps ? clock(l.time) : ''
  return `${ts ? `${DIM}${ts}${UNDIM} ` : ''}${body}\r\n`
}

/** A dim marker line, e.g. when the container restarts. */
export function renderMarker(text: string): string {
  return `${DIM}──── ${text} ────${UNDIM}\r\n`
}

/** Stored lines as a plain-text file. */
export function logsAsText(lines: ContainerLogLine[]): string {
  return lines.map((l) => `${l.time} ${l.stream === 'stderr' ? 'E' : 'O'} ${l.line}`).join('\n') + '\n'
}

/**
 * Remembers the newest line shown, so that after a reconnect (which sends the tail again) only new lines
 * are drawn. Lines with the same time are told apart by how many of them were shown.
 */
export class LineCursor {
  private last = ''
  private atLast = 0
  private skipAtLast = 0

  /** Call when a new connection starts sending its tail. */
  reconnect(): void {
    this.skipAtLast = this.atLast
  }

  /** True when the line is new and should be drawn. */
  accept(l: ContainerLogLine): boolean {
    const t = l.time ?? ''
    if (t && this.last) {
      if (t < this.last) return false
      if (t === this.last && this.skipAtLast > 0) {
        this.skipAtLast--
        return false
      }
    }
    if (t !== this.last) {
      this.last = t
      this.atLast = 0
      this.skipAtLast = 0
    }
    this.atLast++
    return true
  }
}

import { describe, expect, it } from 'vitest'
import { LineCursor, logsAsText, renderLine } from '../logFormat'

const line = (time: string, text: string, stream = 'stdout') => ({ time, stream, line: text })

describe('log viewer lines', () => {
  it('colours stderr and ends lines with CRLF', () => {
    const out = renderLine(line('2026-01-01T00:00:00Z', 'oops', 'stderr'), false)
    expect(out).toBe('\x1b[38;5;209moops\x1b[39m\r\n')
    expect(renderLine(line('2026-01-01T00:00:00Z', 'fine'), false)).toBe('fine\r\n')
  })

  it('does not draw the tail again after a reconnect', () => {
    const cur = new LineCursor()
    const first = [line('t1', 'a'), line('t2', 'b'), line('t2', 'c')]
    expect(first.map((l) => cur.accept(l))).toEqual([true, true, true])
    cur.reconnect()
    const again = [line('t1', 'a'), line('t2', 'b'), line('t2', 'c'), line('t2', 'd'), line('t3', 'e')]
    expect(again.map((l) => cur.accept(l))).toEqual([false, false, false, true, true])
  })

  it('writes stored lines as text', () => {
    expect(logsAsText([line('t1', 'a'), line('t2', 'b', 'stderr')])).toBe('t1 O a\nt2 E b\n')
  })
})

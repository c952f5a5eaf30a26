import { describe, expect, it } from 'vitest'
import { compareInstants } from '../instant'

describe('compareInstants', () => {
  it.each([
    // Go drops trailing zeros: string order and time order differ within a second.
    ['2026-12-07T02:59:21.4Z', '2026-12-07T02:59:21.45Z', -1],
    ['2026-12-07T02:59:21Z', '2026-12-07T02:59:21.3Z', -1],
    ['2026-12-07T02:59:21.4Z', '2026-12-07T02:59:21.400500Z', -1],
    ['2026-12-07T02:59:21.400Z', '2026-12-07T02:59:21.4Z', 0],
    ['2026-12-07T02:59:21.999999999Z', '2026-12-07T02:59:22Z', -1],
    ['2026-12-07T02:59:22Z', '2026-12-07T02:59:21.999Z', 1],
    // Offsets count.
    ['2026-12-07T03:59:21+01:00', '2026-12-07T02:59:21.5Z', -1],
    ['2026-12-07T02:59:21.5+00:00', '2026-12-07T02:59:21.5Z', 0],
  ])('%s against %s', (a, b, want) => {
    expect(Math.sign(compareInstants(a, b))).toBe(want)
    expect(Math.sign(compareInstants(b, a))).toBe(-want || 0)
  })

  it('falls back to string order for what it cannot read', () => {
    expect(Math.sign(compareInstants('a', 'b'))).toBe(-1)
    expect(compareInstants('x', 'x')).toBe(0)
  })
})

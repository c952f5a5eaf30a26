import { describe, expect, it } from 'vitest'
import { actionAllowed, openLabel } from '@/utils/containerState'

describe('actions by state', () => {
  it('offers what makes sense', () => {
    expect(actionAllowed('start', 'stopped')).toBe(true)
    expect(actionAllowed('start', 'running')).toBe(false)
    expect(actionAllowed('stop', 'running')).toBe(true)
    expect(actionAllowed('stop', 'stopped')).toBe(false)
    expect(actionAllowed('pause', 'running')).toBe(true)
    expect(actionAllowed('unpause', 'paused')).toBe(true)
    expect(actionAllowed('pause', 'paused')).toBe(false)
    expect(actionAllowed('restart', 'failed')).toBe(true)
    expect(actionAllowed('delete', 'deleting')).toBe(false)
    expect(actionAllowed('edit', 'exited')).toBe(true)
  })
})

describe('openLabel', () => {
  it('says what opening will do, and never "Try again" beside a Start button', () => {
    expect(openLabel('running')).toBe('Open')
    expect(openLabel('initial')).toBe('Start and open')
    expect(openLabel('failed')).toBe('Try again')
    expect(openLabel('failed', true)).toBe('Start and open')
  })
})

import { describe, expect, it } from 'vitest'
import { currentStep, logLines, phaseOf, pullPercent, reasonText, stepOfReason } from '../lobby'

describe('lobby progress', () => {
  it('follows the state and the latest job step, never backwards', () => {
    expect(currentStep('stopped', null)).toBe(0)
    expect(currentStep('pulling', null)).toBe(1)
    expect(currentStep('pulling', { container: 'c', step: 'pull' })).toBe(1)
    expect(currentStep('creating', { container: 'c', step: 'pull' })).toBe(2)
    expect(currentStep('creating', { container: 'c', step: 'start' })).toBe(3)
    expect(currentStep('starting', { container: 'c', step: 'start' })).toBe(4)
    expect(currentStep('running', null)).toBe(5)
  })

  it('reads the pull percentage', () => {
    expect(pullPercent(null)).toBeNull()
    expect(pullPercent({ container: 'c', step: 'pull', progress: { percent: 42.4 } })).toBe(42)
    expect(pullPercent({ container: 'c', step: 'pull', progress: { current: 1, total: 4 } })).toBe(25)
    expect(pullPercent({ container: 'c', step: 'pull', progress: { current: 1, total: 0 } })).toBeNull()
    expect(pullPercent({ container: 'c', step: 'create', progress: { percent: 50 } })).toBeNull()
  })

  it('tells failures from progress', () => {
    expect(phaseOf({ state: 'running', desired_state: 'running' }, false)).toBe('running')
    expect(phaseOf({ state: 'failed', desired_state: 'stopped' }, false)).toBe('failed')
    expect(phaseOf({ state: 'exited', desired_state: 'running' }, true)).toBe('failed')
    expect(phaseOf({ state: 'stopped', desired_state: 'stopped' }, false)).toBe('starting')
    expect(phaseOf({ state: 'stopped', desired_state: 'stopped' }, true)).toBe('stopped')
    expect(phaseOf({ state: 'pulling', desired_state: 'running' }, true)).toBe('starting')
    expect(reasonText('startup_timeout')).toMatch(/did not answer/)
    expect(reasonText('weird_thing')).toBe('weird thing')
  })

  it('accepts the log envelopes', () => {
    const lines = [{ time: 't', stream: 'stdout', line: 'a' }, { line: 'b' }]
    expect(logLines(lines)).toHaveLength(2)
    expect(logLines({ items: lines })).toHaveLength(2)
    expect(logLines({ lines: ['x', 'y'] })).toEqual([{ line: 'x' }, { line: 'y' }])
    expect(logLines(null)).toEqual([])
  })

  it('points a failure reason at its step', () => {
    expect(stepOfReason('pull_failed')).toBe(1)
    expect(stepOfReason('startup_timeout')).toBe(4)
    expect(stepOfReason('crashed')).toBe(0)
  })
})

import { describe, expect, it } from 'vitest'
import { envFromText, envToText, formatFieldValue } from '@/api/templates'

describe('template helpers', () => {
  it('round-trips environment text and names bad lines', () => {
    expect(envToText({ B: '2', A: 'x=y' })).toBe('A=x=y\nB=2')
    expect(envFromText('A=x=y\n\n# note\nB=2')).toEqual({ env: { A: 'x=y', B: '2' }, error: null })
    expect(envFromText('A=1\n1BAD=2').error).toContain('Line 2')
    expect(envFromText('A=1\nA=2').error).toContain('A is listed twice')
    expect(envFromText('NOVALUE').error).toContain('Line 1')
  })

  it('formats values for people', () => {
    expect(formatFieldValue('max_idle', 3600)).toBe('1 h')
    expect(formatFieldValue('max_idle', 0)).toBe('site default')
    expect(formatFieldValue('strip_prefix', false)).toBe('no')
    expect(formatFieldValue('command', '')).toBe('(empty)')
    expect(formatFieldValue('environment', {})).toBe('(none)')
  })
})

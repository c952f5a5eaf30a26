import { describe, expect, it } from 'vitest'
import { formatFieldValue } from '@/utils/templateFields'

describe('template fields', () => {
  it('formats values for people', () => {
    expect(formatFieldValue('max_idle', 3600)).toBe('1 h')
    expect(formatFieldValue('max_idle', 0)).toBe('site default')
    expect(formatFieldValue('strip_prefix', false)).toBe('no')
    expect(formatFieldValue('command', '')).toBe('(empty)')
    expect(formatFieldValue('environment', {})).toBe('(none)')
  })
})

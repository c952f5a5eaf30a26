import { describe, expect, it } from 'vitest'
import { formatFieldValue } from '@/utils/templateFields'

describe('template fields', () => {
  it('formats values for people', () => {
    expect(formatFieldValue('max_idle', 3600)).toBe('1 h')
    expect(formatFieldValue('max_idle', 0)).toBe('site default')
    expect(formatFieldValue('strip_prefix', false)).toBe('no')
    expect(formatFieldValue('command', '')).toBe('(empty)')
    expect(formatFieldValue('environment', {})).toBe('(none)')
    expect(formatFieldValue('volumes', [])).toBe('(none)')
    expect(
      formatFieldValue('volumes', [
        { name: 'work', mount_path: '/work', scope: 'container', read_only: false },
        { name: 'ref', mount_path: '/ref', scope: 'project', read_only: true },
      ]),
    ).toBe('work at /work (container)\nref at /ref (project, read-only)')
    expect(formatFieldValue('user', '')).toBe('site default')
    expect(formatFieldValue('read_only_rootfs', true)).toBe('yes')
  })
})

import { describe, expect, it } from 'vitest'
import {
  formatInterval,
  formatMemoryLimit,
  formatSeconds,
  formatSize,
  fromBytes,
  GIB,
  MIB,
  toBytes,
} from '@/utils/units'

describe('memory units', () => {
  it.each([
    [512, 'MiB', 512 * MIB],
    [1, 'GiB', GIB],
    [1.5, 'GiB', 1.5 * GIB],
    [0.25, 'GiB', 256 * MIB],
    [6, 'MiB', 6291456],
    [0.5, 'MiB', 524288],
  ] as const)('%d %s is %d bytes', (amount, unit, bytes) => {
    expect(toBytes(amount, unit)).toBe(bytes)
  })

  it('treats empty, zero and negative amounts as the site default (0)', () => {
    expect(toBytes(null, 'GiB')).toBe(0)
    expect(toBytes(undefined, 'MiB')).toBe(0)
    expect(toBytes(0, 'GiB')).toBe(0)
    expect(toBytes(-3, 'MiB')).toBe(0)
    expect(toBytes(Number.NaN, 'MiB')).toBe(0)
  })

  it('rounds to whole bytes', () => {
    expect(Number.isInteger(toBytes(1.1, 'GiB'))).toBe(true)
    expect(toBytes(1 / 3, 'MiB')).toBe(Math.round(MIB / 3))
  })

  it('shows whole GiB as GiB and everything else as MiB', () => {
    expect(fromBytes(2 * GIB)).toEqual({ amount: 2, unit: 'GiB' })
    expect(fromBytes(512 * MIB)).toEqual({ amount: 512, unit: 'MiB' })
    expect(fromBytes(1536 * MIB)).toEqual({ amount: 1536, unit: 'MiB' })
    expect(fromBytes(0)).toEqual({ amount: null, unit: 'GiB' })
    expect(fromBytes(null)).toEqual({ amount: null, unit: 'GiB' })
  })

  it('round-trips through the form', () => {
    for (const bytes of [6 * MIB, 100 * MIB, GIB, 3 * GIB, 1536 * MIB, 10 * GIB]) {
      const { amount, unit } = fromBytes(bytes)
      expect(toBytes(amount, unit)).toBe(bytes)
    }
  })

  it('formats for people', () => {
    expect(formatMemoryLimit(0)).toBe('site default')
    expect(formatMemoryLimit(4 * GIB)).toBe('4 GiB')
    expect(formatMemoryLimit(768 * MIB)).toBe('768 MiB')
    expect(formatSeconds(0)).toBe('site default')
    expect(formatSeconds(90)).toBe('90 s')
    expect(formatSeconds(3600)).toBe('1 h')
    expect(formatSeconds(9000)).toBe('2 h 30 min')
  })
})

describe('sizes and intervals', () => {
  it('formats sizes', () => {
    expect(formatSize(512)).toBe('512 B')
    expect(formatSize(1536)).toBe('1.5 KiB')
    expect(formatSize(300 * 1024 * 1024)).toBe('300 MiB')
  })

  it('formats intervals', () => {
    expect(formatInterval(300)).toBe('5 min')
    expect(formatInterval(5400)).toBe('1 h 30 min')
    expect(formatInterval(45)).toBe('45 s')
    expect(formatInterval(null)).toBe('–')
  })
})

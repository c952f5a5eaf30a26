import { describe, expect, it } from 'vitest'
import {
  actionAllowed,
  envErrorsByRow,
  envPayload,
  envRowsFrom,
  formatBytes,
  formatSeconds,
  fromBytes,
  GIB,
  MIB,
  newEnvRow,
  toBytes,
  type EnvRow,
} from '@/api/containers'

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
    expect(formatBytes(0)).toBe('site default')
    expect(formatBytes(4 * GIB)).toBe('4 GiB')
    expect(formatBytes(768 * MIB)).toBe('768 MiB')
    expect(formatSeconds(0)).toBe('site default')
    expect(formatSeconds(90)).toBe('90 s')
    expect(formatSeconds(3600)).toBe('1 h')
    expect(formatSeconds(9000)).toBe('2 h 30 min')
  })
})

describe('environment editor payload', () => {
  const rows = (): EnvRow[] => envRowsFrom({ B: '2', A: '1' }, ['TOKEN', 'PASSWORD'])

  it('lists plain variables with values and stored secrets without them', () => {
    const r = rows()
    expect(r.map((x) => [x.key, x.value, x.secret, x.stored])).toEqual([
      ['A', '1', false, false],
      ['B', '2', false, false],
      ['PASSWORD', '', true, true],
      ['TOKEN', '', true, true],
    ])
  })

  it('leaves stored secrets alone unless replaced or removed', () => {
    const p = envPayload(rows(), ['TOKEN', 'PASSWORD'])
    expect(p.environment).toEqual({ A: '1', B: '2' })
    expect(p.secret_environment).toEqual({})
    expect(p.errors).toEqual({})
  })

  it('replaces and removes stored secrets', () => {
    const r = rows()
    const token = r.find((x) => x.key === 'TOKEN')!
    token.action = 'replace'
    token.value = 'new-token'
    r.find((x) => x.key === 'PASSWORD')!.action = 'remove'
    const p = envPayload(r, ['TOKEN', 'PASSWORD'])
    expect(p.secret_environment).toEqual({ TOKEN: 'new-token', PASSWORD: null })
    expect(p.environment).toEqual({ A: '1', B: '2' })
  })

  it('removes a stored secret whose row was deleted', () => {
    const r = rows().filter((x) => x.key !== 'TOKEN')
    expect(envPayload(r, ['TOKEN', 'PASSWORD']).secret_environment).toEqual({ TOKEN: null })
  })

  it('sends new secret rows as secrets, never as plain variables', () => {
    const s = newEnvRow(true)
    s.key = 'API_KEY'
    s.value = 's3cret'
    const p = envPayload([...rows(), s], ['TOKEN', 'PASSWORD'])
    expect(p.secret_environment).toEqual({ API_KEY: 's3cret' })
    expect(p.environment).not.toHaveProperty('API_KEY')
  })

  it('turns a plain variable into a secret by toggling the row', () => {
    const r = rows()
    r.find((x) => x.key === 'A')!.secret = true
    const p = envPayload(r, [])
    expect(p.environment).toEqual({ B: '2' })
    expect(p.secret_environment).toEqual({ A: '1' })
  })

  it('removes a stored secret in a request of its own when it becomes a plain variable', () => {
    const r = rows().filter((x) => x.key !== 'TOKEN')
    const plain = newEnvRow()
    plain.key = 'TOKEN'
    plain.value = 'visible'
    const p = envPayload([...r, plain], ['TOKEN', 'PASSWORD'])
    expect(p.environment.TOKEN).toBe('visible')
    expect(p.secret_environment).not.toHaveProperty('TOKEN')
    expect(p.secretsToDropFirst).toEqual(['TOKEN'])
  })

  it('refuses a replace without a value, bad names, KIOSC_ names and duplicates', () => {
    const r = rows()
    const token = r.find((x) => x.key === 'TOKEN')!
    token.action = 'replace'
    const bad = { ...newEnvRow(), key: '1X', value: 'v' }
    const reserved = { ...newEnvRow(), key: 'KIOSC_USER', value: 'v' }
    const dup = { ...newEnvRow(), key: 'A', value: 'again' }
    const nameless = { ...newEnvRow(), key: '', value: 'orphan' }
    const empty = newEnvRow()
    const p = envPayload([...r, bad, reserved, dup, nameless, empty], ['TOKEN', 'PASSWORD'])
    expect(Object.keys(p.errors).map(Number).sort()).toEqual(
      [token.id, bad.id, reserved.id, dup.id, nameless.id].sort(),
    )
    expect(p.errors[dup.id]).toContain('twice')
    expect(p.secret_environment).not.toHaveProperty('TOKEN')
  })

  it('maps server field errors to rows', () => {
    const r = rows()
    const errs = envErrorsByRow(r, {
      'environment.A': 'bad',
      'secret_environment.TOKEN': 'also set in environment',
      image: 'required',
    })
    expect(errs).toEqual({
      [r.find((x) => x.key === 'A')!.id]: 'bad',
      [r.find((x) => x.key === 'TOKEN')!.id]: 'also set in environment',
    })
  })
})

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

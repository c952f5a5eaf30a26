import { describe, expect, it } from 'vitest'
import {
  envErrorsByRow,
  envFromText,
  envPayload,
  envRowsFrom,
  envToText,
  newEnvRow,
  type EnvRow,
} from '@/utils/env'

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

describe('environment text', () => {
  it('round-trips environment text and names bad lines', () => {
    expect(envToText({ B: '2', A: 'x=y' })).toBe('A=x=y\nB=2')
    expect(envFromText('A=x=y\n\n# note\nB=2')).toEqual({ env: { A: 'x=y', B: '2' }, error: null })
    expect(envFromText('A=1\n1BAD=2').error).toContain('Line 2')
    expect(envFromText('A=1\nA=2').error).toContain('A is listed twice')
    expect(envFromText('NOVALUE').error).toContain('Line 1')
  })
})

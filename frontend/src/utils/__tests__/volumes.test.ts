import { describe, expect, it } from 'vitest'
import type { VolumeMount } from '@/api/types'
import {
  deletionOutcome,
  filesOnStop,
  listNames,
  newVolumeRow,
  splitVolumes,
  volumeErrorsByRow,
  volumeRowsFrom,
  volumesPayload,
} from '../volumes'

const work: VolumeMount = {
  name: 'work',
  mount_path: '/home/jovyan/work',
  scope: 'container',
  read_only: false,
}
const ref: VolumeMount = { name: 'ref', mount_path: '/ref', scope: 'project', read_only: true }

describe('volume rows', () => {
  it('round-trips the settings and drops rows left empty', () => {
    const rows = volumeRowsFrom([work, ref])
    expect(rows.map((r) => r.name)).toEqual(['work', 'ref'])
    expect(new Set(rows.map((r) => r.id)).size).toBe(2)
    const blank = newVolumeRow()
    const typed = { ...newVolumeRow(), name: ' data ', mount_path: ' /data ' }
    expect(volumesPayload([...rows, blank, typed])).toEqual([
      work,
      ref,
      { name: 'data', mount_path: '/data', scope: 'container', read_only: false },
    ])
    expect(volumeRowsFrom(undefined)).toEqual([])
  })

  it('puts the server’s errors on the rows it sent', () => {
    const rows = [
      newVolumeRow(),
      { ...newVolumeRow(), name: 'a', mount_path: '/a' },
      { ...newVolumeRow(), name: 'b' },
    ]
    const got = volumeErrorsByRow(rows, {
      'volumes[0].mount_path': 'must be absolute',
      'volumes[1].name': 'volumes[0] has the same name',
      'volumes[1].scope': 'bad',
      volumes: 'at most 16 volumes',
      title: 'required',
    })
    expect(got.list).toBe('at most 16 volumes')
    expect(got.rows[rows[0]!.id]).toBeUndefined()
    expect(got.rows[rows[1]!.id]).toEqual({ mount_path: 'must be absolute' })
    expect(got.rows[rows[2]!.id]).toEqual({ name: 'volumes[0] has the same name', scope: 'bad' })
  })
})

describe('what stop, restart and delete keep', () => {
  it('lists names for sentences', () => {
    expect(listNames([])).toBe('')
    expect(listNames(['a'])).toBe('a')
    expect(listNames(['a', 'b', 'c'])).toBe('a, b and c')
  })

  it('speaks of volumes only when there are some', () => {
    expect(filesOnStop([], false)).toContain('has no volumes')
    expect(filesOnStop([], false)).not.toContain('mounted volume')
    expect(filesOnStop(undefined, true)).toBe(
      'This app has no volumes: files it wrote are lost when it restarts.',
    )
    expect(filesOnStop([work, ref], false)).toContain(
      'Files in its volumes work (/home/jovyan/work) and ref (/ref) are kept.',
    )
    expect(filesOnStop([work], true)).toBe(
      'Files in its volume work (/home/jovyan/work) are kept; files it wrote anywhere else are lost.',
    )
  })

  it('says exactly what a deletion keeps', () => {
    expect(splitVolumes([work, ref])).toEqual({ own: [work], shared: [ref] })
    const keep = deletionOutcome([work, ref], false)
    expect(keep).toContain('Its volume work is kept')
    expect(keep).toContain('The project volume ref stays.')
    const remove = deletionOutcome([work, ref], true)
    expect(remove).toContain('Its volume work is removed with every file in it.')
    expect(remove).toContain('The project volume ref stays.')
    expect(deletionOutcome([], false)).toContain('It has no volumes of its own.')
    expect(deletionOutcome([], false)).toContain('This cannot be undone.')
  })
})

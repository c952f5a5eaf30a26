// Volumes for people: the rows of the form's volume editor, and what stopping, restarting or deleting a
// container does with the files of its app.
import type { VolumeMount, VolumeMountInput, VolumeScope } from '@/api/types'

/** A volume as the form edits it; `id` keys the row. */
export interface VolumeRow {
  id: number
  name: string
  mount_path: string
  scope: VolumeScope
  read_only: boolean
}

let nextId = 1

/** An empty row for a new volume. */
export function newVolumeRow(): VolumeRow {
  return { id: nextId++, name: '', mount_path: '', scope: 'container', read_only: false }
}

/** The form rows of a container's or template's volumes. */
export function volumeRowsFrom(list: readonly VolumeMount[] | undefined | null): VolumeRow[] {
  return (list ?? []).map((v) => ({ id: nextId++, ...v }))
}

/** The request's volumes: the rows with name and path trimmed, rows left empty dropped. */
export function volumesPayload(rows: readonly VolumeRow[]): VolumeMountInput[] {
  return rows
    .filter((r) => r.name.trim() !== '' || r.mount_path.trim() !== '')
    .map((r) => ({
      name: r.name.trim(),
      mount_path: r.mount_path.trim(),
      scope: r.scope,
      read_only: r.read_only,
    }))
}

/**
 * The field errors of volumes by row id and field ("volumes[1].mount_path" → {[id of row 1]: {mount_path}}), and
 * the one about the list as a whole ("volumes"). Row indices count the rows the payload sent.
 */
export function volumeErrorsByRow(
  rows: readonly VolumeRow[],
  errors: Record<string, string>,
): { rows: Record<number, Partial<Record<'name' | 'mount_path' | 'scope', string>>>; list?: string } {
  const sent = rows.filter((r) => r.name.trim() !== '' || r.mount_path.trim() !== '')
  const out: Record<number, Partial<Record<'name' | 'mount_path' | 'scope', string>>> = {}
  for (const [key, msg] of Object.entries(errors)) {
    const m = /^volumes\[(\d+)\]\.(name|mount_path|scope|read_only)$/.exec(key)
    const row = m ? sent[Number(m[1])] : undefined
    if (!m || !row) continue
    const field = m[2] === 'read_only' ? 'scope' : (m[2] as 'name' | 'mount_path' | 'scope')
    out[row.id] = { ...out[row.id], [field]: msg }
  }
  return { rows: out, list: errors.volumes }
}

/** A list of names for a sentence: "a", "a and b", "a, b and c". */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('')
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`
}

/** Mounts in words: "work (/home/jovyan/work)". */
function mounts(vols: readonly VolumeMount[]): string {
  return listNames(vols.map((v) => `${v.name} (${v.mount_path})`))
}

/**
 * What stopping (or restarting, which re-creates the Docker container) does with the app's files, exactly: files
 * in volumes are kept; files elsewhere survive a stop and a start but not a new Docker container.
 */
export function filesOnStop(vols: readonly VolumeMount[] | undefined, restart: boolean): string {
  const list = vols ?? []
  if (list.length === 0) {
    return restart
      ? 'This app has no volumes: files it wrote are lost when it restarts.'
      : 'This app has no volumes: files it wrote are kept only until its Docker container is re-created (a restart, changed settings, or the removal of long-stopped containers).'
  }
  const kept = `Files in its ${list.length === 1 ? 'volume' : 'volumes'} ${mounts(list)} are kept`
  return restart
    ? `${kept}; files it wrote anywhere else are lost.`
    : `${kept}. Files it wrote anywhere else are kept only until its Docker container is re-created (a restart, changed settings, or the removal of long-stopped containers).`
}

/** The container's own volumes and the project volumes it mounts. */
export function splitVolumes(vols: readonly VolumeMount[] | undefined): {
  own: VolumeMount[]
  shared: VolumeMount[]
} {
  const list = vols ?? []
  return { own: list.filter((v) => v.scope !== 'project'), shared: list.filter((v) => v.scope === 'project') }
}

/** What a deletion keeps and removes, given whether it removes the container's own volumes. */
export function deletionOutcome(vols: readonly VolumeMount[] | undefined, deleteVolumes: boolean): string {
  const { own, shared } = splitVolumes(vols)
  const parts = [
    'The Docker container and its stored logs are removed; its configuration and secrets are gone for good.',
  ]
  if (own.length) {
    const names = listNames(own.map((v) => v.name))
    parts.push(
      deleteVolumes
        ? `Its ${own.length === 1 ? 'volume' : 'volumes'} ${names} ${own.length === 1 ? 'is' : 'are'} removed with every file in ${own.length === 1 ? 'it' : 'them'}.`
        : `Its ${own.length === 1 ? 'volume' : 'volumes'} ${names} ${own.length === 1 ? 'is' : 'are'} kept: the project page lists ${own.length === 1 ? 'it' : 'them'} with the date ${own.length === 1 ? 'it is' : 'they are'} removed, and ${own.length === 1 ? 'its' : 'their'} files can be downloaded until then.`,
    )
  } else {
    parts.push('It has no volumes of its own.')
  }
  if (shared.length) {
    parts.push(
      `The project ${shared.length === 1 ? 'volume' : 'volumes'} ${listNames(shared.map((v) => v.name))} ${shared.length === 1 ? 'stays' : 'stay'}.`,
    )
  }
  parts.push('This cannot be undone.')
  return parts.join(' ')
}

// Typed client of the volume endpoints: listings, removal of project volumes, and the URLs and uploads of their
// files.
import { api, type ApiClient } from './client'
import type { Page, Volume, VolumeUploadResult } from './types'

const enc = encodeURIComponent

/** Which volume: one of a container, or one of a project (with `container`, a volume kept after it was deleted). */
export type VolumeOwner = { container: string } | { project: string; container?: string }

/** Path of a volume's archive endpoint. */
function archivePath(owner: VolumeOwner, name: string): string {
  return 'project' in owner
    ? `/api/v1/projects/${enc(owner.project)}/volumes/${enc(name)}/archive`
    : `/api/v1/containers/${enc(owner.container)}/volumes/${enc(name)}/archive`
}

/** The query of a kept volume's endpoints. */
function keptQuery(owner: VolumeOwner): Record<string, string> {
  return 'project' in owner && owner.container ? { container: owner.container } : {}
}

/**
 * URL that downloads a file or folder of a volume (the whole volume by default) as a tar or zip archive. A plain
 * link: the browser streams it to disk.
 */
export function volumeArchiveUrl(
  owner: VolumeOwner,
  name: string,
  format: 'tar' | 'zip' = 'tar',
  path = '',
): string {
  const q = new URLSearchParams({ ...keptQuery(owner), format })
  if (path) q.set('path', path)
  return `${archivePath(owner, name)}?${q.toString()}`
}

/** The volume API on a client (the app's by default). */
export function volumesApi(client: ApiClient = api) {
  return {
    /** The volumes a container mounts, then its own volumes it no longer mounts. */
    ofContainer: (uuid: string) => client.get<Page<Volume>>(`/api/v1/containers/${enc(uuid)}/volumes`),
    /** A project's shared volumes, then the volumes kept after their container was deleted. */
    ofProject: (uuid: string) => client.get<Page<Volume>>(`/api/v1/projects/${enc(uuid)}/volumes`),
    /** Removes a project volume (or a kept one); 409 volume_in_use names the containers still configured with it. */
    remove: (project: string, name: string, container?: string) =>
      client.delete(`/api/v1/projects/${enc(project)}/volumes/${enc(name)}`, {
        query: container ? { container } : undefined,
      }),
    /** Uploads one file into the folder `path` of a volume (created when missing). */
    upload: (owner: VolumeOwner, name: string, file: File, path = '') =>
      client.request<VolumeUploadResult>('PUT', archivePath(owner, name), {
        raw: file,
        contentType: 'application/octet-stream',
        query: { ...keptQuery(owner), name: file.name, path: path || undefined },
      }),
  }
}

/** The app's volume API. */
export const volumes = volumesApi()

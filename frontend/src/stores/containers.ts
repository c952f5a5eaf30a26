import { defineStore } from 'pinia'
import { ref, watch } from 'vue'
import { containers as containersApi } from '@/api/containers'
import {
  isFullContainer,
  type Container,
  type ContainerItem,
  type JobProgressUpdate,
  type Project,
} from '@/api/types'
import { compareInstants } from '@/utils/instant'
import { useLiveStore } from './live'

/** States after which a job's progress no longer describes what the container does. */
const SETTLED = new Set(['running', 'stopped', 'exited', 'failed', 'paused', 'deleted', 'not_found'])

/**
 * Containers by uuid, kept current by the live channel: every `container.state` message carries the whole
 * container and replaces the stored copy in place, so every list and page showing it updates without
 * polling. Project lists remember which containers they hold; new ones join, deleted ones leave.
 */
export const useContainersStore = defineStore('containers', () => {
  const live = useLiveStore()
  /** Every container seen, by uuid. */
  const byUuid = ref<Record<string, ContainerItem>>({})
  /** Container uuids per loaded project, in display order. */
  const projectLists = ref<Record<string, string[]>>({})
  /** Latest job progress per container while a job runs. */
  const jobs = ref<Record<string, JobProgressUpdate>>({})
  /** Containers deleted while this page was open. */
  const deleted = ref<Record<string, true>>({})
  /** Projects the container pages needed (title and the user's permissions), by uuid. */
  const projects = ref<Record<string, Project>>({})
  /** Listeners for every container update (the site-wide list uses this to add new containers). */
  const listeners = new Set<(c: ContainerItem) => void>()

  function put(c: ContainerItem): ContainerItem {
    const old = byUuid.value[c.uuid]
    // A late answer must not overwrite a newer live update.
    if (old && compareInstants(old.updated_at, c.updated_at) > 0) return old
    byUuid.value[c.uuid] = c
    return c
  }

  function compare(a: string, b: string): number {
    const x = byUuid.value[a]
    const y = byUuid.value[b]
    return (x?.title ?? '').localeCompare(y?.title ?? '', undefined, { sensitivity: 'base' })
  }

  /** Applies a `container.state` message (or any fresher copy of a container). */
  function applyState(c: ContainerItem): void {
    if (!c || typeof c.uuid !== 'string') return
    if (c.state === 'deleted') {
      remove(c.uuid)
      for (const l of [...listeners]) l(c)
      return
    }
    const stored = put(c)
    const list = projectLists.value[c.project]
    if (list && !list.includes(c.uuid)) {
      list.push(c.uuid)
      list.sort(compare)
    }
    if (SETTLED.has(stored.state)) delete jobs.value[c.uuid]
    for (const l of [...listeners]) l(stored)
  }

  /**
   * Applies a `job.progress` message. A finished job leaves the view; a failed one stays until the container
   * changes, so that its message (why an update changed nothing) can be read.
   */
  function applyJob(p: JobProgressUpdate): void {
    if (!p || typeof p.container !== 'string') return
    if (p.state === 'done') delete jobs.value[p.container]
    else jobs.value[p.container] = p
  }

  function remove(uuid: string): void {
    const c = byUuid.value[uuid]
    delete byUuid.value[uuid]
    delete jobs.value[uuid]
    deleted.value[uuid] = true
    for (const [project, list] of Object.entries(projectLists.value)) {
      if (c && c.project !== project) continue
      const i = list.indexOf(uuid)
      if (i >= 0) list.splice(i, 1)
    }
  }

  /** Loads (or reloads) a project's containers. */
  async function loadProject(project: string): Promise<ContainerItem[]> {
    const page = await containersApi.listProject(project)
    const ids = page.items.map((c) => put(c).uuid)
    projectLists.value[project] = ids.sort(compare)
    return ids.map((id) => byUuid.value[id]!).filter(Boolean)
  }

  /** Loads (or reloads) one container. */
  async function load(uuid: string): Promise<Container> {
    const fresh = await containersApi.get(uuid)
    const c = put(fresh)
    delete deleted.value[uuid]
    return isFullContainer(c) ? c : fresh
  }

  /** Stores containers fetched elsewhere (the site-wide list) and returns the live copies' uuids. */
  function ingest(list: ContainerItem[]): string[] {
    return list.map((c) => put(c).uuid)
  }

  /** A project's title and the user's permissions in it, fetched once per page load. */
  async function project(uuid: string, refresh = false): Promise<Project> {
    const known = projects.value[uuid]
    if (known && !refresh) return known
    const p = await containersApi.project(uuid)
    projects.value[uuid] = p
    return p
  }

  /** Calls fn on every container update; returns the unsubscribe function. */
  function onUpdate(fn: (c: ContainerItem) => void): () => void {
    listeners.add(fn)
    return () => listeners.delete(fn)
  }

  live.subscribe('container.state', (data) => applyState(data))
  live.subscribe('job.progress', (data) => applyJob(data))

  // After a reconnect, messages may have been missed: refresh the project lists (pages showing one
  // container or the site-wide list refresh themselves).
  watch(
    () => live.connections,
    (n, old) => {
      if (n <= 1 || n === old) return
      for (const project of Object.keys(projectLists.value)) void loadProject(project).catch(() => {})
    },
  )

  return {
    byUuid,
    projectLists,
    jobs,
    deleted,
    projects,
    project,
    applyState,
    applyJob,
    loadProject,
    load,
    ingest,
    onUpdate,
    remove,
  }
})

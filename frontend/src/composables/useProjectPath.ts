import { computed, ref, watch, type Ref } from 'vue'
import { containers } from '@/api/containers'
import type { Project } from '@/api/types'
import { breadcrumbs } from '@/utils/projects'

// Every project the user sees, loaded once per page load (for the categories above a project in breadcrumbs).
const all = ref<Project[]>([])
let loading: Promise<void> | null = null

function loadAll(): Promise<void> {
  loading ??= containers
    .projects()
    .then((page) => {
      all.value = page.items
    })
    .catch(() => {
      loading = null
    })
  return loading
}

/** The categories above a project, root first, for breadcrumbs ("Projects › Genomics › Atlas › app"). */
export function useProjectPath(projectUuid: Ref<string | null | undefined>) {
  watch(
    projectUuid,
    (uuid) => {
      if (uuid) void loadAll()
    },
    { immediate: true },
  )
  return computed(() => (projectUuid.value ? breadcrumbs(all.value, projectUuid.value) : []))
}

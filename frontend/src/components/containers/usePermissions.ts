import { computed, watch, type Ref } from 'vue'
import type { ProjectPermissions } from '@/api/types'
import { useContainersStore } from '@/stores/containers'
import { useSessionStore } from '@/stores/session'

/** No rights at all. */
export const NO_PERMISSIONS: ProjectPermissions = {
  view_project: false,
  open_app: false,
  view_container: false,
  view_logs: false,
  manage_containers: false,
  manage_templates: false,
  manage_roles: false,
  manage_project: false,
}

const ALL: ProjectPermissions = Object.fromEntries(
  Object.keys(NO_PERMISSIONS).map((k) => [k, true]),
) as unknown as ProjectPermissions

/**
 * What the signed-in user may do in a project: everything for superusers, else the permissions the
 * project API reports. Nothing until they are known, so actions never flash up and vanish.
 */
export function usePermissions(projectUuid: Ref<string | null | undefined>) {
  const session = useSessionStore()
  const store = useContainersStore()
  watch(
    projectUuid,
    (uuid) => {
      if (uuid && !session.isSuperuser) void store.project(uuid).catch(() => {})
    },
    { immediate: true },
  )
  return computed<ProjectPermissions>(() => {
    if (session.isSuperuser) return ALL
    const uuid = projectUuid.value
    return (uuid && store.projects[uuid]?.permissions) || NO_PERMISSIONS
  })
}

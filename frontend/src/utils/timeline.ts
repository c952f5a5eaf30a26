// Timeline events for people: what each event name means, grouped for the timeline's filter.

/** Event names with their words, by group, in the order the filter offers them. */
export const EVENT_GROUPS: { label: string; events: Record<string, string> }[] = [
  {
    label: 'Apps',
    events: {
      container_create: 'App created',
      container_start: 'App started',
      container_open: 'App opened',
      container_stop: 'App stopped',
      container_restart: 'App restarted',
      container_pause: 'App paused',
      container_unpause: 'App resumed',
      container_delete: 'App deleted',
      container_update: 'Settings changed',
      container_image_update: 'Image updated',
      container_access: 'Who may open it changed',
      link_create: 'Secret link created',
      link_revoke: 'Secret link revoked',
      container_crash: 'App crashed',
      container_oom: 'App ran out of memory',
      container_startup_timeout: 'App did not answer in time',
      container_idle_stop: 'Stopped when idle',
      container_lifetime_stop: 'Stopped at its maximum run time',
      container_maintenance_stop: 'Stopped for maintenance',
      container_remove_stopped: 'Stopped container removed',
      container_not_found: 'Docker container vanished',
      container_orphan_removed: 'Leftover Docker container removed',
    },
  },
  {
    label: 'Templates',
    events: {
      template_create: 'Template created',
      template_update: 'Template changed',
      template_copy: 'Template copied',
      template_apply: 'Template changes applied',
      template_delete: 'Template deleted',
    },
  },
  {
    label: 'Volumes',
    events: {
      volume_create: 'Volume created',
      volume_upload: 'Files uploaded',
      volume_keep: 'Volume kept',
      volume_delete: 'Volume removed',
      volume_expire: 'Kept volume expired',
    },
  },
  {
    label: 'Projects and members',
    events: {
      project_create: 'Project created',
      project_update: 'Project changed',
      project_delete: 'Project deleted',
      role_create: 'Member added',
      role_update: 'Role changed',
      role_delete: 'Member removed',
    },
  },
  {
    label: 'Users and tokens',
    events: {
      user_create: 'User created',
      user_update: 'User changed',
      user_delete: 'User deleted',
      user_password_change: 'Password changed',
      token_create: 'API token created',
      token_revoke: 'API token revoked',
    },
  },
  {
    label: 'Site',
    events: {
      network_mode_change: 'Network mode changed',
      site_settings_update: 'Site settings changed',
      maintenance_cleanup_unused: 'Maintenance: clean-up',
      maintenance_remove_stopped: 'Maintenance: stopped containers removed',
      maintenance_remove_volumes: 'Maintenance: expired volumes removed',
      maintenance_stop_all: 'Maintenance: all apps stopped',
      maintenance_stop_idle: 'Maintenance: idle apps stopped',
      maintenance_check_updates: 'Maintenance: image updates checked',
      sodar_sync: 'SODAR sync',
      sodar_project_create: 'Project from SODAR',
      sodar_project_update: 'Project changed in SODAR',
      sodar_user_create: 'User from SODAR',
      sodar_user_update: 'User changed in SODAR',
      sodar_role_create: 'Member added in SODAR',
      sodar_role_update: 'Role changed in SODAR',
      sodar_role_delete: 'Member removed in SODAR',
    },
  },
]

const LABELS: Record<string, string> = Object.assign({}, ...EVENT_GROUPS.map((g) => g.events))

/** An event name in words ("role_create" → "Member added"); unknown names are spelled out. */
export function eventLabel(name: string): string {
  const known = LABELS[name]
  if (known) return known
  const words = name.replace(/_/g, ' ').trim()
  return words ? words[0]!.toUpperCase() + words.slice(1) : name
}

/** The filter's options: the groups, with only the events that occur (all of them when `present` is not given). */
export function eventOptions(present?: string[]) {
  const seen = present ? new Set(present) : null
  const groups = EVENT_GROUPS.map((g) => ({
    type: 'group' as const,
    key: g.label,
    label: g.label,
    children: Object.entries(g.events)
      .filter(([name]) => !seen || seen.has(name))
      .map(([name, label]) => ({ label, value: name })),
  })).filter((g) => g.children.length > 0)
  const other = (present ?? []).filter((n) => !LABELS[n]).map((n) => ({ label: eventLabel(n), value: n }))
  if (other.length) groups.push({ type: 'group', key: 'Other', label: 'Other', children: other })
  return groups
}

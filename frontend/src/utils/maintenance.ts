import type { MaintenanceTaskName } from '@/api/types'

/** The maintenance tasks (SPEC 13), in the order the page shows them. */
export const MAINTENANCE_TASKS: MaintenanceTaskName[] = [
  'cleanup-unused',
  'remove-stopped',
  'remove-volumes',
  'stop-all',
  'stop-idle',
]

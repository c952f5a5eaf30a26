// The configuration a container and a template share (SPEC 5.1, 10) as their forms edit it: the form state, the
// request fields it makes, and field errors that clear as soon as their field is edited.
import { ref, watch, type Ref } from 'vue'
import { isApiError } from '@/api/client'
import type { Access, PullPolicy, Template, TemplateInput } from '@/api/types'
import { envErrorsByRow, type EnvRow } from '@/utils/env'
import { sentence } from '@/utils/format'
import { volumeRowsFrom, volumesPayload, type VolumeRow } from '@/utils/volumes'

/** The shared fields, as the form holds them. */
export interface ConfigForm {
  title: string
  description: string
  image: string
  pull_policy: PullPolicy
  command: string
  container_port: number
  container_path: string
  heartbeat_url: string
  strip_prefix: boolean
  startup_timeout: number
  max_idle: number
  max_lifetime: number
  max_retries: number
  memory_limit: number
  cpu_limit: number
  pids_limit: number
  volumes: VolumeRow[]
  user: string
  read_only_rootfs: boolean
  access: Access
  placement: string
}

/** A container or template to edit: both have every shared field. */
export type ConfigSource = Pick<Template, keyof ConfigForm>

/** The form state for a new container or template, or for editing `src`. */
export function configForm(src?: ConfigSource | null): ConfigForm {
  return {
    title: src?.title ?? '',
    description: src?.description ?? '',
    image: src?.image ?? '',
    pull_policy: src?.pull_policy ?? 'if-missing',
    command: src?.command ?? '',
    container_port: src?.container_port ?? 80,
    container_path: src?.container_path ?? '',
    heartbeat_url: src?.heartbeat_url ?? '',
    strip_prefix: src?.strip_prefix ?? true,
    startup_timeout: src?.startup_timeout ?? 0,
    max_idle: src?.max_idle ?? 0,
    max_lifetime: src?.max_lifetime ?? 0,
    max_retries: src?.max_retries ?? 0,
    memory_limit: src?.memory_limit ?? 0,
    cpu_limit: src?.cpu_limit ?? 0,
    pids_limit: src?.pids_limit ?? 0,
    volumes: volumeRowsFrom(src?.volumes),
    user: src?.user ?? '',
    read_only_rootfs: src?.read_only_rootfs ?? false,
    access: src?.access ?? 'project',
    placement: src?.placement ?? '',
  }
}

/** The request fields of the form (valid for a container and a template alike); empty limits are 0. */
export function configInput(form: ConfigForm): Required<Omit<TemplateInput, 'environment'>> {
  return {
    title: form.title.trim(),
    description: form.description,
    image: form.image.trim(),
    pull_policy: form.pull_policy,
    command: form.command,
    container_port: form.container_port,
    container_path: form.container_path,
    heartbeat_url: form.heartbeat_url,
    strip_prefix: form.strip_prefix,
    startup_timeout: form.startup_timeout || 0,
    max_idle: form.max_idle || 0,
    max_lifetime: form.max_lifetime || 0,
    max_retries: form.max_retries || 0,
    memory_limit: form.memory_limit || 0,
    cpu_limit: form.cpu_limit || 0,
    pids_limit: form.pids_limit || 0,
    volumes: volumesPayload(form.volumes),
    user: form.user.trim(),
    read_only_rootfs: form.read_only_rootfs,
    access: form.access,
    placement: form.placement.trim(),
  }
}

/**
 * The form's values by the names field errors use, for useFieldErrors: the fields, and each volume's fields as
 * volumes[i].name etc., so that an error there goes away when that input is edited.
 */
export function configValues(form: ConfigForm): Record<string, unknown> {
  const out: Record<string, unknown> = { ...form }
  // Indices as the server names them: of the rows the request sends.
  const sent = form.volumes.filter((r) => r.name.trim() !== '' || r.mount_path.trim() !== '')
  sent.forEach((v, i) => {
    out[`volumes[${i}].name`] = v.name
    out[`volumes[${i}].mount_path`] = v.mount_path
    out[`volumes[${i}].scope`] = v.scope
  })
  out.volumes = sent.length
  return out
}

/** What the form checks before sending: a title and an image. */
export function requiredErrors(form: ConfigForm): Record<string, string> {
  const errors: Record<string, string> = {}
  if (!form.title.trim()) errors.title = 'Required'
  if (!form.image.trim()) errors.image = 'Required'
  return errors
}

/**
 * Field errors by field name. An error goes away as soon as its field is edited: `values` returns the fields'
 * current values by the names errors use.
 */
export function useFieldErrors(values: () => Record<string, unknown>) {
  const errors = ref<Record<string, string>>({})
  watch(values, (now, before) => {
    for (const k of Object.keys(now)) {
      if (now[k] !== before[k] && errors.value[k]) {
        const next = { ...errors.value }
        delete next[k]
        errors.value = next
      }
    }
  })
  const status = (field: string): 'error' | undefined => (errors.value[field] ? 'error' : undefined)
  return { errors, status }
}

/** Where a form shows why a save failed. */
export interface SaveErrors {
  errors: Ref<Record<string, string>>
  envErrors: Ref<Record<number, string>>
  general: Ref<string | null>
}

/**
 * Shows why saving a container or template (`noun`) failed: the server's field errors next to their inputs, those of
 * variables next to their rows, or one message.
 */
export function showSaveFailure(err: unknown, to: SaveErrors, envRows: EnvRow[], noun: string): void {
  if (isApiError(err) && Object.keys(err.fields).length) {
    to.errors.value = Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [k, sentence(v)]))
    to.envErrors.value = envErrorsByRow(envRows, to.errors.value)
    to.general.value = 'Please correct the marked fields.'
  } else {
    to.general.value = isApiError(err) ? sentence(err.message) : `The ${noun} could not be saved.`
  }
}

// State of a small dialog form: per-field errors, one message for the whole form, and a save that fills both
// from an API error.
import { reactive, ref } from 'vue'
import { isApiError } from '@/api/client'
import { sentence } from '@/utils/format'

export function useModalForm() {
  const errors = reactive<Record<string, string | undefined>>({})
  const formError = ref<string | null>(null)
  const saving = ref(false)

  /** Clears every message. */
  function reset(): void {
    for (const k of Object.keys(errors)) errors[k] = undefined
    formError.value = null
  }

  /** Runs a save; an API error's field messages go next to their fields, its message under the form. */
  async function save(run: () => Promise<void>): Promise<void> {
    saving.value = true
    try {
      await run()
    } catch (err) {
      if (isApiError(err)) {
        for (const [k, v] of Object.entries(err.fields)) errors[k] = sentence(v)
        formError.value = sentence(err.message)
      } else {
        formError.value = 'Saving failed unexpectedly.'
      }
    } finally {
      saving.value = false
    }
  }

  /** The validation status of a field for NFormItem. */
  const status = (field: string): 'error' | undefined => (errors[field] ? 'error' : undefined)

  return { errors, formError, saving, reset, save, status }
}

// The site settings every user may read (whether link and public access may be chosen), loaded once and shared by
// the forms and pages that need them; the admin page updates the shared copy when it changes them.
import { ref, type Ref } from 'vue'
import { api } from '@/api/client'
import type { SiteSettings } from '@/api/types'

const settings = ref<SiteSettings | null>(null)
let loading: Promise<void> | null = null

/** The shared settings (null until loaded, or when they cannot be read) and a way to load them again. */
export function useSiteSettings(): { settings: Ref<SiteSettings | null>; reload: () => Promise<void> } {
  function reload(): Promise<void> {
    loading = api
      .get<SiteSettings>('/api/v1/settings')
      .then((s) => {
        settings.value = s
      })
      .catch(() => {
        settings.value = null
      })
    return loading
  }
  if (!loading) void reload()
  return { settings, reload }
}

/** Replaces the shared copy (after a superuser changed the settings). */
export function setSiteSettings(s: SiteSettings): void {
  settings.value = s
}

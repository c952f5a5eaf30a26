import { onBeforeUnmount, ref, type Ref } from 'vue'

/** The width below which pages use their phone layout (stacked cards, the menu in a drawer). */
export const PHONE_QUERY = '(max-width: 720px)'

/** Whether a media query matches, kept current while the component is mounted. */
export function useMediaQuery(query: string): Ref<boolean> {
  const mql = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia(query) : null
  const matches = ref(mql?.matches ?? false)
  const onChange = (e: MediaQueryListEvent) => (matches.value = e.matches)
  mql?.addEventListener('change', onChange)
  onBeforeUnmount(() => mql?.removeEventListener('change', onChange))
  return matches
}

/** Whether the phone layout applies. */
export function usePhone(): Ref<boolean> {
  return useMediaQuery(PHONE_QUERY)
}

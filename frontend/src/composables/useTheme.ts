import { darkTheme, type GlobalThemeOverrides } from 'naive-ui'
import { computed, ref, watch } from 'vue'

const STORAGE_KEY = 'kiosc.theme'

/** What the user chose: follow the system's setting (the default), or always light or dark. */
export type ThemeChoice = 'system' | 'light' | 'dark'

const fontFamily =
  'Inter, ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
const fontFamilyMono = 'ui-monospace, SFMono-Regular, "JetBrains Mono", Menlo, Consolas, monospace'

const shared: GlobalThemeOverrides['common'] = {
  fontFamily,
  fontFamilyMono,
  borderRadius: '6px',
  borderRadiusSmall: '4px',
}

const lightOverrides: GlobalThemeOverrides = {
  common: {
    ...shared,
    primaryColor: '#0b7285',
    primaryColorHover: '#1098ad',
    primaryColorPressed: '#095c6b',
    primaryColorSuppl: '#1098ad',
    bodyColor: '#f5f7f9',
    // Placeholders and muted text dark enough for 4.5:1 on white.
    placeholderColor: '#6b7280',
    textColor3: '#5f6b7a',
  },
  Card: { borderRadius: '10px' },
  Layout: { headerColor: '#ffffff', color: '#f5f7f9' },
  // Naive UI's tag, step and empty-state texts are lighter than 4.5:1 on their backgrounds.
  Tag: {
    textColorSuccess: '#0a6638',
    textColorError: '#a51d3a',
    textColorWarning: '#8a5300',
    textColorInfo: '#1560b8',
  },
  Steps: {
    headerTextColorWait: '#5f6b7a',
    headerTextColorFinish: '#5f6b7a',
    descriptionTextColorWait: '#5f6b7a',
    descriptionTextColorFinish: '#5f6b7a',
    indicatorTextColorWait: '#5f6b7a',
  },
  Empty: { textColor: '#5f6b7a' },
  Form: { feedbackTextColorWarning: '#8a5300', feedbackTextColorError: '#b42340' },
}

const darkOverrides: GlobalThemeOverrides = {
  common: {
    ...shared,
    primaryColor: '#3bc9db',
    primaryColorHover: '#66d9e8',
    primaryColorPressed: '#22b8cf',
    primaryColorSuppl: '#66d9e8',
    bodyColor: '#111418',
    placeholderColor: '#9aa4b2',
    textColor3: '#a0aab8',
  },
  Card: { borderRadius: '10px', color: '#181c21' },
  Layout: { headerColor: '#181c21', color: '#111418' },
  Steps: {
    headerTextColorWait: '#a0aab8',
    headerTextColorFinish: '#a0aab8',
    descriptionTextColorWait: '#a0aab8',
    descriptionTextColorFinish: '#a0aab8',
    indicatorTextColorWait: '#a0aab8',
  },
  Empty: { textColor: '#a0aab8' },
}

function readStored(): ThemeChoice {
  try {
    const v = localStorage.getItem(STORAGE_KEY)
    return v === 'light' || v === 'dark' ? v : 'system'
  } catch {
    return 'system'
  }
}

const media =
  typeof window !== 'undefined' && window.matchMedia
    ? window.matchMedia('(prefers-color-scheme: dark)')
    : null

// Module-level state so every component sees the same choice.
const choice = ref<ThemeChoice>(readStored())
const systemDark = ref(media?.matches ?? false)
media?.addEventListener('change', (e) => (systemDark.value = e.matches))

const dark = computed(() => (choice.value === 'system' ? systemDark.value : choice.value === 'dark'))

watch(choice, (value) => {
  try {
    if (value === 'system') localStorage.removeItem(STORAGE_KEY)
    else localStorage.setItem(STORAGE_KEY, value)
  } catch {
    // Storage can be disabled; the choice then lasts for this page only.
  }
})
watch(dark, (value) => {
  document.documentElement.dataset.theme = value ? 'dark' : 'light'
})

/**
 * Light or dark appearance: the system's by default, or the user's choice remembered in localStorage, with kiosc's
 * Naive UI theme overrides. `toggle` switches to the other appearance explicitly.
 */
export function useTheme() {
  const theme = computed(() => (dark.value ? darkTheme : null))
  const themeOverrides = computed(() => (dark.value ? darkOverrides : lightOverrides))
  function toggle(): void {
    choice.value = dark.value ? 'light' : 'dark'
  }
  function choose(value: ThemeChoice): void {
    choice.value = value
  }
  return { dark, choice, theme, themeOverrides, toggle, choose }
}

/** Applies the stored appearance to the document before the app mounts, to avoid a flash. */
export function applyStoredTheme(): void {
  document.documentElement.dataset.theme = dark.value ? 'dark' : 'light'
}

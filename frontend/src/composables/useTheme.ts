import { darkTheme, type GlobalThemeOverrides } from 'naive-ui'
import { computed, ref, watch } from 'vue'

const STORAGE_KEY = 'kiosc.theme'

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
  },
  Card: { borderRadius: '10px' },
  Layout: { headerColor: '#ffffff', color: '#f5f7f9' },
}

const darkOverrides: GlobalThemeOverrides = {
  common: {
    ...shared,
    primaryColor: '#3bc9db',
    primaryColorHover: '#66d9e8',
    primaryColorPressed: '#22b8cf',
    primaryColorSuppl: '#66d9e8',
    bodyColor: '#111418',
  },
  Card: { borderRadius: '10px', color: '#181c21' },
  Layout: { headerColor: '#181c21', color: '#111418' },
}

function readStored(): boolean {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'dark'
  } catch {
    return false
  }
}

// One module-level ref so every component sees the same choice.
const dark = ref(readStored())

watch(dark, (value) => {
  try {
    localStorage.setItem(STORAGE_KEY, value ? 'dark' : 'light')
  } catch {
    // Storage can be disabled; the choice then lasts for this page only.
  }
  document.documentElement.dataset.theme = value ? 'dark' : 'light'
})

/** Light or dark appearance, remembered in localStorage, with kiosc's Naive UI theme overrides. */
export function useTheme() {
  const theme = computed(() => (dark.value ? darkTheme : null))
  const themeOverrides = computed(() => (dark.value ? darkOverrides : lightOverrides))
  function toggle(): void {
    dark.value = !dark.value
  }
  return { dark, theme, themeOverrides, toggle }
}

/** Applies the stored appearance to the document before the app mounts, to avoid a flash. */
export function applyStoredTheme(): void {
  document.documentElement.dataset.theme = dark.value ? 'dark' : 'light'
}

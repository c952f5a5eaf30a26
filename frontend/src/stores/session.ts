import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { ApiError, api, isApiError, NETWORK_ERROR_CODE, NETWORK_ERROR_STATUS } from '@/api/client'
import type { SiteConfig, User } from '@/api/types'

/** The signed-in user and the public site configuration. */
export const useSessionStore = defineStore('session', () => {
  const user = ref<User | null>(null)
  const config = ref<SiteConfig | null>(null)
  /** Why the site configuration could not be loaded, if it could not. */
  const configError = ref<ApiError | null>(null)
  const initialized = ref(false)
  let initializing: Promise<void> | null = null

  const isLoggedIn = computed(() => user.value !== null)
  const isSuperuser = computed(() => user.value?.is_superuser === true)
  const displayName = computed(() => user.value?.name || user.value?.username || '')

  /**
   * Loads the current user and the site configuration, once per page load; later calls share the first
   * result. Not being signed in is not an error.
   */
  function init(): Promise<void> {
    initializing ??= Promise.all([loadUser(), loadConfig()]).then(() => {
      initialized.value = true
    })
    return initializing
  }

  /** Loads user and configuration again, for example after kiosc was unreachable at start. */
  function reload(): Promise<void> {
    initializing = null
    return init()
  }

  async function loadUser(): Promise<void> {
    try {
      user.value = (await api.me()).user
    } catch (err) {
      // 401 just means "signed out"; anything else (unreachable, 5xx) also leaves us signed out, and the
      // login page says why when it cannot load the configuration either.
      if (!(isApiError(err) && err.status === 401)) console.warn('session: cannot load the current user', err)
      user.value = null
    }
  }

  /** Loads (or reloads) the public site configuration. */
  async function loadConfig(): Promise<void> {
    try {
      config.value = await api.config()
      configError.value = null
    } catch (err) {
      configError.value = isApiError(err)
        ? err
        : new ApiError(NETWORK_ERROR_STATUS, NETWORK_ERROR_CODE, 'kiosc is unreachable')
    }
  }

  /** Signs in with a local account; rejects with the ApiError (401 invalid_credentials, 429 ...). */
  async function login(username: string, password: string): Promise<User> {
    const info = await api.login(username, password)
    user.value = info.user
    return info.user
  }

  /**
   * Signs out. Resolves to the identity provider's logout URL the browser should visit next, or null.
   * The local session is forgotten even if the server cannot be reached.
   */
  async function logout(): Promise<string | null> {
    try {
      const { logout_url } = await api.logout()
      return logout_url
    } finally {
      user.value = null
    }
  }

  /**
   * Checks that the session is still valid. When the server says it is not, the app reacts as to any
   * other 401 (the client's unauthorized hook sends the user to the login page).
   */
  async function verify(): Promise<void> {
    if (!user.value) return
    try {
      user.value = (await api.me()).user
    } catch (err) {
      if (isApiError(err) && err.status === 401) api.hooks.unauthorized?.(err)
    }
  }

  /** Forgets the user after the server said the session is gone. */
  function clear(): void {
    user.value = null
    api.clearSession()
  }

  return {
    user,
    config,
    configError,
    initialized,
    isLoggedIn,
    isSuperuser,
    displayName,
    init,
    reload,
    loadConfig,
    login,
    logout,
    verify,
    clear,
  }
})

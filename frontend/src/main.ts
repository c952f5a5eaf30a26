import { createPinia } from 'pinia'
import { createApp } from 'vue'
import { api, isApiError } from '@/api/client'
import App from '@/App.vue'
import { applyStoredTheme } from '@/composables/useTheme'
import { createAppRouter } from '@/router'
import { UNREACHABLE_KEY, useNotificationsStore } from '@/stores/notifications'
import { useSessionStore } from '@/stores/session'
import { watchNaiveA11y } from '@/utils/naiveA11y'
import '@/styles.css'

applyStoredTheme()

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
const router = createAppRouter()
app.use(router)

const session = useSessionStore(pinia)
const notifications = useNotificationsStore(pinia)

api.hooks = {
  unauthorized() {
    const wasLoggedIn = session.isLoggedIn
    session.clear()
    const current = router.currentRoute.value
    if (current.meta.public) return
    if (wasLoggedIn) {
      notifications.push({
        kind: 'info',
        title: 'Signed out',
        message: 'Your session has ended. Sign in again to continue.',
        key: 'session-ended',
      })
    }
    void router.replace({ name: 'login', query: { next: current.fullPath } })
  },
  reachable() {
    notifications.resolve(UNREACHABLE_KEY)
  },
}

// Whatever a view or store did not handle itself ends up here and is shown, not swallowed.
app.config.errorHandler = (err) => {
  if (!isApiError(err)) console.error(err)
  notifications.reportError(err, isApiError(err) ? 'Request failed' : 'Unexpected error')
}
window.addEventListener('unhandledrejection', (event) => {
  if (isApiError(event.reason)) {
    event.preventDefault()
    notifications.reportError(event.reason, 'Request failed')
  }
})

app.mount('#app')
watchNaiveA11y()

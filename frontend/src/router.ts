import {
  createRouter,
  createWebHistory,
  type RouteLocationNormalized,
  type RouteLocationRaw,
  type RouteRecordRaw,
  type Router,
  type RouterHistory,
} from 'vue-router'
import { useSessionStore } from '@/stores/session'
import { safeNext } from '@/utils/next'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without signing in. */
    public?: boolean
    /** Page title; the document title becomes "<title> · kiosc". */
    title: string
    /** Only for superusers; others get the not-found page. */
    superuser?: boolean
    /** `bare` pages render without the app shell (header and navigation). */
    layout?: 'shell' | 'bare'
    /** Navigation entry to highlight. */
    nav?: string
  }
}

export const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('@/views/LoginView.vue'),
    meta: { public: true, title: 'Sign in', layout: 'bare' },
  },
  {
    path: '/',
    name: 'home',
    component: () => import('@/views/HomeView.vue'),
    meta: { title: 'Home' },
  },
  {
    path: '/projects',
    name: 'projects',
    component: () => import('@/views/ProjectsView.vue'),
    meta: { title: 'Projects', nav: 'projects' },
  },
  {
    path: '/projects/:uuid',
    name: 'project',
    component: () => import('@/views/ProjectView.vue'),
    props: true,
    meta: { title: 'Project', nav: 'projects' },
  },
  {
    path: '/containers',
    name: 'containers',
    component: () => import('@/views/ContainersView.vue'),
    meta: { title: 'Containers', nav: 'containers' },
  },
  {
    path: '/projects/:uuid/containers/new',
    name: 'container-new',
    component: () => import('@/views/ContainerFormView.vue'),
    props: true,
    meta: { title: 'New container', nav: 'projects' },
  },
  {
    path: '/containers/:uuid/edit',
    name: 'container-edit',
    component: () => import('@/views/ContainerFormView.vue'),
    props: true,
    meta: { title: 'Edit container', nav: 'containers' },
  },
  {
    path: '/containers/:uuid',
    name: 'container',
    component: () => import('@/views/ContainerView.vue'),
    props: true,
    meta: { title: 'Container', nav: 'containers' },
  },
  {
    path: '/templates',
    name: 'templates',
    component: () => import('@/views/TemplatesView.vue'),
    meta: { title: 'Templates', nav: 'templates' },
  },
  {
    path: '/timeline',
    name: 'timeline',
    component: () => import('@/views/TimelineView.vue'),
    meta: { title: 'Timeline', nav: 'timeline' },
  },
  {
    path: '/tokens',
    name: 'tokens',
    component: () => import('@/views/TokensView.vue'),
    meta: { title: 'API tokens' },
  },
  {
    path: '/profile',
    name: 'profile',
    component: () => import('@/views/ProfileView.vue'),
    meta: { title: 'Profile' },
  },
  { path: '/admin', redirect: { name: 'admin-users' } },
  {
    path: '/admin/users',
    name: 'admin-users',
    component: () => import('@/views/admin/UsersView.vue'),
    meta: { title: 'Users', superuser: true, nav: 'admin-users' },
  },
  {
    path: '/admin/docker',
    name: 'admin-docker',
    component: () => import('@/views/admin/DockerView.vue'),
    meta: { title: 'Docker', superuser: true, nav: 'admin-docker' },
  },
  {
    path: '/admin/maintenance',
    name: 'admin-maintenance',
    component: () => import('@/views/admin/MaintenanceView.vue'),
    meta: { title: 'Maintenance', superuser: true, nav: 'admin-maintenance' },
  },
  {
    path: '/admin/settings',
    name: 'admin-settings',
    component: () => import('@/views/admin/SettingsView.vue'),
    meta: { title: 'Site settings', superuser: true, nav: 'admin-settings' },
  },
  {
    path: '/admin/sodar',
    name: 'admin-sodar',
    component: () => import('@/views/admin/SodarView.vue'),
    meta: { title: 'SODAR', superuser: true, nav: 'admin-sodar' },
  },
  {
    path: '/lobby/:uuid',
    name: 'lobby',
    component: () => import('@/views/LobbyView.vue'),
    props: true,
    meta: { title: 'Starting app', layout: 'bare' },
  },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('@/views/NotFoundView.vue'),
    meta: { public: true, title: 'Not found' },
  },
]

/** The not-found page at the same URL, so a forbidden page looks exactly like a missing one. */
function notFoundAt(to: RouteLocationNormalized): RouteLocationRaw {
  return {
    name: 'not-found',
    params: { pathMatch: to.path.slice(1).split('/') },
    query: to.query,
    hash: to.hash,
  }
}

/**
 * Goes to a sanitized `next` target after signing in. Targets the SPA does not know (an app behind the
 * proxy such as /containers/proxy/..., or /auth/...) belong to the server, so they get a full page load.
 */
export async function goToNext(router: Router, rawNext: unknown): Promise<void> {
  const next = safeNext(rawNext)
  if (isSpaPath(router, next)) {
    await router.replace(next)
  } else {
    window.location.assign(next)
  }
}

function isSpaPath(router: Router, path: string): boolean {
  return router.resolve(path).name !== 'not-found'
}

/** Creates the router with kiosc's routes, sign-in guard and page titles. */
export function createAppRouter(history: RouterHistory = createWebHistory()): Router {
  const router = createRouter({
    history,
    routes,
    scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  })

  router.beforeEach(async (to) => {
    const session = useSessionStore()
    await session.init()
    if (to.name === 'login' && session.isLoggedIn) {
      const next = safeNext(to.query.next)
      if (isSpaPath(router, next)) return next
      window.location.assign(next)
      return false
    }
    if (to.meta.public) return true
    if (!session.isLoggedIn) return { name: 'login', query: { next: to.fullPath } }
    if (to.meta.superuser && !session.isSuperuser) return notFoundAt(to)
    return true
  })

  router.afterEach((to) => {
    document.title = `${to.meta.title} · kiosc`
  })

  return router
}

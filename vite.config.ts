import { writeFileSync } from 'node:fs'
import { fileURLToPath, URL } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig, type Plugin, type ProxyOptions } from 'vite'

const root = fileURLToPath(new URL('./frontend', import.meta.url))
const outDir = fileURLToPath(new URL('./frontend/dist', import.meta.url))

// The Go binary embeds frontend/dist, and a fresh clone must compile before the SPA is built, so the
// tracked marker file has to survive emptyOutDir.
function keepGitkeep(): Plugin {
  return {
    name: 'kiosc:keep-gitkeep',
    apply: 'build',
    closeBundle() {
      writeFileSync(`${outDir}/.gitkeep`, '')
    },
  }
}

// The dev server stands in for kiosc's own origin: rewriting Origin (and Host, via changeOrigin) keeps the
// backend's same-origin checks for CSRF and websockets meaningful during development.
function backendProxy(target: string, ws = false): ProxyOptions {
  return {
    target,
    ws,
    changeOrigin: true,
    configure(proxy) {
      proxy.on('proxyReq', (req) => {
        if (req.getHeader('origin')) req.setHeader('origin', target)
      })
      proxy.on('proxyReqWs', (req) => {
        req.setHeader('origin', target)
      })
    },
  }
}

const backend = process.env.KIOSC_DEV_BACKEND || 'http://127.0.0.1:8080'

export default defineConfig({
  root,
  plugins: [vue(), keepGitkeep()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./frontend/src', import.meta.url)) },
  },
  build: {
    outDir,
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': backendProxy(backend, true),
      '/auth/': backendProxy(backend),
      // Only the reverse proxy and SODAR's project links: /containers and /projects are SPA routes.
      '^/containers/proxy/': backendProxy(backend, true),
      '^/project/': backendProxy(backend),
      '/healthz': backendProxy(backend),
      '/readyz': backendProxy(backend),
      '/metrics': backendProxy(backend),
    },
  },
})

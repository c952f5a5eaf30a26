const PROBE_ORIGIN = 'http://kiosc.invalid'

/**
 * Returns the `next` redirect target if it is a same-origin relative path, else the fallback. This keeps
 * the login page from being an open redirect: `//host`, `/\host`, absolute URLs and control characters
 * (which URL parsers silently drop) are all refused.
 */
export function safeNext(raw: unknown, fallback = '/'): string {
  const value = Array.isArray(raw) ? raw[0] : raw
  if (typeof value !== 'string' || value === '') return fallback
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return fallback
  }
  let url: URL
  try {
    url = new URL(value, PROBE_ORIGIN)
  } catch {
    return fallback
  }
  if (url.origin !== PROBE_ORIGIN) return fallback
  const path = url.pathname + url.search + url.hash
  // Going back to the login page after logging in would only bounce.
  if (url.pathname === '/login') return fallback
  return path
}

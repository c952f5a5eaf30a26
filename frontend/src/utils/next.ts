const PROBE_ORIGIN = 'http://kiosc.invalid'

/** A path that a browser reads as a path on this origin: one leading slash, not `//` or `/\`. */
function isLocalPath(value: string): boolean {
  return value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\')
}

/**
 * Returns the `next` redirect target if it is a same-origin relative path, else the fallback. This keeps
 * the login page from being an open redirect: `//host`, `/\host`, absolute URLs and control characters
 * (which URL parsers silently drop) are all refused. The result is the normalised path, which is checked
 * again: dot segments can collapse `/..//host` or `/%2e%2e//host` into `//host`, which is harmless on the
 * probe origin but leaves the site when the browser follows it.
 */
export function safeNext(raw: unknown, fallback = '/'): string {
  const value = Array.isArray(raw) ? raw[0] : raw
  if (typeof value !== 'string' || value === '') return fallback
  if (!isLocalPath(value)) return fallback
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
  if (!isLocalPath(path)) return fallback
  // Going back to the login page after logging in would only bounce.
  if (url.pathname === '/login') return fallback
  return path
}

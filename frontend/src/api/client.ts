import type { ApiErrorBody, LogoutResult, SessionInfo, SiteConfig } from './types'

/** Status used for failures where no HTTP answer arrived at all. */
export const NETWORK_ERROR_STATUS = 0
/** Error code used for failures where no HTTP answer arrived at all. */
export const NETWORK_ERROR_CODE = 'network_unreachable'

/** A failed API call: the server's error envelope, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly fields: Record<string, string>
  /** Seconds from a `Retry-After` header (429, 503), if any. */
  readonly retryAfter: number | null

  constructor(
    status: number,
    code: string,
    message: string,
    fields: Record<string, string> = {},
    retryAfter: number | null = null,
  ) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.fields = fields
    this.retryAfter = retryAfter
  }

  /** True when kiosc could not be reached at all. */
  get isNetworkError(): boolean {
    return this.status === NETWORK_ERROR_STATUS
  }
}

/** Narrows an unknown thrown value to an ApiError. */
export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
type Query = Record<string, string | number | boolean | null | undefined>

/** Per-request options. */
export interface RequestOptions {
  body?: unknown
  /** A body sent as it is (a file), instead of `body` as JSON. */
  raw?: Blob
  /** The Content-Type of `raw` (default: the Blob's type, else application/octet-stream). */
  contentType?: string
  query?: Query
  signal?: AbortSignal
}

/** Callbacks through which the client reports session and connectivity changes to the app. */
export interface ApiClientHooks {
  /** A call other than login or /me answered 401: the session is gone. */
  unauthorized?: (err: ApiError) => void
  /** kiosc could not be reached. */
  unreachable?: (err: ApiError) => void
  /** kiosc answered again after being unreachable. */
  reachable?: () => void
}

/** Construction options, mainly for tests. */
export interface ApiClientOptions {
  baseUrl?: string
  fetch?: typeof fetch
  hooks?: ApiClientHooks
}

const MUTATING: ReadonlySet<Method> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
// Their 401 means "not logged in" or "wrong password", which the caller handles itself.
const SESSION_PATHS: ReadonlySet<string> = new Set(['/api/v1/me', '/api/v1/auth/login'])

/**
 * Parses a failed response into an ApiError, tolerating bodies that are not kiosc's envelope (for
 * example an HTML page from a proxy in front of kiosc).
 */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(res.headers.get('Retry-After'))
  let body: unknown = null
  try {
    body = await res.json()
  } catch {
    // Not JSON: fall through to the generic message.
  }
  if (isErrorBody(body)) {
    const { code, message, fields } = body.error
    return new ApiError(res.status, code, message || defaultMessage(res.status), fields ?? {}, retryAfter)
  }
  return new ApiError(res.status, `http_${res.status}`, defaultMessage(res.status), {}, retryAfter)
}

function isErrorBody(body: unknown): body is ApiErrorBody {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false
  const err = (body as { error: unknown }).error
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    typeof (err as { message?: unknown }).message === 'string'
  )
}

function parseRetryAfter(value: string | null): number | null {
  if (value === null || value.trim() === '') return null
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds))
  const date = Date.parse(value)
  if (Number.isNaN(date)) return null
  return Math.max(0, Math.ceil((date - Date.now()) / 1000))
}

function defaultMessage(status: number): string {
  switch (status) {
    case 401:
      return 'You are not signed in.'
    case 403:
      return 'You do not have permission to do this.'
    case 404:
      return 'Not found.'
    case 413:
      return 'The request is too large.'
    case 429:
      return 'Too many requests, try again later.'
    case 502:
    case 503:
    case 504:
      return 'kiosc is temporarily unavailable.'
    default:
      return `Request failed with status ${status}.`
  }
}

/**
 * The typed fetch wrapper for kiosc's REST API. It keeps the CSRF token from /me and login, sends it on
 * every mutating request, retries once after refreshing it, and turns every failure into an ApiError.
 */
export class ApiClient {
  private readonly baseUrl: string
  private readonly fetchImpl: typeof fetch
  private csrfToken: string | null = null
  private unreachable = false
  hooks: ApiClientHooks

  constructor(options: ApiClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? ''
    // Bound so that window.fetch is not called with the client as `this`.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
    this.hooks = options.hooks ?? {}
  }

  /** The CSRF token currently held, if any. */
  get csrf(): string | null {
    return this.csrfToken
  }

  /** Forgets the CSRF token (after logout or when the session is gone). */
  clearSession(): void {
    this.csrfToken = null
  }

  /** Fetches the signed-in user and a fresh CSRF token; rejects with status 401 when not signed in. */
  async me(): Promise<SessionInfo> {
    const info = await this.request<SessionInfo>('GET', '/api/v1/me')
    this.csrfToken = info.csrf_token
    return info
  }

  /** Signs in with a local username and password. */
  async login(username: string, password: string): Promise<SessionInfo> {
    const info = await this.request<SessionInfo>('POST', '/api/v1/auth/login', {
      body: { username, password },
    })
    this.csrfToken = info.csrf_token
    return info
  }

  /** Ends the session; the answer says whether the identity provider wants the browser next. */
  async logout(): Promise<LogoutResult> {
    try {
      return await this.request<LogoutResult>('POST', '/api/v1/auth/logout')
    } finally {
      this.csrfToken = null
    }
  }

  /** Fetches the public site configuration. */
  config(): Promise<SiteConfig> {
    return this.request<SiteConfig>('GET', '/api/v1/config')
  }

  /** GET a JSON resource. */
  get<T>(path: string, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('GET', path, options)
  }

  /** POST a JSON body. */
  post<T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body })
  }

  /** PUT a JSON body. */
  put<T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('PUT', path, { ...options, body })
  }

  /** PATCH with a JSON body. */
  patch<T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('PATCH', path, { ...options, body })
  }

  /** DELETE a resource. */
  delete<T = void>(path: string, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('DELETE', path, options)
  }

  /** Sends one request and decodes the JSON answer (undefined for 204), or rejects with an ApiError. */
  async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    try {
      return await this.send<T>(method, path, options)
    } catch (err) {
      if (
        isApiError(err) &&
        err.status === 403 &&
        err.code === 'csrf_failed' &&
        MUTATING.has(method) &&
        !SESSION_PATHS.has(path)
      ) {
        // The token may be stale (new session in another tab, server restart): refresh it once.
        try {
          await this.me()
        } catch (meErr) {
          if (isApiError(meErr) && meErr.status === 401) this.hooks.unauthorized?.(meErr)
          throw meErr
        }
        return this.send<T>(method, path, options)
      }
      throw err
    }
  }

  private async send<T>(method: Method, path: string, options: RequestOptions): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' }
    let body: string | Blob | undefined
    if (options.raw !== undefined) {
      headers['Content-Type'] = options.contentType || options.raw.type || 'application/octet-stream'
      body = options.raw
    } else if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(options.body)
    }
    if (MUTATING.has(method) && this.csrfToken !== null) headers['X-CSRF-Token'] = this.csrfToken

    let res: Response
    try {
      res = await this.fetchImpl(this.url(path, options.query), {
        method,
        headers,
        body,
        credentials: 'same-origin',
        signal: options.signal,
      })
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause
      const err = new ApiError(NETWORK_ERROR_STATUS, NETWORK_ERROR_CODE, 'kiosc is unreachable')
      this.unreachable = true
      this.hooks.unreachable?.(err)
      throw err
    }
    if (this.unreachable) {
      this.unreachable = false
      this.hooks.reachable?.()
    }

    if (!res.ok) {
      const err = await errorFromResponse(res)
      if (err.status === 401 && !SESSION_PATHS.has(path)) {
        this.csrfToken = null
        this.hooks.unauthorized?.(err)
      }
      throw err
    }
    if (res.status === 204) return undefined as T
    const text = await res.text()
    return (text === '' ? undefined : JSON.parse(text)) as T
  }

  private url(path: string, query?: Query): string {
    let url = this.baseUrl + path
    if (query) {
      const params = new URLSearchParams()
      for (const [key, value] of Object.entries(query)) {
        if (value !== undefined && value !== null) params.set(key, String(value))
      }
      const qs = params.toString()
      if (qs) url += (url.includes('?') ? '&' : '?') + qs
    }
    return url
  }
}

/** The app's one API client. */
export const api = new ApiClient()

// The environment of a container or template as the forms edit it: the rows of the container form's editor
// (plain variables and write-only secrets) and the NAME=value text of the template form.

/** One row of the environment editor. */
export interface EnvRow {
  id: number
  key: string
  value: string
  secret: boolean
  /** The key is an existing secret: its value is never shown, only replaced or removed. */
  stored: boolean
  /** For stored secrets: keep the value, replace it with `value`, or remove the key. */
  action: 'keep' | 'replace' | 'remove'
}

let rowSeq = 0

/** A new empty row. */
export function newEnvRow(secret = false): EnvRow {
  return { id: ++rowSeq, key: '', value: '', secret, stored: false, action: 'keep' }
}

/** Editor rows for a container: its plain variables, then its secret keys (values are write-only). */
export function envRowsFrom(
  environment: Record<string, string> | null | undefined,
  secretKeys: string[] | null | undefined,
): EnvRow[] {
  const rows: EnvRow[] = Object.entries(environment ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ({
      id: ++rowSeq,
      key,
      value,
      secret: false,
      stored: false,
      action: 'keep' as const,
    }))
  for (const key of [...(secretKeys ?? [])].sort()) {
    rows.push({ id: ++rowSeq, key, value: '', secret: true, stored: true, action: 'keep' })
  }
  return rows
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** What the environment editor sends. */
export interface EnvPayload {
  environment: Record<string, string>
  /** Only present keys change; null removes one. Empty when no secret changes. */
  secret_environment: Record<string, string | null>
  /**
   * Stored secret keys that become plain variables. The API refuses a key in both maps of one request,
   * so these are removed from the secrets in a request of their own first.
   */
  secretsToDropFirst: string[]
  /** Problems by row id. */
  errors: Record<number, string>
}

/**
 * Builds the request fields from the editor rows. `storedSecrets` are the secret keys the container has
 * now; a stored secret whose row was deleted is removed.
 */
export function envPayload(rows: EnvRow[], storedSecrets: string[] = []): EnvPayload {
  const environment: Record<string, string> = {}
  const secret: Record<string, string | null> = {}
  const errors: Record<number, string> = {}
  const seen = new Map<string, number>()
  for (const row of rows) {
    const key = row.key.trim()
    if (key === '') {
      if (!row.stored && row.value !== '') errors[row.id] = 'Name required'
      continue
    }
    if (!ENV_NAME.test(key)) {
      errors[row.id] = 'Letters, digits and _, not starting with a digit'
      continue
    }
    if (key.startsWith('KIOSC_')) {
      errors[row.id] = 'KIOSC_* variables are set by kiosc'
      continue
    }
    if (seen.has(key)) {
      errors[row.id] = `${key} is listed twice`
      continue
    }
    seen.set(key, row.id)
    if (row.stored) {
      if (row.action === 'remove') secret[key] = null
      else if (row.action === 'replace') {
        if (row.value === '') errors[row.id] = 'Enter the new value, or keep the current one'
        else secret[key] = row.value
      }
    } else if (row.secret) {
      secret[key] = row.value
    } else {
      environment[key] = row.value
    }
  }
  for (const key of storedSecrets) {
    const row = rows.find((r) => r.stored && r.key === key)
    if (!row && !(key in secret)) secret[key] = null
  }
  // A stored secret turned into a plain variable (its row removed, a plain row with the key added).
  const secretsToDropFirst: string[] = []
  for (const key of storedSecrets) {
    if (key in environment && secret[key] === null) {
      secretsToDropFirst.push(key)
      delete secret[key]
    }
  }
  return { environment, secret_environment: secret, secretsToDropFirst, errors }
}

/**
 * The row an API field error belongs to: `environment.FOO` and `secret_environment.FOO` map to the row
 * whose key is FOO.
 */
export function envErrorsByRow(rows: EnvRow[], fields: Record<string, string>): Record<number, string> {
  const out: Record<number, string> = {}
  for (const [field, message] of Object.entries(fields)) {
    const m = /^(?:secret_)?environment\.(.+)$/.exec(field)
    if (!m) continue
    const row = rows.find((r) => r.key.trim() === m[1])
    if (row) out[row.id] = message
  }
  return out
}

/** Environment text, one NAME=value per line, as the template form edits it. */
export function envToText(env: Record<string, string> | null | undefined): string {
  return Object.keys(env ?? {})
    .sort()
    .map((k) => `${k}=${env![k]}`)
    .join('\n')
}

/** Parses environment text; `error` names the first bad line. */
export function envFromText(text: string): { env: Record<string, string>; error: string | null } {
  const env: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (!line || line.startsWith('#')) continue
    const eq = line.indexOf('=')
    const key = eq < 0 ? line : line.slice(0, eq).trim()
    if (eq < 0 || !ENV_NAME.test(key))
      return { env, error: `Line ${i + 1}: write NAME=value (letters, digits and _ in the name)` }
    if (key in env) return { env, error: `Line ${i + 1}: ${key} is listed twice` }
    env[key] = line.slice(eq + 1)
  }
  return { env, error: null }
}

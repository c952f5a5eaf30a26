/** Upper-cases the first letter, for showing server messages (often lower-case Go errors) as sentences. */
export function sentence(text: string): string {
  return text.length > 0 ? text[0]!.toUpperCase() + text.slice(1) : text
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** Formats an API timestamp for people; null when it is missing or not a date. */
export function formatDateTime(value: string | null | undefined): string | null {
  if (!value) return null
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? null : dateTime.format(date)
}

/** A Docker ID shortened like `docker ps` shows it. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12)
}

// Timestamps from the API are RFC 3339 as Go writes them: the fraction has as many digits as it needs (trailing
// zeros dropped, none at all on a whole second), so their string order is not their time order ("…:21.4Z" sorts
// after "…:21.45Z"). Comparing them needs their value, to the nanosecond.

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i

/** The instant as [milliseconds since the epoch of its whole second, nanoseconds into it]; null when unreadable. */
function instant(s: string): [number, number] | null {
  const m = RFC3339.exec(s)
  if (!m) return null
  const seconds = Date.parse(m[1]! + m[3]!)
  if (Number.isNaN(seconds)) return null
  return [seconds, Number((m[2] ?? '').padEnd(9, '0'))]
}

/** Orders two RFC 3339 timestamps by time: negative when a is earlier, 0 when equal, positive when later. */
export function compareInstants(a: string, b: string): number {
  const x = instant(a)
  const y = instant(b)
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0
  return x[0] - y[0] || x[1] - y[1]
}

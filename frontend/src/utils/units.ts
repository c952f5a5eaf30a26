// Byte sizes and durations for people, and the memory units of the limits form.

export const MIB = 1024 * 1024
export const GIB = 1024 * MIB

/** Human-readable size with a binary unit ("1.5 GiB", "312 KiB", "12 B"). */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let i = 0
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024
    i++
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[i]}`
}

/** Units the limits form offers for memory. */
export type MemoryUnit = 'MiB' | 'GiB'

/** Bytes for an amount in a unit, rounded to whole bytes; 0 for empty or negative input (site default). */
export function toBytes(amount: number | null | undefined, unit: MemoryUnit): number {
  if (amount === null || amount === undefined || !Number.isFinite(amount) || amount <= 0) return 0
  return Math.round(amount * (unit === 'GiB' ? GIB : MIB))
}

/** The most readable amount and unit for a byte count: GiB when it is a whole number of them, else MiB. */
export function fromBytes(bytes: number | null | undefined): { amount: number | null; unit: MemoryUnit } {
  if (!bytes || bytes <= 0) return { amount: null, unit: 'GiB' }
  if (bytes % GIB === 0 || bytes >= 64 * GIB) return { amount: round(bytes / GIB, 3), unit: 'GiB' }
  return { amount: round(bytes / MIB, 2), unit: 'MiB' }
}

/**
 * A memory limit as the limits form spells it ("512 MiB", "2 GiB": the amount and unit of fromBytes), or the
 * fallback for 0/null.
 */
export function formatMemoryLimit(bytes: number | null | undefined, fallback = 'site default'): string {
  const { amount, unit } = fromBytes(bytes)
  return amount === null ? fallback : `${amount} ${unit}`
}

function round(n: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

/** A duration in seconds for people ("90 s", "15 min", "2 h 30 min"), or the fallback for 0. */
export function formatSeconds(seconds: number | null | undefined, fallback = 'site default'): string {
  if (!seconds || seconds <= 0) return fallback
  if (seconds < 120) return `${seconds} s`
  const d = Math.floor(seconds / 86400)
  const h = Math.floor((seconds % 86400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  const parts: string[] = []
  if (d) parts.push(`${d} d`)
  if (h) parts.push(`${h} h`)
  if (m) parts.push(`${m} min`)
  if (s && !d) parts.push(`${s} s`)
  return parts.join(' ')
}

/** A repeating interval for people ("5 min", "1 h 30 min", "45 s"), or "–" when there is none. */
export function formatInterval(seconds: number | null): string {
  if (seconds === null || seconds <= 0) return '–'
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  const parts: string[] = []
  if (h) parts.push(`${h} h`)
  if (m) parts.push(`${m} min`)
  if (s || parts.length === 0) parts.push(`${s} s`)
  return parts.join(' ')
}

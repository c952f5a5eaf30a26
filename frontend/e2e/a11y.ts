// Accessibility and layout checks of the browser tests: axe-core in the page, and whether a page is wider than
// the window (on a phone, anything wider scrolls sideways).

import AxeBuilder from '@axe-core/playwright'
import type { Page } from 'playwright-core'

/** Phone and desktop viewports of the page tests. */
export const PHONE = { width: 390, height: 844 }
export const DESKTOP = { width: 1440, height: 900 }

/** One axe finding, short enough to read in a test failure. */
export interface Finding {
  rule: string
  impact: string
  help: string
  targets: string[]
  /** The first offending element's HTML and axe's explanation (for contrast: the two colours and the ratio). */
  first: string
}

/**
 * Runs axe (WCAG 2.1 A and AA rules) on the page and returns the serious and critical violations. Naive UI's
 * hidden measuring and focus-trap elements are left out: they are not shown to anyone.
 */
export async function seriousViolations(page: Page): Promise<Finding[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .exclude('.v-binder-follower-container [aria-hidden="true"]')
    .analyze()
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      rule: v.id,
      impact: v.impact ?? '',
      help: v.help,
      targets: v.nodes.slice(0, 6).map((n) => n.target.join(' ')),
      first: `${v.nodes[0]?.html.slice(0, 160) ?? ''} — ${v.nodes[0]?.failureSummary ?? ''}`,
    }))
}

/**
 * How far the page is wider than the window (0 when it fits): the document's own scroll width, and every element
 * that sticks out past the right edge without being inside something that scrolls sideways or clips it on purpose.
 * Naive UI's layout clips its content (overflow-x: hidden), so on its own the document's width never shows what a
 * phone cuts off.
 */
export async function horizontalOverflow(page: Page): Promise<number> {
  const doc = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  return Math.max(doc, ...(await stickingOut(page)).map((s) => s.over))
}

/** The elements that stick out past the right edge of the window, with by how much, for a failure message. */
async function stickingOut(page: Page): Promise<{ name: string; over: number }[]> {
  return page.evaluate(() => {
    const w = window.innerWidth
    // Page-level containers that clip whatever is too wide: not a reason to let it pass.
    const pageLevel = (el: Element) =>
      el === document.body ||
      el === document.documentElement ||
      el.matches('.n-layout-scroll-container, .n-layout')
    const contained = (el: Element) => {
      for (let a = el.parentElement; a && !pageLevel(a); a = a.parentElement) {
        const ox = getComputedStyle(a).overflowX
        if (ox !== 'visible') return true
      }
      return false
    }
    const out: { name: string; over: number }[] = []
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const r = el.getBoundingClientRect()
      if (r.width === 0 || r.height === 0 || r.right <= w + 1) continue
      const style = getComputedStyle(el)
      if (style.visibility === 'hidden' || style.position === 'fixed') continue
      if (contained(el)) continue
      const cls = typeof el.className === 'string' ? el.className.split(' ').slice(0, 2).join('.') : ''
      out.push({ name: `${el.tagName.toLowerCase()}${cls ? '.' + cls : ''}`, over: Math.round(r.right - w) })
      if (out.length >= 8) break
    }
    return out
  })
}

/** The elements that stick out past the right edge of the window, for a failure message. */
export async function widest(page: Page): Promise<string[]> {
  return (await stickingOut(page)).map((s) => `${s.name} (+${s.over}px)`)
}

// Fixes for what Naive UI renders without the ARIA that screen readers and keyboards (and axe-core) need. Vue leaves
// attributes it rendered as constants alone on later updates, so setting them once on the DOM sticks.
//
// - A card's header and its title are both role="heading" without a level: the header (which also holds the card's
//   buttons) becomes a plain group, the title a level-2 heading (cards sit below the page's h1).
// - A number field's −/+ buttons have only an icon: they are named "Decrease" and "Increase".
// - Tabs are plain divs that only a mouse can use: they become a tablist of tabs that the Tab key reaches, with
//   aria-selected on the current one; Enter or Space opens a tab, the arrow keys move between them.
// - A table that scrolls sideways (on a phone) with nothing focusable in it, such as an empty one, cannot be scrolled
//   by keyboard: its scroll area becomes focusable.

const HEADER = '.n-card-header[role="heading"]'
const TITLE = '.n-card-header__main[role="heading"]:not([aria-level])'
const STEPPER = '.n-input-number .n-input__suffix > button:not([aria-label])'
const TABLIST = '.n-tabs-nav-scroll-content:not([role])'
const TAB = '.n-tabs-tab'
const TABLE_SCROLLER = '.n-data-table .n-scrollbar-container:not([tabindex])'
const FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])'

/** Applies the fixes to everything under `root`. */
export function fixNaiveA11y(root: ParentNode): void {
  for (const el of Array.from(root.querySelectorAll(HEADER))) el.removeAttribute('role')
  for (const el of Array.from(root.querySelectorAll(TITLE))) el.setAttribute('aria-level', '2')
  for (const el of Array.from(root.querySelectorAll(STEPPER))) {
    const buttons = Array.from(el.parentElement?.querySelectorAll(':scope > button') ?? [])
    el.setAttribute('aria-label', buttons.indexOf(el) === buttons.length - 1 ? 'Increase' : 'Decrease')
  }
  for (const el of Array.from(root.querySelectorAll(TABLIST))) el.setAttribute('role', 'tablist')
  for (const el of Array.from(root.querySelectorAll(TAB))) {
    if (el.getAttribute('role') !== 'tab') el.setAttribute('role', 'tab')
    const selected = String(el.classList.contains('n-tabs-tab--active'))
    if (el.getAttribute('aria-selected') !== selected) el.setAttribute('aria-selected', selected)
    const disabled = el.classList.contains('n-tabs-tab--disabled')
    const tabindex = disabled ? '-1' : '0'
    if (el.getAttribute('tabindex') !== tabindex) el.setAttribute('tabindex', tabindex)
  }
  for (const el of Array.from(root.querySelectorAll(TABLE_SCROLLER))) {
    if (el.scrollWidth <= el.clientWidth + 1 || el.querySelector(FOCUSABLE)) continue
    el.setAttribute('tabindex', '0')
    el.setAttribute('role', 'region')
    el.setAttribute('aria-label', 'Table, scrolls sideways')
  }
}

/** Enter and Space open the focused tab; the arrow keys move to the tab before or after it. */
function onKeydown(e: KeyboardEvent): void {
  const tab = e.target instanceof HTMLElement ? e.target.closest<HTMLElement>(`${TAB}[role="tab"]`) : null
  if (!tab) return
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault()
    tab.click()
  } else if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
    const list = tab.closest('[role="tablist"]')
    const tabs = Array.from(
      list?.querySelectorAll<HTMLElement>(`${TAB}[role="tab"]:not([tabindex="-1"])`) ?? [],
    )
    const next = tabs[(tabs.indexOf(tab) + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length]
    if (next) {
      e.preventDefault()
      next.focus()
    }
  }
}

/** Applies the fixes now and to whatever is added to (or re-classed in) the document later. */
export function watchNaiveA11y(root: HTMLElement = document.body): MutationObserver {
  fixNaiveA11y(root)
  let queued = false
  const observer = new MutationObserver(() => {
    if (queued) return
    queued = true
    queueMicrotask(() => {
      queued = false
      fixNaiveA11y(root)
    })
  })
  observer.observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ['class'] })
  root.addEventListener('keydown', onKeydown)
  return observer
}

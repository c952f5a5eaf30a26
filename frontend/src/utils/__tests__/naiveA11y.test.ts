import { describe, expect, it } from 'vitest'
import { fixNaiveA11y, watchNaiveA11y } from '@/utils/naiveA11y'

const card = `<div class="n-card"><div class="n-card-header" role="heading"><div class="n-card-header__main"
  role="heading">Image</div><div class="n-card-header__extra"><button>Check</button></div></div></div>`
const number = `<div class="n-input-number"><div class="n-input__suffix"><button></button><button></button></div></div>`

describe('fixNaiveA11y', () => {
  it('leaves one level-2 heading per card and names the number steppers', () => {
    const root = document.createElement('div')
    root.innerHTML = card + number
    fixNaiveA11y(root)
    const headings = root.querySelectorAll('[role="heading"]')
    expect(headings).toHaveLength(1)
    expect(headings[0]!.textContent).toBe('Image')
    expect(headings[0]!.getAttribute('aria-level')).toBe('2')
    const labels = Array.from(root.querySelectorAll('button[aria-label]')).map((b) =>
      b.getAttribute('aria-label'),
    )
    expect(labels).toEqual(['Decrease', 'Increase'])
  })

  it('fixes what is added later', async () => {
    const root = document.createElement('div')
    document.body.appendChild(root)
    const observer = watchNaiveA11y(root)
    root.insertAdjacentHTML('beforeend', card)
    await new Promise((r) => setTimeout(r, 0))
    expect(root.querySelector('.n-card-header')!.hasAttribute('role')).toBe(false)
    expect(root.querySelector('.n-card-header__main')!.getAttribute('aria-level')).toBe('2')
    observer.disconnect()
    root.remove()
  })
})

describe('tabs', () => {
  it('become a tablist the keyboard can use', async () => {
    const root = document.createElement('div')
    document.body.appendChild(root)
    root.innerHTML = `<div class="n-tabs-nav-scroll-content"><div class="n-tabs-tab n-tabs-tab--active">Overview</div>
      <div class="n-tabs-tab">Logs</div><div class="n-tabs-tab n-tabs-tab--disabled">Shell</div></div>`
    const observer = watchNaiveA11y(root)
    const [overview, logs, shell] = Array.from(root.querySelectorAll<HTMLElement>('.n-tabs-tab'))
    expect(root.querySelector('[role="tablist"]')).not.toBeNull()
    expect([overview, logs, shell].map((t) => t!.getAttribute('aria-selected'))).toEqual([
      'true',
      'false',
      'false',
    ])
    expect(shell!.getAttribute('tabindex')).toBe('-1')
    let clicked = ''
    logs!.addEventListener('click', () => {
      clicked = 'logs'
      overview!.classList.remove('n-tabs-tab--active')
      logs!.classList.add('n-tabs-tab--active')
    })
    logs!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
    expect(clicked).toBe('logs')
    await new Promise((r) => setTimeout(r, 0))
    expect(logs!.getAttribute('aria-selected')).toBe('true')
    expect(overview!.getAttribute('aria-selected')).toBe('false')
    overview!.focus()
    overview!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }))
    expect(document.activeElement).toBe(logs)
    observer.disconnect()
    root.remove()
  })
})

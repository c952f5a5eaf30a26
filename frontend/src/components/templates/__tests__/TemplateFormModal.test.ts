import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import TemplateFormModal from '../TemplateFormModal.vue'

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

const input = (testid: string, tag = 'input') =>
  document.body.querySelector(`[data-testid="${testid}"] ${tag}`) as HTMLInputElement

async function type(testid: string, value: string, tag = 'input'): Promise<void> {
  await typeInto(input(testid, tag), value)
}

async function typeInto(el: HTMLInputElement, value: string): Promise<void> {
  el.value = value
  el.dispatchEvent(new Event('input'))
  await nextTick()
}

/** Adds a variable in the environment editor (the same rows as the container form's) and fills it in. */
async function addVariable(key: string, value: string): Promise<void> {
  ;(document.body.querySelector('[data-testid="tpl-env"] [data-testid="env-add"]') as HTMLElement).click()
  await nextTick()
  const rows = document.body.querySelectorAll('[data-testid="tpl-env"] [data-testid="env-row"]')
  const row = rows[rows.length - 1]!
  await typeInto(row.querySelector('[data-testid="env-key"] input') as HTMLInputElement, key)
  await typeInto(row.querySelector('[data-testid="env-value"] input') as HTMLInputElement, value)
}

/** The bodies of the requests that save a template (the form also looks the image up, with GETs). */
function saves(): unknown[] {
  return vi
    .mocked(fetch)
    .mock.calls.filter(([, init]) => init?.method === 'POST' || init?.method === 'PATCH')
    .map(([, init]) => JSON.parse(String(init!.body)))
}

const IMAGE_FACTS = { image: 'x', present: false, exposed_ports: [], working_dir: '' }

describe('TemplateFormModal', () => {
  // The form reads the site's configuration (its runtime) from the session store.
  beforeEach(() => setActivePinia(createPinia()))

  it('creates a project template, showing the server’s field errors until the field is edited', async () => {
    const bodies: unknown[] = []
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_url: RequestInfo | URL, init?: RequestInit) => {
        if (!init?.body) return json(IMAGE_FACTS)
        const body = JSON.parse(String(init.body))
        bodies.push(body)
        if (body.image === 'Bad')
          return json(
            { error: { code: 'validation_failed', message: 'image: invalid', fields: { image: 'invalid' } } },
            400,
          )
        return json({ uuid: 't1', title: body.title }, 201)
      }),
    )
    const wrapper = mount(TemplateFormModal, {
      props: { show: true, project: 'p1', template: null },
      attachTo: document.body,
    })
    await flushPromises()
    await type('tpl-title', 'Jupyter')
    await type('tpl-image', 'Bad')
    await addVariable('A', '1')
    await addVariable('B', 'two words')
    ;(document.body.querySelector('[data-testid="tpl-submit"]') as HTMLElement).click()
    await flushPromises()
    expect(document.body.querySelector('[data-testid="tpl-form-error"]')).not.toBeNull()
    expect(document.body.textContent).toContain('Invalid')
    expect(bodies[0]).toMatchObject({
      title: 'Jupyter',
      image: 'Bad',
      environment: { A: '1', B: 'two words' },
    })
    expect(bodies[0]).not.toHaveProperty('secret_environment')

    await type('tpl-image', 'jupyter/base:1')
    expect(document.body.textContent).not.toContain('Invalid')
    ;(document.body.querySelector('[data-testid="tpl-submit"]') as HTMLElement).click()
    await flushPromises()
    expect(wrapper.emitted('saved')?.[0]?.[0]).toMatchObject({ uuid: 't1' })
    expect(wrapper.emitted('update:show')?.[0]).toEqual([false])
    const posts = vi.mocked(fetch).mock.calls.filter(([, init]) => init?.method === 'POST')
    expect(posts.map(([url]) => url)).toEqual([
      '/api/v1/projects/p1/templates',
      '/api/v1/projects/p1/templates',
    ])
    wrapper.unmount()
  })

  it('refuses a malformed variable name before asking the server', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json(IMAGE_FACTS)),
    )
    const wrapper = mount(TemplateFormModal, {
      props: { show: true, project: null },
      attachTo: document.body,
    })
    await flushPromises()
    await type('tpl-title', 'x')
    await type('tpl-image', 'nginx')
    await addVariable('not a name', 'x')
    ;(document.body.querySelector('[data-testid="tpl-submit"]') as HTMLElement).click()
    await flushPromises()
    expect(document.body.querySelector('[data-testid="env-error"]')?.textContent).toContain(
      'Letters, digits and _',
    )
    expect(saves()).toEqual([])
    wrapper.unmount()
  })
})

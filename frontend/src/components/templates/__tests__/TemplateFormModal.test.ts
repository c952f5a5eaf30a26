import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import TemplateFormModal from '../TemplateFormModal.vue'

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

const input = (testid: string, tag = 'input') =>
  document.body.querySelector(`[data-testid="${testid}"] ${tag}`) as HTMLInputElement

async function type(testid: string, value: string, tag = 'input'): Promise<void> {
  const el = input(testid, tag)
  el.value = value
  el.dispatchEvent(new Event('input'))
  await nextTick()
}

describe('TemplateFormModal', () => {
  it('creates a project template, showing the server’s field errors until the field is edited', async () => {
    const bodies: unknown[] = []
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_url: RequestInfo | URL, init?: RequestInit) => {
        const body = JSON.parse(String(init!.body))
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
    await type('tpl-env', 'A=1\nB=two words', 'textarea')
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
    expect(vi.mocked(fetch).mock.calls[1]![0]).toBe('/api/v1/projects/p1/templates')
    wrapper.unmount()
  })

  it('refuses malformed environment lines before asking the server', async () => {
    vi.stubGlobal('fetch', vi.fn())
    const wrapper = mount(TemplateFormModal, {
      props: { show: true, project: null },
      attachTo: document.body,
    })
    await flushPromises()
    await type('tpl-title', 'x')
    await type('tpl-image', 'nginx')
    await type('tpl-env', 'not a pair', 'textarea')
    ;(document.body.querySelector('[data-testid="tpl-submit"]') as HTMLElement).click()
    await flushPromises()
    expect(document.body.textContent).toContain('Line 1')
    expect(fetch).not.toHaveBeenCalled()
    wrapper.unmount()
  })
})

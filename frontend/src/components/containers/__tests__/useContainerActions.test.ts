import { flushPromises, mount } from '@vue/test-utils'
import { NDialogProvider } from 'naive-ui'
import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h, onMounted, ref } from 'vue'
import type { Container } from '@/api/types'
import { useContainerActions } from '../useContainerActions'

describe('deleting a container with volumes', () => {
  it('keeps its volumes unless asked, and says what each choice keeps', async () => {
    setActivePinia(createPinia())
    const calls: string[] = []
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init: RequestInit) => {
        calls.push(`${init.method} ${url}`)
        return new Response(JSON.stringify({ uuid: 'c1', project: 'p1', state: 'deleting' }), { status: 202 })
      }),
    )
    const c = {
      uuid: 'c1',
      project: 'p1',
      title: 'Notebook',
      image: 'x',
      state: 'stopped',
      volumes: [
        { name: 'work', mount_path: '/work', scope: 'container', read_only: false },
        { name: 'ref', mount_path: '/ref', scope: 'project', read_only: true },
      ],
    } as unknown as Container
    const done = ref<boolean | null>(null)
    const Asker = defineComponent({
      setup() {
        const { remove } = useContainerActions()
        onMounted(async () => (done.value = await remove(c)))
        return () => null
      },
    })
    const wrapper = mount(NDialogProvider, { slots: { default: () => h(Asker) }, attachTo: document.body })
    await flushPromises()
    const outcome = () => document.body.querySelector('[data-testid="delete-outcome"]')!.textContent ?? ''
    expect(outcome()).toContain('Its volume work is kept')
    expect(outcome()).toContain('The project volume ref stays.')
    const choice = document.body.querySelector(
      '[data-testid="delete-remove-volumes"] input',
    ) as HTMLInputElement
    choice.click()
    await flushPromises()
    expect(outcome()).toContain('Its volume work is removed with every file in it.')
    const del = Array.from(document.body.querySelectorAll('.n-dialog button')).find(
      (b) => b.textContent?.trim() === 'Delete',
    )
    ;(del as HTMLButtonElement).click()
    await flushPromises()
    expect(calls).toEqual(['DELETE /api/v1/containers/c1?volumes=delete'])
    expect(done.value).toBe(true)
    wrapper.unmount()
    vi.unstubAllGlobals()
  })
})

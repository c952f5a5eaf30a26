import { flushPromises, mount } from '@vue/test-utils'
import { NDialogProvider } from 'naive-ui'
import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h, onMounted, ref } from 'vue'
import type { Container } from '@/api/types'
import { volumeRowsFrom, volumesPayload, type VolumeRow } from '@/utils/volumes'
import { useContainerActions } from '../useContainerActions'
import VolumesEditor from '../VolumesEditor.vue'

function harness(rows: VolumeRow[], errors = {}) {
  const model = ref(rows)
  const Harness = defineComponent({
    setup: () => () =>
      h(VolumesEditor, {
        modelValue: model.value,
        'onUpdate:modelValue': (v: VolumeRow[]) => (model.value = v),
        errors,
      }),
  })
  return { wrapper: mount(Harness), model }
}

describe('VolumesEditor', () => {
  it('adds, edits and removes volumes', async () => {
    const { wrapper, model } = harness(
      volumeRowsFrom([{ name: 'work', mount_path: '/work', scope: 'container', read_only: false }]),
    )
    expect((wrapper.find('[data-testid="volume-name"] input').element as HTMLInputElement).value).toBe('work')
    await wrapper.find('[data-testid="volume-add"]').trigger('click')
    const rows = wrapper.findAll('[data-testid="volume-row"]')
    expect(rows).toHaveLength(2)
    await rows[1]!.find('[data-testid="volume-name"] input').setValue('data')
    await rows[1]!.find('[data-testid="volume-path"] input').setValue('/data')
    expect(volumesPayload(model.value)).toEqual([
      { name: 'work', mount_path: '/work', scope: 'container', read_only: false },
      { name: 'data', mount_path: '/data', scope: 'container', read_only: false },
    ])
    await rows[0]!.find('[data-testid="volume-remove"]').trigger('click')
    expect(model.value.map((r) => r.name)).toEqual(['data'])
  })

  it('shows errors under their row', () => {
    const rows = volumeRowsFrom([{ name: 'x', mount_path: '/etc', scope: 'container', read_only: false }])
    const { wrapper } = harness(rows, { [rows[0]!.id]: { mount_path: '/etc is a system directory' } })
    expect(wrapper.find('[data-testid="volume-error"]').text()).toBe('Mount path: /etc is a system directory')
  })
})

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
    const wrapper = mount(
      defineComponent({ render: () => h(NDialogProvider, null, { default: () => h(Asker) }) }),
      {
        attachTo: document.body,
      },
    )
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

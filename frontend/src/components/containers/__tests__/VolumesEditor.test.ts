import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { defineComponent, h, ref } from 'vue'
import { volumeRowsFrom, volumesPayload, type VolumeRow } from '@/utils/volumes'
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

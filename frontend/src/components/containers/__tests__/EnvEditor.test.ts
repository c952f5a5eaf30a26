import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { defineComponent, h, ref } from 'vue'
import { envPayload, envRowsFrom, type EnvRow } from '@/utils/env'
import EnvEditor from '../EnvEditor.vue'

function harness(rows: EnvRow[]) {
  const model = ref(rows)
  const Harness = defineComponent({
    setup: () => () =>
      h(EnvEditor, { modelValue: model.value, 'onUpdate:modelValue': (v: EnvRow[]) => (model.value = v) }),
  })
  return { wrapper: mount(Harness), model }
}

describe('EnvEditor', () => {
  it('shows stored secrets as set, never their value, and removes them on request', async () => {
    const { wrapper, model } = harness(envRowsFrom({ PLAIN: 'visible' }, ['TOKEN']))
    const secretRow = wrapper.find('[data-key="TOKEN"]')
    expect(secretRow.text()).toContain('••••• (set)')
    expect(secretRow.find('[data-testid="env-value"]').exists()).toBe(false)
    const plainValue = wrapper.find('[data-key="PLAIN"] [data-testid="env-value"] input')
    expect((plainValue.element as HTMLInputElement).value).toBe('visible')

    await secretRow.find('[data-testid="env-secret-remove"]').trigger('click')
    expect(wrapper.find('[data-key="TOKEN"]').text()).toContain('will be removed')
    expect(envPayload(model.value, ['TOKEN']).secret_environment).toEqual({ TOKEN: null })
  })

  it('replaces a stored secret with a value typed into a password field', async () => {
    const { wrapper, model } = harness(envRowsFrom({}, ['TOKEN']))
    const replace = wrapper.findAll('[data-key="TOKEN"] button').find((b) => b.text() === 'Replace')!
    await replace.trigger('click')
    const input = wrapper.find('[data-key="TOKEN"] [data-testid="env-value"] input')
    expect(input.attributes('type')).toBe('password')
    await input.setValue('rotated')
    expect(envPayload(model.value, ['TOKEN']).secret_environment).toEqual({ TOKEN: 'rotated' })
  })

  it('adds plain and secret rows', async () => {
    const { wrapper, model } = harness([])
    await wrapper.find('[data-testid="env-add"]').trigger('click')
    await wrapper.find('[data-testid="env-add-secret"]').trigger('click')
    expect(model.value.map((r) => r.secret)).toEqual([false, true])
    const inputs = wrapper.findAll('[data-testid="env-value"] input')
    expect(inputs[0]!.attributes('type')).toBe('text')
    expect(inputs[1]!.attributes('type')).toBe('password')
  })
})

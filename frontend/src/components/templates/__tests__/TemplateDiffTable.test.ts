import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import type { TemplateDiff } from '@/api/types'
import TemplateDiffTable from '../TemplateDiffTable.vue'

const diff: TemplateDiff = {
  upstream: { uuid: 't1', title: 'Jupyter', project: null, updated_at: '2026-01-01T00:00:00Z' },
  fields: [
    { field: 'image', current: 'jupyter/base:1', upstream: 'jupyter/base:2' },
    { field: 'memory_limit', current: 0, upstream: 1073741824 },
    { field: 'environment', current: {}, upstream: { B: '2', A: '1' } },
  ],
}

describe('TemplateDiffTable', () => {
  it('lists the differing fields readably and applies the chosen ones', async () => {
    const wrapper = mount(TemplateDiffTable, {
      props: { diff, canApply: true, restartOption: true, subject: 'this container' },
    })
    const rows = wrapper.findAll('[data-testid="diff-row"]')
    expect(rows.map((r) => r.attributes('data-field'))).toEqual(['image', 'memory_limit', 'environment'])
    expect(rows[1]!.text()).toContain('site default')
    expect(rows[1]!.text()).toContain('1 GiB')
    expect(rows[2]!.text()).toContain('A=1\nB=2')
    expect(wrapper.find('[data-testid="diff-apply"]').text()).toContain('Apply 3 fields')

    // Leave out the memory limit, ask for a restart.
    await rows[1]!.find('.n-checkbox').trigger('click')
    await wrapper.find('[data-testid="diff-restart"]').trigger('click')
    expect(wrapper.find('[data-testid="diff-apply"]').text()).toContain('Apply 2 fields')
    await wrapper.find('[data-testid="diff-apply"]').trigger('click')
    expect(wrapper.emitted('apply')).toEqual([[['image', 'environment'], true]])
  })

  it('says when nothing differs, and offers no apply to readers', async () => {
    const same = mount(TemplateDiffTable, {
      props: { diff: { ...diff, fields: [] }, canApply: true, subject: 'this template' },
    })
    expect(same.find('[data-testid="diff-none"]').text()).toContain('Up to date with Jupyter')

    const reader = mount(TemplateDiffTable, { props: { diff, canApply: false, subject: 'this template' } })
    expect(reader.findAll('[data-testid="diff-row"]')).toHaveLength(3)
    expect(reader.find('[data-testid="diff-apply"]').exists()).toBe(false)

    const unlinked = mount(TemplateDiffTable, {
      props: { diff: { upstream: null, fields: [] }, canApply: true, subject: 'this template' },
    })
    expect(unlinked.text()).toContain('This template is not linked to a template.')
  })
})

import { flushPromises, mount } from '@vue/test-utils'
import { NNotificationProvider } from 'naive-ui'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import { defineComponent, h } from 'vue'
import { ApiError, NETWORK_ERROR_CODE } from '@/api/client'
import NoticeHost from '@/components/layout/NoticeHost.vue'
import { UNREACHABLE_KEY, useNotificationsStore } from '@/stores/notifications'

const Harness = defineComponent({
  render: () => h(NNotificationProvider, null, { default: () => h(NoticeHost) }),
})

afterEach(() => {
  document.body.innerHTML = ''
})

describe('NoticeHost', () => {
  it('shows store notices as notifications and removes resolved ones', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    const wrapper = mount(Harness, { global: { plugins: [pinia] }, attachTo: document.body })
    const store = useNotificationsStore()

    store.reportError(new ApiError(409, 'conflict', 'Container is busy'), 'Cannot stop')
    store.reportError(new ApiError(0, NETWORK_ERROR_CODE, 'kiosc is unreachable'))
    store.reportError(new ApiError(0, NETWORK_ERROR_CODE, 'kiosc is unreachable'))
    await flushPromises()
    const text = document.body.textContent ?? ''
    expect(text).toContain('Cannot stop')
    expect(text).toContain('Container is busy')
    expect(text.split('kiosc is unreachable').length - 1).toBe(1)

    store.resolve(UNREACHABLE_KEY)
    await flushPromises()
    // Naive removes the element after its leave transition; the instance is gone from the store at once.
    expect(store.notices.map((n) => n.title)).toEqual(['Cannot stop'])
    wrapper.unmount()
  })
})

// Templates end to end against the real binary: a superuser creates a site template, copies it into a project,
// creates a container from the copy, changes the site template, sees the difference on the project template and
// applies it, then sees and applies the difference on the container. Nothing is started, so no image is pulled.

import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiCall,
  deleteContainer,
  screenshot,
  type KioscServer,
  type TestPage,
  startAsAdmin,
} from './support'

describe('templates', () => {
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let page: Page
  let project = ''
  let container = ''

  beforeAll(async () => {
    ;({ server, browser, tp, page } = await startAsAdmin())
    project = (
      await apiCall<{ uuid: string }>(tp.context.request, 'POST', '/api/v1/projects', {
        title: 'Templates e2e',
        type: 'PROJECT',
      })
    ).uuid
  })

  afterAll(async () => {
    if (container) await deleteContainer(tp.context.request, container)
    await browser?.close()
    await server?.stop()
  })

  const siteRow = () => page.getByTestId('site-templates').locator('[data-template="Shiny"]')
  const projectRow = () => page.getByTestId('project-templates').locator('[data-template="Shiny"]')

  it('creates a site template through the form', async () => {
    await page.goto('/templates')
    await page.getByTestId('new-site-template').click()
    const form = page.getByTestId('template-form')
    await form.waitFor()
    await page.getByTestId('tpl-title').locator('input').fill('Shiny')
    await page.getByTestId('tpl-image').locator('input').fill('Not An Image')
    await page.getByTestId('tpl-submit').click()
    await page.getByTestId('tpl-form-error').waitFor()
    expect(await form.locator('.n-form-item-feedback--error').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/repository name|invalid/i)]),
    )
    await page.getByTestId('tpl-image').locator('input').fill('rocker/shiny:4.3')
    await page.getByTestId('tpl-port').locator('input').fill('3838')
    // The same key/value editor as the container form.
    await form.getByTestId('env-add').click()
    const row = form.getByTestId('env-row').last()
    await row.getByTestId('env-key').locator('input').fill('APPLICATION_LOGS_TO_STDOUT')
    await row.getByTestId('env-value').locator('input').fill('true')
    await screenshot(page, 'templates-form')
    await page.getByTestId('tpl-submit').click()
    await form.waitFor({ state: 'hidden' })
    await siteRow().waitFor()
    expect(await siteRow().textContent()).toContain('rocker/shiny:4.3')
  })

  it('copies it into a project, linked to the site template', async () => {
    await siteRow().getByTestId('tpl-copy').click()
    await page.getByTestId('copy-modal').waitFor()
    // The project is preselected as the target.
    expect(await page.getByTestId('copy-target').textContent()).toContain('Templates e2e')
    await page.getByTestId('copy-submit').click()
    await page.getByTestId('copy-modal').waitFor({ state: 'hidden' })
    await projectRow().waitFor()
    expect(await projectRow().textContent()).toContain('Shiny') // its site template column
    await screenshot(page, 'templates-page')
  })

  it('creates a container from the project template', async () => {
    await page.goto(`/projects/${project}/containers/new`)
    await page.getByTestId('from-template').waitFor()
    await page.getByTestId('from-template-select').click()
    await page.locator('.n-base-select-option', { hasText: 'rocker/shiny:4.3' }).first().click()
    // Using it fills in the form, where it can still be adjusted before anything is created.
    await page.getByTestId('from-template-use').click()
    await page.getByTestId('from-template-used').waitFor()
    expect(await page.getByTestId('field-image').locator('input').inputValue()).toBe('rocker/shiny:4.3')
    expect(await page.getByTestId('field-port').locator('input').inputValue()).toBe('3838')
    await page.getByTestId('field-title').locator('input').fill('Dashboard')
    await screenshot(page, 'templates-new-container')
    await page.getByTestId('form-submit').click()
    await page.waitForURL((url) => /^\/containers\/[0-9a-f-]{36}$/.test(url.pathname))
    container = new URL(page.url()).pathname.split('/')[2]!
    const got = await apiCall<{
      title: string
      image: string
      container_port: number
      environment: Record<string, string>
      template: string | null
    }>(tp.context.request, 'GET', `/api/v1/containers/${container}`)
    expect(got.title).toBe('Dashboard')
    expect(got.environment).toEqual({ APPLICATION_LOGS_TO_STDOUT: 'true' })
    expect(got.image).toBe('rocker/shiny:4.3')
    expect(got.container_port).toBe(3838)
    expect(got.template).not.toBeNull()
    await page.locator('.n-tabs-tab', { hasText: 'Template' }).click()
    await page.getByTestId('diff-none').waitFor()
  })

  it('shows a change of the site template on the project template and applies it', async () => {
    await page.goto(`/templates?project=${project}`)
    await siteRow().getByTestId('tpl-edit').click()
    await page.getByTestId('template-form').waitFor()
    await page.getByTestId('tpl-image').locator('input').fill('rocker/shiny:4.4')
    await page.getByTestId('tpl-submit').click()
    await page.getByTestId('template-form').waitFor({ state: 'hidden' })
    await expect.poll(() => siteRow().textContent()).toContain('rocker/shiny:4.4')

    await projectRow().getByTestId('tpl-compare').click()
    const modal = page.getByTestId('diff-modal')
    await modal.locator('[data-field="image"]').waitFor()
    expect(await modal.locator('[data-testid="diff-row"]').count()).toBe(1)
    expect(await modal.locator('[data-field="image"]').textContent()).toContain('rocker/shiny:4.4')
    await screenshot(page, 'templates-diff')
    await modal.getByTestId('diff-apply').click()
    await modal.getByTestId('diff-none').waitFor()
    await expect.poll(() => projectRow().textContent()).toContain('rocker/shiny:4.4')
  })

  it('shows the difference on the container and applies it', async () => {
    await page.goto(`/containers/${container}`)
    await page.locator('.n-tabs-tab', { hasText: 'Template' }).click()
    const panel = page.getByTestId('container-template')
    await panel.locator('[data-field="image"]').waitFor()
    await screenshot(page, 'templates-container-diff')
    await panel.getByTestId('diff-apply').click()
    await panel.getByTestId('diff-none').waitFor()
    const got = await apiCall<{ image: string }>(tp.context.request, 'GET', `/api/v1/containers/${container}`)
    expect(got.image).toBe('rocker/shiny:4.4')
    const timeline = await apiCall<{ items: { event_name: string }[] }>(
      tp.context.request,
      'GET',
      `/api/v1/timeline?project=${project}`,
    )
    const names = timeline.items.map((e) => e.event_name)
    expect(names).toEqual(expect.arrayContaining(['template_copy', 'template_apply', 'container_create']))
    expect(tp.errors).toEqual([])
  })
})

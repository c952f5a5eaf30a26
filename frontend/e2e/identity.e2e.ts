// Identity pages end to end as a superuser with a local account: users, projects and categories, members and
// roles, API tokens and the timeline, against the real kiosc binary.

import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { screenshot, type KioscServer, type TestPage, startAsAdmin } from './support'

describe('identity pages', () => {
  let server: KioscServer
  let browser: Browser
  let tp: TestPage
  let page: Page

  beforeAll(async () => {
    ;({ server, browser, tp, page } = await startAsAdmin())
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('creates a user', async () => {
    await page.goto('/admin/users')
    await page.getByTestId('new-user').click()
    const dialog = page.getByRole('dialog')
    await dialog.locator('input[name="username"]').fill('carol')
    await dialog.locator('input[name="name"]').fill('Carol Contributor')
    await dialog.locator('input[name="email"]').fill('not-an-email')
    await dialog.locator('input[name="password"]').fill('carol-password-1')
    await dialog.getByRole('button', { name: 'Create' }).click()
    await dialog.getByText('Must be an e-mail address').first().waitFor()
    await screenshot(page, 'users-validation')
    await dialog.locator('input[name="email"]').fill('carol@example.org')
    await dialog.getByRole('button', { name: 'Create' }).click()
    await dialog.waitFor({ state: 'hidden' })
    await page.getByText('Carol Contributor').waitFor()
    await screenshot(page, 'users')
  })

  it('creates a category and a project inside it', async () => {
    await page.goto('/projects')
    await page.getByTestId('new-project').click()
    let dialog = page.getByRole('dialog')
    await dialog.getByText('Category', { exact: true }).click()
    await dialog.locator('input[name="title"]').fill('Genomics')
    await dialog.getByRole('button', { name: 'Create' }).click()
    await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/)
    await page.getByTestId('new-inside').click()
    dialog = page.getByRole('dialog')
    await dialog.locator('input[name="title"]').fill('Single-cell atlas')
    await dialog.locator('textarea[name="description"]').fill('Shiny apps for the atlas')
    await dialog.getByRole('button', { name: 'Create' }).click()
    await page.getByRole('heading', { name: 'Single-cell atlas' }).waitFor()
    await page.getByTestId('breadcrumbs').getByText('Genomics').waitFor()
    await page.getByTestId('containers-section').waitFor()
    await screenshot(page, 'project')
  })

  it('adds a member and changes the role', async () => {
    await page.locator('.n-tabs-tab', { hasText: 'Members' }).click()
    const members = page.getByTestId('members')
    await members.locator('input[name="member-username"]').fill('carol')
    await members.getByRole('button', { name: 'Add' }).click()
    await members.getByText('carol', { exact: true }).waitFor()
    await screenshot(page, 'project-members')
    const res = await page.evaluate(async () => {
      const id = location.pathname.split('/').pop()
      return (await fetch(`/api/v1/projects/${id}/roles`)).json()
    })
    expect(res.items).toEqual([
      expect.objectContaining({ username: 'carol', role: 'guest', inherited_from: null }),
    ])
  })

  it('shows the project timeline', async () => {
    await page.locator('.n-tabs-tab', { hasText: 'Timeline' }).click()
    const timeline = page.getByTestId('timeline')
    // Events in words, with the event's name on hover.
    await timeline.locator('[title="role_create"]', { hasText: 'Member added' }).first().waitFor()
    await timeline.locator('[title="project_create"]').first().waitFor()
    await screenshot(page, 'project-timeline')
  })

  it('shows the project tree', async () => {
    await page.goto('/projects')
    await page.getByTestId('project-tree').getByText('Single-cell atlas').waitFor()
    await screenshot(page, 'projects')
  })

  it('creates a token, shows it once, uses and revokes it', async () => {
    await page.goto('/tokens')
    await page.locator('input[name="token-name"]').fill('e2e script')
    await page.getByTestId('create-token').click()
    const secretBox = page.getByTestId('token-secret')
    await secretBox.waitFor()
    const secret = await secretBox.locator('input[name="token-secret"]').inputValue()
    expect(secret).toMatch(/^kiosc_/)
    await screenshot(page, 'tokens-created')
    const ok = await fetch(`${server.url}/api/v1/projects`, {
      headers: { Authorization: `Bearer ${secret}` },
    })
    expect(ok.status).toBe(200)
    await page.getByRole('button', { name: 'Revoke' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click()
    await page.getByText('no longer works').waitFor()
    const gone = await fetch(`${server.url}/api/v1/projects`, {
      headers: { Authorization: `Token ${secret}` },
    })
    expect(gone.status).toBe(401)
    await screenshot(page, 'tokens')
  })

  it('shows the site-wide timeline', async () => {
    await page.goto('/timeline')
    const timeline = page.getByTestId('timeline')
    await timeline.locator('[title="token_revoke"]', { hasText: 'API token revoked' }).first().waitFor()
    await timeline.locator('[title="user_create"]').first().waitFor()
    await screenshot(page, 'timeline')
  })

  it('left no page errors', () => {
    expect(tp.errors).toEqual([])
  })
})

// Typed client of the template endpoints (SPEC 8, 10).
import { api, type ApiClient } from './client'
import type { Container, Page, Template, TemplateDiff, TemplateField, TemplateInput } from './types'

const enc = encodeURIComponent

/** The template API on a client (the app's by default). */
export function templatesApi(client: ApiClient = api) {
  const base = (uuid: string) => `/api/v1/templates/${enc(uuid)}`
  return {
    /** Site templates (`project` undefined or null) or the templates of a project. */
    list: (project?: string | null) =>
      client.get<Page<Template>>(
        project ? `/api/v1/projects/${enc(project)}/templates` : '/api/v1/templates',
        {
          query: { limit: 500 },
        },
      ),
    get: (uuid: string) => client.get<Template>(base(uuid)),
    create: (project: string | null, input: TemplateInput) =>
      client.post<Template>(
        project ? `/api/v1/projects/${enc(project)}/templates` : '/api/v1/templates',
        input,
      ),
    update: (uuid: string, input: TemplateInput) => client.patch<Template>(base(uuid), input),
    remove: (uuid: string) => client.delete<void>(base(uuid)),
    /** Copies into a project, or into the site templates with `project` null. */
    copy: (uuid: string, project: string | null, title?: string) =>
      client.post<Template>(`${base(uuid)}/copy`, title ? { project, title } : { project }),
    diff: (uuid: string) => client.get<TemplateDiff>(`${base(uuid)}/diff`),
    apply: (uuid: string, fields: TemplateField[]) =>
      client.post<Template>(`${base(uuid)}/apply`, { fields }),
    containerDiff: (uuid: string) => client.get<TemplateDiff>(`/api/v1/containers/${enc(uuid)}/diff`),
    containerApply: (uuid: string, fields: TemplateField[], restart = false) =>
      client.post<Container>(`/api/v1/containers/${enc(uuid)}/apply`, { fields, restart }),
  }
}

/** The app's template API. */
export const templates = templatesApi()

// Access levels of apps (who may open them) in words, for the badge, the form and the sharing card.
import type { Access, SiteSettings } from '@/api/types'

export const ACCESS_LEVELS: Access[] = ['project', 'site', 'link', 'public']

/** Short name of a level, as badges show it. */
export const ACCESS_LABEL: Record<Access, string> = {
  project: 'Project',
  site: 'All users',
  link: 'Link',
  public: 'Public',
}

/** Who may open an app of the level, in a sentence. */
export const ACCESS_TEXT: Record<Access, string> = {
  project: 'Members of the project (guest and up).',
  site: 'Anyone who is logged in to kiosc; project members keep their roles.',
  link: 'Project members, and anyone holding one of its secret links, without an account.',
  public: 'Anyone, without an account.',
}

/** What to keep in mind when choosing a level open to visitors without an account, or ''. */
export const ACCESS_WARNING: Record<Access, string> = {
  project: '',
  site: '',
  link: 'Whoever holds a link can use the app and everything it shows, without an account, until the link is revoked or expires. The app does not learn who they are.',
  public:
    'Anyone who finds the address can use the app and everything it shows, without an account, and start it when it is stopped. Choose it only for apps made to be published.',
}

/** Whether the site lets containers and templates choose a level. */
export function allowedBySite(level: Access, site: SiteSettings | null): boolean {
  if (level === 'link') return !!site?.allow_link_access
  if (level === 'public') return !!site?.allow_public_access
  return true
}

/** Why a level is off while the site does not allow it, or ''. */
export function offText(access: Access, effective: Access): string {
  if (access === effective) return ''
  return `The site does not allow ${access} access at the moment: this app behaves as a ${effective} app until a superuser allows it again.`
}

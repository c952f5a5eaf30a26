// Wire types of kiosc's REST API v1 and its live-update websocket: names for the schemas of
// app/api/openapi.json, whose TypeScript form schema.gen.ts is generated (`npm run gen:types`).
import type { components } from './schema.gen'

type Schemas = components['schemas']

// ---- Session and users ----

/** A kiosc user as returned by `/api/v1/me` and the users API. */
export type User = Schemas['User']
/** Where a user account comes from. */
export type UserSource = User['source']
/** Answer of `GET /api/v1/me`, `POST /api/v1/auth/login` and `POST /api/v1/me/password`. */
export type SessionInfo = Schemas['Me']
/** Answer of `POST /api/v1/auth/logout`: where to send the browser for provider logout, if anywhere. */
export type LogoutResult = Schemas['LogoutResult']
/** Public site configuration from `GET /api/v1/config`. */
export type SiteConfig = Schemas['Config']
/** The error envelope every failing API call answers with. */
export type ApiErrorBody = Schemas['Error']
/** Body of `POST /api/v1/users`. Without a password the account signs in by single sign-on only. */
export type UserCreate = Schemas['UserInput']
/** Body of `PATCH /api/v1/users/<username>`; `password` resets it. */
export type UserPatch = Schemas['UserPatch']
/** An API token (never its secret, except in the answer to its creation). */
export type ApiToken = Schemas['Token']
/** Answer of `POST /api/v1/tokens`: the token plus its secret, shown this once. */
export type CreatedToken = Schemas['TokenCreated']

/** A paginated list. */
export interface Page<T> {
  items: T[]
  total: number
}

// ---- Projects and roles ----

/** A project or category with the caller's role and rights in it. */
export type Project = Schemas['Project']
/** Project or category. */
export type ProjectType = Project['type']
/** What the caller may do in a project. */
export type ProjectPermissions = Schemas['ProjectPermissions']
/** Roles a person can hold; `finder` only shows a category on the way to one's projects. */
export type Role = NonNullable<Project['role']>
/** Roles that can be assigned in kiosc. */
export type AssignableRole = Schemas['Role']
/** Body of `POST /api/v1/projects`. */
export type ProjectCreate = Schemas['ProjectInput']
/** Body of `PATCH /api/v1/projects/<uuid>`. */
export type ProjectPatch = Schemas['ProjectPatch']
/** A member of a project, with the role they hold directly or through a category above. */
export type Member = Schemas['Member']
/** A user who could be added to a project, from the member search. */
export type Candidate = Schemas['Candidate']

// ---- Containers ----

/** Observed container states (SPEC 5.2). */
export type ContainerState = Schemas['ContainerState']
/** What users asked a container to be. */
export type DesiredState = Schemas['DesiredState']
/** How kiosc pulls a container's image. */
export type PullPolicy = Schemas['PullPolicy']
/** Outcome of the last check for a newer image under a container's tag. */
export type UpdateStatus = Schemas['UpdateStatus']
/** A container as guests and up see it (SPEC 5.1). Write-only fields never appear here. */
export type Container = Schemas['Container']
/** What viewers see of a container, in lists and on the live channel. */
export type ContainerSummary = Schemas['ContainerSummary']
/** An entry of a container list, or a `container.state` message: as the caller's role in its project shows it. */
export type ContainerItem = Container | ContainerSummary
/** Writable fields of `POST /projects/<uuid>/containers` and `PATCH /containers/<uuid>`; absent ones stay. */
export type ContainerInput = Schemas['ContainerInput']
/** Credentials for a private registry (write-only). */
export type RegistryAuth = NonNullable<ContainerInput['registry_auth']>
/** One stored or streamed log line. */
export type ContainerLogLine = Schemas['LogLine']
/** Answer of `GET /containers/<uuid>/logs`. */
export type ContainerLogLines = Schemas['LogLineList']
/** A kiosc event about a container (what kiosc did, not what the app logged). */
export type ContainerEvent = Schemas['ContainerEvent']
/** Progress of a job step, e.g. bytes of an image pull. */
export type StepProgress = Schemas['Progress']
/** A background operation on a container. */
export type ContainerJob = Schemas['Job']
/** Payload of a `job.progress` live message. */
export type JobProgressUpdate = Schemas['JobProgress']
/** Where the readiness probe of a starting app asks, and what kiosc found out while it does not answer. */
export type ProbeStatus = Schemas['ProbeStatus']
/** What the Docker host knows about an image, from `GET /api/v1/images/inspect`. */
export type ImageFacts = Schemas['ImageFacts']

// ---- Volumes ----

/** container: a container's own volume; project: shared by the project's containers that mount it by name. */
export type VolumeScope = Schemas['VolumeScope']
/** A named volume as a container's (or template's) settings list it. */
export type VolumeMount = Schemas['VolumeMount']
/** A volume of the create and edit bodies; scope and read_only have defaults. */
export type VolumeMountInput = Schemas['VolumeMountInput']
/** A volume as the listings of a container or a project show it. */
export type Volume = Schemas['Volume']
/** A container configured with a volume. */
export type VolumeUser = Schemas['VolumeUser']
/** Answer of an upload into a volume. */
export type VolumeUploadResult = Schemas['VolumeUploadResult']

/** Whether a container entry is the full view (guests and up) rather than a viewer's summary. */
export function isFullContainer(c: ContainerItem): c is Container {
  return 'image' in c
}

// ---- Sharing ----

/** Who may open an app: project members, any logged-in user, also holders of a secret link, or anyone. */
export type Access = Schemas['Access']
/** The site settings every user reads (`GET /api/v1/settings`) and superusers change (`/api/v1/admin/settings`). */
export type SiteSettings = Schemas['SiteSettings']
/** Answer of `PUT /api/v1/admin/settings`: the settings and the apps whose access in effect changed. */
export type SiteSettingsUpdate = Schemas['SiteSettingsUpdate']
/** A secret link of a link app (never its secret). */
export type ShareLink = Schemas['Link']
/** Answer of `POST /api/v1/containers/<uuid>/links`: the link with its URL, shown this once. */
export type CreatedShareLink = Schemas['LinkCreated']

// ---- Templates ----

/** Configuration fields a template carries and a diff may list (SPEC 10); the title is never compared. */
export type TemplateField = Schemas['TemplateField']
/** A site template (`project` null) or project template; never holds secrets or registry credentials. */
export type Template = Schemas['Template']
/** Writable template fields; absent ones stay unchanged on PATCH. Title and image are required on create. */
export type TemplateInput = Schemas['TemplateInput']
/** Answer of the diff endpoints: the upstream template (null when none) and the differing fields. */
export type TemplateDiff = Schemas['TemplateDiff']
/** One field that differs from the upstream template. */
export type TemplateFieldDiff = TemplateDiff['fields'][number]

// ---- Timeline ----

/** One entry of the timeline (SPEC 12). */
export type TimelineEvent = Schemas['TimelineEvent']
/** Status of a timeline event. */
export type TimelineStatus = TimelineEvent['status']
/** Event names and users that occur in a timeline, for its filters. */
export type TimelineFacets = Schemas['TimelineFacets']

// ---- Administration ----

/** A kiosc container that uses a Docker object. */
export type ContainerRef = Schemas['ContainerRef']
/** A container kiosc has a record of, with what Docker says about it. */
export type KnownContainer = Schemas['KnownContainer']
/** A Docker container without a record of this kiosc instance. */
export type DockerContainer = Schemas['DockerContainer']
/** A Docker network with the kiosc containers attached to it. */
export type DockerNetwork = Schemas['DockerNetwork']
/** A Docker volume with the kiosc containers that mount it. */
export type DockerVolume = Schemas['DockerVolume']
/** A local image with the kiosc containers that run it or are configured with it. */
export type DockerImage = Schemas['DockerImage']
/** Answer of `GET /api/v1/admin/docker`. */
export type DockerOverview = Schemas['DockerOverview']
export type SwarmNode = Schemas['SwarmNode']
/** Names of the maintenance tasks (SPEC 13). */
export type MaintenanceTaskName = Schemas['MaintenanceTaskName']
/** One object a maintenance task acted on. */
export type MaintenanceItem = Schemas['MaintenanceItem']
/** What a maintenance task did. */
export type MaintenanceResult = Schemas['MaintenanceResult']
/** A maintenance task with its schedule and last run. */
export type MaintenanceTask = Schemas['MaintenanceTask']

// ---- Usage and capacity ----

/** One moment of an app's resource use, from its live usage stream. */
export type UsageSample = Schemas['UsageSample']
/** A message of the usage stream: the history first, then one sample about every second. */
export type UsageMessage = { type: 'history'; data: UsageSample[] } | { type: 'sample'; data: UsageSample }
/** Answer of `GET /api/v1/admin/capacity`: the Docker host, what active apps reserve and use, the site's cap. */
export type Capacity = Schemas['Capacity']
/** One active app's reservation and use. */
export type AppUsage = Schemas['AppUsage']

/** What one sync run did to one kind of object. */
export type SodarCounts = Schemas['SodarCounts']
/** A note about one payload entry: why it was skipped (`error`) or something unusual about it. */
export type SodarMessage = Schemas['SodarMessage']
/** Kinds of objects a sync mirrors. */
export type SodarKind = Exclude<SodarMessage['kind'], 'payload'>
/** One synchronisation with the SODAR source site. */
export type SodarRun = Schemas['SodarRun']
/** Answer of `GET /api/v1/admin/sodar`. */
export type SodarStatus = Schemas['SodarStatus']

// ---- Live channel ----

/** Payloads of the messages pushed on `/api/v1/ws`, by message type. */
export interface LiveEventMap {
  hello: Schemas['LiveHello']
  'container.state': ContainerItem
  'job.progress': JobProgressUpdate
  'timeline.event': TimelineEvent
}

/** A message type pushed on `/api/v1/ws`. */
export type LiveEventType = keyof LiveEventMap

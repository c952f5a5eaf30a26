// Records as the API returns them, for component and store tests: complete, so that a test names only what it is
// about, and typed, so that a new API field is added here once.
import type { Container, Template } from '@/api/types'

/** The settings a container and a template share, at their defaults (port 8888): fresh objects on every call. */
const settings = () =>
  ({
    command: '',
    environment: {},
    container_port: 8888,
    container_path: '',
    heartbeat_url: '',
    strip_prefix: true,
    startup_timeout: 0,
    max_idle: 0,
    max_lifetime: 0,
    memory_limit: 0,
    cpu_limit: 0,
    pids_limit: 0,
    max_retries: 0,
    pull_policy: 'if-missing',
    volumes: [],
    user: '',
    read_only_rootfs: false,
    access: 'project',
    placement: '',
  }) satisfies Partial<Container & Template>

/** A stopped container `c1` of project `p1`, as its managers see it, with `over` applied. */
export function containerFixture(over: Partial<Container> = {}): Container {
  return {
    uuid: 'c1',
    project: 'p1',
    title: 'Jupyter',
    description: '',
    image: 'jupyter/base-notebook',
    ...settings(),
    secret_environment_keys: [],
    effective_access: 'project',
    template: null,
    state: 'stopped',
    state_reason: '',
    state_message: '',
    desired_state: 'stopped',
    docker_id: null,
    docker_state: null,
    exit_code: null,
    oom_killed: false,
    host_port: null,
    ready_at: null,
    started_at: null,
    stopped_at: null,
    last_access_at: null,
    restart_pending: false,
    image_id: null,
    image_digest: null,
    update_status: 'unchecked',
    update_available: false,
    available_digest: null,
    update_message: '',
    update_checked_at: null,
    image_ports: [],
    proxy_url: '/containers/proxy/c1/',
    has_registry_auth: false,
    retries: 0,
    created_by: 'admin',
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    ...over,
  }
}

/** A site template `t-site`, with `over` applied. */
export function templateFixture(over: Partial<Template> = {}): Template {
  return {
    uuid: 't-site',
    project: null,
    site_template: null,
    title: 'Jupyter',
    description: 'Notebooks',
    image: 'jupyter/base:2',
    ...settings(),
    created_by: 'admin',
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    ...over,
  }
}

// The columns of the Docker page's tables: kiosc's containers, Docker's own containers, networks, volumes and
// images. Cells use the classes DockerTableCard styles (link, sub, muted, mono, tags, tag).
import { NTag, NTooltip, type DataTableColumns } from 'naive-ui'
import { h } from 'vue'
import { RouterLink } from 'vue-router'
import type {
  DockerContainer,
  DockerImage,
  DockerNetwork,
  DockerVolume,
  KnownContainer,
  SwarmNode,
} from '@/api/types'
import ContainerStateTag from '@/components/containers/ContainerStateTag.vue'
import { reasonLabel } from '@/utils/containerState'
import { formatDateTime, shortId } from '@/utils/format'
import { ago } from '@/components/containers/time'
import { formatSize } from '@/utils/units'
import ContainerRefs from './ContainerRefs.vue'
import DockerStateTag from './DockerStateTag.vue'

function containerLink(k: { uuid: string; title: string; project_title: string }) {
  return h('div', [
    h(RouterLink, { to: { name: 'container', params: { uuid: k.uuid } }, class: 'link' }, () => k.title),
    k.project_title ? h('div', { class: 'sub' }, k.project_title) : null,
  ])
}

function mono(text: string, title?: string) {
  return h('code', { class: 'mono', title }, text)
}

export const knownColumns: DataTableColumns<KnownContainer> = [
  { title: 'Container', key: 'title', render: containerLink },
  {
    title: 'kiosc state',
    key: 'state',
    width: 170,
    render: (k) =>
      h('div', [
        h(ContainerStateTag, { state: k.state, reason: k.state_reason }),
        k.state_reason
          ? h('div', { class: 'sub', 'data-testid': 'state-reason' }, reasonLabel(k.state_reason))
          : null,
      ]),
  },
  {
    title: 'Docker',
    key: 'docker_state',
    width: 130,
    render: (k) => h(DockerStateTag, { state: k.docker_state }),
  },
  {
    title: 'Docker container',
    key: 'docker_name',
    render: (k) =>
      k.docker_id
        ? h('div', [
            h('div', k.docker_name || mono(shortId(k.docker_id))),
            h('div', { class: 'sub' }, [
              mono(shortId(k.docker_id), k.docker_id),
              k.docker_status ? ` · ${k.docker_status}` : '',
            ]),
          ])
        : h('span', { class: 'muted' }, k.missing ? 'gone: removed outside kiosc' : '–'),
  },
  { title: 'Image', key: 'image', render: (k) => mono(k.image) },
]

/** The column of the Swarm node that runs each app (KIOSC_RUNTIME=swarm). */
export const nodeColumn: DataTableColumns<KnownContainer>[number] = {
  title: 'Node',
  key: 'node',
  width: 140,
  render: (k) =>
    k.node ? h('span', { 'data-testid': 'container-node' }, k.node) : h('span', { class: 'muted' }, '–'),
}

export const swarmNodeColumns: DataTableColumns<SwarmNode> = [
  {
    title: 'Node',
    key: 'hostname',
    render: (n) =>
      h('div', [
        h('div', [n.hostname, n.self ? h('span', { class: 'muted' }, ' · kiosc') : null]),
        h('div', { class: 'sub' }, [mono(shortId(n.id), n.id), ` · ${n.addr}`]),
      ]),
  },
  { title: 'Role', key: 'role', width: 100 },
  {
    title: 'State',
    key: 'state',
    width: 150,
    render: (n) =>
      h(
        NTag,
        {
          size: 'small',
          bordered: false,
          type: n.state === 'ready' && n.availability === 'active' ? 'success' : 'warning',
        },
        () => (n.availability === 'active' ? n.state : `${n.state}, ${n.availability}`),
      ),
  },
  { title: 'CPUs', key: 'cpus', width: 80 },
  { title: 'Memory', key: 'memory', width: 110, render: (n) => formatSize(n.memory) },
  {
    title: 'Labels',
    key: 'labels',
    render: (n) => {
      const labels = Object.entries(n.labels)
      return labels.length
        ? h(
            'div',
            { class: 'tags' },
            labels.map(([k, v]) => mono(`${k}=${v}`)),
          )
        : h('span', { class: 'muted' }, '–')
    },
  },
  { title: 'Apps', key: 'containers', render: (n) => h(ContainerRefs, { refs: n.containers }) },
]

function instanceTag(d: DockerContainer) {
  if (!d.kiosc_instance) return h('span', { class: 'muted' }, '–')
  return h(
    NTooltip,
    {},
    {
      trigger: () => h(NTag, { size: 'small', type: 'info', bordered: false }, () => 'other kiosc'),
      default: () => `Managed by kiosc instance ${d.kiosc_instance}`,
    },
  )
}

export const dockerColumns: DataTableColumns<DockerContainer> = [
  {
    title: 'Name',
    key: 'name',
    render: (d) => h('div', [h('div', d.name), h('div', { class: 'sub' }, mono(shortId(d.id), d.id))]),
  },
  { title: 'Image', key: 'image', render: (d) => mono(d.image) },
  { title: 'State', key: 'state', width: 120, render: (d) => h(DockerStateTag, { state: d.state }) },
  { title: 'Status', key: 'status', render: (d) => h('span', { class: 'muted' }, d.status) },
  { title: 'Managed by', key: 'kiosc_instance', width: 130, render: instanceTag },
]

export const networkColumns: DataTableColumns<DockerNetwork> = [
  {
    title: 'Network',
    key: 'name',
    render: (n) =>
      h('div', [
        h('span', n.name),
        n.kiosc
          ? h(NTag, { size: 'tiny', type: 'primary', bordered: false, class: 'tag' }, () => 'kiosc')
          : null,
        n.shared
          ? h(NTag, { size: 'tiny', bordered: false, class: 'tag' }, () => 'shared by all apps')
          : null,
        n.internal ? h(NTag, { size: 'tiny', bordered: false, class: 'tag' }, () => 'internal') : null,
        h('div', { class: 'sub' }, mono(shortId(n.id), n.id)),
      ]),
  },
  { title: 'Driver', key: 'driver', width: 100 },
  { title: 'Containers', key: 'docker_containers', width: 110, align: 'right' },
  {
    title: 'Used by',
    key: 'containers',
    render: (n) =>
      h(ContainerRefs, { refs: n.containers, others: n.docker_containers - n.containers.length }),
  },
]

/** What a volume is to kiosc: this instance's (scope, project, container), another instance's, or not kiosc's. */
function volumeOwner(v: DockerVolume) {
  const tags = []
  if (v.kiosc) {
    tags.push(
      h(NTag, { size: 'tiny', type: 'primary', bordered: false, class: 'tag' }, () =>
        v.scope === 'project' ? 'kiosc · project' : 'kiosc · container',
      ),
    )
  } else if (v.kiosc_instance) {
    tags.push(h(NTag, { size: 'tiny', type: 'info', bordered: false, class: 'tag' }, () => 'other kiosc'))
  }
  if (v.unused)
    tags.push(
      h(
        NTag,
        { size: 'tiny', bordered: false, class: 'tag', 'data-testid': 'volume-unused' },
        () => 'unused',
      ),
    )
  let sub: string | null = null
  if (v.kiosc) {
    sub = `${v.kiosc_name} in ${v.project_title || 'a project'}`
    if (v.container_title) sub += ` · of ${v.container_title}${v.container_deleted_at ? ' (deleted)' : ''}`
  }
  return h('div', [
    mono(v.name.length > 40 ? `${v.name.slice(0, 37)}…` : v.name, v.name),
    ...tags,
    sub ? h('div', { class: 'sub' }, sub) : null,
  ])
}

export const volumeColumns: DataTableColumns<DockerVolume> = [
  { title: 'Volume', key: 'name', render: volumeOwner },
  {
    title: 'Size',
    key: 'size',
    width: 100,
    align: 'right',
    render: (v) => (v.size === null ? h('span', { class: 'muted' }, '–') : formatSize(v.size)),
  },
  {
    title: 'Age',
    key: 'created',
    width: 130,
    render: (v) =>
      h('span', { class: 'muted', title: formatDateTime(v.created) ?? '' }, ago(v.created) || '–'),
  },
  { title: 'Containers', key: 'docker_containers', width: 110, align: 'right' },
  {
    title: 'Used by',
    key: 'containers',
    render: (v) =>
      h('div', [
        h(ContainerRefs, {
          refs: v.containers,
          others: Math.max(0, v.docker_containers - v.containers.length),
        }),
        v.remove_after
          ? h('div', { class: 'sub' }, `removed by remove-volumes after ${formatDateTime(v.remove_after)}`)
          : null,
      ]),
  },
]

export const imageColumns: DataTableColumns<DockerImage> = [
  {
    title: 'Image',
    key: 'tags',
    render: (im) =>
      h('div', [
        im.dangling
          ? h(NTag, { size: 'small', type: 'warning', bordered: false }, () => 'dangling')
          : h(
              'div',
              { class: 'tags' },
              im.tags.map((t) => mono(t)),
            ),
        h('div', { class: 'sub' }, mono(shortId(im.id), im.id)),
      ]),
  },
  { title: 'Size', key: 'size', width: 110, align: 'right', render: (im) => formatSize(im.size) },
  { title: 'Containers', key: 'docker_containers', width: 110, align: 'right' },
  {
    title: 'Used by',
    key: 'containers',
    render: (im) =>
      h(ContainerRefs, {
        refs: im.containers,
        others: Math.max(0, im.docker_containers - im.containers.length),
      }),
  },
]

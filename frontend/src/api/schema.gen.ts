// Generated from app/api/openapi.json by `npm run gen:types` (scripts/gen-types.mjs); do not edit.
// frontend/src/api/types.ts names the schemas the app uses.

export interface paths {
  '/openapi.json': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** This OpenAPI document */
    get: operations['getOpenAPI']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/config': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** Public client configuration */
    get: operations['getConfig']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/auth/login': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    get?: never
    put?: never
    /** Log in with username and password; sets the kiosc_session cookie */
    post: operations['login']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/auth/logout': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    get?: never
    put?: never
    /** End the session and clear the cookie */
    post: operations['logout']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/me': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** The caller and, for cookie sessions, the CSRF token */
    get: operations['getMe']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/me/password': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    get?: never
    put?: never
    /** Change the caller's password; ends every session of the user and issues a fresh one to a cookie caller */
    post: operations['changePassword']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/tokens': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** The caller's API tokens */
    get: operations['listTokens']
    put?: never
    /** Create an API token; the secret is shown only in this answer */
    post: operations['createToken']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/tokens/{id}': {
    parameters: {
      query?: never
      header?: never
      path: {
        id: components['parameters']['TokenID']
      }
      cookie?: never
    }
    get?: never
    put?: never
    post?: never
    /** Revoke one of the caller's tokens */
    delete: operations['revokeToken']
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/users': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** Users (superuser) */
    get: operations['listUsers']
    put?: never
    /** Create a local account (superuser); without a password the account logs in by single sign-on only */
    post: operations['createUser']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/users/{username}': {
    parameters: {
      query?: never
      header?: never
      path: {
        username: components['parameters']['Username']
      }
      cookie?: never
    }
    /** One user (superuser) */
    get: operations['getUser']
    put?: never
    post?: never
    /** Delete a user (superuser) */
    delete: operations['deleteUser']
    options?: never
    head?: never
    /** Change a user (superuser); absent fields stay as they are */
    patch: operations['updateUser']
    trace?: never
  }
  '/projects': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** Projects and categories the caller may see (not paginated) */
    get: operations['listProjects']
    put?: never
    /** Create a project or category (superuser) */
    post: operations['createProject']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/projects/{uuid}': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /** One project or category */
    get: operations['getProject']
    put?: never
    post?: never
    /** Delete a project or category */
    delete: operations['deleteProject']
    options?: never
    head?: never
    /** Change a project; absent fields stay as they are */
    patch: operations['updateProject']
    trace?: never
  }
  '/projects/{uuid}/roles': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /** Members of a project with their effective roles (not paginated) */
    get: operations['listRoles']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/projects/{uuid}/roles/{username}': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
        username: components['parameters']['Username']
      }
      cookie?: never
    }
    get?: never
    /** Give a user a role in the project (or change it) */
    put: operations['putRole']
    post?: never
    /** Remove a user's role in the project */
    delete: operations['deleteRole']
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/projects/{uuid}/candidates': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /**
     * Users who could be added as members, by a part of their username or name
     * @description For owners and delegates of the project and superusers. At least 2 characters; at most 10 users, each with username, name and the role held in this project itself (superusers' searches also match e-mail addresses).
     */
    get: operations['searchCandidates']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/projects/{uuid}/containers': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /** Containers of a project */
    get: operations['listProjectContainers']
    put?: never
    /** Create a container in a project */
    post: operations['createContainer']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** All containers the caller may see */
    get: operations['listContainers']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /** One container */
    get: operations['getContainer']
    put?: never
    post?: never
    /**
     * Delete a container (in the background)
     * @description The container's own volumes (scope container) are kept for KIOSC_REMOVE_VOLUMES_AFTER unless volumes=delete; each is a timeline event (volume_keep or volume_delete). Project volumes stay.
     */
    delete: operations['deleteContainer']
    options?: never
    head?: never
    /** Change a container's writable fields; absent fields stay as they are */
    patch: operations['updateContainer']
    trace?: never
  }
  '/containers/{uuid}/start': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    get?: never
    put?: never
    /** Start the container (in the background) */
    post: operations['startContainer']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/stop': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    get?: never
    put?: never
    /** Stop the container (in the background) */
    post: operations['stopContainer']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/restart': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    get?: never
    put?: never
    /** Restart the container (in the background) */
    post: operations['restartContainer']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/pause': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    get?: never
    put?: never
    /** Pause the container (in the background) */
    post: operations['pauseContainer']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/unpause': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    get?: never
    put?: never
    /** Unpause the container (in the background) */
    post: operations['unpauseContainer']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/check-update': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    get?: never
    put?: never
    /**
     * Check the registry for a newer image under the container's tag (contributor and up)
     * @description Asks the registry, through the Docker engine and with the container's registry credentials, which image the tag points at now, without pulling it, and compares it with the image the container runs (or, when it does not run, the image its next start would run). The outcome is recorded on the container (update_status, update_available, available_digest, update_message, update_checked_at) and sent on the live channel; a registry that refuses or does not answer is an outcome too (update_status failed, the cause in words). An image referenced by digest never has an update (pinned); an image built or loaded on the Docker host cannot be checked (local); an image of a registry KIOSC_ALLOWED_REGISTRIES does not allow is not looked up. Nothing that runs changes.
     */
    post: operations['checkContainerUpdate']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/update': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    get?: never
    put?: never
    /**
     * Update the container to the newest image of its tag (in the background; contributor and up)
     * @description One job (action update) pulls the tag with layer progress while the container stays as it is and, when the container is meant to run and the image changed, re-creates it on the new image like a restart (create, start, probe), keeping its settings and volumes. A container that is not meant to run gets the image for its next start and is not started. A failed pull changes nothing; the job, the container's events and the timeline say why in words. The timeline event container_image_update carries old_digest and new_digest (a configuration change records container_update). Requests while an update is queued or running share its job. 409 for a paused container or an image pinned by digest.
     */
    post: operations['updateContainerImage']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/open': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    get?: never
    put?: never
    /** Make the app reachable (starts it when needed, counts as access) */
    post: operations['openContainer']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/events': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /** kiosc events about the container, newest first */
    get: operations['listContainerEvents']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/jobs': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /** Background jobs of the container, newest first */
    get: operations['listContainerJobs']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/logs': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /** Stored Docker log lines of the container, oldest first */
    get: operations['getContainerLogs']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/logs/stream': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /**
     * Live Docker log lines (websocket)
     * @description Upgrades to a websocket (a plain request answers 426 upgrade_required; a cross-origin handshake answers 403). The server sends the last `tail` stored lines, then every new line as Docker writes it, each as a text message holding a LogLine object {"time", "stream", "line"}. The stream survives restarts and recreations of the Docker container and closes normally with reason "deleted" when the container is deleted; a client that falls too far behind is closed with reason "too slow"; a caller who loses the right to read the logs (demoted, removed from the project, disabled) receives no further line and is closed with code 1008 and reason "access revoked" within seconds. Messages sent by the client are ignored.
     */
    get: operations['streamContainerLogs']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/usage/stream': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /**
     * Live resource use of an app (websocket, guest and up)
     * @description Upgrades to a websocket (a plain request answers 426 upgrade_required; a cross-origin handshake answers 403). The server first sends {"type": "history", "data": [UsageSample, ...]} (the samples of the last minutes, when someone else was already watching), then {"type": "sample", "data": UsageSample} about once a second while the app runs. kiosc opens one Docker stats stream per app that someone watches and closes it when the last watcher leaves; nothing is stored. A caller who loses the right to see the app is closed with code 1008 and reason "access revoked" within seconds. Messages sent by the client are ignored.
     */
    get: operations['streamContainerUsage']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/volumes': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /**
     * Volumes the container mounts, then its own volumes it no longer mounts (guest and up)
     * @description Sizes are the last measured; a measurement older than five minutes starts a new one in the background.
     */
    get: operations['listContainerVolumes']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/volumes/{name}/archive': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
        /** @description kiosc's name of the volume */
        name: components['parameters']['VolumeName']
      }
      cookie?: never
    }
    /**
     * Download a file or folder of a volume of the container (contributor and up)
     * @description Streams a tar archive (or a zip, converted on the fly) of the file or folder at path; the whole volume's archive has one folder named after the volume. Paths with '..' answer 400 invalid_path; a volume not created yet 409 volume_not_created.
     */
    get: operations['downloadContainerVolume']
    /**
     * Upload into a volume of the container (contributor and up)
     * @description Writes into the folder at path (created with the folders above it when missing) a tar archive (Content-Type application/x-tar) or, with any other type, one file named by the name parameter, its Content-Length required. Streamed: nothing is held in memory. Everything written is owned by the owner of the folder it goes into. Entries of an archive must stay in the folder (no '..', no absolute or outside-pointing links) and be files, folders or symbolic links; the first that is not ends the upload with 400 invalid_path, and what came before stays written. A path through a symbolic link or a file is 400 invalid_path; replacing a folder with a file or the other way 409. Each upload is a timeline event volume_upload.
     */
    put: operations['uploadContainerVolume']
    /**
     * Upload into a volume of the container (the same as PUT)
     * @description Writes into the folder at path (created with the folders above it when missing) a tar archive (Content-Type application/x-tar) or, with any other type, one file named by the name parameter, its Content-Length required. Streamed: nothing is held in memory. Everything written is owned by the owner of the folder it goes into. Entries of an archive must stay in the folder (no '..', no absolute or outside-pointing links) and be files, folders or symbolic links; the first that is not ends the upload with 400 invalid_path, and what came before stays written. A path through a symbolic link or a file is 400 invalid_path; replacing a folder with a file or the other way 409. Each upload is a timeline event volume_upload.
     */
    post: operations['postContainerVolume']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/projects/{uuid}/volumes': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /** The project's shared volumes with the containers configured with each, then the volumes kept after their container was deleted (guest and up) */
    get: operations['listProjectVolumes']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/projects/{uuid}/volumes/{name}': {
    parameters: {
      query?: {
        /** @description The deleted container whose kept (container-scope) volume is meant */
        container?: components['parameters']['VolumeContainer']
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
        /** @description kiosc's name of the volume */
        name: components['parameters']['VolumeName']
      }
      cookie?: never
    }
    get?: never
    put?: never
    post?: never
    /**
     * Remove a project volume, or with container a volume kept after that container was deleted (contributor and up)
     * @description Refused with 409 volume_in_use naming the containers configured with it. The removal is a timeline event volume_delete.
     */
    delete: operations['removeProjectVolume']
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/projects/{uuid}/volumes/{name}/archive': {
    parameters: {
      query?: {
        /** @description The deleted container whose kept (container-scope) volume is meant */
        container?: components['parameters']['VolumeContainer']
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
        /** @description kiosc's name of the volume */
        name: components['parameters']['VolumeName']
      }
      cookie?: never
    }
    /**
     * Download a file or folder of a project volume, or with container of a kept volume (contributor and up)
     * @description As for a container's volume: a tar archive (or zip) streamed as it is read.
     */
    get: operations['downloadProjectVolume']
    /**
     * Upload into a project volume (contributor and up)
     * @description Writes into the folder at path (created with the folders above it when missing) a tar archive (Content-Type application/x-tar) or, with any other type, one file named by the name parameter, its Content-Length required. Streamed: nothing is held in memory. Everything written is owned by the owner of the folder it goes into. Entries of an archive must stay in the folder (no '..', no absolute or outside-pointing links) and be files, folders or symbolic links; the first that is not ends the upload with 400 invalid_path, and what came before stays written. A path through a symbolic link or a file is 400 invalid_path; replacing a folder with a file or the other way 409. Each upload is a timeline event volume_upload.
     */
    put: operations['uploadProjectVolume']
    /**
     * Upload into a project volume (the same as PUT)
     * @description Writes into the folder at path (created with the folders above it when missing) a tar archive (Content-Type application/x-tar) or, with any other type, one file named by the name parameter, its Content-Length required. Streamed: nothing is held in memory. Everything written is owned by the owner of the folder it goes into. Entries of an archive must stay in the folder (no '..', no absolute or outside-pointing links) and be files, folders or symbolic links; the first that is not ends the upload with 400 invalid_path, and what came before stays written. A path through a symbolic link or a file is 400 invalid_path; replacing a folder with a file or the other way 409. Each upload is a timeline event volume_upload.
     */
    post: operations['postProjectVolume']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/templates': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** Site templates (any signed-in user) */
    get: operations['listSiteTemplates']
    put?: never
    /** Create a site template (superuser) */
    post: operations['createSiteTemplate']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/projects/{uuid}/templates': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /** Templates of a project (guest and up) */
    get: operations['listProjectTemplates']
    put?: never
    /** Create a project template (contributor and up) */
    post: operations['createProjectTemplate']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/templates/{uuid}': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /** One template */
    get: operations['getTemplate']
    put?: never
    post?: never
    /** Delete a template; its copies and containers stay, unlinked */
    delete: operations['deleteTemplate']
    options?: never
    head?: never
    /** Change a template's fields (site: superuser; project: contributor and up) */
    patch: operations['updateTemplate']
    trace?: never
  }
  '/templates/{uuid}/copy': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    get?: never
    put?: never
    /**
     * Copy a template into a project or the site templates
     * @description Site to project links the copy to the site template; project to project keeps the source's link to the same site template; site to site (superuser) and project to site (superuser) copy without a link. A copy into the source's own scope without a title gets " (copy)" appended.
     */
    post: operations['copyTemplate']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/templates/{uuid}/diff': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /** Fields in which a template differs from its site template */
    get: operations['diffTemplate']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/templates/{uuid}/apply': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    get?: never
    put?: never
    /** Copy the chosen fields of the site template into this template */
    post: operations['applyToTemplate']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/diff': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /** Fields in which a container differs from the template it came from */
    get: operations['diffContainer']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/apply': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    get?: never
    put?: never
    /**
     * Copy the chosen fields of the container's template into it
     * @description Secrets are never copied. A running container that changes is marked restart_pending, or restarted (202) when the body says {"restart": true}.
     */
    post: operations['applyToContainer']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/timeline': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** Timeline events the caller may see, newest first */
    get: operations['listTimeline']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/timeline/facets': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** Event names and users that occur in the timeline the caller sees, for filters */
    get: operations['timelineFacets']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/images/inspect': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * What the Docker host knows about an image, without pulling it
     * @description For superusers and for contributors (and up) of any project. Answers the TCP ports the image exposes and its working directory when the Docker host has the image (present true); an image it does not have answers present false. After the first pull of a remote image, the container's image_ports holds its exposed ports.
     */
    get: operations['inspectImage']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/ws': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * Live updates (websocket)
     * @description Upgrades to a websocket (a plain request answers 426 upgrade_required; a cross-origin handshake answers 403). The server sends text messages {"type": "...", "data": {...}}: first `hello` (data: a LiveHello), then `container.state` (data: the container on every change, as the caller's role shows it: a Container for guests and up, a ContainerSummary for viewers), `job.progress` (data: a JobProgress, the job with its step and pull progress) and `timeline.event` (data: a TimelineEvent), each only as far as the caller's roles allow, judged with the caller's current rights for every message (a user demoted or removed from a project while connected receives nothing more of it). Per-client queues are bounded; a client that falls behind is disconnected. Messages sent by the client are ignored.
     */
    get: operations['live']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/admin/sodar': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** SODAR sync status (superuser) */
    get: operations['getSodarStatus']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/admin/sodar/runs': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** SODAR sync runs, newest first (superuser) */
    get: operations['listSodarRuns']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/admin/sodar/sync': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    get?: never
    put?: never
    /**
     * Run a SODAR sync now (superuser)
     * @description Answers 200 with the run also when it failed (its status says so); 409 sync_running while another sync runs (see Retry-After), 409 sodar_disabled when SODAR sync is not configured.
     */
    post: operations['syncSodar']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/admin/docker': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * The Docker host as kiosc sees it (superuser)
     * @description Every container kiosc has a record of with its Docker state (docker_state missing when its Docker container is gone, none when it has none), Docker containers labelled for this instance without a record (orphaned; the next resync removes them), Docker containers kiosc does not manage (kiosc_instance set for those of other kiosc instances), and every network, volume and image with the kiosc containers that use them. One list call per kind of Docker object. 503 docker_unavailable when the engine does not answer.
     */
    get: operations['getDockerOverview']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/links': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    /** The secret links of a link app, never their secrets (contributor and up) */
    get: operations['listContainerLinks']
    put?: never
    /**
     * Create a secret link that opens the app without an account (contributor and up)
     * @description Only while the container's effective access level is link (409 link_access_off otherwise). The answer carries the link's URL on the app's origin, the only time its secret is shown; kiosc keeps only its hash. Opening the URL gives the browser a link cookie for this app; revoking the link or its expiry ends access within seconds, open websockets included. Timeline event link_create.
     */
    post: operations['createContainerLink']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/containers/{uuid}/links/{id}': {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
        id: number
      }
      cookie?: never
    }
    get?: never
    put?: never
    post?: never
    /** Revoke a link (contributor and up); timeline event link_revoke */
    delete: operations['revokeContainerLink']
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/settings': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** The site settings every user may read: whether link and public access may be chosen */
    get: operations['getSiteSettings']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/admin/settings': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** The site settings (superuser) */
    get: operations['getAdminSettings']
    /**
     * Change the site settings (superuser); absent fields stay
     * @description Turning link or public access off makes the containers with that level behave as project apps (their configured level is kept and counts again once it is allowed); the answer lists the containers whose effective level changed. Timeline event site_settings_update.
     */
    put: operations['updateAdminSettings']
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/admin/capacity': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * How full the Docker host is (superuser)
     * @description The host's CPUs and memory (from Docker), what active apps reserve by their limits (site defaults applied, site maxima capped; apps without a limit reserve nothing of it and are counted as unlimited), the cap of KIOSC_MAX_RESERVED on this host (0: none), and what each active app uses now (one Docker stats sample per app, read in parallel, about a second). 503 docker_unavailable when the engine does not answer.
     */
    get: operations['getCapacity']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/admin/maintenance': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** Maintenance tasks with their schedule and last run (superuser) */
    get: operations['listMaintenanceTasks']
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/admin/maintenance/{task}': {
    parameters: {
      query?: never
      header?: never
      path: {
        task: components['schemas']['MaintenanceTaskName']
      }
      cookie?: never
    }
    get?: never
    put?: never
    /**
     * Run a maintenance task now (superuser)
     * @description cleanup-unused removes the networks this instance created that no container uses and dangling images no container uses (also runs daily); remove-stopped removes Docker containers stopped longer than KIOSC_REMOVE_STOPPED_AFTER, keeping their records in state deleted (also runs at every sweep); remove-volumes removes the volumes of deleted containers kept longer than KIOSC_REMOVE_VOLUMES_AFTER and retries removals Docker refused, each removal a timeline event volume_expire or volume_delete (also runs at every sweep when one is due); stop-all stops every kiosc container with state_reason maintenance; stop-idle stops apps past their maximum idle time or lifetime (also runs at every sweep); check-updates checks every container for a newer image under its tag, like POST /containers/{uuid}/check-update, and lists each with the outcome (also runs daily). The work goes through each container's worker; the answer comes when the containers have settled (bounded by the stop timeout) and lists what was done. Every run is a site-wide timeline event maintenance_<task>. No body is needed; a body must be an empty JSON object. 404 names an unknown task.
     */
    post: operations['runMaintenanceTask']
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
}
export type webhooks = Record<string, never>
export interface components {
  schemas: {
    Error: {
      error: {
        /** @example validation_failed */
        code: string
        message: string
        /** @description Per-field messages of a validation error */
        fields?: {
          [key: string]: string
        }
      }
    }
    Config: {
      version: string
      local_login: boolean
      oidc: {
        enabled: boolean
        login_url: string
        name: string
      }
      proxy_domain: string
      /**
       * @description Where apps are served
       * @enum {string}
       */
      proxy_mode: 'app-origin' | 'subdomain' | 'path'
      /** @description Origin of the app listener in app-origin mode; empty otherwise */
      app_origin: string
      /**
       * @description Where apps run (KIOSC_RUNTIME)
       * @enum {string}
       */
      runtime: 'docker' | 'swarm'
    }
    LogoutResult: {
      /** @description Single sign-on provider's end-session URL, when there is one */
      logout_url: string | null
    }
    LoginInput: {
      username: string
      /** Format: password */
      password: string
    }
    PasswordInput: {
      /** Format: password */
      current_password: string
      /** Format: password */
      new_password: string
    }
    Me: {
      user: components['schemas']['User']
      /** @description Send as X-CSRF-Token with state-changing cookie requests; null for token callers */
      csrf_token: string | null
    }
    User: {
      username: string
      name: string
      email: string
      is_superuser: boolean
      is_active: boolean
      /**
       * @description Where the account comes from
       * @enum {string}
       */
      source: 'local' | 'oidc' | 'sodar'
      has_password: boolean
      oidc_bound: boolean
      /** Format: date-time */
      created_at: string
      /** Format: date-time */
      last_login_at: string | null
    }
    UserList: {
      items: components['schemas']['User'][]
      total: number
    }
    UserInput: {
      username: string
      /**
       * Format: password
       * @description Empty: the account logs in by single sign-on only
       */
      password?: string
      name?: string
      /** Format: email */
      email?: string
      is_superuser?: boolean
    }
    UserPatch: {
      name?: string
      /** Format: email */
      email?: string
      is_superuser?: boolean
      is_active?: boolean
      /** Format: password */
      password?: string
    }
    Token: {
      /** Format: int64 */
      id: number
      name: string
      /** @description First characters of the secret, to recognise it */
      prefix: string
      /** Format: date-time */
      created_at: string
      /** Format: date-time */
      expires_at: string | null
      /** Format: date-time */
      last_used_at: string | null
    }
    /**
     * @description Who may open the app: project (members, guest and up; the default), site (any logged-in user), link (also holders of a secret link) or public (anyone, without an account). link and public are refused (field error on access) while the site setting does not allow them
     * @enum {string}
     */
    Access: 'project' | 'site' | 'link' | 'public'
    SiteSettings: {
      /** @description Containers and templates may choose access link (off by default) */
      allow_link_access: boolean
      /** @description Containers and templates may choose access public (off by default) */
      allow_public_access: boolean
    }
    SiteSettingsInput: {
      allow_link_access?: boolean
      allow_public_access?: boolean
    }
    AffectedContainer: {
      /** Format: uuid */
      uuid: string
      /** Format: uuid */
      project: string
      title: string
      access: components['schemas']['Access']
      effective_access: components['schemas']['Access']
    }
    SiteSettingsUpdate: components['schemas']['SiteSettings'] & {
      /** @description Containers whose effective access level the change changed */
      affected: components['schemas']['AffectedContainer'][]
    }
    Link: {
      /** Format: int64 */
      id: number
      /** Format: uuid */
      container: string
      /** @description Sent to the app as X-Kiosc-Link (#<id> when empty) */
      name: string
      /** @description First characters of the secret, to recognise the link */
      prefix: string
      created_by: string
      /** Format: date-time */
      created_at: string
      /**
       * Format: date-time
       * @description null: until revoked
       */
      expires_at: string | null
      /**
       * Format: date-time
       * @description When the link was last opened
       */
      used_at: string | null
      expired: boolean
    }
    LinkCreated: components['schemas']['Link'] & {
      /** @description The link's URL with its secret; shown only in this answer */
      url: string
    }
    LinkList: {
      items: components['schemas']['Link'][]
      total: number
    }
    LinkInput: {
      /** @description Who the link is for (optional); the app receives it as X-Kiosc-Link */
      name?: string
      /** @description Seconds as a number, or a duration string such as "7d" or "12h"; null or 0: until revoked (at most 366 days) */
      expires_in?: (number | string) | null
    }
    TokenCreated: components['schemas']['Token'] & {
      /** @description The secret; shown only in this answer */
      token: string
    }
    TokenList: {
      items: components['schemas']['Token'][]
      total: number
    }
    TokenInput: {
      name: string
      /** @description Seconds as a number, or a duration string such as "30d" or "12h"; null or 0 mean no expiry */
      expires_in?: (number | string) | null
    }
    Project: {
      /** Format: uuid */
      uuid: string
      title: string
      description: string
      /** @enum {string} */
      type: 'PROJECT' | 'CATEGORY'
      /** Format: uuid */
      parent: string | null
      source: components['schemas']['ProjectSource']
      sodar_level: string
      /**
       * @description The caller's effective role; finder only shows a category on the way to one's projects
       * @enum {string|null}
       */
      role: 'owner' | 'delegate' | 'contributor' | 'guest' | 'viewer' | 'finder' | null
      permissions: components['schemas']['ProjectPermissions']
      /** Format: date-time */
      created_at: string
      /** Format: date-time */
      updated_at: string
    }
    /**
     * @description Where a project or role comes from
     * @enum {string}
     */
    ProjectSource: 'local' | 'sodar'
    /** @description What the caller may do in the project, by action */
    ProjectPermissions: {
      view_project: boolean
      open_app: boolean
      view_container: boolean
      view_logs: boolean
      manage_containers: boolean
      manage_templates: boolean
      manage_roles: boolean
      manage_project: boolean
    }
    ProjectList: {
      items: components['schemas']['Project'][]
      total: number
    }
    ProjectInput: {
      title: string
      /** @enum {string} */
      type: 'PROJECT' | 'CATEGORY'
      /**
       * Format: uuid
       * @description UUID of the parent category
       */
      parent?: string | null
      description?: string
    }
    ProjectPatch: {
      title?: string
      description?: string
      /** Format: uuid */
      parent?: string | null
    }
    /**
     * @description A project role that can be assigned, strongest first
     * @example guest
     * @enum {string}
     */
    Role: 'owner' | 'delegate' | 'contributor' | 'guest' | 'viewer'
    RoleInput: {
      role: components['schemas']['Role']
    }
    Member: {
      username: string
      name: string
      role: components['schemas']['Role']
      /**
       * Format: uuid
       * @description Category the role is inherited from
       */
      inherited_from: string | null
      source: components['schemas']['ProjectSource']
    }
    MemberList: {
      items: components['schemas']['Member'][]
      total: number
    }
    /**
     * @description What users asked a container to be
     * @enum {string}
     */
    DesiredState: 'running' | 'stopped' | 'paused'
    /** @enum {string} */
    ContainerState:
      | 'initial'
      | 'pulling'
      | 'creating'
      | 'starting'
      | 'running'
      | 'stopping'
      | 'stopped'
      | 'exited'
      | 'failed'
      | 'paused'
      | 'deleting'
      | 'deleted'
      | 'not_found'
      | 'unknown'
    /** @description A container as guests and up see it (viewers see a ContainerSummary) */
    Container: {
      /** Format: uuid */
      readonly uuid: string
      /** Format: uuid */
      readonly project: string
      title: string
      description: string
      /** @description Docker reference, tag or digest */
      image: string
      /** @description Exec words, shell-quoted; or a script beginning #! */
      command: string
      environment: {
        [key: string]: string
      }
      readonly secret_environment_keys: string[]
      container_port: number
      container_path: string
      heartbeat_url: string
      strip_prefix: boolean
      /**
       * Format: int64
       * @description Seconds; 0 = site default
       */
      startup_timeout: number
      /**
       * Format: int64
       * @description Seconds; 0 = site default
       */
      max_idle: number
      /**
       * Format: int64
       * @description Seconds; 0 = site default
       */
      max_lifetime: number
      /**
       * Format: int64
       * @description Bytes
       */
      memory_limit: number
      /** @description CPUs */
      cpu_limit: number
      /** Format: int64 */
      pids_limit: number
      max_retries: number
      pull_policy: components['schemas']['PullPolicy']
      /** @description Named volumes mounted into the container */
      volumes: components['schemas']['VolumeMount'][]
      /** @description User the container runs as: uid[:gid] or a name the image knows; empty: the site default (KIOSC_DEFAULT_USER), else the image's user */
      user: string
      /** @description The image's file system is read-only; /tmp is a writable tmpfs */
      read_only_rootfs: boolean
      access: components['schemas']['Access']
      /** @description The access level in effect: access, or project while the site does not allow link or public access */
      readonly effective_access: components['schemas']['Access']
      /** @description Docker Swarm placement constraints, comma separated (e.g. node.labels.gpu==true), besides the site's; used with KIOSC_RUNTIME=swarm only */
      placement: string
      /** Format: uuid */
      template: string | null
      state: components['schemas']['ContainerState']
      readonly state_reason: string
      /** @description The state's cause in words, e.g. why a pull failed and what to do */
      readonly state_message: string
      /** @description Docker's own message of a failed pull, create or start; omitted when there is none */
      readonly state_detail?: string
      desired_state: components['schemas']['DesiredState']
      readonly docker_id: string | null
      readonly docker_state: string | null
      readonly exit_code: number | null
      readonly oom_killed: boolean
      readonly host_port: number | null
      /** Format: date-time */
      readonly ready_at: string | null
      /** Format: date-time */
      readonly started_at: string | null
      /** Format: date-time */
      readonly stopped_at: string | null
      /** Format: date-time */
      readonly last_access_at: string | null
      readonly restart_pending: boolean
      /** @description ID of the image the Docker container was created from (sha256:...), written at each create; null before the first */
      readonly image_id: string | null
      /** @description Repository digest of that image as the engine lists it (repo@sha256:...), or its ID for an image built or loaded on the Docker host */
      readonly image_digest: string | null
      update_status: components['schemas']['UpdateStatus']
      /** @description The registry has another image under the tag than the one the container runs (or its next start would run); a failed check keeps the last known answer */
      readonly update_available: boolean
      /** @description The registry's digest of the tag (repo@sha256:...) at the last check that reached it */
      readonly available_digest: string | null
      /** @description The last check's outcome in words, e.g. why it failed */
      readonly update_message: string
      /** Format: date-time */
      readonly update_checked_at: string | null
      /** @description TCP ports the image of its last Docker container exposes (EXPOSE), written at each create, so known after the first pull of a remote image */
      readonly image_ports: number[]
      readonly proxy_url: string
      readonly has_registry_auth: boolean
      readonly retries: number
      readonly created_by: string
      /** Format: date-time */
      readonly created_at: string
      /** Format: date-time */
      readonly updated_at: string
    }
    /**
     * @description Outcome of the last check for a newer image: never checked (or the image changed since), up to date, update available, pinned by digest (never updates), built or loaded on the Docker host (cannot be checked), or the check failed (update_message says why)
     * @enum {string}
     */
    UpdateStatus: 'unchecked' | 'up_to_date' | 'available' | 'pinned' | 'local' | 'failed'
    /** @description What viewers see of a container, in lists and on the live channel: no configuration, Docker details or messages */
    ContainerSummary: {
      /** Format: uuid */
      readonly uuid: string
      /** Format: uuid */
      readonly project: string
      readonly title: string
      readonly description: string
      state: components['schemas']['ContainerState']
      readonly state_reason: string
      desired_state: components['schemas']['DesiredState']
      /** Format: date-time */
      readonly ready_at: string | null
      /** Format: date-time */
      readonly started_at: string | null
      /** Format: date-time */
      readonly stopped_at: string | null
      readonly proxy_url: string
      access: components['schemas']['Access']
      effective_access: components['schemas']['Access']
      /** Format: date-time */
      readonly created_at: string
      /** Format: date-time */
      readonly updated_at: string
    }
    ContainerList: {
      /** @description Containers of projects where the caller is a viewer are ContainerSummary entries; all others are Container */
      items: (components['schemas']['Container'] | components['schemas']['ContainerSummary'])[]
      total: number
    }
    /** @description Writable container fields; image is required on create. secret_environment and registry_auth are write-only. */
    ContainerInput: {
      title?: string
      description?: string
      image?: string
      command?: string
      environment?: {
        [key: string]: string
      }
      /** @description Replaces the given secret keys; null removes a key */
      secret_environment?: {
        [key: string]: string | null
      }
      /** @default 80 */
      container_port?: number
      container_path?: string
      heartbeat_url?: string
      /** @default true */
      strip_prefix?: boolean
      /** Format: int64 */
      startup_timeout?: number
      /** Format: int64 */
      max_idle?: number
      /** Format: int64 */
      max_lifetime?: number
      /** Format: int64 */
      memory_limit?: number
      cpu_limit?: number
      /** Format: int64 */
      pids_limit?: number
      /** @default 0 */
      max_retries?: number
      /** @default if-missing */
      pull_policy?: components['schemas']['PullPolicy']
      /** @description Replaces the list as a whole; errors name the entry, e.g. volumes[1].mount_path */
      volumes?: components['schemas']['VolumeMountInput'][]
      /** @description uid[:gid] or a name the image knows; empty: the site default, else the image's user */
      user?: string
      /** @default false */
      read_only_rootfs?: boolean
      /** @default project */
      access?: components['schemas']['Access']
      /**
       * @description Docker Swarm placement constraints, comma separated, e.g. node.labels.gpu==true (KIOSC_RUNTIME=swarm only)
       * @default
       */
      placement?: string
      /** @description Credentials for a private registry; null removes stored ones */
      registry_auth?: {
        username: string
        /** Format: password */
        password: string
      } | null
      /** Format: uuid */
      template?: string | null
    }
    /**
     * @description When kiosc pulls the image
     * @enum {string}
     */
    PullPolicy: 'if-missing' | 'always'
    /**
     * @description container: the container's own volume; project: shared by the project's containers that mount it by name
     * @enum {string}
     */
    VolumeScope: 'container' | 'project'
    VolumeMount: {
      name: string
      /** @description Absolute, clean path; not / nor a system directory (/bin, /boot, /dev, /etc, /kiosc, /lib*, /proc, /sbin, /sys, /usr) */
      mount_path: string
      scope: components['schemas']['VolumeScope']
      read_only: boolean
    }
    VolumeMountInput: {
      name: string
      mount_path: string
      /** @default container */
      scope?: components['schemas']['VolumeScope']
      /** @default false */
      read_only?: boolean
    }
    VolumeUser: {
      /** Format: uuid */
      uuid: string
      title: string
      mount_path: string
      read_only: boolean
      state: components['schemas']['ContainerState']
    }
    /** @description A volume of a container (what it mounts, then its own volumes it no longer mounts) or of a project (its shared volumes, then volumes kept after their container was deleted) */
    Volume: {
      name: string
      scope: components['schemas']['VolumeScope']
      docker_name: string
      /** @description false: configured, created at the next start of a container */
      exists: boolean
      /** @description Where the container mounts it (container listings); null: no longer mounted */
      mount_path: string | null
      read_only: boolean
      /** @description uid:gid kiosc gave the volume's root; empty: the owner Docker gave it */
      owner: string
      /** Format: date-time */
      created_at: string | null
      created_by: string
      /**
       * Format: date-time
       * @description Last start of a container that mounts it
       */
      last_used_at: string | null
      /**
       * Format: int64
       * @description Bytes, as last measured (null: not yet)
       */
      size: number | null
      /** Format: date-time */
      size_at: string | null
      /** @description Containers configured with it */
      users: components['schemas']['VolumeUser'][]
      /**
       * Format: uuid
       * @description The container a container-scope volume belongs to
       */
      container: string | null
      container_title: string
      /**
       * Format: date-time
       * @description Its container was deleted and the volume kept
       */
      container_deleted_at: string | null
      /**
       * Format: date-time
       * @description When the remove-volumes task removes it; null: never by itself
       */
      remove_after: string | null
    }
    VolumeList: {
      items: components['schemas']['Volume'][]
      total: number
    }
    VolumeUploadResult: {
      /** @description The folder written into */
      path: string
      files: number
      dirs: number
      /** Format: int64 */
      bytes: number
    }
    ContainerEvent: {
      /** Format: date-time */
      time: string
      /** @description info, warning or error */
      level: string
      message: string
      username: string
    }
    ContainerEventList: {
      items: components['schemas']['ContainerEvent'][]
      total: number
    }
    Progress: {
      /** Format: int64 */
      current: number
      /** Format: int64 */
      total: number
      percent: number
      /** @description In the probe step: what the readiness probe tries and what kiosc found out while the app does not answer */
      probe?: components['schemas']['ProbeStatus'] | null
    }
    /** @description Where the readiness probe of a starting app asks and, from 30 seconds after the start (a third of a shorter startup timeout) and every 10 seconds after, why the app does not answer yet */
    ProbeStatus: {
      /** @description The container port the probe asks on */
      port: number
      /** @description The path the probe requests */
      path: string
      /**
       * Format: date-time
       * @description When the Docker container started
       */
      started_at: string
      /**
       * Format: date-time
       * @description When the startup timeout ends the wait
       */
      deadline: string
      timeout_seconds: number
      /** @description TCP ports the image exposes */
      exposed_ports: number[]
      /** @description Whether kiosc could read the ports the app listens on (only where it runs on the Docker host) */
      listening_known: boolean
      /** @description TCP ports the container's processes listen on */
      listening_ports: number[]
      /** @description Those of listening_ports reachable only from inside the container (127.0.0.1 or ::1) */
      loopback_ports: number[]
      /** @description What the last look got: connection refused, HTTP 404, ... (empty before the first look) */
      last_result: string
      /** @description Why the app does not answer yet and what to change, in words (empty before the first look) */
      hint: string
      /** Format: date-time */
      checked_at: string | null
    }
    Job: {
      /** Format: uuid */
      uuid: string
      action: string
      state: string
      step: string | null
      message: string
      progress: components['schemas']['Progress'] | null
      username: string
      /** Format: date-time */
      created_at: string
      /** Format: date-time */
      finished_at: string | null
    }
    JobList: {
      items: components['schemas']['Job'][]
      total: number
    }
    /** @description Data of a job.progress message on the live channel: a job of a container moved on */
    JobProgress: {
      /** Format: uuid */
      container: string
      /** Format: uuid */
      job: string
      action: string
      /** @description pull, create, start or probe */
      step: string
      state: string
      message: string
      progress: components['schemas']['Progress'] | null
    }
    /** @description Data of the hello message the live channel opens with */
    LiveHello: {
      username: string
      version: string
      /** Format: date-time */
      time: string
    }
    LogLineList: {
      items: components['schemas']['LogLine'][]
    }
    LogLine: {
      /** Format: date-time */
      time: string
      /** @description Docker output stream the line came from */
      stream: string
      line: string
    }
    /** @description A container configuration without secrets and registry credentials. project is null for site templates; site_template is the site template a project template was copied from (null when none). */
    Template: {
      /** Format: uuid */
      uuid: string
      /** Format: uuid */
      project: string | null
      /** Format: uuid */
      site_template: string | null
      title: string
      description: string
      image: string
      command: string
      environment: {
        [key: string]: string
      }
      container_port: number
      container_path: string
      heartbeat_url: string
      strip_prefix: boolean
      /** Format: int64 */
      startup_timeout: number
      /** Format: int64 */
      max_idle: number
      /** Format: int64 */
      max_lifetime: number
      /** Format: int64 */
      memory_limit: number
      cpu_limit: number
      /** Format: int64 */
      pids_limit: number
      max_retries: number
      pull_policy: components['schemas']['PullPolicy']
      volumes: components['schemas']['VolumeMount'][]
      user: string
      read_only_rootfs: boolean
      access: components['schemas']['Access']
      placement: string
      created_by: string
      /** Format: date-time */
      created_at: string
      /** Format: date-time */
      updated_at: string
    }
    TemplateList: {
      items: components['schemas']['Template'][]
      total: number
    }
    /** @description Writable template fields (the container fields without secrets, registry credentials and template); title and image are required on create. Validated with the container rules. */
    TemplateInput: {
      title?: string
      description?: string
      image?: string
      command?: string
      environment?: {
        [key: string]: string
      }
      /** @default 80 */
      container_port?: number
      container_path?: string
      heartbeat_url?: string
      /** @default true */
      strip_prefix?: boolean
      /** Format: int64 */
      startup_timeout?: number
      /** Format: int64 */
      max_idle?: number
      /** Format: int64 */
      max_lifetime?: number
      /** Format: int64 */
      memory_limit?: number
      cpu_limit?: number
      /** Format: int64 */
      pids_limit?: number
      /** @default 0 */
      max_retries?: number
      /** @default if-missing */
      pull_policy?: components['schemas']['PullPolicy']
      volumes?: components['schemas']['VolumeMountInput'][]
      user?: string
      /** @default false */
      read_only_rootfs?: boolean
      /** @default project */
      access?: components['schemas']['Access']
      /** @default  */
      placement?: string
    }
    TemplateCopyInput: {
      /**
       * Format: uuid
       * @description target project, or null for the site templates
       */
      project: string | null
      /** @description title of the copy (default: the source's title) */
      title?: string
    }
    TemplateApplyInput: {
      fields: components['schemas']['TemplateField'][]
    }
    ContainerApplyInput: {
      fields: components['schemas']['TemplateField'][]
      /**
       * @description restart the container when it runs and changed
       * @default false
       */
      restart?: boolean
    }
    /** @enum {string} */
    TemplateField:
      | 'description'
      | 'image'
      | 'command'
      | 'environment'
      | 'container_port'
      | 'container_path'
      | 'heartbeat_url'
      | 'strip_prefix'
      | 'startup_timeout'
      | 'max_idle'
      | 'max_lifetime'
      | 'memory_limit'
      | 'cpu_limit'
      | 'pids_limit'
      | 'max_retries'
      | 'pull_policy'
      | 'volumes'
      | 'user'
      | 'read_only_rootfs'
      | 'access'
      | 'placement'
    /** @description Only the differing fields are listed, in a fixed order; current is this entity's value, upstream the template's. */
    TemplateDiff: {
      upstream: {
        /** Format: uuid */
        uuid: string
        title: string
        /** Format: uuid */
        project: string | null
        /** Format: date-time */
        updated_at: string
      } | null
      fields: {
        field: components['schemas']['TemplateField']
        current: unknown
        upstream: unknown
      }[]
    }
    TimelineEvent: {
      /** Format: uuid */
      uuid: string
      /** Format: date-time */
      time: string
      /** Format: uuid */
      project: string | null
      user: string
      event_name: string
      description: string
      /** @enum {string} */
      status: 'OK' | 'FAILED' | 'INFO'
      object_type: string
      object_uuid: string
      extra_data: {
        [key: string]: unknown
      } | null
    }
    TimelineEventList: {
      items: components['schemas']['TimelineEvent'][]
      total: number
    }
    SodarCounts: {
      created: number
      updated: number
      removed: number
      skipped: number
    }
    SodarMessage: {
      /** @enum {string} */
      level: 'error' | 'warning' | 'info'
      /** @enum {string} */
      kind: 'user' | 'category' | 'project' | 'role' | 'payload'
      uuid?: string
      name?: string
      message: string
    }
    SodarRun: {
      /** Format: int64 */
      id: number
      /** Format: uuid */
      uuid: string
      /** @description start, interval, ui (a signed-in superuser) or api (an API token) */
      trigger: string
      user: string
      /** Format: date-time */
      started_at: string
      /** Format: date-time */
      finished_at: string | null
      /** @enum {string} */
      status: 'running' | 'ok' | 'partial' | 'failed'
      /** @description Sync API version SODAR accepted; empty when the fetch failed */
      version: string
      /** @description Counts by kind of object */
      counts: {
        user?: components['schemas']['SodarCounts']
        category?: components['schemas']['SodarCounts']
        project?: components['schemas']['SodarCounts']
        role?: components['schemas']['SodarCounts']
      } | null
      totals: components['schemas']['SodarCounts']
      messages: components['schemas']['SodarMessage'][] | null
      error: string
    }
    SodarRunList: {
      items: components['schemas']['SodarRun'][]
      total: number
    }
    SodarStatus: {
      enabled: boolean
      /** @description Source site, without the secret */
      url: string | null
      interval_seconds: number | null
      default_owner: string | null
      version: string | null
      running: boolean
      last_run: components['schemas']['SodarRun'] | null
    }
    ContainerRef: {
      uuid: string
      title: string
      project: string
      project_title: string
    }
    KnownContainer: {
      uuid: string
      title: string
      project: string
      project_title: string
      image: string
      state: components['schemas']['ContainerState']
      state_reason: string
      desired_state: components['schemas']['DesiredState']
      docker_id: string | null
      docker_name: string
      /** @description Docker's state (created, running, paused, restarting, removing, exited, dead), missing when the Docker container kiosc expects is gone, none when the record has no Docker container */
      docker_state: string
      /** @description Docker's human status, e.g. Up 5 minutes */
      docker_status: string
      missing: boolean
      networks: string[]
      /** @description The Swarm node that runs it (KIOSC_RUNTIME=swarm); empty otherwise */
      node: string
    }
    SwarmNode: {
      id: string
      hostname: string
      /** @description The address apps' published ports are reached at */
      addr: string
      /** @description manager or worker */
      role: string
      /** @description ready, down, unknown or disconnected */
      state: string
      /** @description active, pause or drain */
      availability: string
      labels: {
        [key: string]: string
      }
      cpus: number
      /** Format: int64 */
      memory: number
      /** @description The node of the engine kiosc talks to (where its volumes are) */
      self: boolean
      /** @description kiosc containers running there */
      containers: components['schemas']['ContainerRef'][]
    }
    DockerContainer: {
      id: string
      name: string
      image: string
      state: string
      status: string
      /** Format: date-time */
      created: string
      /** @description Instance ID of the kiosc that manages it; empty when no kiosc does */
      kiosc_instance: string
      kiosc_container: string
      networks: string[]
    }
    DockerNetwork: {
      id: string
      name: string
      driver: string
      scope: string
      internal: boolean
      /** Format: date-time */
      created: string
      /** @description Created by this kiosc instance */
      kiosc: boolean
      kiosc_instance: string
      /** @description This instance's apps network, which every container shares in default-bridge mode (traffic between containers off) */
      shared: boolean
      /** @description Docker containers attached, kiosc's or not */
      docker_containers: number
      containers: components['schemas']['ContainerRef'][]
    }
    DockerVolume: {
      name: string
      driver: string
      mountpoint: string
      /** Format: date-time */
      created: string | null
      /**
       * Format: int64
       * @description Bytes as the engine measured them (docker system df -v); null: unknown
       */
      size: number | null
      /** @description Docker containers that mount it, kiosc's or not */
      docker_containers: number
      /** @description No Docker container mounts it */
      unused: boolean
      /** @description kiosc containers that mount it or are configured with it */
      containers: components['schemas']['ContainerRef'][]
      /** @description Created by this kiosc instance */
      kiosc: boolean
      kiosc_instance: string
      /** @description container or project, for kiosc volumes */
      scope: string
      kiosc_name: string
      /** Format: uuid */
      project: string | null
      project_title: string
      /**
       * Format: uuid
       * @description The container a container-scope volume belongs to
       */
      container: string | null
      container_title: string
      /** Format: date-time */
      container_deleted_at: string | null
      /** Format: date-time */
      remove_after: string | null
    }
    DockerImage: {
      id: string
      tags: string[]
      /** Format: int64 */
      size: number
      /** Format: date-time */
      created: string
      dangling: boolean
      docker_containers: number
      /** @description kiosc containers running the image or configured with it */
      containers: components['schemas']['ContainerRef'][]
    }
    DockerOverview: {
      instance: string
      /**
       * @description KIOSC_RUNTIME
       * @enum {string}
       */
      runtime: 'docker' | 'swarm'
      /** @description The swarm's nodes (KIOSC_RUNTIME=swarm); empty on a single engine */
      nodes: components['schemas']['SwarmNode'][]
      containers: components['schemas']['KnownContainer'][]
      orphaned: components['schemas']['DockerContainer'][]
      unmanaged: components['schemas']['DockerContainer'][]
      networks: components['schemas']['DockerNetwork'][]
      volumes: components['schemas']['DockerVolume'][]
      images: components['schemas']['DockerImage'][]
    }
    MaintenanceItem: {
      /** @enum {string} */
      kind: 'container' | 'network' | 'image' | 'volume'
      /** @description The container's uuid, the Docker ID of a network or image, or a volume's Docker name */
      id: string
      name: string
      project?: string
      /** @description The container's state when the task answered */
      state?: string
      reason?: string
      /** Format: int64 */
      size?: number
      /** @description What the task found (check-updates: the outcome of the container's check in words) */
      message?: string
      error?: string
    }
    /** @enum {string} */
    MaintenanceTaskName:
      'cleanup-unused' | 'remove-stopped' | 'remove-volumes' | 'stop-all' | 'stop-idle' | 'check-updates'
    MaintenanceResult: {
      task: components['schemas']['MaintenanceTaskName']
      user: string
      /** Format: date-time */
      started_at: string
      /** Format: date-time */
      finished_at: string
      /** @description Objects acted on */
      count: number
      /** @description Objects the task could not act on (their items carry the error) */
      failed: number
      summary: string
      items: components['schemas']['MaintenanceItem'][]
    }
    MaintenanceTask: {
      name: components['schemas']['MaintenanceTaskName']
      description: string
      schedule: string
      /** Format: date-time */
      next_run: string | null
      last_run: components['schemas']['MaintenanceResult'] | null
      /**
       * Format: date-time
       * @description When the periodic sweep last did this task's work by itself (null for tasks it does not run, and before the first sweep); sweeps are not recorded as runs
       */
      last_sweep: string | null
    }
    ImageFacts: {
      image: string
      /** @description Whether the Docker host has the image; nothing else is known when it has not */
      present: boolean
      /** @description TCP ports the image declares with EXPOSE, sorted */
      exposed_ports: number[]
      /** @description The image's working directory */
      working_dir: string
    }
    Candidate: {
      username: string
      name: string
      /** @description The role the user holds in the project itself, if any */
      role: components['schemas']['Role'] | null
    }
    CandidateList: {
      items: components['schemas']['Candidate'][]
      total: number
    }
    TimelineFacets: {
      /** @description Event names that occur, sorted */
      events: string[]
      /** @description Users (and system) who caused events, sorted */
      users: string[]
    }
    MaintenanceTaskList: {
      items: components['schemas']['MaintenanceTask'][]
      total: number
    }
    UsageSample: {
      /** Format: date-time */
      time: string
      /** @description share of one CPU (200 = two CPUs busy) */
      cpu_percent: number
      /** @description memory in use without reclaimable page cache */
      memory_bytes: number
      /** @description the container's memory limit, or the host's memory without one */
      memory_limit: number
      /** @description bytes received per second since the previous sample */
      net_rx_rate: number
      /** @description bytes sent per second since the previous sample */
      net_tx_rate: number
      pids: number
    }
    Capacity: {
      host: components['schemas']['CapacityHost']
      reserved: components['schemas']['CapacityReserved']
      cap: components['schemas']['CapacityCap']
      used: components['schemas']['CapacityUsed']
      apps: components['schemas']['AppUsage'][]
      /** @description titles of apps whose use could not be read (counted as using nothing) */
      partial: string[]
    }
    CapacityHost: {
      name: string
      cpus: number
      /** @description bytes */
      memory: number
    }
    CapacityReserved: {
      cpus: number
      memory: number
      apps: number
      /** @description active apps without a CPU or memory limit */
      unlimited: number
    }
    CapacityCap: {
      /** @description 0: not capped */
      cpus: number
      /** @description bytes, 0: not capped */
      memory: number
      /** @description KIOSC_MAX_RESERVED as configured */
      setting: string
    }
    CapacityUsed: {
      /** @description 100 = one CPU busy */
      cpu_percent: number
      memory: number
    }
    AppUsage: {
      /** Format: uuid */
      uuid: string
      title: string
      /** Format: uuid */
      project: string
      state: string
      /** @description reserved (its limit), 0: none */
      cpus: number
      /** @description reserved (its limit), 0: none */
      memory: number
      cpu_percent: number
      memory_used: number
    }
  }
  responses: {
    /** @description Accepted; the work happens in the background and shows as state changes, jobs and events. Answers the container as the caller's role shows it (a ContainerSummary for viewers, who may open apps). */
    Accepted: {
      headers: {
        [name: string]: unknown
      }
      content: {
        'application/json': components['schemas']['Container'] | components['schemas']['ContainerSummary']
      }
    }
    /** @description Bad input (validation_failed names the fields; invalid_json, unknown fields) */
    BadRequest: {
      headers: {
        [name: string]: unknown
      }
      content: {
        'application/json': components['schemas']['Error']
      }
    }
    /** @description Authentication required, or the token is invalid */
    Unauthorized: {
      headers: {
        [name: string]: unknown
      }
      content: {
        'application/json': components['schemas']['Error']
      }
    }
    /** @description Not allowed (includes a missing or wrong CSRF token) */
    Forbidden: {
      headers: {
        [name: string]: unknown
      }
      content: {
        'application/json': components['schemas']['Error']
      }
    }
    /** @description Not found, or not visible to the caller */
    NotFound: {
      headers: {
        [name: string]: unknown
      }
      content: {
        'application/json': components['schemas']['Error']
      }
    }
    /** @description Conflict with the current state */
    Conflict: {
      headers: {
        [name: string]: unknown
      }
      content: {
        'application/json': components['schemas']['Error']
      }
    }
    /** @description Not a websocket handshake (code upgrade_required) */
    UpgradeRequired: {
      headers: {
        [name: string]: unknown
      }
      content: {
        'application/json': components['schemas']['Error']
      }
    }
    /** @description A dependency does not answer (docker_unavailable); see Retry-After */
    Unavailable: {
      headers: {
        [name: string]: unknown
      }
      content: {
        'application/json': components['schemas']['Error']
      }
    }
  }
  parameters: {
    /** @description Page size (clamped by the server) */
    Limit: number
    /** @description Number of items to skip */
    Offset: number
    UUID: string
    Username: string
    TokenID: number
    /** @description Only containers in this state */
    State: components['schemas']['ContainerState']
    /** @description kiosc's name of the volume */
    VolumeName: string
    /** @description A file or folder inside the volume (default: its root); '..' is refused */
    VolumePath: string
    /** @description The deleted container whose kept (container-scope) volume is meant */
    VolumeContainer: string
    /** @description Number of most recent stored lines (default 500, at most 10000; 0 means 10000) */
    Tail: number
  }
  requestBodies: never
  headers: never
  pathItems: never
}
export type $defs = Record<string, never>
export interface operations {
  getOpenAPI: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The OpenAPI document */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': Record<string, never>
        }
      }
    }
  }
  getConfig: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Configuration */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Config']
        }
      }
    }
  }
  login: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['LoginInput']
      }
    }
    responses: {
      /** @description Logged in */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Me']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      /** @description Too many failed attempts (code too_many_attempts); see Retry-After */
      429: {
        headers: {
          'Retry-After'?: number
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Error']
        }
      }
    }
  }
  logout: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Logged out */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['LogoutResult']
        }
      }
      403: components['responses']['Forbidden']
    }
  }
  getMe: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The caller */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Me']
        }
      }
      401: components['responses']['Unauthorized']
    }
  }
  changePassword: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['PasswordInput']
      }
    }
    responses: {
      /** @description Password changed */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Me']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      409: components['responses']['Conflict']
    }
  }
  listTokens: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Tokens */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['TokenList']
        }
      }
      401: components['responses']['Unauthorized']
    }
  }
  createToken: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['TokenInput']
      }
    }
    responses: {
      /** @description Created */
      201: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['TokenCreated']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
    }
  }
  revokeToken: {
    parameters: {
      query?: never
      header?: never
      path: {
        id: components['parameters']['TokenID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Revoked */
      204: {
        headers: {
          [name: string]: unknown
        }
        content?: never
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  listUsers: {
    parameters: {
      query?: {
        /** @description Page size (clamped by the server) */
        limit?: components['parameters']['Limit']
        /** @description Number of items to skip */
        offset?: components['parameters']['Offset']
        /** @description Substring of username, name or e-mail */
        search?: string
      }
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Users */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['UserList']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
    }
  }
  createUser: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['UserInput']
      }
    }
    responses: {
      /** @description Created */
      201: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['User']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      409: components['responses']['Conflict']
    }
  }
  getUser: {
    parameters: {
      query?: never
      header?: never
      path: {
        username: components['parameters']['Username']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The user */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['User']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  deleteUser: {
    parameters: {
      query?: never
      header?: never
      path: {
        username: components['parameters']['Username']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Deleted */
      204: {
        headers: {
          [name: string]: unknown
        }
        content?: never
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  updateUser: {
    parameters: {
      query?: never
      header?: never
      path: {
        username: components['parameters']['Username']
      }
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['UserPatch']
      }
    }
    responses: {
      /** @description The changed user */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['User']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  listProjects: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Projects */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['ProjectList']
        }
      }
      401: components['responses']['Unauthorized']
    }
  }
  createProject: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['ProjectInput']
      }
    }
    responses: {
      /** @description Created */
      201: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Project']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  getProject: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The project */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Project']
        }
      }
      401: components['responses']['Unauthorized']
      404: components['responses']['NotFound']
    }
  }
  deleteProject: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Deleted */
      204: {
        headers: {
          [name: string]: unknown
        }
        content?: never
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  updateProject: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['ProjectPatch']
      }
    }
    responses: {
      /** @description The changed project */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Project']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  listRoles: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Members */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['MemberList']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  putRole: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
        username: components['parameters']['Username']
      }
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['RoleInput']
      }
    }
    responses: {
      /** @description Role unchanged */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Member']
        }
      }
      /** @description Role created or changed */
      201: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Member']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  deleteRole: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
        username: components['parameters']['Username']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Removed */
      204: {
        headers: {
          [name: string]: unknown
        }
        content?: never
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  searchCandidates: {
    parameters: {
      query: {
        /** @description Part of a username or name (at least 2 characters) */
        search: string
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Matching users */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['CandidateList']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  listProjectContainers: {
    parameters: {
      query?: {
        /** @description Page size (clamped by the server) */
        limit?: components['parameters']['Limit']
        /** @description Number of items to skip */
        offset?: components['parameters']['Offset']
        /** @description Only containers in this state */
        state?: components['parameters']['State']
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Containers */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['ContainerList']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  createContainer: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['ContainerInput']
      }
    }
    responses: {
      /** @description Created */
      201: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Container']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  listContainers: {
    parameters: {
      query?: {
        /** @description Page size (clamped by the server) */
        limit?: components['parameters']['Limit']
        /** @description Number of items to skip */
        offset?: components['parameters']['Offset']
        /** @description Only containers in this state */
        state?: components['parameters']['State']
        /** @description Only containers of this project (UUID) */
        project?: string
      }
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Containers */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['ContainerList']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  getContainer: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The container */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Container']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  deleteContainer: {
    parameters: {
      query?: {
        /** @description What happens to the container's own volumes */
        volumes?: 'keep' | 'delete'
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      202: components['responses']['Accepted']
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  updateContainer: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['ContainerInput']
      }
    }
    responses: {
      /** @description The changed container */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Container']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  startContainer: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      202: components['responses']['Accepted']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  stopContainer: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      202: components['responses']['Accepted']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  restartContainer: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      202: components['responses']['Accepted']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  pauseContainer: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      202: components['responses']['Accepted']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  unpauseContainer: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      202: components['responses']['Accepted']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  checkContainerUpdate: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The container with the outcome of the check */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Container']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
      503: components['responses']['Unavailable']
    }
  }
  updateContainerImage: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      202: components['responses']['Accepted']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  openContainer: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      202: components['responses']['Accepted']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  listContainerEvents: {
    parameters: {
      query?: {
        /** @description Page size (clamped by the server) */
        limit?: components['parameters']['Limit']
        /** @description Number of items to skip */
        offset?: components['parameters']['Offset']
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Events */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['ContainerEventList']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  listContainerJobs: {
    parameters: {
      query?: {
        /** @description Page size (clamped by the server) */
        limit?: components['parameters']['Limit']
        /** @description Number of items to skip */
        offset?: components['parameters']['Offset']
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Jobs */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['JobList']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  getContainerLogs: {
    parameters: {
      query?: {
        /** @description Number of most recent stored lines (default 500, at most 10000; 0 means 10000) */
        tail?: components['parameters']['Tail']
        /** @description Only lines after this RFC 3339 time */
        since?: string
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Log lines */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['LogLineList']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  streamContainerLogs: {
    parameters: {
      query?: {
        /** @description Number of most recent stored lines (default 500, at most 10000; 0 means 10000) */
        tail?: components['parameters']['Tail']
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Switching to the websocket protocol */
      101: {
        headers: {
          [name: string]: unknown
        }
        content?: never
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      426: components['responses']['UpgradeRequired']
    }
  }
  streamContainerUsage: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Switching to the websocket protocol */
      101: {
        headers: {
          [name: string]: unknown
        }
        content?: never
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      426: components['responses']['UpgradeRequired']
    }
  }
  listContainerVolumes: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Volumes */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['VolumeList']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  downloadContainerVolume: {
    parameters: {
      query?: {
        /** @description A file or folder inside the volume (default: its root); '..' is refused */
        path?: components['parameters']['VolumePath']
        format?: 'tar' | 'zip'
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
        /** @description kiosc's name of the volume */
        name: components['parameters']['VolumeName']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The archive (Content-Disposition names it) */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/x-tar': string
          'application/zip': string
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  uploadContainerVolume: {
    parameters: {
      query?: {
        /** @description A file or folder inside the volume (default: its root); '..' is refused */
        path?: components['parameters']['VolumePath']
        /** @description File name of a single file (not a tar archive) */
        name?: string
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
        /** @description kiosc's name of the volume */
        name: components['parameters']['VolumeName']
      }
      cookie?: never
    }
    requestBody: {
      content: {
        'application/x-tar': string
        'application/octet-stream': string
      }
    }
    responses: {
      /** @description What was written */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['VolumeUploadResult']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
      /** @description A single file was sent without Content-Length */
      411: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Error']
        }
      }
    }
  }
  postContainerVolume: {
    parameters: {
      query?: {
        /** @description A file or folder inside the volume (default: its root); '..' is refused */
        path?: components['parameters']['VolumePath']
        /** @description File name of a single file (not a tar archive) */
        name?: string
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
        /** @description kiosc's name of the volume */
        name: components['parameters']['VolumeName']
      }
      cookie?: never
    }
    requestBody: {
      content: {
        'application/x-tar': string
        'application/octet-stream': string
      }
    }
    responses: {
      /** @description What was written */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['VolumeUploadResult']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
      /** @description A single file was sent without Content-Length */
      411: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Error']
        }
      }
    }
  }
  listProjectVolumes: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Volumes */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['VolumeList']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  removeProjectVolume: {
    parameters: {
      query?: {
        /** @description The deleted container whose kept (container-scope) volume is meant */
        container?: components['parameters']['VolumeContainer']
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
        /** @description kiosc's name of the volume */
        name: components['parameters']['VolumeName']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Removed */
      204: {
        headers: {
          [name: string]: unknown
        }
        content?: never
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  downloadProjectVolume: {
    parameters: {
      query?: {
        /** @description The deleted container whose kept (container-scope) volume is meant */
        container?: components['parameters']['VolumeContainer']
        /** @description A file or folder inside the volume (default: its root); '..' is refused */
        path?: components['parameters']['VolumePath']
        format?: 'tar' | 'zip'
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
        /** @description kiosc's name of the volume */
        name: components['parameters']['VolumeName']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The archive (Content-Disposition names it) */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/x-tar': string
          'application/zip': string
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  uploadProjectVolume: {
    parameters: {
      query?: {
        /** @description The deleted container whose kept (container-scope) volume is meant */
        container?: components['parameters']['VolumeContainer']
        /** @description A file or folder inside the volume (default: its root); '..' is refused */
        path?: components['parameters']['VolumePath']
        /** @description File name of a single file (not a tar archive) */
        name?: string
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
        /** @description kiosc's name of the volume */
        name: components['parameters']['VolumeName']
      }
      cookie?: never
    }
    requestBody: {
      content: {
        'application/x-tar': string
        'application/octet-stream': string
      }
    }
    responses: {
      /** @description What was written */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['VolumeUploadResult']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
      /** @description A single file was sent without Content-Length */
      411: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Error']
        }
      }
    }
  }
  postProjectVolume: {
    parameters: {
      query?: {
        /** @description The deleted container whose kept (container-scope) volume is meant */
        container?: components['parameters']['VolumeContainer']
        /** @description A file or folder inside the volume (default: its root); '..' is refused */
        path?: components['parameters']['VolumePath']
        /** @description File name of a single file (not a tar archive) */
        name?: string
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
        /** @description kiosc's name of the volume */
        name: components['parameters']['VolumeName']
      }
      cookie?: never
    }
    requestBody: {
      content: {
        'application/x-tar': string
        'application/octet-stream': string
      }
    }
    responses: {
      /** @description What was written */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['VolumeUploadResult']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
      /** @description A single file was sent without Content-Length */
      411: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Error']
        }
      }
    }
  }
  listSiteTemplates: {
    parameters: {
      query?: {
        /** @description Page size (clamped by the server) */
        limit?: components['parameters']['Limit']
        /** @description Number of items to skip */
        offset?: components['parameters']['Offset']
      }
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Site templates */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['TemplateList']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
    }
  }
  createSiteTemplate: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['TemplateInput']
      }
    }
    responses: {
      /** @description Created */
      201: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Template']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
    }
  }
  listProjectTemplates: {
    parameters: {
      query?: {
        /** @description Page size (clamped by the server) */
        limit?: components['parameters']['Limit']
        /** @description Number of items to skip */
        offset?: components['parameters']['Offset']
      }
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Project templates */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['TemplateList']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  createProjectTemplate: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['TemplateInput']
      }
    }
    responses: {
      /** @description Created */
      201: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Template']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  getTemplate: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The template */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Template']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  deleteTemplate: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Deleted */
      204: {
        headers: {
          [name: string]: unknown
        }
        content?: never
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  updateTemplate: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['TemplateInput']
      }
    }
    responses: {
      /** @description The changed template */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Template']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  copyTemplate: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['TemplateCopyInput']
      }
    }
    responses: {
      /** @description The copy */
      201: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Template']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  diffTemplate: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The upstream template (null when not linked) and the differing fields */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['TemplateDiff']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  applyToTemplate: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['TemplateApplyInput']
      }
    }
    responses: {
      /** @description The changed template */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Template']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  diffContainer: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The upstream template (null when none) and the differing fields */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['TemplateDiff']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  applyToContainer: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['ContainerApplyInput']
      }
    }
    responses: {
      /** @description The changed container */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Container']
        }
      }
      202: components['responses']['Accepted']
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  listTimeline: {
    parameters: {
      query?: {
        /** @description Page size (clamped by the server) */
        limit?: components['parameters']['Limit']
        /** @description Number of items to skip */
        offset?: components['parameters']['Offset']
        /** @description Only events of this project (UUID) */
        project?: string
        /** @description Only these events: event names, comma-separated */
        event?: string
        /** @description Only what this user (or system) did */
        user?: string
        /** @description Only events about this object (a container's or template's UUID) */
        object?: string
      }
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Events */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['TimelineEventList']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  timelineFacets: {
    parameters: {
      query?: {
        /** @description Only of this project (UUID) */
        project?: string
      }
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Facets */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['TimelineFacets']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  inspectImage: {
    parameters: {
      query: {
        /** @description Image reference */
        image: string
      }
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description What is known about the image */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['ImageFacts']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      503: components['responses']['Unavailable']
    }
  }
  live: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Switching to the websocket protocol */
      101: {
        headers: {
          [name: string]: unknown
        }
        content?: never
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      426: components['responses']['UpgradeRequired']
    }
  }
  getSodarStatus: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Status */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['SodarStatus']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
    }
  }
  listSodarRuns: {
    parameters: {
      query?: {
        /** @description Page size (clamped by the server) */
        limit?: components['parameters']['Limit']
        /** @description Number of items to skip */
        offset?: components['parameters']['Offset']
      }
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Runs */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['SodarRunList']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
    }
  }
  syncSodar: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The finished run */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['SodarRun']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      409: components['responses']['Conflict']
    }
  }
  getDockerOverview: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The overview */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['DockerOverview']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      503: components['responses']['Unavailable']
    }
  }
  listContainerLinks: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Links, newest first */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['LinkList']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  createContainerLink: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
      }
      cookie?: never
    }
    requestBody?: {
      content: {
        'application/json': components['schemas']['LinkInput']
      }
    }
    responses: {
      /** @description Created */
      201: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['LinkCreated']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      409: components['responses']['Conflict']
    }
  }
  revokeContainerLink: {
    parameters: {
      query?: never
      header?: never
      path: {
        uuid: components['parameters']['UUID']
        id: number
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description Revoked */
      204: {
        headers: {
          [name: string]: unknown
        }
        content?: never
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
    }
  }
  getSiteSettings: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The settings */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['SiteSettings']
        }
      }
      401: components['responses']['Unauthorized']
    }
  }
  getAdminSettings: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The settings */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['SiteSettings']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
    }
  }
  updateAdminSettings: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody: {
      content: {
        'application/json': components['schemas']['SiteSettingsInput']
      }
    }
    responses: {
      /** @description The settings and the containers affected */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['SiteSettingsUpdate']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
    }
  }
  getCapacity: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The capacity */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['Capacity']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      503: components['responses']['Unavailable']
    }
  }
  listMaintenanceTasks: {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description The tasks */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['MaintenanceTaskList']
        }
      }
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
    }
  }
  runMaintenanceTask: {
    parameters: {
      query?: never
      header?: never
      path: {
        task: components['schemas']['MaintenanceTaskName']
      }
      cookie?: never
    }
    requestBody?: never
    responses: {
      /** @description What the task did */
      200: {
        headers: {
          [name: string]: unknown
        }
        content: {
          'application/json': components['schemas']['MaintenanceResult']
        }
      }
      400: components['responses']['BadRequest']
      401: components['responses']['Unauthorized']
      403: components['responses']['Forbidden']
      404: components['responses']['NotFound']
      503: components['responses']['Unavailable']
    }
  }
}

package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// Image updates: kiosc records the image each Docker container was created from (its ID and repository digest),
// checks whether the registry has another image under the container's tag (per container, and daily for all), and
// updates a container by pulling the tag and re-creating the container on the new image, like a restart.
//
// A check asks the registry for the tag's digest through the engine without pulling anything, so it never changes
// what runs, nor what the next start of a stopped container runs. An image referenced by digest never has an
// update; an image built or loaded on the Docker host has no registry digest to compare with and cannot be checked.

// UpdateDocker is what image updates need from the engine beyond Docker (implemented by *docker.Client).
type UpdateDocker interface {
	ImageInfo(ctx context.Context, ref string) (*docker.ImageInfo, error)
	RegistryDigest(ctx context.Context, ref string, auth *docker.RegistryAuth) (string, error)
}

// updateDocker returns the engine's image calls, or an error when the configured client has none.
func (m *Manager) updateDocker() (UpdateDocker, error) {
	ud, ok := m.dk.(UpdateDocker)
	if !ok {
		return nil, fmt.Errorf("%w: the Docker client cannot inspect images", ErrDockerUnavailable)
	}
	return ud, nil
}

// imageRepository returns the repository of an image reference in one canonical form, without tag or digest:
// registry/path, with Docker Hub as docker.io and its official images under library/ (ubuntu, library/ubuntu and
// docker.io/library/ubuntu:22.04 are all docker.io/library/ubuntu).
func imageRepository(ref string) string {
	name, _, _ := strings.Cut(ref, "@")
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !strings.Contains(name[i:], "/") {
		name = name[:i]
	}
	path := name
	if first, rest, ok := strings.Cut(name, "/"); ok && (strings.ContainsAny(first, ".:[") || first == "localhost") {
		path = rest
	}
	reg := settings.ImageRegistry(name)
	if reg == "docker.io" && !strings.Contains(path, "/") {
		path = "library/" + path
	}
	return reg + "/" + path
}

// repositoryName is ref without its tag or digest, as the user wrote it.
func repositoryName(ref string) string {
	name, _, _ := strings.Cut(ref, "@")
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !strings.Contains(name[i:], "/") {
		name = name[:i]
	}
	return name
}

// pinnedDigest returns the digest of a reference by digest (name@sha256:...), "" for a reference by tag.
func pinnedDigest(ref string) string {
	_, d, _ := strings.Cut(ref, "@")
	return d
}

// digestsIn returns the digests ("sha256:...") among repoDigests ("repo@sha256:...", as the engine lists them)
// that belong to the repository of ref.
func digestsIn(ref string, repoDigests []string) []string {
	repo := imageRepository(ref)
	var out []string
	for _, rd := range repoDigests {
		if name, d, ok := strings.Cut(rd, "@"); ok && imageRepository(name) == repo && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// ImageDigest is what kiosc records as the digest of an image that a container of ref runs: its repository digest
// in ref's repository (repo@sha256:...) where it has one, else the image's ID (an image built or loaded on the
// Docker host, or pulled under another name).
func ImageDigest(ref string, img *docker.ImageInfo) string {
	repo := imageRepository(ref)
	for _, rd := range img.RepoDigests {
		if name, _, ok := strings.Cut(rd, "@"); ok && imageRepository(name) == repo {
			return rd
		}
	}
	return img.ID
}

// shortDigest writes a digest or image ID for people: the algorithm and 12 hex digits.
func shortDigest(d string) string {
	if _, after, ok := strings.Cut(d, "@"); ok {
		d = after
	}
	alg, hex, ok := strings.Cut(d, ":")
	if !ok {
		alg, hex = "sha256", d
	}
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return alg + ":" + hex
}

// updateBasis is what a check compares the registry's image with: the image the container runs, or, when it does
// not run, the image its next start would run.
type updateBasis struct {
	image      string // the container's image reference
	runs       bool   // it runs: the basis is the image it was created from
	pullAlways bool   // pull policy always: a start pulls the registry's image anyway
	present    bool   // there is an image to compare with (for a container that does not run: on the Docker host)
	// digests are that image's digests in the repository of image ("sha256:..."); none for an image that was never
	// pulled from (or pushed to) it.
	digests []string
	// id is that image's ID (or recorded digest) for messages.
	id string
}

// updateOutcome is the result of a check.
type updateOutcome struct {
	status    store.UpdateStatus
	available bool
	digest    string // the registry's digest of the tag as repo@sha256:... ("" when not asked)
	message   string
}

// withoutRegistry decides the checks that need no registry: images pinned by digest, images that were not pulled
// from a registry under their name, and containers that do not run and whose next start pulls anyway. ok is false
// when the registry must be asked (then compareDigests decides).
func withoutRegistry(b updateBasis) (updateOutcome, bool) {
	switch {
	case pinnedDigest(b.image) != "":
		return updateOutcome{status: store.UpdatePinned, message: fmt.Sprintf("no updates: the image is pinned by its digest "+
			"(%s), so it never changes", shortDigest(pinnedDigest(b.image)))}, true
	case b.present && len(b.digests) == 0:
		what := "the image it runs (" + shortDigest(b.id) + ")"
		if !b.runs {
			what = "the image " + b.image + " on the Docker host"
		}
		return updateOutcome{status: store.UpdateLocal, message: "cannot be checked: " + what + " was built or loaded on " +
			"the Docker host, not pulled from a registry as " + b.image + ", so there is no registry digest to compare it with"}, true
	case !b.runs && b.pullAlways:
		return updateOutcome{status: store.UpdateUpToDate, message: "up to date: it does not run, and its next start pulls " +
			"the registry's current image of " + b.image + " (pull policy always)"}, true
	}
	return updateOutcome{}, false
}

// compareDigests decides a check from the registry's digest of the tag (remote, "sha256:..."): an update is
// available when the image the container runs (or its next start runs) is not that image.
func compareDigests(b updateBasis, remote string) updateOutcome {
	out := updateOutcome{digest: repositoryName(b.image) + "@" + remote}
	switch {
	case !b.present:
		out.status, out.message = store.UpdateUpToDate, "up to date: "+b.image+" is not on the Docker host, so the next "+
			"start pulls the registry's current image ("+shortDigest(remote)+")"
	case slices.Contains(b.digests, remote) && b.runs:
		out.status, out.message = store.UpdateUpToDate, "up to date: it runs the registry's current image of "+b.image+
			" ("+shortDigest(remote)+")"
	case slices.Contains(b.digests, remote):
		out.status, out.message = store.UpdateUpToDate, "up to date: its next start runs the registry's current image of "+
			b.image+" ("+shortDigest(remote)+")"
	case b.runs:
		out.status, out.available, out.message = store.UpdateAvailable, true, "update available: the registry's "+b.image+
			" is now "+shortDigest(remote)+"; the container runs "+shortDigest(b.digests[0])
	default:
		out.status, out.available, out.message = store.UpdateAvailable, true, "update available: the registry's "+b.image+
			" is now "+shortDigest(remote)+"; its next start would run "+shortDigest(b.digests[0])+" from the Docker host"
	}
	return out
}

// runsImage reports whether c's Docker container is up, so that the image to compare with is the one it runs.
func runsImage(c *store.Container) bool {
	return c.DockerID != "" && c.ImageID != "" && slices.Contains([]store.State{store.StateRunning, store.StateStarting,
		store.StatePaused, store.StateStopping}, c.State)
}

// updateBasis finds what a check of c compares with. An error means the engine did not answer.
func (m *Manager) updateBasis(ctx context.Context, ud UpdateDocker, c *store.Container) (updateBasis, error) {
	b := updateBasis{image: c.Image, runs: runsImage(c), pullAlways: c.PullPolicy == settings.PullAlways}
	if b.runs {
		b.present, b.id = true, c.ImageDigest
		if _, d, ok := strings.Cut(c.ImageDigest, "@"); ok && imageRepository(c.ImageDigest) == imageRepository(c.Image) {
			b.digests = []string{d}
		}
		// The image may have more digests in the repository than the recorded one (a multi-platform tag pulled by
		// its list, a push under another tag).
		img, err := ud.ImageInfo(ctx, c.ImageID)
		switch {
		case err == nil:
			for _, d := range digestsIn(c.Image, img.RepoDigests) {
				if !slices.Contains(b.digests, d) {
					b.digests = append(b.digests, d)
				}
			}
		case !docker.IsNotFound(err):
			return b, err
		}
		return b, nil
	}
	if b.pullAlways || pinnedDigest(c.Image) != "" {
		return b, nil
	}
	img, err := ud.ImageInfo(ctx, c.Image)
	switch {
	case docker.IsNotFound(err):
		return b, nil
	case err != nil:
		return b, err
	}
	b.present, b.id, b.digests = true, img.ID, digestsIn(c.Image, img.RepoDigests)
	return b, nil
}

// CheckUpdate asks the registry whether it has another image under the container's tag than the one the
// container runs (or, when it does not run, than the one its next start would run) and records the outcome
// (update_status, update_available, available_digest, update_message, update_checked_at). It never changes what
// runs. A check the registry does not answer is recorded as failed with the cause in words; an engine that does not
// answer gives ErrDockerUnavailable and records nothing.
func (m *Manager) CheckUpdate(ctx context.Context, user *store.User, uuid string) (*store.Container, error) {
	ud, err := m.updateDocker()
	if err != nil {
		return nil, err
	}
	var remote string
	var remoteErr error
	asked := false
	for range 3 {
		c, err := m.st.GetContainer(ctx, uuid)
		if err != nil {
			return nil, err
		}
		if c.State == store.StateDeleting {
			return nil, fmt.Errorf("%w: the container is being deleted", ErrConflict)
		}
		out, err := func() (updateOutcome, error) {
			// Checked first, so that a registry the site does not allow is never contacted.
			if msg := m.o.Limits.RegistryError(c.Image); msg != "" && pinnedDigest(c.Image) == "" {
				return updateOutcome{status: store.UpdateFailed, message: "the check failed: registry not allowed: " + msg}, nil
			}
			b, err := m.updateBasis(ctx, ud, c)
			if err != nil {
				return updateOutcome{}, err
			}
			if out, ok := withoutRegistry(b); ok {
				return out, nil
			}
			if !asked {
				asked = true
				auth, err := m.registryAuth(c)
				if err != nil {
					return updateOutcome{status: store.UpdateFailed, message: "the check failed: " + err.Error()}, nil
				}
				remote, remoteErr = ud.RegistryDigest(ctx, c.Image, auth)
			}
			if remoteErr != nil {
				if docker.EngineUnreachable(remoteErr) {
					return updateOutcome{}, remoteErr
				}
				m.log.Warn("update check", "container", c.UUID, "image", c.Image, "err", remoteErr)
				return updateOutcome{status: store.UpdateFailed, message: "the check failed: " + checkFailureMessage(c.Image, remoteErr)}, nil
			}
			return compareDigests(b, remote), nil
		}()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%w: %w", ErrDockerUnavailable, err)
		}
		stored, err := m.recordCheck(ctx, c, user, out)
		if err != nil {
			return nil, err
		}
		if stored {
			fresh, err := m.st.GetContainer(ctx, uuid)
			if err != nil {
				return nil, err
			}
			m.publish(fresh)
			return fresh, nil
		}
		// A create changed the image meanwhile: decide again against the new one.
	}
	return nil, fmt.Errorf("%w: the container's image kept changing during the check; try again", ErrConflict)
}

// checkFailureMessage describes a registry that did not tell the digest of image, in words (the engine's text
// names hosts and addresses as the Docker host sees them, so it goes to the log only).
func checkFailureMessage(image string, err error) string {
	if docker.ClassifyPull(err) == docker.PullFailed {
		return fmt.Sprintf("the registry %s did not tell the digest of %s; try again later", settings.ImageRegistry(image), image)
	}
	return PullFailureMessage(image, err)
}

// recordCheck stores a check's outcome unless c's image changed since it was read (then it reports false). A
// failed check keeps what the last check that reached the registry found. A changed outcome is a kiosc event.
func (m *Manager) recordCheck(ctx context.Context, c *store.Container, user *store.User, out updateOutcome) (bool, error) {
	now := time.Now().UTC()
	u := store.UpdateCheck{UpdateStatus: out.status, UpdateAvailable: out.available, AvailableDigest: out.digest,
		UpdateMessage: out.message, UpdateCheckedAt: &now}
	if out.status == store.UpdateFailed {
		u.UpdateAvailable, u.AvailableDigest = c.UpdateAvailable, c.AvailableDigest
	}
	stored, err := m.st.RecordUpdateCheck(ctx, c.UUID, c.ImageDigest, u)
	if err != nil || !stored {
		return stored, err
	}
	if u.UpdateStatus != c.UpdateStatus || u.AvailableDigest != c.AvailableDigest || u.UpdateMessage != c.UpdateMessage {
		level := store.LevelInfo
		if u.UpdateStatus == store.UpdateFailed {
			level = store.LevelWarning
		}
		m.event(ctx, c.UUID, level, eventUser(user), "update check: %s", out.message)
	}
	return true, nil
}

// UpdateImage asks for the container to be updated to the newest image of its tag: one job pulls the tag (with
// layer progress, while the old container keeps running) and, when the container is meant to run, re-creates it on
// the new image like a restart (create, start, probe), keeping its settings and volumes. A container that is not
// meant to run gets the image for its next start and stays as it is. A failed pull changes nothing and says why in
// words. Requests while an update is queued or running share its job (so no second update runs); a paused container
// or an image pinned by digest answers ErrConflict.
func (m *Manager) UpdateImage(ctx context.Context, user *store.User, uuid string) (*store.Container, error) {
	return m.request(ctx, user, uuid, "update", "", func(c *store.Container, w *worker) error {
		if pinnedDigest(c.Image) != "" {
			return fmt.Errorf("%w: the image is pinned by its digest, so it never changes; edit the image to change it", ErrConflict)
		}
		if c.State == store.StatePaused || c.DesiredState == store.StatePaused {
			return fmt.Errorf("%w: the container is paused; resume it before updating it", ErrConflict)
		}
		return nil
	}, nil)
}

// isUpdate reports whether j is an update job: a pass that takes one runs the update.
func isUpdate(j *store.Job) bool { return j.Action == "update" }

// errUpdateInterrupted ends an update that a newer request (stop, restart, delete) preempted before it changed
// anything.
var errUpdateInterrupted = errors.New("the update was interrupted by a newer request before it changed anything")

// update runs an update job: it pulls the tag while the container stays as it is and, when the container is meant
// to run and the image changed, re-creates it like a restart. It reports whether it did the pass's work; when not
// (the container is not meant to run), the pass goes on as usual.
func (p *pass) update(ctx context.Context, info *docker.ContainerInfo) (bool, error) {
	m, c := p.m, p.c
	ud, err := m.updateDocker()
	if err != nil {
		return true, err
	}
	if msg := m.o.Limits.RegistryError(c.Image); msg != "" {
		return true, p.updateFailed(ctx, c.ImageDigest, registryRefused(msg))
	}
	running := c.DesiredState == store.StateRunning
	// What it runs, or what its next start would run: compared with the pulled image, and recorded as the old
	// digest.
	oldID, oldDigest := c.ImageID, c.ImageDigest
	if !running || oldID == "" {
		if img, err := ud.ImageInfo(ctx, c.Image); err == nil {
			oldID, oldDigest = img.ID, ImageDigest(c.Image, img)
		}
	}
	m.event(ctx, c.UUID, store.LevelInfo, p.user, "updating: pulling %s", c.Image)
	p.step(ctx, "pull", "pulling "+c.Image, nil)
	auth, err := m.registryAuth(c)
	if err != nil {
		return true, p.updateFailed(ctx, oldDigest, err)
	}
	err = m.dk.Pull(ctx, c.Image, auth, func(pp docker.PullProgress) {
		var prog *store.Progress
		if pp.Total > 0 {
			prog = &store.Progress{Current: pp.Current, Total: pp.Total, Percent: float64(pp.Current) * 100 / float64(pp.Total)}
		}
		p.step(ctx, "pull", pp.Status, prog)
	})
	if err == nil {
		var img *docker.ImageInfo
		if img, err = ud.ImageInfo(ctx, c.Image); err == nil {
			return p.updated(ctx, info, running, oldID, oldDigest, img)
		}
	}
	if ctx.Err() != nil {
		return true, errUpdateInterrupted
	}
	return true, p.updateFailed(ctx, oldDigest, pullFailure(c.Image, err))
}

// updated goes on with an update once the tag is pulled as img.
func (p *pass) updated(ctx context.Context, info *docker.ContainerInfo, running bool, oldID, oldDigest string, img *docker.ImageInfo) (bool, error) {
	m, c := p.m, p.c
	newDigest := ImageDigest(c.Image, img)
	extra := map[string]any{"image": c.Image, "old_digest": oldDigest, "new_digest": newDigest, "old_image_id": oldID,
		"new_image_id": img.ID}
	upToDate := func(msg string) {
		now := time.Now().UTC()
		u := store.UpdateCheck{UpdateStatus: store.UpdateUpToDate, AvailableDigest: newDigest, UpdateMessage: msg, UpdateCheckedAt: &now}
		if !strings.Contains(newDigest, "@") {
			u.AvailableDigest = ""
		}
		if ok, err := m.st.RecordUpdateCheck(context.WithoutCancel(ctx), c.UUID, c.ImageDigest, u); err != nil {
			m.log.Error("update: record the check", "container", c.UUID, "err", err)
		} else if ok {
			c.UpdateCheck = u
			m.publish(c)
		}
	}
	alive := info != nil && (info.Running || info.Paused)
	switch {
	case img.ID == oldID && (!running || !alive || info.ImageID == img.ID):
		// Nothing to re-create: the pass goes on as usual (a crashed app waits for its automatic restart).
		msg := "already the newest image of " + c.Image + " (" + shortDigest(newDigest) + ")"
		m.event(ctx, c.UUID, store.LevelInfo, p.user, "update: %s; nothing to do", msg)
		p.step(ctx, "update", msg, nil)
		m.timeline(ctx, c, p.user, "container_update", store.StatusInfo, c.Title+" is up to date: "+msg, extra)
		upToDate("up to date: " + msg)
		return false, nil
	case !running:
		msg := "pulled " + shortDigest(newDigest) + "; the next start runs it"
		m.event(ctx, c.UUID, store.LevelInfo, p.user, "updated the image of %s (%s → %s); it runs from the next start",
			c.Image, shortDigest(oldDigest), shortDigest(newDigest))
		p.step(ctx, "update", msg, nil)
		m.timeline(ctx, c, p.user, "container_update", store.StatusOK, "pulled the new image of "+c.Title+" ("+
			shortDigest(oldDigest)+" → "+shortDigest(newDigest)+"); it runs from the next start", extra)
		upToDate("up to date: the next start runs the new image " + shortDigest(newDigest))
		return false, nil
	}
	m.event(ctx, c.UUID, store.LevelInfo, p.user, "pulled %s (%s); re-creating the container on it", c.Image, shortDigest(newDigest))
	// The update is the restart a pending restart asked for, and a start the user asked for.
	m.mu.Lock()
	p.w.recreate, p.w.userStart, p.w.notBefore = false, false, time.Time{}
	m.mu.Unlock()
	c.Retries = 0
	p.pulled = true
	err := p.start(ctx)
	if ctx.Err() != nil {
		return true, err
	}
	// The image it was created from (the tag may have moved again since the pull).
	extra["new_digest"], extra["new_image_id"] = c.ImageDigest, c.ImageID
	if err == nil && c.State != store.StateRunning {
		err = fmt.Errorf("the app did not come up on the new image: it is %s", c.State)
		if c.StateMessage != "" {
			err = fmt.Errorf("%w (%s)", err, c.StateMessage)
		}
	}
	if err != nil {
		extra["error"] = err.Error()
		m.timeline(ctx, c, p.user, "container_update", store.StatusFailed, "updating "+c.Title+" failed: "+err.Error(), extra)
		return true, err
	}
	p.step(ctx, "update", "updated to "+shortDigest(c.ImageDigest)+" (was "+shortDigest(oldDigest)+")", nil)
	m.timeline(ctx, c, p.user, "container_update", store.StatusOK, "updated "+c.Title+" to the new image of "+c.Image+" ("+
		shortDigest(oldDigest)+" → "+shortDigest(c.ImageDigest)+")", extra)
	upToDate("up to date: updated to the registry's current image " + shortDigest(c.ImageDigest))
	return true, nil
}

// updateFailed records an update that changed nothing: the container stays as it is, and the job, the kiosc event
// and the timeline say why in words.
func (p *pass) updateFailed(ctx context.Context, oldDigest string, err error) error {
	m, c := p.m, p.c
	m.event(ctx, c.UUID, store.LevelError, p.user, "update failed, nothing changed: %v", err)
	m.timeline(ctx, c, p.user, "container_update", store.StatusFailed, "updating "+c.Title+" failed: "+err.Error(),
		map[string]any{"image": c.Image, "old_digest": oldDigest, "error": err.Error()})
	return fmt.Errorf("update failed, nothing changed: %w", err)
}

// recordImage notes the image the new Docker container was created from (ID and digest) on the pass's record.
func (p *pass) recordImage(ctx context.Context, imageID string) {
	m, c := p.m, p.c
	c.ImageID, c.ImageDigest = "", ""
	ud, err := m.updateDocker()
	if err != nil {
		return
	}
	img, err := ud.ImageInfo(ctx, orDefault(imageID, c.Image))
	if err != nil {
		m.log.Warn("image of a new Docker container", "container", c.UUID, "image", c.Image, "err", err)
		return
	}
	c.ImageID, c.ImageDigest = img.ID, ImageDigest(c.Image, img)
	c.ImagePorts = orEmpty(img.ExposedPorts)
	if err := m.st.SetImagePorts(context.WithoutCancel(ctx), c.UUID, c.ImagePorts); err != nil {
		m.log.Warn("image ports of a new Docker container", "container", c.UUID, "err", err)
	}
}

// afterCreate settles an update check that the new Docker container answered: one running the image the check
// found is up to date.
func (p *pass) afterCreate(ctx context.Context) {
	m, c := p.m, p.c
	if !c.UpdateAvailable || c.AvailableDigest == "" || c.ImageDigest == "" ||
		imageRepository(c.AvailableDigest) != imageRepository(c.ImageDigest) || pinnedDigest(c.AvailableDigest) != pinnedDigest(c.ImageDigest) {
		return
	}
	u := c.UpdateCheck
	u.UpdateStatus, u.UpdateAvailable = store.UpdateUpToDate, false
	u.UpdateMessage = "up to date: it runs the image the last check found (" + shortDigest(c.ImageDigest) + ")"
	if ok, err := m.st.RecordUpdateCheck(context.WithoutCancel(ctx), c.UUID, c.ImageDigest, u); err == nil && ok {
		c.UpdateCheck = u
	}
}

// checkTimeout bounds one container's check within check-updates (a registry that does not answer).
const checkTimeout = 2 * time.Minute

// checkUpdates checks every container for a newer image (maintenance task check-updates). Each check is recorded
// on its container as by CheckUpdate; the items list each container with the outcome in words, the failed checks
// as errors.
func (m *Manager) checkUpdates(ctx context.Context, user *store.User, r *MaintenanceResult) error {
	if _, err := m.updateDocker(); err != nil {
		return err
	}
	records, _, err := m.st.ListContainers(ctx, store.ContainerFilter{})
	if err != nil {
		return err
	}
	counts := map[store.UpdateStatus]int{}
	failed := 0
	for _, c := range records {
		if c.State == store.StateDeleting {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		fresh, err := m.CheckUpdate(cctx, user, c.UUID)
		cancel()
		it := MaintenanceItem{Kind: "container", ID: c.UUID, Name: c.Title, Project: c.ProjectUUID, State: c.State, Reason: c.StateReason}
		if gone, gerr := m.st.GetContainer(ctx, c.UUID); err != nil && (errors.Is(gerr, store.ErrNotFound) ||
			(gerr == nil && gone.State == store.StateDeleting)) {
			continue // deleted meanwhile, or being deleted
		}
		switch {
		case errors.Is(err, ErrDockerUnavailable):
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			it.Error = "not checked: " + err.Error()
			failed++
		default:
			it.Name, it.State, it.Reason, it.Message = fresh.Title, fresh.State, fresh.StateReason, fresh.UpdateMessage
			counts[fresh.UpdateStatus]++
			if fresh.UpdateStatus == store.UpdateFailed {
				it.Message, it.Error = "", fresh.UpdateMessage
				failed++
			}
		}
		r.Items = append(r.Items, it)
	}
	n := len(r.Items)
	r.Summary = fmt.Sprintf("checked %d %s: %d with an update available", n, plural(n, "container"), counts[store.UpdateAvailable])
	if k := counts[store.UpdateLocal]; k > 0 {
		r.Summary += fmt.Sprintf(", %d that cannot be checked (built on the Docker host)", k)
	}
	if failed > 0 {
		r.Summary += fmt.Sprintf(", %d failed", failed)
	}
	return nil
}

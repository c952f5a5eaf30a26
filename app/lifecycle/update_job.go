package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/store"
)

// The update job: pull the tag while the container stays as it is, then re-create it on the new image.

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
		m.timeline(ctx, c, p.user, "container_image_update", store.StatusInfo, c.Title+" is up to date: "+msg, extra)
		upToDate("up to date: " + msg)
		return false, nil
	case !running:
		msg := "pulled " + shortDigest(newDigest) + "; the next start runs it"
		m.event(ctx, c.UUID, store.LevelInfo, p.user, "updated the image of %s (%s → %s); it runs from the next start",
			c.Image, shortDigest(oldDigest), shortDigest(newDigest))
		p.step(ctx, "update", msg, nil)
		m.timeline(ctx, c, p.user, "container_image_update", store.StatusOK, "pulled the new image of "+c.Title+" ("+
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
		m.timeline(ctx, c, p.user, "container_image_update", store.StatusFailed, "updating "+c.Title+" failed: "+err.Error(), extra)
		return true, err
	}
	p.step(ctx, "update", "updated to "+shortDigest(c.ImageDigest)+" (was "+shortDigest(oldDigest)+")", nil)
	m.timeline(ctx, c, p.user, "container_image_update", store.StatusOK, "updated "+c.Title+" to the new image of "+c.Image+" ("+
		shortDigest(oldDigest)+" → "+shortDigest(c.ImageDigest)+")", extra)
	upToDate("up to date: updated to the registry's current image " + shortDigest(c.ImageDigest))
	return true, nil
}

// updateFailed records an update that changed nothing: the container stays as it is, and the job, the kiosc event
// and the timeline say why in words.
func (p *pass) updateFailed(ctx context.Context, oldDigest string, err error) error {
	m, c := p.m, p.c
	m.event(ctx, c.UUID, store.LevelError, p.user, "update failed, nothing changed: %v", err)
	m.timeline(ctx, c, p.user, "container_image_update", store.StatusFailed, "updating "+c.Title+" failed: "+err.Error(),
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

package lifecycle

import (
	"context"
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

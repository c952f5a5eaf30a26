package lifecycle

import (
	"context"
	"sync"
	"time"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/store"
)

// LogLine is a log line as stored, served and streamed.
type LogLine struct {
	Time   time.Time `json:"time"`
	Stream string    `json:"stream"`
	Line   string    `json:"line"`
}

// Batching of stored log lines: a chatty container costs one transaction per interval, not one per line.
const (
	logFlushInterval = 250 * time.Millisecond
	logFlushLines    = 500
)

// follower ingests the logs of one Docker container.
type follower struct {
	dockerID string
	cancel   context.CancelFunc
	done     chan struct{}
}

// follow makes sure the logs of the container's current Docker container are being ingested, resuming after the
// last stored line.
func (m *Manager) follow(uuid, dockerID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ctx.Err() != nil {
		return
	}
	if f := m.followers[uuid]; f != nil {
		select {
		case <-f.done:
		default:
			if f.dockerID == dockerID {
				return
			}
			f.cancel()
		}
	}
	ctx, cancel := context.WithCancel(m.ctx)
	f := &follower{dockerID: dockerID, cancel: cancel, done: make(chan struct{})}
	m.followers[uuid] = f
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(f.done)
		m.ingest(ctx, uuid, dockerID)
	}()
}

// stopFollowing ends the ingestion of the container's logs.
func (m *Manager) stopFollowing(uuid string) {
	m.mu.Lock()
	f := m.followers[uuid]
	delete(m.followers, uuid)
	m.mu.Unlock()
	if f != nil {
		f.cancel()
		<-f.done
	}
}

func (m *Manager) ingest(ctx context.Context, uuid, dockerID string) {
	since, err := m.st.LastContainerLogTime(ctx, uuid)
	if err != nil {
		m.log.Error("logs: last stored time", "container", uuid, "err", err)
		return
	}
	var mu sync.Mutex
	var batch []store.LogLine
	flush := func() {
		mu.Lock()
		b := batch
		batch = nil
		mu.Unlock()
		if len(b) == 0 {
			return
		}
		if err := m.st.CreateContainerLogs(context.WithoutCancel(ctx), uuid, b, m.o.LogRetentionLines); err != nil {
			m.log.Error("logs: store", "container", uuid, "lines", len(b), "err", err)
		}
	}
	stop := make(chan struct{})
	tick := time.NewTicker(logFlushInterval)
	go func() {
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				flush()
			}
		}
	}()
	projectUUID := ""
	if c, err := m.st.GetContainer(ctx, uuid); err == nil {
		projectUUID = c.ProjectUUID
	}
	err = m.dk.Logs(ctx, dockerID, docker.LogOptions{Follow: true, Since: since}, func(l docker.LogLine) {
		if !l.Time.After(since) {
			return // Docker's since is inclusive; this line is stored already
		}
		mu.Lock()
		batch = append(batch, store.LogLine{Time: l.Time, Stream: l.Stream, Line: l.Line})
		full := len(batch) >= logFlushLines
		mu.Unlock()
		if full {
			flush()
		}
		if m.bus != nil {
			m.bus.Publish(events.Event{Type: events.TypeContainerLog, ProjectUUID: projectUUID, Need: access.ViewLogs, Key: uuid,
				Data: LogLine{Time: l.Time, Stream: l.Stream, Line: l.Line}})
		}
	})
	close(stop)
	flush()
	if err != nil && ctx.Err() == nil && !docker.IsNotFound(err) {
		m.log.Warn("logs: follow ended", "container", uuid, "err", err)
	}
}

// Logs returns stored log lines (oldest first): the last tail lines after since.
func (m *Manager) Logs(ctx context.Context, uuid string, since time.Time, tail int) ([]LogLine, error) {
	rows, err := m.st.ListContainerLogs(ctx, uuid, since, tail)
	if err != nil {
		return nil, err
	}
	out := make([]LogLine, 0, len(rows))
	for _, r := range rows {
		out = append(out, LogLine{Time: r.Time, Stream: r.Stream, Line: r.Line})
	}
	return out, nil
}

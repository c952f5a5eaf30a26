// Package events is the in-process event bus that feeds every live view: state changes, job progress and timeline
// events are published once and fanned out to subscribers, each with a bounded queue.
package events

import (
	"sync"

	"github.com/bihealth/kiosc/app/access"
)

// Event types pushed to browsers over /api/v1/ws.
const (
	TypeContainerState = "container.state"
	TypeJobProgress    = "job.progress"
	TypeTimelineEvent  = "timeline.event"
	TypeContainerLog   = "container.log" // internal: feeds live log streams, never sent on /api/v1/ws
)

// Event is one message. ProjectUUID and Need say who may receive it: a user needs the Need action in that project
// (superusers receive everything). An empty ProjectUUID means site-wide (superusers only).
type Event struct {
	Type        string        `json:"type"`
	Data        any           `json:"data"`
	ProjectUUID string        `json:"-"`
	Need        access.Action `json:"-"`
	// Key identifies the subject (e.g. a container UUID) so subscribers can filter cheaply.
	Key string `json:"-"`
}

// Subscription receives events until it is closed or dropped for being too slow.
type Subscription struct {
	ch     chan Event
	done   chan struct{}
	once   sync.Once
	filter func(Event) bool
}

// C delivers the events.
func (s *Subscription) C() <-chan Event { return s.ch }

// Done is closed when the subscription ends (unsubscribed or dropped because its queue was full).
func (s *Subscription) Done() <-chan struct{} { return s.done }

func (s *Subscription) stop() { s.once.Do(func() { close(s.done) }) }

// Bus fans events out to subscribers.
type Bus struct {
	mu   sync.RWMutex
	subs map[*Subscription]struct{}
	// dropped counts subscribers removed for being slow (exported as a metric).
	dropped func()
}

// New returns an empty bus. onDrop (may be nil) is called whenever a slow subscriber is dropped.
func New(onDrop func()) *Bus {
	if onDrop == nil {
		onDrop = func() {}
	}
	return &Bus{subs: map[*Subscription]struct{}{}, dropped: onDrop}
}

// Subscribe registers a subscriber with a queue of size buffer. filter (may be nil) selects events; it runs on the
// publisher's goroutine and must be fast and non-blocking.
func (b *Bus) Subscribe(buffer int, filter func(Event) bool) *Subscription {
	s := &Subscription{ch: make(chan Event, buffer), done: make(chan struct{}), filter: filter}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Unsubscribe ends a subscription.
func (b *Bus) Unsubscribe(s *Subscription) {
	b.mu.Lock()
	delete(b.subs, s)
	b.mu.Unlock()
	s.stop()
}

// Publish delivers e to every interested subscriber without ever blocking: a subscriber whose queue is full is
// dropped (its Done channel closes) so one slow client never holds up the others.
func (b *Bus) Publish(e Event) {
	var slow []*Subscription
	b.mu.RLock()
	for s := range b.subs {
		if s.filter != nil && !s.filter(e) {
			continue
		}
		select {
		case s.ch <- e:
		default:
			slow = append(slow, s)
		}
	}
	b.mu.RUnlock()
	for _, s := range slow {
		b.Unsubscribe(s)
		b.dropped()
	}
}

// Len returns the number of subscribers.
func (b *Bus) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs)
}

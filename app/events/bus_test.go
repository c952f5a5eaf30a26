package events

import (
	"sync"
	"testing"
	"time"
)

func TestFanOutAndFilter(t *testing.T) {
	b := New(nil)
	all := b.Subscribe(4, nil)
	onlyA := b.Subscribe(4, func(e Event) bool { return e.Key == "a" })
	b.Publish(Event{Type: TypeContainerState, Key: "a"})
	b.Publish(Event{Type: TypeContainerState, Key: "b"})
	if len(all.C()) != 2 || len(onlyA.C()) != 1 {
		t.Fatalf("got %d and %d events", len(all.C()), len(onlyA.C()))
	}
}

func TestSlowSubscriberIsDroppedNotBlocking(t *testing.T) {
	var drops int
	var mu sync.Mutex
	b := New(func() { mu.Lock(); drops++; mu.Unlock() })
	slow := b.Subscribe(1, nil)
	fast := b.Subscribe(100, nil)
	done := make(chan struct{})
	go func() {
		for range 50 {
			b.Publish(Event{Type: TypeJobProgress})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("publisher blocked on a slow subscriber")
	}
	select {
	case <-slow.Done():
	default:
		t.Fatal("slow subscriber not dropped")
	}
	if len(fast.C()) != 50 || b.Len() != 1 || drops != 1 {
		t.Fatalf("fast got %d, subscribers %d, drops %d", len(fast.C()), b.Len(), drops)
	}
}

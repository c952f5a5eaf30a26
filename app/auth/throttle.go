package auth

import (
	"sync"
	"time"
)

// Throttle limits failed logins per key (username, client address) within a sliding window.
type Throttle struct {
	mu      sync.Mutex
	window  time.Duration
	max     int
	fails   map[string][]time.Time
	maxKeys int
	now     func() time.Time
}

// NewThrottle allows max failures per key within window.
func NewThrottle(max int, window time.Duration) *Throttle {
	return &Throttle{window: window, max: max, fails: map[string][]time.Time{}, maxKeys: 100_000, now: time.Now}
}

// Blocked reports whether key is blocked and, if so, for how long.
func (t *Throttle) Blocked(key string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.prune(key)
	if len(f) < t.max {
		return false, 0
	}
	return true, f[0].Add(t.window).Sub(t.now())
}

// Fail records a failure for key.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fails) >= t.maxKeys {
		// Bounded memory under a spray of usernames: drop everything stale, then the oldest half if still full.
		for k := range t.fails {
			t.prune(k)
		}
		for k := range t.fails {
			if len(t.fails) < t.maxKeys/2 {
				break
			}
			delete(t.fails, k)
		}
	}
	t.fails[key] = append(t.prune(key), t.now())
}

// Reset clears a key after a successful login.
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}

func (t *Throttle) prune(key string) []time.Time {
	f := t.fails[key]
	cut := t.now().Add(-t.window)
	i := 0
	for i < len(f) && !f[i].After(cut) {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(t.fails, key)
		return nil
	}
	t.fails[key] = f
	return f
}

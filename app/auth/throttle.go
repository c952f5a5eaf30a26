package auth

import (
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Throttle counts failures per key within a sliding window. Memory is bounded: a key keeps at most max
// timestamps (the newest), and at most maxKeys keys are kept; when full, stale keys go first, then the keys whose
// last failure is oldest.
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

// Blocked reports whether key has max failures within the window and, if so, for how long it stays blocked.
func (t *Throttle) Blocked(key string) (bool, time.Duration) {
	return t.BlockedAt(key, t.max)
}

// BlockedAt is Blocked with a lower limit than the throttle's own (at most max): it reports whether key has limit
// failures within the window.
func (t *Throttle) BlockedAt(key string, limit int) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.prune(key)
	if limit > t.max {
		limit = t.max
	}
	if limit <= 0 || len(f) < limit {
		return false, 0
	}
	// f holds the newest failures in order; the window frees one when the limit-th newest leaves it.
	return true, f[len(f)-limit].Add(t.window).Sub(t.now())
}

// Count returns the number of failures of key within the window (at most max).
func (t *Throttle) Count(key string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.prune(key))
}

// Fail records a failure for key.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.prune(key)
	if f == nil && len(t.fails) >= t.maxKeys {
		t.evict()
	}
	f = append(f, t.now())
	if len(f) > t.max {
		// Only the newest max failures decide anything; older ones would only hold memory.
		f = append(f[:0], f[len(f)-t.max:]...)
	}
	t.fails[key] = f
}

// evict makes room under a spray of keys: every stale key goes, then, if still more than half full, the keys whose
// last failure is oldest (an attacker who fills the table evicts their own recent keys last).
func (t *Throttle) evict() {
	for k := range t.fails {
		t.prune(k)
	}
	if len(t.fails) < t.maxKeys/2 {
		return
	}
	type entry struct {
		key  string
		last time.Time
	}
	all := make([]entry, 0, len(t.fails))
	for k, f := range t.fails {
		all = append(all, entry{k, f[len(f)-1]})
	}
	slices.SortFunc(all, func(a, b entry) int { return a.last.Compare(b.last) })
	for _, e := range all[:len(all)-t.maxKeys/2] {
		delete(t.fails, e.key)
	}
}

// Reset clears a key after a successful login.
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}

// Len returns the number of keys held (for tests of the memory bound).
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.fails)
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

// Login throttling limits (within LoginWindow).
const (
	LoginWindow = 15 * time.Minute
	// LoginFailsPerAddr failed logins from one client address, whatever the usernames, block that address.
	LoginFailsPerAddr = 30
	// LoginFailsPerPair failed logins for one username from one address block that username from that address.
	LoginFailsPerPair = 5
	// LoginFailsUnderAttack is the per-address limit for a username that is under a distributed attack.
	LoginFailsUnderAttack = 2
	// LoginAttackThreshold failed logins for one username from all addresses together mean a distributed attack.
	LoginAttackThreshold = 50
)

// LoginThrottle decides which password logins are refused before the password is even checked.
//
// It counts failures per client address and per (username, address) pair. A pair that failed too often is blocked
// only from that address: somebody guessing admin's password from one machine never locks admin out elsewhere, and
// the right password is never refused from an address that has not failed.
//
// There is deliberately no per-username lock: anyone who knows a username could use it to lock that account out
// for everyone (the old behaviour). Failures per username are still counted, but only to tighten the per-address
// limit for that username while it is under a distributed attack (LoginAttackThreshold failures from all addresses
// in the window): each address may then fail it only LoginFailsUnderAttack times. An address without failures for
// the username is never refused by it.
//
// IPv6 clients are counted per /64, the smallest network a site is usually given, so that rotating addresses within
// it does not reset the count.
type LoginThrottle struct {
	byAddr *Throttle
	byPair *Throttle
	byUser *Throttle
}

// NewLoginThrottle returns the throttle with kiosc's limits.
func NewLoginThrottle() *LoginThrottle {
	l := &LoginThrottle{
		byAddr: NewThrottle(LoginFailsPerAddr, LoginWindow),
		byPair: NewThrottle(LoginFailsPerPair, LoginWindow),
		byUser: NewThrottle(LoginAttackThreshold, LoginWindow),
	}
	// The per-username counters only tune the pair limit; fewer of them keep the worst case small
	// (10,000 × 50 timestamps).
	l.byUser.maxKeys = 10_000
	return l
}

func (l *LoginThrottle) setNow(now func() time.Time) {
	l.byAddr.now, l.byPair.now, l.byUser.now = now, now, now
}

// addrKey is the counting unit of a client address: the address, or its /64 for IPv6. Strings that are not
// addresses (should not happen) are counted as they are.
func addrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}

func pairKey(username, addr string) string { return username + "\x00" + addrKey(addr) }

// Blocked reports whether a login of username from addr is refused now and, if so, for how long.
func (l *LoginThrottle) Blocked(username, addr string) (bool, time.Duration) {
	if blocked, wait := l.byAddr.Blocked(addrKey(addr)); blocked {
		return true, wait
	}
	limit := LoginFailsPerPair
	if l.byUser.Count(username) >= LoginAttackThreshold {
		limit = LoginFailsUnderAttack
	}
	return l.byPair.BlockedAt(pairKey(username, addr), limit)
}

// Fail records a failed login of username from addr.
func (l *LoginThrottle) Fail(username, addr string) {
	l.byAddr.Fail(addrKey(addr))
	l.byPair.Fail(pairKey(username, addr))
	l.byUser.Fail(username)
}

// Succeeded forgets the failures of username from addr. The address's own count stays: otherwise logging in to an
// account of one's own between guesses would reset the limit on guessing others.
func (l *LoginThrottle) Succeeded(username, addr string) {
	l.byPair.Reset(pairKey(username, addr))
}

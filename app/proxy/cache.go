package proxy

import (
	"hash/maphash"
	"sync/atomic"
	"time"
)

// cacheSlots is the number of entries each cache can hold (a power of two). Each key has two candidate slots; a key
// whose slots are both taken by live entries evicts the one that expires first.
const cacheSlots = 1 << 13

// ttlCache remembers values for a short time so that a burst of requests of one page (dozens of assets, API calls)
// costs one database lookup instead of one each. It sits on every proxied request, so a hit takes no lock and
// allocates nothing: the entries live in a fixed table of atomic pointers, replaced whole on every change. A
// generation counter keeps a value fetched before an invalidation from being stored after it.
type ttlCache[V any] struct {
	ttl   time.Duration
	gen   atomic.Uint64
	seed  maphash.Seed
	slots []atomic.Pointer[cacheEntry[V]]
}

type cacheEntry[V any] struct {
	key     string
	v       V
	expires int64 // unix nanoseconds
}

func newTTLCache[V any](ttl time.Duration) *ttlCache[V] {
	c := &ttlCache[V]{ttl: ttl, seed: maphash.MakeSeed()}
	if ttl > 0 {
		c.slots = make([]atomic.Pointer[cacheEntry[V]], cacheSlots)
	}
	return c
}

// getBytes returns a value that has not expired, for a key held as bytes; the lookup does not copy it.
func (c *ttlCache[V]) getBytes(key []byte) (V, bool) {
	if c.ttl <= 0 {
		var zero V
		return zero, false
	}
	i := maphash.Bytes(c.seed, key) & (cacheSlots - 1)
	if e := c.slots[i].Load(); e != nil && e.key == string(key) {
		return e.live()
	}
	if e := c.slots[i^1].Load(); e != nil && e.key == string(key) {
		return e.live()
	}
	var zero V
	return zero, false
}

// live returns the entry's value if it has not expired.
func (e *cacheEntry[V]) live() (V, bool) {
	if time.Now().UnixNano() >= e.expires {
		var zero V
		return zero, false
	}
	return e.v, true
}

// generation is read before fetching a value and passed to put.
func (c *ttlCache[V]) generation() uint64 { return c.gen.Load() }

// put stores v unless the cache was invalidated since gen was read.
func (c *ttlCache[V]) put(key string, v V, gen uint64) {
	if c.ttl <= 0 || c.gen.Load() != gen {
		return
	}
	now := time.Now().UnixNano()
	e := &cacheEntry[V]{key: key, v: v, expires: now + int64(c.ttl)}
	i := maphash.String(c.seed, key) & (cacheSlots - 1)
	a, b := c.slots[i].Load(), c.slots[i^1].Load()
	slot := &c.slots[i]
	switch {
	case a != nil && a.key == key:
	case b != nil && b.key == key:
		slot = &c.slots[i^1]
	case a == nil || now >= a.expires:
	case b == nil || now >= b.expires || b.expires < a.expires:
		slot = &c.slots[i^1]
	}
	slot.Store(e)
	// An invalidation between the check above and the store must not leave the stale value behind: forget moves the
	// generation on before it clears, so one of the two sees the other.
	if c.gen.Load() != gen {
		slot.CompareAndSwap(e, nil)
	}
}

// forget drops one key (or everything when key is "").
func (c *ttlCache[V]) forget(key string) {
	c.gen.Add(1)
	if c.ttl <= 0 {
		return
	}
	if key == "" {
		for i := range c.slots {
			c.slots[i].Store(nil)
		}
		return
	}
	i := maphash.String(c.seed, key) & (cacheSlots - 1)
	for _, j := range [2]uint64{i, i ^ 1} {
		if e := c.slots[j].Load(); e != nil && e.key == key {
			c.slots[j].CompareAndSwap(e, nil)
		}
	}
}

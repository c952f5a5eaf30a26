package proxy

import (
	"sync"
	"sync/atomic"
	"time"
)

// cacheLimit bounds each cache; past it, expired entries are dropped, and if that is not enough, all of them.
const cacheLimit = 10000

// ttlCache remembers values for a short time so that a burst of requests of one page (dozens of assets, API calls)
// costs one database lookup instead of one each. A generation counter keeps a value fetched before an
// invalidation from being stored after it.
type ttlCache[V any] struct {
	ttl time.Duration
	gen atomic.Uint64
	mu  sync.RWMutex
	m   map[string]cacheEntry[V]
}

type cacheEntry[V any] struct {
	v       V
	expires int64 // unix nanoseconds
}

func newTTLCache[V any](ttl time.Duration) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl, m: map[string]cacheEntry[V]{}}
}

// getBytes returns a value that has not expired, for a key held as bytes; the lookup does not copy it.
func (c *ttlCache[V]) getBytes(key []byte) (V, bool) {
	if c.ttl <= 0 {
		var zero V
		return zero, false
	}
	c.mu.RLock()
	e, ok := c.m[string(key)]
	c.mu.RUnlock()
	return e.live(ok)
}

// live returns the entry's value if there was one (ok) and it has not expired.
func (e cacheEntry[V]) live(ok bool) (V, bool) {
	if !ok || time.Now().UnixNano() >= e.expires {
		var zero V
		return zero, false
	}
	return e.v, true
}

// generation is read before fetching a value and passed to put.
func (c *ttlCache[V]) generation() uint64 { return c.gen.Load() }

// put stores v unless the cache was invalidated since gen was read.
func (c *ttlCache[V]) put(key string, v V, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	now := time.Now().UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	if len(c.m) >= cacheLimit {
		for k, e := range c.m {
			if now >= e.expires {
				delete(c.m, k)
			}
		}
		if len(c.m) >= cacheLimit {
			clear(c.m)
		}
	}
	c.m[key] = cacheEntry[V]{v: v, expires: now + int64(c.ttl)}
}

// forget drops one key (or everything when key is "").
func (c *ttlCache[V]) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	if key == "" {
		clear(c.m)
		return
	}
	delete(c.m, key)
}

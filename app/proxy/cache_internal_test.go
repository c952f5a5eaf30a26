package proxy

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestTTLCache(t *testing.T) {
	c := newTTLCache[int](time.Hour)
	if _, ok := c.getBytes([]byte("a")); ok {
		t.Fatal("empty cache hit")
	}
	c.put("a", 1, c.generation())
	if v, ok := c.getBytes([]byte("a")); !ok || v != 1 {
		t.Fatalf("get a = %d %v", v, ok)
	}
	c.put("a", 2, c.generation())
	if v, _ := c.getBytes([]byte("a")); v != 2 {
		t.Fatalf("replaced a = %d", v)
	}

	t.Run("a value fetched before an invalidation is not stored", func(t *testing.T) {
		gen := c.generation()
		c.forget("b")
		c.put("b", 1, gen)
		if _, ok := c.getBytes([]byte("b")); ok {
			t.Fatal("stale value stored")
		}
	})
	t.Run("forget drops one key or all", func(t *testing.T) {
		c.put("x", 1, c.generation())
		c.put("y", 1, c.generation())
		c.forget("x")
		if _, ok := c.getBytes([]byte("x")); ok {
			t.Fatal("x still there")
		}
		if _, ok := c.getBytes([]byte("y")); !ok {
			t.Fatal("y dropped with x")
		}
		c.forget("")
		if _, ok := c.getBytes([]byte("y")); ok {
			t.Fatal("y still there after forgetting all")
		}
	})
	t.Run("entries expire", func(t *testing.T) {
		short := newTTLCache[int](time.Millisecond)
		short.put("a", 1, short.generation())
		time.Sleep(5 * time.Millisecond)
		if _, ok := short.getBytes([]byte("a")); ok {
			t.Fatal("expired entry returned")
		}
	})
	t.Run("a disabled cache stores nothing", func(t *testing.T) {
		off := newTTLCache[int](-1)
		off.put("a", 1, off.generation())
		if _, ok := off.getBytes([]byte("a")); ok {
			t.Fatal("disabled cache hit")
		}
		off.forget("")
	})
	t.Run("more keys than slots: every hit is the key's own value", func(t *testing.T) {
		c := newTTLCache[string](time.Hour)
		for i := range 3 * cacheSlots {
			k := fmt.Sprint(i)
			c.put(k, k, c.generation())
		}
		hits := 0
		for i := range 3 * cacheSlots {
			k := fmt.Sprint(i)
			if v, ok := c.getBytes([]byte(k)); ok {
				hits++
				if v != k {
					t.Fatalf("%s holds %s", k, v)
				}
			}
		}
		if hits == 0 || hits > cacheSlots {
			t.Fatalf("%d hits", hits)
		}
	})
	t.Run("concurrent use", func(t *testing.T) {
		c := newTTLCache[int](time.Hour)
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 2000 {
					k := fmt.Sprint(i % 50)
					if v, ok := c.getBytes([]byte(k)); ok && v != i%50 {
						t.Errorf("%s holds %d", k, v)
						return
					}
					c.put(k, i%50, c.generation())
					if g == 0 && i%100 == 0 {
						c.forget(k)
					}
				}
			}()
		}
		wg.Wait()
	})
}

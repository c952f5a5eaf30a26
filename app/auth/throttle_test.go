package auth

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48"),
		netip.MustParsePrefix("192.0.2.10/32")}
	proxy := "10.1.2.3"
	for _, tc := range []struct {
		name string
		peer string
		xff  []string
		want string
	}{
		{"no proxy, no header", "198.51.100.7", nil, "198.51.100.7"},
		{"untrusted peer: header ignored", "198.51.100.7", []string{"203.0.113.9"}, "198.51.100.7"},
		{"untrusted peer claiming a trusted hop", "198.51.100.7", []string{"203.0.113.9, 10.0.0.1"}, "198.51.100.7"},
		{"trusted peer without header", proxy, nil, proxy},
		{"trusted peer, one client", proxy, []string{"203.0.113.9"}, "203.0.113.9"},
		{"client-written entries left of the real client", proxy, []string{"1.1.1.1, 6.6.6.6, 203.0.113.9"}, "203.0.113.9"},
		{"two trusted hops", proxy, []string{"203.0.113.9, 192.0.2.10"}, "203.0.113.9"},
		{"spoofed trusted hop left of the client stays ignored", proxy, []string{"10.9.9.9, 203.0.113.9"}, "203.0.113.9"},
		{"several header lines read as one list", proxy, []string{"1.1.1.1", "203.0.113.9, 10.0.0.5"}, "203.0.113.9"},
		{"only trusted hops: the left-most", proxy, []string{"10.0.0.7, 10.0.0.5"}, "10.0.0.7"},
		{"garbage right of the client: last trusted hop", proxy, []string{"203.0.113.9, not-an-ip, 10.0.0.5"}, "10.0.0.5"},
		{"garbage as the only entry: the peer", proxy, []string{"evil"}, proxy},
		{"empty entries skipped", proxy, []string{"203.0.113.9, , "}, "203.0.113.9"},
		{"address with port", proxy, []string{"203.0.113.9:4711"}, "203.0.113.9"},
		{"IPv6 with port", proxy, []string{"[2001:db8:1::5]:4711"}, "2001:db8:1::5"},
		{"IPv6 in brackets", proxy, []string{"[2001:db8:1::5]"}, "2001:db8:1::5"},
		{"IPv6 trusted hop", proxy, []string{"2001:db8:1::5, 2001:db8:ffff::1"}, "2001:db8:1::5"},
		{"IPv4-mapped IPv6 peer", "::ffff:10.1.2.3", []string{"203.0.113.9"}, "203.0.113.9"},
		{"IPv4-mapped client", proxy, []string{"::ffff:203.0.113.9"}, "203.0.113.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ClientAddr(netip.MustParseAddr(tc.peer), tc.xff, trusted)
			if got.String() != tc.want {
				t.Errorf("ClientAddr(%s, %q) = %s, want %s", tc.peer, tc.xff, got, tc.want)
			}
		})
	}
	if got := ClientAddr(netip.MustParseAddr(proxy), []string{"203.0.113.9"}, nil); got.String() != proxy {
		t.Errorf("without trusted proxies the header must be ignored: %s", got)
	}
}

func TestThrottleWindow(t *testing.T) {
	now := time.Unix(1000, 0)
	th := NewThrottle(3, time.Minute)
	th.now = func() time.Time { return now }
	for range 3 {
		th.Fail("k")
	}
	if blocked, wait := th.Blocked("k"); !blocked || wait != time.Minute {
		t.Fatalf("blocked=%v wait=%v", blocked, wait)
	}
	now = now.Add(61 * time.Second)
	if blocked, _ := th.Blocked("k"); blocked {
		t.Fatal("still blocked after the window")
	}
}

func TestThrottleBoundedMemory(t *testing.T) {
	now := time.Unix(1000, 0)
	th := NewThrottle(3, time.Minute)
	th.now = func() time.Time { return now }
	th.maxKeys = 100
	for range 50 {
		th.Fail("busy") // far more failures than the limit: only the newest three are kept
		now = now.Add(time.Millisecond)
	}
	if n := len(th.fails["busy"]); n != 3 {
		t.Errorf("a key holds %d timestamps, want 3", n)
	}
	for i := range 1000 {
		now = now.Add(time.Millisecond)
		th.Fail(fmt.Sprint("spray", i))
		if th.Len() > 100 {
			t.Fatalf("%d keys held, the bound is 100", th.Len())
		}
	}
	if th.Count("spray999") != 1 {
		t.Error("the newest key was evicted")
	}
}

func TestLoginThrottle(t *testing.T) {
	now := time.Unix(1000, 0)
	newThrottle := func() *LoginThrottle {
		l := NewLoginThrottle()
		l.setNow(func() time.Time { return now })
		return l
	}
	failN := func(l *LoginThrottle, user, addr string, n int) {
		for range n {
			l.Fail(user, addr)
		}
	}
	blocked := func(l *LoginThrottle, user, addr string) bool {
		b, _ := l.Blocked(user, addr)
		return b
	}

	t.Run("a pair is blocked only from its address", func(t *testing.T) {
		l := newThrottle()
		failN(l, "admin", "203.0.113.9", LoginFailsPerPair)
		if !blocked(l, "admin", "203.0.113.9") {
			t.Error("the failing address may go on guessing")
		}
		if blocked(l, "admin", "198.51.100.7") {
			t.Error("admin is locked out of a clean address")
		}
		if blocked(l, "alice", "203.0.113.9") {
			t.Error("another username is blocked before the address limit")
		}
	})

	t.Run("an address is blocked across usernames", func(t *testing.T) {
		l := newThrottle()
		for i := range LoginFailsPerAddr {
			l.Fail(fmt.Sprint("user", i), "203.0.113.9")
		}
		if !blocked(l, "fresh", "203.0.113.9") {
			t.Error("spraying usernames from one address is not limited")
		}
		if blocked(l, "user1", "198.51.100.7") {
			t.Error("another address is blocked")
		}
	})

	t.Run("a distributed attack tightens the limit for failing addresses only", func(t *testing.T) {
		l := newThrottle()
		for i := range LoginAttackThreshold {
			l.Fail("admin", fmt.Sprintf("203.0.113.%d", i))
		}
		l.Fail("admin", "192.0.2.1")
		if blocked(l, "admin", "192.0.2.1") {
			t.Error("one failure is blocked")
		}
		l.Fail("admin", "192.0.2.1")
		if !blocked(l, "admin", "192.0.2.1") {
			t.Error("under attack, an address that failed twice may go on")
		}
		if blocked(l, "admin", "198.51.100.7") {
			t.Error("under attack, a clean address is refused")
		}
	})

	t.Run("IPv6 counts per /64", func(t *testing.T) {
		l := newThrottle()
		for i := range LoginFailsPerPair {
			l.Fail("admin", fmt.Sprintf("2001:db8:1:2::%x", i+1))
		}
		if !blocked(l, "admin", "2001:db8:1:2:ffff::1") {
			t.Error("rotating addresses within a /64 escapes the limit")
		}
		if blocked(l, "admin", "2001:db8:1:3::1") {
			t.Error("the neighbouring /64 is blocked")
		}
	})

	t.Run("success clears the pair, not the address", func(t *testing.T) {
		l := newThrottle()
		failN(l, "admin", "203.0.113.9", LoginFailsPerPair-1)
		l.Succeeded("admin", "203.0.113.9")
		failN(l, "admin", "203.0.113.9", LoginFailsPerPair-1)
		if blocked(l, "admin", "203.0.113.9") {
			t.Error("the pair count survived a successful login")
		}
		if n := l.byAddr.Count(addrKey("203.0.113.9")); n != 2*(LoginFailsPerPair-1) {
			t.Errorf("address count %d after a success, want %d", n, 2*(LoginFailsPerPair-1))
		}
	})

	t.Run("the window frees a blocked pair", func(t *testing.T) {
		l := newThrottle()
		failN(l, "admin", "203.0.113.9", LoginFailsPerPair)
		b, wait := l.Blocked("admin", "203.0.113.9")
		if !b || wait != LoginWindow {
			t.Fatalf("blocked=%v wait=%v", b, wait)
		}
		now = now.Add(LoginWindow + time.Second)
		if blocked(l, "admin", "203.0.113.9") {
			t.Error("still blocked after the window")
		}
	})
}

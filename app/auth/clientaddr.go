package auth

import (
	"net/netip"
	"strings"
)

// ClientAddr returns the address of the client behind a request that arrived from peer with the given
// X-Forwarded-For header values (in the order they appear; each may list several addresses), trusting the header
// only as far as trusted proxies vouch for it.
//
// Each proxy appends the address it received the request from, so the list reads client, proxy 1, ..., and only
// the entries appended by trusted proxies are reliable: everything to their left may have been written by the
// client. The answer is therefore the right-most entry that is not itself a trusted proxy, walking from the peer
// leftwards, and the peer itself when it is not a trusted proxy (the header is then the client's own invention).
// When the walk meets something that is not an address, the last trusted hop is the best that is known. The
// left-most entry (Fiber's c.IP() with ProxyHeader) is never used: a client sets it to anything it likes.
func ClientAddr(peer netip.Addr, forwardedFor []string, trusted []netip.Prefix) netip.Addr {
	peer = peer.Unmap()
	if !IsTrusted(peer, trusted) {
		return peer
	}
	client := peer
	for i := len(forwardedFor) - 1; i >= 0; i-- {
		rest := forwardedFor[i]
		for rest != "" {
			var entry string
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				entry, rest = rest[j+1:], rest[:j]
			} else {
				entry, rest = rest, ""
			}
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue // "a, , b" and trailing commas are sloppy, not hostile
			}
			a, ok := parseForwarded(entry)
			if !ok {
				return client
			}
			client = a
			if !IsTrusted(a, trusted) {
				return a
			}
		}
	}
	// Every hop is a trusted proxy: the request started at the left-most one.
	return client
}

// IsTrusted reports whether a is inside one of the trusted prefixes.
func IsTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseForwarded reads one X-Forwarded-For entry: an address, optionally with a port ("192.0.2.1:4711",
// "[2001:db8::1]:4711"), as some proxies write them.
func parseForwarded(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

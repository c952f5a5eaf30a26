package lifecycle_test

import (
	"net"
	"testing"

	"github.com/bihealth/kiosc/app/lifecycle"
)

func TestOnLocalNetwork(t *testing.T) {
	cidr := func(s string) net.Addr {
		ip, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		n.IP = ip
		return n
	}
	host := []net.Addr{cidr("127.0.0.1/8"), cidr("10.1.2.3/24"), cidr("172.17.0.1/16"), cidr("fd00::1/64")}
	for _, tc := range []struct {
		name, ip string
		addrs    []net.Addr
		want     bool
	}{
		{"docker bridge", "172.17.0.5", host, true},
		{"other subnet", "172.18.0.5", host, false},
		{"loopback does not count", "127.0.0.2", host, false},
		{"ipv6", "fd00::42", host, true},
		{"no interfaces", "172.17.0.5", nil, false},
		{"not an address", "bridge", host, false},
		{"non-IPNet entries ignored", "172.17.0.5", []net.Addr{&net.IPAddr{IP: net.ParseIP("172.17.0.1")}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := lifecycle.OnLocalNetwork(tc.addrs, tc.ip); got != tc.want {
				t.Errorf("OnLocalNetwork(%s) = %v, want %v", tc.ip, got, tc.want)
			}
		})
	}
}

package lifecycle

import (
	"strings"
	"testing"
)

func TestResolveUser(t *testing.T) {
	passwd := []byte(`root:x:0:0:root:/root:/bin/bash
# a comment
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
jovyan:x:1000:100::/home/jovyan:/bin/bash
broken:x:abc:1::/:/bin/sh
short:x
rstudio:x:1001:1001::/home/rstudio:/bin/bash
`)
	group := []byte("root:x:0:\nusers:x:100:jovyan\nstaff:x:50:rstudio,jovyan\nbad:x:y:\n")
	for _, tc := range []struct {
		user string
		want string
		err  string
	}{
		{user: "1000:100", want: "1000:100"},
		{user: "jovyan", want: "1000:100"},
		{user: "rstudio", want: "1001:1001"},
		{user: "jovyan:staff", want: "1000:50"},
		{user: "jovyan:7", want: "1000:7"},
		{user: "1000", want: "1000:100"}, // a known uid: its primary group
		{user: "4242", want: "4242:0"},   // an unknown uid runs with group 0, as Docker does
		{user: "4242:users", want: "4242:100"},
		{user: "0", want: "0:0"},
		{user: "bob", err: `the user "bob" is not known in the image`},
		{user: "broken", err: `the user "broken" is not known`},
		{user: "jovyan:nogroup", err: `the group "nogroup" is not known in the image`},
		{user: "jovyan:bad", err: `the group "bad" is not known`},
	} {
		t.Run(tc.user, func(t *testing.T) {
			o, err := resolveUser(tc.user, passwd, group)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, %v; want error %q", o, err, tc.err)
				}
				return
			}
			if err != nil || o.String() != tc.want {
				t.Errorf("got %v, %v; want %s", o, err, tc.want)
			}
		})
	}
	// An image without the files (FROM scratch) knows numbers only.
	if o, err := resolveUser("1000", nil, nil); err != nil || o.String() != "1000:0" {
		t.Errorf("without passwd: %v %v", o, err)
	}
	if _, err := resolveUser("jovyan", nil, nil); err == nil {
		t.Error("a name resolved without passwd")
	}
	for user, want := range map[string][2]bool{"1000:100": {false, false}, "1000": {true, false}, "jovyan": {true, false},
		"jovyan:users": {true, true}, "1000:users": {false, true}} {
		if needsPasswd(user) != want[0] || needsGroup(user) != want[1] {
			t.Errorf("%s: needs passwd %v group %v", user, needsPasswd(user), needsGroup(user))
		}
	}
}

package lifecycle

import (
	"reflect"
	"testing"
)

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{"", nil, false},
		{"jupyter lab --port 8888", []string{"jupyter", "lab", "--port", "8888"}, false},
		{`sh -c 'echo "hi there"; exit 3'`, []string{"sh", "-c", `echo "hi there"; exit 3`}, false},
		{`a "b \"c\" \$d" e\ f`, []string{"a", `b "c" $d`, "e f"}, false},
		{`--x='' y`, []string{"--x=", "y"}, false},
		{"a\tb\n c", []string{"a", "b", "c"}, false},
		{`a 'b`, nil, true},
		{`a "b`, nil, true},
		{`a \`, nil, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := SplitCommand(tc.in)
			if (err != nil) != tc.bad {
				t.Fatalf("err = %v", err)
			}
			if !tc.bad && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	p := Placeholders{BasePath: "/containers/proxy/u1/", PublicURL: "http://k/containers/proxy/u1/", ContainerUUID: "u1"}
	got := p.Expand("--base=${KIOSC_BASE_PATH} --url=${KIOSC_PUBLIC_URL} --id=${KIOSC_CONTAINER_UUID} --p=__KIOSC_URL_PREFIX__/x ${HOME}")
	want := "--base=/containers/proxy/u1/ --url=http://k/containers/proxy/u1/ --id=u1 --p=/containers/proxy/u1/x ${HOME}"
	if got != want {
		t.Errorf("got %q", got)
	}
}

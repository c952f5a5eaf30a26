package settings

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

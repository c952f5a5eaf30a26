package procnet

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func same(t *testing.T, got, want []Socket) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func unknown(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrUnknown) {
		t.Errorf("got %v, want ErrUnknown", err)
	}
}

const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1B58 00000000:0000 0A 00000000:00000000 00:00:00:00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00:00:00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   3: 0B00007F:B6DB 00000000:0000 0A 00000000:00000000 00:00:00:00000000     0        0 7 1 0000000000000000 100 0 0 10 0
   2: 0100007F:0050 0100007F:9C40 01 00000000:00000000 00:00:00:00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
`

const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00:00:00000000     0        0 4 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00:00:00000000     0        0 5 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:2710 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00:00:00000000     0        0 6 1 0000000000000000 100 0 0 10 0
`

func TestParse(t *testing.T) {
	socks, err := Parse(strings.NewReader(tcp))
	must(t, err)
	// The established connection (st 01) is not a listener, nor is Docker's DNS resolver on 127.0.0.11.
	same(t, socks, []Socket{{Port: 7000}, {Port: 8080, Loopback: true}})

	socks, err = Parse(strings.NewReader(tcp6))
	must(t, err)
	same(t, socks, []Socket{{Port: 8080}, {Port: 9000, Loopback: true}, {Port: 10000, Loopback: true}})

	_, err = Parse(strings.NewReader("header\n 0: 00000000:ZZZZ 00000000:0000 0A\n"))
	if err == nil {
		t.Error("a bad port parsed")
	}
}

func writeProc(t *testing.T, pid, cgroup string, tables map[string]string) string {
	t.Helper()
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, pid, "net"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, pid, "cgroup"), []byte(cgroup), 0o644))
	for name, body := range tables {
		must(t, os.WriteFile(filepath.Join(root, pid, "net", name), []byte(body), 0o644))
	}
	return root
}

func TestListening(t *testing.T) {
	id := "4f1c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123456"
	root := writeProc(t, "4242", "0::/system.slice/docker-"+id+".scope\n", map[string]string{"tcp": tcp, "tcp6": tcp6})

	socks, err := Listening(root, 4242, id)
	must(t, err)
	// 8080 listens on 127.0.0.1 (tcp) and on every address (tcp6): reachable.
	same(t, socks, []Socket{{Port: 7000}, {Port: 8080}, {Port: 9000, Loopback: true}, {Port: 10000, Loopback: true}})

	// A process that is not the container's (another PID namespace) is never read.
	_, err = Listening(root, 4242, "feedbeef0000")
	unknown(t, err)
	_, err = Listening(root, 4343, id)
	unknown(t, err)
	_, err = Listening(root, 0, id)
	unknown(t, err)

	// No tables at all: unknown, not "nothing listens".
	bare := writeProc(t, "7", "0::/docker/"+id+"\n", nil)
	_, err = Listening(bare, 7, id)
	unknown(t, err)

	// Tables without listeners: known to listen nowhere.
	empty := writeProc(t, "8", "0::/docker/"+id+"\n", map[string]string{"tcp": strings.SplitAfter(tcp, "\n")[0]})
	socks, err = Listening(empty, 8, id)
	must(t, err)
	if socks == nil || len(socks) != 0 {
		t.Errorf("got %v, want an empty list", socks)
	}
}

package secrets

import (
	"os"
	"path/filepath"
	"testing"
)

func TestKeyFileCreatedOnceWithMode0600(t *testing.T) {
	dir := t.TempDir()
	k1, created, err := Load("", dir)
	if err != nil || !created {
		t.Fatalf("Load = %v, created %v", err, created)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st, err)
	}
	sealed := k1.Encrypt([]byte("hunter2"))
	k2, created, err := Load("", dir)
	if err != nil || created {
		t.Fatalf("second Load = %v, created %v", err, created)
	}
	if got, err := k2.Decrypt(sealed); err != nil || string(got) != "hunter2" {
		t.Fatalf("Decrypt = %q, %v", got, err)
	}
}

func TestConfiguredKeyAndTampering(t *testing.T) {
	k, _, err := Load("0123456789abcdef0123456789abcdef", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	other, _ := New([]byte("another key another key another key"))
	sealed := k.Encrypt([]byte("x"))
	if _, err := other.Decrypt(sealed); err == nil {
		t.Fatal("decrypted with the wrong key")
	}
	if _, err := k.Decrypt(sealed[:len(sealed)-2] + "AA"); err == nil {
		t.Fatal("tampered value decrypted")
	}
	sig := k.Sign("p", []byte("m"))
	if !k.Verify("p", []byte("m"), sig) || k.Verify("q", []byte("m"), sig) || k.Verify("p", []byte("n"), sig) {
		t.Fatal("signature checks wrong")
	}
}

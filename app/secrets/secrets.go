// Package secrets holds the instance key: it encrypts secrets at rest (AES-256-GCM) and signs values (HMAC-SHA256).
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFile is the name of the generated key inside the data directory.
const KeyFile = "secret.key"

// Keys are the subkeys derived from the instance secret, one per purpose.
type Keys struct {
	aead cipher.AEAD
	sign []byte
}

// Load derives the keys from configured (KIOSC_SECRET_KEY) when set, otherwise from the key file in dataDir,
// creating it with mode 0600 when absent.
func Load(configured, dataDir string) (*Keys, bool, error) {
	created := false
	master := []byte(configured)
	if configured == "" {
		path := filepath.Join(dataDir, KeyFile)
		b, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			raw := make([]byte, 32)
			if _, err := rand.Read(raw); err != nil {
				return nil, false, err
			}
			b = []byte(hex.EncodeToString(raw) + "\n")
			// O_EXCL: two processes starting at once must not overwrite each other's key.
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return nil, false, fmt.Errorf("create %s: %w", path, err)
			}
			if _, err := f.Write(b); err != nil {
				_ = f.Close()
				return nil, false, fmt.Errorf("write %s: %w", path, err)
			}
			if err := f.Sync(); err != nil {
				_ = f.Close()
				return nil, false, err
			}
			if err := f.Close(); err != nil {
				return nil, false, err
			}
			created = true
		case err != nil:
			return nil, false, fmt.Errorf("read %s: %w", path, err)
		}
		master = []byte(strings.TrimSpace(string(b)))
		if len(master) < 32 {
			return nil, false, fmt.Errorf("%s is too short; remove it to generate a new one (encrypted secrets are then lost)", path)
		}
	}
	k, err := New(master)
	return k, created, err
}

// New derives the keys from a master secret.
func New(master []byte) (*Keys, error) {
	block, err := aes.NewCipher(derive(master, "kiosc encryption v1"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keys{aead: aead, sign: derive(master, "kiosc signing v1")}, nil
}

func derive(master []byte, purpose string) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// Encrypt seals plaintext; the result is printable (base64) and carries its own nonce.
func (k *Keys) Encrypt(plaintext []byte) string {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return "v1:" + base64.RawStdEncoding.EncodeToString(k.aead.Seal(nonce, nonce, plaintext, nil))
}

// Decrypt opens a value sealed by Encrypt.
func (k *Keys) Decrypt(sealed string) ([]byte, error) {
	raw, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return nil, errors.New("secrets: unknown format")
	}
	b, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(b) < k.aead.NonceSize() {
		return nil, errors.New("secrets: malformed value")
	}
	out, err := k.aead.Open(nil, b[:k.aead.NonceSize()], b[k.aead.NonceSize():], nil)
	if err != nil {
		return nil, errors.New("secrets: cannot decrypt (was the secret key changed?)")
	}
	return out, nil
}

// Sign returns an HMAC of msg for the given purpose, URL-safe base64.
func (k *Keys) Sign(purpose string, msg []byte) string {
	m := hmac.New(sha256.New, k.sign)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(msg)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify checks a signature made by Sign in constant time.
func (k *Keys) Verify(purpose string, msg []byte, sig string) bool {
	return hmac.Equal([]byte(k.Sign(purpose, msg)), []byte(sig))
}

// RandomToken returns n random bytes, URL-safe base64 encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Hash returns the hex SHA-256 of s (for storing session IDs and API tokens).
func Hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

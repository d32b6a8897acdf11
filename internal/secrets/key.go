package secrets

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// LoadKey reads the key that makes fingerprints stable across runs,
// creating a random one (readable by its owner only) when file does not
// exist. The key never leaves the machine: fingerprints made with it
// cannot be reversed to the secret by someone without it.
func LoadKey(file string) ([]byte, error) {
	key, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("draw key: %w", err)
		}
		if err := os.WriteFile(file, key, 0o600); err != nil {
			return nil, fmt.Errorf("write key: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	if len(key) < 16 {
		return nil, fmt.Errorf("key file %s: want at least 16 bytes, found %d", file, len(key))
	}
	return key, nil
}

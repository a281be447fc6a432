package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// encPrefix marks a value encrypted at rest, and its format version, so
// that a value written before a key was configured still reads (as the
// clear text it is) and a later format can be told apart.
const encPrefix = "enc:v1:"

// Cipher encrypts free text at rest with AES-256-GCM. Each value gets a
// fresh random nonce, so equal texts look different in Redis.
type Cipher struct {
	aead cipher.AEAD
}

// NewCipher takes a 32-byte key in base64 (standard or URL alphabet, with
// or without padding), e.g. the output of `openssl rand -base64 32`.
func NewCipher(base64Key string) (*Cipher, error) {
	s := strings.TrimSpace(base64Key)
	var key []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return nil, errors.New("the encryption key is not base64")
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("the encryption key is %d bytes; AES-256 needs 32 (openssl rand -base64 32)", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	return &Cipher{aead: aead}, nil
}

// Encrypt seals a value. The empty string stays empty: there is nothing to
// hide, and a blanked (purged) field stays recognisably blank.
func (c *Cipher) Encrypt(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("nonce: %w", err)
	}
	sealed := c.aead.Seal(nonce, nonce, []byte(plain), nil)
	return encPrefix + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// Decrypt opens a value sealed by Encrypt. A value without the prefix was
// stored in clear (before a key was configured) and is returned as it is.
func (c *Cipher) Decrypt(stored string) (string, error) {
	if !strings.HasPrefix(stored, encPrefix) {
		return stored, nil
	}
	if c == nil {
		return "", errors.New("a value is encrypted at rest but no encryption key is configured")
	}
	raw, err := base64.RawStdEncoding.DecodeString(stored[len(encPrefix):])
	if err != nil {
		return "", fmt.Errorf("encrypted value: %w", err)
	}
	n := c.aead.NonceSize()
	if len(raw) < n {
		return "", errors.New("encrypted value is truncated")
	}
	plain, err := c.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", errors.New("an encrypted value does not open with this key (wrong key, or the value was altered)")
	}
	return string(plain), nil
}

// seal encrypts when a cipher is configured and leaves the text alone otherwise.
func (c *Cipher) seal(plain string) (string, error) {
	if c == nil {
		return plain, nil
	}
	return c.Encrypt(plain)
}

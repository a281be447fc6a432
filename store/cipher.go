package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Formats of a value encrypted at rest. The prefix tells an encrypted
// value from one written in clear before a key was configured (which still
// reads as the clear text it is), and one format from the next:
//
//	enc:v1:<base64(nonce|sealed)>        one key, no key id (read only)
//	enc:v2:<key id>:<base64(nonce|sealed)>
//
// The key id is the first 8 hex digits of SHA-256 over a label and the
// key: it names the key without revealing anything of it, so a value says
// which of several keys opens it.
const (
	encPrefix   = "enc:"
	encPrefixV1 = "enc:v1:"
	encPrefixV2 = "enc:v2:"
)

// Cipher encrypts free text at rest with AES-256-GCM under the newest of
// its keys and decrypts with whichever key a value names. Each value gets
// a fresh random nonce, so equal texts look different in Redis.
type Cipher struct {
	keys []cipherKey // newest first
}

type cipherKey struct {
	id   string
	aead cipher.AEAD
}

// NewCipher takes one 32-byte key in base64 (standard or URL alphabet,
// with or without padding), e.g. the output of `openssl rand -base64 32`.
func NewCipher(base64Key string) (*Cipher, error) { return NewKeyring(base64Key) }

// NewKeyring takes several keys, newest first: values are sealed with the
// first, and any of them opens a value that names it (ESCALATE_ENCRYPTION_KEYS
// while keys rotate; `escalate rekey` then rewraps everything under the
// newest, after which the older ones can go).
func NewKeyring(base64Keys ...string) (*Cipher, error) {
	if len(base64Keys) == 0 {
		return nil, errors.New("no encryption key")
	}
	c := &Cipher{}
	seen := map[string]bool{}
	for i, k := range base64Keys {
		key, err := decodeKey(k)
		if err != nil {
			if len(base64Keys) > 1 {
				return nil, fmt.Errorf("key %d: %w", i+1, err)
			}
			return nil, err
		}
		id := KeyID(key)
		if seen[id] {
			return nil, fmt.Errorf("key %d is given twice (key id %s)", i+1, id)
		}
		seen[id] = true
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("encryption key: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("encryption key: %w", err)
		}
		c.keys = append(c.keys, cipherKey{id: id, aead: aead})
	}
	return c, nil
}

func decodeKey(base64Key string) ([]byte, error) {
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
	return key, nil
}

// KeyID names a key: 8 hex digits of SHA-256("escalate key id\x00" + key).
func KeyID(key []byte) string {
	h := sha256.Sum256(append([]byte("escalate key id\x00"), key...))
	return hex.EncodeToString(h[:4])
}

// KeyIDs are the ids of the cipher's keys, newest first.
func (c *Cipher) KeyIDs() []string {
	if c == nil {
		return nil
	}
	ids := make([]string, len(c.keys))
	for i, k := range c.keys {
		ids[i] = k.id
	}
	return ids
}

// Encrypt seals a value under the newest key. The empty string stays
// empty: there is nothing to hide, and a blanked (purged) field stays
// recognisably blank.
func (c *Cipher) Encrypt(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	k := c.keys[0]
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("nonce: %w", err)
	}
	sealed := k.aead.Seal(nonce, nonce, []byte(plain), nil)
	return encPrefixV2 + k.id + ":" + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// Decrypt opens a value sealed by Encrypt with the key it names (a value
// of the first format, which names none, with whichever key opens it). A
// value without the prefix was stored in clear (before a key was
// configured) and is returned as it is.
func (c *Cipher) Decrypt(stored string) (string, error) {
	if !strings.HasPrefix(stored, encPrefix) {
		return stored, nil
	}
	if c == nil {
		return "", errors.New("a value is encrypted at rest but no encryption key is configured")
	}
	var candidates []cipherKey
	var body string
	switch {
	case strings.HasPrefix(stored, encPrefixV2):
		id, rest, ok := strings.Cut(stored[len(encPrefixV2):], ":")
		if !ok {
			return "", errors.New("encrypted value has no key id")
		}
		for _, k := range c.keys {
			if k.id == id {
				candidates = append(candidates, k)
			}
		}
		if len(candidates) == 0 {
			return "", fmt.Errorf("a value is encrypted with key %s, which is not among the configured keys (%s)", id, strings.Join(c.KeyIDs(), ", "))
		}
		body = rest
	case strings.HasPrefix(stored, encPrefixV1):
		candidates, body = c.keys, stored[len(encPrefixV1):]
	default:
		return "", errors.New("encrypted value of an unknown format")
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil {
		return "", fmt.Errorf("encrypted value: %w", err)
	}
	for _, k := range candidates {
		n := k.aead.NonceSize()
		if len(raw) < n {
			return "", errors.New("encrypted value is truncated")
		}
		if plain, err := k.aead.Open(nil, raw[:n], raw[n:], nil); err == nil {
			return string(plain), nil
		}
	}
	return "", errors.New("an encrypted value does not open with its key (wrong key, or the value was altered)")
}

// current reports whether a stored value needs no rewrap: it is empty, in
// clear with no cipher configured, or sealed under the newest key.
func (c *Cipher) current(stored string) bool {
	if c == nil {
		return !strings.HasPrefix(stored, encPrefix)
	}
	return stored == "" || strings.HasPrefix(stored, encPrefixV2+c.keys[0].id+":")
}

// rewrap opens a value and seals it again under the newest key (a value
// in clear is sealed for the first time).
func (c *Cipher) rewrap(stored string) (string, error) {
	plain, err := c.Decrypt(stored)
	if err != nil {
		return "", err
	}
	return c.seal(plain)
}

// seal encrypts when a cipher is configured and leaves the text alone otherwise.
func (c *Cipher) seal(plain string) (string, error) {
	if c == nil {
		return plain, nil
	}
	return c.Encrypt(plain)
}

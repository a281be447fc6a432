package weblink

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// Errors Check returns (wrapped): the page tells a person which it was.
var (
	ErrForged  = errors.New("link is not one Escalate made")
	ErrExpired = errors.New("link has expired")
)

// Signer issues and checks tokens under one key.
type Signer struct {
	key []byte
	ttl time.Duration
}

// New derives the link key from secret (the encryption key, or any secret
// of at least 16 bytes) and issues links valid for ttl.
func New(secret []byte, ttl time.Duration) (*Signer, error) {
	if len(secret) < 16 {
		return nil, errors.New("weblink: the secret must be at least 16 bytes")
	}
	if ttl <= 0 {
		return nil, errors.New("weblink: the link lifetime must be positive")
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("escalate web links v1"))
	return &Signer{key: m.Sum(nil), ttl: ttl}, nil
}

// TTL is how long a link lasts.
func (s *Signer) TTL() time.Duration { return s.ttl }

// Link is what a checked token says.
type Link struct {
	ID      string // random, unique to this token
	User    workflow.UserID
	Issued  time.Time
	Expires time.Time
}

// Issue makes a token for user at now.
func (s *Signer) Issue(user workflow.UserID, now time.Time) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("weblink: random link id: %w", err)
	}
	body := strings.Join([]string{
		"v1",
		base64.RawURLEncoding.EncodeToString([]byte(user)),
		strconv.FormatInt(now.Unix(), 10),
		strconv.FormatInt(now.Add(s.ttl).Unix(), 10),
		hex.EncodeToString(b[:]),
	}, ".")
	return body + "." + s.mac(body), nil
}

func (s *Signer) mac(body string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Check verifies a token's signature, then its expiry at now. An expired
// token's Link is returned with ErrExpired, so the page can offer a new
// one to the person it was for.
func (s *Signer) Check(token string, now time.Time) (Link, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 6 || parts[0] != "v1" {
		return Link{}, ErrForged
	}
	body := strings.Join(parts[:5], ".")
	if !hmac.Equal([]byte(s.mac(body)), []byte(parts[5])) {
		return Link{}, ErrForged
	}
	user, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || len(user) == 0 {
		return Link{}, ErrForged
	}
	iss, err1 := strconv.ParseInt(parts[2], 10, 64)
	exp, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || len(parts[4]) != 32 {
		return Link{}, ErrForged
	}
	l := Link{ID: parts[4], User: workflow.UserID(user), Issued: time.Unix(iss, 0), Expires: time.Unix(exp, 0)}
	if !now.Before(l.Expires) {
		return l, ErrExpired
	}
	return l, nil
}

// Links makes whole links, Base + "/link/" + token, for email.Linker.
type Links struct {
	Base   string // ESCALATE_PUBLIC_URL, without a trailing slash
	Signer *Signer
	Now    func() time.Time
}

// Link issues a fresh link for user.
func (l Links) Link(_ context.Context, user workflow.UserID) (string, error) {
	tok, err := l.Signer.Issue(user, l.Now())
	if err != nil {
		return "", err
	}
	return l.Base + "/link/" + tok, nil
}

// Subkey is a key for another purpose (the web page's CSRF tokens), derived
// from the link key so one secret serves both and neither reveals the other.
func (s *Signer) Subkey(purpose string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("escalate subkey|" + purpose))
	return m.Sum(nil)
}

// MsgNewLink is the message that brings a person a fresh link when theirs
// expired or was used: it carries nothing but the link the email adds.
const MsgNewLink workflow.MessageKind = "new-link"

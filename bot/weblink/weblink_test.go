package weblink

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

func TestIssueCheckForgeExpire(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s, err := New([]byte("0123456789abcdef0123456789abcdef"), 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	user := workflow.UserID("email:head@school.example")
	tok, err := s.Issue(user, now)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.Check(tok, now.Add(6*24*time.Hour))
	if err != nil || l.User != user || !l.Expires.Equal(now.Add(7*24*time.Hour)) {
		t.Fatalf("Check = %+v, %v", l, err)
	}
	if tok2, _ := s.Issue(user, now); tok2 == tok {
		t.Error("two links for one person at one time are the same token")
	}
	if _, err := s.Check(tok, now.Add(7*24*time.Hour)); !errors.Is(err, ErrExpired) {
		t.Errorf("after 7 days: %v, want expired", err)
	}
	// Any change to the person, times or id breaks the signature.
	parts := strings.Split(tok, ".")
	parts[1] = "ZW1haWw6b3RoZXJAc2Nob29sLmV4YW1wbGU" // email:other@school.example
	for _, bad := range []string{strings.Join(parts, "."), tok[:len(tok)-2] + "AA", "v1.x.y", "", strings.Replace(tok, "v1", "v2", 1)} {
		if _, err := s.Check(bad, now); !errors.Is(err, ErrForged) {
			t.Errorf("Check(%q) = %v, want forged", bad, err)
		}
	}
	other, _ := New([]byte("another key of at least 16 bytes"), time.Hour)
	if _, err := other.Check(tok, now); !errors.Is(err, ErrForged) {
		t.Errorf("another key accepted the token: %v", err)
	}
}

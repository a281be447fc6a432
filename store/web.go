package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/workflow"
)

// The web page's state for people reached by email. Keys (under the hash tag):
//
//	web:link:<sha256(link id)>      a link that was used (or renewed); expires with the link
//	web:session:<sha256(session)>   "<user>|<issued µs>"; expires with the session
//	web:revoked                     hash: user → µs before which their links and sessions are void
//	once:email:<outbox item id>     an email the SMTP server accepted, or "committing" while its end is on its way (see MarkEmailCommitting)
//
// Only hashes of link ids and session ids are kept, so reading Redis does
// not give anyone a way in.

func hashed(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// UseLink marks a link id used and reports whether this was the first use.
// ttl should outlast the link.
func (s *Store) UseLink(ctx context.Context, linkID string, ttl time.Duration) (bool, error) {
	first, err := s.rdb.SetNX(ctx, s.key("web:link:", hashed(linkID)), "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("use link: %w", err)
	}
	return first, nil
}

// LinkUsed reports whether a link id was used, without using it.
func (s *Store) LinkUsed(ctx context.Context, linkID string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.key("web:link:", hashed(linkID))).Result()
	if err != nil {
		return false, fmt.Errorf("read link use: %w", err)
	}
	return n == 1, nil
}

// PutSession keeps a web session for user until ttl passes.
func (s *Store) PutSession(ctx context.Context, session string, user workflow.UserID, issued time.Time, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.key("web:session:", hashed(session)), string(user)+"|"+micros(issued), ttl).Err(); err != nil {
		return fmt.Errorf("put session: %w", err)
	}
	return nil
}

// Session finds a live web session: its person and when it began.
func (s *Store) Session(ctx context.Context, session string) (workflow.UserID, time.Time, bool, error) {
	v, err := s.rdb.Get(ctx, s.key("web:session:", hashed(session))).Result()
	if errors.Is(err, redis.Nil) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("read session: %w", err)
	}
	i := len(v) - 1
	for i >= 0 && v[i] != '|' {
		i--
	}
	if i < 0 {
		return "", time.Time{}, false, nil
	}
	us, err := strconv.ParseInt(v[i+1:], 10, 64)
	if err != nil {
		return "", time.Time{}, false, nil
	}
	return workflow.UserID(v[:i]), time.UnixMicro(us), true, nil
}

// EndSession removes a web session (sign out).
func (s *Store) EndSession(ctx context.Context, session string) error {
	if err := s.rdb.Del(ctx, s.key("web:session:", hashed(session))).Err(); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// RevokeLinks voids every link and session of user issued before at.
func (s *Store) RevokeLinks(ctx context.Context, user workflow.UserID, at time.Time) error {
	if err := s.rdb.HSet(ctx, s.key("web:revoked"), string(user), micros(at)).Err(); err != nil {
		return fmt.Errorf("revoke links: %w", err)
	}
	return nil
}

// LinksRevokedAt is when user's links were last revoked (zero: never).
func (s *Store) LinksRevokedAt(ctx context.Context, user workflow.UserID) (time.Time, error) {
	v, err := s.rdb.HGet(ctx, s.key("web:revoked"), string(user)).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read link revocation: %w", err)
	}
	us, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("read link revocation: %w", err)
	}
	return time.UnixMicro(us), nil
}

// EmailSent reports whether the SMTP server accepted the email of an
// outbox item (see MarkEmailSent).
func (s *Store) EmailSent(ctx context.Context, itemID string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.key("once:email:", itemID)).Result()
	if err != nil {
		return false, fmt.Errorf("read email sent: %w", err)
	}
	return n == 1, nil
}

// MarkEmailSent records that the SMTP server accepted an outbox item's
// email, for as long as an item can come back (30 days).
func (s *Store) MarkEmailSent(ctx context.Context, itemID string) error {
	if err := s.rdb.Set(ctx, s.key("once:email:", itemID), "1", 30*24*time.Hour).Err(); err != nil {
		return fmt.Errorf("mark email sent: %w", err)
	}
	return nil
}

// emailCommitting is the value of once:email:<id> while an email's last
// line is on its way to the SMTP server and its answer is not yet known.
const emailCommitting = "committing"

// MarkEmailCommitting records that an outbox item's email is complete and
// about to be committed (the end of its DATA sent): from then on the
// server may have it. EmailSent reports it as sent.
func (s *Store) MarkEmailCommitting(ctx context.Context, itemID string) error {
	if err := s.rdb.Set(ctx, s.key("once:email:", itemID), emailCommitting, 30*24*time.Hour).Err(); err != nil {
		return fmt.Errorf("mark email committing: %w", err)
	}
	return nil
}

// EmailCommitting reports whether an item's email was left committing:
// its end was sent and its answer never recorded.
func (s *Store) EmailCommitting(ctx context.Context, itemID string) (bool, error) {
	v, err := s.rdb.Get(ctx, s.key("once:email:", itemID)).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read email committing: %w", err)
	}
	return v == emailCommitting, nil
}

// ClearEmailCommitting forgets a committing mark the server answered with
// a refusal: the email was not taken and may be sent again.
func (s *Store) ClearEmailCommitting(ctx context.Context, itemID string) error {
	if err := s.rdb.Del(ctx, s.key("once:email:", itemID)).Err(); err != nil {
		return fmt.Errorf("clear email committing: %w", err)
	}
	return nil
}

package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/workflow"
)

// ErrNotParked is returned (wrapped) by Replay for an id that is not parked.
var ErrNotParked = errors.New("no such parked outbox item")

// OutboxItem is one message for one platform.
type OutboxItem struct {
	// ID is the message's ID and the target: "ESC-2026-0042/3/1@slack".
	ID string
	// Target is the platform that delivers it: "slack", "teams", "console".
	Target  string
	Message workflow.Message
	// Attempts is the number of failed deliveries so far.
	Attempts   int
	EnqueuedAt time.Time
	LastError  string
	// Token identifies the claim (empty for a parked item).
	Token string
	// ParkedAt is when it was parked (zero unless parked).
	ParkedAt time.Time
	// PendingSince is when the first attempt to deliver it began (the
	// pending marker PendOutbox wrote before calling the platform); zero
	// when no platform was ever called for it. A transport given an item
	// with PendingSince set looks for the message it may already have
	// delivered (crash or store failure after the platform's answer)
	// before delivering it again.
	PendingSince time.Time
}

// ErrClaimLost is returned (wrapped) by PendOutbox when the item's claim is
// no longer the caller's (its lease ran out and another sender took it).
var ErrClaimLost = errors.New("outbox claim no longer held")

// PendOutbox records, before the platform is called, that delivery of a
// claimed item is under way (the first attempt's time is kept), and
// returns that time. It wraps ErrClaimLost when the claim is no longer
// its holder's: the item must then not be sent.
func (s *Store) PendOutbox(ctx context.Context, it OutboxItem) (time.Time, error) {
	v, err := pendOutboxScript.Run(ctx, s.rdb, []string{s.key("ob")}, s.base, it.ID, it.Token, strconv.FormatInt(s.now().UnixMilli(), 10)).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, fmt.Errorf("pend outbox item %s: %w", it.ID, ErrClaimLost)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("pend outbox item %s: %w", it.ID, err)
	}
	ms, err := strconv.ParseInt(fmt.Sprint(v), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("pend outbox item %s: pending time %q", it.ID, v)
	}
	return time.UnixMilli(ms), nil
}

// ItemID is the outbox id of a message for one platform.
func ItemID(messageID, target string) string { return messageID + "@" + target }

// targets are the platforms a message goes to: a DM to its recipient's
// platform, a feed post to every feed platform.
func (s *Store) targets(m workflow.Message) ([]string, error) {
	switch {
	case m.Feed:
		return s.opts.FeedPlatforms, nil
	case m.To != "":
		p := m.To.Platform()
		if p == "" || p == string(m.To) {
			return nil, fmt.Errorf("message %s is for %q, which names no platform", m.ID, m.To)
		}
		return []string{p}, nil
	}
	return nil, fmt.Errorf("message %s has neither a recipient nor the feed", m.ID)
}

// outboxScore is a time as an outbox score: milliseconds × 1000. The
// enqueue script fills the last three digits with a sequence, so items
// keep their order within a millisecond; a claimer at a time sees every
// item of that millisecond (outboxNow).
func outboxScore(t time.Time) string { return strconv.FormatInt(t.UnixMilli()*1000, 10) }

// outboxNow is the highest score due at t.
func outboxNow(t time.Time) string { return strconv.FormatInt(t.UnixMilli()*1000+999, 10) }

// fromOutboxScore reverses outboxScore (to the millisecond).
func fromOutboxScore(score int64) time.Time { return time.UnixMilli(score / 1000) }

// outboxArgs lays out messages as the scripts read outbox items: count,
// then id, target, message and enqueue time (ms) for each.
func (s *Store) outboxArgs(msgs []workflow.Message, at time.Time, newIDs bool) ([]any, error) {
	var args []any
	n := 0
	ms := strconv.FormatInt(at.UnixMilli(), 10)
	for _, m := range msgs {
		if m.ID == "" {
			if !newIDs {
				return nil, fmt.Errorf("a %s message has no ID", m.Kind)
			}
			tok, err := newToken()
			if err != nil {
				return nil, err
			}
			m.ID = "msg-" + tok
		}
		ts, err := s.targets(m)
		if err != nil {
			return nil, err
		}
		if len(ts) == 0 {
			continue
		}
		body, err := s.encodeMessage(m)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			args = append(args, ItemID(m.ID, t), t, body, ms)
			n++
		}
	}
	return append([]any{n}, args...), nil
}

// Enqueue adds messages that are not part of a transition (digests,
// replies). A message enqueued again with the same ID is not duplicated
// (while queued, parked, or for a week after delivery); a message without
// an ID gets a random one.
func (s *Store) Enqueue(ctx context.Context, msgs []workflow.Message) error {
	args, err := s.outboxArgs(msgs, s.now(), true)
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	if args[0] == 0 {
		return nil
	}
	if err := enqueueScript.Run(ctx, s.rdb, []string{s.key("ob")}, append([]any{s.base}, args...)...).Err(); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	return nil
}

// ClaimOutbox claims up to limit items ready at now (and any whose earlier
// claim's lease expired), earliest first, each until now+lease.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]OutboxItem, error) {
	if limit <= 0 || lease <= 0 {
		return nil, errors.New("claim outbox: limit and lease must be positive")
	}
	token, err := newToken()
	if err != nil {
		return nil, err
	}
	vals, err := claimOutboxScript.Run(ctx, s.rdb, []string{s.key("ob")},
		s.base, outboxNow(now), limit, outboxScore(now.Add(lease)), token).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	out := make([]OutboxItem, 0, len(vals)/7)
	for i := 0; i+6 < len(vals); i += 7 {
		it, err := s.outboxItem(vals[i], map[string]string{"t": vals[i+1], "m": vals[i+2], "a": vals[i+3], "q": vals[i+4], "e": vals[i+5], "s": vals[i+6]})
		if err != nil {
			return nil, fmt.Errorf("claim outbox: %w", err)
		}
		it.Token = token
		out = append(out, it)
	}
	return out, nil
}

// outboxItem decodes an item from its hash fields.
func (s *Store) outboxItem(id string, f map[string]string) (OutboxItem, error) {
	m, err := s.decodeMessage(f["m"])
	if err != nil {
		return OutboxItem{}, fmt.Errorf("item %s: %w", id, err)
	}
	le, err := s.opts.Cipher.Decrypt(f["e"])
	if err != nil {
		return OutboxItem{}, fmt.Errorf("item %s: %w", id, err)
	}
	it := OutboxItem{ID: id, Target: f["t"], Message: m, LastError: le}
	it.Attempts, _ = strconv.Atoi(f["a"])
	if q, err := strconv.ParseInt(f["q"], 10, 64); err == nil {
		it.EnqueuedAt = fromOutboxScore(q)
	}
	if p, err := strconv.ParseInt(f["p"], 10, 64); err == nil {
		it.ParkedAt = fromOutboxScore(p)
	}
	if p, err := strconv.ParseInt(f["s"], 10, 64); err == nil {
		it.PendingSince = time.UnixMilli(p)
	}
	return it, nil
}

func (s *Store) settle(ctx context.Context, it OutboxItem, action string, at time.Time, errText string) error {
	return s.settleScore(ctx, it, action, outboxScore(at), errText)
}

func (s *Store) settleScore(ctx context.Context, it OutboxItem, action, score string, errText string) error {
	sealed, err := s.opts.Cipher.seal(errText)
	if err != nil {
		return err
	}
	err = settleOutboxScript.Run(ctx, s.rdb, []string{s.key("ob")},
		s.base, it.ID, it.Token, action, score, sealed, sentTTL.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("%s outbox item %s: %w", action, it.ID, err)
	}
	return nil
}

// AckOutbox records a claimed item as delivered. A claim no longer held
// (its lease expired and someone else claimed it) is left alone.
func (s *Store) AckOutbox(ctx context.Context, it OutboxItem) error {
	return s.settle(ctx, it, "ack", s.now(), "")
}

// RetryOutbox records a failed delivery (Attempts+1, the error) and makes
// the item due again at at.
func (s *Store) RetryOutbox(ctx context.Context, it OutboxItem, at time.Time, errText string) error {
	return s.settle(ctx, it, "retry", at, errText)
}

// DeferOutbox gives back a claimed item that was not attempted (its
// platform's circuit is open, or an earlier message to the same
// conversation must go first): due again at at, its attempts unchanged.
// seq orders items deferred to the same time (0–999,999), so a
// conversation's messages keep their order.
func (s *Store) DeferOutbox(ctx context.Context, it OutboxItem, at time.Time, seq int) error {
	seq = max(0, min(seq, 999999))
	return s.settleScore(ctx, it, "defer", strconv.FormatInt(at.UnixMilli()*1000+int64(seq), 10), "")
}

// PauseOutbox gives back a claimed item that was not attempted because its
// platform's circuit is open: it waits, not due, in the platform's paused
// list, at the score it was enqueued with, until ResumeOutbox.
func (s *Store) PauseOutbox(ctx context.Context, it OutboxItem) error {
	return s.settle(ctx, it, "pause", s.now(), "")
}

// ResumeOutbox puts up to limit (0: all) of a platform's paused items back
// in the queue, oldest first, due at once and in the order they were
// enqueued; it returns how many.
func (s *Store) ResumeOutbox(ctx context.Context, platform string, limit int) (int, error) {
	n, err := resumeOutboxScript.Run(ctx, s.rdb, []string{s.key("ob")}, s.base, platform, max(limit, 0)).Int()
	if err != nil {
		return 0, fmt.Errorf("resume %s's outbox: %w", platform, err)
	}
	return n, nil
}

// ParkOutbox records a delivery that will not succeed by retrying
// (Attempts+1, the error) and moves the item to the parked list an
// operator sees. Parked items are never dropped.
func (s *Store) ParkOutbox(ctx context.Context, it OutboxItem, errText string) error {
	return s.settle(ctx, it, "park", s.now(), errText)
}

// Parked lists the parked items, oldest first.
func (s *Store) Parked(ctx context.Context) ([]OutboxItem, error) {
	ids, err := s.rdb.ZRange(ctx, s.key("ob:parked"), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("parked items: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.key("o:", id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("parked items: %w", err)
	}
	out := make([]OutboxItem, 0, len(ids))
	for i, c := range cmds {
		if len(c.Val()) == 0 {
			continue
		}
		it, err := s.outboxItem(ids[i], c.Val())
		if err != nil {
			return nil, fmt.Errorf("parked items: %w", err)
		}
		out = append(out, it)
	}
	return out, nil
}

// Replay puts a parked item back in the queue, due now, with its attempts
// reset. It wraps ErrNotParked when id is not parked.
func (s *Store) Replay(ctx context.Context, id string) error {
	n, err := replayScript.Run(ctx, s.rdb, []string{s.key("ob")}, s.base, id, outboxScore(s.now())).Int()
	if err != nil {
		return fmt.Errorf("replay %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("replay %s: %w", id, ErrNotParked)
	}
	return nil
}

// OutboxStats reads the outbox's depth (items not yet delivered, claimed
// ones included, parked ones not), the age of the oldest of them at now,
// and how many are parked, in one round trip.
func (s *Store) OutboxStats(ctx context.Context, now time.Time) (depth int64, oldest time.Duration, parked int64, err error) {
	var d, p *redis.IntCmd
	var first *redis.ZSliceCmd
	_, err = s.rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
		d = pl.ZCard(ctx, s.key("ob:age"))
		first = pl.ZRangeWithScores(ctx, s.key("ob:age"), 0, 0)
		p = pl.ZCard(ctx, s.key("ob:parked"))
		return nil
	})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("outbox stats: %w", err)
	}
	if zs := first.Val(); len(zs) > 0 {
		if age := now.Sub(fromOutboxScore(int64(zs[0].Score))); age > 0 {
			oldest = age
		}
	}
	return d.Val(), oldest, p.Val(), nil
}

package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/workflow"
)

// ClaimedTimer is a due timer handed to one scheduler until its lease
// expires; Token identifies the claim.
type ClaimedTimer struct {
	workflow.Timer
	Token string
}

// timerArgs lays out timers as the scripts read them: count, then id, due
// (µs) and JSON for each.
func timerArgs(ref string, ts []workflow.Timer) ([]any, error) {
	args := []any{len(ts)}
	for _, t := range ts {
		if ref != "" && t.Ref != ref {
			return nil, fmt.Errorf("a timer of %s is set for %s", ref, t.Ref)
		}
		if t.Ref == "" || t.Due.IsZero() {
			return nil, fmt.Errorf("timer %s has no reference or no due time", t.ID())
		}
		b, err := json.Marshal(t)
		if err != nil {
			return nil, fmt.Errorf("encode timer %s: %w", t.ID(), err)
		}
		args = append(args, t.ID(), micros(t.Due), string(b))
	}
	return args, nil
}

// newToken identifies one claim.
func newToken() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("claim token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// ClaimDueTimers claims up to limit timers due at now (and any whose
// earlier claim's lease expired), each until now+lease. A claimed timer is
// not handed to anyone else until its lease expires; if the claimer dies,
// it is claimed again then. The work done is proportional to the timers
// taken, not to the number pending.
func (s *Store) ClaimDueTimers(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]ClaimedTimer, error) {
	if limit <= 0 || lease <= 0 {
		return nil, errors.New("claim timers: limit and lease must be positive")
	}
	token, err := newToken()
	if err != nil {
		return nil, err
	}
	vals, err := claimTimersScript.Run(ctx, s.rdb, []string{s.key("timers")},
		s.base, micros(now), limit, micros(now.Add(lease)), token).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("claim timers: %w", err)
	}
	out := make([]ClaimedTimer, 0, len(vals)/2)
	for i := 0; i+1 < len(vals); i += 2 {
		var t workflow.Timer
		if err := json.Unmarshal([]byte(vals[i+1]), &t); err != nil {
			return nil, fmt.Errorf("claim timers: decode %s: %w", vals[i], err)
		}
		out = append(out, ClaimedTimer{Timer: t, Token: token})
	}
	return out, nil
}

// AckTimer removes a claimed timer that has run. If a transition re-set the
// timer since it was claimed (a prompt setting the next prompt, say), the
// new one stays. Acking a claim that is no longer held does nothing.
func (s *Store) AckTimer(ctx context.Context, t ClaimedTimer) error {
	return s.AckTimers(ctx, []ClaimedTimer{t})
}

// AckTimers acknowledges several claimed timers in one round trip, each as
// AckTimer does.
func (s *Store) AckTimers(ctx context.Context, ts []ClaimedTimer) error {
	if len(ts) == 0 {
		return nil
	}
	args := make([]any, 0, 1+3*len(ts))
	args = append(args, s.base)
	for _, t := range ts {
		args = append(args, t.ID(), t.Token, t.Ref)
	}
	if err := ackTimersScript.Run(ctx, s.rdb, []string{s.key("timers")}, args...).Err(); err != nil {
		return fmt.Errorf("ack %d timers (%s…): %w", len(ts), ts[0].ID(), err)
	}
	return nil
}

// DeferTimer puts a claimed timer back, due at due (Redis or the engine
// was unavailable, say). A claim no longer held is left alone.
func (s *Store) DeferTimer(ctx context.Context, t ClaimedTimer, due time.Time) error {
	nt := t.Timer
	nt.Due = due
	b, err := json.Marshal(nt)
	if err != nil {
		return fmt.Errorf("defer timer %s: %w", t.ID(), err)
	}
	err = deferTimerScript.Run(ctx, s.rdb, []string{s.key("timers")}, s.base, t.ID(), t.Token, micros(due), string(b)).Err()
	if err != nil {
		return fmt.Errorf("defer timer %s: %w", t.ID(), err)
	}
	return nil
}

// Timers lists a dispute's pending timers (claimed ones included), soonest
// first.
func (s *Store) Timers(ctx context.Context, ref string) ([]workflow.Timer, error) {
	ids, err := s.rdb.SMembers(ctx, s.key("dt:", ref)).Result()
	if err != nil {
		return nil, fmt.Errorf("timers of %s: %w", ref, err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	vals, err := s.rdb.HMGet(ctx, s.key("timers:data"), ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("timers of %s: %w", ref, err)
	}
	var out []workflow.Timer
	for _, v := range vals {
		raw, ok := v.(string)
		if !ok {
			continue
		}
		var t workflow.Timer
		if err := json.Unmarshal([]byte(raw), &t); err != nil {
			return nil, fmt.Errorf("timers of %s: %w", ref, err)
		}
		out = append(out, t)
	}
	sortTimers(out)
	return out, nil
}

func sortTimers(ts []workflow.Timer) {
	slices.SortFunc(ts, func(a, b workflow.Timer) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return strings.Compare(a.ID(), b.ID())
	})
}

// SetTimers sets timers outside a transition (the auditor repairing a
// case whose timers are missing). A timer that exists is replaced, and a
// claim on it is void, as when a transition re-sets it.
func (s *Store) SetTimers(ctx context.Context, timers []workflow.Timer) error {
	if len(timers) == 0 {
		return nil
	}
	args, err := timerArgs("", timers)
	if err != nil {
		return fmt.Errorf("set timers: %w", err)
	}
	args = append([]any{s.base}, args...)
	args = append(args, len(timers))
	for _, t := range timers {
		args = append(args, t.Ref)
	}
	if err := setTimersScript.Run(ctx, s.rdb, []string{s.key("timers")}, args...).Err(); err != nil {
		return fmt.Errorf("set timers: %w", err)
	}
	return nil
}

// DueCount is the number of timers due at now and not yet done: waiting
// to be claimed, or claimed and not yet acknowledged.
func (s *Store) DueCount(ctx context.Context, now time.Time) (int64, error) {
	var due, claimed *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		due = p.ZCount(ctx, s.key("timers"), "-inf", micros(now))
		claimed = p.ZCard(ctx, s.key("timers:claimed"))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("due timers: %w", err)
	}
	return due.Val() + claimed.Val(), nil
}

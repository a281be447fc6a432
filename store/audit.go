package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/workflow"
)

// ChangedOpen lists up to limit open cases changed since the auditor last
// marked them checked (the chg index, which every commit of an open case
// writes), in the order they changed, and the mark to pass to
// CheckedChanged once they are checked. Its cost is that of the cases
// listed, however many are open.
func (s *Store) ChangedOpen(ctx context.Context, limit int) (refs []string, upTo float64, err error) {
	if limit <= 0 {
		return nil, 0, errors.New("changed cases: limit must be positive")
	}
	zs, err := s.rdb.ZRangeWithScores(ctx, s.key("chg"), 0, int64(limit-1)).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("changed cases: %w", err)
	}
	refs = make([]string, len(zs))
	for i, z := range zs {
		refs[i] = z.Member.(string)
		upTo = z.Score
	}
	return refs, upTo, nil
}

// CheckedChanged marks the changed cases up to upTo (from ChangedOpen) as
// checked. A case that changed again since it was listed has a later mark
// and stays listed for the next check.
func (s *Store) CheckedChanged(ctx context.Context, upTo float64) error {
	if upTo <= 0 {
		return nil
	}
	err := s.rdb.ZRemRangeByScore(ctx, s.key("chg"), "-inf", strconv.FormatFloat(upTo, 'f', -1, 64)).Err()
	if err != nil {
		return fmt.Errorf("mark changed cases checked: %w", err)
	}
	return nil
}

// SweepOpen lists the next n open cases of a slow sweep over all of them
// (the auditor's check of cases that did not change), from where the last
// call stopped, starting again from the first once it reaches the end; and
// how many cases are open. Its cost is that of the n cases, however many
// are open. Cases raised or closed meanwhile shift the sweep by as many
// places: one may be looked at twice or wait for the next round.
func (s *Store) SweepOpen(ctx context.Context, n int) (refs []string, open int64, err error) {
	if n <= 0 {
		return nil, 0, errors.New("sweep open cases: n must be positive")
	}
	cur, err := s.rdb.Get(ctx, s.key("audit:sweep")).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, 0, fmt.Errorf("sweep open cases: read the cursor: %w", err)
	}
	var page *redis.StringSliceCmd
	var card *redis.IntCmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		page = p.ZRange(ctx, s.key("open"), cur, cur+int64(n)-1)
		card = p.ZCard(ctx, s.key("open"))
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("sweep open cases: %w", err)
	}
	refs, open = page.Val(), card.Val()
	var next int64
	switch {
	case len(refs) == n:
		next = cur + int64(n)
	case cur == 0:
		next = 0 // every open case fitted
	default:
		// The end came before n: go on from the start.
		more, err := s.rdb.ZRange(ctx, s.key("open"), 0, int64(n-len(refs))-1).Result()
		if err != nil {
			return nil, 0, fmt.Errorf("sweep open cases: %w", err)
		}
		seen := make(map[string]bool, len(refs))
		for _, r := range refs {
			seen[r] = true
		}
		for _, r := range more {
			if !seen[r] {
				refs = append(refs, r)
			}
		}
		next = int64(len(more))
	}
	if err := s.rdb.Set(ctx, s.key("audit:sweep"), next, 0).Err(); err != nil {
		return nil, 0, fmt.Errorf("sweep open cases: move the cursor: %w", err)
	}
	return refs, open, nil
}

// CaseTimers reads the pending timers (claimed ones included) of several
// cases in two round trips, whatever their number: ref → timers, soonest
// first.
func (s *Store) CaseTimers(ctx context.Context, refs []string) (map[string][]workflow.Timer, error) {
	out := make(map[string][]workflow.Timer, len(refs))
	if len(refs) == 0 {
		return out, nil
	}
	sets := make([]*redis.StringSliceCmd, len(refs))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, ref := range refs {
			sets[i] = p.SMembers(ctx, s.key("dt:", ref))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("timers of %d cases: %w", len(refs), err)
	}
	var ids []string
	for _, c := range sets {
		ids = append(ids, c.Val()...)
	}
	if len(ids) == 0 {
		return out, nil
	}
	vals, err := s.rdb.HMGet(ctx, s.key("timers:data"), ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("timers of %d cases: %w", len(refs), err)
	}
	for i, v := range vals {
		raw, ok := v.(string)
		if !ok {
			continue
		}
		var t workflow.Timer
		if err := json.Unmarshal([]byte(raw), &t); err != nil {
			return nil, fmt.Errorf("timer %s: %w", ids[i], err)
		}
		out[t.Ref] = append(out[t.Ref], t)
	}
	for _, ts := range out {
		sortTimers(ts)
	}
	return out, nil
}

package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/workflow"
)

// PeriodRefs lists the cases open at some time in [from, to): raised
// before to, and open now or closed at or after from; in the order they
// were raised. It reads references only, from the indexes (oc: the open
// cases by raising time, closed by closing time, all by raising time), so
// the board report decodes just the cases its period touches: cases
// closed before the period, the bulk of a store's history, and cases
// raised after it are never read at all.
func (s *Store) PeriodRefs(ctx context.Context, from, to time.Time) ([]string, error) {
	var open *redis.ZSliceCmd
	var closed *redis.StringSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		open = p.ZRangeByScoreWithScores(ctx, s.key("oc:"), &redis.ZRangeBy{Min: "-inf", Max: "(" + micros(to)})
		closed = p.ZRangeByScore(ctx, s.key("closed"), &redis.ZRangeBy{Min: micros(from), Max: "+inf"})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cases of a period: %w", err)
	}
	type raised struct {
		ref string
		at  float64
	}
	in := make([]raised, 0, len(open.Val()))
	for _, z := range open.Val() {
		in = append(in, raised{z.Member.(string), z.Score})
	}
	for chunk := range slices.Chunk(closed.Val(), 5000) {
		scores, err := s.rdb.ZMScore(ctx, s.key("all"), chunk...).Result()
		if err != nil {
			return nil, fmt.Errorf("cases of a period: when they were raised: %w", err)
		}
		limit := float64(to.UnixMicro())
		for i, sc := range scores {
			// A reference missing from all (cannot happen through this
			// package) reads as 0: kept, and the report's own check decides.
			if sc < limit {
				in = append(in, raised{chunk[i], sc})
			}
		}
	}
	slices.SortStableFunc(in, func(a, b raised) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return compareRefs(a.ref, b.ref)
	})
	out := make([]string, 0, len(in))
	for i, r := range in {
		if i > 0 && in[i-1].ref == r.ref {
			continue
		}
		out = append(out, r.ref)
	}
	return out, nil
}

// LoadMany reads several cases with their event logs in one round trip
// (one MULTI/EXEC, so each case and its log agree), as Load reads one;
// missing cases are left out. The board report reads its period so.
func (s *Store) LoadMany(ctx context.Context, refs []string) ([]*workflow.Dispute, [][]workflow.Event, error) {
	if len(refs) == 0 {
		return nil, nil, nil
	}
	dj := make([]*redis.StringCmd, len(refs))
	evs := make([]*redis.StringSliceCmd, len(refs))
	texts := make([]*redis.MapStringStringCmd, len(refs))
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for i, ref := range refs {
			dj[i] = p.HGet(ctx, s.key("d:", ref), "j")
			evs[i] = p.LRange(ctx, s.key("ev:", ref), 0, -1)
			texts[i] = p.HGetAll(ctx, s.key("ex:", ref))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, fmt.Errorf("load %d cases: %w", len(refs), err)
	}
	var ds []*workflow.Dispute
	var hists [][]workflow.Event
	for i, ref := range refs {
		if errors.Is(dj[i].Err(), redis.Nil) {
			continue
		}
		d, err := s.decodeDispute(dj[i].Val())
		if err != nil {
			return nil, nil, fmt.Errorf("load %s: %w", ref, err)
		}
		tx := texts[i].Val()
		hist := make([]workflow.Event, 0, len(evs[i].Val()))
		for j, pub := range evs[i].Val() {
			e, err := s.decodeEvent(pub, tx[strconv.Itoa(j)])
			if err != nil {
				return nil, nil, fmt.Errorf("load %s: %w", ref, err)
			}
			hist = append(hist, e)
		}
		ds = append(ds, d)
		hists = append(hists, hist)
	}
	return ds, hists, nil
}

package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// StageOf is one stage of one route of the policy ("" the main route):
// a case's stage 2 on the conference route is not stage 2 of the main one,
// so each has an index of its own (od:<stage>, od:<route>:<stage>).
type StageOf struct {
	Route string
	Stage int
}

// indexKey is the suffix of the stage's deadline-ordered index.
func (k StageOf) indexKey() string {
	if k.Route == "" {
		return "od:" + strconv.Itoa(k.Stage)
	}
	return "od:" + k.Route + ":" + strconv.Itoa(k.Stage)
}

// DigestIndex is what the business team's daily digest shows, read from
// the indexes the commit script keeps rather than from the cases: how many
// cases are open and overdue at each stage of each route, the longest
// overdue, and the cases closed since the last digest.
type DigestIndex struct {
	// OpenByStage and OverdueByStage count the open cases at each stage
	// and those of them whose window has closed.
	OpenByStage    map[StageOf]int
	OverdueByStage map[StageOf]int
	// Overdue are the longest overdue cases, longest first (at most the
	// limit asked for).
	Overdue []string
	// Closed counts the cases closed since the time asked for; ClosedRefs
	// are the first of them in order of closing (at most the limit).
	Closed     int
	ClosedRefs []string
}

// DigestIndex reads the digest's figures for the stages asked for at now,
// and the cases closed since since, listing at most limit cases of each
// kind. It is one round trip whose cost is that of the stages and the
// cases listed (ZCARD and ZCOUNT of each stage's deadline index, a
// ZRANGEBYSCORE of limit from each), however many cases are open.
func (s *Store) DigestIndex(ctx context.Context, stages []StageOf, now, since time.Time, limit int) (DigestIndex, error) {
	if len(stages) == 0 || limit <= 0 {
		return DigestIndex{}, fmt.Errorf("digest figures: stages and limit must be given")
	}
	type stageCmds struct {
		open, overdue *redis.IntCmd
		first         *redis.ZSliceCmd
	}
	per := make([]stageCmds, len(stages))
	var closed *redis.IntCmd
	var closedRefs *redis.StringSliceCmd
	nowS := micros(now)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, st := range stages {
			k := s.key(st.indexKey())
			per[i].open = p.ZCard(ctx, k)
			per[i].overdue = p.ZCount(ctx, k, "-inf", nowS)
			per[i].first = p.ZRangeByScoreWithScores(ctx, k, &redis.ZRangeBy{Min: "-inf", Max: nowS, Count: int64(limit)})
		}
		closed = p.ZCount(ctx, s.key("closed"), micros(since), "+inf")
		closedRefs = p.ZRangeByScore(ctx, s.key("closed"), &redis.ZRangeBy{Min: micros(since), Max: "+inf", Count: int64(limit)})
		return nil
	})
	if err != nil {
		return DigestIndex{}, fmt.Errorf("digest figures: %w", err)
	}
	out := DigestIndex{OpenByStage: map[StageOf]int{}, OverdueByStage: map[StageOf]int{}, Closed: int(closed.Val()), ClosedRefs: closedRefs.Val()}
	var overdue []redis.Z
	for i, st := range stages {
		out.OpenByStage[st] = int(per[i].open.Val())
		out.OverdueByStage[st] = int(per[i].overdue.Val())
		overdue = append(overdue, per[i].first.Val()...)
	}
	// Each stage's list is in deadline order (ties by reference), so the
	// first limit of them all are among the first limit of each.
	slices.SortFunc(overdue, func(a, b redis.Z) int {
		return cmp.Or(cmp.Compare(a.Score, b.Score), cmp.Compare(a.Member.(string), b.Member.(string)))
	})
	for _, z := range overdue[:min(limit, len(overdue))] {
		out.Overdue = append(out.Overdue, z.Member.(string))
	}
	return out, nil
}

package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/workflow"
)

// The tests of this package are internal so that they can look at the raw
// keys (ciphertext, atomicity) and seed benchmarks fast; storetest, which
// other packages use, does the same setup from outside.

// testURL is the Redis the tests use: REDIS_URL, or an embedded one.
func testURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	u, closeFn, err := Embedded()
	if err != nil {
		t.Fatalf("embedded redis: %v", err)
	}
	t.Cleanup(closeFn)
	return u
}

func realRedis() bool { return os.Getenv("REDIS_URL") != "" }

func uniquePrefix(t testing.TB) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, t.Name())
	return "t:" + name + ":" + hex.EncodeToString(b) + ":"
}

// newTestStore opens a store with a prefix of the test's own and deletes
// its keys afterwards.
func newTestStore(t testing.TB, opts Options) *Store {
	t.Helper()
	return newStoreAt(t, testURL(t), opts)
}

func newStoreAt(t testing.TB, url string, opts Options) *Store {
	t.Helper()
	if opts.Prefix == "" {
		opts.Prefix = uniquePrefix(t)
	}
	if opts.FeedPlatforms == nil {
		opts.FeedPlatforms = []string{"slack", "teams"}
	}
	s, err := Open(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := s.rawKeys(ctx)
		for len(keys) > 0 {
			n := min(len(keys), 500)
			_ = s.rdb.Del(ctx, keys[:n]...).Err()
			keys = keys[n:]
		}
		_ = s.Close()
	})
	return s
}

// rawKeys lists every key of the store.
func (s *Store) rawKeys(ctx context.Context) ([]string, error) {
	var keys []string
	iter := s.rdb.Scan(ctx, 0, s.opts.Prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	sort.Strings(keys)
	return keys, iter.Err()
}

// dump renders every key and value of the store as Redis holds them, the
// way an operator with redis-cli would see them.
func (s *Store) dump(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	keys, err := s.rawKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, k := range keys {
		typ := s.rdb.Type(ctx, k).Val()
		var v any
		switch typ {
		case "string":
			v = s.rdb.Get(ctx, k).Val()
		case "hash":
			v = s.rdb.HGetAll(ctx, k).Val()
		case "list":
			v = s.rdb.LRange(ctx, k, 0, -1).Val()
		case "set":
			v = s.rdb.SMembers(ctx, k).Val()
		case "zset":
			v = s.rdb.ZRangeWithScores(ctx, k, 0, -1).Val()
		case "stream":
			v = s.rdb.XRange(ctx, k, "-", "+").Val()
		}
		fmt.Fprintf(&b, "%s (%s) = %v\n", k, typ, v)
	}
	return b.String()
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const (
	raiser    workflow.UserID = "slack:U1"
	responder workflow.UserID = "teams:29:abc"
	manager   workflow.UserID = "slack:U9"
)

// raised is the result of raising a case at t, shaped as workflow.Apply
// shapes one: the dispute at version 1, one event, the stage's two timers,
// DMs to both parties and a feed post.
func raised(ref string, at time.Time) *workflow.Result {
	d := &workflow.Dispute{
		Ref: ref, PolicyID: "test", SubjectType: workflow.SubjectChild, SubjectRef: "CASE-7781",
		Category: workflow.CatThresholds, DecisionDisputed: "the decision to close the referral",
		Plan: workflow.PlanNone, Disagreement: "we think the threshold is met", OutcomeSought: "an assessment",
		Evidence: "three missed appointments", Raiser: workflow.Party{Agency: "police", Person: raiser},
		Responder: workflow.Party{Agency: "csc", Person: responder}, Stage: 1, State: workflow.StateOpen,
		Holders:      []workflow.StageHolders{{Stage: 1, Raiser: []workflow.UserID{raiser}, Responder: []workflow.UserID{responder}, Since: at}},
		StageVersion: 1, StageStarted: at, Deadline: at.Add(24 * time.Hour), Version: 1, CreatedAt: at, UpdatedAt: at,
	}
	return &workflow.Result{
		Dispute: d, PrevVersion: 0,
		Events: []workflow.Event{{Ref: ref, Seq: 1, Kind: workflow.CmdRaise, Actor: raiser, ActorName: "Sam Raiser", At: at, Stage: 1, Summary: "Raised at stage 1"}},
		Timers: []workflow.Timer{
			{Ref: ref, Kind: workflow.TimerRemind, Stage: 1, StageVersion: 1, Due: at.Add(20 * time.Hour)},
			{Ref: ref, Kind: workflow.TimerLapse, Stage: 1, StageVersion: 1, Due: at.Add(24 * time.Hour)},
		},
		ClearTimers: true,
		Messages: []workflow.Message{
			{ID: ref + "/1/1", Kind: workflow.MsgRaised, Ref: ref, To: responder, Title: ref + ": a disagreement was raised with you", Lines: []string{"we think the threshold is met"}},
			{ID: ref + "/1/2", Kind: workflow.MsgRaisedAck, Ref: ref, To: raiser, Title: ref + ": raised", Lines: []string{"Subject CASE-7781"}},
			{ID: ref + "/1/3", Kind: workflow.MsgFeed, Ref: ref, Feed: true, Title: ref + ": raised"},
		},
	}
}

// noted is the result of adding a note to d at t.
func noted(d *workflow.Dispute, text string, at time.Time) *workflow.Result {
	n := d.Clone()
	n.Version++
	n.UpdatedAt = at
	return &workflow.Result{
		Dispute: n, PrevVersion: d.Version,
		Events: []workflow.Event{{Ref: d.Ref, Seq: n.Version, Kind: workflow.CmdComment, Actor: raiser, ActorName: "Sam Raiser", At: at, Stage: n.Stage, Summary: "Note added", Text: text}},
		Messages: []workflow.Message{
			{ID: fmt.Sprintf("%s/%d/1", d.Ref, n.Version), Kind: workflow.MsgNote, Ref: d.Ref, To: responder, Title: d.Ref + ": a note", Lines: []string{text}},
		},
	}
}

// escalated moves d to stage 2 at t, held by the manager, with new timers.
func escalated(d *workflow.Dispute, reason string, at time.Time) *workflow.Result {
	n := d.Clone()
	n.Version++
	n.Stage = 2
	n.StageVersion = n.Version
	n.Holders = append(n.Holders, workflow.StageHolders{Stage: 2, Raiser: []workflow.UserID{manager}, Responder: []workflow.UserID{responder}, Since: at})
	n.UpdatedAt = at
	return &workflow.Result{
		Dispute: n, PrevVersion: d.Version, ClearTimers: true,
		Events: []workflow.Event{{Ref: d.Ref, Seq: n.Version, Kind: workflow.CmdEscalate, Actor: raiser, ActorName: "Sam Raiser", At: at, Stage: 2, Summary: "Escalated to stage 2", Text: reason}},
		Timers: []workflow.Timer{{Ref: d.Ref, Kind: workflow.TimerLapse, Stage: 2, StageVersion: n.Version, Due: at.Add(48 * time.Hour)}},
		Messages: []workflow.Message{
			{ID: fmt.Sprintf("%s/%d/1", d.Ref, n.Version), Kind: workflow.MsgEscalatedTo, Ref: d.Ref, To: manager, Title: d.Ref + ": escalated to you", Lines: []string{reason}},
		},
	}
}

// resolved closes d at t with an agreed outcome.
func resolved(d *workflow.Dispute, outcome string, at time.Time) *workflow.Result {
	n := d.Clone()
	n.Version++
	n.State = workflow.StateResolved
	n.ClosedAt = at
	n.UpdatedAt = at
	p := &workflow.Proposal{Outcome: outcome, HowPursued: "by the team manager", RecordedOnFile: true, ProposedBy: raiser, ProposedBySide: workflow.SideRaiser, ProposedAt: at}
	n.Outcome = p
	return &workflow.Result{
		Dispute: n, PrevVersion: d.Version, ClearTimers: true,
		Events:   []workflow.Event{{Ref: d.Ref, Seq: n.Version, Kind: workflow.CmdConfirm, Actor: responder, ActorName: "Robin Responder", At: at, Stage: n.Stage, Summary: "Resolution confirmed", Proposal: p}},
		Messages: []workflow.Message{{ID: fmt.Sprintf("%s/%d/1", d.Ref, n.Version), Kind: workflow.MsgRecord, Ref: d.Ref, To: raiser, Title: d.Ref + ": resolved", Lines: []string{outcome}}},
	}
}

// countingHook counts round trips to Redis: one per command sent alone,
// one per pipeline.
type countingHook struct{ n *int64 }

func (h countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { *h.n++; return next(ctx, cmd) }
}
func (h countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { *h.n++; return next(ctx, cmds) }
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type redisUniversal = redis.UniversalOptions

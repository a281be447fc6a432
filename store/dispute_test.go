package store

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/escalate-app/escalate/workflow"
)

func TestRaiseWritesEverythingAndLoadReadsItBack(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	ref, err := s.NextRef(ctx, 2026)
	must(t, err)
	if ref != "ESC-2026-0001" {
		t.Fatalf("first reference = %s", ref)
	}
	res := raised(ref, t0)
	must(t, s.Commit(ctx, res, "raise-1"))

	d, hist, err := s.Load(ctx, ref)
	must(t, err)
	if !reflect.DeepEqual(normal(d), normal(res.Dispute)) {
		t.Errorf("loaded dispute differs:\n got %+v\nwant %+v", d, res.Dispute)
	}
	if len(hist) != 1 || hist[0].Summary != "Raised at stage 1" || hist[0].Seq != 1 {
		t.Errorf("history = %+v", hist)
	}
	ts, err := s.Timers(ctx, ref)
	must(t, err)
	if len(ts) != 2 || ts[0].Kind != workflow.TimerRemind || ts[1].Kind != workflow.TimerLapse || !ts[1].Due.Equal(t0.Add(24*time.Hour)) {
		t.Errorf("timers = %+v", ts)
	}
	for _, u := range []workflow.UserID{raiser, responder} {
		refs, err := s.OpenFor(ctx, u)
		must(t, err)
		if !slices.Equal(refs, []string{ref}) {
			t.Errorf("OpenFor(%s) = %v", u, refs)
		}
	}
	for _, a := range []string{"police", "csc"} {
		refs, err := s.OpenByAgency(ctx, a)
		must(t, err)
		if !slices.Equal(refs, []string{ref}) {
			t.Errorf("OpenByAgency(%s) = %v", a, refs)
		}
	}
	byStage, err := s.OpenByStage(ctx)
	must(t, err)
	if !reflect.DeepEqual(byStage, map[int][]string{1: {ref}}) {
		t.Errorf("OpenByStage = %v", byStage)
	}
	open, _ := s.OpenRefs(ctx)
	all, _ := s.AllRefs(ctx)
	if !slices.Equal(open, []string{ref}) || !slices.Equal(all, []string{ref}) {
		t.Errorf("OpenRefs = %v, AllRefs = %v", open, all)
	}

	// Two DMs (one per recipient's platform) and the feed post once per
	// feed platform, in the order the transition produced them.
	items, err := s.ClaimOutbox(ctx, t0, 10, time.Minute)
	must(t, err)
	var got []string
	for _, it := range items {
		got = append(got, it.ID+" → "+it.Target)
	}
	want := []string{ref + "/1/1@teams → teams", ref + "/1/2@slack → slack", ref + "/1/3@slack → slack", ref + "/1/3@teams → teams"}
	if !slices.Equal(got, want) {
		t.Errorf("outbox = %v, want %v", got, want)
	}
	if items[0].Message.Lines[0] != "we think the threshold is met" || !items[0].EnqueuedAt.Equal(t0) {
		t.Errorf("first item = %+v", items[0])
	}

	// Raising the same reference again is a conflict and changes nothing.
	again := raised(ref, t0.Add(time.Hour))
	again.Dispute.Evidence = "other"
	if err := s.Commit(ctx, again, ""); !errors.Is(err, ErrConflict) {
		t.Fatalf("second raise: %v", err)
	}
	d2, hist2, _ := s.Load(ctx, ref)
	if d2.Evidence != res.Dispute.Evidence || len(hist2) != 1 {
		t.Errorf("a refused raise changed the case: %+v", d2)
	}
}

// normal drops the monotonic clock readings so that DeepEqual compares
// what was stored.
func normal(d *workflow.Dispute) *workflow.Dispute {
	c := d.Clone()
	c.StageStarted, c.Deadline, c.CreatedAt, c.UpdatedAt, c.ClosedAt = c.StageStarted.UTC(), c.Deadline.UTC(), c.CreatedAt.UTC(), c.UpdatedAt.UTC(), c.ClosedAt.UTC()
	for i := range c.Holders {
		c.Holders[i].Since = c.Holders[i].Since.UTC()
	}
	return c
}

func TestLoadMissingIsNotFound(t *testing.T) {
	s := newTestStore(t, Options{})
	_, _, err := s.Load(context.Background(), "ESC-2026-0404")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	ds, err := s.Disputes(context.Background(), []string{"ESC-2026-0404"})
	if err != nil || len(ds) != 0 {
		t.Fatalf("Disputes of a missing case = %v, %v", ds, err)
	}
	// A transition of a case that was never raised is refused too.
	res := noted(raised("ESC-2026-0404", t0).Dispute, "x", t0)
	if err := s.Commit(context.Background(), res, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("commit on a missing case: %v", err)
	}
}

func TestStaleVersionConflictsAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	r := raised("ESC-2026-0001", t0)
	must(t, s.Commit(ctx, r, ""))
	first := noted(r.Dispute, "first note", t0.Add(time.Minute))
	second := noted(r.Dispute, "second note", t0.Add(2*time.Minute)) // also built on version 1
	must(t, s.Commit(ctx, first, ""))
	before := s.dump(t)
	if err := s.Commit(ctx, second, ""); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale commit: %v", err)
	}
	if after := s.dump(t); after != before {
		t.Errorf("a conflicting commit changed Redis:\nbefore %s\nafter  %s", before, after)
	}
}

func TestIdempotencyKeyActsOnce(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	r := raised("ESC-2026-0001", t0)
	must(t, s.Commit(ctx, r, "slack:trigger-1"))
	// The platform retries the same request; the engine rebuilds the
	// result from the case as it now is, so the version would not conflict.
	d, _, _ := s.Load(ctx, r.Dispute.Ref)
	must(t, s.Commit(ctx, noted(d, "a note", t0.Add(time.Minute)), "slack:note-1"))
	before := s.dump(t)
	d, _, _ = s.Load(ctx, r.Dispute.Ref)
	retry := noted(d, "a note", t0.Add(time.Minute))
	if err := s.Commit(ctx, retry, "slack:note-1"); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("retried request: %v", err)
	}
	if after := s.dump(t); after != before {
		t.Errorf("a duplicate request changed Redis:\nbefore %s\nafter  %s", before, after)
	}
	_, hist, _ := s.Load(ctx, r.Dispute.Ref)
	if len(hist) != 2 {
		t.Errorf("history has %d events, want 2", len(hist))
	}
	if ttl := s.rdb.PTTL(ctx, s.key("idem:slack:note-1")).Val(); ttl <= 23*time.Hour || ttl > IdempotencyTTL {
		t.Errorf("the idempotency key lives %v, want %v", ttl, IdempotencyTTL)
	}
}

func TestEscalateAndCloseMoveTheIndexes(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	r := raised("ESC-2026-0001", t0)
	must(t, s.Commit(ctx, r, ""))
	other := raised("ESC-2026-0002", t0)
	must(t, s.Commit(ctx, other, ""))

	e := escalated(r.Dispute, "no reply", t0.Add(25*time.Hour))
	must(t, s.Commit(ctx, e, ""))
	byStage, _ := s.OpenByStage(ctx)
	if !reflect.DeepEqual(byStage, map[int][]string{1: {"ESC-2026-0002"}, 2: {"ESC-2026-0001"}}) {
		t.Errorf("OpenByStage = %v", byStage)
	}
	mine, _ := s.OpenFor(ctx, manager)
	if !slices.Equal(mine, []string{"ESC-2026-0001"}) {
		t.Errorf("the new holder's cases = %v", mine)
	}
	ts, _ := s.Timers(ctx, "ESC-2026-0001")
	if len(ts) != 1 || ts[0].Stage != 2 {
		t.Errorf("timers after escalation = %+v (the stage 1 timers must be gone)", ts)
	}

	closedAt := t0.Add(30 * time.Hour)
	c := resolved(e.Dispute, "an assessment will start", closedAt)
	must(t, s.Commit(ctx, c, ""))
	for _, u := range []workflow.UserID{raiser, responder, manager} {
		refs, _ := s.OpenFor(ctx, u)
		if slices.Contains(refs, "ESC-2026-0001") {
			t.Errorf("closed case still open for %s", u)
		}
	}
	open, _ := s.OpenRefs(ctx)
	police, _ := s.OpenByAgency(ctx, "police")
	if !slices.Equal(open, []string{"ESC-2026-0002"}) || !slices.Equal(police, []string{"ESC-2026-0002"}) {
		t.Errorf("open = %v, police = %v", open, police)
	}
	if ts, _ := s.Timers(ctx, "ESC-2026-0001"); len(ts) != 0 {
		t.Errorf("a closed case kept timers: %+v", ts)
	}
	since, _ := s.ClosedSince(ctx, closedAt)
	later, _ := s.ClosedSince(ctx, closedAt.Add(time.Second))
	if !slices.Equal(since, []string{"ESC-2026-0001"}) || len(later) != 0 {
		t.Errorf("ClosedSince = %v / %v", since, later)
	}
	all, _ := s.AllRefs(ctx)
	if !slices.Equal(all, []string{"ESC-2026-0001", "ESC-2026-0002"}) {
		t.Errorf("AllRefs = %v", all)
	}
	ds, err := s.Disputes(ctx, []string{"ESC-2026-0002", "ESC-2026-0099", "ESC-2026-0001"})
	must(t, err)
	if len(ds) != 2 || ds[0].Ref != "ESC-2026-0002" || ds[1].State != workflow.StateResolved || ds[1].Outcome.Outcome != "an assessment will start" {
		t.Errorf("Disputes = %+v", ds)
	}
}

func TestStreamPagesThroughEveryCase(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	a := raised("ESC-2026-0001", t0)
	b := raised("ESC-2026-0002", t0)
	must(t, s.Commit(ctx, a, ""))
	must(t, s.Commit(ctx, b, ""))
	must(t, s.Commit(ctx, noted(a.Dispute, "words of a note", t0.Add(time.Minute)), ""))

	first, err := s.Stream(ctx, "", 2)
	must(t, err)
	if len(first) != 2 || first[0].Event.Ref != "ESC-2026-0001" || first[1].Event.Ref != "ESC-2026-0002" {
		t.Fatalf("first page = %+v", first)
	}
	rest, err := s.Stream(ctx, first[1].ID, 10)
	must(t, err)
	if len(rest) != 1 || rest[0].Event.Kind != workflow.CmdComment || rest[0].Event.Text != "words of a note" {
		t.Fatalf("second page = %+v", rest)
	}
	none, _ := s.Stream(ctx, rest[0].ID, 10)
	if len(none) != 0 {
		t.Errorf("past the end = %+v", none)
	}
}

func TestPurgeRemovesTheFreeTextOfEveryEvent(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	r := raised("ESC-2026-0001", t0)
	must(t, s.Commit(ctx, r, ""))
	n := noted(r.Dispute, "the note's words", t0.Add(time.Minute))
	must(t, s.Commit(ctx, n, ""))
	c := resolved(n.Dispute, "the agreed outcome", t0.Add(time.Hour))
	must(t, s.Commit(ctx, c, ""))

	p := c.Dispute.Clone()
	for _, f := range p.FreeText() {
		*f = ""
	}
	p.Purged = true
	p.Version++
	purge := &workflow.Result{Dispute: p, PrevVersion: c.Dispute.Version, PurgeHistory: true,
		Events: []workflow.Event{{Ref: p.Ref, Seq: p.Version, Kind: workflow.CmdPurge, Actor: workflow.SystemActor, At: t0.Add(24 * 400 * time.Hour), Summary: "Free text removed"}}}
	must(t, s.Commit(ctx, purge, ""))

	// Undelivered (here: never claimed) messages of the case carry its
	// free text too: the purge drops them.
	if items, _ := s.ClaimOutbox(ctx, t0.Add(24*500*time.Hour), 100, time.Minute); len(items) != 0 {
		t.Errorf("purge left %d outbox items", len(items))
	}
	_, hist, err := s.Load(ctx, p.Ref)
	must(t, err)
	if len(hist) != 4 {
		t.Fatalf("history has %d events, want 4 (purge keeps the record)", len(hist))
	}
	for _, e := range hist {
		if e.Text != "" || e.Proposal != nil && (e.Proposal.Outcome != "" || e.Proposal.HowPursued != "") {
			t.Errorf("event %d kept free text: %+v", e.Seq, e)
		}
	}
	if hist[2].Proposal == nil || !hist[2].Proposal.RecordedOnFile {
		t.Errorf("purge removed more than the free text: %+v", hist[2].Proposal)
	}
	entries, _ := s.Stream(ctx, "", 100)
	for _, e := range entries {
		if e.Event.Text != "" || e.Event.Proposal != nil && e.Event.Proposal.Outcome != "" {
			t.Errorf("stream entry kept free text: %+v", e.Event)
		}
	}
	if dump := s.dump(t); strings.Contains(dump, "the note's words") || strings.Contains(dump, "the agreed outcome") {
		t.Errorf("free text left in Redis after the purge:\n%s", dump)
	}
}

func TestRoundTripsPerTransition(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	r := raised("ESC-2026-0001", t0)
	must(t, s.Commit(ctx, r, "")) // loads the script into Redis
	_, _, err := s.Load(ctx, r.Dispute.Ref)
	must(t, err) // and warms the connection pool
	var n int64
	s.rdb.AddHook(countingHook{&n})
	d, _, err := s.Load(ctx, r.Dispute.Ref)
	must(t, err)
	if n != 1 {
		t.Errorf("Load took %d round trips, want 1", n)
	}
	n = 0
	must(t, s.Commit(ctx, noted(d, "x", t0.Add(time.Minute)), "key"))
	if n != 1 {
		t.Errorf("Commit took %d round trips, want 1", n)
	}
}

func TestRefsCountersAndOnce(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	for i, want := range []string{"ESC-2026-0001", "ESC-2026-0002"} {
		got, err := s.NextRef(ctx, 2026)
		must(t, err)
		if got != want {
			t.Errorf("NextRef #%d = %s, want %s", i, got, want)
		}
	}
	if got, _ := s.NextRef(ctx, 2027); got != "ESC-2027-0001" {
		t.Errorf("a new year starts again at 1: %s", got)
	}

	first, err := s.Once(ctx, "slack:retry:abc", time.Hour)
	must(t, err)
	second, err := s.Once(ctx, "slack:retry:abc", time.Hour)
	must(t, err)
	if !first || second {
		t.Errorf("Once = %v then %v", first, second)
	}

	if _, ok, _ := s.GetRef(ctx, "slack-thread", "ESC-2026-0001"); ok {
		t.Error("a reference that was never set was found")
	}
	must(t, s.SetRef(ctx, "slack-thread", "ESC-2026-0001", "1700000000.000100"))
	v, ok, err := s.GetRef(ctx, "slack-thread", "ESC-2026-0001")
	if err != nil || !ok || v != "1700000000.000100" {
		t.Errorf("GetRef = %q %v %v", v, ok, err)
	}
	if _, ok, _ := s.GetRef(ctx, "teams-thread", "ESC-2026-0001"); ok {
		t.Error("kinds share references")
	}
}

func TestOpenWithPasswordAndUniversal(t *testing.T) {
	ctx := context.Background()
	m := miniredis.NewMiniRedis()
	m.RequireAuth("s3cret-pw")
	must(t, m.StartAddr("127.0.0.1:0"))
	defer m.Close()

	s, err := Open(ctx, "redis://:s3cret-pw@"+m.Addr()+"/0", Options{Prefix: "p:"})
	must(t, err)
	must(t, s.Ping(ctx))
	must(t, s.Close())

	_, err = Open(ctx, "redis://:wrong-pw@"+m.Addr()+"/0", Options{})
	if err == nil {
		t.Fatal("a wrong password connected")
	}
	if _, err := Open(ctx, "http://:s3cret-pw@example/", Options{}); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("a bad URL: %v (it must fail without repeating the password)", err)
	}

	u, err := OpenUniversal(ctx, &redisUniversal{Addrs: []string{m.Addr()}, Password: "s3cret-pw"}, Options{Prefix: "u:"})
	must(t, err)
	ref, err := u.NextRef(ctx, 2026)
	must(t, err)
	if ref != "ESC-2026-0001" {
		t.Errorf("NextRef over the universal client = %s", ref)
	}
	must(t, u.Close())
	if _, err := OpenUniversal(ctx, &redisUniversal{}, Options{}); err == nil {
		t.Error("no addresses must fail")
	}
}

func TestImportedPeopleAreReplacedWhole(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	if p, m, err := s.ImportedPeople(ctx); err != nil || p != nil || !m.At.IsZero() {
		t.Fatalf("nothing imported: %v %+v %v", p, m, err)
	}
	first := []workflow.Person{{ID: "slack:U1", Name: "A", Agency: "csc", Role: workflow.RolePractitioner}, {ID: "email:b@x.example", Name: "B", Agency: "nhs", Role: workflow.RoleLineManager}}
	must(t, s.PutImportedPeople(ctx, first, ImportMeta{At: t0, Source: "people.csv", Rows: 2, People: 2}))
	second := []workflow.Person{{ID: "slack:U9", Name: "C", Agency: "csc", Role: workflow.RoleSeniorManager}}
	must(t, s.PutImportedPeople(ctx, second, ImportMeta{At: t0.Add(time.Hour), Source: "people2.csv", Rows: 1, People: 1}))
	p, m, err := s.ImportedPeople(ctx)
	must(t, err)
	if len(p) != 1 || p[0] != second[0] || m.Source != "people2.csv" || !m.At.Equal(t0.Add(time.Hour)) {
		t.Errorf("after the second import: %+v %+v", p, m)
	}
}

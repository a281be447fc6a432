package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/workflow"
)

// A person's cases are indexed by deadline, so a page is read in order
// and the rest are only counted; a case leaves the list of a person it
// moves away from in the transition that moves it.
func TestOpenPageIsDeadlineOrdered(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	var refs []string
	for i := range 12 {
		// Raised in one order, deadlines in the reverse.
		r := raised(fmt.Sprintf("ESC-2026-%04d", i+1), t0)
		r.Dispute.Deadline = t0.Add(time.Duration(48-i) * time.Hour)
		must(t, s.Commit(ctx, r, ""))
		refs = append([]string{r.Dispute.Ref}, refs...)
	}
	page, total, err := s.OpenPage(ctx, responder, 0, 5)
	must(t, err)
	if total != 12 || fmt.Sprint(page) != fmt.Sprint(refs[:5]) {
		t.Fatalf("first page %v of %d, want %v of 12", page, total, refs[:5])
	}
	page, total, err = s.OpenPage(ctx, responder, 10, 5)
	must(t, err)
	if total != 12 || fmt.Sprint(page) != fmt.Sprint(refs[10:]) {
		t.Fatalf("last page %v of %d", page, total)
	}
	if _, _, err := s.OpenPage(ctx, responder, -1, 5); err == nil {
		t.Error("a negative offset was accepted")
	}

	// Escalated: the manager gains it, still in deadline order; the stage
	// indexes move it from stage 1 to stage 2.
	d, err := s.Dispute(ctx, refs[0])
	must(t, err)
	must(t, s.Commit(ctx, escalated(d, "no answer", t0.Add(time.Hour)), ""))
	mine, n, err := s.OpenPage(ctx, manager, 0, 10)
	must(t, err)
	if n != 1 || mine[0] != refs[0] {
		t.Fatalf("the manager's page %v of %d", mine, n)
	}
	if c := s.rdb.ZCard(ctx, s.key("od:1")).Val(); c != 11 {
		t.Errorf("stage 1 index holds %d, want 11", c)
	}
	if c := s.rdb.ZCard(ctx, s.key("od:2")).Val(); c != 1 {
		t.Errorf("stage 2 index holds %d, want 1", c)
	}
	if _, err := s.Dispute(ctx, "ESC-2026-9999"); !isNotFound(err) {
		t.Errorf("Dispute of a missing case: %v", err)
	}
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// legacyLayout rewrites a case's indexes as schema 4 kept them: its
// entries named in a mem:<ref> set (open, closed and all not among them),
// no list of entries on the case; with perPersonSets, as schema 1 did
// too: per-person sets (op:<user>) in place of the deadline-ordered
// per-person and per-stage indexes.
func legacyLayout(t *testing.T, s *Store, ref string, perPersonSets bool) {
	t.Helper()
	ctx := context.Background()
	dk, memk := s.key("d:", ref), s.key("mem:", ref)
	m := s.rdb.HGet(ctx, dk, "m").Val()
	if m == "" {
		t.Fatalf("%s keeps no index entries", ref)
	}
	must(t, s.rdb.HDel(ctx, dk, "m").Err())
	lines := strings.Split(strings.TrimSuffix(m, "\n"), "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		k := lines[i]
		switch {
		case k == "open" || k == "closed" || k == "all":
		case perPersonSets && (k[:3] == "pd:" || k[:3] == "od:"):
			must(t, s.rdb.ZRem(ctx, s.key(k), ref).Err())
			if k[:3] == "pd:" {
				must(t, s.rdb.SAdd(ctx, s.key("op:", k[3:]), ref).Err())
				must(t, s.rdb.SAdd(ctx, memk, "op:"+k[3:]).Err())
			}
		default:
			must(t, s.rdb.SAdd(ctx, memk, k).Err())
		}
	}
}

// A store written with per-person sets (op:) and its entries named in
// mem:<ref> sets is upgraded once, at start: every open case lands in its
// deadline-ordered indexes, keeps its entries on itself, the old sets go,
// and the next start does nothing.
func TestUpgradeIndexes(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	for i := range 3 {
		must(t, s.Commit(ctx, raised(fmt.Sprintf("ESC-2026-%04d", i+1), t0), ""))
	}
	want := map[string]string{}
	for i := range 3 {
		ref := fmt.Sprintf("ESC-2026-%04d", i+1)
		want[ref] = s.rdb.HGet(ctx, s.key("d:", ref), "m").Val()
		legacyLayout(t, s, ref, true)
	}
	if refs, _, _ := s.OpenPage(ctx, raiser, 0, 10); len(refs) != 0 {
		t.Fatalf("the old layout still has a deadline index: %v", refs)
	}
	n, err := s.UpgradeIndexes(ctx)
	must(t, err)
	if n != 3 {
		t.Fatalf("upgraded %d cases, want 3", n)
	}
	for _, u := range []workflow.UserID{raiser, responder} {
		if refs, total, _ := s.OpenPage(ctx, u, 0, 10); total != 3 || len(refs) != 3 {
			t.Errorf("%s after the upgrade: %v of %d", u, refs, total)
		}
		if s.rdb.Exists(ctx, s.key("op:", string(u))).Val() != 0 {
			t.Errorf("the old set of %s is still there", u)
		}
	}
	if c := s.rdb.ZCard(ctx, s.key("od:1")).Val(); c != 3 {
		t.Errorf("stage 1 index holds %d after the upgrade", c)
	}
	for ref, m := range want {
		if got := s.rdb.HGet(ctx, s.key("d:", ref), "m").Val(); got != m {
			t.Errorf("%s keeps %q after the upgrade, want %q", ref, got, m)
		}
		if s.rdb.Exists(ctx, s.key("mem:", ref)).Val() != 0 {
			t.Errorf("the mem: set of %s is still there", ref)
		}
	}
	if n, err := s.UpgradeIndexes(ctx); err != nil || n != 0 {
		t.Errorf("a second upgrade did %d (%v)", n, err)
	}
}

// A case written before its index entries were kept on it is moved to
// the new layout by its next transition, whether or not the upgrade has
// reached it: every index right, its mem:<ref> set gone; closing it takes
// it out of open and into closed as before.
func TestTransitionUpgradesItsCase(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	r := raised("ESC-2026-0001", t0)
	must(t, s.Commit(ctx, r, ""))
	legacyLayout(t, s, r.Dispute.Ref, false)
	next := escalated(r.Dispute, "no answer", t0.Add(25*time.Hour))
	must(t, s.Commit(ctx, next, ""))
	fresh := newTestStore(t, Options{})
	must(t, fresh.Commit(ctx, raised("ESC-2026-0001", t0), ""))
	must(t, fresh.Commit(ctx, escalated(raised("ESC-2026-0001", t0).Dispute, "no answer", t0.Add(25*time.Hour)), ""))
	if got, want := indexDump(t, s, r.Dispute.Ref), indexDump(t, fresh, r.Dispute.Ref); got != want {
		t.Fatalf("after a transition on the old layout:\n%s\nwritten afresh:\n%s", got, want)
	}
	if s.rdb.Exists(ctx, s.key("mem:", r.Dispute.Ref)).Val() != 0 {
		t.Error("the mem: set is still there")
	}
	legacyLayout(t, s, r.Dispute.Ref, false)
	closed := resolved(next.Dispute, "agreed", t0.Add(26*time.Hour))
	must(t, s.Commit(ctx, closed, ""))
	if s.rdb.ZScore(ctx, s.key("open"), r.Dispute.Ref).Err() == nil || s.rdb.ZScore(ctx, s.key("closed"), r.Dispute.Ref).Err() != nil {
		t.Error("closing a case of the old layout left it open or not closed")
	}
	if got := indexDump(t, s, r.Dispute.Ref); strings.Contains(got, "pd:") || strings.Contains(got, "od:") || strings.Contains(got, "oa:") {
		t.Errorf("a closed case is still indexed as open:\n%s", got)
	}
}

// A transition that leaves a case's index entries as they were does not
// write them (here: one of them is corrupt, and a note still goes
// through, while an escalation, which moves the case out of it, is
// refused and writes nothing).
func TestUnchangedIndexesAreNotWritten(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	r := raised("ESC-2026-0001", t0)
	must(t, s.Commit(ctx, r, ""))
	k := s.key("od:1")
	must(t, s.rdb.Del(ctx, k).Err())
	must(t, s.rdb.Set(ctx, k, "not what the store expects", 0).Err())
	must(t, s.Commit(ctx, noted(r.Dispute, "a note", t0.Add(time.Minute)), ""))
	d, err := s.Dispute(ctx, r.Dispute.Ref)
	must(t, err)
	if err := s.Commit(ctx, escalated(d, "no answer", t0.Add(25*time.Hour)), ""); err == nil || errors.Is(err, ErrConflict) {
		t.Fatalf("an escalation over a corrupt index of the stage it leaves: %v", err)
	}
}

// indexDump is every index entry of one case, by key.
func indexDump(t *testing.T, s *Store, ref string) string {
	t.Helper()
	ctx := context.Background()
	keys, err := s.rawKeys(ctx)
	must(t, err)
	var out []string
	for _, k := range keys {
		name := strings.TrimPrefix(k, s.base)
		switch s.rdb.Type(ctx, k).Val() {
		case "zset":
			if sc, err := s.rdb.ZScore(ctx, k, ref).Result(); err == nil {
				out = append(out, fmt.Sprintf("%s %v", name, sc))
			}
		case "set":
			if strings.HasPrefix(name, "dt:") {
				continue
			}
			if s.rdb.SIsMember(ctx, k, ref).Val() {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// The event stream is capped: by length whatever happens, and by age to
// the retention period (entries older than StreamKeep go).
func TestStreamIsCapped(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{StreamMaxLen: 100})
	r := raised("ESC-2026-0001", t0)
	must(t, s.Commit(ctx, r, ""))
	d := r.Dispute
	for i := range 350 {
		res := noted(d, "a note", t0.Add(time.Duration(i+1)*time.Minute))
		must(t, s.Commit(ctx, res, ""))
		d = res.Dispute
	}
	// Trimming is by whole stream nodes (100 entries each by default).
	if n := s.rdb.XLen(ctx, s.key("events")).Val(); n < 100 || n > 200 {
		t.Errorf("the stream holds %d entries with a cap of 100", n)
	}
	// The case's own log is not capped: it is the record.
	if n := s.rdb.LLen(ctx, s.key("ev:", d.Ref)).Val(); n != 351 {
		t.Errorf("the case's log holds %d events, want 351", n)
	}

	// By age: 250 entries from 1970 go at the next commit, the new one stays.
	old := newTestStore(t, Options{StreamKeep: 24 * time.Hour, StreamMaxLen: -1})
	for i := range 250 {
		must(t, old.rdb.XAdd(ctx, &redis.XAddArgs{Stream: old.key("events"), ID: strconv.Itoa(i+1) + "-0", Values: []string{"r", "ESC-1970-0001"}}).Err())
	}
	must(t, old.Commit(ctx, raised("ESC-2026-0002", t0), ""))
	msgs := old.rdb.XRange(ctx, old.key("events"), "-", "+").Val()
	if len(msgs) > 51 || msgs[len(msgs)-1].Values["r"] != "ESC-2026-0002" {
		t.Errorf("after trimming by age the stream holds %d entries, the last of %v", len(msgs), msgs[len(msgs)-1].Values["r"])
	}
}

// CommitMany writes each transition as Commit would, in one round trip:
// one that conflicts or repeats a key is refused alone, the rest are
// written.
func TestCommitManyAnswersEachAlone(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, Options{})
	var ds []*workflow.Dispute
	for i := range 3 {
		r := raised(fmt.Sprintf("ESC-2026-%04d", i+1), t0)
		must(t, s.Commit(ctx, r, ""))
		ds = append(ds, r.Dispute)
	}
	must(t, s.Commit(ctx, noted(ds[1], "moved on", t0.Add(time.Minute)), "taken"))
	trips := &tripHook{}
	s.rdb.AddHook(trips)
	res := []*workflow.Result{
		noted(ds[0], "first", t0.Add(2*time.Minute)),
		noted(ds[1], "stale", t0.Add(2*time.Minute)), // version 1, the case is at 2
		noted(ds[2], "repeat", t0.Add(2*time.Minute)),
	}
	errs := s.CommitMany(ctx, res, []string{"a", "b", "taken"})
	if trips.n != 1 {
		t.Errorf("CommitMany took %d round trips, want 1", trips.n)
	}
	if errs[0] != nil || !errors.Is(errs[1], ErrConflict) || !errors.Is(errs[2], ErrDuplicate) {
		t.Fatalf("answers %v, want nil, a conflict, a duplicate", errs)
	}
	if d, err := s.Dispute(ctx, ds[0].Ref); err != nil || d.Version != 2 {
		t.Errorf("the first case is at version %v (%v), want 2", d, err)
	}
	if d, err := s.Dispute(ctx, ds[2].Ref); err != nil || d.Version != 1 {
		t.Errorf("the repeated one was written: %v (%v)", d, err)
	}
}

// tripHook counts round trips to Redis (one per command sent alone, one
// per pipeline), leaving out what a new connection says (HELLO, CLIENT).
type tripHook struct{ n int64 }

func (h *tripHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *tripHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() != "hello" {
			h.n++
		}
		return next(ctx, cmd)
	}
}
func (h *tripHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && cmds[0].Name() != "client" {
			h.n++
		}
		return next(ctx, cmds)
	}
}

package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const (
	raiser    workflow.UserID = "slack:U1"
	responder workflow.UserID = "teams:29:abc"
	manager   workflow.UserID = "slack:U9"
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// alwaysWorking is a calendar where every hour is a working hour: the
// engine test does not care about working days, only that the workflow's
// results are written as they are.
type alwaysWorking struct{}

func (alwaysWorking) Location() *time.Location               { return time.UTC }
func (alwaysWorking) IsWorkingTime(time.Time) bool           { return true }
func (alwaysWorking) NextWorkingStart(t time.Time) time.Time { return t }
func (alwaysWorking) AddWorkingDays(t time.Time, n int) time.Time {
	return t.Add(time.Duration(n) * 24 * time.Hour)
}
func (alwaysWorking) AddWorkingHours(t time.Time, d time.Duration) time.Time { return t.Add(d) }
func (alwaysWorking) SubWorkingHours(t time.Time, d time.Duration) time.Time { return t.Add(-d) }

func testEnv() workflow.Env {
	day := workflow.Window{Amount: 1, Unit: workflow.WorkingDays}
	remind := workflow.Window{Amount: 2, Unit: workflow.WorkingHours}
	return workflow.Env{
		Policy: &workflow.Policy{ID: "test", Partnership: "Test", Subjects: []workflow.SubjectType{workflow.SubjectChild},
			Stages: []workflow.Stage{
				{Label: "1", Name: "Practitioners", Role: workflow.RolePractitioner, Window: day, Remind: remind},
				{Label: "2", Name: "Managers", Role: workflow.RoleLineManager, Window: day, Remind: remind, NotifyBusinessTeam: true},
			}},
		Directory: &workflow.Directory{
			Agencies: []workflow.Agency{{ID: "police", Name: "Police"}, {ID: "csc", Name: "Children's Social Care"}},
			People: []workflow.Person{
				{ID: raiser, Name: "Sam Raiser", Agency: "police", Role: workflow.RolePractitioner},
				{ID: responder, Name: "Robin Responder", Agency: "csc", Role: workflow.RolePractitioner},
				{ID: manager, Name: "Max Manager", Agency: "police", Role: workflow.RoleLineManager},
				{ID: "teams:29:mgr", Name: "Mo Manager", Agency: "csc", Role: workflow.RoleLineManager},
			},
		},
		Calendar: alwaysWorking{},
	}
}

// The engine runs real workflow results through the store: raise, a
// reminder from a claimed timer, an escalation, a refused stale click.
func TestEngineOverTheStore(t *testing.T) {
	ctx := context.Background()
	now := t0
	clock := func() time.Time { return now }
	s := storetest.New(t, store.Options{FeedPlatforms: []string{"slack"}, Now: clock})
	e := engine.New(s, testEnv(), clock, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)

	in := workflow.RaiseInput{SubjectType: workflow.SubjectChild, SubjectRef: "CASE-1234", Category: workflow.CatThresholds,
		Disagreement: "the threshold is met", OutcomeSought: "an assessment", Evidence: "missed appointments",
		ResponderAgency: "csc", Responder: responder}
	res, err := e.Raise(ctx, raiser, in, "slack:trigger-1")
	must(t, err)
	ref := res.Dispute.Ref
	if ref != "ESC-2026-0001" {
		t.Fatalf("ref = %s", ref)
	}
	mine, err := e.MyCases(ctx, responder, 0, engine.ListPageSize)
	must(t, err)
	if len(mine.Cases) != 1 || mine.Cases[0].Ref != ref || mine.Total != 1 || mine.More() != 0 {
		t.Fatalf("MyCases = %+v", mine)
	}

	// The reminder falls due; the scheduler claims it and runs it.
	now = res.Dispute.Deadline.Add(-2 * time.Hour)
	due, err := s.ClaimDueTimers(ctx, now, 10, time.Minute)
	must(t, err)
	if len(due) != 1 || due[0].Kind != workflow.TimerRemind {
		t.Fatalf("due = %+v", due)
	}
	if _, err := e.RunTimer(ctx, due[0].Timer); err != nil {
		t.Fatal(err)
	}
	must(t, s.AckTimer(ctx, due[0]))

	d, _, err := e.Case(ctx, ref, raiser)
	must(t, err)
	esc := workflow.Command{Kind: workflow.CmdEscalate, Actor: raiser, ExpectStage: 1, Text: "no reply to my calls"}
	if _, err := e.Do(ctx, ref, esc, "slack:click-1"); err != nil {
		t.Fatal(err)
	}
	// The same click delivered again: the case has moved on.
	var r *workflow.Refusal
	if _, err := e.Do(ctx, ref, esc, "slack:click-2"); !errors.As(err, &r) || r.Code != workflow.RefuseMovedOn {
		t.Fatalf("repeated click: %v", err)
	}
	// A note, submitted twice by a platform retry: written once.
	note := workflow.Command{Kind: workflow.CmdComment, Actor: responder, Text: "we will visit"}
	if _, err := e.Do(ctx, ref, note, "teams:activity-9"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Do(ctx, ref, note, "teams:activity-9"); !errors.Is(err, engine.ErrDuplicate) {
		t.Fatalf("repeated note: %v", err)
	}
	d2, hist, err := s.Load(ctx, ref)
	must(t, err)
	if d2.Stage != 2 || d2.Version <= d.Version || hist[len(hist)-2].Text != "no reply to my calls" || hist[len(hist)-1].Text != "we will visit" {
		t.Fatalf("after escalation: stage %d, history %+v", d2.Stage, hist)
	}
	for i, ev := range hist {
		if ev.Seq != i+1 {
			t.Fatalf("history seq %d at %d", ev.Seq, i)
		}
	}
	managers, _ := s.OpenFor(ctx, manager)
	if !slices.Equal(managers, []string{ref}) {
		t.Errorf("the manager's cases = %v", managers)
	}
	ts, _ := s.Timers(ctx, ref)
	for _, tm := range ts {
		if tm.Stage != 2 {
			t.Errorf("a stage 1 timer survived the escalation: %+v", tm)
		}
	}
	// Everything the workflow asked to send is in the outbox, feed post
	// for the business team included (stage 2 notifies them).
	items, err := s.ClaimOutbox(ctx, now, 100, time.Minute)
	must(t, err)
	feed := slices.ContainsFunc(items, func(it store.OutboxItem) bool { return it.Message.Feed && it.Target == "slack" })
	toManager := slices.ContainsFunc(items, func(it store.OutboxItem) bool { return it.Message.To == manager })
	if !feed || !toManager {
		t.Errorf("outbox: feed %v, to the manager %v (%d items)", feed, toManager, len(items))
	}
}

// A person's list is read a page at a time, soonest deadline first, and
// says how many more there are; a case leaving the person (closed, or
// escalated past them) leaves their list in the same write.
func TestMyCasesPages(t *testing.T) {
	ctx := context.Background()
	now := t0
	clock := func() time.Time { return now }
	s := storetest.New(t, store.Options{Now: clock})
	e := engine.New(s, testEnv(), clock, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	in := workflow.RaiseInput{SubjectType: workflow.SubjectChild, SubjectRef: "CASE-1", Category: workflow.CatThresholds,
		Disagreement: "the threshold is met", OutcomeSought: "an assessment", Evidence: "missed appointments",
		ResponderAgency: "csc", Responder: responder}
	var refs []string
	for i := range 25 {
		// Raised later and later, so each window closes later than the last.
		now = t0.Add(time.Duration(i) * time.Minute)
		res, err := e.Raise(ctx, raiser, in, fmt.Sprintf("raise-%d", i))
		must(t, err)
		refs = append(refs, res.Dispute.Ref)
	}
	first, err := e.MyCases(ctx, responder, 0, 10)
	must(t, err)
	if first.Total != 25 || first.More() != 15 || len(first.Cases) != 10 {
		t.Fatalf("first page: %d cases of %d, %d more", len(first.Cases), first.Total, first.More())
	}
	for i, d := range first.Cases {
		if d.Ref != refs[i] {
			t.Fatalf("first page, row %d: %s, want %s (soonest deadline first)", i, d.Ref, refs[i])
		}
	}
	if got := first.MoreLine("list", 10); got != "…and 15 more: “list 2” shows the next 10." {
		t.Errorf("more line %q", got)
	}
	last, err := e.MyCases(ctx, responder, engine.ParsePage("page 3", 10), 10)
	must(t, err)
	if len(last.Cases) != 5 || last.Cases[0].Ref != refs[20] || last.More() != 0 || last.MoreLine("list", 10) != "" {
		t.Fatalf("last page: %+v", last)
	}
	if h := last.Heading(); h != "Your open cases (25), soonest deadline first: 21 to 25" {
		t.Errorf("heading %q", h)
	}

	// The first case is withdrawn: it leaves both people's lists at once.
	if _, err := e.Do(ctx, refs[0], workflow.Command{Kind: workflow.CmdWithdraw, Actor: raiser, Text: "sorted out"}, ""); err != nil {
		t.Fatal(err)
	}
	for _, u := range []workflow.UserID{raiser, responder} {
		p, err := e.MyCases(ctx, u, 0, 10)
		must(t, err)
		if p.Total != 24 || p.Cases[0].Ref != refs[1] {
			t.Errorf("%s after the withdrawal: %d cases, first %s", u, p.Total, p.Cases[0].Ref)
		}
	}
}

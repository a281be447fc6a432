package scheduler

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// The digest goes once on each working day at 09:00 — not on Christmas
// Day, the weekend or the substitute Boxing Day (Monday 28 December 2026) —
// however many replicas tick, and it carries no free text and no subject
// reference.
func TestDailyDigestOnWorkingDaysOnly(t *testing.T) {
	loc := london(t)
	r := newRig(t, time.Date(2026, 12, 24, 10, 0, 0, 0, loc), 1, Options{})
	open := r.raise()
	escalated := r.raise()
	resolved := r.raise()
	r.clock.Set(r.at(2026, 12, 24, 10, 30))
	r.do(escalated, workflow.Command{Kind: workflow.CmdEscalate, Actor: raiser, Text: "The police practitioner is on leave"})
	r.clock.Set(r.at(2026, 12, 24, 11, 0))
	r.do(resolved, workflow.Command{Kind: workflow.CmdPropose, Actor: raiser, Proposal: &workflow.Proposal{Outcome: "Meeting booked for the Acacia Avenue children", RecordedOnFile: true}})
	r.do(resolved, workflow.Command{Kind: workflow.CmdConfirm, Actor: responder})
	r.delivered()

	replicas := []*Scheduler{r.s, r.another(Options{}), r.another(Options{})}
	digests := map[string]store.OutboxItem{}
	var times []string
	r.clock.Set(r.at(2026, 12, 25, 0, 0))
	for r.clock.Now().Before(r.at(2026, 12, 31, 12, 0)) {
		var wg sync.WaitGroup
		for _, s := range replicas {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.Tick(r.ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		for _, it := range r.delivered() {
			if it.Message.Kind == workflow.MsgDigest {
				when := r.clock.Now().In(loc).Format("Mon 2 Jan 15:04")
				times = append(times, when)
				digests[when] = it
				if !it.Message.Feed || it.Target != "slack" {
					t.Fatalf("digest not a feed post: %+v", it)
				}
			}
		}
		r.clock.Advance(15 * time.Minute)
	}
	if want := []string{"Tue 29 Dec 09:00", "Wed 30 Dec 09:00", "Thu 31 Dec 09:00"}; !slices.Equal(times, want) {
		t.Fatalf("digests at %v, want %v", times, want)
	}

	tue := digests["Tue 29 Dec 09:00"].Message
	text := messageText(tue)
	for _, want := range []string{
		"Daily digest for Tuesday 29 December 2026",
		"Stage 1 (Professional to professional): 1 open",
		"Stage 2 (Manager to manager): 1 open",
		"No case is overdue.",
		"Closed since Thu 24 Dec, 09:00 (1):",
		resolved + " · Stage 1 (Professional to professional) · Children's Social Care ↔ Sussex Police · Child protection conference / safeguarding meeting refused · resolved Thu 24 Dec, 11:00",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Tuesday's digest lacks %q:\n%s", want, text)
		}
	}
	// Wednesday: both open cases are past their windows (Tue 10:00 and
	// 10:30); nothing closed since Tuesday's digest.
	wed := messageText(digests["Wed 30 Dec 09:00"].Message)
	for _, want := range []string{
		"Overdue (2):",
		open + " · Stage 1 (Professional to professional) · Children's Social Care ↔ Sussex Police · Child protection conference / safeguarding meeting refused · window closed Tue 29 Dec, 10:00 · overdue less than a working day",
		escalated + " · Stage 2 (Manager to manager)",
		"No case closed since Tue 29 Dec, 09:00.",
	} {
		if !strings.Contains(wed, want) {
			t.Errorf("Wednesday's digest lacks %q:\n%s", want, wed)
		}
	}
	if thu := messageText(digests["Thu 31 Dec 09:00"].Message); !strings.Contains(thu, "window closed Tue 29 Dec, 10:00 · overdue 1 working day") {
		t.Errorf("Thursday's digest does not say how long the case is overdue:\n%s", thu)
	}

	// No free text and no subject reference, in any digest.
	ds, err := r.st.Disputes(r.ctx, []string{open, escalated, resolved})
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, d := range ds {
		for _, f := range d.FreeText() {
			if *f != "" {
				secrets = append(secrets, *f)
			}
		}
	}
	secrets = append(secrets, "The police practitioner is on leave", "Sam Worker", "Pat Constable")
	for when, it := range digests {
		text := messageText(it.Message)
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Fatalf("the digest of %s carries %q", when, s)
			}
		}
		if len(it.Message.Actions) > 0 || len(it.Message.History) > 0 || it.Message.To != "" {
			t.Fatalf("the digest of %s has actions, history or a recipient", when)
		}
	}
}

func messageText(m workflow.Message) string {
	parts := append([]string{m.Title}, m.Lines...)
	for _, f := range m.Facts {
		parts = append(parts, f.Label+": "+f.Value)
	}
	return strings.Join(parts, "\n")
}

// The digest goes when the service comes back if it was down at 09:00, and
// not at all before 09:00.
func TestDigestAfterDowntimeAndNotBeforeItsTime(t *testing.T) {
	r := newRig(t, time.Date(2027, 1, 4, 8, 59, 0, 0, london(t)), 1, Options{DigestAt: 9 * time.Hour})
	if rep := r.tick(); rep.Digest {
		t.Fatal("digest before its time")
	}
	r.clock.Set(r.at(2027, 1, 4, 13, 20))
	if rep := r.tick(); !rep.Digest {
		t.Fatal("no digest after downtime over 09:00")
	}
	if rep := r.tick(); rep.Digest {
		t.Fatal("a second digest the same day")
	}
	// A restarted instance (no memory of the day) does not send another.
	restarted := r.another(Options{})
	if rep, err := restarted.TickReport(r.ctx); err != nil || rep.Digest {
		t.Fatalf("restarted instance: %+v, %v", rep, err)
	}
	if got := kinds(r.delivered()); got[workflow.MsgDigest] != 1 {
		t.Fatalf("digests in the outbox: %d", got[workflow.MsgDigest])
	}
}

// The builder on its own: counts are exact, lists are bounded, the longest
// overdue comes first.
func TestDigestBuilder(t *testing.T) {
	cal := newCal(t)
	loc := cal.Location()
	now := time.Date(2027, 1, 11, 9, 0, 0, 0, loc) // Monday
	p := policy(1)
	var open []*workflow.Dispute
	for i := range 30 {
		open = append(open, &workflow.Dispute{
			Ref: workflow.FormatRef(2027, i+1), Stage: 1 + i%2, State: workflow.StateOpen, Category: workflow.CatThresholds,
			Raiser: workflow.Party{Agency: "csc"}, Responder: workflow.Party{Agency: "police"},
			SubjectRef: subjectRef, Disagreement: disagreement,
			Deadline: time.Date(2027, 1, 8, 10, 0, 0, 0, loc).Add(-time.Duration(i) * 24 * time.Hour),
		})
	}
	open = append(open, &workflow.Dispute{Ref: "ESC-2027-0099", Stage: 3, State: workflow.StateProposed, Category: workflow.CatRoles,
		Raiser: workflow.Party{Agency: "csc"}, Responder: workflow.Party{Agency: "police"}, Deadline: now.Add(time.Hour)})
	closed := []*workflow.Dispute{{Ref: "ESC-2027-0100", Stage: 4, State: workflow.StateResolved, ClosedAt: now.Add(-time.Hour),
		Outcome: &workflow.Proposal{Outcome: "secret outcome", ResolvedByChair: true}, Category: workflow.CatRoles,
		Raiser: workflow.Party{Agency: "csc"}, Responder: workflow.Party{Agency: "police"}}}
	m := Digest(DigestInput{Policy: p, Directory: directory(), Calendar: cal, Open: open, Closed: closed, Since: now.Add(-72 * time.Hour), Now: now})
	text := messageText(m)
	for _, want := range []string{
		"Stage 1 (Professional to professional): 15 open, 15 overdue",
		"Stage 2 (Manager to manager): 15 open, 15 overdue",
		"Stage 3 (Senior manager to senior manager): 1 open",
		"Stage 4 (Partnership chair): 0 open",
		"Overdue (30):",
		"…and 5 more overdue",
		"ESC-2027-0100 · Stage 4 (Partnership chair) · Children's Social Care ↔ Sussex Police · Roles and responsibilities · resolved by the chair Mon 11 Jan, 08:00",
		"Open: 31", "Overdue: 30",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("digest lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, subjectRef) || strings.Contains(text, "Acacia") || strings.Contains(text, "secret outcome") {
		t.Fatalf("digest carries free text:\n%s", text)
	}
	// The longest overdue (ESC-2027-0030, due 30 days before the others) is first.
	first := slices.IndexFunc(m.Lines, func(l string) bool { return strings.HasPrefix(l, "• ESC-") })
	if !strings.HasPrefix(m.Lines[first], "• ESC-2027-0030 ") {
		t.Fatalf("first overdue line %q", m.Lines[first])
	}
	if m.ID != "digest:2027-01-11" || m.Kind != workflow.MsgDigest || !m.Feed || m.Ref != "" {
		t.Fatalf("digest envelope %+v", m)
	}
	listed := 0
	for _, l := range m.Lines {
		if strings.Contains(l, "overdue") && strings.HasPrefix(l, "• ESC-") {
			listed++
		}
	}
	if listed != digestListMax {
		t.Fatalf("%d overdue cases listed, want %d", listed, digestListMax)
	}
}

// The digest built from the store's indexes says exactly what the digest
// built from every case says: the same counts, the same longest overdue
// first, the same closed cases.
func TestDigestFromIndexesMatchesTheDigestFromEveryCase(t *testing.T) {
	r := newRig(t, time.Date(2027, 1, 4, 10, 0, 0, 0, london(t)), 1, Options{DigestOff: true})
	old := r.raiseMany(30)
	r.clock.Set(r.at(2027, 1, 5, 10, 0)) // their windows close and lapse
	r.tick()
	r.clock.Set(r.at(2027, 1, 5, 11, 0))
	r.raiseMany(4) // open, not overdue
	for _, ref := range old[:3] {
		r.do(ref, workflow.Command{Kind: workflow.CmdWithdraw, Actor: raiser, Text: "Agreed by phone"})
	}
	r.do(old[3], workflow.Command{Kind: workflow.CmdEscalate, Actor: raiser, Text: "No answer"})
	now := r.at(2027, 1, 6, 9, 30)
	r.clock.Set(now)
	since := r.at(2027, 1, 5, 9, 0)

	got, _, err := r.s.buildDigest(r.ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	openRefs, err := r.st.OpenRefs(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	closedRefs, err := r.st.ClosedSince(r.ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	open, err := r.s.disputesOf(openRefs)
	if err != nil {
		t.Fatal(err)
	}
	closed, err := r.s.disputesOf(closedRefs)
	if err != nil {
		t.Fatal(err)
	}
	want := Digest(DigestInput{Policy: r.env.Policy, Directory: r.env.Directory, Calendar: r.cal, Open: open, Closed: closed, Since: since, Now: now})
	if !slices.Equal(got.Lines, want.Lines) || !slices.Equal(got.Facts, want.Facts) {
		t.Fatalf("from the indexes:\n%s\n%v\nfrom every case:\n%s\n%v", strings.Join(got.Lines, "\n"), got.Facts, strings.Join(want.Lines, "\n"), want.Facts)
	}
	if got.Facts[0].Value != "31" || got.Facts[1].Value != "26" || got.Facts[2].Value != "3" {
		t.Fatalf("facts %v, want 31 open, 26 overdue, 3 closed", got.Facts)
	}
}

func (s *Scheduler) disputesOf(refs []string) ([]*workflow.Dispute, error) {
	return s.store.Disputes(context.Background(), refs)
}

// A case on another of the policy's routes is counted at that route's
// stages, under its name, both from the indexes and from the cases; the
// main route's stage of the same number does not count it.
func TestDigestCountsEachRouteApart(t *testing.T) {
	r := newRig(t, time.Date(2027, 1, 4, 10, 0, 0, 0, london(t)), 1, Options{DigestOff: true})
	p := *r.env.Policy
	p.Routes = []workflow.Route{{ID: "conference", Name: "Dissent from a conference decision", Categories: []workflow.Category{workflow.CatConferenceRefused},
		Stages: []workflow.Stage{
			{Label: "1", Name: "Conference chair", Role: workflow.RolePractitioner, Window: workflow.Window{Amount: 1, Unit: workflow.WorkingDays}},
			{Label: "2", Name: "Partnership chair for conferences", Role: workflow.RoleChair, Window: workflow.Window{Amount: 5, Unit: workflow.WorkingDays}, Final: workflow.FinalChairResolve},
		}}}
	r.env.Policy = &p
	log := slog.New(slog.NewTextHandler(r.logs, nil))
	r.eng = engine.New(r.st, r.env, r.clock.Now, log, nil)
	r.s = New(r.st, r.eng, r.env, r.cal, r.clock.Now, log, r.m, Options{DigestOff: true})

	conf := r.raiseMany(3) // the rig raises conference_refused: the conference route
	res, err := r.eng.Raise(r.ctx, raiser, workflow.RaiseInput{SubjectType: workflow.SubjectChild, SubjectRef: subjectRef, Category: workflow.CatThresholds,
		DecisionDisputed: "No assessment", Plan: workflow.PlanChildInNeed, Disagreement: disagreement, OutcomeSought: "An assessment", Evidence: "Two referrals",
		ResponderAgency: "police", Responder: responder}, "raise-main")
	if err != nil {
		t.Fatal(err)
	}
	if d, _, _ := r.st.Load(r.ctx, conf[0]); d.Route != "conference" {
		t.Fatalf("the rig's case follows route %q", d.Route)
	}
	r.do(conf[0], workflow.Command{Kind: workflow.CmdEscalate, Actor: raiser, Text: "No answer"})
	now := r.at(2027, 1, 4, 11, 0)
	r.clock.Set(now)
	got, since, err := r.s.buildDigest(r.ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	open, err := r.s.disputesOf(append(conf, res.Dispute.Ref))
	if err != nil {
		t.Fatal(err)
	}
	want := Digest(DigestInput{Policy: r.env.Policy, Directory: r.env.Directory, Calendar: r.cal, Open: open, Since: since, Now: now})
	if !slices.Equal(got.Lines, want.Lines) {
		t.Fatalf("from the indexes:\n%s\nfrom every case:\n%s", strings.Join(got.Lines, "\n"), strings.Join(want.Lines, "\n"))
	}
	for _, line := range []string{
		"• Stage 1 (Professional to professional): 1 open",
		"• Stage 2 (Manager to manager): 0 open",
		"Dissent from a conference decision:",
		"• Stage 1 (Conference chair): 2 open",
		"• Stage 2 (Partnership chair for conferences): 1 open",
	} {
		if !slices.Contains(got.Lines, line) {
			t.Errorf("the digest lacks %q:\n%s", line, strings.Join(got.Lines, "\n"))
		}
	}
	if got.Facts[0].Value != "4" {
		t.Errorf("facts %v, want 4 open", got.Facts)
	}
}

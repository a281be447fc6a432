package scheduler

import (
	"context"
	"fmt"
	"github.com/escalate-app/escalate/bot/bottest"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
	"github.com/escalate-app/escalate/workflow/calendar"
)

func london(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// newCal is the real working-day clock: 09:00–17:00 Europe/London with the
// bank holidays of England and Wales.
func newCal(t testing.TB) Calendar {
	t.Helper()
	cal, err := calendar.New(calendar.Config{Region: calendar.EnglandAndWales, Location: london(t)})
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// policy is West Sussex's shape: four stages of one working day each, a
// reminder two working hours before each closes, the business team told
// from stage 2, the chair resolving or convening a panel at the last.
func policy(window int) *workflow.Policy {
	st := func(label, name string, role workflow.Role, feed bool) workflow.Stage {
		return workflow.Stage{Label: label, Name: name, Role: role, NotifyBusinessTeam: feed,
			Window: workflow.Window{Amount: window, Unit: workflow.WorkingDays},
			Remind: workflow.Window{Amount: 2, Unit: workflow.WorkingHours}}
	}
	last := st("4", "Partnership chair", workflow.RoleChair, true)
	last.Final = workflow.FinalChairOrPanel
	return &workflow.Policy{
		ID: "west-sussex", Partnership: "West Sussex Safeguarding Children Partnership",
		Subjects: []workflow.SubjectType{workflow.SubjectChild},
		Stages: []workflow.Stage{
			st("1", "Professional to professional", workflow.RolePractitioner, false),
			st("2", "Manager to manager", workflow.RoleLineManager, true),
			st("3", "Senior manager to senior manager", workflow.RoleSeniorManager, true),
			last,
		},
	}
}

const (
	raiser    workflow.UserID = "slack:USW"
	responder workflow.UserID = "slack:UPC"
	raiserLM  workflow.UserID = "slack:ULM1"
	respLM    workflow.UserID = "teams:29:lm2"
	chair     workflow.UserID = "slack:UCHAIR"
	business  workflow.UserID = "slack:UBT"
)

func directory() *workflow.Directory {
	return &workflow.Directory{
		Agencies: []workflow.Agency{{ID: "csc", Name: "Children's Social Care"}, {ID: "police", Name: "Sussex Police"}},
		People: []workflow.Person{
			{ID: raiser, Name: "Sam Worker", Agency: "csc", Role: workflow.RolePractitioner},
			{ID: responder, Name: "Pat Constable", Agency: "police", Role: workflow.RolePractitioner},
			{ID: raiserLM, Name: "Lee Manager", Agency: "csc", Role: workflow.RoleLineManager},
			{ID: respLM, Name: "Robin Sergeant", Agency: "police", Role: workflow.RoleLineManager},
			{ID: "slack:USM1", Name: "Sasha Senior", Agency: "csc", Role: workflow.RoleSeniorManager},
			{ID: "slack:USM2", Name: "Jo Inspector", Agency: "police", Role: workflow.RoleSeniorManager},
			{ID: chair, Name: "Chris Chair", Role: workflow.RoleChair},
			{ID: business, Name: "Bea Team"},
		},
		BusinessTeam: []workflow.UserID{business},
		Chair:        []workflow.UserID{chair},
	}
}

// Free text and the subject reference, which must never reach a channel.
const (
	subjectRef   = "CSC-774411"
	disagreement = "Police declined the strategy meeting for the Acacia Avenue children"
)

// rig is a scheduler over a real store and a real engine.
type rig struct {
	t     testing.TB
	ctx   context.Context
	clock *fakeClock
	cal   Calendar
	env   workflow.Env
	st    *store.Store
	eng   *engine.Engine
	logs  *syncBuffer
	m     *repairCounter
	s     *Scheduler
	n     atomic.Int64
}

type repairCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *repairCounter) Repaired(kind string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[kind] += n
}

func (r *repairCounter) get(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[kind]
}

func newRig(t testing.TB, start time.Time, window int, opts Options) *rig {
	t.Helper()
	clock := bottest.NewClock(start)
	cal := newCal(t)
	env := workflow.Env{Policy: policy(window), Directory: directory(), Calendar: cal}
	st := storetest.New(t, store.Options{FeedPlatforms: []string{"slack"}, Now: clock.Now})
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	eng := engine.New(st, env, clock.Now, log, nil)
	r := &rig{t: t, ctx: context.Background(), clock: clock, cal: cal, env: env, st: st, eng: eng, logs: logs, m: &repairCounter{}}
	r.s = New(st, eng, env, cal, clock.Now, log, r.m, opts)
	return r
}

// another is a second scheduler (a replica) over the same store.
func (r *rig) another(opts Options) *Scheduler {
	return New(r.st, r.eng, r.env, r.cal, r.clock.Now, slog.New(slog.NewTextHandler(r.logs, nil)), r.m, opts)
}

func (r *rig) at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, r.cal.Location())
}

// raise raises a case from raiser against responder at the clock's time.
func (r *rig) raise() string {
	r.t.Helper()
	res, err := r.eng.Raise(r.ctx, raiser, workflow.RaiseInput{
		SubjectType: workflow.SubjectChild, SubjectRef: subjectRef, Category: workflow.CatConferenceRefused,
		DecisionDisputed: "No strategy meeting", Plan: workflow.PlanChildInNeed,
		Disagreement: disagreement, OutcomeSought: "A strategy meeting this week", Evidence: "Two referrals in a month",
		ResponderAgency: "police", Responder: responder,
	}, fmt.Sprintf("raise-%d", r.n.Add(1)))
	if err != nil {
		r.t.Fatalf("raise: %v", err)
	}
	return res.Dispute.Ref
}

func (r *rig) do(ref string, cmd workflow.Command) {
	r.t.Helper()
	if _, err := r.eng.Do(r.ctx, ref, cmd, fmt.Sprintf("do-%d", r.n.Add(1))); err != nil {
		r.t.Fatalf("%s on %s: %v", cmd.Kind, ref, err)
	}
}

func (r *rig) tick() TickReport {
	r.t.Helper()
	rep, err := r.s.TickReport(r.ctx)
	if err != nil {
		r.t.Fatalf("tick at %s: %v", r.clock.Now().In(r.cal.Location()), err)
	}
	return rep
}

// delivered is what the outbox holds ready at the clock's time: claimed and
// acknowledged, as the sender would.
func (r *rig) delivered() []store.OutboxItem {
	r.t.Helper()
	var out []store.OutboxItem
	for {
		its, err := r.st.ClaimOutbox(r.ctx, r.clock.Now(), 500, time.Minute)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, it := range its {
			if err := r.st.AckOutbox(r.ctx, it); err != nil {
				r.t.Fatal(err)
			}
		}
		out = append(out, its...)
		if len(its) < 500 {
			return out
		}
	}
}

// raiseMany raises n cases at the clock's time, several at once.
func (r *rig) raiseMany(n int) []string {
	r.t.Helper()
	refs := make([]string, n)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				refs[i] = r.raise()
			}
		}()
	}
	wg.Wait()
	return refs
}

// waiting is what the outbox holds ready at the clock's time, claimed for
// a year and not acknowledged (cheaper than delivered, for big counts).
func (r *rig) waiting() []store.OutboxItem {
	r.t.Helper()
	var out []store.OutboxItem
	for {
		its, err := r.st.ClaimOutbox(r.ctx, r.clock.Now(), 1000, 365*24*time.Hour)
		if err != nil {
			r.t.Fatal(err)
		}
		out = append(out, its...)
		if len(its) < 1000 {
			return out
		}
	}
}

func (r *rig) timers(ref string) []workflow.Timer {
	r.t.Helper()
	ts, err := r.st.Timers(r.ctx, ref)
	if err != nil {
		r.t.Fatal(err)
	}
	return ts
}

// describe is a timer list as "kind@stage due", for failure messages and
// comparisons.
func (r *rig) describe(ts []workflow.Timer) []string {
	var out []string
	for _, t := range ts {
		out = append(out, fmt.Sprintf("%s@%d %s", t.Kind, t.Stage, t.Due.In(r.cal.Location()).Format("Mon 2 Jan 15:04")))
	}
	slices.Sort(out)
	return out
}

// dm is one delivered direct message, as the tests compare them.
type dm struct {
	When string
	Kind workflow.MessageKind
	To   workflow.UserID
}

func (r *rig) dms(items []store.OutboxItem) []dm {
	var out []dm
	for _, it := range items {
		if it.Message.To == "" {
			continue
		}
		out = append(out, dm{When: r.clock.Now().In(r.cal.Location()).Format("Mon 2 Jan 15:04"), Kind: it.Message.Kind, To: it.Message.To})
	}
	slices.SortFunc(out, func(a, b dm) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	return out
}

func kinds(items []store.OutboxItem) map[workflow.MessageKind]int {
	k := map[workflow.MessageKind]int{}
	for _, it := range items {
		k[it.Message.Kind]++
	}
	return k
}

type fakeClock = bottest.Clock

type syncBuffer = bottest.LogBuffer

package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// A case raised on Christmas Eve afternoon: Christmas Day, the weekend and
// the Boxing Day substitute holiday (Monday 28 December 2026) are not
// working days, so its one-working-day window closes on Tuesday 29 December
// at 16:30, with the reminder two working hours before. The clock is driven
// tick by tick and every DM that lands in the outbox is checked, with when.
func TestChristmasCaseRemindedAndLapsedOnTheWorkingDayClock(t *testing.T) {
	loc := london(t)
	r := newRig(t, time.Date(2026, 12, 24, 16, 30, 0, 0, loc), 1, Options{})
	ref := r.raise()
	raised := r.dms(r.delivered())
	if want := []dm{{"Thu 24 Dec 16:30", workflow.MsgRaisedAck, raiser}, {"Thu 24 Dec 16:30", workflow.MsgRaised, responder}}; !sameDMs(raised, want) {
		t.Fatalf("on raising: %v, want %v", raised, want)
	}
	if got, want := r.describe(r.timers(ref)), []string{"lapse@1 Tue 29 Dec 16:30", "remind@1 Tue 29 Dec 14:30"}; !slices.Equal(got, want) {
		t.Fatalf("timers %v, want %v", got, want)
	}

	var got []dm
	var digests []string
	end := r.at(2026, 12, 30, 17, 0)
	for r.clock.Now().Before(end) {
		r.clock.Advance(5 * time.Minute)
		r.tick()
		items := r.delivered()
		got = append(got, r.dms(items)...)
		for _, it := range items {
			if it.Message.Kind == workflow.MsgDigest {
				digests = append(digests, r.clock.Now().In(loc).Format("Mon 2 Jan 15:04"))
			}
		}
	}
	want := []dm{
		{"Tue 29 Dec 14:30", workflow.MsgReminder, raiser},
		{"Tue 29 Dec 14:30", workflow.MsgReminder, responder},
		{"Tue 29 Dec 16:30", workflow.MsgLapsed, raiser},
		{"Tue 29 Dec 16:30", workflow.MsgLapsed, responder},
		// The daily prompt, a working day after the lapse.
		{"Wed 30 Dec 16:30", workflow.MsgLapsed, raiser},
		{"Wed 30 Dec 16:30", workflow.MsgLapsed, responder},
	}
	if !sameDMs(got, want) {
		t.Fatalf("DMs over the holiday:\n got %v\nwant %v", got, want)
	}
	// The first tick (Christmas Eve, after 09:00) sends that day's digest;
	// then none on Christmas Day, the weekend or the bank holiday Monday.
	if want := []string{"Thu 24 Dec 16:35", "Tue 29 Dec 09:00", "Wed 30 Dec 09:00"}; !slices.Equal(digests, want) {
		t.Fatalf("digests at %v, want %v", digests, want)
	}
	if got, want := r.describe(r.timers(ref)), []string{"prompt@1 Thu 31 Dec 16:30"}; !slices.Equal(got, want) {
		t.Fatalf("timers after the prompt %v, want %v", got, want)
	}
	assertLogsClean(t, r)
}

func sameDMs(got, want []dm) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	cmp := func(a, b dm) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) }
	slices.SortFunc(g, cmp)
	slices.SortFunc(w, cmp)
	return slices.Equal(g, w)
}

func assertLogsClean(t *testing.T, r *rig) {
	t.Helper()
	logs := r.logs.String()
	for _, secret := range []string{subjectRef, disagreement, "Acacia", "strategy meeting"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("logs carry free text or the subject reference (%q)", secret)
		}
	}
}

// A reminder that comes due while the scheduler is down and is only seen in
// the evening waits for the next working morning.
func TestReminderOutsideWorkingHoursWaitsForTheMorning(t *testing.T) {
	r := newRig(t, time.Date(2027, 1, 4, 10, 0, 0, 0, london(t)), 2, Options{DigestOff: true})
	ref := r.raise() // window of 2 working days: closes Wed 6 Jan 10:00, reminder Tue 16:00
	r.delivered()
	if got, want := r.describe(r.timers(ref)), []string{"lapse@1 Wed 6 Jan 10:00", "remind@1 Tue 5 Jan 16:00"}; !slices.Equal(got, want) {
		t.Fatalf("timers %v, want %v", got, want)
	}
	r.clock.Set(r.at(2027, 1, 5, 18, 0)) // down from before 16:00 until the evening
	rep := r.tick()
	if rep.Deferred != 1 || rep.Ran != 0 {
		t.Fatalf("evening tick: %+v, want the reminder deferred", rep)
	}
	if items := r.delivered(); len(items) != 0 {
		t.Fatalf("sent in the evening: %v", kinds(items))
	}
	if got, want := r.describe(r.timers(ref)), []string{"lapse@1 Wed 6 Jan 10:00", "remind@1 Wed 6 Jan 09:00"}; !slices.Equal(got, want) {
		t.Fatalf("timers after deferring %v, want %v", got, want)
	}
	for r.clock.Now().Before(r.at(2027, 1, 6, 8, 55)) {
		r.clock.Advance(5 * time.Minute)
		r.tick()
		if items := r.delivered(); len(items) != 0 {
			t.Fatalf("sent at %s: %v", r.clock.Now(), kinds(items))
		}
	}
	r.clock.Set(r.at(2027, 1, 6, 9, 0))
	r.tick()
	if got, want := r.dms(r.delivered()), []dm{{"Wed 6 Jan 09:00", workflow.MsgReminder, raiser}, {"Wed 6 Jan 09:00", workflow.MsgReminder, responder}}; !sameDMs(got, want) {
		t.Fatalf("morning: %v, want %v", got, want)
	}
	r.clock.Set(r.at(2027, 1, 6, 10, 0))
	r.tick()
	if got := kinds(r.delivered()); got[workflow.MsgLapsed] != 2 || got[workflow.MsgReminder] != 0 {
		t.Fatalf("at the deadline: %v, want the two lapse DMs", got)
	}
}

// A lapse that comes due on a bank holiday is not sent until the next
// working morning, even though the scheduler is running all the while.
func TestNothingIsSentOnABankHoliday(t *testing.T) {
	r := newRig(t, time.Date(2026, 12, 23, 16, 0, 0, 0, london(t)), 1, Options{DigestOff: true})
	ref := r.raise() // window closes Thu 24 Dec 16:00
	r.delivered()
	// Run no tick until Christmas Day: the lapse (and the reminder) are due.
	r.clock.Set(r.at(2026, 12, 25, 12, 0))
	if rep := r.tick(); rep.Deferred != 2 || rep.Ran != 0 {
		t.Fatalf("Christmas Day tick: %+v", rep)
	}
	if got, want := r.describe(r.timers(ref)), []string{"lapse@1 Tue 29 Dec 09:00", "remind@1 Tue 29 Dec 09:00"}; !slices.Equal(got, want) {
		t.Fatalf("timers %v, want %v", got, want)
	}
	r.clock.Set(r.at(2026, 12, 28, 12, 0)) // the substitute Boxing Day
	r.tick()
	if items := r.delivered(); len(items) != 0 {
		t.Fatalf("sent on the bank holiday: %v", kinds(items))
	}
	r.clock.Set(r.at(2026, 12, 29, 9, 0))
	r.tick()
	// The reminder is stale (its window closed on Christmas Eve); only the
	// lapse goes, to both sides.
	if got := kinds(r.delivered()); got[workflow.MsgLapsed] != 2 || got[workflow.MsgReminder] != 0 {
		t.Fatalf("next working morning: %v", got)
	}
}

// Several schedulers over one store, ticking at the same instant over
// 1,000 due reminders: each is sent exactly once.
func TestTwoSchedulersSendEachOfAThousandRemindersOnce(t *testing.T) {
	const cases = 1000
	r := newRig(t, time.Date(2027, 1, 4, 10, 0, 0, 0, london(t)), 1, Options{DigestOff: true, Batch: 50})
	refs := r.raiseMany(cases)
	r.waiting()
	r.clock.Set(r.at(2027, 1, 4, 16, 0)) // every reminder is due
	replicas := []*Scheduler{r.s, r.another(Options{DigestOff: true, Batch: 50}), r.another(Options{DigestOff: true, Batch: 50, Workers: 8})}
	reports := make([]TickReport, len(replicas))
	var wg sync.WaitGroup
	for i, s := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := s.TickReport(r.ctx)
			if err != nil {
				t.Errorf("replica %d: %v", i, err)
			}
			reports[i] = rep
		}()
	}
	wg.Wait()
	ran := 0
	for _, rep := range reports {
		ran += rep.Ran
	}
	if ran != cases {
		t.Fatalf("replicas ran %d timers between them (%+v), want %d", ran, reports, cases)
	}
	perRef := map[string]int{}
	for _, it := range r.waiting() {
		if it.Message.Kind != workflow.MsgReminder {
			t.Fatalf("unexpected %s message", it.Message.Kind)
		}
		perRef[it.Message.Ref]++
	}
	for _, ref := range refs {
		if perRef[ref] != 2 {
			t.Fatalf("%s got %d reminder DMs, want 2 (one to each holder)", ref, perRef[ref])
		}
	}
	// Each case's record has one reminder.
	for _, ref := range refs[:50] {
		_, events, err := r.st.Load(r.ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range events {
			if e.Kind == workflow.CmdNudge {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%s has %d reminder events", ref, n)
		}
	}
}

// A scheduler killed mid-tick loses nothing: what it claimed is taken over
// when the lease runs out, and a timer it had already run (committed but
// not acknowledged) is not run twice.
func TestKilledMidTickLosesNothingAndSendsNothingTwice(t *testing.T) {
	r := newRig(t, time.Date(2027, 1, 4, 10, 0, 0, 0, london(t)), 1, Options{DigestOff: true, Lease: 2 * time.Minute})
	var refs []string
	for range 10 {
		refs = append(refs, r.raise())
	}
	r.delivered()
	r.clock.Set(r.at(2027, 1, 4, 16, 0))

	// The doomed replica claims every due reminder, runs the first one's
	// command, and dies before acknowledging anything.
	claimed, err := r.st.ClaimDueTimers(r.ctx, r.clock.Now(), 100, 2*time.Minute)
	if err != nil || len(claimed) != 10 {
		t.Fatalf("claim: %d, %v", len(claimed), err)
	}
	if _, err := r.eng.RunTimer(r.ctx, claimed[0].Timer); err != nil {
		t.Fatal(err)
	}

	if rep := r.tick(); rep.Ran != 0 {
		t.Fatalf("took over live claims: %+v", rep)
	}
	r.clock.Advance(2*time.Minute + time.Second)
	if rep := r.tick(); rep.Ran != 10 {
		t.Fatalf("after the lease: %+v, want all 10 taken over", rep)
	}
	perRef := map[string]int{}
	for _, it := range r.delivered() {
		if it.Message.Kind == workflow.MsgReminder {
			perRef[it.Message.Ref]++
		}
	}
	for _, ref := range refs {
		if perRef[ref] != 2 {
			t.Fatalf("%s: %d reminder DMs, want 2", ref, perRef[ref])
		}
		for _, tm := range r.timers(ref) {
			if tm.Kind == workflow.TimerRemind {
				t.Fatalf("%s still has its reminder timer", ref)
			}
		}
	}
}

// After the service was down for three working days, due timers are caught
// up in order: the "closing soon" reminder whose window already closed is
// not sent; the lapse is.
func TestDowntimeOfThreeWorkingDaysCatchesUpWithoutStaleReminders(t *testing.T) {
	kicks := 0 // the outbox sender is woken after a tick that did something
	r := newRig(t, time.Date(2027, 1, 5, 10, 0, 0, 0, london(t)), 1, Options{DigestOff: true, AfterTick: func() { kicks++ }})
	ref := r.raise() // closes Wed 6 Jan 10:00; reminder Tue 5 Jan 16:00
	r.delivered()
	r.clock.Set(r.at(2027, 1, 5, 11, 0))
	r.tick()
	if kicks != 0 {
		t.Fatal("a tick that did nothing woke the sender")
	}
	// Down from Tuesday 11:00 until Monday 11 January 10:00: Wednesday,
	// Thursday and Friday missed.
	r.clock.Set(r.at(2027, 1, 11, 10, 0))
	rep := r.tick()
	if rep.Ran != 2 || kicks != 1 {
		t.Fatalf("catch-up tick %+v (%d kicks), want the reminder and the lapse run and the sender woken", rep, kicks)
	}
	if got, want := r.dms(r.delivered()), []dm{{"Mon 11 Jan 10:00", workflow.MsgLapsed, raiser}, {"Mon 11 Jan 10:00", workflow.MsgLapsed, responder}}; !sameDMs(got, want) {
		t.Fatalf("after downtime: %v, want only the lapse", got)
	}
	_, events, err := r.st.Load(r.ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	var cmds []workflow.CommandKind
	for _, e := range events {
		cmds = append(cmds, e.Kind)
	}
	if want := []workflow.CommandKind{workflow.CmdRaise, workflow.CmdLapse}; !slices.Equal(cmds, want) {
		t.Fatalf("record %v, want %v (no reminder)", cmds, want)
	}
	if got, want := r.describe(r.timers(ref)), []string{"prompt@1 Tue 12 Jan 10:00"}; !slices.Equal(got, want) {
		t.Fatalf("timers %v, want %v", got, want)
	}
}

// Resolving, escalating and withdrawing clear the stage's timers; escalating
// sets the new stage's, with the new StageVersion, and a timer left over
// from an earlier stage does nothing when it comes due.
func TestTimersFollowTheCase(t *testing.T) {
	r := newRig(t, time.Date(2027, 1, 4, 10, 0, 0, 0, london(t)), 1, Options{DigestOff: true})
	esc := r.raise()
	withdrawn := r.raise()
	r.delivered()
	if got, want := r.describe(r.timers(esc)), []string{"lapse@1 Tue 5 Jan 10:00", "remind@1 Mon 4 Jan 16:00"}; !slices.Equal(got, want) {
		t.Fatalf("on raising: %v, want %v", got, want)
	}
	stage1 := r.timers(esc)

	r.clock.Set(r.at(2027, 1, 4, 11, 0))
	r.do(esc, workflow.Command{Kind: workflow.CmdEscalate, Actor: raiser, Text: "No reply from the police practitioner"})
	d, _, err := r.st.Load(r.ctx, esc)
	if err != nil {
		t.Fatal(err)
	}
	ts := r.timers(esc)
	if got, want := r.describe(ts), []string{"lapse@2 Tue 5 Jan 11:00", "remind@2 Tue 5 Jan 09:00"}; !slices.Equal(got, want) {
		t.Fatalf("after escalating: %v, want %v", got, want)
	}
	for _, tm := range ts {
		if tm.StageVersion != d.StageVersion || tm.Stage != 2 {
			t.Fatalf("timer %+v not for stage 2 version %d", tm, d.StageVersion)
		}
	}

	r.do(withdrawn, workflow.Command{Kind: workflow.CmdWithdraw, Actor: raiser, Text: "Sorted out by phone"})
	if ts := r.timers(withdrawn); len(ts) != 0 {
		t.Fatalf("withdrawn case keeps timers %v", r.describe(ts))
	}

	// A stage-1 timer put back by mistake outlives its stage: it does nothing.
	if err := r.st.SetTimers(r.ctx, stage1); err != nil {
		t.Fatal(err)
	}
	r.delivered()
	r.clock.Set(r.at(2027, 1, 4, 16, 0))
	if rep := r.tick(); rep.Ran != 1 {
		t.Fatalf("tick %+v, want the stale reminder run (and dropped)", rep)
	}
	if items := r.delivered(); len(items) != 0 {
		t.Fatalf("a stale stage-1 timer sent %v", kinds(items))
	}

	r.clock.Set(r.at(2027, 1, 4, 16, 30))
	r.do(esc, workflow.Command{Kind: workflow.CmdPropose, Actor: raiserLM, Proposal: &workflow.Proposal{Outcome: "Strategy meeting on Thursday", RecordedOnFile: true}})
	r.do(esc, workflow.Command{Kind: workflow.CmdConfirm, Actor: respLM})
	if ts := r.timers(esc); len(ts) != 0 {
		t.Fatalf("resolved case keeps timers %v", r.describe(ts))
	}
	r.delivered()
	// Nothing fires for either closed case, however long we wait.
	for _, at := range []time.Time{r.at(2027, 1, 5, 9, 0), r.at(2027, 1, 5, 11, 0), r.at(2027, 1, 6, 11, 0)} {
		r.clock.Set(at)
		r.tick()
		if items := r.delivered(); len(items) != 0 {
			t.Fatalf("closed cases sent %v at %s", kinds(items), at)
		}
	}
}

// A timer the workflow refuses for another reason than staleness is
// dropped (not retried every tick), and an error running one (Redis
// unavailable, say) puts it back for a retry.
func TestTimerFailuresAreRetriedAndRefusalsDropped(t *testing.T) {
	r := newRig(t, time.Date(2027, 1, 4, 10, 0, 0, 0, london(t)), 1, Options{DigestOff: true, RetryDelay: time.Minute})
	ref := r.raise()
	r.delivered()
	r.clock.Set(r.at(2027, 1, 4, 16, 0))
	flaky := &flakyRunner{Runner: r.eng, failures: 1}
	s := New(r.st, flaky, r.env, r.cal, r.clock.Now, nil, nil, Options{DigestOff: true, RetryDelay: time.Minute})
	rep, err := s.TickReport(r.ctx)
	if err == nil || rep.Failed != 1 {
		t.Fatalf("tick with a failing engine: %+v, %v", rep, err)
	}
	if got, want := r.describe(r.timers(ref)), []string{"lapse@1 Tue 5 Jan 10:00", "remind@1 Mon 4 Jan 16:01"}; !slices.Equal(got, want) {
		t.Fatalf("timers after a failure %v, want %v", got, want)
	}
	r.clock.Advance(time.Minute)
	if rep, err := s.TickReport(r.ctx); err != nil || rep.Ran != 1 {
		t.Fatalf("retry: %+v, %v", rep, err)
	}
	if got := kinds(r.delivered()); got[workflow.MsgReminder] != 2 {
		t.Fatalf("after the retry: %v", got)
	}

	// A refusal that is not staleness is final.
	refusing := &flakyRunner{refuse: true}
	r.clock.Set(r.at(2027, 1, 5, 10, 0))
	s = New(r.st, refusing, r.env, r.cal, r.clock.Now, nil, nil, Options{DigestOff: true})
	if rep, err := s.TickReport(r.ctx); err != nil || rep.Ran != 1 {
		t.Fatalf("refused: %+v, %v", rep, err)
	}
	if ts := r.timers(ref); len(ts) != 0 {
		t.Fatalf("a refused timer was kept: %v", r.describe(ts))
	}
}

// A tick that runs slowly stops running timers once their lease is nearly
// spent: another replica may take them over then, and both running one
// would remind people twice. What it left is taken over after the lease.
func TestSlowTickLeavesTimersWhoseLeaseIsSpent(t *testing.T) {
	r := newRig(t, time.Date(2027, 1, 4, 10, 0, 0, 0, london(t)), 1, Options{DigestOff: true})
	refs := r.raiseMany(5)
	r.delivered()
	r.clock.Set(r.at(2027, 1, 4, 16, 0))
	slow := &slowRunner{Runner: r.eng, clock: r.clock, each: time.Minute}
	s := New(r.st, slow, r.env, r.cal, r.clock.Now, nil, nil, Options{DigestOff: true, Workers: 1, Lease: 2 * time.Minute})
	if rep, err := s.TickReport(r.ctx); err != nil || rep.Ran != 2 {
		t.Fatalf("slow tick: %+v, %v; want two run before the lease was nearly spent", rep, err)
	}
	if rep := r.tick(); rep.Ran != 3 {
		t.Fatalf("replica after the lease: %+v, want the other three", rep)
	}
	perRef := map[string]int{}
	for _, it := range r.delivered() {
		perRef[it.Message.Ref]++
	}
	for _, ref := range refs {
		if perRef[ref] != 2 {
			t.Fatalf("%s: %d reminder DMs, want 2", ref, perRef[ref])
		}
	}
}

// slowRunner takes a minute of the fake clock per timer.
type slowRunner struct {
	Runner
	clock *fakeClock
	each  time.Duration
}

func (s *slowRunner) RunTimer(ctx context.Context, t workflow.Timer) (*workflow.Result, error) {
	res, err := s.Runner.RunTimer(ctx, t)
	s.clock.Advance(s.each)
	return res, err
}

type flakyRunner struct {
	Runner
	mu       sync.Mutex
	failures int
	refuse   bool
}

func (f *flakyRunner) RunTimer(ctx context.Context, t workflow.Timer) (*workflow.Result, error) {
	f.mu.Lock()
	if f.refuse {
		f.mu.Unlock()
		return nil, &workflow.Refusal{Code: workflow.RefuseNotAllowed, Message: "no"}
	}
	if f.failures > 0 {
		f.failures--
		f.mu.Unlock()
		return nil, errors.New("redis: connection refused")
	}
	f.mu.Unlock()
	return f.Runner.RunTimer(ctx, t)
}

func TestCronRunsOnTheCalendarsClock(t *testing.T) {
	r := newRig(t, time.Date(2027, 1, 4, 10, 0, 0, 0, london(t)), 1, Options{})
	c := r.s.Cron(r.ctx)
	if c.Location().String() != "Europe/London" {
		t.Fatalf("cron location %s", c.Location())
	}
	if n := len(c.Entries()); n != 2 {
		t.Fatalf("%d cron entries, want the tick and the audit", n)
	}
	ctx, cancel := context.WithCancel(r.ctx)
	cancel()
	r.s.Run(ctx) // returns at once when ctx is done, having stopped cron
}

var _ Store = (*store.Store)(nil)

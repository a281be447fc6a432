package scheduler

import (
	"slices"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// A letter confirming the outcome after stage 2: closing the case clears
// the stage's timers in the store and sets the letter's; the scheduler
// reminds and then tells everyone it is overdue on the working-day clock,
// and the letter given on the closed case clears them.
func TestALetterAfterResolutionIsRemindedOnTheClock(t *testing.T) {
	r := newRig(t, time.Date(2027, 1, 4, 10, 0, 0, 0, london(t)), 1, Options{DigestOff: true})
	r.env.Policy.Stages[1].AfterResolution = &workflow.ResponseRule{From: workflow.SideResponder,
		Within: workflow.Window{Amount: 2, Unit: workflow.WorkingDays}, Remind: workflow.Window{Amount: 1, Unit: workflow.WorkingDays}, What: "a letter confirming the outcome"}
	ref := r.raise()
	r.clock.Set(r.at(2027, 1, 4, 11, 0))
	r.do(ref, workflow.Command{Kind: workflow.CmdEscalate, Actor: raiser, Text: "No reply from the police practitioner"})
	r.clock.Set(r.at(2027, 1, 4, 12, 0))
	r.do(ref, workflow.Command{Kind: workflow.CmdPropose, Actor: raiserLM, Proposal: &workflow.Proposal{Outcome: "Strategy meeting on Thursday", RecordedOnFile: true}})
	r.clock.Set(r.at(2027, 1, 4, 13, 0))
	r.do(ref, workflow.Command{Kind: workflow.CmdConfirm, Actor: respLM})
	if got, want := r.describe(r.timers(ref)), []string{"after_resolution_due@2 Wed 6 Jan 13:00", "after_resolution_remind@2 Tue 5 Jan 13:00"}; !slices.Equal(got, want) {
		t.Fatalf("resolved: timers %v, want %v", got, want)
	}
	r.delivered()

	r.clock.Set(r.at(2027, 1, 5, 13, 0))
	if rep := r.tick(); rep.Ran != 1 {
		t.Fatalf("tick %+v, want the reminder run", rep)
	}
	items := r.delivered()
	if len(items) != 1 || items[0].Message.To != respLM || items[0].Message.Kind != workflow.MsgResponse {
		t.Fatalf("the reminder went to %v", items)
	}
	r.clock.Set(r.at(2027, 1, 6, 13, 0))
	r.tick()
	var told []workflow.UserID
	for _, it := range r.delivered() {
		if !it.Message.Feed {
			told = append(told, it.Message.To)
		}
	}
	slices.Sort(told)
	if want := []workflow.UserID{raiserLM, raiser, respLM}; !slices.Equal(told, want) {
		t.Fatalf("overdue told %v, want %v", told, want)
	}
	if ts := r.timers(ref); len(ts) != 0 {
		t.Fatalf("after the lapse: timers %v", r.describe(ts))
	}

	// Given late, on the closed case, through the engine.
	r.clock.Set(r.at(2027, 1, 6, 15, 0))
	r.do(ref, workflow.Command{Kind: workflow.CmdRespond, Actor: respLM, Text: "We confirm the strategy meeting on Thursday.", ExpectStage: 2})
	d, _, err := r.st.Load(r.ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != workflow.StateResolved || d.AfterGivenBy != respLM || len(r.timers(ref)) != 0 {
		t.Fatalf("state %s, given by %q, timers %v", d.State, d.AfterGivenBy, r.describe(r.timers(ref)))
	}
}

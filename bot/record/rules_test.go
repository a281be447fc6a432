package record_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/bottest"
	"github.com/escalate-app/escalate/bot/record"
	"github.com/escalate-app/escalate/workflow"
)

const (
	lateReason = "The decision letter reached the school only on Tuesday."
	letter     = "We confirm the assessment starts on Monday."
)

// A case raised after the policy's time limit and resolved at a stage that
// asks for a letter confirming the outcome: the record says why it came
// late, and that the letter is outstanding until it is given.
func TestTheRecordShowsALateRaiseAndAnOutstandingLetter(t *testing.T) {
	env := testEnv(t)
	env.Policy.RaiseWithin = workflow.Window{Amount: 2, Unit: workflow.WorkingDays}
	env.Policy.Stages[1].AfterResolution = &workflow.ResponseRule{From: workflow.SideResponder, Within: workflow.Window{Amount: 2, Unit: workflow.WorkingDays}, What: "a letter confirming the outcome"}
	loc := env.Calendar.Location()
	at := func(d, h int) time.Time { return time.Date(2026, time.March, d, h, 0, 0, 0, loc) }
	var d *workflow.Dispute
	var events []workflow.Event
	apply := func(cmd workflow.Command) {
		t.Helper()
		res, err := workflow.Apply(env, d, events, cmd)
		if err != nil {
			t.Fatalf("%s by %s refused: %v", cmd.Kind, cmd.Actor, err)
		}
		d, events = res.Dispute, append(events, res.Events...)
	}
	apply(workflow.Command{Kind: workflow.CmdRaise, Actor: sw, At: at(4, 10), Raise: &workflow.RaiseInput{
		Ref: "ESC-2026-0001", SubjectType: workflow.SubjectChild, SubjectRef: subjectRef, Category: workflow.CatNeedForAction,
		DecisionDisputed: decision, DecisionDate: "2026-02-27", Plan: workflow.PlanChildInNeed,
		Disagreement: disagreement, OutcomeSought: outcomeSought, Evidence: evidence,
		ResponderAgency: "nhs", Responder: hv, LateReason: lateReason,
	}})
	apply(workflow.Command{Kind: workflow.CmdEscalate, Actor: sw, At: at(4, 11), Text: escalate1})
	apply(workflow.Command{Kind: workflow.CmdPropose, Actor: lmB, At: at(4, 12), Proposal: &workflow.Proposal{Outcome: agreed, RecordedOnFile: true}})
	apply(workflow.Command{Kind: workflow.CmdConfirm, Actor: lmA, At: at(4, 13)})

	const outstanding = "due Fri 6 Mar, 13:00 from Sussex Community NHS Trust, not yet given"
	rec := record.Build(env, d, events)
	if a := rec.AfterResolution; a == nil || a.What != "Letter confirming the outcome" || a.Status != outstanding {
		t.Errorf("after resolution %+v", a)
	}
	if !rec.RaisedLate || rec.LateReason != lateReason || rec.Events[0].WordsLabel != "Reasons given" ||
		rec.Events[0].Words != workflow.LateReasonLabel+": "+lateReason {
		t.Errorf("late %v %q, raise words %q: %q", rec.RaisedLate, rec.LateReason, rec.Events[0].WordsLabel, rec.Events[0].Words)
	}
	for format, want := range map[string][]string{
		"md": {"- **Letter confirming the outcome:** " + outstanding, "- **Raised after the policy's time limit:** " + lateReason,
			"raised after the policy's time limit (2 working days from the decision on Fri 27 Feb)"},
		"html": {"<dt>Letter confirming the outcome</dt><dd>" + outstanding + "</dd>", "<dt>Raised after the policy&#39;s time limit</dt><dd>" + lateReason + "</dd>"},
		"pdf":  {"Letter confirming the outcome:" + outstanding, "Raised after the policy's time limit"},
	} {
		var b bytes.Buffer
		if err := record.Render(&b, rec, format); err != nil {
			t.Fatal(err)
		}
		text := b.String()
		if format == "pdf" {
			text = bottest.PDFText(t, b.Bytes())
		}
		for _, w := range want {
			if format == "pdf" {
				w = bottest.Squash(w)
			}
			if !strings.Contains(text, w) {
				t.Errorf("the %s record lacks %q", format, w)
			}
		}
	}

	// Given: who gave it and when; their words are the step's.
	apply(workflow.Command{Kind: workflow.CmdRespond, Actor: lmB, At: at(5, 10), Text: letter})
	rec = record.Build(env, d, events)
	if a := rec.AfterResolution; a == nil || a.Status != "given by Laura Bell for Sussex Community NHS Trust on Thu 5 Mar, 10:00" {
		t.Errorf("after resolution %+v", a)
	}
	if e := rec.Events[len(rec.Events)-1]; e.WordsLabel != "Written response" || e.Words != letter {
		t.Errorf("the letter's step %+v", e)
	}
}

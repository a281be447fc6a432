package workflow

import (
	"strings"
	"testing"
	"time"
)

// Every kind of step has words of its own in a purged log, and none of
// them keeps a name, a summary or free text.
func TestPurgedEventsNameNobody(t *testing.T) {
	for _, k := range CommandKinds {
		if _, ok := purgedSteps[k]; !ok {
			t.Errorf("%s has no words for a purged log", k)
		}
	}
	e := Event{Ref: "ESC-2026-0001", Seq: 3, Kind: CmdPropose, Actor: "slack:U1", ActorName: "Sam Patel",
		At: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), Stage: 2, Summary: "Resolution proposed by Sam Patel (CSC)",
		Text: "the words", Proposal: &Proposal{Outcome: "agreed", Outstanding: "none", HowPursued: "by phone", RecordedOnFile: true}}
	p := e.Purged()
	if p.Summary != "Resolution proposed at stage 2" || p.ActorName != "" || p.Text != "" || strings.Contains(p.Summary, "Sam") {
		t.Errorf("purged: %+v", p)
	}
	if p.Proposal.Outcome != "" || p.Proposal.HowPursued != "" || !p.Proposal.RecordedOnFile {
		t.Errorf("purged proposal: %+v", p.Proposal)
	}
	if p.Kind != e.Kind || p.Actor != e.Actor || !p.At.Equal(e.At) || p.Seq != e.Seq {
		t.Errorf("the purge changed the step's facts: %+v", p)
	}
	if e.Proposal.Outcome != "agreed" {
		t.Error("Purged changed the event it was given")
	}
}

package workflow

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// wantDispute checks that got is old with exactly the changes edit makes
// (besides the version and the update time every command moves).
func wantDispute(t testing.TB, old, got *Dispute, at time.Time, edit func(*Dispute)) {
	t.Helper()
	w := old.Clone()
	w.Version++
	w.UpdatedAt = at
	if edit != nil {
		edit(w)
	}
	// A material command records itself as the case's latest change
	// (TestMaterialChangesAreRecorded checks what it records).
	if got.Changed != nil && got.Changed.Seq == w.Version && Material(got.Changed.Kind) {
		w.Changed = got.Changed
	}
	if a, b := snapshot(t, got), snapshot(t, w); string(a) != string(b) {
		t.Errorf("dispute:\ngot  %s\nwant %s", a, b)
	}
}

func noTimerChange(t testing.TB, res *Result) {
	t.Helper()
	if res.ClearTimers || len(res.Timers) > 0 {
		t.Errorf("timers changed: clear %v, set %q", res.ClearTimers, timerList(res))
	}
}

func TestApplyNeedsATimeAndACase(t *testing.T) {
	env := newEnv(t)
	for _, k := range CommandKinds {
		if k == CmdRaise {
			continue
		}
		_, err := Apply(env, nil, nil, Command{Kind: k, Actor: sw, At: t0})
		if r, ok := err.(*Refusal); !ok || r.Code != RefuseUnknownCase {
			t.Errorf("%s on no case: %v", k, err)
		}
	}
	c := raised(t)
	r := c.refused(Command{Kind: CmdComment, Actor: hv, Text: secretNote}, RefuseInvalid)
	if r.Message != "the command has no time" {
		t.Errorf("message %q", r.Message)
	}
	c.refused(Command{Kind: "shout", Actor: hv, At: t0}, RefuseInvalid)
	c.refused(Command{Kind: CmdComment, At: t0, Text: secretNote}, RefuseInvalid) // no actor
}

func TestComment(t *testing.T) {
	at := t0.Add(30 * time.Minute)
	t.Run("a holder", func(t *testing.T) {
		c := raised(t)
		old := c.d
		res := c.do(Command{Kind: CmdComment, Actor: hv, At: at, Text: "  " + secretNote + "\n", ExpectStage: 1})
		wantDispute(t, old, res.Dispute, at, nil)
		noTimerChange(t, res)
		if e := res.Events[0]; e.Summary != "Note added" || e.Text != secretNote {
			t.Errorf("event %+v", e)
		}
		sameStrings(t, "messages", msgs(res), []string{"slack:USW note [resolved escalate note withdraw]"})
		if m := msgTo(t, res, sw); m.Title != "Harriet Vale added a note to ESC-2026-0001" || !slices.Equal(m.Lines, []string{secretNote}) {
			t.Errorf("note %q %q", m.Title, m.Lines)
		}
	})
	t.Run("the business team, at stage 2", func(t *testing.T) {
		c := atStage(t, 2)
		res := c.do(Command{Kind: CmdComment, Actor: bt, At: c.d.UpdatedAt.Add(time.Minute), Text: secretNote})
		sameStrings(t, "messages", msgs(res), []string{
			"slack:USW note [escalate note withdraw]",
			"teams:29:hv note [note]",
			"slack:ULMA note [resolved escalate note]",
			"teams:29:lmb note [resolved escalate note]",
		})
		if len(feedOf(res)) != 0 {
			t.Error("a note went to the feed")
		}
	})
	t.Run("the chair, and people who held it before", func(t *testing.T) {
		c := atStage(t, 3)
		for _, u := range []UserID{chair, sw, hv, lmA, lmB} {
			want := len(c.d.Involved()) // everyone involved but the author
			if c.d.IsInvolved(u) {
				want--
			}
			res := c.do(Command{Kind: CmdComment, Actor: u, At: c.d.UpdatedAt.Add(time.Minute), Text: secretNote})
			if len(res.Messages) != want || want < 5 {
				t.Errorf("note by %s: %q", u, msgs(res))
			}
		}
	})
	t.Run("refusals", func(t *testing.T) {
		c := raised(t)
		for _, u := range []UserID{stranger, unknown, sw2, hv2, lmA} {
			r, inside := c.refusedInside(Command{Kind: CmdComment, Actor: u, At: at, Text: secretNote}, RefuseNotHolder)
			if inside && r.Message != "you are not part of ESC-2026-0001, so you can't add a note to it" {
				t.Errorf("message %q", r.Message)
			}
		}
		c.refused(Command{Kind: CmdComment, Actor: SystemActor, At: at, Text: secretNote}, RefuseNotAllowed)
		for _, text := range []string{"", "  \n\t"} {
			r := c.refused(Command{Kind: CmdComment, Actor: hv, At: at, Text: text}, RefuseInvalid)
			if r.Message != "The note is required" || r.Fields[FieldText] != "The note is required" {
				t.Errorf("refusal %+v", r)
			}
		}
		r := c.refused(Command{Kind: CmdComment, Actor: hv, At: at, Text: strings.Repeat("é", MaxText)}, RefuseInvalid)
		if r.Message != "The note is too long (3000 characters at most)" {
			t.Errorf("message %q", r.Message)
		}
		c.do(Command{Kind: CmdComment, Actor: hv, At: at, Text: strings.Repeat("x", MaxText)})
	})
}

func proposal() *Proposal {
	return &Proposal{Outcome: " " + secretAgreed + " ", Outstanding: secretOutstanding, HowPursued: secretHowPursued + "\n", RecordedOnFile: true}
}

var proposalText = []string{
	"Agreed outcome: " + secretAgreed,
	"Outstanding issues: " + secretOutstanding,
	"How they will be pursued: " + secretHowPursued,
	"Recorded on the file: yes",
}

func TestPropose(t *testing.T) {
	at := t0.Add(30 * time.Minute)
	t.Run("the responder at stage 1", func(t *testing.T) {
		c := raised(t)
		old := c.d
		res := c.do(Command{Kind: CmdPropose, Actor: hv, At: at, Proposal: proposal(), ExpectStage: 1})
		want := Proposal{Outcome: secretAgreed, Outstanding: secretOutstanding, HowPursued: secretHowPursued, RecordedOnFile: true, ProposedBy: hv, ProposedBySide: SideResponder, ProposedAt: at}
		wantDispute(t, old, res.Dispute, at, func(d *Dispute) { d.State, d.Proposal = StateProposed, &want })
		noTimerChange(t, res)
		if e := res.Events[0]; e.Summary != "Resolution proposed by the responder side" || e.Text != "" || e.Proposal == nil || *e.Proposal != want {
			t.Errorf("event %+v", e)
		}
		sameStrings(t, "messages", msgs(res), []string{"slack:USW proposal [confirm reject note withdraw]", "teams:29:hv proposal_ack []"})
		m := msgTo(t, res, sw)
		sameStrings(t, "proposal", append([]string{m.Title}, m.Lines...), append([]string{"Harriet Vale proposes a resolution of ESC-2026-0001"}, proposalText...))
		if ack := msgTo(t, res, hv); ack.Title != "Your proposed resolution of ESC-2026-0001 was sent to Sam Walker" {
			t.Errorf("ack %q", ack.Title)
		}
	})
	t.Run("managers at stage 2 are fed", func(t *testing.T) {
		c := atStage(t, 2)
		res := c.do(Command{Kind: CmdPropose, Actor: lmA, At: c.d.UpdatedAt.Add(time.Minute), Proposal: &Proposal{Outcome: secretAgreed}})
		sameStrings(t, "messages", msgs(res), []string{"teams:29:lmb proposal [confirm reject note]", "slack:ULMA proposal_ack []", "feed"})
		if f := feedOf(res)[0]; f.Title != "ESC-2026-0001: Resolution proposed by Lena Marsh" {
			t.Errorf("feed %q", f.Title)
		}
		if l := msgTo(t, res, lmB).Lines; !slices.Equal(l, []string{"Agreed outcome: " + secretAgreed, "Recorded on the file: not yet"}) {
			t.Errorf("lines %q", l)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		c := raised(t)
		cases := []struct {
			name  string
			p     *Proposal
			field string
		}{
			{"no proposal", nil, FieldOutcome},
			{"no outcome", &Proposal{Outcome: "  "}, FieldOutcome},
			{"outstanding without how", &Proposal{Outcome: secretAgreed, Outstanding: secretOutstanding}, FieldHowPursued},
			{"long outcome", &Proposal{Outcome: strings.Repeat("x", MaxText+1)}, FieldOutcome},
			{"long outstanding", &Proposal{Outcome: secretAgreed, Outstanding: strings.Repeat("x", MaxText+1), HowPursued: "h"}, FieldOutstanding},
			{"long how", &Proposal{Outcome: secretAgreed, Outstanding: "o", HowPursued: strings.Repeat("x", MaxText+1)}, FieldHowPursued},
		}
		for _, tc := range cases {
			r := c.refused(Command{Kind: CmdPropose, Actor: hv, At: at, Proposal: tc.p}, RefuseInvalid)
			if r.Message != "the resolution is incomplete" || len(r.Fields) != 1 || r.Fields[tc.field] == "" {
				t.Errorf("%s: %+v", tc.name, r)
			}
		}
		for _, u := range []UserID{stranger, unknown, sw2, hv2, bt, chair, lmA} {
			r, inside := c.refusedInside(Command{Kind: CmdPropose, Actor: u, At: at, Proposal: proposal()}, RefuseNotHolder)
			if inside && r.Message != "you don't hold ESC-2026-0001 at Stage 1 (Professional to professional), so you can't do that; the people holding it are Sam Walker and Harriet Vale" {
				t.Errorf("message %q", r.Message)
			}
		}
		c.refused(Command{Kind: CmdPropose, Actor: SystemActor, At: at, Proposal: proposal()}, RefuseNotAllowed)
		c.do(Command{Kind: CmdPropose, Actor: hv, At: at, Proposal: proposal()})
		for _, u := range []UserID{hv, sw} {
			r := c.refused(Command{Kind: CmdPropose, Actor: u, At: at.Add(time.Minute), Proposal: proposal()}, RefuseState)
			if r.Message != "ESC-2026-0001 already has a resolution proposed by Harriet Vale on Mon 2 Mar, 10:30, waiting for the other side" {
				t.Errorf("message %q", r.Message)
			}
		}
	})
	t.Run("the original raiser at stage 2 does not hold it", func(t *testing.T) {
		c := atStage(t, 2)
		r := c.refused(Command{Kind: CmdPropose, Actor: sw, At: c.d.UpdatedAt, Proposal: proposal()}, RefuseNotHolder)
		if r.Message != "you don't hold ESC-2026-0001 at Stage 2 (Manager to manager), so you can't do that; the people holding it are Lena Marsh and Laura Bell" {
			t.Errorf("message %q", r.Message)
		}
	})
	t.Run("the chair resolves instead", func(t *testing.T) {
		c := atStage(t, 4)
		r := c.refused(Command{Kind: CmdPropose, Actor: chair, At: c.d.UpdatedAt, Proposal: proposal()}, RefuseNotAllowed)
		if r.Message != "at Stage 4 (Partnership chair) the chair resolves the case with Resolve" {
			t.Errorf("message %q", r.Message)
		}
	})
}

func TestConfirm(t *testing.T) {
	proposedAt, at := t0.Add(30*time.Minute), t0.Add(time.Hour)
	t.Run("the other side confirms", func(t *testing.T) {
		c := raised(t)
		c.do(Command{Kind: CmdPropose, Actor: hv, At: proposedAt, Proposal: proposal()})
		old := c.d
		res := c.do(Command{Kind: CmdConfirm, Actor: sw, At: at, ExpectStage: 1})
		want := *old.Proposal
		want.ConfirmedBy, want.ConfirmedAt = sw, at
		wantDispute(t, old, res.Dispute, at, func(d *Dispute) {
			d.State, d.ClosedAt, d.Proposal, d.Outcome = StateResolved, at, nil, &want
		})
		if !res.ClearTimers || len(res.Timers) != 0 {
			t.Errorf("timers: clear %v set %q", res.ClearTimers, timerList(res))
		}
		if e := res.Events[0]; e.Summary != "Resolution confirmed; case resolved" || e.Proposal == nil || *e.Proposal != want {
			t.Errorf("event %+v", e)
		}
		sameStrings(t, "messages", msgs(res), []string{"slack:USW record [debrief]", "teams:29:hv record [debrief]", "feed"})
		rec := msgTo(t, res, hv)
		if rec.Title != "ESC-2026-0001 is resolved: Sam Walker confirmed the agreed outcome" {
			t.Errorf("title %q", rec.Title)
		}
		sameStrings(t, "record", rec.Lines, append(CaseLines(res.Dispute), proposalText...))
		if len(rec.History) != 3 || rec.History[2].Summary != "Resolution confirmed; case resolved" || rec.History[1].Text != strings.Join(proposalText, "\n") {
			t.Errorf("history %+v", rec.History)
		}
		if _, n := fact(rec, "Window closes"); n != 0 {
			t.Error("a closed case shows its window")
		}
		f := feedOf(res)[0]
		if f.Title != "ESC-2026-0001: Resolved at Stage 1 (Professional to professional)" {
			t.Errorf("feed %q", f.Title)
		}
		if st, _ := fact(f, "State"); st.Value != "Resolved" {
			t.Errorf("feed state %q", st.Value)
		}
	})
	t.Run("no feed at stage 1 unless the policy wants every outcome", func(t *testing.T) {
		env := newEnv(t)
		env.Policy.NotifyOnResolution = false
		c := newCase(t, env)
		c.do(raiseCmd(raiseInput(), t0))
		c.do(Command{Kind: CmdPropose, Actor: sw, At: proposedAt, Proposal: proposal()})
		res := c.do(Command{Kind: CmdConfirm, Actor: hv, At: at})
		sameStrings(t, "messages", msgs(res), []string{"slack:USW record [debrief]", "teams:29:hv record [debrief]"})
	})
	t.Run("refusals", func(t *testing.T) {
		c := raised(t)
		r := c.refused(Command{Kind: CmdConfirm, Actor: sw, At: at}, RefuseState)
		if r.Message != "there is no resolution of ESC-2026-0001 waiting to be confirmed" {
			t.Errorf("message %q", r.Message)
		}
		c.do(Command{Kind: CmdPropose, Actor: hv, At: proposedAt, Proposal: proposal()})
		r = c.refused(Command{Kind: CmdConfirm, Actor: hv, At: at}, RefuseNotAllowed)
		if r.Message != "the other side confirms a resolution; your side proposed this one" {
			t.Errorf("message %q", r.Message)
		}
		for _, u := range []UserID{stranger, unknown, sw2, hv2, bt, chair} {
			c.refusedInside(Command{Kind: CmdConfirm, Actor: u, At: at}, RefuseNotHolder)
		}
		c.do(Command{Kind: CmdConfirm, Actor: sw, At: at})
		r = c.refused(Command{Kind: CmdConfirm, Actor: sw, At: at.Add(time.Minute)}, RefuseClosed)
		if r.Message != "ESC-2026-0001 was resolved on Mon 2 Mar, 11:00, so nothing more can be done on it" {
			t.Errorf("message %q", r.Message)
		}
	})
}

func TestReject(t *testing.T) {
	proposedAt, at := t0.Add(30*time.Minute), t0.Add(time.Hour)
	t.Run("the other side does not agree", func(t *testing.T) {
		c := raised(t)
		c.do(Command{Kind: CmdPropose, Actor: hv, At: proposedAt, Proposal: proposal()})
		old := c.d
		res := c.do(Command{Kind: CmdReject, Actor: sw, At: at, Text: secretReject, ExpectStage: 1})
		wantDispute(t, old, res.Dispute, at, func(d *Dispute) { d.State, d.Proposal = StateOpen, nil })
		noTimerChange(t, res)
		if e := res.Events[0]; e.Summary != "Proposed resolution not agreed" || e.Text != secretReject {
			t.Errorf("event %+v", e)
		}
		sameStrings(t, "messages", msgs(res), []string{"teams:29:hv rejected [resolved escalate note]"})
		if m := msgTo(t, res, hv); m.Title != "Sam Walker did not agree the proposed resolution of ESC-2026-0001" || !slices.Equal(m.Lines, []string{"Reason: " + secretReject}) {
			t.Errorf("message %q %q", m.Title, m.Lines)
		}
		// And the case can be proposed again.
		c.do(Command{Kind: CmdPropose, Actor: sw, At: at.Add(time.Minute), Proposal: proposal()})
	})
	t.Run("at stage 2 the feed hears", func(t *testing.T) {
		c := atStage(t, 2)
		c.do(Command{Kind: CmdPropose, Actor: lmB, At: c.d.UpdatedAt.Add(time.Minute), Proposal: proposal()})
		res := c.do(Command{Kind: CmdReject, Actor: lmA, At: c.d.UpdatedAt.Add(time.Minute), Text: secretReject})
		sameStrings(t, "messages", msgs(res), []string{"teams:29:lmb rejected [resolved escalate note]", "feed"})
		if f := feedOf(res)[0]; f.Title != "ESC-2026-0001: Proposed resolution not agreed" {
			t.Errorf("feed %q", f.Title)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		c := raised(t)
		r := c.refused(Command{Kind: CmdReject, Actor: sw, At: at, Text: secretReject}, RefuseState)
		if r.Message != "there is no resolution of ESC-2026-0001 waiting for an answer" {
			t.Errorf("message %q", r.Message)
		}
		c.do(Command{Kind: CmdPropose, Actor: hv, At: proposedAt, Proposal: proposal()})
		r = c.refused(Command{Kind: CmdReject, Actor: sw, At: at, Text: " "}, RefuseInvalid)
		if r.Fields[FieldText] != "The reason is required" {
			t.Errorf("refusal %+v", r)
		}
		c.refused(Command{Kind: CmdReject, Actor: hv, At: at, Text: secretReject}, RefuseNotAllowed)
		for _, u := range []UserID{stranger, unknown, sw2, hv2, bt, chair} {
			c.refusedInside(Command{Kind: CmdReject, Actor: u, At: at, Text: secretReject}, RefuseNotHolder)
		}
	})
}

func TestEscalate(t *testing.T) {
	at := t0.Add(time.Hour)
	t.Run("from stage 1 to 2", func(t *testing.T) {
		c := raised(t)
		old := c.d
		res := c.do(Command{Kind: CmdEscalate, Actor: sw, At: at, Text: " " + secretReason + " ", ExpectStage: 1})
		wantDispute(t, old, res.Dispute, at, func(d *Dispute) {
			d.Stage, d.StageVersion, d.StageStarted, d.Deadline = 2, 2, at, lt(2026, 3, 3, 11, 0)
			d.Holders = append(d.Holders, StageHolders{Stage: 2, Raiser: []UserID{lmA}, Responder: []UserID{lmB}, Since: at})
		})
		if !res.ClearTimers {
			t.Error("the old stage's timers are not cleared")
		}
		sameStrings(t, "timers", timerList(res), []string{"remind 2@2 Tue 3 Mar 09:00", "lapse 2@2 Tue 3 Mar 11:00"})
		if e := res.Events[0]; e.Summary != "Escalated to Stage 2 (Manager to manager)" || e.Text != secretReason || e.Stage != 2 {
			t.Errorf("event %+v", e)
		}
		sameStrings(t, "messages", msgs(res), []string{
			"slack:ULMA escalated_to [resolved escalate note]",
			"teams:29:lmb escalated_to [resolved escalate note]",
			"slack:USW escalated_from [note withdraw]",
			"teams:29:hv escalated_from [note]",
			"feed",
		})
		to := msgTo(t, res, lmB)
		if to.Title != "ESC-2026-0001 has been escalated to you at Stage 2 (Manager to manager)" {
			t.Errorf("title %q", to.Title)
		}
		sameStrings(t, "lines", to.Lines, append(CaseLines(res.Dispute), "Reason for escalating: "+secretReason))
		if len(to.History) != 2 || to.History[1].Text != secretReason || to.History[1].Actor != "Sam Walker" {
			t.Errorf("history %+v", to.History)
		}
		if from := msgTo(t, res, hv); from.Title != "ESC-2026-0001 was escalated to Stage 2 (Manager to manager) by Sam Walker; it is now held by Lena Marsh and Laura Bell" || len(from.Lines) != 0 {
			t.Errorf("escalated from %q %q", from.Title, from.Lines)
		}
		f := feedOf(res)[0]
		if f.Title != "ESC-2026-0001: Escalated to Stage 2 (Manager to manager) by Sam Walker" {
			t.Errorf("feed %q", f.Title)
		}
		for _, want := range []Fact{{Label: "Case", Value: ref1}, {Label: "About", Value: "child"}, {Label: "Category", Value: "Need for action, or closing involvement"},
			{Label: "Agencies", Value: "Children's Social Care ↔ Sussex Community NHS Trust"}, {Label: "Stage", Value: "Stage 2 (Manager to manager)"},
			{Label: "State", Value: "Open"}, {Label: "By", Value: "Sam Walker"}, {Label: "When", Value: "Mon 2 Mar, 11:00"}} {
			if got, n := fact(f, want.Label); n != 1 || got.Value != want.Value {
				t.Errorf("feed fact %s = %q ×%d, want %q", want.Label, got.Value, n, want.Value)
			}
		}
	})
	t.Run("the responder side may escalate", func(t *testing.T) {
		c := raised(t)
		res := c.do(Command{Kind: CmdEscalate, Actor: hv, At: at, Text: secretReason})
		if res.Dispute.Stage != 2 || !strings.HasSuffix(feedOf(res)[0].Title, "by Harriet Vale") {
			t.Errorf("stage %d feed %q", res.Dispute.Stage, feedOf(res)[0].Title)
		}
	})
	t.Run("the raiser, no longer holding it, is kept informed and may escalate", func(t *testing.T) {
		c := atStage(t, 2)
		res := c.do(Command{Kind: CmdEscalate, Actor: lmA, At: c.d.UpdatedAt.Add(time.Hour), Text: secretReason})
		sameStrings(t, "messages", msgs(res), []string{
			"slack:USMA escalated_to [resolved escalate note]",
			"teams:29:smb escalated_to [resolved escalate note]",
			"slack:ULMA escalated_from [note]",
			"teams:29:lmb escalated_from [note]",
			"slack:USW escalated_from [note withdraw]",
			"feed",
		})
		c = atStage(t, 2)
		res = c.do(Command{Kind: CmdEscalate, Actor: sw, At: c.d.UpdatedAt.Add(time.Hour), Text: secretReason, ExpectStage: 2})
		if h := res.Dispute.Current(); h.Stage != 3 || !slices.Equal(h.Raiser, []UserID{smA}) || !slices.Equal(h.Responder, []UserID{smB}) {
			t.Errorf("holders %+v", h)
		}
	})
	t.Run("to the chair", func(t *testing.T) {
		c := atStage(t, 3)
		res := c.do(Command{Kind: CmdEscalate, Actor: smB, At: c.d.UpdatedAt.Add(time.Hour), Text: secretReason})
		if h := res.Dispute.Current(); !slices.Equal(h.Chair, []UserID{chair}) || len(h.Raiser)+len(h.Responder) > 0 {
			t.Errorf("holders %+v", h)
		}
		sameStrings(t, "messages", msgs(res), []string{
			"slack:UCHAIR escalated_to [resolve panel note]",
			"slack:USMA escalated_from [note]",
			"teams:29:smb escalated_from [note]",
			"slack:USW escalated_from [note withdraw]",
			"feed",
		})
		if h := msgTo(t, res, chair).History; len(h) != 4 {
			t.Errorf("the chair gets the whole history: %+v", h)
		}
	})
	t.Run("chosen holders", func(t *testing.T) {
		c := raised(t)
		res := c.do(Command{Kind: CmdEscalate, Actor: sw, At: at, Text: secretReason, Holders: &StageHolders{Raiser: []UserID{smA, smA}}})
		if h := res.Dispute.Current(); !slices.Equal(h.Raiser, []UserID{smA}) || !slices.Equal(h.Responder, []UserID{lmB}) {
			t.Errorf("holders %+v", h)
		}
		c = atStage(t, 3)
		res = c.do(Command{Kind: CmdEscalate, Actor: smA, At: c.d.UpdatedAt.Add(time.Hour), Text: secretReason, Holders: &StageHolders{Raiser: []UserID{smA}, Chair: []UserID{chair, chair}}})
		if h := res.Dispute.Current(); !slices.Equal(h.Chair, []UserID{chair}) || len(h.Raiser) > 0 {
			t.Errorf("holders %+v", h)
		}
	})
	t.Run("Escalate itself is never chosen", func(t *testing.T) {
		c := raised(t)
		res := c.do(Command{Kind: CmdEscalate, Actor: sw, At: at, Text: secretReason, Holders: &StageHolders{Raiser: []UserID{SystemActor}, Responder: []UserID{SystemActor, smB}}})
		if h := res.Dispute.Current(); !slices.Equal(h.Raiser, []UserID{lmA}) || !slices.Equal(h.Responder, []UserID{smB}) {
			t.Errorf("holders %+v", h)
		}
	})
	t.Run("a proposal waiting is dropped", func(t *testing.T) {
		c := raised(t)
		c.do(Command{Kind: CmdPropose, Actor: hv, At: t0.Add(time.Minute), Proposal: proposal()})
		res := c.do(Command{Kind: CmdEscalate, Actor: sw, At: at, Text: secretReason})
		if res.Dispute.State != StateOpen || res.Dispute.Proposal != nil {
			t.Errorf("state %s proposal %v", res.Dispute.State, res.Dispute.Proposal)
		}
	})
	t.Run("nobody to hand it to", func(t *testing.T) {
		in := raiseInput()
		in.ResponderAgency, in.Responder = agEdu, teacher
		c := newCase(t, newEnv(t))
		c.do(raiseCmd(in, t0))
		r := c.refused(Command{Kind: CmdEscalate, Actor: sw, At: at, Text: secretReason}, RefuseNoHolders)
		if r.Message != "the directory has no line manager for West Sussex Education; choose the people in the form" ||
			!slices.Equal(slices.Sorted(maps.Keys(r.Fields)), []string{FieldResponderHolders}) {
			t.Errorf("refusal %+v", r)
		}
		// Naming someone in the form does not: the directory lists nobody
		// who could hold it for education...
		named := Command{Kind: CmdEscalate, Actor: sw, At: at, Text: secretReason, Holders: &StageHolders{Responder: []UserID{"slack:UHEAD"}}}
		r = c.refused(named, RefuseInvalid)
		if !strings.Contains(r.Fields[FieldResponderHolders], "The directory lists no line manager for West Sussex Education") {
			t.Errorf("refusal %+v", r)
		}
		// ...unless the policy lets anyone be named there, recorded.
		c.env.Policy.AnyoneWhereUnlisted = true
		res := c.do(named)
		if h := res.Dispute.Current(); !slices.Equal(h.Responder, []UserID{"slack:UHEAD"}) || !slices.Equal(h.Raiser, []UserID{lmA}) {
			t.Errorf("holders %+v", h)
		}
		if ev := res.Events[len(res.Events)-1]; !strings.Contains(ev.Text, "Sam Walker chose") || !strings.Contains(ev.Text, "the directory lists nobody who could") {
			t.Errorf("the record does not say who chose whom: %q", ev.Text)
		}
	})
	t.Run("nobody on either side", func(t *testing.T) {
		env := newEnv(t)
		env.Directory.People = slices.DeleteFunc(env.Directory.People, func(p Person) bool { return p.Role == RoleLineManager })
		c := newCase(t, env)
		c.do(raiseCmd(raiseInput(), t0))
		r := c.refused(Command{Kind: CmdEscalate, Actor: sw, At: at, Text: secretReason}, RefuseNoHolders)
		if r.Message != "the directory has no line manager for Children's Social Care or Sussex Community NHS Trust; choose the people in the form" ||
			!slices.Equal(slices.Sorted(maps.Keys(r.Fields)), []string{FieldRaiserHolders, FieldResponderHolders}) {
			t.Errorf("refusal %+v", r)
		}
	})
	t.Run("no chair", func(t *testing.T) {
		env := newEnv(t)
		c := newCase(t, env)
		c.do(raiseCmd(raiseInput(), t0))
		for s := 2; s <= 3; s++ {
			c.do(Command{Kind: CmdEscalate, Actor: sw, At: at, Text: secretReason})
		}
		env.Directory.Chair = nil
		c.env = env
		r := c.refused(Command{Kind: CmdEscalate, Actor: sw, At: at, Text: secretReason}, RefuseNoHolders)
		if r.Message != "no partnership chair is in the directory; ask the business team to add one" {
			t.Errorf("message %q", r.Message)
		}
	})
	t.Run("a reason is required", func(t *testing.T) {
		c := raised(t)
		r := c.refused(Command{Kind: CmdEscalate, Actor: sw, At: at, Text: "\t"}, RefuseInvalid)
		if r.Fields[FieldText] != "The reason for escalating is required" {
			t.Errorf("refusal %+v", r)
		}
	})
	t.Run("not beyond the last stage", func(t *testing.T) {
		c := atStage(t, 4)
		for _, u := range []UserID{sw, chair} {
			r := c.refused(Command{Kind: CmdEscalate, Actor: u, At: c.d.UpdatedAt.Add(time.Hour), Text: secretReason}, RefuseState)
			if r.Message != "ESC-2026-0001 is at the last stage (Stage 4 (Partnership chair)); there is no one further to escalate to" {
				t.Errorf("message %q", r.Message)
			}
		}
	})
	t.Run("strangers", func(t *testing.T) {
		c := atStage(t, 2)
		for _, u := range []UserID{stranger, unknown, sw2, hv2, bt, smA, hv} {
			c.refusedInside(Command{Kind: CmdEscalate, Actor: u, At: c.d.UpdatedAt.Add(time.Hour), Text: secretReason}, RefuseNotHolder)
		}
		c.refused(Command{Kind: CmdEscalate, Actor: SystemActor, At: c.d.UpdatedAt.Add(time.Hour), Text: secretReason}, RefuseNotAllowed)
	})
}

func TestWithdraw(t *testing.T) {
	t.Run("at stage 2", func(t *testing.T) {
		c := atStage(t, 2)
		old, at := c.d, c.d.UpdatedAt.Add(time.Hour)
		res := c.do(Command{Kind: CmdWithdraw, Actor: sw, At: at, Text: secretWithdraw + " ", ExpectStage: 2})
		wantDispute(t, old, res.Dispute, at, func(d *Dispute) {
			d.State, d.ClosedAt, d.WithdrawReason = StateWithdrawn, at, secretWithdraw
		})
		if !res.ClearTimers || len(res.Timers) > 0 {
			t.Errorf("timers: clear %v set %q", res.ClearTimers, timerList(res))
		}
		if e := res.Events[0]; e.Summary != "Withdrawn by the raiser" || e.Text != secretWithdraw {
			t.Errorf("event %+v", e)
		}
		sameStrings(t, "messages", msgs(res), []string{
			"slack:USW withdrawn []", "teams:29:hv withdrawn []", "slack:ULMA withdrawn []", "teams:29:lmb withdrawn []", "feed",
		})
		if m := msgTo(t, res, lmB); m.Title != "ESC-2026-0001 was withdrawn by Sam Walker" || !slices.Equal(m.Lines, []string{"Reason: " + secretWithdraw}) {
			t.Errorf("message %q %q", m.Title, m.Lines)
		}
		if f := feedOf(res)[0]; f.Title != "ESC-2026-0001: Withdrawn by the raiser" {
			t.Errorf("feed %q", f.Title)
		}
		r := c.refused(Command{Kind: CmdWithdraw, Actor: sw, At: at, Text: secretWithdraw}, RefuseClosed)
		if r.Message != "ESC-2026-0001 was withdrawn on Mon 2 Mar, 12:00, so nothing more can be done on it" {
			t.Errorf("message %q", r.Message)
		}
	})
	t.Run("at stage 1 while a resolution waits", func(t *testing.T) {
		c := raised(t)
		c.do(Command{Kind: CmdPropose, Actor: hv, At: t0.Add(time.Minute), Proposal: proposal()})
		res := c.do(Command{Kind: CmdWithdraw, Actor: sw, At: t0.Add(time.Hour), Text: secretWithdraw})
		if res.Dispute.Proposal != nil || res.Dispute.Outcome != nil {
			t.Errorf("proposal %v outcome %v", res.Dispute.Proposal, res.Dispute.Outcome)
		}
		sameStrings(t, "messages", msgs(res), []string{"slack:USW withdrawn []", "teams:29:hv withdrawn []", "feed"})
	})
	t.Run("refusals", func(t *testing.T) {
		c := atStage(t, 2)
		at := c.d.UpdatedAt.Add(time.Hour)
		for _, u := range []UserID{hv, lmA, lmB, stranger, unknown, bt, chair, sw2} {
			r, inside := c.refusedInside(Command{Kind: CmdWithdraw, Actor: u, At: at, Text: secretWithdraw}, RefuseNotAllowed)
			if inside && r.Message != "only the person who raised ESC-2026-0001 (Sam Walker) can withdraw it" {
				t.Errorf("message %q", r.Message)
			}
		}
		r := c.refused(Command{Kind: CmdWithdraw, Actor: sw, At: at}, RefuseInvalid)
		if r.Fields[FieldText] != "The reason for withdrawing is required" {
			t.Errorf("refusal %+v", r)
		}
	})
}

// An old Confirm button, drawn for a proposal that was rejected and
// replaced, must not confirm the newer proposal unseen; the button drawn
// for the newer one does.
func TestOldConfirmNeverConfirmsANewerProposal(t *testing.T) {
	c := raised(t)
	c.do(Command{Kind: CmdPropose, Actor: sw, At: t0.Add(time.Hour), Proposal: &Proposal{Outcome: "first"}})
	old := msgTo(t, c.last, hv)
	var oldConfirm Action
	for _, a := range old.Actions {
		if a.Kind == ActConfirm {
			oldConfirm = a
		}
	}
	target, ok := ParseAction(oldConfirm.Value())
	if !ok || target.Proposal == 0 {
		t.Fatalf("the Confirm button should carry its proposal: %q", oldConfirm.Value())
	}
	c.do(Command{Kind: CmdReject, Actor: hv, At: t0.Add(2 * time.Hour), Text: secretReject, ExpectStage: 1})
	c.do(Command{Kind: CmdPropose, Actor: sw, At: t0.Add(3 * time.Hour), Proposal: &Proposal{Outcome: "second"}})

	stale, _ := CommandForValue(ActConfirm, target)
	stale.Actor, stale.At = hv, t0.Add(4*time.Hour)
	// The button was drawn before the case moved on: the person is told
	// what happened, by whom and when.
	r := c.refused(stale, RefuseMovedOn)
	if r.Message != "ESC-2026-0001 has moved on since this was shown to you: resolution proposed by the raiser side, by Sam Walker on Mon 2 Mar, 13:00. Nothing you sent was recorded" {
		t.Errorf("refusal: %q", r.Message)
	}
	// A button drawn before buttons carried the case version is still
	// checked against the proposal it was drawn for.
	stale.ExpectVersion = 0
	r = c.refused(stale, RefuseMovedOn)
	if !strings.Contains(r.Message, "replaced by a newer one") {
		t.Errorf("refusal: %q", r.Message)
	}
	// The reject form shows the proposal it answers.
	if f, ok := ActionForm(c.env, c.d, ActReject); !ok || !strings.Contains(strings.Join(f.Intro, " "), "second") {
		t.Errorf("reject form intro: %v", f.Intro)
	}
	var current Action
	for _, a := range msgTo(t, c.last, hv).Actions {
		if a.Kind == ActConfirm {
			current = a
		}
	}
	tg, _ := ParseAction(current.Value())
	fresh, _ := CommandForValue(ActConfirm, tg)
	fresh.Actor, fresh.At = hv, t0.Add(5*time.Hour)
	if res := c.do(fresh); res.Dispute.State != StateResolved || res.Dispute.Outcome.Outcome != "second" {
		t.Errorf("confirming the current proposal: %s %+v", res.Dispute.State, res.Dispute.Outcome)
	}
}

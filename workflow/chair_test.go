package workflow

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAssignHolder(t *testing.T) {
	t.Run("the business team hands one side to someone else", func(t *testing.T) {
		c := atStage(t, 2)
		old, at := c.d, c.d.UpdatedAt.Add(time.Hour)
		res := c.do(Command{Kind: CmdAssignHolder, Actor: bt, At: at, Holders: &StageHolders{Responder: []UserID{hv2, hv2}}, ExpectStage: 2})
		wantDispute(t, old, res.Dispute, at, func(d *Dispute) {
			d.Holders[1] = StageHolders{Stage: 2, Raiser: []UserID{lmA}, Responder: []UserID{hv2}, Since: at}
		})
		noTimerChange(t, res)
		if e := res.Events[0]; e.Summary != "Holders changed by the business team to Lena Marsh and Hugo Vance" {
			t.Errorf("event %+v", e)
		}
		sameStrings(t, "messages", msgs(res), []string{"teams:29:hv2 assigned [resolved escalate note]"})
		m := msgTo(t, res, hv2)
		if m.Title != "The business team has asked you to hold ESC-2026-0001 at Stage 2 (Manager to manager)" || !slices.Equal(m.Lines, CaseLines(res.Dispute)) || len(m.History) != 3 {
			t.Errorf("assigned %q %q %d", m.Title, m.Lines, len(m.History))
		}
		// The new holder acts; the one replaced no longer can.
		// Replaced, they are no longer part of the case: they get the
		// outsider's answer.
		c.refusedInside(Command{Kind: CmdPropose, Actor: lmB, At: at, Proposal: proposal()}, RefuseNotHolder)
		c.do(Command{Kind: CmdPropose, Actor: hv2, At: at, Proposal: proposal()})
	})
	t.Run("the chair may too", func(t *testing.T) {
		c := atStage(t, 2)
		res := c.do(Command{Kind: CmdAssignHolder, Actor: chair, At: c.d.UpdatedAt, Holders: &StageHolders{Raiser: []UserID{smA}, Responder: []UserID{smB}}})
		if h := res.Dispute.Current(); !slices.Equal(h.All(), []UserID{smA, smB}) {
			t.Errorf("holders %+v", h)
		}
		sameStrings(t, "messages", msgs(res), []string{"slack:USMA assigned [resolved escalate note]", "teams:29:smb assigned [resolved escalate note]"})
	})
	t.Run("at the chair's stage, to the vice-chair", func(t *testing.T) {
		const vice UserID = "slack:UVICE"
		c := atStage(t, 4)
		c.env.Directory.People = append(c.env.Directory.People, Person{ID: vice, Name: "Vic Chase", Agency: "", Role: RoleChair})
		c.env.Directory.Chair = append(c.env.Directory.Chair, vice)
		res := c.do(Command{Kind: CmdAssignHolder, Actor: bt, At: c.d.UpdatedAt, Holders: &StageHolders{Chair: []UserID{vice}}})
		if h := res.Dispute.Current(); !slices.Equal(h.Chair, []UserID{vice}) {
			t.Errorf("holders %+v", h)
		}
		sameStrings(t, "messages", msgs(res), []string{"slack:UVICE assigned [resolve panel note]"})
		c.do(Command{Kind: CmdResolve, Actor: vice, At: c.d.UpdatedAt, Proposal: proposal()})
	})
	t.Run("refusals", func(t *testing.T) {
		c := atStage(t, 2)
		at := c.d.UpdatedAt
		for _, u := range []UserID{lmA, lmB, sw, hv, stranger, unknown} {
			r, inside := c.refusedInside(Command{Kind: CmdAssignHolder, Actor: u, At: at, Holders: &StageHolders{Responder: []UserID{hv2}}}, RefuseNotAllowed)
			if inside && r.Message != "only the business team can change who holds a case" {
				t.Errorf("message %q", r.Message)
			}
		}
		c.refused(Command{Kind: CmdAssignHolder, Actor: SystemActor, At: at, Holders: &StageHolders{Responder: []UserID{hv2}}}, RefuseNotAllowed)
		for _, h := range []*StageHolders{nil, {}, {Raiser: []UserID{""}}, {Chair: []UserID{chair}}, {Responder: []UserID{SystemActor}}} {
			r := c.refused(Command{Kind: CmdAssignHolder, Actor: bt, At: at, Holders: h}, RefuseInvalid)
			if r.Message != "name who should hold the case" {
				t.Errorf("message %q", r.Message)
			}
		}
		c = atStage(t, 4)
		c.refused(Command{Kind: CmdAssignHolder, Actor: bt, At: at, Holders: &StageHolders{Raiser: []UserID{lmA}, Responder: []UserID{lmB}}}, RefuseInvalid)
	})
}

// The chair's resolution panel (final: chair_or_panel) is a meeting the
// chair convenes: a day by the stage's deadline, three agencies, who
// attends; everyone in the case hears of it, and its outcome is recorded
// as a meeting's is.
func TestConvenePanel(t *testing.T) {
	t.Run("the chair convenes three agencies", func(t *testing.T) {
		c := atStage(t, 4)
		old, at := c.d, c.d.UpdatedAt.Add(time.Hour)
		res := c.do(panelOn(c, Command{Kind: CmdConvenePanel, Actor: chair, At: at, Panel: []string{" csc", agNHS, agEdu, agNHS, ""}, Text: secretPanelNote, ExpectStage: 4}))
		wantDispute(t, old, res.Dispute, at, func(d *Dispute) {
			d.State, d.Panel = StatePanel, []string{agCSC, agNHS, agEdu}
			d.Meeting = &Meeting{Stage: 4, ConvenedBy: chair, ConvenedAt: at, On: "2026-03-03", Attendees: []UserID{chair}, Agencies: []string{agCSC, agNHS, agEdu}}
		})
		noTimerChange(t, res)
		want := "Resolution panel convened: Children's Social Care, Sussex Community NHS Trust, West Sussex Education, for Tue 3 Mar, attended by Clare Hughes"
		if e := res.Events[0]; e.Summary != want || e.Text != secretPanelNote {
			t.Errorf("event %+v", e)
		}
		sameStrings(t, "messages", msgs(res), []string{
			"slack:USW panel [note withdraw]", "teams:29:hv panel [note]", "slack:ULMA panel [note]", "teams:29:lmb panel [note]",
			"slack:USMA panel [note]", "teams:29:smb panel [note]", "feed",
		})
		if m := msgTo(t, res, hv); m.Title != "ESC-2026-0001: a resolution panel on Tue 3 Mar" {
			t.Errorf("title %q", m.Title)
		}
		if f := feedOf(res)[0]; f.Title != "ESC-2026-0001: "+want {
			t.Errorf("feed %q", f.Title)
		}
		if acts := ActionsFor(c.env, c.d, chair); len(acts) != 3 || acts[0].Kind != ActResolve || acts[1].Kind != ActMeetingOutcome {
			t.Errorf("the chair's buttons once the panel is convened: %+v", acts)
		}
		r := c.refused(panelOn(c, Command{Kind: CmdConvenePanel, Actor: chair, At: at, Panel: []string{agCSC, agNHS, agPolice}}), RefuseState)
		if r.Message != "a resolution panel is already convened for ESC-2026-0001" {
			t.Errorf("message %q", r.Message)
		}

		// The panel meets and resolves it: the chair records its outcome.
		at = at.Add(time.Hour)
		res = c.do(Command{Kind: CmdMeetingOutcome, Actor: chair, At: at, Proposal: &Proposal{Outcome: secretAgreed, RecordedOnFile: true}, MeetingResolved: true, ExpectStage: 4})
		if d := res.Dispute; d.State != StateResolved || d.Outcome == nil || !d.Outcome.ResolvedByChair || d.Outcome.ProposedBySide != SideChair {
			t.Errorf("after the panel: %s %+v", d.State, d.Outcome)
		}
		if e := res.Events[0]; e.Summary != "Resolved at the resolution panel; outcome recorded by Clare Hughes" {
			t.Errorf("event %q", e.Summary)
		}
	})
	t.Run("a panel that does not resolve it leaves the chair to", func(t *testing.T) {
		c := atStage(t, 4)
		c.do(panelOn(c, Command{Kind: CmdConvenePanel, Actor: chair, At: c.d.UpdatedAt, Panel: []string{agCSC, agNHS, agEdu}}))
		res := c.do(Command{Kind: CmdMeetingOutcome, Actor: chair, At: c.d.UpdatedAt.Add(time.Hour), Proposal: &Proposal{Outcome: secretOutstanding}, ExpectStage: 4})
		if d := res.Dispute; d.State != StateOpen || d.Meeting.OutcomeAt.IsZero() {
			t.Errorf("after a panel without resolution: %s %+v", d.State, d.Meeting)
		}
		if acts := ActionsFor(c.env, c.d, chair); len(acts) != 2 || acts[0].Kind != ActResolve {
			t.Errorf("the chair's buttons after the panel: %+v", acts)
		}
		c.do(Command{Kind: CmdResolve, Actor: chair, At: c.d.UpdatedAt.Add(time.Hour), Proposal: &Proposal{Outcome: secretAgreed}})
	})
	t.Run("without an agency in dispute the record says so", func(t *testing.T) {
		c := atStage(t, 4)
		res := c.do(panelOn(c, Command{Kind: CmdConvenePanel, Actor: chair, At: c.d.UpdatedAt, Panel: []string{agCSC, agPolice, agEdu}}))
		if e := res.Events[0]; e.Summary != "Resolution panel convened: Children's Social Care, Sussex Police, West Sussex Education (without one of the agencies in dispute), for Tue 3 Mar, attended by Clare Hughes" {
			t.Errorf("event %q", e.Summary)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		c := atStage(t, 4)
		at := c.d.UpdatedAt
		for _, u := range []UserID{bt, smA, sw, stranger, unknown} {
			cmd := panelOn(c, Command{Kind: CmdConvenePanel, Actor: u, At: at, Panel: []string{agCSC, agNHS, agEdu}})
			if r, err := c.try(cmd); err == nil {
				t.Errorf("%s convened the chair's panel: %+v", u, r)
			}
		}
		for _, panel := range [][]string{nil, {agCSC, agNHS}, {agCSC, agNHS, agNHS}, {agCSC, agNHS, agEdu, agPolice}} {
			r := c.refused(panelOn(c, Command{Kind: CmdConvenePanel, Actor: chair, At: at, Panel: panel}), RefuseInvalid)
			if r.Fields[FieldPanel] != "Choose 3 agencies" {
				t.Errorf("panel %q: %+v", panel, r)
			}
		}
		r := c.refused(panelOn(c, Command{Kind: CmdConvenePanel, Actor: chair, At: at, Panel: []string{agCSC, agNHS, "ofsted"}}), RefuseInvalid)
		if r.Fields[FieldPanel] != "Unknown agency ofsted" {
			t.Errorf("refusal %+v", r)
		}
		// A meeting's checks: its day, by the deadline, and who attends.
		noDay := Command{Kind: CmdConvenePanel, Actor: chair, At: at, Panel: []string{agCSC, agNHS, agEdu}}
		if r := c.refused(noDay, RefuseInvalid); r.Fields[FieldMeetingOn] != "Give the date of the meeting" || r.Fields[FieldAttendees] != "Choose who attends" {
			t.Errorf("no day, nobody attending: %+v", r.Fields)
		}
		late := panelOn(c, noDay)
		late.Meeting.On = "2026-03-10"
		if r := c.refused(late, RefuseInvalid); !strings.Contains(r.Fields[FieldMeetingOn], "choose a working day no later") {
			t.Errorf("after the deadline: %+v", r.Fields)
		}
		c = atStage(t, 3)
		c.refused(panelOn(c, Command{Kind: CmdConvenePanel, Actor: chair, At: at, Panel: []string{agCSC, agNHS, agEdu}}), RefuseNotHolder)
	})
	t.Run("a policy where the chair resolves directly", func(t *testing.T) {
		env := newEnv(t)
		env.Policy.Stages[3].Final = FinalChairResolve
		c := newCase(t, env)
		in := raiseInput()
		in.ImmediateRisk, in.StartStage, in.StartReason = true, 4, secretStartReason
		c.do(raiseCmd(in, t0))
		r := c.refused(panelOn(c, Command{Kind: CmdConvenePanel, Actor: chair, At: t0, Panel: []string{agCSC, agNHS, agEdu}}), RefuseState)
		if r.Message != "Stage 4 (Partnership chair) is not a meeting" {
			t.Errorf("message %q", r.Message)
		}
		if acts := ActionsFor(env, c.d, chair); len(acts) != 2 || acts[0].Kind != ActResolve || acts[1].Kind != ActNote {
			t.Errorf("the chair's buttons %+v", acts)
		}
		c.do(Command{Kind: CmdResolve, Actor: chair, At: t0, Proposal: &Proposal{Outcome: secretAgreed}})
	})
}

func TestResolve(t *testing.T) {
	for _, withPanel := range []bool{false, true} {
		t.Run("panel "+map[bool]string{false: "none", true: "convened"}[withPanel], func(t *testing.T) {
			c := atStage(t, 4)
			if withPanel {
				c.do(panelOn(c, Command{Kind: CmdConvenePanel, Actor: chair, At: c.d.UpdatedAt, Panel: []string{agCSC, agNHS, agEdu}}))
			}
			old, at := c.d, c.d.UpdatedAt.Add(time.Hour)
			res := c.do(Command{Kind: CmdResolve, Actor: chair, At: at, Proposal: &Proposal{Outcome: secretAgreed + " ", RecordedOnFile: true}, ExpectStage: 4})
			want := Proposal{Outcome: secretAgreed, RecordedOnFile: true, ProposedBy: chair, ProposedBySide: SideChair, ProposedAt: at, ConfirmedBy: chair, ConfirmedAt: at, ResolvedByChair: true}
			wantDispute(t, old, res.Dispute, at, func(d *Dispute) { d.State, d.ClosedAt, d.Outcome = StateResolved, at, &want })
			if !res.ClearTimers || len(res.Timers) > 0 {
				t.Errorf("timers: clear %v set %q", res.ClearTimers, timerList(res))
			}
			if e := res.Events[0]; e.Summary != "Resolved by the chair" || e.Proposal == nil || *e.Proposal != want {
				t.Errorf("event %+v", e)
			}
			sameStrings(t, "messages", msgs(res), []string{
				"slack:USW record [debrief]", "teams:29:hv record [debrief]", "slack:ULMA record [debrief]", "teams:29:lmb record [debrief]",
				"slack:USMA record [debrief]", "teams:29:smb record [debrief]", "slack:UCHAIR record [debrief learning]", "feed",
			})
			m := msgTo(t, res, sw)
			if m.Title != "ESC-2026-0001 is resolved by the chair, Clare Hughes" || !slices.Contains(m.Lines, "Agreed outcome: "+secretAgreed) {
				t.Errorf("record %q %q", m.Title, m.Lines)
			}
			if f := feedOf(res)[0]; f.Title != "ESC-2026-0001: Resolved by the chair" {
				t.Errorf("feed %q", f.Title)
			}
		})
	}
	t.Run("refusals", func(t *testing.T) {
		c := atStage(t, 4)
		at := c.d.UpdatedAt
		for _, u := range []UserID{bt, smA, sw, stranger, unknown} {
			r, inside := c.refusedInside(Command{Kind: CmdResolve, Actor: u, At: at, Proposal: proposal()}, RefuseNotAllowed)
			if inside && r.Message != "only the partnership chair resolves a case directly, at the last stage" {
				t.Errorf("message %q", r.Message)
			}
		}
		r := c.refused(Command{Kind: CmdResolve, Actor: chair, At: at, Proposal: &Proposal{}}, RefuseInvalid)
		if r.Fields[FieldOutcome] != "Say what was agreed" {
			t.Errorf("refusal %+v", r)
		}
		c = atStage(t, 3)
		c.refused(Command{Kind: CmdResolve, Actor: chair, At: at, Proposal: proposal()}, RefuseNotAllowed)
	})
	t.Run("a last stage the holders resolve between them", func(t *testing.T) {
		env := newEnv(t)
		env.Policy.Stages[3] = Stage{Label: "4", Name: "Head of safeguarding", Role: RoleHeadOfSafeguarding, Window: Window{1, WorkingDays}, NotifyBusinessTeam: true}
		c := newCase(t, env)
		in := raiseInput()
		in.ImmediateRisk, in.StartStage, in.StartReason = true, 4, secretStartReason
		c.do(raiseCmd(in, t0))
		c.refused(Command{Kind: CmdResolve, Actor: chair, At: t0, Proposal: proposal()}, RefuseNotAllowed)
		c.refused(panelOn(c, Command{Kind: CmdConvenePanel, Actor: chair, At: t0, Panel: []string{agCSC, agNHS, agEdu}}), RefuseNotHolder)
		if acts := ActionsFor(env, c.d, hsgA); len(acts) != 2 || acts[0].Kind != ActResolved {
			t.Errorf("buttons at a last stage without a chair %+v", acts)
		}
		c.do(Command{Kind: CmdPropose, Actor: hsgA, At: t0, Proposal: proposal()})
		res := c.do(Command{Kind: CmdConfirm, Actor: hsgB, At: t0})
		if res.Dispute.State != StateResolved {
			t.Errorf("state %s", res.Dispute.State)
		}
	})
}

// closedCase is a case resolved at stage 2 (so that managers were involved).
func closedCase(t testing.TB) *tcase {
	t.Helper()
	c := atStage(t, 2)
	c.do(Command{Kind: CmdPropose, Actor: lmB, At: c.d.UpdatedAt.Add(time.Minute), Proposal: proposal()})
	c.do(Command{Kind: CmdConfirm, Actor: lmA, At: c.d.UpdatedAt.Add(time.Minute)})
	return c
}

func TestDebrief(t *testing.T) {
	c := closedCase(t)
	for i, u := range []UserID{sw, hv, lmA, lmB, bt, chair} {
		old, at := c.d, c.d.UpdatedAt.Add(time.Hour)
		res := c.do(Command{Kind: CmdDebrief, Actor: u, At: at, Text: " " + secretDebrief})
		wantDispute(t, old, res.Dispute, at, func(d *Dispute) {
			d.Debriefs = append(d.Debriefs, Debrief{By: u, At: at, Text: secretDebrief})
		})
		noTimerChange(t, res)
		if e := res.Events[0]; e.Summary != "Debrief recorded" || e.Text != secretDebrief || len(res.Messages) != 0 {
			t.Errorf("debrief by %s: event %+v messages %q", u, e, msgs(res))
		}
		if len(res.Dispute.Debriefs) != i+1 {
			t.Errorf("%d debriefs", len(res.Dispute.Debriefs))
		}
	}
	at := c.d.UpdatedAt
	for _, u := range []UserID{stranger, unknown, sw2, smA} {
		r, inside := c.refusedInside(Command{Kind: CmdDebrief, Actor: u, At: at, Text: secretDebrief}, RefuseNotHolder)
		if inside && r.Message != "you were not part of ESC-2026-0001" {
			t.Errorf("message %q", r.Message)
		}
	}
	c.refused(Command{Kind: CmdDebrief, Actor: SystemActor, At: at, Text: secretDebrief}, RefuseNotAllowed)
	r := c.refused(Command{Kind: CmdDebrief, Actor: sw, At: at, Text: ""}, RefuseInvalid)
	if r.Fields[FieldText] != "The debrief is required" {
		t.Errorf("refusal %+v", r)
	}
	open := raised(t)
	r = open.refused(Command{Kind: CmdDebrief, Actor: sw, At: t0, Text: secretDebrief}, RefuseState)
	if r.Message != "ESC-2026-0001 is still open; that comes after it closes" {
		t.Errorf("message %q", r.Message)
	}
	// Retention removed the free text: nothing new may bring it back.
	c.do(Command{Kind: CmdPurge, Actor: SystemActor, At: at.Add(24 * time.Hour)})
	c.refused(Command{Kind: CmdDebrief, Actor: sw, At: at.Add(25 * time.Hour), Text: secretDebrief}, RefuseState)
}

func TestLearning(t *testing.T) {
	c := closedCase(t)
	old, at := c.d, c.d.UpdatedAt.Add(time.Hour)
	res := c.do(Command{Kind: CmdLearning, Actor: bt, At: at, Themes: []string{"Thresholds", " Information sharing ", "Thresholds", ""}})
	wantDispute(t, old, res.Dispute, at, func(d *Dispute) { d.Themes = []string{"Thresholds", "Information sharing"} })
	noTimerChange(t, res)
	if e := res.Events[0]; e.Summary != "Learning themes: Thresholds, Information sharing" || len(res.Messages) != 0 {
		t.Errorf("event %+v messages %q", e, msgs(res))
	}
	res = c.do(Command{Kind: CmdLearning, Actor: chair, At: at, Themes: []string{"Thresholds", "Drift"}})
	if !slices.Equal(res.Dispute.Themes, []string{"Thresholds", "Information sharing", "Drift"}) || res.Events[0].Summary != "Learning themes: Thresholds, Drift" {
		t.Errorf("themes %q event %q", res.Dispute.Themes, res.Events[0].Summary)
	}
	for _, u := range []UserID{sw, lmA, stranger, unknown} {
		r, inside := c.refusedInside(Command{Kind: CmdLearning, Actor: u, At: at, Themes: []string{"Drift"}}, RefuseNotAllowed)
		if inside && r.Message != "only the chair or the business team tag learning themes" {
			t.Errorf("message %q", r.Message)
		}
	}
	c.refused(Command{Kind: CmdLearning, Actor: SystemActor, At: at, Themes: []string{"Drift"}}, RefuseNotAllowed)
	for _, themes := range [][]string{nil, {" ", ""}} {
		r := c.refused(Command{Kind: CmdLearning, Actor: bt, At: at, Themes: themes}, RefuseInvalid)
		if r.Fields[FieldThemes] != "Name at least one theme" {
			t.Errorf("refusal %+v", r)
		}
	}
	r := c.refused(Command{Kind: CmdLearning, Actor: bt, At: at, Themes: []string{strings.Repeat("t", 81)}}, RefuseInvalid)
	if r.Message != "a theme is a short label (80 characters at most)" {
		t.Errorf("message %q", r.Message)
	}
	raised(t).refused(Command{Kind: CmdLearning, Actor: bt, At: t0, Themes: []string{"Drift"}}, RefuseState)
}

func TestPurge(t *testing.T) {
	c := closedCase(t)
	c.do(Command{Kind: CmdDebrief, Actor: sw, At: c.d.UpdatedAt.Add(time.Hour), Text: secretDebrief})
	c.do(Command{Kind: CmdLearning, Actor: bt, At: c.d.UpdatedAt.Add(time.Hour), Themes: []string{"Thresholds"}})
	old, at := c.d, c.d.UpdatedAt.AddDate(1, 0, 0)
	res := c.do(Command{Kind: CmdPurge, Actor: SystemActor, At: at})
	wantDispute(t, old, res.Dispute, at, func(d *Dispute) {
		for _, f := range d.FreeText() {
			*f = ""
		}
		// Names the case kept go too: past retention it names nobody.
		d.Names = nil
		if d.Changed != nil {
			d.Changed.ActorName = ""
		}
		d.Purged = true
	})
	if !res.PurgeHistory || len(res.Messages) != 0 || res.ClearTimers || len(res.Timers) > 0 {
		t.Errorf("purge history %v messages %q timers %v %q", res.PurgeHistory, msgs(res), res.ClearTimers, timerList(res))
	}
	if e := res.Events[0]; e.Summary != "Free text removed after the retention period" || e.Text != "" || e.Actor != SystemActor {
		t.Errorf("event %+v", e)
	}
	if js := string(snapshot(t, res.Dispute)); strings.Contains(js, "SECRET") {
		t.Errorf("free text survived the purge: %s", js)
	}
	if d := res.Dispute; d.Outcome == nil || d.Outcome.ConfirmedBy != lmA || len(d.Themes) != 1 || d.ClosedAt.IsZero() || len(d.Debriefs) != 1 {
		t.Errorf("the facts reports need were lost: %+v", d)
	}
	r := c.refused(Command{Kind: CmdPurge, Actor: SystemActor, At: at}, RefuseState)
	if r.Message != "ESC-2026-0001 was already purged" {
		t.Errorf("message %q", r.Message)
	}
	// Themes are labels, not case detail: still taggable.
	c.do(Command{Kind: CmdLearning, Actor: bt, At: at, Themes: []string{"Drift"}})

	for _, u := range []UserID{bt, chair, sw} {
		closedCase(t).refused(Command{Kind: CmdPurge, Actor: u, At: at}, RefuseNotAllowed)
	}
	raised(t).refused(Command{Kind: CmdPurge, Actor: SystemActor, At: at}, RefuseState)

	t.Run("a withdrawn case", func(t *testing.T) {
		c := raised(t)
		c.do(Command{Kind: CmdWithdraw, Actor: sw, At: t0.Add(time.Hour), Text: secretWithdraw})
		res := c.do(Command{Kind: CmdPurge, Actor: SystemActor, At: t0.AddDate(1, 0, 0)})
		if js := string(snapshot(t, res.Dispute)); strings.Contains(js, "SECRET") {
			t.Errorf("free text survived the purge: %s", js)
		}
	})
}

// Every string in a dispute is either one of the labelled, channel-safe
// fields below or free text that FreeText (and so encryption at rest and
// the purge) covers. A new free-text field without a FreeText entry fails
// here.
func TestFreeTextCoversEveryTextField(t *testing.T) {
	notFree := map[string]bool{
		"Dispute.Ref": true, "Dispute.PolicyID": true, "Dispute.Route": true, "Dispute.SubjectType": true, "Dispute.Category": true,
		"Dispute.DecisionDate": true, "Dispute.Plan": true, "Dispute.State": true,
		"Party.Agency": true, "Party.Person": true, "Proposal.ProposedBy": true, "Proposal.ProposedBySide": true,
		"Proposal.ConfirmedBy": true, "Debrief.By": true, "Dispute.AfterGivenBy": true,
	}
	d := &Dispute{Proposal: &Proposal{}, Outcome: &Proposal{}, Debriefs: []Debrief{{}, {}}}
	var fill func(v reflect.Value, path string)
	fill = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				fill(v.Elem(), path)
			}
		case reflect.Slice:
			for i := range v.Len() {
				fill(v.Index(i), path)
			}
		case reflect.Struct:
			for i := range v.NumField() {
				f := v.Type().Field(i)
				name := v.Type().Name() + "." + f.Name
				if f.Type.Kind() == reflect.String {
					if !notFree[name] {
						v.Field(i).SetString("SECRET " + name)
					}
					continue
				}
				fill(v.Field(i), name)
			}
		}
	}
	fill(reflect.ValueOf(d), "")
	for _, f := range d.FreeText() {
		*f = ""
	}
	if js := string(snapshot(t, d)); strings.Contains(js, "SECRET") {
		t.Errorf("a text field is missing from FreeText: %s", js)
	}
}

package workflow

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func summaries(events []Event) []string {
	var s []string
	for _, e := range events {
		s = append(s, e.Summary)
	}
	return s
}

// feedTitles follows the business team's thread of a case through the
// results of its commands.
type feedThread []string

func (f *feedThread) add(res *Result) {
	for _, m := range feedOf(res) {
		*f = append(*f, m.Title)
	}
}

// Raised, reminded, lapsed, escalated to the senior managers, resolved
// there between them.
func TestScenarioEscalatedThenAgreed(t *testing.T) {
	c := raised(t)
	var feed feedThread
	feed.add(c.last)

	feed.add(c.fire(TimerRemind, 0)) // Mon 16:00
	feed.add(c.fire(TimerLapse, 0))  // Tue 10:00
	feed.add(c.do(Command{Kind: CmdComment, Actor: hv, At: lt(2026, 3, 3, 10, 30), Text: secretNote, ExpectStage: 1}))
	res := c.do(Command{Kind: CmdEscalate, Actor: sw, At: lt(2026, 3, 3, 11, 0), Text: secretReason, ExpectStage: 1})
	feed.add(res)
	sameStrings(t, "stage 2 timers", timerList(res), []string{"remind 2@5 Wed 4 Mar 09:00", "lapse 2@5 Wed 4 Mar 11:00"})

	feed.add(c.fire(TimerRemind, 0))
	res = c.do(Command{Kind: CmdEscalate, Actor: lmB, At: lt(2026, 3, 4, 10, 0), Text: secretReason, ExpectStage: 2})
	feed.add(res)
	sameStrings(t, "stage 3 timers", timerList(res), []string{"remind 3@7 Wed 4 Mar 16:00", "lapse 3@7 Thu 5 Mar 10:00"})

	feed.add(c.do(Command{Kind: CmdPropose, Actor: smB, At: lt(2026, 3, 4, 14, 0), Proposal: proposal(), ExpectStage: 3}))
	res = c.do(Command{Kind: CmdConfirm, Actor: smA, At: lt(2026, 3, 4, 15, 0), ExpectStage: 3})
	feed.add(res)

	d := c.d
	if d.State != StateResolved || d.Stage != 3 || d.Version != 9 || d.LapsedCount != 1 || d.Outcome.ConfirmedBy != smA || d.Outcome.ProposedBy != smB {
		t.Errorf("final %+v", d)
	}
	if len(d.Holders) != 3 || !slices.Equal(d.Involved(), []UserID{sw, hv, lmA, lmB, smA, smB}) {
		t.Errorf("holders %+v", d.Holders)
	}
	sameStrings(t, "the written record", summaries(c.hist), []string{
		"Raised by Sam Walker (Children's Social Care) with Harriet Vale (Sussex Community NHS Trust) at Stage 1 (Professional to professional)",
		"Reminder sent: the window closes on Tue 3 Mar, 10:00",
		"Window lapsed on Tue 3 Mar, 10:00",
		"Note added",
		"Escalated to Stage 2 (Manager to manager)",
		"Reminder sent: the window closes on Wed 4 Mar, 11:00",
		"Escalated to Stage 3 (Senior manager to senior manager)",
		"Resolution proposed by the responder side",
		"Resolution confirmed; case resolved",
	})
	for i, e := range c.hist {
		if e.Seq != i+1 {
			t.Errorf("event %d has seq %d", i, e.Seq)
		}
	}
	sameStrings(t, "the business team's thread", feed, []string{
		"ESC-2026-0001: Escalated to Stage 2 (Manager to manager) by Sam Walker",
		"ESC-2026-0001: Escalated to Stage 3 (Senior manager to senior manager) by Laura Bell",
		"ESC-2026-0001: Resolution proposed by Sanjay Bhatt",
		"ESC-2026-0001: Resolved at Stage 3 (Senior manager to senior manager)",
	})
	// Everyone involved, the raiser included, gets the written record with
	// the agreed outcome and the whole history.
	for _, u := range d.Involved() {
		m := msgTo(t, res, u)
		if m.Kind != MsgRecord || !slices.Contains(m.Lines, "Agreed outcome: "+secretAgreed) || len(m.History) != 9 {
			t.Errorf("record to %s: %+v", u, m)
		}
	}
	if len(c.timers) != 0 {
		t.Errorf("timers left after closing: %v", c.timers)
	}
	// After closure: debrief, learning, and in time retention.
	c.do(Command{Kind: CmdDebrief, Actor: sw, At: lt(2026, 3, 5, 9, 0), Text: secretDebrief})
	c.do(Command{Kind: CmdLearning, Actor: bt, At: lt(2026, 3, 5, 9, 30), Themes: []string{"Thresholds"}})
	c.do(Command{Kind: CmdPurge, Actor: SystemActor, At: lt(2027, 3, 5, 2, 0)})
	c.refused(Command{Kind: CmdComment, Actor: sw, At: lt(2027, 3, 6, 9, 0), Text: secretNote}, RefuseClosed)
}

// Raised, a proposal not agreed, escalated to the chair, who convenes a
// panel and resolves.
func TestScenarioChairConvenesPanelAndResolves(t *testing.T) {
	c := raised(t)
	var feed feedThread
	at := func(day, h int) time.Time { return lt(2026, 3, day, h, 0) }
	c.do(Command{Kind: CmdPropose, Actor: sw, At: at(2, 12), Proposal: &Proposal{Outcome: secretAgreed}, ExpectStage: 1})
	c.do(Command{Kind: CmdReject, Actor: hv, At: at(2, 13), Text: secretReject, ExpectStage: 1})
	steps := []struct {
		stage int
		actor UserID
		at    time.Time
	}{{1, hv, at(2, 14)}, {2, lmA, at(3, 10)}, {3, smB, at(4, 10)}}
	for _, s := range steps {
		res := c.do(Command{Kind: CmdEscalate, Actor: s.actor, At: s.at, Text: secretReason, ExpectStage: s.stage})
		feed.add(res)
	}
	if c.d.Stage != 4 || !slices.Equal(c.d.Current().Chair, []UserID{chair}) {
		t.Fatalf("stage %d holders %+v", c.d.Stage, c.d.Current())
	}
	// The chair's window is a working day too, reminded two working hours before.
	sameStrings(t, "chair's timers", timerList(c.last), []string{"remind 4@6 Wed 4 Mar 16:00", "lapse 4@6 Thu 5 Mar 10:00"})
	feed.add(c.do(panelOn(c, Command{Kind: CmdConvenePanel, Actor: chair, At: at(4, 15), Panel: []string{agCSC, agNHS, agEdu}, Text: secretPanelNote, ExpectStage: 4})))
	feed.add(c.fire(TimerLapse, 0)) // Thu 10:00: the panel has not met yet
	res := c.do(Command{Kind: CmdResolve, Actor: chair, At: at(5, 16), Proposal: &Proposal{Outcome: secretAgreed, RecordedOnFile: true}, ExpectStage: 4})
	feed.add(res)

	d := c.d
	if d.State != StateResolved || d.Outcome == nil || !d.Outcome.ResolvedByChair || !slices.Equal(d.Panel, []string{agCSC, agNHS, agEdu}) || d.Lapsed {
		t.Errorf("final %+v", d)
	}
	sameStrings(t, "the written record", summaries(c.hist), []string{
		"Raised by Sam Walker (Children's Social Care) with Harriet Vale (Sussex Community NHS Trust) at Stage 1 (Professional to professional)",
		"Resolution proposed by the raiser side",
		"Proposed resolution not agreed",
		"Escalated to Stage 2 (Manager to manager)",
		"Escalated to Stage 3 (Senior manager to senior manager)",
		"Escalated to Stage 4 (Partnership chair)",
		"Resolution panel convened: Children's Social Care, Sussex Community NHS Trust, West Sussex Education, for Thu 5 Mar, attended by Clare Hughes",
		"Window lapsed on Thu 5 Mar, 10:00",
		"Resolved by the chair",
	})
	sameStrings(t, "the business team's thread", feed, []string{
		"ESC-2026-0001: Escalated to Stage 2 (Manager to manager) by Harriet Vale",
		"ESC-2026-0001: Escalated to Stage 3 (Senior manager to senior manager) by Lena Marsh",
		"ESC-2026-0001: Escalated to Stage 4 (Partnership chair) by Sanjay Bhatt",
		"ESC-2026-0001: Resolution panel convened: Children's Social Care, Sussex Community NHS Trust, West Sussex Education, for Thu 5 Mar, attended by Clare Hughes",
		"ESC-2026-0001: Window lapsed at Stage 4 (Partnership chair)",
		"ESC-2026-0001: Resolved by the chair",
	})
	if m := msgTo(t, res, sw); !strings.Contains(strings.Join(m.Lines, "\n"), secretAgreed) {
		t.Errorf("the raiser's record lacks the outcome: %q", m.Lines)
	}
}

// Data protection: across a long case that uses every command, no
// business-team feed post carries a case number or anybody's words, while
// the people holding the case do get them.
func TestFeedCarriesNoFreeText(t *testing.T) {
	env := newEnv(t)
	env.Policy.LapseNotifiesNextTier = true
	c := newCase(t, env)
	in := raiseInput()
	in.ImmediateRisk, in.StartReason = true, secretStartReason
	in.StartStage = 2
	in.Evidence = secretEvidence + " <b>&amp;</b> \"quoted\""
	var results []*Result
	do := func(cmd Command) { results = append(results, c.do(cmd)) }
	do(raiseCmd(in, t0))
	step := func() time.Time { return c.d.UpdatedAt.Add(20 * time.Minute) }
	do(Command{Kind: CmdComment, Actor: lmB, At: step(), Text: secretNote})
	do(Command{Kind: CmdComment, Actor: bt, At: step(), Text: secretNote})
	do(c.timer(TimerRemind).Command(c.timer(TimerRemind).Due))
	do(Command{Kind: CmdPropose, Actor: lmA, At: step(), Proposal: proposal()})
	do(Command{Kind: CmdReject, Actor: lmB, At: step(), Text: secretReject})
	do(c.timer(TimerLapse).Command(c.timer(TimerLapse).Due))
	do(c.timer(TimerPrompt).Command(c.timer(TimerPrompt).Due))
	do(Command{Kind: CmdAssignHolder, Actor: bt, At: step(), Holders: &StageHolders{Responder: []UserID{hv2}}})
	do(Command{Kind: CmdEscalate, Actor: hv2, At: step(), Text: secretReason})
	do(Command{Kind: CmdPropose, Actor: smB, At: step(), Proposal: proposal()})
	do(Command{Kind: CmdReject, Actor: smA, At: step(), Text: secretReject})
	do(c.timer(TimerLapse).Command(c.timer(TimerLapse).Due))
	do(Command{Kind: CmdEscalate, Actor: sw, At: step(), Text: secretReason})
	do(Command{Kind: CmdComment, Actor: chair, At: step(), Text: secretNote})
	do(panelOn(c, Command{Kind: CmdConvenePanel, Actor: chair, At: step(), Panel: []string{agCSC, agNHS, agPolice}, Text: secretPanelNote}))
	do(c.timer(TimerRemind).Command(c.timer(TimerRemind).Due))
	do(c.timer(TimerLapse).Command(c.timer(TimerLapse).Due))
	do(Command{Kind: CmdResolve, Actor: chair, At: step(), Proposal: proposal()})
	do(Command{Kind: CmdDebrief, Actor: hv, At: step(), Text: secretDebrief})
	do(Command{Kind: CmdLearning, Actor: chair, At: step(), Themes: []string{"Information sharing"}})
	do(Command{Kind: CmdPurge, Actor: SystemActor, At: step().AddDate(1, 0, 0)})

	secrets := append(slices.Clone(allSecrets), in.Evidence)
	feeds, dmsWithText := 0, 0
	for _, res := range results {
		for _, m := range res.Messages {
			js, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if m.Feed {
				feeds++
				for _, p := range feedLeaks(m, secrets) {
					t.Error(p)
				}
				if !strings.Contains(m.Title, ref1) {
					t.Errorf("feed post %q does not name its case", m.Title)
				}
			} else if strings.Contains(string(js), "SECRET") {
				dmsWithText++
			}
			for _, s := range secrets {
				if strings.Contains(m.Title, s) {
					t.Errorf("title %q carries free text", m.Title)
				}
			}
		}
		for _, e := range res.Events {
			if strings.Contains(e.Summary, "SECRET") {
				t.Errorf("event summary %q carries free text", e.Summary)
			}
		}
	}
	if feeds < 10 || dmsWithText < 20 {
		t.Errorf("the scenario proves little: %d feed posts, %d DMs with the case's words", feeds, dmsWithText)
	}
}

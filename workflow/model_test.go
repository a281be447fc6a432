package workflow

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPolicyValidate(t *testing.T) {
	if errs := testPolicy().Validate(); len(errs) > 0 {
		t.Fatalf("the test policy is invalid: %v", errs)
	}
	cases := []struct {
		name string
		edit func(p *Policy)
		want []string
	}{
		{"no partnership", func(p *Policy) { p.Partnership = "" }, []string{"partnership: is required"}},
		{"no subjects", func(p *Policy) { p.Subjects = nil }, []string{"subjects: name at least one of child, adult"}},
		{"bad subject", func(p *Policy) { p.Subjects = []SubjectType{"pet"} }, []string{`subjects[0]: must be child or adult, not "pet"`}},
		{"one stage", func(p *Policy) { p.Stages = p.Stages[3:] }, []string{"stages: a policy has 2 to 6 stages, this one has 1"}},
		{"seven stages", func(p *Policy) {
			p.Stages = append(slices.Repeat([]Stage{p.Stages[0]}, 6), p.Stages[3])
		}, []string{"stages: a policy has 2 to 6 stages, this one has 7"}},
		{"no name", func(p *Policy) { p.Stages[1].Name = "" }, []string{"stages[1].name: is required"}},
		{"bad role", func(p *Policy) { p.Stages[1].Role = "boss" }, []string{`stages[1].role: must be one of practitioner, line_manager, senior_manager, head_of_service, head_of_safeguarding, chair; not "boss"`}},
		{"no window", func(p *Policy) { p.Stages[0].Window = Window{} }, []string{"stages[0].window: must be positive", `stages[0].window.unit: must be working_days, working_hours or hours, not ""`}},
		{"bad window unit", func(p *Policy) { p.Stages[0].Window.Unit = "fortnights" }, []string{`stages[0].window.unit: must be working_days, working_hours or hours, not "fortnights"`}},
		{"negative remind", func(p *Policy) { p.Stages[0].Remind.Amount = -1 }, []string{"stages[0].remind: must be positive"}},
		{"remind as long as the window", func(p *Policy) { p.Stages[0].Remind = Window{8, WorkingHours} }, []string{"stages[0].remind: must be shorter than the window (1 working day)"}},
		{"final before the end", func(p *Policy) { p.Stages[2].Final = FinalChairResolve; p.Stages[2].Role = RoleChair }, []string{
			`stages[2].final: only the last stage can be "chair_resolves"`,
		}},
		{"chair resolves a manager's stage", func(p *Policy) { p.Stages[3].Role = RoleHeadOfSafeguarding }, []string{"stages[3].role: a stage the chair resolves must have role chair"}},
		{"bad final", func(p *Policy) { p.Stages[3].Final = "coin_toss" }, []string{`stages[3].final: must be chair_resolves, chair_or_panel or decider, not "coin_toss"`}},
		{"chair with no final", func(p *Policy) { p.Stages[3].Final = FinalNone }, []string{"stages[3].final: a stage held by the chair must say what the chair does (chair_resolves or chair_or_panel)"}},
		{"tiers going down", func(p *Policy) { p.Stages[2].Role = RolePractitioner }, []string{"stages[2].role: practitioner is a lower tier than the previous stage's line_manager"}},
		{"immediate risk stage", func(p *Policy) { p.ImmediateRiskMaxStage = 5 }, []string{"immediate_risk_max_stage: must be between 0 and the number of stages (4)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := testPolicy()
			tc.edit(p)
			var got []string
			for _, e := range p.Validate() {
				got = append(got, e.Error())
			}
			sameStrings(t, "problems", got, tc.want)
		})
	}
}

func TestPolicy(t *testing.T) {
	p := testPolicy()
	if p.Last() != 4 || !reflect.DeepEqual(p.Stage(0), Stage{}) || !reflect.DeepEqual(p.Stage(5), Stage{}) || p.Stage(2).Role != RoleLineManager {
		t.Error("Stage / Last")
	}
	if !p.Covers(SubjectChild) || p.Covers(SubjectAdult) {
		t.Error("Covers")
	}
	if p.FeedFrom() != 2 || p.FeedAt(1) || !p.FeedAt(2) || !p.FeedAt(4) {
		t.Error("the feed follows from stage 2")
	}
	p.Stages[1].NotifyBusinessTeam, p.Stages[2].NotifyBusinessTeam = false, false
	if p.FeedFrom() != 4 || p.FeedAt(3) {
		t.Error("the feed at the last tier only")
	}
	for i := range p.Stages {
		p.Stages[i].NotifyBusinessTeam = false
	}
	if p.FeedFrom() != 0 || p.FeedAt(4) {
		t.Error("no feed")
	}
	if p.StageName(2) != "Stage 2 (Manager to manager)" {
		t.Errorf("StageName %q", p.StageName(2))
	}
	p.Stages[1].Label, p.Stages[1].Name = "1b", ""
	if p.StageName(2) != "Stage 1b" || stageLabel(p, 2) != "1b" {
		t.Errorf("StageName %q", p.StageName(2))
	}
	p.Stages[1].Label = ""
	if p.StageName(2) != "Stage 2" || stageLabel(p, 2) != "2" {
		t.Errorf("StageName %q", p.StageName(2))
	}
	windows := map[Window]string{{1, WorkingDays}: "1 working day", {5, WorkingDays}: "5 working days", {4, WorkingHours}: "4 working hours",
		{48, Hours}: "48 hours", {2, "weeks"}: "2 weeks"}
	for w, want := range windows {
		if w.String() != want {
			t.Errorf("%+v is %q, want %q", w, w.String(), want)
		}
	}
}

func TestLabels(t *testing.T) {
	for _, r := range Roles {
		if !r.Valid() || r.Label() == "" || strings.Contains(r.Label(), "_") {
			t.Errorf("role %s label %q", r, r.Label())
		}
	}
	if Role("boss").Valid() || Role("boss").Label() != "boss" {
		t.Error("unknown role")
	}
	if SubjectChild.Label() != "child" || SubjectAdult.Label() != "adult with care and support needs" {
		t.Error("subject labels")
	}
	if CatThresholds.Label() != "Thresholds / level of need" || Category("x").Label() != "x" {
		t.Error("category labels")
	}
	if PlanChildProtect.Label() != "Child protection plan" || PlanStatus("x").Label() != "x" {
		t.Error("plan labels")
	}
	if !StateResolved.Closed() || !StateWithdrawn.Closed() || StateOpen.Closed() || StateProposed.Closed() || StatePanel.Closed() {
		t.Error("Closed")
	}
	if SideRaiser.Other() != SideResponder || SideResponder.Other() != SideRaiser || SideChair.Other() != SideChair {
		t.Error("Other")
	}
	for id, want := range map[UserID][2]string{"slack:U024BE7LH": {"slack", "U024BE7LH"}, "teams:29:1abc": {"teams", "29:1abc"}, "console:sw": {"console", "sw"}, "bare": {"bare", ""}} {
		if id.Platform() != want[0] || id.Local() != want[1] {
			t.Errorf("%s: %q %q", id, id.Platform(), id.Local())
		}
	}
	if Date("2026-02-29").Valid() || !Date("2028-02-29").Valid() || Date("2026-02-30").Valid() || Date("29/02/2028").Valid() || Date("").Valid() {
		t.Error("Date.Valid")
	}
	if len(CommandKinds) != 24 || slices.Contains(CommandKinds, "") {
		t.Errorf("CommandKinds %q", CommandKinds)
	}
}

func TestDirectory(t *testing.T) {
	dir := testDirectory()
	if a, ok := dir.Agency(agNHS); !ok || a.Name != "Sussex Community NHS Trust" {
		t.Error("Agency")
	}
	if _, ok := dir.Agency("mi5"); ok || dir.AgencyName("mi5") != "mi5" || dir.AgencyName(agCSC) != "Children's Social Care" {
		t.Error("AgencyName")
	}
	if dir.Name(sw) != "Sam Walker" || dir.Name(unknown) != "a Teams user" || dir.Name(SystemActor) != "Escalate" {
		t.Errorf("names %q %q %q", dir.Name(sw), dir.Name(unknown), dir.Name(SystemActor))
	}
	if h := dir.Holders(agCSC, RolePractitioner); !slices.Equal(h, []UserID{sw, sw2}) {
		t.Errorf("holders %q", h)
	}
	if h := dir.Holders(agEdu, RoleLineManager); len(h) != 0 {
		t.Errorf("holders %q", h)
	}
	h := dir.Holders("anything", RoleChair)
	h[0] = "slack:UHACK"
	if !dir.IsChair(chair) || dir.IsChair("slack:UHACK") {
		t.Error("Holders hands out the directory's own chair list")
	}
	if !dir.InBusinessTeam(bt) || dir.InBusinessTeam(chair) {
		t.Error("InBusinessTeam")
	}
}

func TestDisputeHelpers(t *testing.T) {
	env := newEnv(t)
	c := atStage(t, 2)
	d := c.d
	if s, ok := d.SideOf(lmB); !ok || s != SideResponder {
		t.Error("SideOf")
	}
	if d.Holds(sw) || !d.Holds(lmA) || !d.IsInvolved(sw) || d.IsInvolved(sw2) {
		t.Error("Holds / IsInvolved")
	}
	if !slices.Equal(d.Involved(), []UserID{sw, hv, lmA, lmB}) {
		t.Errorf("Involved %q", d.Involved())
	}
	for u, want := range map[UserID]bool{sw: true, lmB: true, bt: true, chair: true, stranger: false, sw2: false, unknown: false} {
		if CanView(d, env.Directory, u) != want {
			t.Errorf("CanView(%s) = %v", u, !want)
		}
	}
	empty := &Dispute{Stage: 3}
	if h := empty.Current(); h.Stage != 3 || len(h.All()) != 0 {
		t.Errorf("Current with no holders %+v", h)
	}

	// Clone is deep: nothing done to the copy reaches the original.
	c2 := closedCase(t)
	c2.do(Command{Kind: CmdDebrief, Actor: sw, At: c2.d.UpdatedAt, Text: secretDebrief})
	c2.do(Command{Kind: CmdLearning, Actor: bt, At: c2.d.UpdatedAt, Themes: []string{"Drift"}})
	orig := c2.d
	orig.Panel = []string{agCSC, agNHS, agEdu}
	orig.Proposal = &Proposal{Outcome: "x"}
	before := string(snapshot(t, orig))
	cl := orig.Clone()
	cl.Holders[0].Raiser[0] = "slack:UHACK"
	cl.Holders[1].Responder = append(cl.Holders[1].Responder, "slack:UHACK")
	cl.Outcome.Outcome = "changed"
	cl.Proposal.Outcome = "changed"
	cl.Panel[0] = "changed"
	cl.Debriefs[0].Text = "changed"
	cl.Themes[0] = "changed"
	for _, f := range cl.FreeText() {
		*f = "changed"
	}
	if after := string(snapshot(t, orig)); after != before {
		t.Errorf("changing a clone changed the original:\n%s\n%s", before, after)
	}
}

func TestActionsFor(t *testing.T) {
	kinds := func(a []Action) string {
		var k []string
		for _, x := range a {
			k = append(k, string(x.Kind))
		}
		return strings.Join(k, " ")
	}
	env := newEnv(t)
	type want map[UserID]string
	check := func(name string, d *Dispute, w want) {
		t.Helper()
		for u, k := range w {
			acts := ActionsFor(env, d, u)
			if got := kinds(acts); got != k {
				t.Errorf("%s, %s: %q, want %q", name, u, got, k)
			}
			for _, a := range acts {
				if a.Ref != d.Ref || a.Stage != d.Stage || a.Label == "" {
					t.Errorf("%s, %s: button %+v", name, u, a)
				}
			}
		}
	}
	c := raised(t)
	check("stage 1", c.d, want{sw: "resolved escalate note withdraw", hv: "resolved escalate note", sw2: "", bt: "", chair: "", stranger: ""})
	c.do(Command{Kind: CmdPropose, Actor: hv, At: t0.Add(time.Minute), Proposal: proposal()})
	check("proposed", c.d, want{sw: "confirm reject note withdraw", hv: "note"})
	c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(time.Hour), Text: secretReason})
	check("stage 2", c.d, want{sw: "escalate note withdraw", hv: "note", lmA: "resolved escalate note", lmB: "resolved escalate note", smA: ""})
	c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(time.Hour), Text: secretReason})
	c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(time.Hour), Text: secretReason})
	check("stage 4", c.d, want{sw: "note withdraw", chair: "resolve panel note", smA: "note", bt: ""})
	c.do(panelOn(c, Command{Kind: CmdConvenePanel, Actor: chair, At: t0.Add(time.Hour), Panel: []string{agCSC, agNHS, agEdu}}))
	check("panel", c.d, want{chair: "resolve meeting_outcome note"})
	c.do(Command{Kind: CmdResolve, Actor: chair, At: t0.Add(2 * time.Hour), Proposal: proposal()})
	check("closed", c.d, want{sw: "debrief", chair: "debrief learning", lmB: "debrief", bt: "learning", stranger: ""})
}

func TestCaseFactsAndHistory(t *testing.T) {
	env := newEnv(t)
	c := raised(t)
	facts := CaseFacts(env, c.d, false)
	var labels []string
	for _, f := range facts {
		labels = append(labels, f.Label)
		if strings.Contains(f.Value, "SECRET") {
			t.Errorf("channel fact %+v", f)
		}
	}
	sameStrings(t, "channel facts", labels, []string{"Case", "About", "Category", "Agencies", "Stage", "State", "Window closes"})
	if f, _ := fact(Message{Facts: CaseFacts(env, c.d, true)}, "About"); !strings.Contains(f.Value, secretSubjectRef) {
		t.Errorf("a DM's About %q", f.Value)
	}
	c.do(Command{Kind: CmdPropose, Actor: hv, At: t0.Add(time.Minute), Proposal: proposal()})
	c.do(Command{Kind: CmdComment, Actor: sw, At: t0.Add(2 * time.Minute), Text: secretNote})
	h := History(c.hist)
	if len(h) != 3 || h[1].Text != strings.Join(proposalText, "\n") || h[2].Text != secretNote || h[2].Actor != "Sam Walker" || h[2].Stage != 1 || !h[2].At.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("history %+v", h)
	}
	if len(History(nil)) != 0 {
		t.Error("History(nil)")
	}
}

func TestTimer(t *testing.T) {
	tm := Timer{Ref: ref1, Kind: TimerLapse, Stage: 2, StageVersion: 5, Due: t0}
	if tm.ID() != "ESC-2026-0001|lapse|2" {
		t.Errorf("ID %q", tm.ID())
	}
	for k, want := range map[TimerKind]CommandKind{TimerRemind: CmdNudge, TimerLapse: CmdLapse, TimerPrompt: CmdPrompt} {
		tm.Kind = k
		cmd := tm.Command(t0.Add(time.Hour))
		if cmd.Kind != want || cmd.Actor != SystemActor || !cmd.At.Equal(t0.Add(time.Hour)) || *cmd.Timer != tm {
			t.Errorf("%s: %+v", k, cmd)
		}
		cmd.Timer.Stage = 9
		if tm.Stage != 2 {
			t.Error("the command shares the timer")
		}
	}
	r := &Refusal{Code: RefuseState, Message: "m"}
	if r.Error() != "m" {
		t.Error("Refusal.Error")
	}
}

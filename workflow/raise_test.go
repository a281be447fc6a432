package workflow

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRaise(t *testing.T) {
	c := newCase(t, newEnv(t))
	res := c.do(raiseCmd(raiseInput(), t0))
	d := res.Dispute

	want := &Dispute{
		Ref: ref1, PolicyID: "west-sussex-test", SubjectType: SubjectChild, SubjectRef: secretSubjectRef, Category: CatNeedForAction,
		DecisionDisputed: secretDecision, DecisionDate: "2026-02-27", Plan: PlanChildInNeed,
		Disagreement: secretDisagreement, OutcomeSought: secretOutcomeSought, Evidence: secretEvidence,
		Raiser: Party{agCSC, sw}, Responder: Party{agNHS, hv}, StartStage: 1,
		Stage: 1, State: StateOpen,
		// Stage 1 is professional to professional: the two people who
		// disagree, not every practitioner of their agencies.
		Holders:      []StageHolders{{Stage: 1, Raiser: []UserID{sw}, Responder: []UserID{hv}, Since: t0}},
		StageVersion: 1, StageStarted: t0, Deadline: lt(2026, 3, 3, 10, 0),
		Version: 1, CreatedAt: t0, UpdatedAt: t0,
		Changed: &Change{Seq: 1, Kind: CmdRaise, Actor: sw, ActorName: "Sam Walker", At: t0, Stage: 1,
			Summary: "Raised by Sam Walker (Children's Social Care) with Harriet Vale (Sussex Community NHS Trust) at Stage 1 (Professional to professional)"},
	}
	if got, w := snapshot(t, d), snapshot(t, want); string(got) != string(w) {
		t.Errorf("raised dispute:\ngot  %s\nwant %s", got, w)
	}
	e := res.Events[0]
	if e.Summary != "Raised by Sam Walker (Children's Social Care) with Harriet Vale (Sussex Community NHS Trust) at Stage 1 (Professional to professional)" || e.Text != "" || e.ActorName != "Sam Walker" || e.Stage != 1 {
		t.Errorf("event %+v", e)
	}
	if !res.ClearTimers {
		t.Error("a raise does not clear timers")
	}
	sameStrings(t, "timers", timerList(res), []string{"remind 1@1 Mon 2 Mar 16:00", "lapse 1@1 Tue 3 Mar 10:00"})
	sameStrings(t, "messages", msgs(res), []string{
		"teams:29:hv raised [resolved escalate note]",
		"slack:USW raised_ack [resolved escalate note withdraw]",
	})
	m := msgTo(t, res, hv)
	if m.Title != "Sam Walker (Children's Social Care) disagrees with a decision of yours about case ESC-2026-0001 and asks you to talk it through by Tue 3 Mar, 10:00" {
		t.Errorf("title %q", m.Title)
	}
	sameStrings(t, "lines to the responder", m.Lines, []string{
		"Decision disputed: " + secretDecision + " (Fri 27 Feb)",
		"The disagreement: " + secretDisagreement,
		"Outcome sought for the child: " + secretOutcomeSought,
		"Evidence: " + secretEvidence,
	})
	if f, _ := fact(m, "About"); f.Value != "child, case number "+secretSubjectRef+" (Child in need)" {
		t.Errorf("About fact %q", f.Value)
	}
	if f, n := fact(m, "Window closes"); n != 1 || f.Value != "Tue 3 Mar, 10:00" || f.Time == nil || !f.Time.Equal(d.Deadline) {
		t.Errorf("window fact %+v ×%d", f, n)
	}
	if len(m.History) != 0 {
		t.Error("the responder at stage 1 needs no history: the lines are the case")
	}
	ack := msgTo(t, res, sw)
	sameStrings(t, "ack", append([]string{ack.Title}, ack.Lines...), []string{
		"Your disagreement is raised as ESC-2026-0001",
		"Harriet Vale has been told. Stage 1 (Professional to professional) should be resolved by Tue 3 Mar, 10:00; Escalate will remind everyone before then.",
	})
	if strings.Contains(strings.Join(m.Lines, " "), "999") {
		t.Error("the emergency route is shown without immediate risk")
	}
}

func TestRaiseTrimsAndDefaults(t *testing.T) {
	in := raiseInput()
	in.SubjectRef = "  " + secretSubjectRef + " "
	in.Disagreement = "\n" + secretDisagreement + "  "
	in.Plan = ""
	in.DecisionDisputed = ""
	in.DecisionDate = ""
	in.StartReason = "ignored without a later start"
	c := newCase(t, newEnv(t))
	res := c.do(raiseCmd(in, t0))
	d := res.Dispute
	if d.SubjectRef != secretSubjectRef || d.Disagreement != secretDisagreement || d.Plan != PlanNone || d.StartReason != "" {
		t.Errorf("dispute %+v", d)
	}
	if lines := msgTo(t, res, hv).Lines; strings.HasPrefix(lines[0], "Decision disputed") {
		t.Errorf("an empty decision is still shown: %q", lines)
	}
}

func TestRaiseOutOfHours(t *testing.T) {
	cases := []struct {
		name     string
		holidays []string
		at       time.Time
		start    time.Time
		timers   []string
	}{
		{"friday evening", nil, lt(2026, 3, 6, 18, 0), lt(2026, 3, 9, 9, 0),
			[]string{"remind 1@1 Mon 9 Mar 15:00", "lapse 1@1 Tue 10 Mar 09:00"}},
		{"friday evening before a bank holiday", []string{"2026-03-09"}, lt(2026, 3, 6, 18, 0), lt(2026, 3, 10, 9, 0),
			[]string{"remind 1@1 Tue 10 Mar 15:00", "lapse 1@1 Wed 11 Mar 09:00"}},
		{"late afternoon", nil, lt(2026, 3, 2, 16, 30), lt(2026, 3, 2, 16, 30),
			[]string{"remind 1@1 Tue 3 Mar 14:30", "lapse 1@1 Tue 3 Mar 16:30"}},
		{"friday afternoon", nil, lt(2026, 3, 6, 15, 0), lt(2026, 3, 6, 15, 0),
			[]string{"remind 1@1 Mon 9 Mar 13:00", "lapse 1@1 Mon 9 Mar 15:00"}},
		{"early on a working day", nil, lt(2026, 3, 3, 7, 0), lt(2026, 3, 3, 9, 0),
			[]string{"remind 1@1 Tue 3 Mar 15:00", "lapse 1@1 Wed 4 Mar 09:00"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCase(t, newEnv(t, tc.holidays...))
			res := c.do(raiseCmd(raiseInput(), tc.at))
			if !res.Dispute.StageStarted.Equal(tc.start) {
				t.Errorf("window opens %s, want %s", res.Dispute.StageStarted.In(london), tc.start)
			}
			if !res.Dispute.CreatedAt.Equal(tc.at) {
				t.Errorf("created %s, want the time it was raised", res.Dispute.CreatedAt)
			}
			sameStrings(t, "timers", timerList(res), tc.timers)
		})
	}
}

func TestRaiseImmediateRiskLaterStage(t *testing.T) {
	in := raiseInput()
	in.ImmediateRisk, in.StartStage, in.StartReason = true, 3, " "+secretStartReason+" "
	c := newCase(t, newEnv(t))
	res := c.do(raiseCmd(in, t0))
	d := res.Dispute
	if d.Stage != 3 || d.StartStage != 3 || !d.ImmediateRisk || d.StartReason != secretStartReason || d.StageVersion != 1 {
		t.Errorf("dispute stage %d start %d risk %v reason %q stage version %d", d.Stage, d.StartStage, d.ImmediateRisk, d.StartReason, d.StageVersion)
	}
	sameStrings(t, "holders", ids(d.Current().All()), []string{string(smA), string(smB)})
	if len(d.Holders) != 1 || d.Holders[0].Stage != 3 {
		t.Errorf("holders %+v", d.Holders)
	}
	e := res.Events[0]
	if e.Stage != 3 || e.Text != secretStartReason || !strings.HasSuffix(e.Summary, "at Stage 3 (Senior manager to senior manager): risk of immediate harm, started at a later stage") {
		t.Errorf("event %+v", e)
	}
	sameStrings(t, "messages", msgs(res), []string{
		"slack:USMA raised [resolved escalate note]",
		"teams:29:smb raised [resolved escalate note]",
		"teams:29:hv raised [note]",
		"slack:USW raised_ack [note withdraw]",
		"feed",
	})
	// The practitioner it was raised with is told, though the managers hold it.
	if m := msgTo(t, res, hv); !strings.Contains(m.Title, "started at Stage 3 (Senior manager to senior manager) and Simon Moss and Sanjay Bhatt are asked to resolve it by Tue 3 Mar, 10:00") {
		t.Errorf("to the other practitioner: %q %q", m.Title, m.Lines)
	}
	for _, u := range []UserID{smA, smB} {
		m := msgTo(t, res, u)
		// The emergency route comes first, before the case.
		want := append([]string{"The raiser says the child is at risk of immediate harm. This process never replaces an immediate safeguarding response:"}, emergencyRoute...)
		if len(m.Lines) < len(want) || !slices.Equal(m.Lines[:len(want)], want) {
			t.Errorf("lines to %s: %q", u, m.Lines)
		}
		if !slices.Contains(m.Lines, "Why it started at a later stage: "+secretStartReason) {
			t.Errorf("lines to %s lack the reason: %q", u, m.Lines)
		}
		// Managers new to a case get its whole history.
		if len(m.History) != 1 || m.History[0].Text != secretStartReason {
			t.Errorf("history to %s: %+v", u, m.History)
		}
	}
	ack := msgTo(t, res, sw)
	if !strings.HasPrefix(ack.Lines[0], "Simon Moss, Sanjay Bhatt and Harriet Vale have been told. Stage 3 (Senior manager to senior manager) should be resolved by Tue 3 Mar, 10:00") {
		t.Errorf("ack %q", ack.Lines)
	}
	f := feedOf(res)[0]
	if f.Title != "ESC-2026-0001: Raised by Sam Walker at Stage 3 (Senior manager to senior manager) (risk of immediate harm: started at a later stage)" {
		t.Errorf("feed title %q", f.Title)
	}
	if about, _ := fact(f, "About"); about.Value != "child" {
		t.Errorf("feed About %q", about.Value)
	}
}

func TestRaiseImmediateRiskAtTheChair(t *testing.T) {
	in := raiseInput()
	in.ImmediateRisk, in.StartStage, in.StartReason = true, 4, secretStartReason
	c := newCase(t, newEnv(t))
	res := c.do(raiseCmd(in, t0))
	if h := res.Dispute.Current(); !slices.Equal(h.Chair, []UserID{chair}) || len(h.Raiser)+len(h.Responder) != 0 {
		t.Errorf("holders %+v", h)
	}
	sameStrings(t, "messages", msgs(res), []string{
		"slack:UCHAIR raised [resolve panel note]",
		"teams:29:hv raised [note]",
		"slack:USW raised_ack [note withdraw]",
		"feed",
	})
	if ack := msgTo(t, res, sw); !strings.HasPrefix(ack.Lines[0], "Clare Hughes and Harriet Vale have been told.") {
		t.Errorf("ack %q", ack.Lines)
	}
}

func TestRaiseImmediateRiskAtStageOne(t *testing.T) {
	in := raiseInput()
	in.ImmediateRisk = true
	in.StartReason = "a reason nobody asked for"
	c := newCase(t, newEnv(t))
	res := c.do(raiseCmd(in, t0))
	if res.Dispute.Stage != 1 || res.Dispute.StartReason != "" {
		t.Errorf("stage %d reason %q", res.Dispute.Stage, res.Dispute.StartReason)
	}
	lines := msgTo(t, res, hv).Lines
	if !slices.Contains(lines, emergencyRoute[0]) || lines[0] != "The raiser says the child is at risk of immediate harm. This process never replaces an immediate safeguarding response:" {
		t.Errorf("the emergency route is missing: %q", lines)
	}
	if len(feedOf(res)) != 0 {
		t.Error("stage 1 is not fed to the business team")
	}
}

func TestRaiseChosenHolders(t *testing.T) {
	in := raiseInput()
	in.ImmediateRisk, in.StartStage, in.StartReason = true, 2, secretStartReason
	in.Holders = &StageHolders{Raiser: []UserID{smA, smA}}
	c := newCase(t, newEnv(t))
	res := c.do(raiseCmd(in, t0))
	h := res.Dispute.Current()
	if !slices.Equal(h.Raiser, []UserID{smA}) || !slices.Equal(h.Responder, []UserID{lmB}) || h.Stage != 2 {
		t.Errorf("holders %+v: the chosen raiser side, the directory's responder side", h)
	}
}

func TestRaiseResponderAgencyWithNobodyInTheDirectory(t *testing.T) {
	in := raiseInput()
	in.ResponderAgency, in.Responder = agEdu, teacher
	c := newCase(t, newEnv(t))
	res := c.do(raiseCmd(in, t0))
	if h := res.Dispute.Current(); !slices.Equal(h.Responder, []UserID{teacher}) {
		t.Errorf("holders %+v", h)
	}
	// A person the directory does not know, and the platform did not
	// name, is named by a neutral stand-in, never their platform id.
	if e := res.Events[0]; !strings.Contains(e.Summary, "with a Slack user (West Sussex Education)") || strings.Contains(e.Summary, "UTEACH") {
		t.Errorf("summary %q", e.Summary)
	}
	// Named by the platform, they are named so in every message and event,
	// and the case keeps the name for its record.
	named := raiseCmd(in, t0)
	named.Names = map[UserID]string{teacher: "Tess Teacher, Year 6 lead"}
	res = newCase(t, newEnv(t)).do(named)
	if e := res.Events[0]; !strings.Contains(e.Summary, "with Tess Teacher, Year 6 lead (West Sussex Education)") {
		t.Errorf("summary %q", e.Summary)
	}
	for _, m := range res.Messages {
		if strings.Contains(m.Title+strings.Join(m.Lines, " "), "UTEACH") {
			t.Errorf("message %s carries a platform id: %q %q", m.Kind, m.Title, m.Lines)
		}
	}
	if res.Dispute.Names[teacher] != "Tess Teacher, Year 6 lead" || res.Dispute.NameOf(newEnv(t).Directory, teacher) != "Tess Teacher, Year 6 lead" {
		t.Errorf("the case kept %v", res.Dispute.Names)
	}
	if _, listed := res.Dispute.Names[res.Dispute.Raiser.Person]; listed {
		t.Errorf("the directory's people need no kept name: %v", res.Dispute.Names)
	}

	// Starting at stage 2 needs a line manager in education.
	in.ImmediateRisk, in.StartStage, in.StartReason = true, 2, secretStartReason
	r := newCase(t, newEnv(t)).refused(raiseCmd(in, t0), RefuseNoHolders)
	if r.Message != "the directory has no line manager for West Sussex Education; choose the people in the form" || !slices.Equal(slices.Sorted(maps.Keys(r.Fields)), []string{FieldResponderHolders}) {
		t.Errorf("refusal %+v", r)
	}
}

func TestRaiseWithinAgency(t *testing.T) {
	in := raiseInput()
	in.ResponderAgency, in.Responder = agCSC, sw2
	r := newCase(t, newEnv(t)).refused(raiseCmd(in, t0), RefuseInvalid)
	if r.Fields[FieldResponderAgency] != "This policy is for disagreements between agencies; use your own agency's escalation policy for one within it" || len(r.Fields) != 1 {
		t.Errorf("fields %v", r.Fields)
	}
	// A concern about one's own management is within an agency too: a policy
	// between agencies sends it to the agency's own policy.
	in.Category = CatOwnManagement
	newCase(t, newEnv(t)).refused(raiseCmd(in, t0), RefuseInvalid)

	env := newEnv(t)
	env.Policy.WithinAgency = true
	c := newCase(t, env)
	res := c.do(raiseCmd(in, t0))
	if h := res.Dispute.Current(); !slices.Equal(h.Raiser, []UserID{sw}) || !slices.Equal(h.Responder, []UserID{sw2}) {
		t.Errorf("holders %+v", h)
	}
}

func TestRaiseRefusals(t *testing.T) {
	env := newEnv(t)
	cases := []struct {
		name  string
		cmd   func() Command
		code  RefusalCode
		field string
	}{
		{"no time", func() Command { c := raiseCmd(raiseInput(), t0); c.At = time.Time{}; return c }, RefuseInvalid, ""},
		{"no input", func() Command { return Command{Kind: CmdRaise, Actor: sw, At: t0} }, RefuseInvalid, ""},
		{"no reference", func() Command { in := raiseInput(); in.Ref = ""; return raiseCmd(in, t0) }, RefuseInvalid, ""},
		{"bad reference", func() Command { in := raiseInput(); in.Ref = "CASE-1"; return raiseCmd(in, t0) }, RefuseInvalid, ""},
		{"no actor", func() Command { c := raiseCmd(raiseInput(), t0); c.Actor = ""; return c }, RefuseInvalid, ""},
		{"the system", func() Command { c := raiseCmd(raiseInput(), t0); c.Actor = SystemActor; return c }, RefuseNotAllowed, ""},
		{"form problems", func() Command { in := raiseInput(); in.Evidence = ""; return raiseCmd(in, t0) }, RefuseInvalid, FieldEvidence},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newCase(t, env).refused(tc.cmd(), tc.code)
			if tc.field != "" && r.Fields[tc.field] == "" {
				t.Errorf("no %s field problem: %+v", tc.field, r)
			}
		})
	}
	t.Run("raised twice", func(t *testing.T) {
		c := raised(t)
		r := c.refused(raiseCmd(raiseInput(), t0.Add(time.Minute)), RefuseState)
		if r.Message != "ESC-2026-0001 has already been raised" {
			t.Errorf("message %q", r.Message)
		}
	})
}

// Every problem RaiseInput.Validate finds, one at a time, with the answer
// the person sees; Apply refuses the same input with the same fields.
func TestRaiseValidate(t *testing.T) {
	long := strings.Repeat("x", MaxText+1)
	cases := []struct {
		name   string
		actor  UserID
		policy func(*Policy)
		edit   func(*RaiseInput)
		field  string
		msg    string
	}{
		{"an adult under a policy for children", sw, nil, func(in *RaiseInput) { in.SubjectType, in.Plan = SubjectAdult, "" }, FieldSubjectType, "West Sussex Safeguarding Children Partnership's policy does not cover an adult with care and support needs"},
		{"unknown subject type", sw, nil, func(in *RaiseInput) { in.SubjectType, in.Plan = "pet", "" }, FieldSubjectType, "Choose a child or an adult with care and support needs"},
		{"adult under a children's policy", sw, nil, func(in *RaiseInput) { in.SubjectType = SubjectAdult; in.Plan = PlanCareAndSupport }, FieldSubjectType,
			"West Sussex Safeguarding Children Partnership's policy does not cover an adult with care and support needs"},
		{"no case number", sw, nil, func(in *RaiseInput) { in.SubjectRef = "" }, FieldSubjectRef, "Give the agency's case number (no names)"},
		{"blank case number", sw, nil, func(in *RaiseInput) { in.SubjectRef = "   " }, FieldSubjectRef, "Give the agency's case number (no names)"},
		{"long case number", sw, nil, func(in *RaiseInput) { in.SubjectRef = "CSC-" + strings.Repeat("1", 37) }, FieldSubjectRef, "A case number is 40 characters at most"},
		{"a name as the case number", sw, nil, func(in *RaiseInput) { in.SubjectRef = "Jayden Smith" }, FieldSubjectRef,
			"This looks like a name. Use the agency's case number: names never go in Escalate"},
		{"a first name as the case number", sw, nil, func(in *RaiseInput) { in.SubjectRef = "baby" }, FieldSubjectRef,
			"This looks like a name. Use the agency's case number: names never go in Escalate"},
		{"no category", sw, nil, func(in *RaiseInput) { in.Category = "" }, FieldCategory, "Choose what the disagreement is about"},
		{"unknown category", sw, nil, func(in *RaiseInput) { in.Category = "gossip" }, FieldCategory, "Choose what the disagreement is about"},
		{"adults' category for a child", sw, nil, func(in *RaiseInput) { in.Category = CatSafeguardingEnquiry }, FieldCategory, "Choose what the disagreement is about"},
		{"adults' plan for a child", sw, nil, func(in *RaiseInput) { in.Plan = PlanSection42 }, FieldPlan, "Choose the current plan status"},
		{"unknown plan", sw, nil, func(in *RaiseInput) { in.Plan = "maybe" }, FieldPlan, "Choose the current plan status"},
		{"bad decision date", sw, nil, func(in *RaiseInput) { in.DecisionDate = "27/02/2026" }, FieldDecisionDate, "Give the date as YYYY-MM-DD"},
		{"long decision", sw, nil, func(in *RaiseInput) { in.DecisionDisputed = long }, FieldDecision, "3,000 characters at most: this has 3,001, so shorten it by 1"},
		{"long disagreement", sw, nil, func(in *RaiseInput) { in.Disagreement = long }, FieldDisagreement, "3,000 characters at most: this has 3,001, so shorten it by 1"},
		{"long outcome sought", sw, nil, func(in *RaiseInput) { in.OutcomeSought = long }, FieldOutcomeSought, "3,000 characters at most: this has 3,001, so shorten it by 1"},
		{"long evidence", sw, nil, func(in *RaiseInput) { in.Evidence = long }, FieldEvidence, "3,000 characters at most: this has 3,001, so shorten it by 1"},
		{"no disagreement", sw, nil, func(in *RaiseInput) { in.Disagreement = " \n " }, FieldDisagreement, "Say what the disagreement is about"},
		{"no outcome sought", sw, nil, func(in *RaiseInput) { in.OutcomeSought = "" }, FieldOutcomeSought, "Say what outcome you seek for the child"},
		{"no evidence", sw, nil, func(in *RaiseInput) { in.Evidence = "" }, FieldEvidence, "Say what the disagreement rests on: the policies ask for it to be evidence based"},
		{"raiser unknown and no agency", unknown, nil, func(in *RaiseInput) {}, FieldRaiserAgency, "Choose your agency"},
		{"unknown raiser agency", sw, nil, func(in *RaiseInput) { in.RaiserAgency = "mi5" }, FieldRaiserAgency, "Choose your agency"},
		{"no responder agency", sw, nil, func(in *RaiseInput) { in.ResponderAgency, in.Responder = "", teacher }, FieldResponderAgency, "Choose the agency you disagree with"},
		{"unknown responder agency", sw, nil, func(in *RaiseInput) { in.ResponderAgency = "mi5" }, FieldResponderAgency, "Choose the agency you disagree with"},
		{"named raiser agency is the responder's", unknown, nil, func(in *RaiseInput) { in.RaiserAgency = agNHS }, FieldResponderAgency,
			"This policy is for disagreements between agencies; use your own agency's escalation policy for one within it"},
		{"no responder", sw, nil, func(in *RaiseInput) { in.Responder = "" }, FieldResponder, "Choose the practitioner you disagree with, or give their email address"},
		{"raised with Escalate", sw, nil, func(in *RaiseInput) { in.Responder = SystemActor }, FieldResponder, "Choose the practitioner you disagree with, or give their email address"},
		{"raised with oneself", sw, nil, func(in *RaiseInput) { in.Responder = sw }, FieldResponder, "Choose someone other than yourself"},
		{"later stage without immediate risk", sw, nil, func(in *RaiseInput) { in.StartStage, in.StartReason = 2, secretStartReason }, FieldStartStage,
			"A case starts at stage 1 unless the child is at risk of immediate harm"},
		{"stage beyond the policy", sw, nil, func(in *RaiseInput) { in.ImmediateRisk, in.StartStage, in.StartReason = true, 5, secretStartReason }, FieldStartStage, "Choose a stage from 1 to 4"},
		{"negative stage", sw, nil, func(in *RaiseInput) { in.StartStage = -1 }, FieldStartStage, "Choose a stage from 1 to 4"},
		{"later stage without a reason", sw, nil, func(in *RaiseInput) { in.ImmediateRisk, in.StartStage, in.StartReason = true, 3, "  " }, FieldStartReason,
			"Say why it should start at a later stage"},
		{"later than the policy allows", sw, func(p *Policy) { p.ImmediateRiskMaxStage = 2 }, func(in *RaiseInput) {
			in.ImmediateRisk, in.StartStage, in.StartReason = true, 3, secretStartReason
		}, FieldStartStage, "This policy lets a case start at stage 2 at the latest"},
		{"long start reason", sw, nil, func(in *RaiseInput) { in.ImmediateRisk, in.StartStage, in.StartReason = true, 2, long }, FieldStartReason, "3,000 characters at most: this has 3,001, so shorten it by 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
			if tc.policy != nil {
				tc.policy(env.Policy)
			}
			in := raiseInput()
			tc.edit(in)
			errs := in.Validate(env, tc.actor)
			if len(errs) != 1 || errs[tc.field] != tc.msg {
				t.Errorf("Validate = %q, want only %s: %q", errs, tc.field, tc.msg)
			}
			r := newCase(t, env).refused(Command{Kind: CmdRaise, Actor: tc.actor, At: t0, Raise: in}, RefuseInvalid)
			if !maps.Equal(r.Fields, errs) || r.Message != "some answers need a look" {
				t.Errorf("refusal %+v, want the fields of Validate", r)
			}
		})
	}

	t.Run("everything missing", func(t *testing.T) {
		env := newEnv(t)
		errs := RaiseInput{}.Validate(env, sw)
		want := []string{FieldCategory, FieldDisagreement, FieldEvidence, FieldOutcomeSought, FieldResponder, FieldResponderAgency, FieldSubjectRef} // who it is about is answered: the policy is for children alone
		if got := slices.Sorted(maps.Keys(errs)); !slices.Equal(got, want) {
			t.Errorf("fields %q, want %q", got, want)
		}
	})

	t.Run("accepted", func(t *testing.T) {
		env := newEnv(t)
		for _, ref := range []string{"CSC-123", "NHS 4471 2290", "12345", "lcs/2026/77"} {
			in := raiseInput()
			in.SubjectRef = ref
			if errs := in.Validate(env, sw); len(errs) > 0 {
				t.Errorf("case number %q refused: %v", ref, errs)
			}
		}
		in := raiseInput()
		in.ImmediateRisk, in.StartStage, in.StartReason = true, 4, secretStartReason
		if errs := in.Validate(env, sw); len(errs) > 0 {
			t.Errorf("immediate risk at the chair refused: %v", errs)
		}
		in = raiseInput()
		in.RaiserAgency = "" // the directory knows the raiser's agency: not asked again
		if errs := in.Validate(env, sw); len(errs) > 0 {
			t.Errorf("a raiser the directory knows, with no agency given, refused: %v", errs)
		}
	})

	t.Run("adults", func(t *testing.T) {
		env := newEnv(t)
		env.Policy.Subjects = []SubjectType{SubjectChild, SubjectAdult}
		in := raiseInput()
		in.SubjectType, in.Category, in.Plan = SubjectAdult, CatSafeguardingEnquiry, PlanSection42
		if errs := in.Validate(env, sw); len(errs) > 0 {
			t.Errorf("an adult case refused: %v", errs)
		}
		in.OutcomeSought = ""
		if errs := in.Validate(env, sw); errs[FieldOutcomeSought] != "Say what outcome you seek for the adult" {
			t.Errorf("errors %v", errs)
		}
		in.Plan = PlanChildProtect
		if errs := in.Validate(env, sw); errs[FieldPlan] == "" {
			t.Errorf("a child's plan for an adult accepted")
		}
	})
}

// The words check-config prints for a policy between agencies ("between
// agencies only: a concern within one agency goes to its own policy") and the
// behaviour agree: the form does not offer "my own management's position",
// and a raise naming it is refused on its field, whatever the other agency.
func TestOwnManagementFollowsWithinAgency(t *testing.T) {
	offered := func(env Env) bool {
		for _, f := range RaiseForm(env).Fields {
			for _, o := range f.Options {
				if o.Value == string(CatOwnManagement) {
					return true
				}
			}
		}
		return false
	}
	env := newEnv(t)
	if offered(env) {
		t.Error("a policy between agencies offers the own-management category")
	}
	in := raiseInput()
	in.Category = CatOwnManagement
	r := newCase(t, env).refused(raiseCmd(in, t0), RefuseInvalid)
	if r.Fields[FieldCategory] != "This policy is for disagreements between agencies: a concern about your own management's position goes to your own agency's escalation policy" {
		t.Errorf("fields %v", r.Fields)
	}

	within := newEnv(t)
	within.Policy.WithinAgency = true
	if !offered(within) {
		t.Error("a policy within agencies does not offer the own-management category")
	}
	// One's own management is in one's own agency.
	r = newCase(t, within).refused(raiseCmd(in, t0), RefuseInvalid)
	if r.Fields[FieldResponderAgency] != "A disagreement with your own management's position is within your own agency: choose your agency, or another category" || len(r.Fields) != 1 {
		t.Errorf("fields %v", r.Fields)
	}
	in.ResponderAgency, in.Responder = agCSC, sw2
	newCase(t, within).do(raiseCmd(in, t0))
}

// Within one agency the directory's managers are the same for both sides:
// nobody may hold both (they would propose to themselves and nobody could
// confirm), so the person escalating names a holder per side, and the
// case then resolves as any other does.
func TestWithinOneAgencyEachSideHasItsOwnHolder(t *testing.T) {
	env := newEnv(t)
	env.Policy.WithinAgency = true
	in := raiseInput()
	in.ResponderAgency, in.Responder = agCSC, sw2
	c := newCase(t, env)
	c.do(raiseCmd(in, t0))
	esc := Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(1), Text: secretReason, ExpectStage: 1}
	r := c.refused(esc, RefuseInvalid)
	if msg := r.Fields[FieldRaiserHolders]; !strings.Contains(msg, "cannot hold both sides") || r.Fields[FieldResponderHolders] != msg {
		t.Fatalf("the directory's one list for both sides: %+v", r)
	}
	// Naming the same person on both sides is refused the same way.
	same := esc
	same.Holders = &StageHolders{Raiser: []UserID{lmA}, Responder: []UserID{lmA}}
	c.refused(same, RefuseInvalid)

	esc.Holders = &StageHolders{Raiser: []UserID{lmA}, Responder: []UserID{smA}}
	d := c.do(esc).Dispute
	if h := d.Current(); !sameIDs(h.Raiser, []UserID{lmA}) || !sameIDs(h.Responder, []UserID{smA}) {
		t.Fatalf("holders %+v", h)
	}
	c.do(Command{Kind: CmdPropose, Actor: lmA, At: t0.Add(2), ExpectStage: 2, Proposal: &Proposal{Outcome: secretAgreed, RecordedOnFile: true}})
	if res := c.do(Command{Kind: CmdConfirm, Actor: smA, At: t0.Add(3), ExpectStage: 2}); !res.Dispute.State.Closed() {
		t.Errorf("the other side's holder could not confirm: %s", res.Dispute.State)
	}
}

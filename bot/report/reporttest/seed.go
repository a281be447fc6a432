// Package reporttest seeds realistic case histories for the report and
// retention tests: every case is played through the real workflow.Apply
// (raised, noted, proposed, not agreed, lapsed, escalated, resolved by the
// parties or the chair, withdrawn, debriefed, tagged with themes), chosen
// by a seeded generator so the same seed always gives the same cases.
package reporttest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/escalate-app/escalate/bot/report"
	"github.com/escalate-app/escalate/workflow"
)

// Agencies of the seeded partnership.
var agencies = []workflow.Agency{
	{ID: "csc", Name: "Children's Social Care"},
	{ID: "nhs", Name: "Community NHS Trust"},
	{ID: "police", Name: "Police"},
	{ID: "edu", Name: "Education"},
	{ID: "asc", Name: "Adult Social Care"},
}

// Themes are the learning themes the seeded business team tags.
var Themes = []string{"Information sharing", "Thresholds", "Timeliness", "Roles and responsibilities", "Escalating early"}

const (
	// Chair and Business are the partnership chair and the business team.
	Chair    workflow.UserID = "slack:UCHAIR"
	Business workflow.UserID = "slack:UBT"
	// Outsider is a practitioner with no part in any seeded case.
	Outsider workflow.UserID = "slack:UOUT"
)

// Practitioner is the i-th practitioner (0 or 1) of an agency.
func Practitioner(agency string, i int) workflow.UserID {
	return workflow.UserID(fmt.Sprintf("slack:P-%s-%d", agency, i))
}

// Env is the seeded partnership: West Sussex's four stages (one working
// day each, the chair resolving or convening a panel at the last), for
// children and adults, over the calendar given.
func Env(cal workflow.Calendar) workflow.Env {
	st := func(label, name string, role workflow.Role, feed bool) workflow.Stage {
		return workflow.Stage{Label: label, Name: name, Role: role, NotifyBusinessTeam: feed,
			Window: workflow.Window{Amount: 1, Unit: workflow.WorkingDays},
			Remind: workflow.Window{Amount: 2, Unit: workflow.WorkingHours}}
	}
	last := st("4", "Partnership chair", workflow.RoleChair, true)
	last.Final = workflow.FinalChairOrPanel
	dir := &workflow.Directory{
		Agencies:     slices.Clone(agencies),
		BusinessTeam: []workflow.UserID{Business},
		Chair:        []workflow.UserID{Chair},
		People: []workflow.Person{
			{ID: Chair, Name: "Clare Chair", Role: workflow.RoleChair},
			{ID: Business, Name: "Bea Team"},
			{ID: Outsider, Name: "Olly Outsider", Agency: "police", Role: workflow.RolePractitioner},
		},
	}
	for _, a := range agencies {
		for i := range 2 {
			dir.People = append(dir.People, workflow.Person{ID: Practitioner(a.ID, i), Name: fmt.Sprintf("Practitioner %d of %s", i+1, a.Name), Agency: a.ID, Role: workflow.RolePractitioner})
		}
		dir.People = append(dir.People,
			workflow.Person{ID: workflow.UserID("slack:LM-" + a.ID), Name: "Line manager of " + a.Name, Agency: a.ID, Role: workflow.RoleLineManager},
			workflow.Person{ID: workflow.UserID("teams:SM-" + a.ID), Name: "Senior manager of " + a.Name, Agency: a.ID, Role: workflow.RoleSeniorManager},
		)
	}
	return workflow.Env{
		Policy: &workflow.Policy{
			ID: "seeded", Partnership: "Seeded Safeguarding Partnership",
			Subjects: []workflow.SubjectType{workflow.SubjectChild, workflow.SubjectAdult},
			Stages: []workflow.Stage{
				st("1", "Professional to professional", workflow.RolePractitioner, false),
				st("2", "Manager to manager", workflow.RoleLineManager, true),
				st("3", "Senior manager to senior manager", workflow.RoleSeniorManager, true),
				last,
			},
			NotifyOnResolution: true,
		},
		Directory: dir,
		Calendar:  cal,
		Emergency: []string{"If a child or adult is in immediate danger, call 999."},
	}
}

// Seeded is a set of generated cases.
type Seeded struct {
	Cases []report.CaseData
	// FreeText is every free-text value and subject reference the cases
	// were given: none of them may reach a channel, a report or a log.
	FreeText []string
}

// Seed plays n cases raised between start and start+span. Each accepted
// transition is passed to commit (nil for none), in order, so a test can
// write them to a store. The same seed gives the same cases.
func Seed(env workflow.Env, seed uint64, n int, start time.Time, span time.Duration, commit func(*workflow.Result) error) (Seeded, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	raised := make([]time.Time, n)
	for i := range raised {
		// Any minute of any day, working time or not.
		raised[i] = start.Add(time.Duration(rng.Int64N(int64(span/time.Minute))) * time.Minute)
	}
	slices.SortFunc(raised, func(a, b time.Time) int { return a.Compare(b) })
	// Cases stop moving at the horizon: those still open then stay open.
	horizon := start.Add(span + 21*24*time.Hour)
	g := &gen{env: env, rng: rng, commit: commit, horizon: horizon, perYear: map[int]int{}}
	for i, at := range raised {
		c, err := g.play(i, at)
		if err != nil {
			return g.out, fmt.Errorf("seed case %d: %w", i, err)
		}
		g.out.Cases = append(g.out.Cases, c)
	}
	return g.out, nil
}

type gen struct {
	env     workflow.Env
	rng     *rand.Rand
	commit  func(*workflow.Result) error
	horizon time.Time
	perYear map[int]int
	out     Seeded

	d      *workflow.Dispute
	events []workflow.Event
	now    time.Time
	words  int
}

// text is a unique piece of free text, remembered for the leak scans.
func (g *gen) text(ref, what string) string {
	g.words++
	s := fmt.Sprintf("FREETEXT-%s-%s-%d: the family said something private", ref, what, g.words)
	g.out.FreeText = append(g.out.FreeText, s)
	return s
}

func (g *gen) apply(cmd workflow.Command) error {
	if cmd.At.IsZero() {
		cmd.At = g.now
	}
	res, err := workflow.Apply(g.env, g.d, g.events, cmd)
	if err != nil {
		var r *workflow.Refusal
		if errors.As(err, &r) {
			return fmt.Errorf("%s by %s at %s: %w %v", cmd.Kind, cmd.Actor, cmd.At, err, r.Fields)
		}
		return fmt.Errorf("%s by %s at %s: %w", cmd.Kind, cmd.Actor, cmd.At, err)
	}
	if g.commit != nil {
		if err := g.commit(res); err != nil {
			return fmt.Errorf("commit %s: %w", cmd.Kind, err)
		}
	}
	g.d, g.events = res.Dispute, append(g.events, res.Events...)
	return nil
}

// later moves the clock on by up to max.
func (g *gen) later(maxMinutes int) {
	g.now = g.now.Add(time.Duration(1+g.rng.IntN(maxMinutes)) * time.Minute)
}

func (g *gen) pick(ids []workflow.UserID) workflow.UserID { return ids[g.rng.IntN(len(ids))] }

func (g *gen) play(i int, at time.Time) (report.CaseData, error) {
	g.d, g.events, g.now = nil, nil, at
	year := at.In(g.env.Calendar.Location()).Year()
	g.perYear[year]++
	ref := workflow.FormatRef(year, g.perYear[year])

	subject := workflow.SubjectChild
	if g.rng.IntN(4) == 0 {
		subject = workflow.SubjectAdult
	}
	var cats []workflow.Category
	for _, c := range workflow.Categories {
		if c.Category == workflow.CatOwnManagement && !g.env.Policy.WithinAgency {
			continue // between agencies only, as the seeded policy is
		}
		if !c.AdultOnly || subject == workflow.SubjectAdult {
			cats = append(cats, c.Category)
		}
	}
	var plans []workflow.PlanStatus
	for _, p := range workflow.Plans {
		if p.For == "" || p.For == subject {
			plans = append(plans, p.Plan)
		}
	}
	ra := g.rng.IntN(len(agencies))
	rb := (ra + 1 + g.rng.IntN(len(agencies)-1)) % len(agencies)
	raiserAg, responderAg := agencies[ra].ID, agencies[rb].ID
	raiser := Practitioner(raiserAg, g.rng.IntN(2))
	subjectRef := fmt.Sprintf("SUBJREF-%s-%d", ref, g.rng.IntN(100000))
	g.out.FreeText = append(g.out.FreeText, subjectRef)
	in := workflow.RaiseInput{
		Ref: ref, SubjectType: subject, SubjectRef: subjectRef, Category: cats[g.rng.IntN(len(cats))],
		DecisionDisputed: g.text(ref, "decision"), DecisionDate: workflow.Date(at.AddDate(0, 0, -3).Format(time.DateOnly)),
		Plan: plans[g.rng.IntN(len(plans))], Disagreement: g.text(ref, "disagreement"), OutcomeSought: g.text(ref, "sought"),
		Evidence: g.text(ref, "evidence"), RaiserAgency: raiserAg, ResponderAgency: responderAg,
		Responder: Practitioner(responderAg, g.rng.IntN(2)),
	}
	if g.rng.IntN(12) == 0 {
		in.ImmediateRisk = true
		in.StartStage = 2 + g.rng.IntN(2)
		in.StartReason = g.text(ref, "start-reason")
	} else if g.rng.IntN(20) == 0 {
		// Risk named, but the raiser keeps to stage 1.
		in.ImmediateRisk = true
	}
	if err := g.apply(workflow.Command{Kind: workflow.CmdRaise, Actor: raiser, Raise: &in}); err != nil {
		return report.CaseData{}, err
	}

	for step := 0; step < 14 && !g.d.State.Closed(); step++ {
		g.later(3 * 24 * 60)
		if g.now.After(g.horizon) || g.rng.IntN(30) == 0 {
			break // left open
		}
		if err := g.step(ref); err != nil {
			return report.CaseData{}, err
		}
	}
	if g.d.State.Closed() {
		if g.rng.IntN(3) == 0 {
			g.later(5 * 24 * 60)
			if err := g.apply(workflow.Command{Kind: workflow.CmdDebrief, Actor: g.d.Raiser.Person, Text: g.text(ref, "debrief")}); err != nil {
				return report.CaseData{}, err
			}
		}
		if g.rng.IntN(5) < 2 {
			g.later(10 * 24 * 60)
			themes := []string{Themes[g.rng.IntN(len(Themes))], Themes[g.rng.IntN(len(Themes))]}
			if err := g.apply(workflow.Command{Kind: workflow.CmdLearning, Actor: Business, Themes: themes}); err != nil {
				return report.CaseData{}, err
			}
		}
	}
	return report.CaseData{Dispute: g.d, Events: g.events}, nil
}

// step does one thing to an open case.
func (g *gen) step(ref string) error {
	d, p := g.d, g.env.Policy
	cur := d.Current()
	if d.Stage == p.Last() {
		if d.State != workflow.StatePanel && g.rng.IntN(3) == 0 {
			third := agencies[g.rng.IntN(len(agencies))].ID
			panel := []string{d.Raiser.Agency, d.Responder.Agency}
			for slices.Contains(panel, third) {
				third = agencies[g.rng.IntN(len(agencies))].ID
			}
			// The panel is a meeting: on the next working day, the chair
			// attending.
			day := workflow.Date(g.env.Calendar.AddWorkingHours(g.now, time.Hour).In(g.env.Calendar.Location()).Format(time.DateOnly))
			if d.Deadline.After(g.now) && string(day) > d.Deadline.In(g.env.Calendar.Location()).Format(time.DateOnly) {
				day = workflow.Date(d.Deadline.In(g.env.Calendar.Location()).Format(time.DateOnly))
			}
			return g.apply(workflow.Command{Kind: workflow.CmdConvenePanel, Actor: Chair, Panel: append(panel, third), Text: g.text(ref, "panel"),
				Meeting: &workflow.Meeting{On: day, Attendees: []workflow.UserID{Chair}}})
		}
		if g.rng.IntN(4) == 0 && !d.Lapsed {
			return g.lapse()
		}
		return g.apply(workflow.Command{Kind: workflow.CmdResolve, Actor: Chair, Proposal: g.proposal(ref)})
	}
	if d.State == workflow.StateProposed {
		other := cur.Side(d.Proposal.ProposedBySide.Other())
		if g.rng.IntN(4) == 0 {
			return g.apply(workflow.Command{Kind: workflow.CmdReject, Actor: g.pick(other), Text: g.text(ref, "reject")})
		}
		return g.apply(workflow.Command{Kind: workflow.CmdConfirm, Actor: g.pick(other)})
	}
	switch r := g.rng.IntN(100); {
	case r < 12:
		return g.apply(workflow.Command{Kind: workflow.CmdComment, Actor: g.pick(cur.All()), Text: g.text(ref, "note")})
	case r < 45:
		side := cur.Raiser
		if g.rng.IntN(2) == 0 {
			side = cur.Responder
		}
		return g.apply(workflow.Command{Kind: workflow.CmdPropose, Actor: g.pick(side), Proposal: g.proposal(ref)})
	case r < 65:
		if d.Lapsed {
			return g.apply(g.promptCmd())
		}
		return g.lapse()
	case r < 93:
		return g.apply(workflow.Command{Kind: workflow.CmdEscalate, Actor: g.pick(cur.Raiser), Text: g.text(ref, "escalate")})
	default:
		return g.apply(workflow.Command{Kind: workflow.CmdWithdraw, Actor: d.Raiser.Person, Text: g.text(ref, "withdraw")})
	}
}

func (g *gen) proposal(ref string) *workflow.Proposal {
	p := &workflow.Proposal{Outcome: g.text(ref, "outcome"), RecordedOnFile: g.rng.IntN(3) > 0}
	if g.rng.IntN(2) == 0 {
		p.Outstanding, p.HowPursued = g.text(ref, "outstanding"), g.text(ref, "how")
	}
	return p
}

// lapse lets the stage's window close: the clock moves to the deadline
// (working time) and the lapse timer fires as the scheduler would fire it.
func (g *gen) lapse() error {
	d := g.d
	due := g.env.Calendar.NextWorkingStart(d.Deadline)
	g.now = laterOf(g.now, due).Add(time.Duration(g.rng.IntN(90)) * time.Minute)
	t := workflow.Timer{Ref: d.Ref, Kind: workflow.TimerLapse, Stage: d.Stage, StageVersion: d.StageVersion, Due: due}
	return g.apply(t.Command(g.now))
}

func (g *gen) promptCmd() workflow.Command {
	d := g.d
	t := workflow.PromptTimer(g.env.Calendar, d, g.now)
	return t.Command(g.now)
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

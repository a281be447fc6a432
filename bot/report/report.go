// Package report is the business team's monitoring of the escalation
// policy for the partnership board: how many disagreements were raised and
// closed in a period, how far they went, what they were about, which
// agencies disagree, how long they took in working days, which windows
// lapsed, which cases started at a later stage for risk of immediate harm,
// which were withdrawn, and the learning themes the business team tagged.
//
// A report carries no free text and no subject reference, so it can be
// posted to the business team's channel: references, agencies, categories,
// stages, states, dates, counts and learning-theme labels only. Only members
// of the business team may ask for one (Allowed).
package report

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// CaseData is one case as the store holds it: the dispute and its event log.
type CaseData struct {
	Dispute *workflow.Dispute
	Events  []workflow.Event
}

// WorkingDays is the part of the working-day calendar the report needs
// besides the workflow's (workflow/calendar implements it).
type WorkingDays interface {
	// WorkingDaysBetween is the working time between two instants in
	// working days (fractional).
	WorkingDaysBetween(a, b time.Time) float64
}

// Allowed reports whether the person may have board reports: members of
// the business team only.
func Allowed(dir *workflow.Directory, user workflow.UserID) bool {
	return dir != nil && user != "" && dir.InBusinessTeam(user)
}

// Report is the board report for the period [From, To).
type Report struct {
	Partnership string    `json:"partnership"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"` // exclusive
	TimeZone    string    `json:"time_zone"`
	// DayUnit is what durations are counted in: "working days", or
	// "calendar days" when the calendar cannot count working time.
	DayUnit string `json:"day_unit"`

	// Raised counts the cases raised in the period.
	Raised int `json:"raised"`
	// Closed counts the cases closed in the period, Resolved and Withdrawn
	// those resolved and withdrawn.
	Closed    int `json:"closed"`
	Resolved  int `json:"resolved"`
	Withdrawn int `json:"withdrawn"`
	// OpenAtStart and OpenAtEnd count the cases open when the period
	// began and when it ended.
	OpenAtStart int `json:"open_at_start"`
	OpenAtEnd   int `json:"open_at_end"`
	// ImmediateRisk counts the cases raised in the period that started at a
	// later stage because of a risk of immediate harm.
	ImmediateRisk int `json:"immediate_risk"`
	// LapsedWindows counts the stage windows that lapsed in the period;
	// CasesLapsed the cases they belong to.
	LapsedWindows int `json:"lapsed_windows"`
	CasesLapsed   int `json:"cases_lapsed"`
	// ResolutionDays is the time from raising to resolution of every case
	// resolved in the period.
	ResolutionDays Durations `json:"resolution_days"`

	// Stages are the main route's stages, with the cases that follow it;
	// Routes the policy's other routes (policy.routes), each with its own
	// stages and the cases that follow it (a case's stage 2 on one route
	// is not stage 2 on another).
	Stages       []StageFigures `json:"stages"`
	Routes       []RouteFigures `json:"routes,omitempty"`
	Categories   []Count        `json:"categories"`
	SubjectTypes []Count        `json:"subject_types"`
	AgencyPairs  []PairCount    `json:"agency_pairs"`
	// Themes counts the learning themes of the cases closed in the period.
	Themes []Count `json:"themes"`
	Months []Month `json:"months"`
	// Cases are every case open at some time in the period, one row each.
	Cases []CaseRow `json:"cases"`
}

// RouteFigures are the stage figures of one of the policy's routes.
type RouteFigures struct {
	ID     string         `json:"id"`
	Name   string         `json:"name"`
	Stages []StageFigures `json:"stages"`
}

// stageTable counts the stages of one route while the cases are read.
type stageTable struct {
	stages     []StageFigures // by stage number; [0] unused
	resolvedAt [][]float64
}

func newStageTable(p *workflow.Policy) *stageTable {
	t := &stageTable{stages: make([]StageFigures, p.Last()+1), resolvedAt: make([][]float64, p.Last()+1)}
	for n := 1; n <= p.Last(); n++ {
		t.stages[n] = StageFigures{Stage: n, Label: stageLabel(p, n), Name: p.StageName(n)}
	}
	return t
}

// at is stage n's figures; a stage the policy no longer has is counted in
// the totals only.
func (t *stageTable) at(n int) *StageFigures {
	if n >= 1 && n < len(t.stages) {
		return &t.stages[n]
	}
	return &StageFigures{}
}

func (t *stageTable) resolved(n int, days float64) {
	if n >= 1 && n < len(t.resolvedAt) {
		t.resolvedAt[n] = append(t.resolvedAt[n], days)
	}
}

func (t *stageTable) figures() []StageFigures {
	for n := 1; n < len(t.stages); n++ {
		t.stages[n].ResolutionDays = summarise(t.resolvedAt[n])
	}
	return t.stages[1:]
}

// StageFigures are the figures of one stage of the policy.
type StageFigures struct {
	Stage int    `json:"stage"`
	Label string `json:"label"` // how the policy numbers it: "2", "1b"
	Name  string `json:"name"`
	// Of the cases raised in the period: Held were held at this stage at
	// some time, Furthest went no further than it, Started started at it.
	Held     int `json:"held"`
	Furthest int `json:"furthest"`
	Started  int `json:"started"`
	// Of the cases closed in the period whose furthest stage this was.
	Resolved  int `json:"resolved"`
	Withdrawn int `json:"withdrawn"`
	// Lapsed counts the windows of this stage that lapsed in the period.
	Lapsed int `json:"lapsed"`
	// ResolutionDays is the time from raising to resolution of the cases
	// resolved in the period whose furthest stage this was.
	ResolutionDays Durations `json:"resolution_days"`
}

// Durations summarises a set of durations in days.
type Durations struct {
	Count int `json:"count"`
	// Median is the middle value (the mean of the two middle values of an
	// even count); P90 the 90th percentile by nearest rank: the smallest
	// value at least 90% of the values are at or below. Zero when Count is.
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
}

// Count is how many cases have one value of something.
type Count struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// PairCount is how many disagreements were raised between two agencies
// (the same agency twice for one within an agency).
type PairCount struct {
	A     string `json:"a"` // agency names, in alphabetical order
	B     string `json:"b"`
	Count int    `json:"count"`
}

// Label is "A ↔ B".
func (p PairCount) Label() string {
	if p.A == p.B {
		return p.A + " (within the agency)"
	}
	return p.A + " ↔ " + p.B
}

// Month is one calendar month of the period.
type Month struct {
	Month  string `json:"month"` // "2026-01"
	Label  string `json:"label"` // "Jan 2026"
	Raised int    `json:"raised"`
	Closed int    `json:"closed"`
}

// CaseRow is one case of the period: no free text, no subject reference.
type CaseRow struct {
	Ref             string    `json:"ref"`
	SubjectType     string    `json:"subject_type"`
	Category        string    `json:"category"`
	RaiserAgency    string    `json:"raiser_agency"`
	ResponderAgency string    `json:"responder_agency"`
	StartStage      string    `json:"start_stage"`
	StageReached    string    `json:"stage_reached"`
	State           string    `json:"state"`
	Opened          time.Time `json:"opened"`
	Closed          time.Time `json:"closed,omitzero"`
	// DaysOpen runs from raising to closing, or to the end of the period
	// for a case still open then (in DayUnit).
	DaysOpen      float64  `json:"days_open"`
	LapsedWindows int      `json:"lapsed_windows"` // over the case's life
	ImmediateRisk bool     `json:"immediate_risk"`
	Themes        []string `json:"themes,omitempty"`
}

// in reports whether t falls in [from, to).
func in(t, from, to time.Time) bool {
	return !t.IsZero() && !t.Before(from) && t.Before(to)
}

// Compute makes the report of the period [from, to) from every case (cases
// outside the period are ignored). The calendar of env counts working days
// when it can (workflow/calendar does); the stage names, agency names and
// time zone come from env too. Callers pass a to no later than now: a case
// still open is counted as open until to.
func Compute(env workflow.Env, cases []CaseData, from, to time.Time) Report {
	loc := time.UTC
	if env.Calendar != nil && env.Calendar.Location() != nil {
		loc = env.Calendar.Location()
	}
	days := func(a, b time.Time) float64 { return b.Sub(a).Hours() / 24 }
	unit := "calendar days"
	if wd, ok := env.Calendar.(WorkingDays); ok {
		days, unit = wd.WorkingDaysBetween, "working days"
	}
	p, dir := env.Policy, env.Directory

	r := Report{Partnership: p.Partnership, From: from.In(loc), To: to.In(loc), TimeZone: loc.String(), DayUnit: unit}
	main := newStageTable(p)
	routes := map[string]*stageTable{}
	for _, rt := range p.Routes {
		routes[rt.ID] = newStageTable(p.OnRoute(rt))
	}
	// tableOf is the stages a case is counted at: its route's (a route
	// the policy no longer has counts in the main route's).
	tableOf := func(d *workflow.Dispute) *stageTable {
		if t, ok := routes[d.Route]; ok && d.Route != "" {
			return t
		}
		return main
	}
	var allResolved []float64
	categories, subjects, themes := map[string]int{}, map[string]int{}, map[string]int{}
	pairs := map[[2]string]int{}
	months := monthsOf(from, to, loc)
	month := func(t time.Time) *Month {
		key := t.In(loc).Format("2006-01")
		for i := range months {
			if months[i].Month == key {
				return &months[i]
			}
		}
		return &Month{}
	}

	for _, c := range cases {
		d := c.Dispute
		if d == nil || d.CreatedAt.IsZero() {
			continue
		}
		closed := d.State.Closed()
		// A closed case has its closing time; one without is treated as
		// closed when it was last changed.
		closedAt := d.ClosedAt
		if closed && closedAt.IsZero() {
			closedAt = d.UpdatedAt
		}
		if !closed {
			closedAt = time.Time{}
		}
		if !d.CreatedAt.Before(to) || (!closedAt.IsZero() && closedAt.Before(from)) {
			continue // not open at any time in the period
		}
		start := max(d.StartStage, 1)
		tbl := tableOf(d)
		stage := tbl.at
		cp := p.For(d)

		if d.CreatedAt.Before(from) {
			r.OpenAtStart++
		}
		if closedAt.IsZero() || !closedAt.Before(to) {
			r.OpenAtEnd++
		}
		if in(d.CreatedAt, from, to) {
			r.Raised++
			month(d.CreatedAt).Raised++
			for n := start; n <= d.Stage; n++ {
				stage(n).Held++
			}
			stage(d.Stage).Furthest++
			stage(start).Started++
			if start > 1 && d.ImmediateRisk {
				r.ImmediateRisk++
			}
			categories[string(d.Category)]++
			subjects[string(d.SubjectType)]++
			pairs[pairKey(dir, d.Raiser.Agency, d.Responder.Agency)]++
		}
		if in(closedAt, from, to) {
			r.Closed++
			month(closedAt).Closed++
			switch d.State {
			case workflow.StateResolved:
				r.Resolved++
				stage(d.Stage).Resolved++
				wd := days(d.CreatedAt, closedAt)
				allResolved = append(allResolved, wd)
				tbl.resolved(d.Stage, wd)
			case workflow.StateWithdrawn:
				r.Withdrawn++
				stage(d.Stage).Withdrawn++
			}
			for _, t := range d.Themes {
				themes[t]++
			}
		}
		lapsed := false
		for _, e := range c.Events {
			if e.Kind == workflow.CmdLapse && in(e.At, from, to) {
				r.LapsedWindows++
				stage(e.Stage).Lapsed++
				lapsed = true
			}
		}
		if lapsed {
			r.CasesLapsed++
		}

		end := closedAt
		if end.IsZero() {
			end = to
		}
		row := CaseRow{
			Ref: d.Ref, SubjectType: string(d.SubjectType), Category: d.Category.Label(),
			RaiserAgency: dir.AgencyName(d.Raiser.Agency), ResponderAgency: dir.AgencyName(d.Responder.Agency),
			StartStage: stageLabel(cp, start), StageReached: stageLabel(cp, d.Stage), State: string(d.State),
			Opened: d.CreatedAt.In(loc), DaysOpen: days(d.CreatedAt, end),
			LapsedWindows: d.LapsedCount, ImmediateRisk: d.ImmediateRisk, Themes: slices.Clone(d.Themes),
		}
		if !closedAt.IsZero() {
			row.Closed = closedAt.In(loc)
		}
		r.Cases = append(r.Cases, row)
	}

	r.ResolutionDays = summarise(allResolved)
	r.Stages = main.figures()
	for _, rt := range p.Routes {
		r.Routes = append(r.Routes, RouteFigures{ID: rt.ID, Name: rt.Name, Stages: routes[rt.ID].figures()})
	}
	for _, ci := range workflow.Categories {
		if n := categories[string(ci.Category)]; n > 0 {
			r.Categories = append(r.Categories, Count{Key: string(ci.Category), Label: ci.Label, Count: n})
			delete(categories, string(ci.Category))
		}
	}
	for k, n := range categories { // categories no longer in the list
		r.Categories = append(r.Categories, Count{Key: k, Label: workflow.Category(k).Label(), Count: n})
	}
	slices.SortStableFunc(r.Categories, func(a, b Count) int { return cmp.Compare(b.Count, a.Count) })
	for _, s := range []workflow.SubjectType{workflow.SubjectChild, workflow.SubjectAdult} {
		if n := subjects[string(s)]; n > 0 {
			r.SubjectTypes = append(r.SubjectTypes, Count{Key: string(s), Label: s.Label(), Count: n})
		}
	}
	for k, n := range themes {
		r.Themes = append(r.Themes, Count{Key: k, Label: k, Count: n})
	}
	slices.SortFunc(r.Themes, func(a, b Count) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Key, b.Key)) })
	for k, n := range pairs {
		r.AgencyPairs = append(r.AgencyPairs, PairCount{A: k[0], B: k[1], Count: n})
	}
	slices.SortFunc(r.AgencyPairs, func(a, b PairCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.A, b.A), cmp.Compare(a.B, b.B))
	})
	r.Months = months
	slices.SortFunc(r.Cases, func(a, b CaseRow) int { return cmp.Or(a.Opened.Compare(b.Opened), cmp.Compare(a.Ref, b.Ref)) })
	return r
}

// pairKey names the two agencies of a disagreement in alphabetical order,
// so that A with B and B with A are one pair.
func pairKey(dir *workflow.Directory, a, b string) [2]string {
	na, nb := dir.AgencyName(a), dir.AgencyName(b)
	if nb < na {
		na, nb = nb, na
	}
	return [2]string{na, nb}
}

func stageLabel(p *workflow.Policy, n int) string {
	if l := p.Stage(n).Label; l != "" {
		return l
	}
	return strconv.Itoa(n)
}

// monthsOf lists the calendar months [from, to) touches.
func monthsOf(from, to time.Time, loc *time.Location) []Month {
	var ms []Month
	if !from.Before(to) {
		return ms
	}
	f, l := from.In(loc), to.Add(-time.Nanosecond).In(loc)
	first := f.Year()*12 + int(f.Month()) - 1
	last := l.Year()*12 + int(l.Month()) - 1
	for i := first; i <= last; i++ {
		m := time.Date(i/12, time.Month(i%12+1), 1, 12, 0, 0, 0, loc)
		ms = append(ms, Month{Month: m.Format("2006-01"), Label: m.Format("Jan 2006")})
	}
	return ms
}

// summarise is the median and the 90th percentile (nearest rank).
func summarise(v []float64) Durations {
	if len(v) == 0 {
		return Durations{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	rank := (9*n + 9) / 10 // ⌈0.9n⌉ without floating-point error
	return Durations{Count: n, Median: med, P90: s[rank-1]}
}

package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wcharczuk/go-chart/v2"

	"github.com/escalate-app/escalate/bot/report"
	"github.com/escalate-app/escalate/bot/report/reporttest"
	"github.com/escalate-app/escalate/workflow"
	"github.com/escalate-app/escalate/workflow/calendar"
)

func london(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// realCalendar is the production working-day clock: England and Wales
// bank holidays, 09:00–17:00 London time.
func realCalendar(t testing.TB) *calendar.Calendar {
	t.Helper()
	cal, err := calendar.New(calendar.Config{Region: calendar.EnglandAndWales, Location: london(t)})
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

const seedCases = 240

// seeded is 240 cases raised from July 2025 to June 2026, played through
// the real workflow; generated once for the package's tests.
var seeded = sync.OnceValues(func() (reporttest.Seeded, error) {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return reporttest.Seeded{}, err
	}
	cal, err := calendar.New(calendar.Config{Region: calendar.EnglandAndWales, Location: loc})
	if err != nil {
		return reporttest.Seeded{}, err
	}
	return reporttest.Seed(reporttest.Env(cal), 20260401, seedCases, time.Date(2025, 7, 1, 0, 0, 0, 0, loc), 365*24*time.Hour, nil)
})

func seed(t testing.TB) (workflow.Env, *calendar.Calendar, reporttest.Seeded) {
	t.Helper()
	s, err := seeded()
	if err != nil {
		t.Fatal(err)
	}
	cal := realCalendar(t)
	return reporttest.Env(cal), cal, s
}

// The seeded cases must exercise everything the report counts, or the
// comparisons below prove little.
func TestSeedCoversEveryKindOfCase(t *testing.T) {
	_, _, s := seed(t)
	if len(s.Cases) != seedCases {
		t.Fatalf("%d cases seeded", len(s.Cases))
	}
	count := map[string]int{}
	for _, c := range s.Cases {
		d := c.Dispute
		count["state "+string(d.State)]++
		count["stage "+strconv.Itoa(d.Stage)]++
		if d.State == workflow.StateResolved {
			count["resolved at "+strconv.Itoa(d.Stage)]++
		}
		if d.StartStage > 1 {
			count["late start"]++
		}
		if d.LapsedCount > 0 {
			count["lapsed"]++
		}
		if len(d.Themes) > 0 {
			count["themes"]++
		}
		if len(d.Debriefs) > 0 {
			count["debrief"]++
		}
		if len(d.Panel) > 0 {
			count["panel"]++
		}
		if d.SubjectType == workflow.SubjectAdult {
			count["adult"]++
		}
		if !d.State.Closed() && d.CreatedAt.Before(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
			count["old open"]++
		}
	}
	for _, k := range []string{"state open", "state proposed", "state resolved", "state withdrawn", "stage 1", "stage 2", "stage 3", "stage 4",
		"resolved at 1", "resolved at 2", "resolved at 3", "resolved at 4", "late start", "lapsed", "themes", "debrief", "panel", "adult"} {
		if count[k] < 2 {
			t.Errorf("the seeded cases have %d of %q", count[k], k)
		}
	}
	t.Logf("seeded: %v", count)
}

// expected are the report's figures computed directly from the cases,
// the simple way, without the code under test.
type expected struct {
	raised, closed, resolved, withdrawn, openAtStart, openAtEnd, immediate, lapsed, casesLapsed int

	held, furthest, started, resolvedAt, withdrawnAt, lapsedAt map[int]int
	daysAt                                                     map[int][]float64
	days                                                       []float64

	categories, subjects, pairs, themes map[string]int
	monthRaised, monthClosed            map[string]int
	rows                                map[string]workflow.Dispute
}

func expect(cal *calendar.Calendar, dir *workflow.Directory, cases []report.CaseData, from, to time.Time) expected {
	e := expected{
		held: map[int]int{}, furthest: map[int]int{}, started: map[int]int{}, resolvedAt: map[int]int{}, withdrawnAt: map[int]int{},
		lapsedAt: map[int]int{}, daysAt: map[int][]float64{}, categories: map[string]int{}, subjects: map[string]int{},
		pairs: map[string]int{}, themes: map[string]int{}, monthRaised: map[string]int{}, monthClosed: map[string]int{},
		rows: map[string]workflow.Dispute{},
	}
	within := func(t time.Time) bool { return !t.IsZero() && (t.Equal(from) || t.After(from)) && t.Before(to) }
	for _, c := range cases {
		d := c.Dispute
		open := !d.State.Closed()
		if !d.CreatedAt.Before(to) || (!open && d.ClosedAt.Before(from)) {
			continue
		}
		e.rows[d.Ref] = *d
		if d.CreatedAt.Before(from) {
			e.openAtStart++
		}
		if open || !d.ClosedAt.Before(to) {
			e.openAtEnd++
		}
		if within(d.CreatedAt) {
			e.raised++
			e.monthRaised[d.CreatedAt.In(cal.Location()).Format("Jan 2006")]++
			for n := 1; n <= 4; n++ {
				if d.StartStage <= n && n <= d.Stage {
					e.held[n]++
				}
			}
			e.furthest[d.Stage]++
			e.started[d.StartStage]++
			if d.StartStage > 1 {
				e.immediate++
			}
			e.categories[d.Category.Label()]++
			e.subjects[d.SubjectType.Label()]++
			names := []string{dir.AgencyName(d.Raiser.Agency), dir.AgencyName(d.Responder.Agency)}
			sort.Strings(names)
			e.pairs[names[0]+" ↔ "+names[1]]++
		}
		if !open && within(d.ClosedAt) {
			e.closed++
			e.monthClosed[d.ClosedAt.In(cal.Location()).Format("Jan 2006")]++
			if d.State == workflow.StateResolved {
				e.resolved++
				e.resolvedAt[d.Stage]++
				days := cal.WorkingDaysBetween(d.CreatedAt, d.ClosedAt)
				e.days = append(e.days, days)
				e.daysAt[d.Stage] = append(e.daysAt[d.Stage], days)
			} else {
				e.withdrawn++
				e.withdrawnAt[d.Stage]++
			}
			for _, th := range d.Themes {
				e.themes[th]++
			}
		}
		any := false
		for _, ev := range c.Events {
			if ev.Kind == workflow.CmdLapse && within(ev.At) {
				e.lapsed++
				e.lapsedAt[ev.Stage]++
				any = true
			}
		}
		if any {
			e.casesLapsed++
		}
	}
	return e
}

// median and p90 of a set: the middle value (mean of the middle two), and
// the first value with at least 90% of the set at or below it.
func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func p90(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	for i, x := range s {
		if (i+1)*10 >= 9*len(s) {
			return x
		}
	}
	return 0
}

func counts(cs []report.Count) map[string]int {
	m := map[string]int{}
	for _, c := range cs {
		m[c.Label] += c.Count
	}
	return m
}

func sameMap[K comparable](t *testing.T, what string, got, want map[K]int) {
	t.Helper()
	for k, v := range want {
		if v == 0 {
			delete(want, k)
		}
	}
	for k, v := range got {
		if v == 0 {
			delete(got, k)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func TestComputeMatchesAnIndependentCount(t *testing.T) {
	env, cal, s := seed(t)
	loc := cal.Location()
	periods := []struct {
		name     string
		from, to time.Time
	}{
		{"first quarter of 2026", time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2026, 4, 1, 0, 0, 0, 0, loc)},
		{"everything", time.Date(2025, 1, 1, 0, 0, 0, 0, loc), time.Date(2027, 1, 1, 0, 0, 0, 0, loc)},
		{"one month, summer time", time.Date(2025, 8, 1, 0, 0, 0, 0, loc), time.Date(2025, 9, 1, 0, 0, 0, 0, loc)},
		{"ten days from a Wednesday noon", time.Date(2025, 11, 5, 12, 0, 0, 0, loc), time.Date(2025, 11, 15, 12, 0, 0, 0, loc)},
	}
	for _, p := range periods {
		t.Run(p.name, func(t *testing.T) {
			r := report.Compute(env, s.Cases, p.from, p.to)
			e := expect(cal, env.Directory, s.Cases, p.from, p.to)
			if e.raised == 0 || e.closed == 0 {
				t.Fatalf("the period has %d raised and %d closed: choose one with cases", e.raised, e.closed)
			}
			if r.DayUnit != "working days" {
				t.Errorf("day unit %q: the real calendar counts working days", r.DayUnit)
			}
			got := []int{r.Raised, r.Closed, r.Resolved, r.Withdrawn, r.OpenAtStart, r.OpenAtEnd, r.ImmediateRisk, r.LapsedWindows, r.CasesLapsed}
			want := []int{e.raised, e.closed, e.resolved, e.withdrawn, e.openAtStart, e.openAtEnd, e.immediate, e.lapsed, e.casesLapsed}
			if !slices.Equal(got, want) {
				t.Errorf("raised, closed, resolved, withdrawn, open at start, open at end, immediate risk, lapsed windows, cases lapsed:\ngot  %v\nwant %v", got, want)
			}
			if r.ResolutionDays.Count != len(e.days) || r.ResolutionDays.Median != median(e.days) || r.ResolutionDays.P90 != p90(e.days) {
				t.Errorf("resolution days %+v, want %d cases, median %v, p90 %v", r.ResolutionDays, len(e.days), median(e.days), p90(e.days))
			}
			if len(r.Stages) != 4 {
				t.Fatalf("%d stages", len(r.Stages))
			}
			for _, st := range r.Stages {
				n := st.Stage
				got := []int{st.Held, st.Furthest, st.Started, st.Resolved, st.Withdrawn, st.Lapsed}
				want := []int{e.held[n], e.furthest[n], e.started[n], e.resolvedAt[n], e.withdrawnAt[n], e.lapsedAt[n]}
				if !slices.Equal(got, want) {
					t.Errorf("stage %d held, furthest, started, resolved, withdrawn, lapsed: got %v, want %v", n, got, want)
				}
				d := st.ResolutionDays
				if d.Count != len(e.daysAt[n]) || d.Median != median(e.daysAt[n]) || d.P90 != p90(e.daysAt[n]) {
					t.Errorf("stage %d resolution days %+v, want median %v p90 %v of %d", n, d, median(e.daysAt[n]), p90(e.daysAt[n]), len(e.daysAt[n]))
				}
			}
			sameMap(t, "categories", counts(r.Categories), e.categories)
			sameMap(t, "subject types", counts(r.SubjectTypes), e.subjects)
			sameMap(t, "themes", counts(r.Themes), e.themes)
			pairs := map[string]int{}
			for _, p := range r.AgencyPairs {
				pairs[p.Label()] += p.Count
			}
			sameMap(t, "agency pairs", pairs, e.pairs)
			for _, list := range [][]int{pairCounts(r.AgencyPairs), countsOf(r.Categories), countsOf(r.Themes)} {
				if !slices.IsSortedFunc(list, func(a, b int) int { return b - a }) {
					t.Errorf("a list is not most frequent first: %v", list)
				}
			}
			mr, mc := map[string]int{}, map[string]int{}
			for _, m := range r.Months {
				mr[m.Label], mc[m.Label] = m.Raised, m.Closed
			}
			sameMap(t, "raised by month", mr, e.monthRaised)
			sameMap(t, "closed by month", mc, e.monthClosed)
			var months []string
			for m := time.Date(p.from.Year(), p.from.Month(), 1, 0, 0, 0, 0, loc); m.Before(p.to); m = m.AddDate(0, 1, 0) {
				months = append(months, m.Format("Jan 2006"))
			}
			var gotMonths []string
			for _, m := range r.Months {
				gotMonths = append(gotMonths, m.Label)
			}
			if !slices.Equal(gotMonths, months) {
				t.Errorf("months %v, want %v", gotMonths, months)
			}
			checkCSV(t, cal, env, r, e, p.to)
		})
	}
}

func pairCounts(ps []report.PairCount) []int {
	var n []int
	for _, p := range ps {
		n = append(n, p.Count)
	}
	return n
}

func countsOf(cs []report.Count) []int {
	var n []int
	for _, c := range cs {
		n = append(n, c.Count)
	}
	return n
}

// checkCSV reads the CSV back and checks every row against its case.
func checkCSV(t *testing.T, cal *calendar.Calendar, env workflow.Env, r report.Report, e expected, to time.Time) {
	t.Helper()
	var b bytes.Buffer
	if err := report.CSV(&b, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	header := strings.Join(rows[0], ",")
	if header != "ref,subject_type,category,raiser_agency,responder_agency,start_stage,stage_reached,state,opened,closed,days_open,lapsed_windows,immediate_risk,themes" {
		t.Errorf("header %q", header)
	}
	if len(rows)-1 != len(e.rows) {
		t.Fatalf("%d rows, want one for each of the %d cases open in the period", len(rows)-1, len(e.rows))
	}
	loc := cal.Location()
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		d, ok := e.rows[row[0]]
		if !ok || seen[row[0]] {
			t.Errorf("row for %s: not a case of the period, or twice", row[0])
			continue
		}
		seen[row[0]] = true
		end, closed := to, ""
		if d.State.Closed() {
			end, closed = d.ClosedAt, d.ClosedAt.In(loc).Format("2006-01-02 15:04")
		}
		want := []string{d.Ref, string(d.SubjectType), d.Category.Label(), env.Directory.AgencyName(d.Raiser.Agency),
			env.Directory.AgencyName(d.Responder.Agency), strconv.Itoa(d.StartStage), strconv.Itoa(d.Stage), string(d.State),
			d.CreatedAt.In(loc).Format("2006-01-02 15:04"), closed, strconv.FormatFloat(cal.WorkingDaysBetween(d.CreatedAt, end), 'f', 1, 64),
			strconv.Itoa(d.LapsedCount), strconv.FormatBool(d.ImmediateRisk), strings.Join(d.Themes, "; ")}
		if !slices.Equal(row, want) {
			t.Errorf("row %v\nwant %v", row, want)
		}
	}
}

// Nothing a report writes, nor anything its charts are drawn from, holds
// a case's words or its subject reference.
func TestReportCarriesNoFreeText(t *testing.T) {
	env, cal, s := seed(t)
	loc := cal.Location()
	r := report.Compute(env, s.Cases, time.Date(2025, 1, 1, 0, 0, 0, 0, loc), time.Date(2027, 1, 1, 0, 0, 0, 0, loc))
	if len(r.Cases) != seedCases {
		t.Fatalf("%d rows", len(r.Cases))
	}
	var md, cs bytes.Buffer
	if err := report.Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := report.CSV(&cs, r); err != nil {
		t.Fatal(err)
	}
	whole, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{"summary": md.String(), "csv": cs.String(), "report": string(whole), "charts": chartInputs(r)}
	if len(s.FreeText) < 5*seedCases {
		t.Fatalf("only %d free-text values to look for", len(s.FreeText))
	}
	for name, out := range outputs {
		if strings.Contains(out, "FREETEXT") || strings.Contains(out, "SUBJREF") {
			t.Errorf("the %s carries free text or a subject reference", name)
		}
		for _, ft := range s.FreeText {
			if strings.Contains(out, ft) {
				t.Errorf("the %s carries %q", name, ft)
				break
			}
		}
	}
	// The scan would find them if they were there: the case records do.
	var all strings.Builder
	for _, c := range s.Cases {
		b, _ := json.Marshal(c)
		all.Write(b)
	}
	for _, ft := range s.FreeText {
		if !strings.Contains(all.String(), ft) {
			t.Fatalf("free text %q is not in the seeded cases", ft)
		}
	}
}

// chartInputs is every word the charts are drawn from.
func chartInputs(r report.Report) string {
	var b strings.Builder
	funnel, pairs, trend := report.FunnelChart(r), report.AgencyPairsChart(r), report.TrendChart(r)
	for _, c := range []struct {
		title string
		bars  []string
	}{{funnel.Title, labels(funnel.Bars)}, {pairs.Title, labels(pairs.Bars)}} {
		b.WriteString(c.title + "\n" + strings.Join(c.bars, "\n") + "\n")
	}
	b.WriteString(trend.Title + "\n")
	for _, s := range trend.Series {
		b.WriteString(s.GetName() + "\n")
	}
	for _, tk := range trend.XAxis.Ticks {
		b.WriteString(tk.Label + "\n")
	}
	return b.String()
}

func labels(bars []chart.Value) []string {
	var l []string
	for _, b := range bars {
		l = append(l, b.Label)
	}
	return l
}

// A case on one of the policy's routes is counted at its route's stages,
// not at the main route's stage of the same number; the written report
// names the route.
func TestRoutesAreCountedAtTheirOwnStages(t *testing.T) {
	env := reporttest.Env(realCalendar(t))
	p := *env.Policy
	p.Routes = []workflow.Route{{ID: "conference", Name: "Dissent from a conference decision", Categories: []workflow.Category{workflow.CatConferenceRefused},
		Stages: []workflow.Stage{
			{Label: "1", Name: "Conference chair", Role: workflow.RolePractitioner, Window: workflow.Window{Amount: 2, Unit: workflow.WorkingDays}},
			{Label: "2", Name: "Partnership chair for conferences", Role: workflow.RoleChair, Window: workflow.Window{Amount: 5, Unit: workflow.WorkingDays}, Final: workflow.FinalChairResolve},
		}}}
	env.Policy = &p
	loc := london(t)
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2026, 4, 1, 0, 0, 0, 0, loc)
	raised := time.Date(2026, 2, 2, 10, 0, 0, 0, loc)
	mk := func(ref, route string, stage int, cat workflow.Category) report.CaseData {
		return report.CaseData{Dispute: &workflow.Dispute{Ref: ref, Route: route, Category: cat, SubjectType: workflow.SubjectChild,
			Raiser: workflow.Party{Agency: "csc"}, Responder: workflow.Party{Agency: "health"},
			StartStage: 1, Stage: stage, State: workflow.StateOpen, CreatedAt: raised, UpdatedAt: raised}}
	}
	r := report.Compute(env, []report.CaseData{
		mk("ESC-2026-0001", "", 2, workflow.CatThresholds),
		mk("ESC-2026-0002", "conference", 2, workflow.CatConferenceRefused),
		mk("ESC-2026-0003", "conference", 1, workflow.CatConferenceRefused),
	}, from, to)
	if r.Raised != 3 || r.Stages[1].Held != 1 || r.Stages[1].Furthest != 1 || r.Stages[0].Held != 1 {
		t.Errorf("main route: raised %d, stage 1 held %d, stage 2 held %d furthest %d", r.Raised, r.Stages[0].Held, r.Stages[1].Held, r.Stages[1].Furthest)
	}
	if len(r.Routes) != 1 || r.Routes[0].ID != "conference" || len(r.Routes[0].Stages) != 2 {
		t.Fatalf("routes %+v", r.Routes)
	}
	if c := r.Routes[0].Stages; c[0].Held != 2 || c[0].Furthest != 1 || c[1].Held != 1 || c[1].Furthest != 1 || c[1].Name != "Stage 2 (Partnership chair for conferences)" {
		t.Errorf("the conference route's stages %+v", c)
	}
	for _, row := range r.Cases {
		if row.Ref == "ESC-2026-0002" && row.StageReached != "2" {
			t.Errorf("the CSV's stage reached for a route case: %q", row.StageReached)
		}
	}
	var md bytes.Buffer
	if err := report.Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "### Route: Dissent from a conference decision") || !strings.Contains(md.String(), "- Stage 2 (Partnership chair for conferences): held 1") {
		t.Errorf("the written report:\n%s", md.String())
	}
}

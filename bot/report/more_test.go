package report_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/report"
	"github.com/escalate-app/escalate/bot/report/reporttest"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
)

func TestAllowedOnlyTheBusinessTeam(t *testing.T) {
	env, _, _ := seed(t)
	dir := env.Directory
	if !report.Allowed(dir, reporttest.Business) {
		t.Error("the business team is refused a report")
	}
	for _, u := range []workflow.UserID{reporttest.Chair, reporttest.Outsider, reporttest.Practitioner("csc", 0), "slack:LM-csc", "teams:29:nobody", workflow.SystemActor, ""} {
		if report.Allowed(dir, u) {
			t.Errorf("%q, not in the business team, may have a report", u)
		}
	}
	if report.Allowed(nil, reporttest.Business) {
		t.Error("a report is allowed without a directory")
	}
}

func TestDefaultPeriodIsTheLastCompleteQuarter(t *testing.T) {
	loc := london(t)
	d := func(y int, m time.Month, day, h, min int) time.Time { return time.Date(y, m, day, h, min, 0, 0, loc) }
	cases := []struct {
		now      time.Time
		from, to time.Time
	}{
		{d(2026, 5, 10, 12, 0), d(2026, 1, 1, 0, 0), d(2026, 4, 1, 0, 0)},
		{d(2026, 1, 15, 9, 0), d(2025, 10, 1, 0, 0), d(2026, 1, 1, 0, 0)},
		{d(2026, 4, 1, 0, 0), d(2026, 1, 1, 0, 0), d(2026, 4, 1, 0, 0)},
		// 31 March 23:30 in London is 22:30 UTC (summer time began on the 29th): still the first quarter.
		{d(2026, 3, 31, 23, 30), d(2025, 10, 1, 0, 0), d(2026, 1, 1, 0, 0)},
		{d(2026, 12, 31, 23, 59), d(2026, 7, 1, 0, 0), d(2026, 10, 1, 0, 0)},
	}
	for _, c := range cases {
		from, to := report.DefaultPeriod(c.now.UTC(), loc)
		if !from.Equal(c.from) || !to.Equal(c.to) {
			t.Errorf("DefaultPeriod(%s) = %s – %s, want %s – %s", c.now, from, to, c.from, c.to)
		}
	}
	from, to := report.DefaultPeriod(d(2026, 5, 10, 12, 0), loc)
	if got := report.PeriodLabel(from, to); got != "1 Jan 2026 to 31 Mar 2026" {
		t.Errorf("label %q", got)
	}
}

func TestParsePeriod(t *testing.T) {
	loc := london(t)
	from, to, err := report.ParsePeriod("2026-01-01", "2026-03-31", loc)
	if err != nil || !from.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, loc)) || !to.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, loc)) {
		t.Errorf("got %s – %s, %v", from, to, err)
	}
	if _, _, err := report.ParsePeriod("2026-03-01", "2026-03-01", loc); err != nil {
		t.Errorf("a one-day period: %v", err)
	}
	for _, c := range [][2]string{{"2026-04-01", "2026-03-31"}, {"01/01/2026", "2026-03-31"}, {"2026-01-01", "next week"}, {"", ""}} {
		if _, _, err := report.ParsePeriod(c[0], c[1], loc); err == nil {
			t.Errorf("ParsePeriod(%q, %q) accepted", c[0], c[1])
		}
	}
}

func TestEmptyPeriod(t *testing.T) {
	env, cal, s := seed(t)
	loc := cal.Location()
	from, to := time.Date(2030, 1, 1, 0, 0, 0, 0, loc), time.Date(2030, 4, 1, 0, 0, 0, 0, loc)
	// Cases still open at the seed's horizon are open in 2030 too: leave them out.
	var closed []report.CaseData
	for _, c := range s.Cases {
		if c.Dispute.State.Closed() {
			closed = append(closed, c)
		}
	}
	r := report.Compute(env, closed, from, to)
	if r.Raised+r.Closed+r.OpenAtEnd+r.LapsedWindows != 0 || len(r.Cases) != 0 || len(r.AgencyPairs) != 0 {
		t.Errorf("an empty period has figures: %+v", r)
	}
	if len(r.Stages) != 4 || len(r.Months) != 3 {
		t.Errorf("an empty period lists %d stages and %d months", len(r.Stages), len(r.Months))
	}
	// It still writes every file, charts included.
	paths, err := report.WriteFiles(t.TempDir(), r)
	if err != nil || len(paths) != 5 {
		t.Fatalf("WriteFiles of an empty report: %v, %v", paths, err)
	}
}

func TestWriteFiles(t *testing.T) {
	env, cal, s := seed(t)
	loc := cal.Location()
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2026, 4, 1, 0, 0, 0, 0, loc)
	r := report.Compute(env, s.Cases, from, to)
	dir := filepath.Join(t.TempDir(), "board")
	paths, err := report.WriteFiles(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	if strings.Join(names, " ") != "report.md cases.csv funnel.png trend.png agency-pairs.png" {
		t.Errorf("files %v", names)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var md, cs bytes.Buffer
	_ = report.Markdown(&md, r)
	_ = report.CSV(&cs, r)
	if !bytes.Equal(read("report.md"), md.Bytes()) || !bytes.Equal(read("cases.csv"), cs.Bytes()) {
		t.Error("the files differ from Markdown and CSV")
	}
	for _, name := range []string{"funnel.png", "trend.png", "agency-pairs.png"} {
		img, err := png.Decode(bytes.NewReader(read(name)))
		if err != nil {
			t.Errorf("%s is not a PNG: %v", name, err)
			continue
		}
		if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 300 {
			t.Errorf("%s is %v", name, b)
		}
	}
	summary := md.String()
	for _, want := range []string{"# Escalation report: 1 Jan 2026 to 31 Mar 2026", "- Raised: ", "Stage 4 (Partnership chair): held ", "## Learning themes"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary lacks %q:\n%s", want, summary)
		}
	}
	// The chart is drawn from the figures.
	funnel := report.FunnelChart(r)
	for i, st := range r.Stages {
		if funnel.Bars[i].Value != float64(st.Held) || funnel.Bars[i].Label != "Stage "+st.Label {
			t.Errorf("funnel bar %d = %+v, stage %+v", i, funnel.Bars[i], st)
		}
	}
	trend := report.TrendChart(r)
	if ys := trend.Series[0]; ys.GetName() != "Raised" {
		t.Errorf("trend series %q", ys.GetName())
	}
	pairs := report.AgencyPairsChart(r)
	if pairs.Bars[0].Value != float64(r.AgencyPairs[0].Count) {
		t.Errorf("the first agency pair bar is %v, the most frequent pair %d", pairs.Bars[0].Value, r.AgencyPairs[0].Count)
	}
}

// Load reads what the store holds, and the report from it is the report
// from the cases themselves.
func TestLoadFromTheStore(t *testing.T) {
	cal := realCalendar(t)
	env := reporttest.Env(cal)
	st := storetest.New(t)
	ctx := context.Background()
	loc := cal.Location()
	s, err := reporttest.Seed(env, 7, 60, time.Date(2025, 11, 1, 0, 0, 0, 0, loc), 150*24*time.Hour,
		func(res *workflow.Result) error { return st.Commit(ctx, res, "") })
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2026, 4, 1, 0, 0, 0, 0, loc)
	loaded, err := report.Load(ctx, st, from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := report.Compute(env, s.Cases, from, to)
	got := report.Compute(env, loaded, from, to)
	if want.Raised == 0 || want.Closed == 0 {
		t.Fatalf("the period has no cases: %+v", want)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the report from the store differs:\ngot  %+v\nwant %+v", got, want)
	}
	// Load leaves out cases the period does not touch.
	if len(loaded) != len(want.Cases) {
		t.Errorf("loaded %d cases for %d rows", len(loaded), len(want.Cases))
	}
}

func BenchmarkCompute10000(b *testing.B) {
	cal := realCalendar(b)
	env := reporttest.Env(cal)
	loc := cal.Location()
	s, err := reporttest.Seed(env, 42, 10000, time.Date(2024, 1, 1, 0, 0, 0, 0, loc), 3*365*24*time.Hour, nil)
	if err != nil {
		b.Fatal(err)
	}
	from, to := time.Date(2024, 1, 1, 0, 0, 0, 0, loc), time.Date(2027, 1, 1, 0, 0, 0, 0, loc)
	b.ReportAllocs()
	b.ResetTimer()
	var r report.Report
	for b.Loop() {
		r = report.Compute(env, s.Cases, from, to)
	}
	if len(r.Cases) != 10000 {
		b.Fatalf("%d rows", len(r.Cases))
	}
}

// countingStore counts the cases a Load reads.
type countingStore struct {
	report.Store
	read int
}

func (c *countingStore) LoadMany(ctx context.Context, refs []string) ([]*workflow.Dispute, [][]workflow.Event, error) {
	c.read += len(refs)
	return c.Store.LoadMany(ctx, refs)
}

// Load's cost is that of the period: cases closed before it, years of
// history, are never read.
func TestLoadReadsOnlyThePeriodsCases(t *testing.T) {
	cal := realCalendar(t)
	env := reporttest.Env(cal)
	st := storetest.New(t)
	ctx := context.Background()
	loc := cal.Location()
	// Two years of cases, every one closed within weeks; then the period.
	s, err := reporttest.Seed(env, 11, 200, time.Date(2023, 1, 1, 0, 0, 0, 0, loc), 2*365*24*time.Hour,
		func(res *workflow.Result) error { return st.Commit(ctx, res, "") })
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2024, 10, 1, 0, 0, 0, 0, loc), time.Date(2025, 1, 1, 0, 0, 0, 0, loc)
	cs := &countingStore{Store: st}
	loaded, err := report.Load(ctx, cs, from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := report.Compute(env, s.Cases, from, to)
	if len(want.Cases) == 0 || len(loaded) != len(want.Cases) {
		t.Fatalf("loaded %d cases, the period has %d", len(loaded), len(want.Cases))
	}
	if !reflect.DeepEqual(report.Compute(env, loaded, from, to), want) {
		t.Error("the report from the store differs from the report from the cases")
	}
	// Cases raised before the period and still open when it started, or
	// closed in it or after, are all a period can touch.
	touching := 0
	for _, c := range s.Cases {
		d := c.Dispute
		if d.CreatedAt.Before(to) && (!d.State.Closed() || !d.ClosedAt.Before(from)) {
			touching++
		}
	}
	if cs.read != touching || cs.read >= len(s.Cases)/2 {
		t.Errorf("Load read %d of %d cases; %d touch the period", cs.read, len(s.Cases), touching)
	}
}

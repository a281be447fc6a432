package retention_test

import (
	"context"
	"github.com/escalate-app/escalate/bot/bottest"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/bot/report"
	"github.com/escalate-app/escalate/bot/report/reporttest"
	"github.com/escalate-app/escalate/bot/retention"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
	"github.com/escalate-app/escalate/workflow/calendar"
)

type rig struct {
	env    workflow.Env
	st     *store.Store
	eng    *engine.Engine
	log    *slog.Logger
	logs   *syncBuffer
	seeded reporttest.Seeded
	now    time.Time
	loc    *time.Location
}

// newRig writes n seeded cases, raised through 2025, to a store.
func newRig(t *testing.T, n int) *rig {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.New(calendar.Config{Region: calendar.EnglandAndWales, Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{env: reporttest.Env(cal), st: storetest.New(t), logs: &syncBuffer{}, loc: loc,
		now: time.Date(2026, 6, 1, 2, 0, 0, 0, loc)}
	r.log = slog.New(slog.NewTextHandler(r.logs, nil))
	r.eng = engine.New(r.st, r.env, func() time.Time { return r.now }, r.log, nil)
	ctx := context.Background()
	r.seeded, err = reporttest.Seed(r.env, 99, n, time.Date(2025, 1, 1, 0, 0, 0, 0, loc), 330*24*time.Hour,
		func(res *workflow.Result) error { return r.st.Commit(ctx, res, "") })
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) report(t *testing.T) report.Report {
	t.Helper()
	from, to := time.Date(2024, 1, 1, 0, 0, 0, 0, r.loc), time.Date(2026, 6, 1, 0, 0, 0, 0, r.loc)
	cases, err := report.Load(context.Background(), r.st, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return report.Compute(r.env, cases, from, to)
}

// hasText reports whether a case still holds any free text, in the
// dispute or in its events.
func hasText(d *workflow.Dispute, events []workflow.Event) bool {
	for _, f := range d.FreeText() {
		if *f != "" {
			return true
		}
	}
	for _, e := range events {
		if e.Text != "" || (e.Proposal != nil && (e.Proposal.Outcome != "" || e.Proposal.Outstanding != "" || e.Proposal.HowPursued != "")) {
			return true
		}
	}
	return false
}

func TestPurge(t *testing.T) {
	r := newRig(t, 80)
	ctx := context.Background()
	after := 180 * 24 * time.Hour
	cutoff := r.now.Add(-after)

	// Which cases are due, worked out from the seeded cases themselves.
	due, keep := map[string]bool{}, map[string]bool{}
	for _, c := range r.seeded.Cases {
		d := c.Dispute
		if d.State.Closed() && d.ClosedAt.Before(cutoff) {
			due[d.Ref] = true
		} else {
			keep[d.Ref] = true
		}
	}
	if len(due) < 10 || len(keep) < 5 {
		t.Fatalf("%d cases due and %d kept: the seed does not test retention", len(due), len(keep))
	}
	before := r.report(t)

	// A dry run counts and changes nothing.
	res, err := retention.Purge(ctx, r.st, r.eng, r.now, after, true, r.log)
	if err != nil {
		t.Fatal(err)
	}
	if !res.DryRun || res.Due != len(due) || res.Purged != 0 || len(res.Cases) != len(due) {
		t.Errorf("dry run: %+v, want %d due", res, len(due))
	}
	for ref := range due {
		d, events, err := r.st.Load(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if d.Purged || !hasText(d, events) {
			t.Fatalf("the dry run purged %s", ref)
		}
	}

	res, err = retention.Purge(ctx, r.st, r.eng, r.now, after, false, r.log)
	if err != nil {
		t.Fatal(err)
	}
	if res.DryRun || res.Due != len(due) || res.Purged != len(due) || res.Failed != 0 {
		t.Errorf("purge: %+v, want %d purged", res, len(due))
	}
	for _, c := range res.Cases {
		if !due[c.Ref] {
			t.Errorf("%s was purged, closed %s", c.Ref, c.ClosedAt)
		}
	}
	for _, c := range r.seeded.Cases {
		ref := c.Dispute.Ref
		d, events, err := r.st.Load(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case due[ref] && (!d.Purged || hasText(d, events)):
			t.Errorf("%s is past retention and still has its free text", ref)
		case due[ref]:
			// The steps stay, only their words go; the purge itself is recorded.
			if len(events) != len(c.Events)+1 || events[len(events)-1].Kind != workflow.CmdPurge {
				t.Errorf("%s has %d events after the purge, had %d", ref, len(events), len(c.Events))
			}
			if d.Category != c.Dispute.Category || d.Stage != c.Dispute.Stage || !d.ClosedAt.Equal(c.Dispute.ClosedAt) || d.LapsedCount != c.Dispute.LapsedCount {
				t.Errorf("%s lost what the reports need", ref)
			}
		case d.Purged || d.SubjectRef != c.Dispute.SubjectRef || d.Disagreement != c.Dispute.Disagreement:
			t.Errorf("%s, not due, was purged", ref)
		}
	}

	// The board report is the same before and after.
	if after := r.report(t); !reflect.DeepEqual(after, before) {
		t.Errorf("the report changed with the purge:\nbefore %+v\nafter  %+v", before, after)
	}

	// The log names references and dates, never what the cases said.
	logs := r.logs.String()
	for ref := range due {
		if !strings.Contains(logs, "ref="+ref) {
			t.Errorf("the log does not say %s was purged", ref)
		}
	}
	for _, ft := range r.seeded.FreeText {
		if strings.Contains(logs, ft) {
			t.Fatalf("the log carries %q", ft)
		}
	}

	// A second run has nothing left to do.
	res, err = retention.Purge(ctx, r.st, r.eng, r.now.Add(time.Hour), after, false, r.log)
	if err != nil || res.Due != 0 || res.Purged != 0 {
		t.Errorf("second run: %+v, %v", res, err)
	}
}

func TestPurgeRefusesANonsensePeriod(t *testing.T) {
	r := newRig(t, 20)
	ctx := context.Background()
	for _, after := range []time.Duration{0, -time.Hour} {
		res, err := retention.Purge(ctx, r.st, r.eng, r.now, after, false, r.log)
		if err == nil || res.Purged != 0 {
			t.Errorf("after %s: %+v, %v", after, res, err)
		}
	}
	for _, c := range r.seeded.Cases {
		d, _, err := r.st.Load(ctx, c.Dispute.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if d.Purged {
			t.Fatalf("%s was purged by a refused run", d.Ref)
		}
	}
}

type syncBuffer = bottest.LogBuffer
